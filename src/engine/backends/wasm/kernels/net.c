// The cuDNN-style driver: for each layer, one big matmul for the input projections of all time
// steps, then one h.U matmul per step (U packed once per pass), the cell's element-wise step, and
// in backward the per-step dG.U^T with the weight gradients as big matmuls at the end.
//
// A pass is run by a team of threads (see Job): every thread calls job_run with its index and
// takes its part of each phase. A time step's product and cell update are split into tiles of
// (batch rows x hidden units, all gates of those units), so each thread updates the same tile of
// h (forward) or of dh (backward) at every step and the team meets at one barrier per step. The
// big matmuls are split into output tiles, element-wise work by rows or columns. Splits fall on
// the matmul's register blocks (MR x NR), so every output element is computed the same way
// whatever the number of threads, and sums over the batch (gradients, loss) are never split.
#include "kernels.h"

typedef unsigned int u32;

static inline int gates(int cell) { return cell == CELL_LSTM ? 4 : cell == CELL_GRU ? 3 : 1; }
static inline int round4(int n) { return (n + 3) & ~3; }

int net_struct_bytes(void) { return sizeof(Net); }
int job_struct_bytes(void) { return sizeof(Job); }
int step_struct_bytes(void) { return sizeof(StepJob); }
int update_struct_bytes(void) { return sizeof(Update); }

// ---- the team: one thread's view of a pass ----
typedef struct {
  Job *job;
  int id, n;      // this thread's index, the team's size
  float *pa, *pb; // this thread's packing buffers
  int *products;  // how many shared products this thread has entered (see team_sgemm)
} Team;

// Sense-by-generation barrier over job->sync. Arriving threads spin briefly (a step's work is tens
// to hundreds of microseconds, so the others are usually close), then sleep in memory.atomic.wait;
// the last to arrive bumps the generation and wakes sleepers only if there are any.
#define SPIN 2000
enum { ARRIVED = 0, GENERATION = 1, SLEEPERS = 2, ABORT = 3 };
static void barrier(const Team *t) {
  if (t->n == 1) return;
  int *s = t->job->sync;
  int gen = __atomic_load_n(&s[GENERATION], __ATOMIC_SEQ_CST);
  if (__atomic_fetch_add(&s[ARRIVED], 1, __ATOMIC_SEQ_CST) == t->n - 1) {
    __atomic_store_n(&s[ARRIVED], 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&s[GENERATION], gen + 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&s[SLEEPERS], __ATOMIC_SEQ_CST)) __builtin_wasm_memory_atomic_notify(&s[GENERATION], 0x7fffffff);
    return;
  }
  for (int i = 0; i < SPIN; i++)
    if (__atomic_load_n(&s[GENERATION], __ATOMIC_SEQ_CST) != gen || __atomic_load_n(&s[ABORT], __ATOMIC_SEQ_CST)) return;
  __atomic_fetch_add(&s[SLEEPERS], 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&s[GENERATION], __ATOMIC_SEQ_CST) == gen && !__atomic_load_n(&s[ABORT], __ATOMIC_SEQ_CST))
    __builtin_wasm_memory_atomic_wait32(&s[GENERATION], gen, -1);
  __atomic_fetch_sub(&s[SLEEPERS], 1, __ATOMIC_SEQ_CST);
}

// This thread's share [*a, *b) of [0, n), cut on multiples of `grain`.
static void share(const Team *t, int n, int grain, int *a, int *b) {
  int units = (n + grain - 1) / grain;
  *a = imin(n, (int)((long long)units * t->id / t->n) * grain);
  *b = imin(n, (int)((long long)units * (t->id + 1) / t->n) * grain);
}

// A tile of an M x N output: rows [m0, m1), columns [n0, n1).
typedef struct { int m0, m1, n0, n1; } Tile;

// An M x N output cut into a grid of pr x pc tiles (at most `parts`), rows on multiples of MR,
// columns on multiples of NR.
typedef struct { int M, N, mq, nq, pr, pc; } Grid;

// The grid minimises a tile's products plus the packing each tile repeats (its A rows and its
// columns once); ties favour column splits, whose threads read less of the right-hand matrix.
static Grid grid_of(int parts, int M, int N) {
  Grid g = {M, N, (M + MR - 1) / MR, (N + NR - 1) / NR, 1, 1};
  long long best = -1;
  for (int c = imin(parts, g.nq); c >= 1; c--) {
    int r = imin(parts / c, g.mq);
    long long mc = (long long)((g.mq + r - 1) / r) * MR, nc = (long long)((g.nq + c - 1) / c) * NR;
    long long cost = mc * nc + 8 * (mc + nc);
    if (best < 0 || cost < best) { best = cost; g.pr = r; g.pc = c; }
  }
  return g;
}

// Tile `index` of the grid (row-major; empty past the last).
static Tile tile_at(Grid g, int index) {
  Tile tile = {0, 0, 0, 0};
  int i = index / g.pc, j = index % g.pc;
  if (i >= g.pr) return tile;
  tile.m0 = imin(g.M, (int)((long long)g.mq * i / g.pr) * MR);
  tile.m1 = imin(g.M, (int)((long long)g.mq * (i + 1) / g.pr) * MR);
  tile.n0 = imin(g.N, (int)((long long)g.nq * j / g.pc) * NR);
  tile.n1 = imin(g.N, (int)((long long)g.nq * (j + 1) / g.pc) * NR);
  return tile;
}
static inline int empty(Tile t) { return t.m0 >= t.m1 || t.n0 >= t.n1; }

// C (+)= op(A) . op(B) (M x N, inner K), shared by the team: its output is cut into about 4 tiles
// per thread, which threads claim from the product's own counter (each product of a pass has one,
// zeroed when the pass starts), so a thread the system preempts delays the product by one tile at
// most. Every thread calls the same products in the same order.
#define TILES_PER_THREAD 4
static void team_sgemm(const Team *t, int tA, int tB, int M, int N, int K, const float *A, int lda, const float *B,
                       int ldb, float *C, int ldc, int beta) {
  Grid g = grid_of(TILES_PER_THREAD * t->n, M, N);
  int tiles = g.pr * g.pc, *claims = t->job->product_claims + (*t->products)++;
  for (int i = __atomic_fetch_add(claims, 1, __ATOMIC_SEQ_CST); i < tiles; i = __atomic_fetch_add(claims, 1, __ATOMIC_SEQ_CST)) {
    Tile r = tile_at(g, i);
    if (empty(r)) continue;
    sgemm(tA, tB, r.m1 - r.m0, r.n1 - r.n0, K, tA ? A + r.m0 : A + r.m0 * lda, lda, tB ? B + r.n0 * ldb : B + r.n0,
          ldb, C + r.m0 * ldc + r.n0, ldc, beta, t->pa, t->pb);
  }
}

// db[0:N] += column sums of D (rows x N, stride ld), this thread's columns.
static void team_colsum_add(const Team *t, float *db, const float *D, int rows, int N, int ld) {
  int a, b;
  share(t, N, 4, &a, &b);
  if (a < b) colsum_add(db + a, D + a, rows, b - a, ld);
}

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
// and not on how the work is split across threads. Site l = the output of layer l. ----
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

// dst = src * mask, mask = 0 (dropped: hash < p * 2^32) or 1 / (1 - p), over this thread's share
// of the time-major rows.
static void apply_dropout(const Team *t, int site, const float *src, float *dst, int H) {
  const Job *job = t->job;
  double p = job->dropout;
  v128_t threshold = wasm_i32x4_splat((int)(u32)(p * 4294967296.0));
  f4 keep_scale = SPLAT((float)(1.0 / (1.0 - p)));
  u32 site_key = mix32(mix32(job->seed) ^ (u32)site);
  int r0, r1;
  share(t, job->steps * job->batch, 1, &r0, &r1);
  for (int row = r0; row < r1; row++) {
    int step = row / job->batch, b = row % job->batch;
    u32 key = mix32(mix32(site_key ^ (u32)b) ^ (u32)step);
    int r = row * H;
    for (int j = 0; j < H; j += 4) {
      int n = lanes(j, H);
      v128_t u = vmix32(wasm_v128_xor(wasm_i32x4_splat((int)key), wasm_i32x4_make(j, j + 1, j + 2, j + 3)));
      v128_t kept = wasm_u32x4_ge(u, threshold);
      storen(dst + r + j, loadn(src + r + j, n) * (f4)wasm_v128_and(kept, (v128_t)keep_scale), n);
    }
  }
}

// ---- softmax cross-entropy over rows of logits (bias added here); loss[r] = w * -ln p(target).
// With `grad`, Z is replaced by dL/dz = (softmax - onehot) * w * scale, w = mask (1 when absent).
static void softmax_xent(float *Z, int rows, int V, const float *bias, const int *targets, const float *mask,
                         float scale, int grad, double *loss) {
  for (int r = 0; r < rows; r++) {
    float *z = Z + r * V;
    float w = mask ? mask[r] : 1.f;
    loss[r] = 0;
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
    loss[r] = w * (ln(s) - (double)(zt - m));
    if (grad) {
      f4 inv = SPLAT(w * scale / s);
      for (int k = 0; k < V; k += 4) {
        int n = lanes(k, V);
        storen(z + k, loadn(z + k, n) * inv, n);
      }
      z[t] -= w * scale;
    }
  }
}

static void gather_rows(float *dst, const float *table, const int *ids, int rows, int N) {
  for (int r = 0; r < rows; r++) copy(dst + r * N, table + ids[r] * N, N);
}

// Output logits are computed in chunks of this many rows, so memory stays small for large vocabularies.
static int output_rows(const Job *job) {
  int TR = job->steps * job->batch;
  return imax(1, imin(TR, (1 << 18) / job->net->vocab));
}

// How many shared products (team_sgemm calls) a pass makes at most: per layer 1 forward and 3
// backward (4 for an embedding), 3 per chunk of output rows.
static int max_products(const Job *job) {
  int TR = job->steps * job->batch, zrows = output_rows(job);
  return 4 * job->net->layers + 1 + 3 * ((TR + zrows - 1) / zrows);
}

// ---- workspace: every buffer a pass needs, carved from one block (job->work == 0: size only) ----
#define TAKE(n) (cursor += round4(n), cursor - round4(n))
static int pack_floats(void) { return pack_a_floats() + pack_b_floats(); }
static int carve(Job *job, int with_dropout) {
  const Net *net = job->net;
  // Buffers shared by the layers are sized for the widest one (H).
  int H = net->hidden, G = gates(net->cell), GH = G * H, R = job->batch, T = job->steps, TR = T * R;
  int V = net->vocab, E = net->embed, wide = imax(H, E);
  float *base = job->work, *cursor = base;
  for (int l = 0; l < net->layers; l++) {
    int H = net->layer_hidden[l], GH = G * H;
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
  job->zrows = output_rows(job);
  job->z = TAKE(job->zrows * V);
  job->upack = TAKE(imax(packed_gates_floats(H, H, G), packed_b_floats(GH, H)));
  job->row_loss = (double *)TAKE(2 * TR);
  job->in_tm = (int *)TAKE(TR);
  job->out_tm = (int *)TAKE(TR);
  job->mask_tm = TAKE(TR);
  job->packs = TAKE(job->threads * pack_floats());
  job->step_done = (int *)TAKE(job->threads);
  job->product_claims = (int *)TAKE(max_products(job));
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

// ---- the time steps of a layer. Each thread keeps one tile of every step: rows of the batch x
// hidden units (all gates of those units). A step's product for some rows needs the previous step
// of those rows only, so the threads of a grid row (a group of batch rows) wait for each other at
// every step, and different groups never do. The grid splits rows first (at least MIN_GROUP_ROWS
// per group, for efficient products), then units among the threads of a group: with few threads,
// no thread waits for another until the layer ends; with many, a group of them shares the columns
// (and a smaller slice of U each). ----
#define MIN_GROUP_ROWS 16
enum { DONE_SLEEPERS = 0 };

static Grid step_grid(const Team *t, int H) {
  int R = t->job->batch;
  Grid g = {R, H, (R + MR - 1) / MR, (H + NR - 1) / NR, 1, 1};
  g.pr = imax(1, imin(t->n, R / MIN_GROUP_ROWS));
  g.pc = imin(t->n / g.pr, g.nq);
  return g;
}

// Thread 0, before the barrier that precedes a layer's steps: no group has done a step yet.
static void reset_steps(const Team *t, Grid g) {
  if (t->id == 0) fill((float *)t->job->step_done, 0.f, g.pr);
}

// Waits until `target` tiles of row group i are done (spin briefly, then sleep), or the pass was aborted.
static void wait_group(const Team *t, int i, int target) {
  int *done = t->job->step_done + i, *sleepers = &t->job->steps_sync[DONE_SLEEPERS], *abort = &t->job->sync[ABORT];
  for (int k = 0; k < SPIN; k++)
    if (__atomic_load_n(done, __ATOMIC_SEQ_CST) >= target || __atomic_load_n(abort, __ATOMIC_SEQ_CST)) return;
  __atomic_fetch_add(sleepers, 1, __ATOMIC_SEQ_CST);
  for (int d = __atomic_load_n(done, __ATOMIC_SEQ_CST); d < target && !__atomic_load_n(abort, __ATOMIC_SEQ_CST);
       d = __atomic_load_n(done, __ATOMIC_SEQ_CST))
    __builtin_wasm_memory_atomic_wait32(done, d, -1);
  __atomic_fetch_sub(sleepers, 1, __ATOMIC_SEQ_CST);
}

static void tile_done(const Team *t, int i) {
  int *done = t->job->step_done + i;
  __atomic_fetch_add(done, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&t->job->steps_sync[DONE_SLEEPERS], __ATOMIC_SEQ_CST))
    __builtin_wasm_memory_atomic_notify(done, 0x7fffffff);
}

// ---- one layer forward over all steps ----
static void layer_forward(const Team *t, int l) {
  Job *job = t->job;
  const Net *net = job->net;
  const float *P = net->params;
  int H = net->layer_hidden[l], G = gates(net->cell), GH = G * H, R = job->batch, T = job->steps, TR = T * R, RH = R * H;
  int E = net->embed;
  float *state = job->state + net->state_off[l]; // this layer's state of row b: state + b * net->state_row
  const float *W = P + net->kernel_off[l], *U = P + net->rec_off[l], *bias = P + net->bias_off[l];
  float *g = job->g[l], *hs = job->hs[l], *cs = job->cs[l];
  int r0, r1;
  share(t, TR, 1, &r0, &r1);

  // Input projections of every step: one-hot input is a row gather, never a dense matmul.
  if (l == 0 && E == 0) {
    gather_rows(g + r0 * GH, W, job->in_tm + r0, r1 - r0, GH);
  } else if (l == 0) {
    gather_rows(job->xemb + r0 * E, P + net->emb_off, job->in_tm + r0, r1 - r0, E);
    barrier(t);
    team_sgemm(t, 0, 0, TR, GH, E, job->xemb, E, W, GH, g, GH, 0);
  } else {
    int I = net->layer_hidden[l - 1];
    const float *x = job->drop[l - 1] ? job->drop[l - 1] : job->hs[l - 1] + R * I;
    team_sgemm(t, 0, 0, TR, GH, I, x, I, W, GH, g, GH, 0);
  }

  // Initial state: carried over from the previous pass, or zeros.
  int b0, b1;
  share(t, R, 1, &b0, &b1);
  for (int b = b0; b < b1; b++) {
    const float *s = state + b * net->state_row;
    if (job->carry) copy(hs + b * H, s, H); else fill(hs + b * H, 0.f, H);
    if (cs) { if (job->carry) copy(cs + b * H, s + H, H); else fill(cs + b * H, 0.f, H); }
  }
  int p0, p1;
  share(t, G * ((H + NR - 1) / NR), 1, &p0, &p1);
  pack_gate_panels(U, H, H, G, job->upack, p0, p1);
  Grid grid = step_grid(t, H);
  reset_steps(t, grid);
  barrier(t);

  Tile k = tile_at(grid, t->id);
  int group = t->id / grid.pc, rows = k.m1 - k.m0;
  for (int s = 0; s < T && !empty(k); s++) {
    wait_group(t, group, s * grid.pc); // h_{s-1} of this group's rows
    {
      float *gt = g + (s * R + k.m0) * GH, *h_prev = hs + s * RH + k.m0 * H, *h = hs + (s + 1) * RH + k.m0 * H;
      if (net->cell == CELL_LSTM) {
        gates_product(rows, H, h_prev, H, job->upack, H, G, k.n0, k.n1, gt, GH, 1, t->pa);
        float *c = cs + (s + 1) * RH + k.m0 * H;
        lstm_forward(gt, bias, c - RH, H, c, H, job->tc[l] + s * RH + k.m0 * H, h, H, rows, H, k.n0, k.n1);
      } else if (net->cell == CELL_GRU) {
        float *rg = job->rg + k.m0 * GH;
        gates_product(rows, H, h_prev, H, job->upack, H, G, k.n0, k.n1, rg, GH, 0, t->pa);
        gru_forward(gt, rg, bias, bias + GH, h_prev, H, h, H, job->rh[l] + s * RH + k.m0 * H, rows, H, k.n0, k.n1);
      } else {
        gates_product(rows, H, h_prev, H, job->upack, H, G, k.n0, k.n1, gt, GH, 1, t->pa);
        rnn_forward(gt, bias, h, H, rows, H, k.n0, k.n1);
      }
    }
    tile_done(t, group);
  }
  barrier(t);

  for (int b = b0; b < b1; b++) {
    float *s = state + b * net->state_row;
    copy(s, hs + T * RH + b * H, H);
    if (cs) copy(s + H, cs + T * RH + b * H, H);
  }
  if (job->drop[l]) apply_dropout(t, l, hs + RH, job->drop[l], H);
  barrier(t);
}

// ---- one layer backward: dh holds dL/d(output of layer l) for every step (consumed);
// writes dL/d(input of layer l) into dx (layers above 0 and the embedding). ----
static void layer_backward(const Team *t, int l, float *dh, float *dx) {
  Job *job = t->job;
  const Net *net = job->net;
  const float *P = net->params;
  float *D = job->grads;
  int H = net->layer_hidden[l], G = gates(net->cell), GH = G * H, R = job->batch, T = job->steps, TR = T * R, RH = R * H;
  const float *W = P + net->kernel_off[l], *U = P + net->rec_off[l];
  float *hs = job->hs[l], *dg = job->dg;
  float *drec = net->cell == CELL_GRU ? job->dr : dg; // what multiplies U in the recurrence

  if (job->drop[l]) apply_dropout(t, l, dh, dh, H);
  int p0, p1;
  share(t, (H + NR - 1) / NR, 1, &p0, &p1);
  pack_bt_panels(U, GH, GH, H, job->upack, p0, p1); // U^T
  int b0, b1;
  share(t, R, 1, &b0, &b1);
  fill(job->dc + b0 * H, 0.f, (b1 - b0) * H);
  Grid grid = step_grid(t, H);
  reset_steps(t, grid);
  barrier(t);

  // Step s of a tile: first its part of dh_s from step s + 1 (dh_s += dG_{s+1} . U^T, which needs
  // every gate of its rows: the whole group's step s + 1), then the cell's backward step.
  Tile k = tile_at(grid, t->id);
  int group = t->id / grid.pc, rows = k.m1 - k.m0;
  for (int s = T - 1; s >= 0 && !empty(k); s--) {
    wait_group(t, group, (T - 1 - s) * grid.pc);
    int o = s * RH + k.m0 * H, og = (s * R + k.m0) * GH;
    float *dht = dh + o, *dgt = dg + og, *gt = job->g[l] + og, *dc = job->dc + k.m0 * H;
    if (s < T - 1)
      sgemm_packed(0, rows, k.n1 - k.n0, GH, drec + og + R * GH, GH, job->upack + k.n0 * GH, dht + k.n0, H, 1, t->pa);
    if (net->cell == CELL_LSTM)
      lstm_backward(gt, job->cs[l] + o, job->tc[l] + o, dht, dc, dgt, rows, H, k.n0, k.n1);
    else if (net->cell == CELL_GRU)
      gru_backward(gt, job->rh[l] + o, hs + o, dht, dgt, job->dr + og, s > 0 ? dht - RH : 0, rows, H, k.n0, k.n1);
    else
      rnn_backward(hs + RH + o, dht, dgt, rows, H, k.n0, k.n1);
    tile_done(t, group);
  }
  barrier(t);

  // Weight gradients of all steps at once.
  team_sgemm(t, 1, 0, H, GH, TR, hs, H, drec, GH, D + net->rec_off[l], GH, 1);
  float *db = D + net->bias_off[l];
  if (net->cell == CELL_GRU) team_colsum_add(t, db + GH, job->dr, TR, GH, GH);
  if (l == 0 && net->embed == 0) {
    // One-hot input: the kernel's gradient is a scatter of the rows of dg, and the bias sums the
    // same rows; one pass over dg (TR x GH, far larger than the cache) serves both.
    int a, b;
    share(t, GH, 4, &a, &b);
    if (a < b)
      for (int r = 0; r < TR; r++) {
        add_into(D + net->kernel_off[l] + job->in_tm[r] * GH + a, dg + r * GH + a, b - a);
        add_into(db + a, dg + r * GH + a, b - a);
      }
    barrier(t);
    return;
  }
  team_colsum_add(t, db, dg, TR, GH, GH);
  if (l == 0) {
    int E = net->embed;
    team_sgemm(t, 1, 0, E, GH, TR, job->xemb, E, dg, GH, D + net->kernel_off[l], GH, 1);
    team_sgemm(t, 0, 1, TR, E, GH, dg, GH, W, GH, dx, E, 0);
    barrier(t);
    // Embedding gradient: a scatter of the rows of dx, each thread its columns.
    int a, b;
    share(t, E, 4, &a, &b);
    if (a < b)
      for (int r = 0; r < TR; r++) add_into(D + net->emb_off + job->in_tm[r] * E + a, dx + r * E + a, b - a);
  } else {
    int I = net->layer_hidden[l - 1];
    const float *x = job->drop[l - 1] ? job->drop[l - 1] : job->hs[l - 1] + R * I;
    team_sgemm(t, 1, 0, I, GH, TR, x, I, dg, GH, D + net->kernel_off[l], GH, 1);
    team_sgemm(t, 0, 1, TR, I, GH, dg, GH, W, GH, dx, I, 0);
  }
  barrier(t);
}

// The optimizer update (update.c) by the whole team, over the gradients of the finished backward
// pass: each thread sums the squares of its chunks; after a barrier, every thread adds up all the
// chunks' sums in chunk order (the same norm on every thread, whatever their number) and updates
// its chunks' parameters.
static void team_update(const Team *t) {
  Update *u = t->job->update;
  const Net *net = t->job->net;
  int n = net->param_count, chunks = (n + u->chunk - 1) / u->chunk, a, b;
  share(t, chunks, 1, &a, &b);
  update_partials(u, t->job->grads, n, a, b);
  barrier(t);
  double norm = update_norm(u, chunks);
  update_apply(u, net->params, t->job->grads, n, norm, a, b);
  if (t->id == 0) u->norm = norm;
}

// This thread's part of the pass: forward (and backward when job->backward, then the update when
// job->update). Thread 0 sets the pass up and sums the loss; every thread of the team must call it. Returns job->status.
int job_run(Job *job, int thread) {
  int products = 0;
  Team team = {job, thread, job->threads, 0, 0, &products};
  const Team *t = &team;
  const Net *net = job->net;
  const float *P = net->params;
  int L = net->layers, H = net->layer_hidden[L - 1], V = net->vocab, R = job->batch, T = job->steps, TR = T * R;
  if (thread == 0) {
    carve(job, job->dropout_on);
    fill((float *)job->product_claims, 0.f, max_products(job));
    job->loss_sum = 0;
    job->status = 0;
    // Batch-major ids and mask -> time-major rows.
    for (int s = 0; s < T; s++)
      for (int b = 0; b < R; b++) {
        int src = b * T + s;
        job->in_tm[s * R + b] = job->inputs[src];
        job->out_tm[s * R + b] = job->targets[src];
        job->mask_tm[s * R + b] = job->mask ? job->mask[src] : 1.f;
      }
  }
  barrier(t);
  team.pa = job->packs + thread * pack_floats();
  team.pb = team.pa + pack_a_floats();
  if (job->backward) {
    int a, b;
    share(t, net->param_count, 4, &a, &b);
    fill(job->grads + a, 0.f, b - a);
  }

  for (int l = 0; l < L; l++) layer_forward(t, l);

  const float *top = job->drop[L - 1] ? job->drop[L - 1] : job->hs[L - 1] + R * H;
  // The output layer reads the Dense hidden layer (K = its units) when there is one, else the top.
  const float *out_in = top;
  int K = H;
  if (net->dense) {
    // On one thread: its matmuls choose matrix-vector products for few rows, so a split of the
    // rows could change how a row is computed.
    if (thread == 0) dense_forward(net, top, H, TR, job->dense_y, t->pa, t->pb);
    barrier(t);
    out_in = job->dense_y;
    K = net->dense;
  }
  const float *Wy = P + net->out_kernel_off, *by = P + net->out_bias_off;
  float *dout = net->dense ? job->dense_dy : job->dha, *D = job->grads;
  for (int r0 = 0; r0 < TR; r0 += job->zrows) {
    int n = imin(job->zrows, TR - r0);
    team_sgemm(t, 0, 0, n, V, K, out_in + r0 * K, K, Wy, V, job->z, V, 0);
    barrier(t);
    int a, b;
    share(t, n, 1, &a, &b);
    softmax_xent(job->z + a * V, b - a, V, by, job->out_tm + r0 + a, job->mask_tm + r0 + a, job->grad_scale,
                 job->backward, job->row_loss + r0 + a);
    barrier(t);
    if (!job->backward) continue;
    team_sgemm(t, 1, 0, K, V, n, out_in + r0 * K, K, job->z, V, D + net->out_kernel_off, V, 1);
    team_colsum_add(t, D + net->out_bias_off, job->z, n, V, V);
    team_sgemm(t, 0, 1, n, K, V, job->z, V, Wy, V, dout + r0 * K, K, 0);
    barrier(t);
  }
  if (thread == 0)
    for (int r = 0; r < TR; r++) job->loss_sum += job->row_loss[r];
  if (!job->backward) return 0;
  if (net->dense) {
    if (thread == 0) dense_backward(net, top, job->dense_y, job->dense_dy, TR, job->grads, job->dha, t->pa, t->pb);
    barrier(t);
  }

  float *dh = job->dha, *dx = job->dhb;
  for (int l = L - 1; l >= 0; l--) {
    layer_backward(t, l, dh, dx);
    float *tmp = dh; dh = dx; dx = tmp;
  }
  if (job->update) team_update(t);
  return 0;
}

// ---- stepper ----
// native/products.c: one LSTM layer's batch-1 step (h.U and the cell) in one call.
NATIVE(native_lstm_step) void native_lstm_step(float *state, int H, const float *U, float *g, const float *bias);

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
  int n = job->batch, G = gates(net->cell), GH = G * net->hidden, V = net->vocab, E = net->embed;
  int ld = net->state_row;
  float *cursor = job->work;
  float *g = STEP_TAKE(n * GH), *rg = STEP_TAKE(n * GH), *xe = STEP_TAKE(n * imax(1, E));
  float *pa = STEP_TAKE(pack_a_floats()), *pb = STEP_TAKE(pack_b_floats());
  float *dense_y = STEP_TAKE(n * imax(1, net->dense));

  for (int l = 0; l < net->layers; l++) {
    const float *W = P + net->kernel_off[l], *U = P + net->rec_off[l], *bias = P + net->bias_off[l];
    int H = net->layer_hidden[l];
    GH = G * H;
    float *h = job->state + net->state_off[l];
    if (l == 0 && E == 0) {
      gather_rows(g, W, job->tokens, n, GH);
    } else if (l == 0) {
      gather_rows(xe, P + net->emb_off, job->tokens, n, E);
      matmul_rows(xe, E, n, E, W, GH, g, 0, pa, pb);
    } else {
      matmul_rows(job->state + net->state_off[l - 1], ld, n, net->layer_hidden[l - 1], W, GH, g, 0, pa, pb);
    }
    if (net->cell == CELL_LSTM && n == 1 && native_products_on()) {
      native_lstm_step(h, H, U, g, bias);
    } else if (net->cell == CELL_LSTM) {
      matmul_rows(h, ld, n, H, U, GH, g, 1, pa, pb);
      lstm_forward(g, bias, h + H, ld, h + H, ld, 0, h, ld, n, H, 0, H);
    } else if (net->cell == CELL_GRU) {
      matmul_rows(h, ld, n, H, U, GH, rg, 0, pa, pb);
      gru_forward(g, rg, bias, bias + GH, h, ld, h, ld, 0, n, H, 0, H);
    } else {
      matmul_rows(h, ld, n, H, U, GH, g, 1, pa, pb);
      rnn_forward(g, bias, h, ld, n, H, 0, H);
    }
  }
  int H = net->layer_hidden[net->layers - 1];
  const float *top = job->state + net->state_off[net->layers - 1];
  if (net->dense) {
    dense_forward(net, top, ld, n, dense_y, pa, pb);
    matmul_rows(dense_y, net->dense, n, net->dense, P + net->out_kernel_off, V, job->logits, 0, pa, pb);
  } else {
    matmul_rows(top, ld, n, H, P + net->out_kernel_off, V, job->logits, 0, pa, pb);
  }
  for (int b = 0; b < n; b++) add_into(job->logits + b * V, P + net->out_bias_off, V);
}
