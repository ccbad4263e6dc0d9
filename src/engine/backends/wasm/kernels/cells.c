// The element-wise part of one time step of each cell, forward and backward, for units [u0, u1)
// of `rows` sequences at once (a thread's tile of the step). The matrix products (x.W for all steps, h.U per step) happen before these.
// Forward passes keep what backward needs; every state pointer has its own row stride so the
// stepper can update its interleaved state in place (reads of a vector precede its writes).
#include "kernels.h"

// The LSTM's step as native code (native/width.inc.h), imported like the products (gemm.c).
NATIVE(native_lstm_forward) void native_lstm_forward(float *g, const float *bias, const float *c_prev, int ldcp, float *c,
                                                     int ldc, float *tc, float *h, int ldh, int rows, int H, int u0,
                                                     int u1);
NATIVE(native_lstm_backward) void native_lstm_backward(const float *g, const float *c_prev, const float *tc,
                                                       const float *dh, float *dc, float *dg, int rows, int H, int u0,
                                                       int u1);

// ---- LSTM (Keras gate order i, f, c, o; sigmoid gates, tanh cell) ----
// g: pre-activations x.W + h.U (row stride 4H), replaced by the activations i, f, c~, o.
// tc (optional, stride H) keeps tanh(c) for backward.
void lstm_forward(float *g, const float *bias, const float *c_prev, int ldcp, float *c, int ldc, float *tc,
                  float *h, int ldh, int rows, int H, int u0, int u1) {
  if (native_products_on()) {
    native_lstm_forward(g, bias, c_prev, ldcp, c, ldc, tc, h, ldh, rows, H, u0, u1);
    return;
  }
  for (int b = 0; b < rows; b++) {
    float *gb = g + b * 4 * H;
    for (int j = u0; j < u1; j += 4) {
      int n = lanes(j, u1);
      f4 i = vsigmoid(loadn(gb + j, n) + loadn(bias + j, n));
      f4 f = vsigmoid(loadn(gb + H + j, n) + loadn(bias + H + j, n));
      f4 u = vtanh(loadn(gb + 2 * H + j, n) + loadn(bias + 2 * H + j, n));
      f4 o = vsigmoid(loadn(gb + 3 * H + j, n) + loadn(bias + 3 * H + j, n));
      f4 cn = f * loadn(c_prev + b * ldcp + j, n) + i * u;
      f4 t = vtanh(cn);
      storen(gb + j, i, n);
      storen(gb + H + j, f, n);
      storen(gb + 2 * H + j, u, n);
      storen(gb + 3 * H + j, o, n);
      storen(c + b * ldc + j, cn, n);
      if (tc) storen(tc + b * H + j, t, n);
      storen(h + b * ldh + j, o * t, n);
    }
  }
}

// dh: total dL/dh_t; dc: in, dL/dc_t from step t+1; out, dL/dc_{t-1}. dg: pre-activation gradients.
void lstm_backward(const float *g, const float *c_prev, const float *tc, const float *dh, float *dc, float *dg,
                   int rows, int H, int u0, int u1) {
  if (native_products_on()) {
    native_lstm_backward(g, c_prev, tc, dh, dc, dg, rows, H, u0, u1);
    return;
  }
  for (int b = 0; b < rows; b++) {
    const float *gb = g + b * 4 * H;
    float *db = dg + b * 4 * H;
    for (int j = u0; j < u1; j += 4) {
      int n = lanes(j, u1), o1 = b * H + j;
      f4 i = loadn(gb + j, n), f = loadn(gb + H + j, n), u = loadn(gb + 2 * H + j, n), o = loadn(gb + 3 * H + j, n);
      f4 t = loadn(tc + o1, n), dhv = loadn(dh + o1, n);
      f4 dcv = dhv * o * (SPLAT(1.f) - t * t) + loadn(dc + o1, n);
      storen(db + j, dcv * u * i * (SPLAT(1.f) - i), n);
      storen(db + H + j, dcv * loadn(c_prev + o1, n) * f * (SPLAT(1.f) - f), n);
      storen(db + 2 * H + j, dcv * i * (SPLAT(1.f) - u * u), n);
      storen(db + 3 * H + j, dhv * t * o * (SPLAT(1.f) - o), n);
      storen(dc + o1, dcv * f, n);
    }
  }
}

// ---- GRU (Keras reset_after: gates z, r, h; h_t = z*h_{t-1} + (1-z)*n) ----
// g: x.W (stride 3H), replaced by z, r, n. rg: h_{t-1}.U (stride 3H). rh (optional, stride H) keeps
// the recurrent candidate term h_{t-1}.U_h + b_rec_h that the reset gate multiplies.
void gru_forward(float *g, const float *rg, const float *b_in, const float *b_rec, const float *h_prev, int ldhp,
                 float *h, int ldh, float *rh, int rows, int H, int u0, int u1) {
  for (int b = 0; b < rows; b++) {
    float *gb = g + b * 3 * H;
    const float *rb = rg + b * 3 * H;
    for (int j = u0; j < u1; j += 4) {
      int n = lanes(j, u1);
      f4 z = vsigmoid(loadn(gb + j, n) + loadn(b_in + j, n) + loadn(rb + j, n) + loadn(b_rec + j, n));
      f4 r = vsigmoid(loadn(gb + H + j, n) + loadn(b_in + H + j, n) + loadn(rb + H + j, n) + loadn(b_rec + H + j, n));
      f4 rhv = loadn(rb + 2 * H + j, n) + loadn(b_rec + 2 * H + j, n);
      f4 cand = vtanh(loadn(gb + 2 * H + j, n) + loadn(b_in + 2 * H + j, n) + r * rhv);
      f4 hp = loadn(h_prev + b * ldhp + j, n);
      storen(gb + j, z, n);
      storen(gb + H + j, r, n);
      storen(gb + 2 * H + j, cand, n);
      if (rh) storen(rh + b * H + j, rhv, n);
      storen(h + b * ldh + j, z * hp + (SPLAT(1.f) - z) * cand, n);
    }
  }
}

// dg: gradients of the input-side pre-activations; dr: of the recurrent side (they differ in the
// candidate: the recurrent term is scaled by r). dh_prev += dh*z, the direct path to h_{t-1}
// (skipped when null, at the first step of a truncated sequence).
void gru_backward(const float *g, const float *rh, const float *h_prev, const float *dh, float *dg, float *dr,
                  float *dh_prev, int rows, int H, int u0, int u1) {
  for (int b = 0; b < rows; b++) {
    const float *gb = g + b * 3 * H;
    float *dgb = dg + b * 3 * H, *drb = dr + b * 3 * H;
    for (int j = u0; j < u1; j += 4) {
      int n = lanes(j, u1), o1 = b * H + j;
      f4 z = loadn(gb + j, n), r = loadn(gb + H + j, n), cand = loadn(gb + 2 * H + j, n);
      f4 dhv = loadn(dh + o1, n), hp = loadn(h_prev + o1, n);
      f4 dz = dhv * (hp - cand) * z * (SPLAT(1.f) - z);
      f4 dn = dhv * (SPLAT(1.f) - z) * (SPLAT(1.f) - cand * cand);
      f4 drr = dn * loadn(rh + o1, n) * r * (SPLAT(1.f) - r);
      storen(dgb + j, dz, n);
      storen(dgb + H + j, drr, n);
      storen(dgb + 2 * H + j, dn, n);
      storen(drb + j, dz, n);
      storen(drb + H + j, drr, n);
      storen(drb + 2 * H + j, dn * r, n);
      if (dh_prev) storen(dh_prev + o1, loadn(dh_prev + o1, n) + dhv * z, n);
    }
  }
}

// ---- vanilla RNN: h_t = tanh(x.W + h_{t-1}.U + b) ----
void rnn_forward(const float *g, const float *bias, float *h, int ldh, int rows, int H, int u0, int u1) {
  for (int b = 0; b < rows; b++)
    for (int j = u0; j < u1; j += 4) {
      int n = lanes(j, u1);
      storen(h + b * ldh + j, vtanh(loadn(g + b * H + j, n) + loadn(bias + j, n)), n);
    }
}

void rnn_backward(const float *h, const float *dh, float *dg, int rows, int H, int u0, int u1) {
  for (int b = 0; b < rows; b++)
    for (int j = u0; j < u1; j += 4) {
      int n = lanes(j, u1), o = b * H + j;
      f4 hv = loadn(h + o, n);
      storen(dg + o, loadn(dh + o, n) * (SPLAT(1.f) - hv * hv), n);
    }
}
