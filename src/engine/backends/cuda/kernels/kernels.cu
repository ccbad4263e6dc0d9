// RNN Lab's GPU kernels (fp32), compiled to PTX by scripts/build-ptx.sh and run by the NVIDIA
// driver. The host side (../network.ts) drives them in the cuDNN-style order the other backends
// use: for each layer one product for the input projections of all time steps, then per step one
// h·U product and a fused cell kernel; backward per step a fused cell kernel and one dPre·Uᵀ
// product, with the weight gradients as whole-sequence products at the end.
//
// Conventions shared with the reference backend (../reference/cells.ts): rows are time-major,
// row r = t*B + b; every matrix is row-major; LSTM gates i,f,c,o; GRU z,r,h "reset_after".
// Every kernel's parameters are 8-byte pointers or 4-byte ints/floats, listed in the same order
// in ../kernelTable.ts (a unit test compares that table with the PTX).
//
// Nothing here uses atomics: every sum has a fixed order, so a run is reproducible bit for bit.

typedef unsigned int u32;

#define KERNEL extern "C" __global__ void

// Step scalars: one small device array the host rewrites before each step, so a step recorded as
// a CUDA graph reads this step's values. Floats, except SEED which holds u32 bits.
#define S_LR 0
#define S_CLIP_SCALE 1
#define S_C1 2
#define S_C2 3
#define S_INV_COUNT 4
#define S_SEED 5

__device__ __forceinline__ float sigmoid_f(float x) { return 1.0f / (1.0f + expf(-x)); }

// ---------------------------------------------------------------------------------------------
// Matrix products. C (=|+=) op(A)·op(B) + bias, op(A)(i,p) = TA ? A[p*lda+i] : A[i*lda+p],
// op(B)(p,j) = TB ? B[j*ldb+p] : B[p*ldb+j]. Tiles of BM x BN (32, 64 or 128) outputs per block of 256 threads,
// BK = 16 deep, each thread a (BM/16) x (BN/16) patch with stride 16 (conflict-free shared reads,
// coalesced stores). Split-K (gridDim.z > 1): block z sums p in [z*kSlice, (z+1)*kSlice) into
// partial + z*M*N, and splitk_reduce adds the slices in order (and the bias) into C.
// ---------------------------------------------------------------------------------------------
#define BK 16

template <int BM, int BN, bool TA, bool TB>
__device__ __forceinline__ void gemm_body(int M, int N, int K, const float *__restrict__ A, int lda,
                                          const float *__restrict__ B, int ldb, float *__restrict__ C,
                                          int ldc, const float *__restrict__ bias, int accumulate, int kSlice,
                                          float *__restrict__ partial) {
  const int TM = BM / 16, TN = BN / 16;
  __shared__ float As[BK][BM + 1];
  __shared__ float Bs[BK][BN + 1];
  const int tid = threadIdx.x;
  const int tx = tid % 16, ty = tid / 16;
  // Row tiles on x (up to 2^31 - 1 blocks: all time steps' rows), column tiles on y (<= 65535).
  const int i0 = blockIdx.x * BM, j0 = blockIdx.y * BN;
  const int kBegin = blockIdx.z * kSlice;
  const int kEnd = min(K, kBegin + kSlice);
  float acc[TM][TN];
#pragma unroll
  for (int a = 0; a < TM; a++)
#pragma unroll
    for (int b = 0; b < TN; b++) acc[a][b] = 0.0f;

  for (int k0 = kBegin; k0 < kEnd; k0 += BK) {
#pragma unroll
    for (int q = 0; q < (BM * BK) / 256; q++) {
      int e = tid + 256 * q;
      // Consecutive threads read consecutive addresses of A in either orientation.
      int i = TA ? e % BM : e / BK;
      int p = TA ? e / BM : e % BK;
      int gi = i0 + i, gp = k0 + p;
      float v = 0.0f;
      if (gi < M && gp < kEnd) v = TA ? A[(size_t)gp * lda + gi] : A[(size_t)gi * lda + gp];
      As[p][i] = v;
    }
#pragma unroll
    for (int q = 0; q < (BN * BK) / 256; q++) {
      int e = tid + 256 * q;
      int j = TB ? e / BK : e % BN;
      int p = TB ? e % BK : e / BN;
      int gj = j0 + j, gp = k0 + p;
      float v = 0.0f;
      if (gj < N && gp < kEnd) v = TB ? B[(size_t)gj * ldb + gp] : B[(size_t)gp * ldb + gj];
      Bs[p][j] = v;
    }
    __syncthreads();
#pragma unroll
    for (int p = 0; p < BK; p++) {
      float av[TM], bv[TN];
#pragma unroll
      for (int a = 0; a < TM; a++) av[a] = As[p][ty + 16 * a];
#pragma unroll
      for (int b = 0; b < TN; b++) bv[b] = Bs[p][tx + 16 * b];
#pragma unroll
      for (int a = 0; a < TM; a++)
#pragma unroll
        for (int b = 0; b < TN; b++) acc[a][b] = fmaf(av[a], bv[b], acc[a][b]);
    }
    __syncthreads();
  }

  const bool split = gridDim.z > 1;
#pragma unroll
  for (int a = 0; a < TM; a++) {
    int i = i0 + ty + 16 * a;
    if (i >= M) continue;
#pragma unroll
    for (int b = 0; b < TN; b++) {
      int j = j0 + tx + 16 * b;
      if (j >= N) continue;
      if (split) {
        partial[((size_t)blockIdx.z * M + i) * N + j] = acc[a][b];
      } else {
        float v = acc[a][b];
        if (bias) v += bias[j];
        float *c = C + (size_t)i * ldc + j;
        *c = accumulate ? *c + v : v;
      }
    }
  }
}

#define GEMM_PARAMS                                                                                    \
  int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc, const float *bias, \
      int accumulate, int kSlice, float *partial
#define GEMM_ARGS M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate, kSlice, partial

KERNEL gemm_nn_64(GEMM_PARAMS) { gemm_body<64, 64, false, false>(GEMM_ARGS); }
KERNEL gemm_nt_64(GEMM_PARAMS) { gemm_body<64, 64, false, true>(GEMM_ARGS); }
KERNEL gemm_tn_64(GEMM_PARAMS) { gemm_body<64, 64, true, false>(GEMM_ARGS); }
KERNEL gemm_nn_128(GEMM_PARAMS) { gemm_body<128, 128, false, false>(GEMM_ARGS); }
KERNEL gemm_nt_128(GEMM_PARAMS) { gemm_body<128, 128, false, true>(GEMM_ARGS); }
KERNEL gemm_tn_128(GEMM_PARAMS) { gemm_body<128, 128, true, false>(GEMM_ARGS); }
KERNEL gemm_nn_32(GEMM_PARAMS) { gemm_body<32, 32, false, false>(GEMM_ARGS); }
KERNEL gemm_nt_32(GEMM_PARAMS) { gemm_body<32, 32, false, true>(GEMM_ARGS); }
KERNEL gemm_tn_32(GEMM_PARAMS) { gemm_body<32, 32, true, false>(GEMM_ARGS); }

// C[i,j] (=|+=) Σ_z partial[z,i,j] + bias[j], z in order.
KERNEL splitk_reduce(int M, int N, int slices, const float *partial, float *C, int ldc, const float *bias,
                     int accumulate) {
  size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)M * N) return;
  int i = (int)(idx / N), j = (int)(idx % N);
  float v = 0.0f;
  for (int z = 0; z < slices; z++) v += partial[(size_t)z * M * N + idx];
  if (bias) v += bias[j];
  float *c = C + (size_t)i * ldc + j;
  *c = accumulate ? *c + v : v;
}

// Column sums of A [rows, cols] over row slice blockIdx.y: partial[y, j] = Σ_{i in slice} A[i, j].
// Blocks of 32 x 8 threads; splitk_reduce (M = 1) then adds the slices into the bias gradient.
KERNEL col_sum_partial(int rows, int cols, int rowSlice, const float *A, float *partial) {
  __shared__ float s[8][33];
  int j = blockIdx.x * 32 + threadIdx.x;
  int r0 = blockIdx.y * rowSlice;
  int r1 = min(rows, r0 + rowSlice);
  float v = 0.0f;
  if (j < cols)
    for (int i = r0 + threadIdx.y; i < r1; i += 8) v += A[(size_t)i * cols + j];
  s[threadIdx.y][threadIdx.x] = v;
  __syncthreads();
  if (threadIdx.y == 0 && j < cols) {
    float t = 0.0f;
    for (int y = 0; y < 8; y++) t += s[y][threadIdx.x];
    partial[(size_t)blockIdx.y * cols + j] = t;
  }
}

// ---------------------------------------------------------------------------------------------
// Cells, one time step over B rows of H units (one thread per unit). xw: this step's x·W + b
// [B, G*H]; rec: h₋·U [B, G*H]. Formulas and saved values exactly as ../reference/cells.ts.
// ---------------------------------------------------------------------------------------------
KERNEL lstm_fwd(int B, int H, const float *xw, const float *rec, const float *cPrev, float *hNext, float *cNext,
                float *gates, float *aux) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * H) return;
  int b = idx / H, j = idx % H;
  size_t row = (size_t)b * 4 * H;
  float i = sigmoid_f(xw[row + j] + rec[row + j]);
  float f = sigmoid_f(xw[row + H + j] + rec[row + H + j]);
  float g = tanhf(xw[row + 2 * H + j] + rec[row + 2 * H + j]);
  float o = sigmoid_f(xw[row + 3 * H + j] + rec[row + 3 * H + j]);
  float c = f * cPrev[idx] + i * g;
  float tc = tanhf(c);
  cNext[idx] = c;
  hNext[idx] = o * tc;
  gates[row + j] = i;
  gates[row + H + j] = f;
  gates[row + 2 * H + j] = g;
  gates[row + 3 * H + j] = o;
  aux[idx] = tc;
}

// recBias: the GRU's recurrent bias [3H] (added inside the reset gate's product, "reset_after").
KERNEL gru_fwd(int B, int H, const float *xw, const float *rec, const float *recBias, const float *hPrev,
               float *hNext, float *gates, float *aux) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * H) return;
  int b = idx / H, j = idx % H;
  size_t row = (size_t)b * 3 * H;
  float z = sigmoid_f(xw[row + j] + rec[row + j] + recBias[j]);
  float r = sigmoid_f(xw[row + H + j] + rec[row + H + j] + recBias[H + j]);
  float hh = rec[row + 2 * H + j] + recBias[2 * H + j];
  float cand = tanhf(xw[row + 2 * H + j] + r * hh);
  hNext[idx] = z * hPrev[idx] + (1.0f - z) * cand;
  gates[row + j] = z;
  gates[row + H + j] = r;
  gates[row + 2 * H + j] = cand;
  aux[idx] = hh;
}

KERNEL rnn_fwd(int B, int H, const float *xw, const float *rec, float *hNext) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * H) return;
  hNext[idx] = tanhf(xw[idx] + rec[idx]);
}

// Backward through one step. dOut: d loss/d h_t from above [B, H]; dhNext/dcNext: the gradient
// flowing back in time, replaced by the part that reaches h₋/c₋ without U (the host then adds
// dPre·Uᵀ to dhNext). Writes this step's pre-activation gradients.
KERNEL lstm_bwd(int B, int H, const float *dOut, float *dhNext, float *dcNext, const float *gates, const float *aux,
                const float *cPrev, float *dPre) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * H) return;
  int b = idx / H, j = idx % H;
  size_t row = (size_t)b * 4 * H;
  float dh = dOut[idx] + dhNext[idx];
  float i = gates[row + j], f = gates[row + H + j], g = gates[row + 2 * H + j], o = gates[row + 3 * H + j];
  float tc = aux[idx];
  float dc = dcNext[idx] + dh * o * (1.0f - tc * tc);
  dPre[row + j] = dc * g * i * (1.0f - i);
  dPre[row + H + j] = dc * cPrev[idx] * f * (1.0f - f);
  dPre[row + 2 * H + j] = dc * i * (1.0f - g * g);
  dPre[row + 3 * H + j] = dh * tc * o * (1.0f - o);
  dcNext[idx] = dc * f;
  dhNext[idx] = 0.0f;
}

KERNEL gru_bwd(int B, int H, const float *dOut, float *dhNext, const float *gates, const float *aux,
               const float *hPrev, float *dPre, float *dPreRec) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * H) return;
  int b = idx / H, j = idx % H;
  size_t row = (size_t)b * 3 * H;
  float dh = dOut[idx] + dhNext[idx];
  float z = gates[row + j], r = gates[row + H + j], cand = gates[row + 2 * H + j];
  float hh = aux[idx];
  float dCandPre = dh * (1.0f - z) * (1.0f - cand * cand);
  float dz = dh * (hPrev[idx] - cand) * z * (1.0f - z);
  float dr = dCandPre * hh * r * (1.0f - r);
  dPre[row + j] = dz;
  dPre[row + H + j] = dr;
  dPre[row + 2 * H + j] = dCandPre;
  dPreRec[row + j] = dz;
  dPreRec[row + H + j] = dr;
  dPreRec[row + 2 * H + j] = dCandPre * r;
  dhNext[idx] = dh * z;
}

KERNEL rnn_bwd(int B, int H, const float *dOut, float *dhNext, const float *hNext, float *dPre) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * H) return;
  float dh = dOut[idx] + dhNext[idx];
  float h = hNext[idx];
  dPre[idx] = dh * (1.0f - h * h);
  dhNext[idx] = 0.0f;
}

// ---------------------------------------------------------------------------------------------
// Embedding and one-hot input: out[r] = table[ids[r]] (+ bias). The backward scatter-add is
// deterministic: the host lists the rows of each token (rowsByToken, tokenStart as in CSR), and
// one thread per (token, column) sums that token's rows in order.
// ---------------------------------------------------------------------------------------------
KERNEL gather_rows(int N, int width, const int *ids, const float *table, const float *bias, float *out) {
  size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)N * width) return;
  int r = (int)(idx / width), j = (int)(idx % width);
  float v = table[(size_t)ids[r] * width + j];
  if (bias) v += bias[j];
  out[idx] = v;
}

KERNEL scatter_add_rows(int V, int width, const int *tokenStart, const int *rowsByToken, const float *src,
                        float *table) {
  int j = blockIdx.x * blockDim.x + threadIdx.x;
  int v = blockIdx.y;
  if (j >= width || v >= V) return;
  int begin = tokenStart[v], end = tokenStart[v + 1];
  if (begin == end) return;
  float s = 0.0f;
  for (int k = begin; k < end; k++) s += src[(size_t)rowsByToken[k] * width + j];
  table[(size_t)v * width + j] += s;
}

// ---------------------------------------------------------------------------------------------
// Dropout: the same counter-based hash as the other backends (../../dropout.ts), so a mask depends
// only on (seed, site, batch row, step, unit). dst = src · mask, mask 0 (hash < threshold) or
// keepScale; the backward pass applies the same mask to the gradient with the same kernel.
// ---------------------------------------------------------------------------------------------
__device__ __forceinline__ u32 mix32(u32 x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

KERNEL dropout_apply(int N, int B, int width, const float *src, float *dst, const float *scalars, u32 site,
                     u32 threshold, float keepScale) {
  size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)N * width) return;
  int r = (int)(idx / width), j = (int)(idx % width);
  int t = r / B, b = r % B;
  u32 seed = __float_as_uint(scalars[S_SEED]);
  u32 key = mix32(mix32(mix32(mix32(mix32(seed) ^ site) ^ (u32)b) ^ (u32)t) ^ (u32)j);
  dst[idx] = key >= threshold ? src[idx] * keepScale : 0.0f;
}

// Dense hidden layer activation in place (0 linear, 1 relu, 2 tanh), and its backward from the output y.
KERNEL activate(int n, float *x, int act) {
  size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)n) return;
  if (act == 1) x[idx] = x[idx] > 0.0f ? x[idx] : 0.0f;
  else if (act == 2) x[idx] = tanhf(x[idx]);
}

KERNEL activate_bwd(int n, float *d, const float *y, int act) {
  size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)n) return;
  if (act == 1) d[idx] = y[idx] > 0.0f ? d[idx] : 0.0f;
  else if (act == 2) d[idx] *= 1.0f - y[idx] * y[idx];
}

// ---------------------------------------------------------------------------------------------
// Softmax cross-entropy, one block of 256 threads per row of logits [N, V]. rowLoss[r] =
// w·(logsumexp(z) - z[y]) with w the row's weight (mask); with grad, the logits are replaced by
// d(mean loss)/dz = w·(softmax - onehot(y))/count (1/count from the step scalars).
// ---------------------------------------------------------------------------------------------
__device__ float block_reduce(float v, bool isMax, float *shared) {
  for (int o = 16; o > 0; o >>= 1) {
    float w = __shfl_down_sync(0xffffffffu, v, o);
    v = isMax ? fmaxf(v, w) : v + w;
  }
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    float t = shared[0];
    for (int k = 1; k < (int)blockDim.x / 32; k++) t = isMax ? fmaxf(t, shared[k]) : t + shared[k];
    shared[32] = t;
  }
  __syncthreads();
  float result = shared[32];
  __syncthreads();
  return result;
}

KERNEL softmax_xent(int N, int V, float *logits, const int *targets, const float *weights, const float *scalars,
                    float *rowLoss, int grad) {
  __shared__ float shared[33];
  int r = blockIdx.x;
  if (r >= N) return;
  float *z = logits + (size_t)r * V;
  float w = weights[r];
  if (w == 0.0f) {
    // Padding: no loss, no gradient (the whole block takes this branch together).
    if (threadIdx.x == 0) rowLoss[r] = 0.0f;
    if (grad)
      for (int k = threadIdx.x; k < V; k += blockDim.x) z[k] = 0.0f;
    return;
  }
  float m = -INFINITY;
  for (int k = threadIdx.x; k < V; k += blockDim.x) m = fmaxf(m, z[k]);
  m = block_reduce(m, true, shared);
  float s = 0.0f;
  for (int k = threadIdx.x; k < V; k += blockDim.x) s += expf(z[k] - m);
  s = block_reduce(s, false, shared);
  int y = targets[r];
  if (threadIdx.x == 0) rowLoss[r] = w * (m + logf(s) - z[y]);
  // Every thread has read z[y] above only through thread 0; wait before overwriting it.
  __syncthreads();
  if (grad) {
    float scale = w * scalars[S_INV_COUNT];
    for (int k = threadIdx.x; k < V; k += blockDim.x) {
      float p = expf(z[k] - m) / s;
      z[k] = scale * (p - (k == y ? 1.0f : 0.0f));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions in double, in a fixed order. sum_to_double: one block of 1024 threads, out[0] = Σ x.
// sumsq_partial + clip_finish: the global gradient norm, and the clipping scale for the optimizers.
// ---------------------------------------------------------------------------------------------
__device__ double block_reduce_double(double v, double *shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s) shared[threadIdx.x] += shared[threadIdx.x + s];
    __syncthreads();
  }
  double result = shared[0];
  __syncthreads();
  return result;
}

KERNEL sum_to_double(int n, const float *x, double *out) {
  __shared__ double shared[1024];
  double v = 0.0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) v += (double)x[i];
  v = block_reduce_double(v, shared);
  if (threadIdx.x == 0) out[0] = v;
}

// Blocks of 256 threads; block k sums the squares of its grid-stride share into partial[k].
KERNEL sumsq_partial(int n, const float *x, double *partial) {
  __shared__ double shared[256];
  double v = 0.0;
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (size_t)n; i += (size_t)gridDim.x * blockDim.x) {
    double g = (double)x[i];
    v += g * g;
  }
  v = block_reduce_double(v, shared);
  if (threadIdx.x == 0) partial[blockIdx.x] = v;
}

// One block of 256 threads: norm = sqrt(Σ partial); scale = clip/norm when clip > 0 and norm > clip, else 1.
KERNEL clip_finish(int parts, const double *partial, float clipNorm, double *normOut, float *scalars) {
  __shared__ double shared[256];
  double v = 0.0;
  for (int i = threadIdx.x; i < parts; i += blockDim.x) v += partial[i];
  v = block_reduce_double(v, shared);
  if (threadIdx.x == 0) {
    double norm = sqrt(v);
    normOut[0] = norm;
    scalars[S_CLIP_SCALE] = (clipNorm > 0.0f && norm > (double)clipNorm) ? (float)((double)clipNorm / norm) : 1.0f;
  }
}

// ---------------------------------------------------------------------------------------------
// Optimizers (../../optim/optimizers.ts), on the clipped gradient g·scale; state in fp32.
// The learning rate and Adam's bias corrections come from the step scalars.
// ---------------------------------------------------------------------------------------------
#define OPT_PREAMBLE                                                 \
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;          \
  if (i >= (size_t)n) return;                                        \
  const float lr = scalars[S_LR];                                    \
  const float g = grads[i] * scalars[S_CLIP_SCALE];

KERNEL opt_sgd(int n, float *params, const float *grads, const float *scalars) {
  OPT_PREAMBLE
  params[i] -= lr * g;
}

KERNEL opt_momentum(int n, float *params, const float *grads, const float *scalars, float *velocity, float momentum) {
  OPT_PREAMBLE
  float v = momentum * velocity[i] + g;
  velocity[i] = v;
  params[i] -= lr * v;
}

KERNEL opt_rmsprop(int n, float *params, const float *grads, const float *scalars, float *meanSquare, float rho,
                   float epsilon) {
  OPT_PREAMBLE
  float s = rho * meanSquare[i] + (1.0f - rho) * g * g;
  meanSquare[i] = s;
  params[i] -= (lr * g) / (sqrtf(s) + epsilon);
}

KERNEL opt_adam(int n, float *params, const float *grads, const float *scalars, float *m, float *v, float beta1,
                float beta2, float epsilon) {
  OPT_PREAMBLE
  float mi = beta1 * m[i] + (1.0f - beta1) * g;
  float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  params[i] -= (lr * (mi / scalars[S_C1])) / (sqrtf(vi / scalars[S_C2]) + epsilon);
}

KERNEL opt_adagrad(int n, float *params, const float *grads, const float *scalars, float *sumSquares, float epsilon) {
  OPT_PREAMBLE
  float s = sumSquares[i] + g * g;
  sumSquares[i] = s;
  params[i] -= (lr * g) / (sqrtf(s) + epsilon);
}

KERNEL opt_adadelta(int n, float *params, const float *grads, const float *scalars, float *meanSquare,
                    float *meanDelta, float rho, float epsilon) {
  OPT_PREAMBLE
  float s = rho * meanSquare[i] + (1.0f - rho) * g * g;
  meanSquare[i] = s;
  float delta = (sqrtf(meanDelta[i] + epsilon) / sqrtf(s + epsilon)) * g;
  meanDelta[i] = rho * meanDelta[i] + (1.0f - rho) * delta * delta;
  params[i] -= lr * delta;
}
