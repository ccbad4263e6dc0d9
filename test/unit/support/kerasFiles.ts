/**
 * Keras weight files for tests, written in each layout Keras has used, from per-gate matrices;
 * and an independent float64 forward pass of the same Keras network computed from those matrices
 * (not from our canonical layout), so a mapping mistake cannot cancel out.
 */
import { writeHdf5, type H5Attribute, type H5WriteDataset, type H5WriteGroup } from '../../../src/engine/model/io/hdf5';

export type KerasCell = 'lstm' | 'gru' | 'rnn';
export type Layout = 'tfkeras2' | 'tfkeras2-full' | 'keras1.0' | 'keras1.1' | 'keras3';

export interface KerasNet {
  cell: KerasCell;
  V: number;
  E: number;
  H: number;
  /** Units of each layer when they differ (bottom first); else every layer has H. */
  sizes?: number[];
  layers: number;
  D: number;
  hiddenActivation: 'relu' | 'tanh' | 'linear';
  gateActivation: 'sigmoid' | 'hard_sigmoid';
  /** GRU: Keras' reset_after (default true); false is Keras 1's GRU, with a single [3H] bias. */
  resetAfter?: boolean;
  /** Per layer, per gate (Keras names: i f c o / z r h / '' for SimpleRNN): W [in][H], U [H][H], b [H]; GRU also rb [H]. */
  rec: Array<Record<string, { W: number[][]; U: number[][]; b: number[]; rb: number[] }>>;
  emb?: number[][];
  dense?: { W: number[][]; b: number[] };
  out: { W: number[][]; b: number[] };
}

/** Keras 2 / 1.1 gate order inside the packed arrays. */
export const gateOrder: Record<KerasCell, string[]> = { lstm: ['i', 'f', 'c', 'o'], gru: ['z', 'r', 'h'], rnn: [''] };

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Units of layer l. */
export function unitsOf(net: Pick<KerasNet, 'H' | 'sizes'>, l: number): number {
  return net.sizes?.[l] ?? net.H;
}

export function randomNet(shape: Omit<KerasNet, 'rec' | 'emb' | 'dense' | 'out'>, seed = 1, scale = 0.5): KerasNet {
  const r = rng(seed);
  const m = (rows: number, cols: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => (r() * 2 - 1) * scale));
  const v = (n: number) => Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  const rec = [];
  for (let l = 0; l < shape.layers; l++) {
    const inSize = l > 0 ? unitsOf(shape, l - 1) : shape.E > 0 ? shape.E : shape.V;
    const H = unitsOf(shape, l);
    const gates: KerasNet['rec'][number] = {};
    const recurrentBias = shape.cell === 'gru' && shape.resetAfter !== false;
    for (const g of gateOrder[shape.cell]) gates[g] = { W: m(inSize, H), U: m(H, H), b: v(H), rb: recurrentBias ? v(H) : new Array(H).fill(0) };
    rec.push(gates);
  }
  const top = unitsOf(shape, shape.layers - 1);
  return {
    ...shape,
    rec,
    emb: shape.E > 0 ? m(shape.V, shape.E) : undefined,
    dense: shape.D > 0 ? { W: m(top, shape.D), b: v(shape.D) } : undefined,
    out: { W: m(shape.D > 0 ? shape.D : top, shape.V), b: v(shape.V) },
  };
}

// ---------------------------------------------------------------------------------------------
// Independent forward (float64, straight from the per-gate matrices)

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const hardSigmoid = (x: number) => Math.min(1, Math.max(0, 0.2 * x + 0.5));

function affine(x: number[], W: number[][], b: number[]): number[] {
  const out = b.slice();
  for (let i = 0; i < x.length; i++) {
    if (x[i] === 0) continue;
    for (let j = 0; j < out.length; j++) out[j] += x[i] * W[i][j];
  }
  return out;
}

/** Probabilities of the next symbol after each of `ids`, from a zero state (id -1: a zero input vector). */
export function kerasForward(net: KerasNet, ids: number[]): number[][] {
  const gate = net.gateActivation === 'hard_sigmoid' ? hardSigmoid : sigmoid;
  const hs = net.rec.map((_, l) => new Array(unitsOf(net, l)).fill(0));
  const cs = net.rec.map((_, l) => new Array(unitsOf(net, l)).fill(0));
  const out: number[][] = [];
  for (const id of ids) {
    let x = id < 0 ? new Array(net.emb ? net.E : net.V).fill(0) : net.emb ? net.emb[id].slice() : Array.from({ length: net.V }, (_, k) => (k === id ? 1 : 0));
    net.rec.forEach((p, l) => {
      const h = hs[l];
      if (net.cell === 'lstm') {
        const pre = (g: string) => affine(h, p[g].U, affine(x, p[g].W, p[g].b));
        const i = pre('i').map(gate), f = pre('f').map(gate), c = pre('c').map(Math.tanh), o = pre('o').map(gate);
        cs[l] = cs[l].map((cPrev, j) => f[j] * cPrev + i[j] * c[j]);
        hs[l] = cs[l].map((cj, j) => o[j] * Math.tanh(cj));
      } else if (net.cell === 'gru' && net.resetAfter === false) {
        // reset_after=False (Keras 1): r multiplies the state before U_h.
        const z = affine(h, p.z.U, affine(x, p.z.W, p.z.b)).map(gate);
        const r = affine(h, p.r.U, affine(x, p.r.W, p.r.b)).map(gate);
        const rh = h.map((hj, j) => r[j] * hj);
        const cand = affine(rh, p.h.U, affine(x, p.h.W, p.h.b)).map(Math.tanh);
        hs[l] = h.map((hj, j) => z[j] * hj + (1 - z[j]) * cand[j]);
      } else if (net.cell === 'gru') {
        // reset_after=True: r multiplies (h·U_h + recurrent bias).
        const z = affine(h, p.z.U, p.z.rb).map((v, j) => gate(v + affine(x, p.z.W, p.z.b)[j]));
        const r = affine(h, p.r.U, p.r.rb).map((v, j) => gate(v + affine(x, p.r.W, p.r.b)[j]));
        const xh = affine(x, p.h.W, p.h.b);
        const hh = affine(h, p.h.U, p.h.rb);
        const cand = xh.map((v, j) => Math.tanh(v + r[j] * hh[j]));
        hs[l] = h.map((hj, j) => z[j] * hj + (1 - z[j]) * cand[j]);
      } else {
        hs[l] = affine(h, p[''].U, affine(x, p[''].W, p[''].b)).map(Math.tanh);
      }
      x = hs[l];
    });
    let top = x;
    if (net.dense) {
      const a = affine(top, net.dense.W, net.dense.b);
      top = net.hiddenActivation === 'relu' ? a.map((v) => Math.max(0, v)) : net.hiddenActivation === 'tanh' ? a.map(Math.tanh) : a;
    }
    const logits = affine(top, net.out.W, net.out.b);
    const max = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    out.push(e.map((v) => v / sum));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writers

const ds = (m: number[][] | number[]): H5WriteDataset => {
  if (Array.isArray(m[0])) {
    const rows = m as number[][];
    return { kind: 'dataset', shape: [rows.length, rows[0].length], values: Float32Array.from(rows.flat()) };
  }
  return { kind: 'dataset', shape: [m.length], values: Float32Array.from(m as number[]) };
};

/** Columns of the per-gate matrices side by side in `order`. */
const packed = (mats: number[][][]) => mats[0].map((_, r) => mats.flatMap((m) => m[r]));

interface LayerOut {
  name: string;
  weights: Array<[string, H5WriteDataset]>;
}

function nest(weights: Array<[string, H5WriteDataset]>, attrs: Record<string, H5Attribute>): H5WriteGroup {
  const root: H5WriteGroup = { kind: 'group', attrs, children: [] };
  for (const [full, d] of weights) {
    const parts = full.split('/');
    let g = root;
    for (const part of parts.slice(0, -1)) {
      let next = g.children.find(([n]) => n === part)?.[1] as H5WriteGroup | undefined;
      if (!next) {
        next = { kind: 'group', children: [] };
        g.children.push([part, next]);
      }
      g = next;
    }
    g.children.push([parts[parts.length - 1], d]);
  }
  return root;
}

const kerasCls: Record<KerasCell, string> = { lstm: 'LSTM', gru: 'GRU', rnn: 'SimpleRNN' };

/** Writes `net` as `layout`. `timeDistributed` wraps the Dense layers (seed 004's model). */
export async function writeKerasFile(path: string, net: KerasNet, layout: Layout, options: { timeDistributed?: boolean; modelConfig?: boolean } = {}): Promise<void> {
  const td = options.timeDistributed ?? false;
  if (layout === 'keras3') return writeKeras3(path, net);
  const keras1 = layout.startsWith('keras1');
  const layers: LayerOut[] = [];
  const configs: unknown[] = [];
  if (net.emb) {
    const name = keras1 ? 'embedding_1' : 'embedding';
    layers.push({ name, weights: [[keras1 ? `${name}_W` : `${name}/embeddings:0`, ds(net.emb)]] });
    configs.push({ class_name: 'Embedding', config: { name, input_dim: net.V, output_dim: net.E } });
  }
  net.rec.forEach((p, l) => {
    const order = gateOrder[net.cell];
    const biasOf = (g: string) => p[g].b;
    if (keras1) {
      const name = `${net.cell === 'rnn' ? 'simplernn' : net.cell}_${l + 2}`;
      const weights: Array<[string, H5WriteDataset]> = [];
      if (layout === 'keras1.0' && net.cell !== 'rnn') {
        // Keras 1.0 lists LSTM gates as i, c, f, o.
        const listed = net.cell === 'lstm' ? ['i', 'c', 'f', 'o'] : ['z', 'r', 'h'];
        for (const g of listed) weights.push([`${name}_W_${g}`, ds(p[g].W)], [`${name}_U_${g}`, ds(p[g].U)], [`${name}_b_${g}`, ds(biasOf(g))]);
      } else {
        weights.push([`${name}_W`, ds(packed(order.map((g) => p[g].W)))], [`${name}_U`, ds(packed(order.map((g) => p[g].U)))], [`${name}_b`, ds(order.flatMap(biasOf))]);
      }
      layers.push({ name, weights });
      configs.push({ class_name: kerasCls[net.cell], config: { name, output_dim: unitsOf(net, l), activation: 'tanh', inner_activation: net.gateActivation, return_sequences: true } });
    } else {
      const name = l === 0 ? net.cell === 'rnn' ? 'simple_rnn' : net.cell : `${net.cell === 'rnn' ? 'simple_rnn' : net.cell}_${l}`;
      const cellName = `${net.cell === 'rnn' ? 'simple_rnn' : net.cell}_cell${l === 0 ? '' : `_${l}`}`;
      const bias = net.cell === 'gru' && net.resetAfter !== false ? ds([order.flatMap(biasOf), order.flatMap((g) => p[g].rb)]) : ds(order.flatMap(biasOf));
      layers.push({
        name,
        weights: [
          [`${name}/${cellName}/kernel:0`, ds(packed(order.map((g) => p[g].W)))],
          [`${name}/${cellName}/recurrent_kernel:0`, ds(packed(order.map((g) => p[g].U)))],
          [`${name}/${cellName}/bias:0`, bias],
        ],
      });
      const config: Record<string, unknown> = { name, units: unitsOf(net, l), activation: 'tanh', return_sequences: true };
      if (net.cell !== 'rnn') config.recurrent_activation = net.gateActivation;
      if (net.cell === 'gru') config.reset_after = net.resetAfter !== false;
      configs.push({ class_name: kerasCls[net.cell], config });
    }
  });
  let denseCount = 0;
  let tdCount = 5;
  const addDense = (W: number[][], b: number[], activation: string) => {
    const denseName = keras1 ? `dense_${++denseCount}` : denseCount++ === 0 ? 'dense' : `dense_${denseCount - 1}`;
    const layerName = td ? (keras1 ? `timedistributed_${tdCount++}` : denseCount === 1 ? 'time_distributed' : `time_distributed_${denseCount - 1}`) : denseName;
    layers.push({ name: layerName, weights: keras1 ? [[`${denseName}_W`, ds(W)], [`${denseName}_b`, ds(b)]] : [[`${layerName}/kernel:0`, ds(W)], [`${layerName}/bias:0`, ds(b)]] });
    // As in seed 004: a linear Dense, then a separate Activation layer (without weights).
    const dense = { class_name: 'Dense', config: { name: denseName, units: b.length, activation: 'linear' } };
    configs.push(td ? { class_name: 'TimeDistributed', config: { name: layerName, layer: dense } } : dense);
    const actName = keras1 ? `timedistributed_${tdCount++}` : `activation_${denseCount}`;
    layers.push({ name: actName, weights: [] });
    const act = { class_name: 'Activation', config: { name: actName, activation } };
    configs.push(keras1 ? { class_name: 'TimeDistributed', config: { name: actName, layer: act } } : act);
  };
  if (net.dense) addDense(net.dense.W, net.dense.b, net.hiddenActivation);
  addDense(net.out.W, net.out.b, 'softmax');
  const groups: Array<[string, H5WriteGroup]> = layers.map((l) => [l.name, nest(l.weights, { weight_names: l.weights.map(([n]) => n) })]);
  const rootAttrs: Record<string, H5Attribute> = { layer_names: layers.map((l) => l.name), backend: 'tensorflow', keras_version: keras1 ? '1.2.2' : '2.15.0' };
  if (layout === 'tfkeras2-full' || options.modelConfig) {
    const modelConfig = JSON.stringify({ class_name: 'Sequential', config: keras1 ? configs : { name: 'sequential', layers: configs } });
    await writeHdf5(path, { kind: 'group', attrs: { model_config: modelConfig, keras_version: rootAttrs.keras_version, backend: 'tensorflow' }, children: [['model_weights', { kind: 'group', attrs: rootAttrs, children: groups }]] });
    return;
  }
  await writeHdf5(path, { kind: 'group', attrs: rootAttrs, children: groups });
}

async function writeKeras3(path: string, net: KerasNet): Promise<void> {
  const layers: Array<[string, H5WriteGroup]> = [];
  const vars = (list: H5WriteDataset[]): H5WriteGroup => ({ kind: 'group', children: list.map((d, i) => [String(i), d]) });
  if (net.emb) layers.push(['embedding', { kind: 'group', children: [['vars', vars([ds(net.emb)])]] }]);
  const order = gateOrder[net.cell];
  net.rec.forEach((p, l) => {
    const base = net.cell === 'rnn' ? 'simple_rnn' : net.cell;
    const bias = net.cell === 'gru' && net.resetAfter !== false ? ds([order.flatMap((g) => p[g].b), order.flatMap((g) => p[g].rb)]) : ds(order.flatMap((g) => p[g].b));
    const cell: H5WriteGroup = { kind: 'group', children: [['vars', vars([ds(packed(order.map((g) => p[g].W))), ds(packed(order.map((g) => p[g].U))), bias])]] };
    layers.push([l === 0 ? base : `${base}_${l}`, { kind: 'group', children: [['cell', cell], ['vars', vars([])]] }]);
  });
  const dense: Array<{ W: number[][]; b: number[] }> = [...(net.dense ? [net.dense] : []), net.out];
  dense.forEach((d, k) => layers.push([k === 0 ? 'dense' : `dense_${k}`, { kind: 'group', children: [['vars', vars([ds(d.W), ds(d.b)])]] }]));
  await writeHdf5(path, { kind: 'group', attrs: {}, children: [['layers', { kind: 'group', children: layers }], ['vars', { kind: 'group', children: [] }]] });
}
