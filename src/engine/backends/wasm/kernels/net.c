// The cuDNN-style driver: for each layer, one big matmul for the input projections of all time
// steps, then one h.U matmul per step (U packed once per pass), the cell's element-wise step, and
// in backward the per-step dG.U^T with the weight gradients as big matmuls at the end. Each
// thread runs this over its own rows of the batch (see Job); the caller sums the gradients.
#include "kernels.h"

typedef unsigned int u32;

static inline int gates(int cell) { return cell == CELL_LSTM ? 4 : cell == CELL_GRU ? 3 : 1; }
static inline int state_floats(const Net *n) { return n->cell == CELL_LSTM ? 2 * n->hidden : n->hidden; }
static inline int round4(int n) { return (n + 3) & ~3; }

int net_struct_bytes(void) { return sizeof(Net); }
int job_struct_bytes(void) { return sizeof(Job); }
int step_struct_bytes(void) { return sizeof(StepJob); }

// ---- natural log in double precision (no libm): x = m * 2^e, ln m by the atanh series ----
static double ln(double x) {
  union { double d; unsigned long long u; } v = {x};
  int e = (int)((v.u >> 52) & 0x7ff) - 1023;
  v.u = (v.u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
  double m = v.d;
  if (m > 1.4142135623730951) { m *= 0.5; e++; }
  double s = (m - 1.0) / (m + 1.0), s2 = s * s;
  double p = 1.0 / 13;
  p = p * s2 + 1.0 / 11;
  p = p * s2 + 1.0 / 9;
  p = p * s2 + 1.0 / 7;
  p = p * s2 + 1.0 / 5;
  p = p * s2 + 1.0 / 3;
  p = p * s2 + 1.0;
  return 2.0 * s * p + e * 0.6931471805599453;
}

// ---- dropout masks: a counter-based hash, so a mask depends only on (seed, site, row, step, unit)
// and not on how the batch is split across threads. Site l = the output of layer l. ----
static inline u32 mix32(u32 x) {
  x ^= x >> 16; x *= 0x7feb352dU; x ^= x >> 15; x *= 0x846ca68bU; x ^= x >> 16;
  return x;
}
static inline v128_t vmix32(v128_t x) {
  x = wasm_v128_xor(x, wasm_u32x4_shr(x, 16)); x = wasm_i32x4_mul(x, wasm_i32x4_splat(0x7feb352d));
  x = wasm_v128_xor(x, wasm_u32x4_shr(x, 15)); x = wasm_i32x4_mul(x, wasm_i32x4_splat((int)0x846ca68bU));
  return wasm_v128_xor(x, wasm_u32x4_shr(x, 16));
}

u32 dropout_hash(u32 seed, u32 site, u32 row, u32 step, u32 unit) {
  return mix32(mix32(mix32(mix32(mix32(seed) ^ site) ^ row) ^ step) ^ unit);
}

// dst = src * mask, mask = 0 (dropped: hash < p * 2^32) or 1 / (1 - p), over time-major rows.
static void apply_dropout(const Job *job, int site, const float *src, float *dst, int H) {
  double p = job->dropout;
  v128_t threshold = wasm_i32x4_splat((int)(u32)(p * 4294967296.0));
  f4 keep_scale = SPLAT((float)(1.0 / (1.0 - p)));
  u32 site_key = mix32(mix32(job->seed) ^ (u32)site);
  for (int t = 0; t < job->steps; t++)
    for (int b = 0; b < job->rows; b++) {
      u32 key = mix32(mix32(site_key ^ (u32)(job->row0 + b)) ^ (u32)t);
      int r = (t * job->rows + b) * H;
      for (int j = 0; j < H; j += 4) {
        int n = lanes(j, H);
        v128_t u = vmix32(wasm_v128_xor(wasm_i32x4_splat((int)key), wasm_i32x4_make(j, j + 1, j + 2, j + 3)));
        v128_t kept = wasm_u32x4_ge(u, threshold);
        storen(dst + r + j, loadn(src + r + j, n) * (f4)wasm_v128_and(kept, (v128_t)keep_scale), n);
      }
    }
}

// ---- softmax cross-entropy over rows of logits (bias added here); returns sum of w * -ln p.
// With `grad`, Z is replaced by dL/dz = (softmax - onehot) * w * scale, w = mask (1 when absent).
static double softmax_xent(float *Z, int rows, int V, const float *bias, const int *targets, const float *mask,
                           float scale, int grad) {
  double loss = 0;
  for (int r = 0; r < rows; r++) {
    float *z = Z + r * V;
    float w = mask ? mask[r] : 1.f;
    if (w == 0.f) {
      if (grad) fill(z, 0.f, V);
      continue;
    }
    f4 mv = SPLAT(-3.4e38f);
    for (int k = 0; k < V; k += 4) {
      int n = lanes(k, V);
      f4 x = loadn(z + k, n) + loadn(bias + k, n);
      storen(z + k, x, n);
      if (n < 4) for (int q = n; q < 4; q++) x[q] = -3.4e38f;
      mv = vmax(mv, x);
    }
    float m = mv[0] > mv[1] ? mv[0] : mv[1];
    float m2 = mv[2] > mv[3] ? mv[2] : mv[3];
    m = m > m2 ? m : m2;
    int t = targets[r];
    float zt = z[t];
    f4 sv = SPLAT(0.f);
    for (int k = 0; k < V; k += 4) {
      int n = lanes(k, V);
      f4 e = vexp(loadn(z + k, n) - SPLAT(m));
      if (n < 4) for (int q = n; q < 4; q++) e[q] = 0.f;
      storen(z + k, e, n);
      sv += e;
    }
    float s = hsum(sv);
    loss += w * (ln(s) - (double)(zt - m));
    if (grad) {
      f4 inv = SPLAT(w * scale / s);
      for (int k = 0; k < V; k += 4) {
        int n = lanes(k, V);
        storen(z + k, loadn(z + k, n) * inv, n);
      }
      z[t] -= w * scale;
    }
  }
  return loss;
}

static void gather_rows(float *dst, const float *table, const int *ids, int rows, int N) {
  for (int r = 0; r < rows; r++) copy(dst + r * N, table + ids[r] * N, N);
}
static void scatter_add_rows(float *table, const int *ids, const float *src, int rows, int N) {
  for (int r = 0; r < rows; r++) add_into(table + ids[r] * N, src + r * N, N);
}

// ---- workspace: every buffer a pass needs, carved from one block (job->work == 0: size only) ----
#define TAKE(n) (cursor += round4(n), cursor - round4(n))
static int carve(Job *job, int with_dropout) {
  const Net *net = job->net;
  int H = net->hidden, G = gates(net->cell), GH = G * H, R = job->rows, T = job->steps, TR = T * R;
  int V = net->vocab, E = net->embed, wide = imax(H, E);
  float *base = job->work, *cursor = base;
  for (int l = 0; l < net->layers; l++) {
    job->g[l] = TAKE(TR * GH);
    job->hs[l] = TAKE((T + 1) * R * H);
    job->cs[l] = net->cell == CELL_LSTM ? TAKE((T + 1) * R * H) : 0;
    job->tc[l] = net->cell == CELL_LSTM ? TAKE(TR * H) : 0;
    job->rh[l] = net->cell == CELL_GRU ? TAKE(TR * H) : 0;
    job->drop[l] = with_dropout ? TAKE(TR * H) : 0;
  }
  job->xemb = E > 0 ? TAKE(TR * E) : 0;
  job->rg = net->cell == CELL_GRU ? TAKE(R * GH) : 0;
  job->dg = TAKE(TR * GH);
  job->dr = net->cell == CELL_GRU ? TAKE(TR * GH) : 0;
  job->dha = TAKE(TR * wide);
  job->dhb = TAKE(TR * wide);
  job->dc = TAKE(R * H);
  // Output logits in chunks of rows, so memory stays small for large vocabularies.
  job->zrows = imax(1, imin(TR, (1 << 18) / V));
  job->z = TAKE(job->zrows * V);
  job->pa = TAKE(pack_a_floats());
  job->pb = TAKE(pack_b_floats());
  job->upack = TAKE(imax(packed_b_floats(H, GH), packed_b_floats(GH, H)));
  job->in_tm = (int *)TAKE(TR);
  job->out_tm = (int *)TAKE(TR);
  job->mask_tm = TAKE(TR);
  job->dense_y = net->dense ? TAKE(TR * net->dense) : 0;
  job->dense_dy = net->dense ? TAKE(TR * net->dense) : 0;
  return (int)(cursor - base);
}

int job_work_floats(Job *job, int with_dropout) {
  float *saved = job->work;
  job->work = 0;
  int n = carve(job, with_dropout);
  job->work = saved;
  return n;
}

// ---- one layer forward over all steps ----
static void layer_forward(Job *job, int l) {
  const Net *net = job->net;
  const float *P = net->params;
  int H = net->hidden, G = gates(net->cell), GH = G * H, R = job->rows, T = job->steps, TR = T * R, RH = R * H;
  int S = state_floats(net), L = net->layers;
  const float *W = P + net->kernel_off[l], *U = P + net->rec_off[l], *bias = P + net->bias_off[l];
  float *g = job->g[l], *hs = job->hs[l], *cs = job->cs[l];

  // Input projections of every step: one-hot input is a row gather, never a dense matmul.
  if (l == 0 && net->embed == 0) {
    gather_rows(g, W, job->in_tm, TR, GH);
  } else if (l == 0) {
    gather_rows(job->xemb, P + net->emb_off, job->in_tm, TR, net->embed);
    sgemm(0, 0, TR, GH, net->embed, job->xemb, net->embed, W, GH, g, GH, 0, job->pa, job->pb);
  } else {
    const float *x = job->drop[l - 1] ? job->drop[l - 1] : job->hs[l - 1] + RH;
    sgemm(0, 0, TR, GH, H, x, H, W, GH, g, GH, 0, job->pa, job->pb);
  }

  // Initial state: carried over from the previous pass, or zeros.
  for (int b = 0; b < R; b++) {
    const float *s = job->state + ((job->row0 + b) * L + l) * S;
    if (job->carry) copy(hs + b * H, s, H); else fill(hs + b * H, 0.f, H);
    if (cs) { if (job->carry) copy(cs + b * H, s + H, H); else fill(cs + b * H, 0.f, H); }
  }

  pack_b_full(0, U, GH, H, GH, job->upack);
  for (int t = 0; t < T; t++) {
    float *gt = g + t * R * GH, *h_prev = hs + t * RH, *h = hs + (t + 1) * RH;
    if (net->cell == CELL_LSTM) {
      sgemm_packed(0, R, GH, H, h_prev, H, job->upack, gt, GH, 1, job->pa);
      lstm_forward(gt, bias, cs + t * RH, H, cs + (t + 1) * RH, H, job->tc[l] + t * RH, h, H, R, H);
    } else if (net->cell == CELL_GRU) {
      sgemm_packed(0, R, GH, H, h_prev, H, job->upack, job->rg, GH, 0, job->pa);
      gru_forward(gt, job->rg, bias, bias + GH, h_prev, H, h, H, job->rh[l] + t * RH, R, H);
    } else {
      sgemm_packed(0, R, GH, H, h_prev, H, job->upack, gt, GH, 1, job->pa);
      rnn_forward(gt, bias, h, H, R, H);
    }
  }

  for (int b = 0; b < R; b++) {
    float *s = job->state + ((job->row0 + b) * L + l) * S;
    copy(s, hs + T * RH + b * H, H);
    if (cs) copy(s + H, cs + T * RH + b * H, H);
  }
  if (job->drop[l]) apply_dropout(job, l, hs + RH, job->drop[l], H);
}

// ---- one layer backward: dh holds dL/d(output of layer l) for every step (consumed);
// writes dL/d(input of layer l) into dx (layers above 0 and the embedding). ----
static void layer_backward(Job *job, int l, float *dh, float *dx) {
  const Net *net = job->net;
  const float *P = net->params;
  float *D = job->grads;
  int H = net->hidden, G = gates(net->cell), GH = G * H, R = job->rows, T = job->steps, TR = T * R, RH = R * H;
  const float *W = P + net->kernel_off[l], *U = P + net->rec_off[l];
  float *g = job->g[l], *hs = job->hs[l], *dg = job->dg;
  float *drec = net->cell == CELL_GRU ? job->dr : dg; // what multiplies U in the recurrence

  if (job->drop[l]) apply_dropout(job, l, dh, dh, H);
  fill(job->dc, 0.f, RH);
  pack_b_full(1, U, GH, GH, H, job->upack); // U^T
  for (int t = T - 1; t >= 0; t--) {
    float *dht = dh + t * RH, *dgt = dg + t * R * GH, *gt = g + t * R * GH;
    float *dh_prev = t > 0 ? dh + (t - 1) * RH : 0;
    if (net->cell == CELL_LSTM)
      lstm_backward(gt, job->cs[l] + t * RH, job->tc[l] + t * RH, dht, job->dc, dgt, R, H);
    else if (net->cell == CELL_GRU)
      gru_backward(gt, job->rh[l] + t * RH, hs + t * RH, dht, dgt, job->dr + t * R * GH, dh_prev, R, H);
    else
      rnn_backward(hs + (t + 1) * RH, dht, dgt, R, H);
    if (dh_prev) sgemm_packed(0, R, H, GH, drec + t * R * GH, GH, job->upack, dh_prev, H, 1, job->pa);
  }

  // Weight gradients of all steps at once.
  sgemm(1, 0, H, GH, TR, hs, H, drec, GH, D + net->rec_off[l], GH, 1, job->pa, job->pb);
  float *db = D + net->bias_off[l];
  if (net->cell == CELL_GRU) colsum_add(db + GH, job->dr, TR, GH, GH);
  if (l == 0 && net->embed == 0) {
    // One-hot input: the kernel's gradient is a scatter of the rows of dg, and the bias sums the
    // same rows; one pass over dg (TR x GH, far larger than the cache) serves both.
    for (int r = 0; r < TR; r++) {
      add_into(D + net->kernel_off[l] + job->in_tm[r] * GH, dg + r * GH, GH);
      add_into(db, dg + r * GH, GH);
    }
    return;
  }
  colsum_add(db, dg, TR, GH, GH);
  if (l == 0) {
    int E = net->embed;
    sgemm(1, 0, E, GH, TR, job->xemb, E, dg, GH, D + net->kernel_off[l], GH, 1, job->pa, job->pb);
    sgemm(0, 1, TR, E, GH, dg, GH, W, GH, dx, E, 0, job->pa, job->pb);
    scatter_add_rows(D + net->emb_off, job->in_tm, dx, TR, E);
  } else {
    const float *x = job->drop[l - 1] ? job->drop[l - 1] : job->hs[l - 1] + RH;
    sgemm(1, 0, H, GH, TR, x, H, dg, GH, D + net->kernel_off[l], GH, 1, job->pa, job->pb);
    sgemm(0, 1, TR, H, GH, dg, GH, W, GH, dx, H, 0, job->pa, job->pb);
  }
}

// Forward (and backward when job->backward) over this job's rows. Returns job->status.
int job_run(Job *job) {
  const Net *net = job->net;
  const float *P = net->params;
  int L = net->layers, H = net->hidden, V = net->vocab, R = job->rows, T = job->steps, TR = T * R;
  carve(job, job->dropout_on);
  job->loss_sum = 0;
  job->status = 0;

  // Batch-major ids and mask -> time-major rows of this share.
  for (int t = 0; t < T; t++)
    for (int b = 0; b < R; b++) {
      int src = (job->row0 + b) * T + t;
      job->in_tm[t * R + b] = job->inputs[src];
      job->out_tm[t * R + b] = job->targets[src];
      job->mask_tm[t * R + b] = job->mask ? job->mask[src] : 1.f;
    }
  if (job->backward) fill(job->grads, 0.f, net->param_count);

  for (int l = 0; l < L; l++) layer_forward(job, l);

  const float *top = job->drop[L - 1] ? job->drop[L - 1] : job->hs[L - 1] + R * H;
  // The output layer reads the Dense hidden layer (K = its units) when there is one, else the top.
  const float *out_in = top;
  int K = H;
  if (net->dense) {
    dense_forward(net, top, H, TR, job->dense_y, job->pa, job->pb);
    out_in = job->dense_y;
    K = net->dense;
  }
  const float *Wy = P + net->out_kernel_off, *by = P + net->out_bias_off;
  float *dout = net->dense ? job->dense_dy : job->dha;
  for (int r0 = 0; r0 < TR; r0 += job->zrows) {
    int n = imin(job->zrows, TR - r0);
    sgemm(0, 0, n, V, K, out_in + r0 * K, K, Wy, V, job->z, V, 0, job->pa, job->pb);
    job->loss_sum += softmax_xent(job->z, n, V, by, job->out_tm + r0, job->mask_tm + r0, job->grad_scale,
                                  job->backward);
    if (!job->backward) continue;
    float *D = job->grads;
    sgemm(1, 0, K, V, n, out_in + r0 * K, K, job->z, V, D + net->out_kernel_off, V, 1, job->pa, job->pb);
    colsum_add(D + net->out_bias_off, job->z, n, V, V);
    sgemm(0, 1, n, K, V, job->z, V, Wy, V, dout + r0 * K, K, 0, job->pa, job->pb);
  }
  if (!job->backward) return 0;
  if (net->dense) dense_backward(net, top, job->dense_y, job->dense_dy, TR, job->grads, job->dha, job->pa, job->pb);

  float *dh = job->dha, *dx = job->dhb;
  for (int l = L - 1; l >= 0; l--) {
    layer_backward(job, l, dh, dx);
    float *tmp = dh; dh = dx; dx = tmp;
  }
  return 0;
}

// ---- stepper ----
static void matmul_rows(const float *X, int ldx, int n, int K, const float *W, int N, float *Y, int beta, float *pa,
                        float *pb) {
  if (n < 4) {
    for (int b = 0; b < n; b++) gemv(X + b * ldx, K, W, N, N, Y + b * N, beta);
  } else {
    sgemm(0, 0, n, N, K, X, ldx, W, N, Y, N, beta, pa, pb);
  }
}

#define STEP_TAKE(n) (cursor += round4(n), cursor - round4(n))
int step_work_floats(const Net *net, int batch) {
  int GH = gates(net->cell) * net->hidden;
  return 2 * round4(batch * GH) + round4(batch * imax(1, net->embed)) + round4(batch * imax(1, net->dense)) +
         pack_a_floats() + pack_b_floats();
}

void step_run(StepJob *job) {
  const Net *net = job->net;
  const float *P = net->params;
  int n = job->batch, H = net->hidden, GH = gates(net->cell) * H, V = net->vocab, E = net->embed;
  int S = state_floats(net), ld = net->layers * S;
  float *cursor = job->work;
  float *g = STEP_TAKE(n * GH), *rg = STEP_TAKE(n * GH), *xe = STEP_TAKE(n * imax(1, E));
  float *pa = STEP_TAKE(pack_a_floats()), *pb = STEP_TAKE(pack_b_floats());
  float *dense_y = STEP_TAKE(n * imax(1, net->dense));

  for (int l = 0; l < net->layers; l++) {
    const float *W = P + net->kernel_off[l], *U = P + net->rec_off[l], *bias = P + net->bias_off[l];
    float *h = job->state + l * S;
    if (l == 0 && E == 0) {
      gather_rows(g, W, job->tokens, n, GH);
    } else if (l == 0) {
      gather_rows(xe, P + net->emb_off, job->tokens, n, E);
      matmul_rows(xe, E, n, E, W, GH, g, 0, pa, pb);
    } else {
      matmul_rows(job->state + (l - 1) * S, ld, n, H, W, GH, g, 0, pa, pb);
    }
    if (net->cell == CELL_LSTM) {
      matmul_rows(h, ld, n, H, U, GH, g, 1, pa, pb);
      lstm_forward(g, bias, h + H, ld, h + H, ld, 0, h, ld, n, H);
    } else if (net->cell == CELL_GRU) {
      matmul_rows(h, ld, n, H, U, GH, rg, 0, pa, pb);
      gru_forward(g, rg, bias, bias + GH, h, ld, h, ld, 0, n, H);
    } else {
      matmul_rows(h, ld, n, H, U, GH, g, 1, pa, pb);
      rnn_forward(g, bias, h, ld, n, H);
    }
  }
  const float *top = job->state + (net->layers - 1) * S;
  if (net->dense) {
    dense_forward(net, top, ld, n, dense_y, pa, pb);
    matmul_rows(dense_y, net->dense, n, net->dense, P + net->out_kernel_off, V, job->logits, 0, pa, pb);
  } else {
    matmul_rows(top, ld, n, H, P + net->out_kernel_off, V, job->logits, 0, pa, pb);
  }
  for (int b = 0; b < n; b++) add_into(job->logits + b * V, P + net->out_bias_off, V);
}
