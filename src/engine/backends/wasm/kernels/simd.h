// Four-lane float vectors for wasm32 + SIMD128, with loads/stores that handle the ragged tail of
// a row (so sizes need not be multiples of 4), a multiply-add, and vectorised exp / sigmoid / tanh
// (there is no libm here). No libc, no stack arrays: every instance on every thread shares one
// linear memory.
#ifndef RNNLAB_SIMD_H
#define RNNLAB_SIMD_H
#include <wasm_simd128.h>

typedef float f4 __attribute__((vector_size(16)));

#define SPLAT(c) ((f4){(c), (c), (c), (c)})

static inline f4 load4(const float *p) { return (f4)wasm_v128_load(p); }
static inline void store4(float *p, f4 v) { wasm_v128_store(p, (v128_t)v); }

// Loads n (1..4) floats; missing lanes are 0.
static inline f4 loadn(const float *p, int n) {
  if (n == 4) return load4(p);
  f4 v = SPLAT(0.f);
  for (int k = 0; k < n; k++) v[k] = p[k];
  return v;
}
static inline void storen(float *p, f4 v, int n) {
  if (n == 4) {
    store4(p, v);
    return;
  }
  for (int k = 0; k < n; k++) p[k] = v[k];
}
static inline int lanes(int j, int size) { return size - j < 4 ? size - j : 4; }

// a * b + c. SIMD128 has no fused multiply-add; relaxed SIMD (the kernels-relaxed.wasm build,
// -mrelaxed-simd) has f32x4.relaxed_madd, which the runtime may fuse (one FMA instruction on x86
// with FMA3) or not: either way within float rounding of a * b + c, and always the same on one
// machine, so results stay reproducible there.
#ifdef __wasm_relaxed_simd__
static inline f4 madd(f4 a, f4 b, f4 c) { return (f4)__builtin_wasm_relaxed_madd_f32x4(a, b, c); }
#else
static inline f4 madd(f4 a, f4 b, f4 c) { return a * b + c; }
#endif

static inline f4 vmax(f4 a, f4 b) { return (f4)wasm_f32x4_pmax((v128_t)a, (v128_t)b); }
static inline f4 vmin(f4 a, f4 b) { return (f4)wasm_f32x4_pmin((v128_t)a, (v128_t)b); }

// exp with the Cephes polynomial (relative error ~1e-7 over the clamped range).
static inline f4 vexp(f4 x) {
  x = vmax(x, SPLAT(-87.3f));
  x = vmin(x, SPLAT(88.3f));
  f4 n = (f4)wasm_f32x4_nearest((v128_t)(x * SPLAT(1.44269504088896341f)));
  f4 r = x - n * SPLAT(0.693359375f) - n * SPLAT(-2.12194440e-4f);
  f4 p = SPLAT(1.9875691500E-4f);
  p = madd(p, r, SPLAT(1.3981999507E-3f));
  p = madd(p, r, SPLAT(8.3334519073E-3f));
  p = madd(p, r, SPLAT(4.1665795894E-2f));
  p = madd(p, r, SPLAT(1.6666665459E-1f));
  p = madd(p, r, SPLAT(5.0000001201E-1f));
  f4 y = madd(p, r * r, r + SPLAT(1.f));
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4((v128_t)n), wasm_i32x4_splat(127)), 23);
  return y * (f4)e;
}
static inline f4 vsigmoid(f4 x) { return SPLAT(1.f) / (SPLAT(1.f) + vexp(-x)); }
// tanh(x) = 1 - 2 / (exp(2x) + 1): no cancellation for large |x|, absolute error ~1e-7 near 0.
static inline f4 vtanh(f4 x) { return SPLAT(1.f) - SPLAT(2.f) / (vexp(SPLAT(2.f) * x) + SPLAT(1.f)); }

static inline float hsum(f4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }
static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

#endif
