/**
 * Gradient flow through time: how much the loss at the last step T of a line still depends on the
 * hidden state at each earlier step t, ‖∂L_T/∂h_t‖ against t − T. In a plain RNN the factor
 * multiplied in at each step back is a Jacobian of tanh and the recurrent kernel, and the norm
 * shrinks geometrically (the vanishing gradient of seed 003); the LSTM's cell state carries the
 * gradient through its forget gate, so it fades much more slowly. The current model's curve is
 * drawn beside freshly initialised RNN, GRU and LSTM models of the same size on the same line.
 *
 * Computed with the float64 reference backend: the loss is injected at step T only (a mask that
 * weighs only the last prediction) and the backward pass reports d L_T/d h_t of the top layer at
 * every step (the cell state held fixed, as a perturbation of h_t alone would).
 */
import { createReferenceBackend, type ReferenceNetwork } from '../backends/reference';
import type { FloatArray } from '../tensor';
import { initParams, type InitOptions } from '../model/init';
import type { CellType, ModelSpec } from '../model/spec';
import type { LabVocab } from './symbols';

/** Most symbols of a line the card reads (the norms of a longer line are below float64's floor anyway). */
export const gradientFlowMaxSymbols = 200;

export interface GradientFlowCurve {
  /** "this model", or the cell of a freshly initialised model. */
  label: string;
  cell: CellType;
  trained: boolean;
  /** ‖∂L_T/∂h_t‖ for t − T = -(n-1) … 0, oldest first (index k is t − T = k − (n − 1)). */
  norms: number[];
  /** The mean factor by which the norm changes per step back: (first / last)^(1/(n−1)). */
  perStep: number;
}

export interface GradientFlowAnswer {
  /** The symbols read (after the start symbol when the model has one). */
  symbols: number;
  /** The symbol whose prediction at step T is the loss. */
  target: string;
  curves: GradientFlowCurve[];
  notes: string[];
}

/** ‖∂L_T/∂h_t‖ of the top layer for every step t of `inputs`, the loss being the cross-entropy of `target` after the last input. */
export function stateGradientNorms(spec: ModelSpec, params: ArrayLike<number>, inputs: readonly number[], target: number): number[] {
  const backend = createReferenceBackend('float64');
  try {
    const net = backend.createNetwork({ ...spec, dropout: 0 }) as ReferenceNetwork;
    net.params.set(params);
    const T = inputs.length;
    const targets = new Int32Array(T);
    targets[T - 1] = target;
    const mask = new Float32Array(T);
    mask[T - 1] = 1;
    const top = spec.layers - 1;
    const norms = new Array<number>(T).fill(0);
    net.forwardBackward({ batchSize: 1, steps: T, inputs: Int32Array.from(inputs), targets, mask }, { carryState: false, train: false }, (layer, t, fromOutput, fromFuture) => {
      if (layer !== top) return;
      norms[t] = Math.sqrt(sumOfSquares(fromOutput, fromFuture));
    });
    return norms;
  } finally {
    backend.dispose();
  }
}

function sumOfSquares(a: FloatArray, b: FloatArray): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] + b[i]) ** 2;
  return s;
}

/**
 * The curve of the model the Lab holds and of fresh RNN, GRU and LSTM models of its size (their
 * layout from the same spec with another cell, initialised as a new run with the model's own
 * initialisation settings and `seed` would be).
 */
export function gradientFlow(spec: ModelSpec, params: ArrayLike<number>, vocab: LabVocab, line: string, seed: number, init: Partial<InitOptions> = {}): GradientFlowAnswer {
  const ids = Array.from(vocab.encode(line)).slice(0, gradientFlowMaxSymbols);
  const notes: string[] = [];
  const framed = vocab.startId >= 0;
  const sequence = framed ? [vocab.startId, ...ids] : ids;
  if (sequence.length < 2) throw new RangeError('gradient flow needs a line of at least two symbols');
  if (vocab.encode(line).length > gradientFlowMaxSymbols) notes.push(`the line was cut to its first ${gradientFlowMaxSymbols} symbols`);
  // Inputs are every symbol but the last; the loss is the prediction of the last.
  const inputs = sequence.slice(0, -1);
  const target = sequence[sequence.length - 1];
  const curve = (label: string, cell: CellType, trained: boolean, norms: number[]): GradientFlowCurve => ({ label, cell, trained, norms, perStep: perStepFactor(norms) });
  const curves = [curve('this model', spec.cell, true, stateGradientNorms(spec, params, inputs, target))];
  for (const cell of ['rnn', 'gru', 'lstm'] as const) {
    const fresh: ModelSpec = { ...spec, cell, recurrentActivation: undefined, gruResetAfter: undefined };
    const backend = createReferenceBackend('float64');
    let freshParams: Float64Array;
    try {
      const net = backend.createNetwork(fresh);
      initParams(fresh, net.params, seed, init);
      freshParams = Float64Array.from(net.params);
    } finally {
      backend.dispose();
    }
    curves.push(curve(`fresh ${cell.toUpperCase()}`, cell, false, stateGradientNorms(fresh, freshParams, inputs, target)));
  }
  return { symbols: inputs.length, target: vocab.symbolOf(target), curves, notes };
}

function perStepFactor(norms: number[]): number {
  const n = norms.length;
  const first = norms[0];
  const last = norms[n - 1];
  if (n < 2 || !(last > 0)) return 0;
  return first > 0 ? (first / last) ** (1 / (n - 1)) : 0;
}
