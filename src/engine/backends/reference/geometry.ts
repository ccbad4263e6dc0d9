/** Offsets and sizes of a model, read once from the canonical layout so the loops stay plain. */
import { gateCount, layerHiddenSize, layerInputSize, outputInputSize, topHiddenSize, paramLayout, type CellType, type HiddenActivation, type ModelSpec, type ParamLayout } from '../../model/spec';

export interface LayerGeometry {
  /** Width of this layer's input (V for one-hot layer 0, E with an embedding, else H). */
  inputSize: number;
  /** Hidden units of this layer. */
  H: number;
  kernel: number;
  recurrentKernel: number;
  /** Input bias [G*H]; for GRU the recurrent bias follows at `bias + G*H`. */
  bias: number;
}

export interface Geometry {
  spec: ModelSpec;
  layout: ParamLayout;
  cell: CellType;
  V: number;
  /** Hidden units of the top layer (what the Dense layer or the output reads). */
  Htop: number;
  /** Gates per cell (LSTM 4, GRU 3, RNN 1); a layer's pre-activations are G*H wide. */
  G: number;
  /** Offset of the embedding table [V,E], or -1 for one-hot input. */
  embedding: number;
  E: number;
  layers: LayerGeometry[];
  /** Units of the Dense hidden layer (0 = none), its activation and tensors (-1 when absent). */
  D: number;
  denseActivation: HiddenActivation;
  denseKernel: number;
  denseBias: number;
  /** Width of the output layer's input: D with the Dense layer, else Htop. */
  K: number;
  outputKernel: number;
  outputBias: number;
}

export function geometryOf(spec: ModelSpec): Geometry {
  const layout = paramLayout(spec);
  const at = (name: string) => {
    const slot = layout.byName.get(name);
    if (!slot) throw new Error(`layout has no slot ${name}`);
    return slot.offset;
  };
  const layers: LayerGeometry[] = [];
  for (let l = 0; l < spec.layers; l++) {
    layers.push({
      inputSize: layerInputSize(spec, l),
      H: layerHiddenSize(spec, l),
      kernel: at(`l${l}.kernel`),
      recurrentKernel: at(`l${l}.recurrent_kernel`),
      bias: at(`l${l}.bias`),
    });
  }
  return {
    spec,
    layout,
    cell: spec.cell,
    V: spec.vocabSize,
    Htop: topHiddenSize(spec),
    G: gateCount(spec.cell),
    embedding: spec.embeddingSize > 0 ? at('embedding') : -1,
    E: spec.embeddingSize,
    layers,
    D: spec.hiddenDense,
    denseActivation: spec.hiddenActivation,
    denseKernel: spec.hiddenDense > 0 ? at('dense.kernel') : -1,
    denseBias: spec.hiddenDense > 0 ? at('dense.bias') : -1,
    K: outputInputSize(spec),
    outputKernel: at('output.kernel'),
    outputBias: at('output.bias'),
  };
}
