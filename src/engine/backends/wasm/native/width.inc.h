// The code products.c has at both vector widths, written once: included once per width with V (a
// float vector type of W lanes), VI (the int vector of the same size) and FN(name) defined, inside
// a target pragma; the end of this file undefines them again. products.c builds with
// -ffp-contract=fast, so a * b + c is one fused multiply-add at either width, and the widths give
// the same bits.
//   - the batch-1 matrix-vector product's walk down 8 vectors of columns (gemm.c's gemv);
//   - the LSTM's element-wise step (cells.c: lstm_forward, lstm_backward), with cells.c's
//     arithmetic, exp included (the same Cephes polynomial), so the native and WebAssembly cells
//     agree to float rounding.

static inline V FN(splat)(float c) { return (V){0} + c; }

// Loads n (1..W) floats, missing lanes 0; stores n. Whole vectors take one unaligned move.
static inline V FN(load)(const float *p, int n) {
  V v = {0};
  if (n == W) __builtin_memcpy(&v, p, sizeof v);
  else for (int k = 0; k < n; k++) v[k] = p[k];
  return v;
}
static inline void FN(store)(float *p, V v, int n) {
  if (n == W) __builtin_memcpy(p, &v, sizeof v);
  else for (int k = 0; k < n; k++) p[k] = v[k];
}

// min / max by blending on a comparison (vector ?: is C++ only).
static inline V FN(vmax)(V a, V b) {
  VI m = a > b;
  return (V)(((VI)a & m) | ((VI)b & ~m));
}
static inline V FN(vmin)(V a, V b) {
  VI m = a < b;
  return (V)(((VI)a & m) | ((VI)b & ~m));
}

// y[0:8W] (+)= x[0:K] . W[:, 0:8W]: one walk down the rows with y in eight registers (eight
// independent chains of multiply-adds keep both FMA units busy despite their latency).
static void FN(gemv_cols)(const float *x, int K, const float *w, int ldw, float *y, int beta) {
  V acc[8];
  for (int i = 0; i < 8; i++) acc[i] = beta ? FN(load)(y + W * i, W) : FN(splat)(0.f);
  V y0 = acc[0], y1 = acc[1], y2 = acc[2], y3 = acc[3], y4 = acc[4], y5 = acc[5], y6 = acc[6], y7 = acc[7];
  for (int k = 0; k < K; k++, w += ldw) {
    V xk = FN(splat)(x[k]);
    y0 = xk * FN(load)(w, W) + y0;
    y1 = xk * FN(load)(w + W, W) + y1;
    y2 = xk * FN(load)(w + 2 * W, W) + y2;
    y3 = xk * FN(load)(w + 3 * W, W) + y3;
    y4 = xk * FN(load)(w + 4 * W, W) + y4;
    y5 = xk * FN(load)(w + 5 * W, W) + y5;
    y6 = xk * FN(load)(w + 6 * W, W) + y6;
    y7 = xk * FN(load)(w + 7 * W, W) + y7;
  }
  acc[0] = y0; acc[1] = y1; acc[2] = y2; acc[3] = y3; acc[4] = y4; acc[5] = y5; acc[6] = y6; acc[7] = y7;
  for (int i = 0; i < 8; i++) FN(store)(y + W * i, acc[i], W);
}

static inline V FN(vexp)(V x) {
  x = FN(vmax)(x, FN(splat)(-87.3f));
  x = FN(vmin)(x, FN(splat)(88.3f));
  // Round to nearest (even) by the 1.5 x 2^23 trick: exact for |x| < 2^22, as here.
  V n = (x * FN(splat)(1.44269504088896341f) + FN(splat)(12582912.f)) - FN(splat)(12582912.f);
  V r = x - n * FN(splat)(0.693359375f) - n * FN(splat)(-2.12194440e-4f);
  V p = FN(splat)(1.9875691500E-4f);
  p = p * r + FN(splat)(1.3981999507E-3f);
  p = p * r + FN(splat)(8.3334519073E-3f);
  p = p * r + FN(splat)(4.1665795894E-2f);
  p = p * r + FN(splat)(1.6666665459E-1f);
  p = p * r + FN(splat)(5.0000001201E-1f);
  V y = p * (r * r) + (r + FN(splat)(1.f));
  VI e = (__builtin_convertvector(n, VI) + 127) << 23;
  return y * (V)e;
}
static inline V FN(vsigmoid)(V x) { return FN(splat)(1.f) / (FN(splat)(1.f) + FN(vexp)(-x)); }
static inline V FN(vtanh)(V x) { return FN(splat)(1.f) - FN(splat)(2.f) / (FN(vexp)(FN(splat)(2.f) * x) + FN(splat)(1.f)); }

static void FN(lstm_forward)(float *g, const float *bias, const float *c_prev, int ldcp, float *c, int ldc, float *tc,
                             float *h, int ldh, int rows, int H, int u0, int u1) {
  for (int b = 0; b < rows; b++) {
    float *gb = g + b * 4 * H;
    for (int j = u0; j < u1; j += W) {
      int n = imin(W, u1 - j);
      V i = FN(vsigmoid)(FN(load)(gb + j, n) + FN(load)(bias + j, n));
      V f = FN(vsigmoid)(FN(load)(gb + H + j, n) + FN(load)(bias + H + j, n));
      V u = FN(vtanh)(FN(load)(gb + 2 * H + j, n) + FN(load)(bias + 2 * H + j, n));
      V o = FN(vsigmoid)(FN(load)(gb + 3 * H + j, n) + FN(load)(bias + 3 * H + j, n));
      V cn = f * FN(load)(c_prev + b * ldcp + j, n) + i * u;
      V t = FN(vtanh)(cn);
      FN(store)(gb + j, i, n);
      FN(store)(gb + H + j, f, n);
      FN(store)(gb + 2 * H + j, u, n);
      FN(store)(gb + 3 * H + j, o, n);
      FN(store)(c + b * ldc + j, cn, n);
      if (tc) FN(store)(tc + b * H + j, t, n);
      FN(store)(h + b * ldh + j, o * t, n);
    }
  }
}

static void FN(lstm_backward)(const float *g, const float *c_prev, const float *tc, const float *dh, float *dc,
                              float *dg, int rows, int H, int u0, int u1) {
  V one = FN(splat)(1.f);
  for (int b = 0; b < rows; b++) {
    const float *gb = g + b * 4 * H;
    float *db = dg + b * 4 * H;
    for (int j = u0; j < u1; j += W) {
      int n = imin(W, u1 - j), o1 = b * H + j;
      V i = FN(load)(gb + j, n), f = FN(load)(gb + H + j, n), u = FN(load)(gb + 2 * H + j, n), o = FN(load)(gb + 3 * H + j, n);
      V t = FN(load)(tc + o1, n), dhv = FN(load)(dh + o1, n);
      V dcv = dhv * o * (one - t * t) + FN(load)(dc + o1, n);
      FN(store)(db + j, dcv * u * i * (one - i), n);
      FN(store)(db + H + j, dcv * FN(load)(c_prev + o1, n) * f * (one - f), n);
      FN(store)(db + 2 * H + j, dcv * i * (one - u * u), n);
      FN(store)(db + 3 * H + j, dhv * t * o * (one - o), n);
      FN(store)(dc + o1, dcv * f, n);
    }
  }
}

// The next inclusion defines them anew.
#undef V
#undef VI
#undef W
#undef FN
