// A stand-in for the NVIDIA driver library (libcuda.so.1) for machines without a GPU: it exports
// the driver calls the GPU backend binds, with the same C signatures, and runs our kernels
// (../../src/engine/backends/cuda/kernels/kernels.cu, compiled here as C++ for the CPU) one block
// at a time, the threads of a block as cooperatively scheduled fibers so __syncthreads and the
// warp shuffles behave as on a GPU. Device memory is host memory; a stream capture records the
// launches, copies and fills into a list that a graph launch replays.
//
// What this checks: the koffi binding's marshalling, the host code's orchestration (buffers,
// offsets, launch order, graph capture rules) and the kernels' arithmetic as written in CUDA C.
// What it cannot check: the PTX, the driver's JIT, real parallel execution and the hardware.
// Tests that use it say so; a GPU is still needed for `npm run test:gpu`.
//
// Knobs (environment): RNN_LAB_STAND_IN_DEVICES (default 1), RNN_LAB_STAND_IN_MEMORY (bytes,
// default 4 GiB: larger allocations fail with CUDA_ERROR_OUT_OF_MEMORY), RNN_LAB_STAND_IN_PTX_ERROR
// (module loading fails with CUDA_ERROR_UNSUPPORTED_PTX_VERSION and this text in the JIT log).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>
#include <csetjmp>
#include <ucontext.h>

// ---- the CUDA C dialect on the CPU -------------------------------------------------------------
struct dim3 { unsigned x = 1, y = 1, z = 1; };
static dim3 threadIdx, blockIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
// Blocks run one at a time, so function-static storage is exactly one block's shared memory.
#define __shared__ static
static inline int min(int a, int b) { return a < b ? a : b; }
static inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
static void sync_threads();
#define __syncthreads() sync_threads()
static float shuffle_slots[1024];
static float __shfl_down_sync(unsigned, float v, int offset) {
  unsigned tid = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  shuffle_slots[tid] = v;
  sync_threads();
  unsigned lane = tid % 32;
  float r = lane + offset < 32 && tid + offset < blockDim.x * blockDim.y * blockDim.z ? shuffle_slots[tid + offset] : v;
  sync_threads();
  return r;
}

#include "../../src/engine/backends/cuda/kernels/kernels.cu"

// ---- fibers: the threads of one block ----------------------------------------------------------
// Each fiber is entered once with setcontext and loops forever (run the block's body, yield);
// switches after that are _setjmp/_longjmp, which (unlike swapcontext) make no system call.
namespace {
const size_t STACK_BYTES = 64 * 1024;
struct Fiber { ucontext_t ctx; jmp_buf jb; std::vector<char> stack; bool started = false; bool done = false; dim3 tid; };
jmp_buf scheduler;
std::vector<Fiber> fibers(1024);
size_t current = 0;
bool in_fibers = false;
const std::function<void()> *body = nullptr;

void yield_to_scheduler() {
  if (!_setjmp(fibers[current].jb)) _longjmp(scheduler, 1);
}

void fiber_main() {
  for (;;) {
    (*body)();
    fibers[current].done = true;
    yield_to_scheduler();
  }
}

void resume(size_t t) {
  current = t;
  threadIdx = fibers[t].tid;
  if (_setjmp(scheduler)) return;
  Fiber &f = fibers[t];
  if (!f.started) {
    f.started = true;
    f.stack.resize(STACK_BYTES);
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack.data();
    f.ctx.uc_stack.ss_size = STACK_BYTES;
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, fiber_main, 0);
    setcontext(&f.ctx);
  }
  _longjmp(f.jb, 1);
}
}  // namespace

static void sync_threads() {
  if (in_fibers) yield_to_scheduler();  // a block run without fibers has no barriers
}

static void run_block_fibers(unsigned threads, const std::function<void()> &fn) {
  body = &fn;
  in_fibers = true;
  for (unsigned t = 0; t < threads; t++) {
    fibers[t].done = false;
    fibers[t].tid = {t % blockDim.x, (t / blockDim.x) % blockDim.y, t / (blockDim.x * blockDim.y)};
  }
  // Round robin: each live thread runs to its next barrier (or its end), then the next one.
  for (bool live = true; live;) {
    live = false;
    for (unsigned t = 0; t < threads; t++) {
      if (fibers[t].done) continue;
      resume(t);
      live = true;
    }
  }
  in_fibers = false;
}

// ---- the kernel registry: name -> how to call it with kernelParams -----------------------------
struct Kernel {
  std::vector<size_t> sizes;
  std::function<void(void **)> call;
  bool barriers;
};

template <typename... A, size_t... I>
static void invoke(void (*f)(A...), void **p, std::index_sequence<I...>) { f(*static_cast<A *>(p[I])...); }

template <typename... A>
static Kernel entry(void (*f)(A...), bool barriers) {
  return Kernel{{sizeof(A)...}, [f](void **p) { invoke(f, p, std::index_sequence_for<A...>{}); }, barriers};
}

static std::map<std::string, Kernel> &registry() {
  static std::map<std::string, Kernel> r = {
#define K(name, barriers) {#name, entry(name, barriers)}
      K(gemm_nn_128, true), K(gemm_nt_128, true), K(gemm_tn_128, true),
      K(gemm_nn_64, true), K(gemm_nt_64, true), K(gemm_tn_64, true), K(gemm_nn_32, true), K(gemm_nt_32, true),
      K(gemm_tn_32, true), K(splitk_reduce, false), K(col_sum_partial, true), K(lstm_fwd, false), K(gru_fwd, false),
      K(rnn_fwd, false), K(lstm_bwd, false), K(gru_bwd, false), K(rnn_bwd, false), K(gather_rows, false),
      K(scatter_add_rows, false), K(dropout_apply, false), K(activate, false), K(activate_bwd, false),
      K(softmax_xent, true), K(sum_to_double, true), K(sumsq_partial, true), K(clip_finish, true), K(opt_sgd, false),
      K(opt_momentum, false), K(opt_rmsprop, false), K(opt_adam, false), K(opt_adagrad, false), K(opt_adadelta, false),
#undef K
  };
  return r;
}

// ---- launches and the operations a graph records -------------------------------------------------
struct Launch {
  const Kernel *kernel;
  dim3 grid, block;
  std::vector<std::vector<char>> args;
};
struct Op {
  enum { LAUNCH, COPY, FILL } kind;
  Launch launch;
  void *dst = nullptr;
  const void *src = nullptr;
  size_t bytes = 0;
  unsigned value = 0;
};

static void execute(const Launch &l) {
  std::vector<void *> params;
  for (auto &a : l.args) params.push_back(const_cast<char *>(a.data()));
  gridDim = l.grid;
  blockDim = l.block;
  unsigned threads = l.block.x * l.block.y * l.block.z;
  for (unsigned z = 0; z < l.grid.z; z++)
    for (unsigned y = 0; y < l.grid.y; y++)
      for (unsigned x = 0; x < l.grid.x; x++) {
        blockIdx = {x, y, z};
        if (l.kernel->barriers) {
          run_block_fibers(threads, [&] { l.kernel->call(params.data()); });
        } else {
          for (unsigned t = 0; t < threads; t++) {
            threadIdx = {t % l.block.x, (t / l.block.x) % l.block.y, t / (l.block.x * l.block.y)};
            l.kernel->call(params.data());
          }
        }
      }
}

static void execute(const Op &op) {
  if (op.kind == Op::LAUNCH) execute(op.launch);
  else if (op.kind == Op::COPY) memmove(op.dst, op.src, op.bytes);
  else for (size_t i = 0; i < op.bytes / 4; i++) memcpy(static_cast<char *>(op.dst) + 4 * i, &op.value, 4);
}

struct Stream { bool capturing = false; std::vector<Op> *recording = nullptr; bool invalid = false; };
struct Graph { std::vector<Op> ops; };

static size_t memory_limit() {
  const char *v = getenv("RNN_LAB_STAND_IN_MEMORY");
  return v ? strtoull(v, nullptr, 10) : (size_t)4 << 30;
}
static size_t allocated = 0;
static std::map<void *, size_t> allocations;

// Either runs the operation now or records it into the stream's capture.
static int submit(void *stream, Op op) {
  Stream *s = static_cast<Stream *>(stream);
  if (s && s->capturing) {
    s->recording->push_back(std::move(op));
    return 0;
  }
  execute(op);
  return 0;
}

#define EXPORT extern "C" __attribute__((visibility("default")))
typedef uint64_t CUdeviceptr;

EXPORT int cuInit(unsigned) { return 0; }
EXPORT int cuDriverGetVersion(int *v) { *v = 12080; return 0; }
EXPORT int cuGetErrorName(int code, const char **name) {
  static std::map<int, const char *> names = {{0, "CUDA_SUCCESS"}, {1, "CUDA_ERROR_INVALID_VALUE"}, {2, "CUDA_ERROR_OUT_OF_MEMORY"},
                                              {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"}, {500, "CUDA_ERROR_NOT_FOUND"},
                                              {900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"}};
  auto it = names.find(code);
  if (it == names.end()) return 1;
  *name = it->second;
  return 0;
}
EXPORT int cuDeviceGetCount(int *n) {
  const char *v = getenv("RNN_LAB_STAND_IN_DEVICES");
  *n = v ? atoi(v) : 1;
  return 0;
}
EXPORT int cuDeviceGet(int *dev, int ordinal) { *dev = ordinal; return 0; }
EXPORT int cuDeviceGetName(char *name, int len, int) { snprintf(name, len, "Stand-in (CPU emulation, not a GPU)"); return 0; }
EXPORT int cuDeviceTotalMem_v2(size_t *bytes, int) { *bytes = memory_limit(); return 0; }
EXPORT int cuDeviceGetAttribute(int *value, int attribute, int) {
  *value = attribute == 75 ? 7 : attribute == 76 ? 5 : attribute == 16 ? 4 : 0;
  return 0;
}
EXPORT int cuDevicePrimaryCtxRetain(void **ctx, int) { static int c; *ctx = &c; return 0; }
EXPORT int cuCtxSetCurrent(void *) { return 0; }
EXPORT int cuCtxSynchronize() { return 0; }
EXPORT int cuMemGetInfo_v2(size_t *free, size_t *total) { *total = memory_limit(); *free = *total - allocated; return 0; }

EXPORT int cuModuleLoadDataEx(void **module, const void *image, unsigned count, int *options, void **values) {
  const char *fail = getenv("RNN_LAB_STAND_IN_PTX_ERROR");
  const char *ptx = static_cast<const char *>(image);
  bool ok = strstr(ptx, ".version") && strstr(ptx, ".target sm_75");
  if (fail || !ok) {
    for (unsigned i = 0; i < count; i++)
      if (options[i] == 5) snprintf(static_cast<char *>(values[i]), 256, "%s", fail ? fail : "not PTX");
    return 222;
  }
  static int m;
  *module = &m;
  return 0;
}
EXPORT int cuModuleUnload(void *) { return 0; }
EXPORT int cuModuleGetFunction(void **fn, void *, const char *name) {
  auto it = registry().find(name);
  if (it == registry().end()) return 500;
  *fn = &it->second;
  return 0;
}
EXPORT int cuMemAlloc_v2(CUdeviceptr *ptr, size_t bytes) {
  if (allocated + bytes > memory_limit()) return 2;
  void *p = calloc(1, bytes);
  if (!p) return 2;
  allocations[p] = bytes;
  allocated += bytes;
  *ptr = reinterpret_cast<CUdeviceptr>(p);
  return 0;
}
EXPORT int cuMemFree_v2(CUdeviceptr ptr) {
  auto it = allocations.find(reinterpret_cast<void *>(ptr));
  if (it == allocations.end()) return 1;
  allocated -= it->second;
  free(it->first);
  allocations.erase(it);
  return 0;
}
// Copies from pageable host memory cannot be recorded into a graph (as with the real driver).
EXPORT int cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes, void *stream) {
  if (stream && static_cast<Stream *>(stream)->capturing) return static_cast<Stream *>(stream)->invalid = true, 900;
  memcpy(reinterpret_cast<void *>(dst), src, bytes);
  return 0;
}
EXPORT int cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes, void *stream) {
  if (stream && static_cast<Stream *>(stream)->capturing) return static_cast<Stream *>(stream)->invalid = true, 900;
  memcpy(dst, reinterpret_cast<void *>(src), bytes);
  return 0;
}
EXPORT int cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void *stream) {
  Op op{Op::COPY, {}, reinterpret_cast<void *>(dst), reinterpret_cast<const void *>(src), bytes};
  return submit(stream, std::move(op));
}
EXPORT int cuMemsetD32Async(CUdeviceptr dst, unsigned value, size_t count, void *stream) {
  Op op{Op::FILL, {}, reinterpret_cast<void *>(dst), nullptr, 4 * count, value};
  return submit(stream, std::move(op));
}
EXPORT int cuStreamCreate(void **stream, unsigned) { *stream = new Stream(); return 0; }
EXPORT int cuStreamDestroy_v2(void *stream) { delete static_cast<Stream *>(stream); return 0; }
EXPORT int cuStreamSynchronize(void *stream) {
  if (stream && static_cast<Stream *>(stream)->capturing) return 906;
  return 0;
}
EXPORT int cuEventCreate(void **event, unsigned) { *event = new int(0); return 0; }
EXPORT int cuEventRecord(void *, void *) { return 0; }
EXPORT int cuEventSynchronize(void *) { return 0; }
EXPORT int cuEventElapsedTime(float *ms, void *, void *) { *ms = 0; return 0; }
EXPORT int cuEventDestroy_v2(void *event) { delete static_cast<int *>(event); return 0; }

EXPORT int cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                          unsigned shared, void *stream, void **params, void **extra) {
  if (!fn || !params || extra || shared) return 1;
  if (bx * by * bz > 1024 || bx * by * bz == 0 || gx == 0 || gy == 0 || gz == 0 || gy > 65535 || gz > 65535) return 1;
  const Kernel *k = static_cast<const Kernel *>(fn);
  Launch l{k, {gx, gy, gz}, {bx, by, bz}, {}};
  // The driver copies each argument by the size the kernel declares (as from the PTX).
  for (size_t i = 0; i < k->sizes.size(); i++) {
    const char *p = static_cast<const char *>(params[i]);
    l.args.emplace_back(p, p + k->sizes[i]);
  }
  Op op{Op::LAUNCH, std::move(l)};
  return submit(stream, std::move(op));
}
EXPORT int cuStreamBeginCapture_v2(void *stream, int) {
  Stream *s = static_cast<Stream *>(stream);
  if (!s || s->capturing) return 401;
  s->capturing = true;
  s->invalid = false;
  s->recording = new std::vector<Op>();
  return 0;
}
EXPORT int cuStreamEndCapture(void *stream, void **graph) {
  Stream *s = static_cast<Stream *>(stream);
  if (!s || !s->capturing) return 401;
  s->capturing = false;
  Graph *g = new Graph{std::move(*s->recording)};
  delete s->recording;
  s->recording = nullptr;
  if (s->invalid) { delete g; *graph = nullptr; return 901; }
  *graph = g;
  return 0;
}
EXPORT int cuGraphInstantiateWithFlags(void **exec, void *graph, unsigned long long) {
  if (!graph) return 400;
  *exec = new Graph(*static_cast<Graph *>(graph));
  return 0;
}
EXPORT int cuGraphLaunch(void *exec, void *stream) {
  if (stream && static_cast<Stream *>(stream)->capturing) return 900;
  for (const Op &op : static_cast<Graph *>(exec)->ops) execute(op);
  return 0;
}
EXPORT int cuGraphExecDestroy(void *exec) { delete static_cast<Graph *>(exec); return 0; }
EXPORT int cuGraphDestroy(void *graph) { delete static_cast<Graph *>(graph); return 0; }
