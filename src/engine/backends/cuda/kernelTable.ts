/**
 * The kernels of kernels/kernels.cu by name, with their parameter kinds in order
 * (p = device pointer, i = int, u = unsigned int, f = float), and typed launchers for each.
 * A unit test checks this table against the `.entry` declarations of the committed PTX, so a
 * kernel whose signature changes without this table following is caught without a GPU.
 */
import type { CudaDriver, DevicePtr, Handle, KernelArg } from './driver';

export const KERNEL_PARAMS = {
  gemm_nn_64: 'iiipipipipiip',
  gemm_nt_64: 'iiipipipipiip',
  gemm_tn_64: 'iiipipipipiip',
  gemm_nn_128: 'iiipipipipiip',
  gemm_nt_128: 'iiipipipipiip',
  gemm_tn_128: 'iiipipipipiip',
  gemm_nn_32: 'iiipipipipiip',
  gemm_nt_32: 'iiipipipipiip',
  gemm_tn_32: 'iiipipipipiip',
  splitk_reduce: 'iiippipi',
  col_sum_partial: 'iiipp',
  lstm_fwd: 'iippppppp',
  gru_fwd: 'iippppppp',
  rnn_fwd: 'iippp',
  lstm_bwd: 'iippppppp',
  gru_bwd: 'iippppppp',
  rnn_bwd: 'iipppp',
  gather_rows: 'iipppp',
  scatter_add_rows: 'iipppp',
  dropout_apply: 'iiipppuuf',
  activate: 'ipi',
  activate_bwd: 'ippi',
  softmax_xent: 'iipppppi',
  sum_to_double: 'ipp',
  sumsq_partial: 'ipp',
  clip_finish: 'ipfpp',
  opt_sgd: 'ippp',
  opt_momentum: 'ippppf',
  opt_rmsprop: 'ippppff',
  opt_adam: 'ipppppfff',
  opt_adagrad: 'ippppf',
  opt_adadelta: 'ipppppff',
} as const;

export type KernelName = keyof typeof KERNEL_PARAMS;
export const KERNEL_NAMES = Object.keys(KERNEL_PARAMS) as KernelName[];

/** Indices into the step-scalar array (kernels.cu S_*). */
export const enum Scalar {
  LearningRate = 0,
  ClipScale = 1,
  AdamC1 = 2,
  AdamC2 = 3,
  InvCount = 4,
  Seed = 5,
}
export const SCALAR_COUNT = 8;

export const p = (ptr: DevicePtr): KernelArg => ({ p: ptr });
export const i = (v: number): KernelArg => ({ i: v });
export const u = (v: number): KernelArg => ({ u: v });
export const f = (v: number): KernelArg => ({ f: v });

const THREADS = 256;
const blocks = (n: number) => Math.max(1, Math.ceil(n / THREADS));

/** Typed launches of every kernel on one stream. Pointers are bigints; `at(ptr, floats)` offsets them. */
export class Kernels {
  private readonly fns = new Map<KernelName, Handle>();
  /** Multiprocessors of the GPU: split-K and tile choices aim to fill them. */
  constructor(private readonly driver: CudaDriver, module: Handle, readonly stream: Handle, readonly multiprocessors: number) {
    for (const name of KERNEL_NAMES) this.fns.set(name, driver.getFunction(module, name));
  }

  private launch(name: KernelName, grid: [number, number, number], block: [number, number, number], args: KernelArg[]): void {
    const kinds = KERNEL_PARAMS[name];
    if (args.length !== kinds.length) throw new Error(`${name} takes ${kinds.length} arguments, got ${args.length}`);
    this.driver.launch(name, this.fns.get(name)!, grid, block, args, this.stream);
  }

  /**
   * C[M,N] (=|+=) op(A)·op(B) (+ bias[N]), op(A)(i,p) = transA ? A[p*lda+i] : A[i*lda+p] and
   * op(B)(p,j) = transB ? B[j*ldb+p] : B[p*ldb+j]. Long sums with few output tiles (weight
   * gradients) are split over K into `scratch` (at least splitKScratchFloats floats) and reduced in order.
   */
  gemm(o: {
    M: number; N: number; K: number;
    A: DevicePtr; lda: number; transA?: boolean;
    B: DevicePtr; ldb: number; transB?: boolean;
    C: DevicePtr; ldc: number;
    bias?: DevicePtr; accumulate?: boolean; scratch?: DevicePtr; scratchFloats?: number;
  }): void {
    const { M, N, K } = o;
    if (M <= 0 || N <= 0) return;
    if (o.transA && o.transB) throw new Error('gemm: both operands transposed is not needed and not built');
    const variant = o.transA ? 'tn' : o.transB ? 'nt' : 'nn';
    // The largest tile that still gives every multiprocessor a block (big tiles reuse more of each load).
    const tile = [128, 64].find((t) => Math.ceil(M / t) * Math.ceil(N / t) >= this.multiprocessors) ?? 32;
    const tilesM = Math.ceil(M / tile), tilesN = Math.ceil(N / tile);
    const slices = splitKSlices(tilesM * tilesN, K, this.multiprocessors, o.scratch ? Math.floor((o.scratchFloats ?? 0) / (M * N)) : 1);
    const kSlice = Math.ceil(K / slices / 16) * 16;
    const used = Math.ceil(K / kSlice);
    const name = `gemm_${variant}_${tile}` as KernelName;
    this.launch(name, [tilesM, tilesN, used], [THREADS, 1, 1], [
      i(M), i(N), i(K), p(o.A), i(o.lda), p(o.B), i(o.ldb), p(o.C), i(o.ldc), p(o.bias ?? 0n), i(o.accumulate ? 1 : 0), i(kSlice), p(used > 1 ? o.scratch! : 0n),
    ]);
    if (used > 1) this.splitKReduce(M, N, used, o.scratch!, o.C, o.ldc, o.bias ?? 0n, o.accumulate ?? false);
  }

  private splitKReduce(M: number, N: number, slices: number, partial: DevicePtr, C: DevicePtr, ldc: number, bias: DevicePtr, accumulate: boolean): void {
    this.launch('splitk_reduce', [blocks(M * N), 1, 1], [THREADS, 1, 1], [i(M), i(N), i(slices), p(partial), p(C), i(ldc), p(bias), i(accumulate ? 1 : 0)]);
  }

  /** out[j] += Σ_r A[r, j] over `rows` rows of `cols` (bias gradients), in a fixed order. */
  columnSumsAdd(rows: number, cols: number, A: DevicePtr, out: DevicePtr, scratch: DevicePtr, scratchFloats: number): void {
    const colBlocks = Math.ceil(cols / 32);
    const slices = Math.max(1, Math.min(Math.ceil(rows / 256), Math.floor(scratchFloats / cols), Math.ceil((4 * this.multiprocessors) / colBlocks)));
    const rowSlice = Math.ceil(rows / slices);
    const used = Math.ceil(rows / rowSlice);
    this.launch('col_sum_partial', [colBlocks, used, 1], [32, 8, 1], [i(rows), i(cols), i(rowSlice), p(A), p(scratch)]);
    this.splitKReduce(1, cols, used, scratch, out, cols, 0n, true);
  }

  lstmForward(B: number, H: number, xw: DevicePtr, rec: DevicePtr, cPrev: DevicePtr, hNext: DevicePtr, cNext: DevicePtr, gates: DevicePtr, aux: DevicePtr): void {
    this.launch('lstm_fwd', [blocks(B * H), 1, 1], [THREADS, 1, 1], [i(B), i(H), p(xw), p(rec), p(cPrev), p(hNext), p(cNext), p(gates), p(aux)]);
  }

  gruForward(B: number, H: number, xw: DevicePtr, rec: DevicePtr, recBias: DevicePtr, hPrev: DevicePtr, hNext: DevicePtr, gates: DevicePtr, aux: DevicePtr): void {
    this.launch('gru_fwd', [blocks(B * H), 1, 1], [THREADS, 1, 1], [i(B), i(H), p(xw), p(rec), p(recBias), p(hPrev), p(hNext), p(gates), p(aux)]);
  }

  rnnForward(B: number, H: number, xw: DevicePtr, rec: DevicePtr, hNext: DevicePtr): void {
    this.launch('rnn_fwd', [blocks(B * H), 1, 1], [THREADS, 1, 1], [i(B), i(H), p(xw), p(rec), p(hNext)]);
  }

  lstmBackward(B: number, H: number, dOut: DevicePtr, dhNext: DevicePtr, dcNext: DevicePtr, gates: DevicePtr, aux: DevicePtr, cPrev: DevicePtr, dPre: DevicePtr): void {
    this.launch('lstm_bwd', [blocks(B * H), 1, 1], [THREADS, 1, 1], [i(B), i(H), p(dOut), p(dhNext), p(dcNext), p(gates), p(aux), p(cPrev), p(dPre)]);
  }

  gruBackward(B: number, H: number, dOut: DevicePtr, dhNext: DevicePtr, gates: DevicePtr, aux: DevicePtr, hPrev: DevicePtr, dPre: DevicePtr, dPreRec: DevicePtr): void {
    this.launch('gru_bwd', [blocks(B * H), 1, 1], [THREADS, 1, 1], [i(B), i(H), p(dOut), p(dhNext), p(gates), p(aux), p(hPrev), p(dPre), p(dPreRec)]);
  }

  rnnBackward(B: number, H: number, dOut: DevicePtr, dhNext: DevicePtr, hNext: DevicePtr, dPre: DevicePtr): void {
    this.launch('rnn_bwd', [blocks(B * H), 1, 1], [THREADS, 1, 1], [i(B), i(H), p(dOut), p(dhNext), p(hNext), p(dPre)]);
  }

  gatherRows(N: number, width: number, ids: DevicePtr, table: DevicePtr, bias: DevicePtr, out: DevicePtr): void {
    this.launch('gather_rows', [blocks(N * width), 1, 1], [THREADS, 1, 1], [i(N), i(width), p(ids), p(table), p(bias), p(out)]);
  }

  scatterAddRows(V: number, width: number, tokenStart: DevicePtr, rowsByToken: DevicePtr, src: DevicePtr, table: DevicePtr): void {
    this.launch('scatter_add_rows', [Math.ceil(width / 128), V, 1], [128, 1, 1], [i(V), i(width), p(tokenStart), p(rowsByToken), p(src), p(table)]);
  }

  dropout(N: number, B: number, width: number, src: DevicePtr, dst: DevicePtr, scalars: DevicePtr, site: number, threshold: number, keepScale: number): void {
    this.launch('dropout_apply', [blocks(N * width), 1, 1], [THREADS, 1, 1], [i(N), i(B), i(width), p(src), p(dst), p(scalars), u(site), u(threshold), f(keepScale)]);
  }

  activate(n: number, x: DevicePtr, act: number): void {
    if (act !== 0) this.launch('activate', [blocks(n), 1, 1], [THREADS, 1, 1], [i(n), p(x), i(act)]);
  }

  activateBackward(n: number, d: DevicePtr, y: DevicePtr, act: number): void {
    if (act !== 0) this.launch('activate_bwd', [blocks(n), 1, 1], [THREADS, 1, 1], [i(n), p(d), p(y), i(act)]);
  }

  softmaxXent(N: number, V: number, logits: DevicePtr, targets: DevicePtr, weights: DevicePtr, scalars: DevicePtr, rowLoss: DevicePtr, grad: boolean): void {
    this.launch('softmax_xent', [N, 1, 1], [THREADS, 1, 1], [i(N), i(V), p(logits), p(targets), p(weights), p(scalars), p(rowLoss), i(grad ? 1 : 0)]);
  }

  sumToDouble(n: number, x: DevicePtr, out: DevicePtr): void {
    this.launch('sum_to_double', [1, 1, 1], [1024, 1, 1], [i(n), p(x), p(out)]);
  }

  /** Global gradient norm into normOut (double) and the clipping scale into the step scalars. */
  clipNorm(n: number, grads: DevicePtr, partial: DevicePtr, parts: number, clipNorm: number, normOut: DevicePtr, scalars: DevicePtr): void {
    this.launch('sumsq_partial', [parts, 1, 1], [THREADS, 1, 1], [i(n), p(grads), p(partial)]);
    this.launch('clip_finish', [1, 1, 1], [THREADS, 1, 1], [i(parts), p(partial), f(clipNorm), p(normOut), p(scalars)]);
  }

  optimizer(name: KernelName & `opt_${string}`, n: number, params: DevicePtr, grads: DevicePtr, scalars: DevicePtr, extra: KernelArg[]): void {
    this.launch(name, [blocks(n), 1, 1], [THREADS, 1, 1], [i(n), p(params), p(grads), p(scalars), ...extra]);
  }
}

/**
 * How many K slices a product with `tiles` output tiles should use: enough blocks to fill the GPU
 * (about 2 per multiprocessor) when the sum is long (>= 512 per slice), limited by the scratch.
 */
export function splitKSlices(tiles: number, K: number, multiprocessors: number, maxSlices: number): number {
  const wanted = Math.ceil((2 * multiprocessors) / tiles);
  const byLength = Math.floor(K / 512);
  return Math.max(1, Math.min(wanted, byLength, maxSlices, 64));
}

/** A device pointer `floats` 4-byte elements further on. */
export function at(ptr: DevicePtr, floats: number): DevicePtr {
  return ptr + BigInt(4 * floats);
}
