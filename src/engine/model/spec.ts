/**
 * Model specification and the one parameter layout every backend shares.
 *
 * The layout is Keras-compatible so weights move between backends (and to/from Keras):
 *   [embedding [V,E]]                      only when embeddingSize > 0 (else layer 0 takes one-hot input)
 *   per layer l:  l{l}.kernel           [in, G*H]
 *                 l{l}.recurrent_kernel [H,  G*H]
 *                 l{l}.bias             [G*H]      (GRU: [2, 3H], input bias then recurrent bias, "reset_after")
 *   [dense.kernel [Htop, D], dense.bias [D]]  only when hiddenDense = D > 0 (a Dense hidden layer)
 *   output.kernel [D (or Htop without the Dense layer), V], output.bias [V]
 * Gate order: LSTM i,f,c,o (G=4); GRU z,r,h (G=3); vanilla RNN tanh (G=1).
 * Everything is packed, row-major, with no padding, in one flat array.
 */

import { cellTypes } from '../config/settings';
import { hiddenActivations } from '../config/settings';

export type CellType = (typeof cellTypes)[number];

/** Activations of the optional Dense hidden layer between the recurrent stack and the softmax (declared with the settings). */
export { hiddenActivations };
export type HiddenActivation = (typeof hiddenActivations)[number];

export interface ModelSpec {
  cell: CellType;
  /** Number of symbols (the vocabulary size, special symbols included). */
  vocabSize: number;
  /**
   * Hidden units: one number for every layer, or one per layer (a list as long as `layers`;
   * layer l's input is layer l-1's output). Read it through `layerHiddenSize` / `topHiddenSize`.
   */
  hiddenSize: number | number[];
  layers: number;
  /** 0 means one-hot input into layer 0 (the kernel then doubles as an embedding). */
  embeddingSize: number;
  /** Dropout probability applied between stacked layers and before the output layer, in training only. */
  dropout: number;
  /** Units of a Dense hidden layer between the top recurrent layer and the output; 0 = none. */
  hiddenDense: number;
  /** Activation of the Dense hidden layer (ignored when `hiddenDense` is 0). */
  hiddenActivation: HiddenActivation;
  /**
   * Gate activation of LSTM and GRU cells. Absent = the logistic sigmoid. 'hard_sigmoid' is
   * clip(0.2x + 0.5, 0, 1), the default of Keras 1 and multi-backend Keras 2, for models read from
   * their files; only the reference backend computes it (see `referenceOnly`).
   */
  recurrentActivation?: 'sigmoid' | 'hard_sigmoid';
  /**
   * GRU only. Absent or true: the reset gate multiplies the recurrent product (h·U_h + b), Keras'
   * reset_after=True and cuDNN's GRU. false: it multiplies the state before the product,
   * tanh(x·W_h + (r⊙h)·U_h + b), the GRU of Keras 1 and of Keras 2 with reset_after=False; only the
   * reference backend computes it (see `referenceOnly`). The bias layout [2, 3H] is the same.
   */
  gruResetAfter?: boolean;
}

/** Why only the reference backend can run this spec, or undefined when every backend can. */
export function referenceOnly(spec: ModelSpec): string | undefined {
  if (spec.cell !== 'rnn' && spec.recurrentActivation === 'hard_sigmoid') return 'hard_sigmoid gates (a Keras 1 / Keras 2 model)';
  if (spec.cell === 'gru' && spec.gruResetAfter === false) return 'a reset_after=False GRU (a Keras 1 / Keras 2 model)';
  return undefined;
}

/**
 * A spec read from an older file (before the Dense hidden layer): missing fields take the values
 * that mean "no such layer", so old checkpoints keep loading.
 */
export function withSpecDefaults(spec: Omit<ModelSpec, 'hiddenDense' | 'hiddenActivation'> & Partial<ModelSpec>): ModelSpec {
  return { ...spec, hiddenDense: spec.hiddenDense ?? 0, hiddenActivation: spec.hiddenActivation ?? 'relu' };
}

/** Hidden units of layer `layer`. */
export function layerHiddenSize(spec: Pick<ModelSpec, 'hiddenSize'>, layer: number): number {
  return typeof spec.hiddenSize === 'number' ? spec.hiddenSize : spec.hiddenSize[layer];
}

/** Hidden units of the top recurrent layer (what the Dense layer or the output head reads). */
export function topHiddenSize(spec: Pick<ModelSpec, 'hiddenSize' | 'layers'>): number {
  return layerHiddenSize(spec, spec.layers - 1);
}

/** Hidden units of every layer, bottom first. */
export function layerHiddenSizes(spec: Pick<ModelSpec, 'hiddenSize' | 'layers'>): number[] {
  return Array.from({ length: spec.layers }, (_, l) => layerHiddenSize(spec, l));
}

/** The sizes as people write them: "128" when every layer has 128 units, else "128,512". */
export function hiddenSizeText(spec: Pick<ModelSpec, 'hiddenSize' | 'layers'>): string {
  const sizes = layerHiddenSizes(spec);
  return sizes.every((h) => h === sizes[0]) ? String(sizes[0]) : sizes.join(',');
}

/** Width of the output layer's input: the Dense layer's units, else the top hidden size. */
export function outputInputSize(spec: ModelSpec): number {
  return spec.hiddenDense > 0 ? spec.hiddenDense : topHiddenSize(spec);
}

export interface TensorSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface ParamLayout {
  slots: TensorSlot[];
  total: number;
  byName: Map<string, TensorSlot>;
}

export function gateCount(cell: CellType): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

export function layerInputSize(spec: ModelSpec, layer: number): number {
  if (layer > 0) return layerHiddenSize(spec, layer - 1);
  return spec.embeddingSize > 0 ? spec.embeddingSize : spec.vocabSize;
}

/** A flat layout of named tensors, laid out one after another in the order `build` adds them. */
export function layoutOf(build: (add: (name: string, shape: number[]) => void) => void): ParamLayout {
  const slots: TensorSlot[] = [];
  let offset = 0;
  build((name, shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    slots.push({ name, shape, offset, size });
    offset += size;
  });
  return { slots, total: offset, byName: new Map(slots.map((s) => [s.name, s])) };
}

export function paramLayout(spec: ModelSpec): ParamLayout {
  validateSpec(spec);
  return layoutOf((add) => {
    const G = gateCount(spec.cell);
    if (spec.embeddingSize > 0) add('embedding', [spec.vocabSize, spec.embeddingSize]);
    for (let l = 0; l < spec.layers; l++) {
      const H = layerHiddenSize(spec, l);
      add(`l${l}.kernel`, [layerInputSize(spec, l), G * H]);
      add(`l${l}.recurrent_kernel`, [H, G * H]);
      add(`l${l}.bias`, spec.cell === 'gru' ? [2, G * H] : [G * H]);
    }
    if (spec.hiddenDense > 0) {
      add('dense.kernel', [topHiddenSize(spec), spec.hiddenDense]);
      add('dense.bias', [spec.hiddenDense]);
    }
    add('output.kernel', [outputInputSize(spec), spec.vocabSize]);
    add('output.bias', [spec.vocabSize]);
  });
}

export function validateSpec(spec: ModelSpec): void {
  const int = (v: number, min: number, what: string) => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${what} must be an integer >= ${min} (got ${v})`);
  };
  if (!(cellTypes as readonly string[]).includes(spec.cell)) throw new RangeError(`unknown cell type "${spec.cell}"`);
  int(spec.vocabSize, 2, 'vocabSize');
  int(spec.layers, 1, 'layers');
  if (Array.isArray(spec.hiddenSize)) {
    if (spec.hiddenSize.length !== spec.layers) throw new RangeError(`hiddenSize lists ${spec.hiddenSize.length} sizes for ${spec.layers} layers`);
    spec.hiddenSize.forEach((h, l) => int(h, 1, `hiddenSize of layer ${l}`));
  } else {
    int(spec.hiddenSize, 1, 'hiddenSize');
  }
  int(spec.embeddingSize, 0, 'embeddingSize');
  int(spec.hiddenDense, 0, 'hiddenDense');
  if (!(hiddenActivations as readonly string[]).includes(spec.hiddenActivation)) throw new RangeError(`unknown hidden activation "${spec.hiddenActivation}"`);
  if (spec.gruResetAfter !== undefined && typeof spec.gruResetAfter !== 'boolean') throw new RangeError(`gruResetAfter must be true or false (got ${String(spec.gruResetAfter)})`);
  if (spec.recurrentActivation !== undefined && spec.recurrentActivation !== 'sigmoid' && spec.recurrentActivation !== 'hard_sigmoid') {
    throw new RangeError(`unknown recurrent activation "${String(spec.recurrentActivation)}"`);
  }
  if (!(spec.dropout >= 0 && spec.dropout < 1)) throw new RangeError(`dropout must be in [0, 1) (got ${spec.dropout})`);
}

/** Floats of recurrent state per sequence for layer `layer` (LSTM carries h and c). */
export function stateSizePerLayer(spec: ModelSpec, layer: number): number {
  const H = layerHiddenSize(spec, layer);
  return spec.cell === 'lstm' ? 2 * H : H;
}

/** Where layer `layer`'s state starts in one sequence's state (layers one after another, bottom first). */
export function stateOffsetOfLayer(spec: ModelSpec, layer: number): number {
  let offset = 0;
  for (let l = 0; l < layer; l++) offset += stateSizePerLayer(spec, l);
  return offset;
}

/** Floats of recurrent state per sequence, every layer (the carried and sampling state's row). */
export function stateSizePerRow(spec: ModelSpec): number {
  return stateOffsetOfLayer(spec, spec.layers);
}
