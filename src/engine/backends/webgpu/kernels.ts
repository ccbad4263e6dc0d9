/**
 * The WebGPU kernels (WGSL, fp32), one set for every host of the API. They port the CUDA kernels
 * (../cuda/kernels/kernels.cu) and keep their conventions: rows are time-major (row r = t*B + b),
 * matrices row-major, LSTM gates i,f,c,o, GRU z,r,h "reset_after", the dropout hash of
 * ../dropout.ts. Nothing uses atomics: every sum has a fixed order, so a run is reproducible.
 *
 * Each kernel is declared once here as a `KernelDef`: its storage bindings and its scalar
 * parameters. The WGSL header (the bindings and a uniform `Params` struct) is generated from that
 * declaration, and the host (pipelines.ts) packs the parameters from the same list, so the two
 * cannot disagree. Every binding `x` gets a parameter `o_x`: the element offset of the view the host
 * passes, so one GPU buffer can hold many arrays (the parameters, the hidden states of all steps).
 */

export type Access = 'read' | 'read_write';
export type Elem = 'f32' | 'i32';

export interface KernelDef {
  name: string;
  /** Storage bindings in binding order (binding 0 is the uniform parameters). */
  bindings: Array<[name: string, access: Access, elem?: Elem]>;
  /** Scalar parameters besides the offsets: `name` is u32, `name:f32` a float. */
  params: string[];
  /** Threads per workgroup (linear kernels: one thread per element, index `gi`). */
  workgroupSize: number;
  body: string;
}

/** Step scalars in one small storage array the host rewrites before each step (as for CUDA). */
export const Scalar = { LearningRate: 0, ClipScale: 1, AdamC1: 2, AdamC2: 3, InvCount: 4, Seed: 5 } as const;
export const SCALAR_COUNT = 8;

/** The index of a linear kernel's element: dispatches wider than 65535 workgroups use y as well. */
const LINEAR = (size: number) => `let gi = gid.x + gid.y * (nwg.x * ${size}u);`;

/** Cell kernels: one thread per (row, unit) of one time step. */
const cellPrelude = `${LINEAR(256)}
  if (gi >= p.B * p.H) { return; }
  let b = gi / p.H;
  let j = gi % p.H;`;

const SIGMOID = `fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }`;

/**
 * tanh that stays finite: WGSL's tanh may be computed as a ratio of exponentials that overflows
 * to NaN for large |x| on some drivers.
 */
const TANH = `fn tanh_safe(x: f32) -> f32 { let c = clamp(x, -15.0, 15.0); return tanh(c); }`;

export interface GemmShape {
  /** Output rows and columns of one workgroup's tile (square). */
  tile: 32 | 64;
  transA: boolean;
  transB: boolean;
}

const BK = 16;

/**
 * C (=|+=) op(A)·op(B) + bias, op(A)(i,k) = transA ? A[k*lda+i] : A[i*lda+k], likewise B. A
 * workgroup of 16x16 threads computes a tile x tile block of C, each thread a (tile/16)² patch with
 * stride 16; the operands pass through workgroup memory BK = 16 deep (padded rows: no bank conflicts).
 */
export function gemmKernel({ tile, transA, transB }: GemmShape): KernelDef {
  const T = tile / 16;
  const pad = tile + 1;
  const loadA = transA ? `let i = e % ${tile}u; let q = e / ${tile}u;` : `let i = e / ${BK}u; let q = e % ${BK}u;`;
  const readA = transA ? `A[p.o_A + gq * p.lda + gi]` : `A[p.o_A + gi * p.lda + gq]`;
  const loadB = transB ? `let j = e / ${BK}u; let q = e % ${BK}u;` : `let j = e % ${tile}u; let q = e / ${tile}u;`;
  const readB = transB ? `Bm[p.o_Bm + gj * p.ldb + gq]` : `Bm[p.o_Bm + gq * p.ldb + gj]`;
  return {
    name: `gemm_${tile}_${transA ? 't' : 'n'}${transB ? 't' : 'n'}`,
    bindings: [['A', 'read'], ['Bm', 'read'], ['C', 'read_write'], ['bias', 'read']],
    params: ['M', 'N', 'K', 'lda', 'ldb', 'ldc', 'hasBias', 'accumulate'],
    workgroupSize: 256,
    body: `
var<workgroup> As: array<f32, ${BK * pad}>;
var<workgroup> Bs: array<f32, ${BK * pad}>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wg: vec3u) {
  let tx = tid % 16u;
  let ty = tid / 16u;
  let i0 = wg.x * ${tile}u;
  let j0 = wg.y * ${tile}u;
  var acc: array<f32, ${T * T}>;
  var av: array<f32, ${T}>;
  var bv: array<f32, ${T}>;
  for (var k0 = 0u; k0 < p.K; k0 += ${BK}u) {
    for (var s = 0u; s < ${(tile * BK) / 256}u; s++) {
      let e = tid + 256u * s;
      ${loadA}
      let gi = i0 + i;
      let gq = k0 + q;
      var v = 0.0;
      if (gi < p.M && gq < p.K) { v = ${readA}; }
      As[q * ${pad}u + i] = v;
    }
    for (var s = 0u; s < ${(tile * BK) / 256}u; s++) {
      let e = tid + 256u * s;
      ${loadB}
      let gj = j0 + j;
      let gq = k0 + q;
      var v = 0.0;
      if (gj < p.N && gq < p.K) { v = ${readB}; }
      Bs[q * ${pad}u + j] = v;
    }
    workgroupBarrier();
    for (var q = 0u; q < ${BK}u; q++) {
      for (var a = 0u; a < ${T}u; a++) { av[a] = As[q * ${pad}u + ty + 16u * a]; }
      for (var c = 0u; c < ${T}u; c++) { bv[c] = Bs[q * ${pad}u + tx + 16u * c]; }
      for (var a = 0u; a < ${T}u; a++) {
        for (var c = 0u; c < ${T}u; c++) { acc[a * ${T}u + c] = fma(av[a], bv[c], acc[a * ${T}u + c]); }
      }
    }
    workgroupBarrier();
  }
  for (var a = 0u; a < ${T}u; a++) {
    let i = i0 + ty + 16u * a;
    if (i >= p.M) { continue; }
    for (var c = 0u; c < ${T}u; c++) {
      let j = j0 + tx + 16u * c;
      if (j >= p.N) { continue; }
      var v = acc[a * ${T}u + c];
      if (p.hasBias != 0u) { v += bias[p.o_bias + j]; }
      let at = p.o_C + i * p.ldc + j;
      if (p.accumulate != 0u) { C[at] = C[at] + v; } else { C[at] = v; }
    }
  }
}`,
  };
}

function linear(name: string, bindings: KernelDef['bindings'], params: string[], code: string, helpers = ''): KernelDef {
  return {
    name,
    bindings,
    params,
    workgroupSize: 256,
    body: `${helpers}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${code}
}`,
  };
}

/** A workgroup-wide sum or max over 256 threads, in a fixed order (a tree in workgroup memory). */
const REDUCE = `
var<workgroup> red: array<f32, 256>;
fn reduce256(v: f32, tid: u32, isMax: bool) -> f32 {
  red[tid] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (tid < s) { red[tid] = select(red[tid] + red[tid + s], max(red[tid], red[tid + s]), isMax); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;

const MIX32 = `
fn mix32(v: u32) -> u32 {
  var x = v;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}`;

/** The optimizers of ../../optim/optimizers.ts on the clipped gradient, state in fp32. */
function optimizer(name: string, state: string[], constants: string[], update: string): KernelDef {
  return linear(
    `opt_${name}`,
    [['params', 'read_write'], ['grads', 'read'], ['scalars', 'read'], ...state.map((s): [string, Access] => [s, 'read_write'])],
    ['n', ...constants.map((c) => `${c}:f32`)],
    `${LINEAR(256)}
  if (gi >= p.n) { return; }
  let lr = scalars[${Scalar.LearningRate}];
  let g = grads[gi] * scalars[${Scalar.ClipScale}];
  ${update}`,
  );
}

export const KERNELS: KernelDef[] = [
  ...[32, 64].flatMap((tile) =>
    [[false, false], [false, true], [true, false]].map(([transA, transB]) => gemmKernel({ tile: tile as 32 | 64, transA, transB })),
  ),
  linear('fill', [['x', 'read_write']], ['n', 'value:f32'], `${LINEAR(256)} if (gi < p.n) { x[p.o_x + gi] = p.value; }`),
  linear('copy', [['src', 'read'], ['dst', 'read_write']], ['n'], `${LINEAR(256)} if (gi < p.n) { dst[p.o_dst + gi] = src[p.o_src + gi]; }`),

  // Cells, one time step; formulas and saved values exactly as ../reference/cells.ts.
  linear('lstm_fwd', [['xw', 'read'], ['rec', 'read'], ['c', 'read_write'], ['h', 'read_write'], ['gates', 'read_write'], ['aux', 'read_write']],
    ['B', 'H', 'o_cNext', 'o_hNext'], `${cellPrelude}
  let row = b * 4u * p.H;
  let x = p.o_xw + row;
  let r = p.o_rec + row;
  let gi_ = sigmoid(xw[x + j] + rec[r + j]);
  let gf = sigmoid(xw[x + p.H + j] + rec[r + p.H + j]);
  let gg = tanh_safe(xw[x + 2u * p.H + j] + rec[r + 2u * p.H + j]);
  let go = sigmoid(xw[x + 3u * p.H + j] + rec[r + 3u * p.H + j]);
  let cn = gf * c[p.o_c + gi] + gi_ * gg;
  let tc = tanh_safe(cn);
  c[p.o_cNext + gi] = cn;
  h[p.o_hNext + gi] = go * tc;
  let o = p.o_gates + row;
  gates[o + j] = gi_;
  gates[o + p.H + j] = gf;
  gates[o + 2u * p.H + j] = gg;
  gates[o + 3u * p.H + j] = go;
  aux[p.o_aux + gi] = tc;`, SIGMOID + TANH),
  linear('gru_fwd', [['xw', 'read'], ['rec', 'read'], ['recBias', 'read'], ['h', 'read_write'], ['gates', 'read_write'], ['aux', 'read_write']],
    ['B', 'H', 'o_hNext'], `${cellPrelude}
  let row = b * 3u * p.H;
  let x = p.o_xw + row;
  let r = p.o_rec + row;
  let rb = p.o_recBias;
  let z = sigmoid(xw[x + j] + rec[r + j] + recBias[rb + j]);
  let rg = sigmoid(xw[x + p.H + j] + rec[r + p.H + j] + recBias[rb + p.H + j]);
  let hh = rec[r + 2u * p.H + j] + recBias[rb + 2u * p.H + j];
  let cand = tanh_safe(xw[x + 2u * p.H + j] + rg * hh);
  h[p.o_hNext + gi] = z * h[p.o_h + gi] + (1.0 - z) * cand;
  let o = p.o_gates + row;
  gates[o + j] = z;
  gates[o + p.H + j] = rg;
  gates[o + 2u * p.H + j] = cand;
  aux[p.o_aux + gi] = hh;`, SIGMOID + TANH),
  linear('rnn_fwd', [['xw', 'read'], ['rec', 'read'], ['h', 'read_write']], ['B', 'H'],
    `${cellPrelude}
  h[p.o_h + gi] = tanh_safe(xw[p.o_xw + gi] + rec[p.o_rec + gi]);`, TANH),

  // Backward through one step: dhNext/dcNext carry the gradient back in time and are replaced by
  // the part that reaches h₋/c₋ without U (the host then adds dPre·Uᵀ to dhNext).
  linear('lstm_bwd', [['dOut', 'read'], ['dhNext', 'read_write'], ['dcNext', 'read_write'], ['gates', 'read'], ['aux', 'read'], ['c', 'read'], ['dPre', 'read_write']],
    ['B', 'H'], `${cellPrelude}
  let row = b * 4u * p.H;
  let dh = dOut[p.o_dOut + gi] + dhNext[p.o_dhNext + gi];
  let g0 = p.o_gates + row;
  let i = gates[g0 + j];
  let f = gates[g0 + p.H + j];
  let g = gates[g0 + 2u * p.H + j];
  let o = gates[g0 + 3u * p.H + j];
  let tc = aux[p.o_aux + gi];
  let dc = dcNext[p.o_dcNext + gi] + dh * o * (1.0 - tc * tc);
  let d0 = p.o_dPre + row;
  dPre[d0 + j] = dc * g * i * (1.0 - i);
  dPre[d0 + p.H + j] = dc * c[p.o_c + gi] * f * (1.0 - f);
  dPre[d0 + 2u * p.H + j] = dc * i * (1.0 - g * g);
  dPre[d0 + 3u * p.H + j] = dh * tc * o * (1.0 - o);
  dcNext[p.o_dcNext + gi] = dc * f;
  dhNext[p.o_dhNext + gi] = 0.0;`),
  linear('gru_bwd', [['dOut', 'read'], ['dhNext', 'read_write'], ['gates', 'read'], ['aux', 'read'], ['h', 'read'], ['dPre', 'read_write'], ['dPreRec', 'read_write']],
    ['B', 'H'], `${cellPrelude}
  let row = b * 3u * p.H;
  let dh = dOut[p.o_dOut + gi] + dhNext[p.o_dhNext + gi];
  let g0 = p.o_gates + row;
  let z = gates[g0 + j];
  let r = gates[g0 + p.H + j];
  let cand = gates[g0 + 2u * p.H + j];
  let hh = aux[p.o_aux + gi];
  let dCandPre = dh * (1.0 - z) * (1.0 - cand * cand);
  let dz = dh * (h[p.o_h + gi] - cand) * z * (1.0 - z);
  let dr = dCandPre * hh * r * (1.0 - r);
  let d0 = p.o_dPre + row;
  dPre[d0 + j] = dz;
  dPre[d0 + p.H + j] = dr;
  dPre[d0 + 2u * p.H + j] = dCandPre;
  let e0 = p.o_dPreRec + row;
  dPreRec[e0 + j] = dz;
  dPreRec[e0 + p.H + j] = dr;
  dPreRec[e0 + 2u * p.H + j] = dCandPre * r;
  dhNext[p.o_dhNext + gi] = dh * z;`),
  linear('rnn_bwd', [['dOut', 'read'], ['dhNext', 'read_write'], ['h', 'read'], ['dPre', 'read_write']], ['B', 'H'],
    `${cellPrelude}
  let dh = dOut[p.o_dOut + gi] + dhNext[p.o_dhNext + gi];
  let hv = h[p.o_h + gi];
  dPre[p.o_dPre + gi] = dh * (1.0 - hv * hv);
  dhNext[p.o_dhNext + gi] = 0.0;`),

  // Embedding and one-hot input: out[r] = table[ids[r]] (+ bias). The backward scatter-add has a
  // fixed order: the host lists each token's rows (CSR: tokenStart, rowsByToken), and one thread
  // per (token, column) sums that token's rows in order.
  linear('gather_rows', [['ids', 'read', 'i32'], ['table', 'read'], ['bias', 'read'], ['out', 'read_write']], ['N', 'width', 'hasBias'],
    `${LINEAR(256)}
  if (gi >= p.N * p.width) { return; }
  let r = gi / p.width;
  let j = gi % p.width;
  var v = table[p.o_table + u32(ids[p.o_ids + r]) * p.width + j];
  if (p.hasBias != 0u) { v += bias[p.o_bias + j]; }
  out[p.o_out + gi] = v;`),
  linear('scatter_add_rows', [['tokenStart', 'read', 'i32'], ['rowsByToken', 'read', 'i32'], ['src', 'read'], ['table', 'read_write']], ['V', 'width'],
    `${LINEAR(256)}
  if (gi >= p.V * p.width) { return; }
  let v = gi / p.width;
  let j = gi % p.width;
  let begin = u32(tokenStart[v]);
  let end = u32(tokenStart[v + 1u]);
  if (begin == end) { return; }
  var s = 0.0;
  for (var k = begin; k < end; k++) { s += src[p.o_src + u32(rowsByToken[k]) * p.width + j]; }
  table[p.o_table + gi] += s;`),

  // Dropout in place, the hash of ../dropout.ts: a mask depends only on (seed, site, row, step, unit);
  // the backward pass applies the same mask to the gradient.
  linear('dropout', [['x', 'read_write'], ['scalars', 'read']], ['N', 'B', 'width', 'site', 'threshold', 'keepScale:f32'],
    `${LINEAR(256)}
  if (gi >= p.N * p.width) { return; }
  let r = gi / p.width;
  let j = gi % p.width;
  let t = r / p.B;
  let b = r % p.B;
  let seed = bitcast<u32>(scalars[${Scalar.Seed}]);
  let key = mix32(mix32(mix32(mix32(mix32(seed) ^ p.site) ^ b) ^ t) ^ j);
  let at = p.o_x + gi;
  x[at] = select(0.0, x[at] * p.keepScale, key >= p.threshold);`, MIX32),

  // The Dense layer's activation in place (0 linear, 1 relu, 2 tanh), and its backward from the output y.
  linear('activate', [['x', 'read_write']], ['n', 'act'], `${LINEAR(256)}
  if (gi >= p.n) { return; }
  let v = x[p.o_x + gi];
  if (p.act == 1u) { x[p.o_x + gi] = max(v, 0.0); } else if (p.act == 2u) { x[p.o_x + gi] = tanh_safe(v); }`, TANH),
  linear('activate_bwd', [['d', 'read_write'], ['y', 'read']], ['n', 'act'], `${LINEAR(256)}
  if (gi >= p.n) { return; }
  let yv = y[p.o_y + gi];
  if (p.act == 1u) { d[p.o_d + gi] = select(0.0, d[p.o_d + gi], yv > 0.0); } else if (p.act == 2u) { d[p.o_d + gi] *= 1.0 - yv * yv; }`),

  // Column sums added to a bias gradient: one thread per column, the rows in order.
  linear('col_sums_add', [['A', 'read'], ['out', 'read_write']], ['rows', 'cols'], `${LINEAR(256)}
  if (gi >= p.cols) { return; }
  var s = 0.0;
  for (var i = 0u; i < p.rows; i++) { s += A[p.o_A + i * p.cols + gi]; }
  out[p.o_out + gi] += s;`),

  // Softmax cross-entropy, one workgroup per row of logits [N, V]: rowLoss = w·(logsumexp(z) - z[y]);
  // with grad, the logits become d(mean loss)/dz = w·(softmax - onehot(y))/count.
  {
    name: 'softmax_xent',
    bindings: [['logits', 'read_write'], ['targets', 'read', 'i32'], ['weights', 'read'], ['scalars', 'read'], ['rowLoss', 'read_write']],
    params: ['N', 'V', 'grad'],
    workgroupSize: 256,
    body: `${REDUCE}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = wg.x + wg.y * nwg.x;
  if (r >= p.N) { return; }
  let z0 = p.o_logits + r * p.V;
  let w = weights[p.o_weights + r];
  var m = -3.0e38;
  for (var k = tid; k < p.V; k += 256u) { m = max(m, logits[z0 + k]); }
  m = reduce256(m, tid, true);
  var s = 0.0;
  for (var k = tid; k < p.V; k += 256u) { s += exp(logits[z0 + k] - m); }
  s = reduce256(s, tid, false);
  let y = u32(targets[p.o_targets + r]);
  let zy = logits[z0 + y];
  workgroupBarrier();
  if (tid == 0u) { rowLoss[p.o_rowLoss + r] = select(w * (m + log(s) - zy), 0.0, w == 0.0); }
  if (p.grad != 0u) {
    let scale = w * scalars[${Scalar.InvCount}];
    for (var k = tid; k < p.V; k += 256u) {
      let pk = exp(logits[z0 + k] - m) / s;
      logits[z0 + k] = select(scale * (pk - select(0.0, 1.0, k == y)), 0.0, w == 0.0);
    }
  }
}`,
  },

  // Sums in a fixed order: sum_into (one workgroup: out = Σ x); sumsq_partial (workgroup k sums the
  // squares of its grid-stride share) and clip_finish (the global norm and the clipping scale).
  {
    name: 'sum_into',
    bindings: [['x', 'read'], ['out', 'read_write']],
    params: ['n'],
    workgroupSize: 256,
    body: `${REDUCE}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) tid: u32) {
  var s = 0.0;
  for (var i = tid; i < p.n; i += 256u) { s += x[p.o_x + i]; }
  s = reduce256(s, tid, false);
  if (tid == 0u) { out[p.o_out] = s; }
}`,
  },
  {
    name: 'sumsq_partial',
    bindings: [['x', 'read'], ['partial', 'read_write']],
    params: ['n'],
    workgroupSize: 256,
    body: `${REDUCE}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  var s = 0.0;
  for (var i = wg.x * 256u + tid; i < p.n; i += nwg.x * 256u) { let g = x[p.o_x + i]; s += g * g; }
  s = reduce256(s, tid, false);
  if (tid == 0u) { partial[p.o_partial + wg.x] = s; }
}`,
  },
  {
    name: 'clip_finish',
    bindings: [['partial', 'read'], ['results', 'read_write'], ['scalars', 'read_write']],
    params: ['parts', 'clipNorm:f32'],
    workgroupSize: 256,
    body: `${REDUCE}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) tid: u32) {
  var s = 0.0;
  for (var i = tid; i < p.parts; i += 256u) { s += partial[p.o_partial + i]; }
  s = reduce256(s, tid, false);
  if (tid == 0u) {
    let norm = sqrt(s);
    results[p.o_results] = norm;
    scalars[${Scalar.ClipScale}] = select(1.0, p.clipNorm / norm, p.clipNorm > 0.0 && norm > p.clipNorm);
  }
}`,
  },

  optimizer('sgd', [], [], `params[gi] -= lr * g;`),
  optimizer('momentum', ['s0'], ['momentum'], `let v = p.momentum * s0[gi] + g;
  s0[gi] = v;
  params[gi] -= lr * v;`),
  optimizer('rmsprop', ['s0'], ['rho', 'epsilon'], `let s = p.rho * s0[gi] + (1.0 - p.rho) * g * g;
  s0[gi] = s;
  params[gi] -= (lr * g) / (sqrt(s) + p.epsilon);`),
  optimizer('adam', ['s0', 's1'], ['beta1', 'beta2', 'epsilon'], `let mi = p.beta1 * s0[gi] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * s1[gi] + (1.0 - p.beta2) * g * g;
  s0[gi] = mi;
  s1[gi] = vi;
  params[gi] -= (lr * (mi / scalars[${Scalar.AdamC1}])) / (sqrt(vi / scalars[${Scalar.AdamC2}]) + p.epsilon);`),
  optimizer('adagrad', ['s0'], ['epsilon'], `let s = s0[gi] + g * g;
  s0[gi] = s;
  params[gi] -= (lr * g) / (sqrt(s) + p.epsilon);`),
  optimizer('adadelta', ['s0', 's1'], ['rho', 'epsilon'], `let s = p.rho * s0[gi] + (1.0 - p.rho) * g * g;
  s0[gi] = s;
  let delta = (sqrt(s1[gi] + p.epsilon) / sqrt(s + p.epsilon)) * g;
  s1[gi] = p.rho * s1[gi] + (1.0 - p.rho) * delta * delta;
  params[gi] -= lr * delta;`),
];

/** Every parameter of a kernel, in the order of its uniform struct: the scalars, then one offset per binding. */
export function paramNames(def: KernelDef): Array<{ name: string; float: boolean }> {
  const declared = def.params.map((s) => {
    const [name, type] = s.split(':');
    return { name, float: type === 'f32' };
  });
  const offsets = def.bindings.map(([name]) => ({ name: `o_${name}`, float: false })).filter((o) => !declared.some((d) => d.name === o.name));
  return [...declared, ...offsets];
}

/** The whole WGSL module of a kernel: the generated bindings and parameter struct, then its body. */
export function kernelSource(def: KernelDef): string {
  const fields = paramNames(def).map((f) => `  ${f.name}: ${f.float ? 'f32' : 'u32'},`);
  const bindings = def.bindings.map(([name, access, elem], k) => `@group(0) @binding(${k + 1}) var<storage, ${access}> ${name}: array<${elem ?? 'f32'}>;`);
  return `struct Params {\n${fields.join('\n')}\n};\n@group(0) @binding(0) var<uniform> p: Params;\n${bindings.join('\n')}\n${def.body}\n`;
}
