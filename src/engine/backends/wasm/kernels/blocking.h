// The blocking the WebAssembly products (gemm.c) and the native ones (native/products.c,
// native/products-neon.c) share, with their loop nests (blocked.h).
// It is more than a tuning choice: it fixes the packed right-hand panels' layout (panels of NR
// columns, [k][NR]), which both read; the packing buffers' sizes, which the WebAssembly side
// allocates and both fill; and the k blocks every output element is summed in, so that both give
// the same sums in the same order.
#ifndef RNNLAB_BLOCKING_H
#define RNNLAB_BLOCKING_H

#define NR 8    // columns per packed right-hand panel
#define KC 256  // k block
#define MC 128  // rows of the left-hand packing buffer (MC x KC floats)
#define NC 1024 // columns of the right-hand packing buffer (KC x NC floats)

// A matrix-vector product's matrix up to this size is assumed to stay in the L2 cache between
// stepper calls (walked by columns with y in registers; a larger one streams in row order).
#define GEMV_CACHED_BYTES (256 * 1024)

#endif
