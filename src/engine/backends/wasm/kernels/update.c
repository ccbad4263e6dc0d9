// The optimizer update at the end of a training pass: the global norm of the gradients, clipping,
// and the per-parameter rule of each optimizer in optim/optimizers.ts. The host computes every
// scalar of the step (Optimizer.nextStep); here each parameter's arithmetic is the TypeScript
// loop's, in float64 and in the same order, so the parameters and the state come out with the
// same bits, and the gradient norm too (clip.ts sums the squares by the same chunks).
#include "kernels.h"

// Unlike the other kernels, this file is compiled without -ffast-math (scripts/build-wasm.sh): no
// reassociation, fused multiply-adds or reciprocals may change a bit. Its functions are never
// inlined, so link-time optimisation cannot merge their floating-point rules with a fast-math
// caller's (they run once per thread per step).
#define PRECISE __attribute__((noinline))

PRECISE void update_partials(Update *u, const float *g, int n, int c0, int c1) {
  for (int c = c0; c < c1; c++) {
    int end = imin(n, (c + 1) * u->chunk);
    double part = 0;
    for (int i = c * u->chunk; i < end; i++) part += (double)g[i] * (double)g[i];
    u->partials[c] = part;
  }
}

PRECISE double update_norm(const Update *u, int chunks) {
  double sum = 0;
  for (int c = 0; c < chunks; c++) sum += u->partials[c];
  return __builtin_sqrt(sum);
}

// Parameters [c0 * chunk, c1 * chunk) of n: clip their gradients (kept clipped, as clip.ts leaves
// them), then update them and their state.
PRECISE void update_apply(const Update *u, float *p, float *g, int n, double norm, int c0, int c1) {
  int a = imin(n, c0 * u->chunk), b = imin(n, c1 * u->chunk);
  if (u->clip_norm > 0 && norm > u->clip_norm) {
    double scale = u->clip_norm / norm;
    for (int i = a; i < b; i++) g[i] = (float)(g[i] * scale);
  }
  const double *k = u->k;
  double *s = u->state[0], *d = u->state[1];
  switch (u->rule) {
    case UPDATE_SGD:
      for (int i = a; i < b; i++) p[i] = (float)(p[i] - k[0] * g[i]);
      break;
    case UPDATE_MOMENTUM: // [lr, mu]
      for (int i = a; i < b; i++) {
        s[i] = k[1] * s[i] + g[i];
        p[i] = (float)(p[i] - k[0] * s[i]);
      }
      break;
    case UPDATE_RMSPROP: // [lr, rho, 1 - rho, eps]
      for (int i = a; i < b; i++) {
        double gi = g[i];
        s[i] = k[1] * s[i] + k[2] * gi * gi;
        p[i] = (float)(p[i] - (k[0] * gi) / (__builtin_sqrt(s[i]) + k[3]));
      }
      break;
    case UPDATE_ADAM: // [lr / c1, beta1, 1 - beta1, beta2, 1 - beta2, 1 / sqrt(c2), eps]; s = m, d = v
      for (int i = a; i < b; i++) {
        double gi = g[i];
        double mi = k[1] * s[i] + k[2] * gi;
        double vi = k[3] * d[i] + k[4] * gi * gi;
        s[i] = mi;
        d[i] = vi;
        p[i] = (float)(p[i] - (k[0] * mi) / (__builtin_sqrt(vi) * k[5] + k[6]));
      }
      break;
    case UPDATE_ADAGRAD: // [lr, eps]
      for (int i = a; i < b; i++) {
        double gi = g[i];
        s[i] += gi * gi;
        p[i] = (float)(p[i] - (k[0] * gi) / (__builtin_sqrt(s[i]) + k[1]));
      }
      break;
    case UPDATE_ADADELTA: // [lr, rho, 1 - rho, eps]; s = mean square, d = mean delta
      for (int i = a; i < b; i++) {
        double gi = g[i];
        s[i] = k[1] * s[i] + k[2] * gi * gi;
        double delta = (__builtin_sqrt(d[i] + k[3]) / __builtin_sqrt(s[i] + k[3])) * gi;
        d[i] = k[1] * d[i] + k[2] * delta * delta;
        p[i] = (float)(p[i] - k[0] * delta);
      }
      break;
  }
}
