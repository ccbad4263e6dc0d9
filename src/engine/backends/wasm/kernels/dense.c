// The optional Dense hidden layer between the top recurrent layer and the softmax:
// y = act(x.Wd + bd), act = relu | tanh | linear (Net.dense_act). Kept apart from the recurrent
// driver (net.c), which only calls these three functions when Net.dense > 0.
#include "kernels.h"

// y[rows, D] = act(x[rows, H] . Wd + bd); x rows are ldx apart. Few rows (the stepper) use
// matrix-vector products, many rows one matrix product.
void dense_forward(const Net *net, const float *x, int ldx, int rows, float *y, float *pa, float *pb) {
  const float *P = net->params;
  int H = net->layer_hidden[net->layers - 1], D = net->dense;
  const float *W = P + net->dense_kernel_off, *bias = P + net->dense_bias_off;
  if (rows < 4) {
    for (int r = 0; r < rows; r++) gemv(x + r * ldx, H, W, D, D, y + r * D, 0);
  } else {
    sgemm(0, 0, rows, D, H, x, ldx, W, D, y, D, 0, pa, pb);
  }
  for (int r = 0; r < rows; r++) {
    float *yr = y + r * D;
    for (int j = 0; j < D; j += 4) {
      int n = lanes(j, D);
      f4 v = loadn(yr + j, n) + loadn(bias + j, n);
      if (net->dense_act == DENSE_RELU) v = vmax(v, SPLAT(0.f));
      else if (net->dense_act == DENSE_TANH) v = vtanh(v);
      storen(yr + j, v, n);
    }
  }
}

// dy holds dL/dy [rows, D] and is replaced by dL/d(pre-activation); adds the layer's weight
// gradients into `grads` and writes dL/dx [rows, H] into dx (overwriting).
void dense_backward(const Net *net, const float *x, const float *y, float *dy, int rows, float *grads, float *dx,
                    float *pa, float *pb) {
  const float *P = net->params;
  int H = net->layer_hidden[net->layers - 1], D = net->dense;
  for (int r = 0; r < rows; r++) {
    const float *yr = y + r * D;
    float *dr = dy + r * D;
    for (int j = 0; j < D; j += 4) {
      int n = lanes(j, D);
      f4 d = loadn(dr + j, n), v = loadn(yr + j, n);
      // Derivatives of the activation in terms of its output.
      if (net->dense_act == DENSE_RELU) d = (f4)wasm_v128_and((v128_t)d, wasm_f32x4_gt((v128_t)v, (v128_t)SPLAT(0.f)));
      else if (net->dense_act == DENSE_TANH) d = d * (SPLAT(1.f) - v * v);
      storen(dr + j, d, n);
    }
  }
  sgemm(1, 0, H, D, rows, x, H, dy, D, grads + net->dense_kernel_off, D, 1, pa, pb);
  colsum_add(grads + net->dense_bias_off, dy, rows, D, D);
  sgemm(0, 1, rows, H, D, dy, D, P + net->dense_kernel_off, D, dx, H, 0, pa, pb);
}
