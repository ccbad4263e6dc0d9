/**
 * Activation and gradient buffers for one (batch size, steps) shape, allocated once and reused.
 * Rows are time-major inside the backend: row r = t*B + b, so the B rows of one time step are
 * contiguous and each step's recurrent product is one small matrix product.
 */
import type { FloatArray } from '../../tensor';
import type { Geometry } from './geometry';

export type FloatArrayConstructor = Float32ArrayConstructor | Float64ArrayConstructor;

export interface LayerBuffers {
  /** This layer's input rows [N, I] (after dropout); unused for one-hot layer 0. */
  input: FloatArray;
  /** Inverted-dropout scale per input value [N, I] (0 or 1/(1-p)); empty when not dropping. */
  inputMask: FloatArray;
  /** Input projections x·W + input bias [N, G*H]. */
  xw: FloatArray;
  /** Scratch for one step's recurrent product h·U [B, G*H]. */
  rec: FloatArray;
  /** Hidden states [(T+1), B, H]: slot 0 is the initial state, slot t+1 the output of step t. */
  h: FloatArray;
  /** LSTM cell states, same shape as h (empty for other cells). */
  c: FloatArray;
  /** Activated gates [N, G*H]: LSTM i,f,g,o; GRU z,r,ĥ (unused for RNN). */
  gates: FloatArray;
  /** Per unit extra [N, H]: LSTM tanh(c); GRU the recurrent candidate term h·U_h + b_h. */
  aux: FloatArray;
  /** Gradient w.r.t. the input-side pre-activations [N, G*H]. */
  dPre: FloatArray;
  /** Gradient w.r.t. the recurrent-side pre-activations (differs from dPre only for GRU). */
  dPreRec: FloatArray;
  /** Gradient w.r.t. this layer's outputs h_0..h_{T-1} [N, H], from the layer above or the output. */
  dOut: FloatArray;
  /** Gradient flowing back in time into h_{t-1} and c_{t-1} [B, H]. */
  dhNext: FloatArray;
  dcNext: FloatArray;
}

export interface Workspace {
  B: number;
  T: number;
  N: number;
  /** Time-major token ids and target ids [N], and the loss weight of each position. */
  xs: Int32Array;
  ys: Int32Array;
  weights: Float64Array;
  layers: LayerBuffers[];
  /** Input of the output layer [N, H] (top hidden states after dropout) and its dropout scales. */
  top: FloatArray;
  topMask: FloatArray;
  /** Dense hidden layer outputs after the activation [N, D] (empty without the layer). */
  dense: FloatArray;
  /** Gradient w.r.t. the Dense layer's outputs, then its pre-activations [N, D]. */
  dDense: FloatArray;
  /** Logits [N, V]; after the loss they hold d loss / d logits. */
  logits: FloatArray;
  /** Gradient w.r.t. layer 0's input rows [N, I0] (embedding only). */
  dInput0: FloatArray;
  /** Whether the last forward pass applied dropout (so backward must apply the same masks). */
  dropoutApplied: boolean;
}

export function createWorkspace(g: Geometry, B: number, T: number, Float: FloatArrayConstructor, withGradients: boolean, withDropout: boolean): Workspace {
  const N = B * T;
  const { G, V, cell } = g;
  const grad = (n: number) => new Float(withGradients ? n : 0);
  const layers: LayerBuffers[] = g.layers.map((lg, l) => {
    const { inputSize: I, H } = lg;
    const needsInput = l > 0 || g.embedding >= 0;
    return {
      input: new Float(needsInput ? N * I : 0),
      inputMask: new Float(withDropout && l > 0 ? N * I : 0),
      xw: new Float(N * G * H),
      rec: new Float(B * G * H),
      h: new Float((T + 1) * B * H),
      c: new Float(cell === 'lstm' ? (T + 1) * B * H : 0),
      gates: new Float(cell === 'rnn' ? 0 : N * G * H),
      aux: new Float(cell === 'rnn' ? 0 : N * H),
      dPre: grad(N * G * H),
      dPreRec: grad(cell === 'gru' ? N * G * H : 0),
      dOut: grad(N * H),
      dhNext: grad(B * H),
      dcNext: grad(cell === 'lstm' ? B * H : 0),
    };
  });
  return {
    B, T, N,
    xs: new Int32Array(N),
    ys: new Int32Array(N),
    weights: new Float64Array(N),
    layers,
    top: new Float(N * g.Htop),
    topMask: new Float(withDropout ? N * g.Htop : 0),
    dense: new Float(N * g.D),
    dDense: grad(N * g.D),
    logits: new Float(N * V),
    dInput0: grad(g.embedding >= 0 ? N * g.E : 0),
    dropoutApplied: false,
  };
}
