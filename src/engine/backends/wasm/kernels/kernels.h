// Declarations shared by the kernel files, and the two structs the TypeScript driver fills in.
// Both structs hold only 4-byte fields after an 8-byte double, so a field's byte offset is
// 4 x its index; `layout.ts` mirrors these indices and checks the sizes at start-up.
#ifndef RNNLAB_KERNELS_H
#define RNNLAB_KERNELS_H
#include "simd.h"
#include "blocking.h"

#define MAX_LAYERS 16
enum { CELL_RNN = 0, CELL_GRU = 1, CELL_LSTM = 2 };
enum { DENSE_RELU = 0, DENSE_TANH = 1, DENSE_LINEAR = 2 };

// A model: its shape and where each tensor lives in the flat canonical parameter array.
typedef struct {
  int cell, vocab, hidden, layers, embed; // hidden: the widest layer's units (shared buffers); embed = 0: one-hot input
  float *params;
  int param_count;
  int emb_off, out_kernel_off, out_bias_off;
  int kernel_off[MAX_LAYERS], rec_off[MAX_LAYERS], bias_off[MAX_LAYERS];
  int dense, dense_act, dense_kernel_off, dense_bias_off; // Dense hidden layer (dense = 0: none), dense.c
  // Layers may differ in size: layer l has layer_hidden[l] units (its input is layer l-1's output);
  // one sequence's state holds every layer's (LSTM: h then c), layer l's from state_off[l], state_row in all.
  int state_row;
  int layer_hidden[MAX_LAYERS], state_off[MAX_LAYERS];
} Net;

// The optimizer update a training pass ends with (update.c): global-norm clipping, then one of the
// optimizers of optim/optimizers.ts on float64 state, in JavaScript's order of float64 operations,
// so the result has the same bits as the TypeScript optimizer's.
enum { UPDATE_SGD = 0, UPDATE_MOMENTUM = 1, UPDATE_RMSPROP = 2, UPDATE_ADAM = 3, UPDATE_ADAGRAD = 4, UPDATE_ADADELTA = 5 };
typedef struct {
  double norm;      // out: the gradients' global norm before clipping
  double clip_norm; // clip the gradients to this global norm; 0 = no clipping
  double k[8];      // the step's scalars, as Optimizer.nextStep() lists them
  int rule;         // UPDATE_*
  int chunk;        // values per chunk of the sum of squares (clip.ts NORM_CHUNK)
  double *state[2]; // per-parameter state (Optimizer.stateArrays())
  double *partials; // per chunk of the parameters: its sum of squares
} Update;

// update.c: chunks [c0, c1) of the n gradients; every chunk's sum of squares must be in `partials`
// before update_norm and update_apply run.
void update_partials(Update *u, const float *g, int n, int c0, int c1);
double update_norm(const Update *u, int chunks);
void update_apply(const Update *u, float *p, float *g, int n, double norm, int c0, int c1);

// One training or evaluation pass over the whole batch, run by a team of `threads` threads that
// all call job_run(job, thread) over one shared memory. Each phase of the pass is split among
// them (products by output tiles, element-wise work by rows or units) with a barrier between
// phases; no split changes what any output element is computed from or in which order, so the
// results do not depend on the thread count.
typedef struct {
  double loss_sum; // out: sum of mask * -ln p(target)
  const Net *net;
  float *grads; // the gradients (canonical layout), overwritten
  float *work;
  int work_floats;
  int batch, steps, threads;
  const int *inputs, *targets; // batch-major
  const float *mask;           // batch-major; null = every position counts
  float *state;                // carried state: [batch][layers][state size]
  int carry, backward, dropout_on;
  unsigned seed;
  float dropout, grad_scale;
  int status; // out: 0 = ok
  Update *update; // after the backward pass, clip and update the parameters; null = leave them
  // The team's barrier: arrivals, generation, sleeping waiters, abort (set when a thread failed).
  int sync[4];
  // A layer's time steps: threads sleeping until a group's step is done, 3 spare.
  int steps_sync[4];
  // Filled by the kernels: the workspace carved into buffers (time-major rows r = t * batch + b).
  float *g[MAX_LAYERS], *hs[MAX_LAYERS], *cs[MAX_LAYERS], *tc[MAX_LAYERS], *rh[MAX_LAYERS], *drop[MAX_LAYERS];
  float *xemb, *rg, *dg, *dr, *dha, *dhb, *dc, *z, *upack, *mask_tm, *packs;
  double *row_loss;
  int *step_done;      // per group of batch rows: tiles of the layer's steps done
  int *product_claims; // per shared product of the pass: tiles claimed
  int *in_tm, *out_tm;
  int zrows;
  float *dense_y, *dense_dy; // Dense hidden layer outputs and their gradients [rows of the pass, dense]
} Job;

// Stateful single steps for `batch` independent streams (sampling, the hover).
typedef struct {
  const Net *net;
  int batch;
  const int *tokens; // [batch]
  float *state;      // [batch][layers][state size]; LSTM: h then c
  float *logits;     // out: [batch][vocab]
  float *work;
} StepJob;

// gemm.c: register blocks of MR x NR outputs; a split of an output on multiples of them leaves
// every element's arithmetic unchanged.
#define MR 4
void sgemm(int tA, int tB, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
           int beta, float *pa, float *pb);
int packed_b_floats(int K, int N);
void pack_b_full(int tB, const float *B, int ldb, int K, int N, float *pb);
void sgemm_packed(int tA, int M, int N, int K, const float *A, int lda, const float *pb_full, float *C, int ldc,
                  int beta, float *pa);
int pack_a_floats(void);
int packed_gates_floats(int K, int H, int G);
void pack_gate_panels(const float *U, int K, int H, int G, float *pu, int p0, int p1);
void pack_bt_panels(const float *B, int ldb, int K, int N, float *pb, int p0, int p1);
void gates_product(int M, int K, const float *A, int lda, const float *pu, int H, int G, int u0, int u1, float *C,
                   int ldc, int beta, float *pa);
int pack_b_floats(void);
void gemv(const float *x, int K, const float *W, int ldw, int N, float *y, int beta);
// set_native_products's modes (gemm.c; native.ts has the same numbers): every product and the
// LSTM's step as native code (the engine's own libraries), or only sgemm and gemv (a CBLAS
// library, which cannot read the engine's packed panels of U).
#define PRODUCTS_ALL 1
#define PRODUCTS_LARGE 2
// 1 when every product and the LSTM's step run as native code (PRODUCTS_ALL).
int native_products_on(void);
// Declares a function the host provides (native/products.c through native.ts), by the same name.
#define NATIVE(name) __attribute__((import_module("env"), import_name(#name)))
void fill(float *p, float v, int n);
void copy(float *dst, const float *src, int n);
void add_into(float *dst, const float *src, int n);
void colsum_add(float *db, const float *D, int rows, int N, int ld);

// dense.c
void dense_forward(const Net *net, const float *x, int ldx, int rows, float *y, float *pa, float *pb);
void dense_backward(const Net *net, const float *x, const float *y, float *dy, int rows, float *grads, float *dx,
                    float *pa, float *pb);

// cells.c
// Each works on units [u0, u1) of `rows` rows (H units per row); u0 a multiple of 4.
void lstm_forward(float *g, const float *bias, const float *c_prev, int ldcp, float *c, int ldc, float *tc, float *h,
                  int ldh, int rows, int H, int u0, int u1);
void lstm_backward(const float *g, const float *c_prev, const float *tc, const float *dh, float *dc, float *dg,
                   int rows, int H, int u0, int u1);
void gru_forward(float *g, const float *rg, const float *b_in, const float *b_rec, const float *h_prev, int ldhp,
                 float *h, int ldh, float *rh, int rows, int H, int u0, int u1);
void gru_backward(const float *g, const float *rh, const float *h_prev, const float *dh, float *dg, float *dr,
                  float *dh_prev, int rows, int H, int u0, int u1);
void rnn_forward(const float *g, const float *bias, float *h, int ldh, int rows, int H, int u0, int u1);
void rnn_backward(const float *h, const float *dh, float *dg, int rows, int H, int u0, int u1);

#endif
