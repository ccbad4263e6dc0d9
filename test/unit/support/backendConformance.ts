/**
 * What every backend must do, checked the same way for each: its losses, gradients, carried state
 * and steppers equal the float64 reference's (RNN / GRU / LSTM, one-hot or embedding, 1 or 2 layers,
 * unequal layer sizes, a Dense hidden layer), masks and dropout behave as the reference's do, and a
 * run trained on it and checkpointed continues on another backend. wasm.test.ts (WebAssembly,
 * float32), engine.test.ts (the TypeScript backends themselves), cudaStandIn.test.ts (the CUDA
 * backend through the CPU stand-in of the driver) and test/gpu/suite.ts (the GPU) run it; what only
 * one backend has (thread counts, kernel tiles, CUDA graphs) stays in that backend's tests.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createReferenceBackend } from '../../../src/engine/backends/reference';
import type { Backend, Network, PassOptions } from '../../../src/engine/backends/types';
import type { TokenBatch } from '../../../src/engine/tensor';
import { defaultTrainConfig, type TrainConfig } from '../../../src/engine/config/settings';
import { corpusFromText } from '../../../src/engine/data/corpus';
import { loadCheckpoint } from '../../../src/engine/model/io/checkpoint';
import { stateSizePerRow, type CellType, type ModelSpec } from '../../../src/engine/model/spec';
import { Rng } from '../../../src/engine/random';
import { TrainingRun } from '../../../src/engine/train/run';
import { randomBatch } from './batches';
import { assertClose, relError } from './compare';
import { lastOfNewestRun } from './runs';
import { tinySpec, sameRandomWeights, gradErrors } from './networks';

export interface ConformanceOptions {
  /**
   * The backends under test, opened once before the tests (several: the same backend built
   * differently, say on 1 and on 2 threads; each is checked). Disposed after.
   */
  open(): Backend[] | Promise<Backend[]>;
  /** Rows of the parity batches (the WebAssembly backend splits 21 rows among its threads). */
  rows?: number;
  /** Every Dense activation and both dropout rates; false: a selection, for a slow stand-in. */
  full: boolean;
  /** Relative tolerances against the float64 reference (defaults: loss 1e-5, each tensor's gradient 1e-4, carried state 1e-5). */
  tolerance?: { loss?: number; grad?: number; state?: number };
  /** A run trained here and checkpointed continues on this other backend (opened and disposed by the test). */
  resume: { otherName: string; other(): Backend | Promise<Backend>; steps: number };
}

const cells: CellType[] = ['rnn', 'gru', 'lstm'];
// Each test file is bundled on its own, so __dirname is the test's folder (out/test/unit or out/test/gpu).
const samplesDir = join(__dirname, '../../../samples');

/** Log-likelihood loss of the logits' softmax at `target`, in nats. */
function crossEntropy(logits: ArrayLike<number>, from: number, size: number, target: number): number {
  let max = -Infinity;
  for (let k = 0; k < size; k++) max = Math.max(max, logits[from + k]);
  let sum = 0;
  for (let k = 0; k < size; k++) sum += Math.exp(logits[from + k] - max);
  return max + Math.log(sum) - logits[from + target];
}

export function describeBackendConformance(title: string, options: ConformanceOptions): void {
  const rows = options.rows ?? 5;
  const tol = { loss: 1e-5, grad: 1e-4, state: 1e-5, ...options.tolerance };
  const reference = createReferenceBackend('float64');

  describe(`${title}: conformance with the float64 reference`, () => {
    let backends: Backend[] = [];
    before(async () => {
      backends = await options.open();
    });
    after(() => backends.forEach((b) => b.dispose()));

    /** For each backend under test: a network of `s` and a reference one with the same random weights. */
    function onEach(s: ModelSpec, seed: number, body: (net: Network, ref: Network, what: string) => void): void {
      assert.ok(backends.length > 0, 'no backend was opened');
      for (const backend of backends) {
        const ref = reference.createNetwork(s);
        const net = backend.createNetwork(s);
        try {
          sameRandomWeights(net, ref, seed);
          body(net, ref, backend.info.description);
        } finally {
          net.dispose();
          ref.dispose();
        }
      }
    }

    function assertSamePass(net: Network, ref: Network, batch: TokenBatch, pass: PassOptions, what: string): void {
      const a = net.forwardBackward(batch, pass);
      const b = ref.forwardBackward(batch, pass);
      assert.equal(a.count, b.count, `${what}: predicted positions`);
      assertClose(a.lossSum, b.lossSum, tol.loss, `${what}: loss`);
      for (const [slot, err] of gradErrors(net, ref)) assert.ok(err <= tol.grad, `${what}: ${slot} gradient off by ${err.toExponential(2)} of its scale`);
    }

    function assertSameCarriedState(net: Network, ref: Network, s: ModelSpec, batchSize: number, what: string): void {
      const carried = net.getCarriedState!()!;
      const expected = ref.getCarriedState!()!;
      assert.equal(carried.values.length, batchSize * stateSizePerRow(s), `${what}: carried state size`);
      const err = relError(carried.values, expected.values);
      assert.ok(err <= tol.state, `${what}: carried state off by ${err.toExponential(2)}`);
    }

    /** Batch-1 (matrix-vector products) and batch-5 steppers agree with the reference's for 4 random steps, states included. */
    function assertSameSteppers(net: Network, ref: Network, s: ModelSpec, rng: Rng, what: string): void {
      for (const B of [1, 5]) {
        const sa = net.createStepper(B);
        const sb = ref.createStepper(B);
        try {
          for (let t = 0; t < 4; t++) {
            const x = Int32Array.from({ length: B }, () => rng.int(s.vocabSize));
            const la = sa.step(x).slice();
            const lb = sb.step(x);
            assert.ok(relError(la, lb) <= tol.state, `${what}: stepper batch ${B}, step ${t}: logits off by ${relError(la, lb).toExponential(2)}`);
          }
          assert.equal(sa.getState().length, B * stateSizePerRow(s), `${what}: stepper batch ${B} state size`);
          assert.ok(relError(sa.getState(), sb.getState()) <= tol.state, `${what}: stepper batch ${B} states agree`);
        } finally {
          sa.dispose();
          sb.dispose();
        }
      }
    }

    // Each pass of a parity test: from zeros, then carrying the state on; masked, then not, then masked.
    const parityPasses = [
      { carryState: false, masked: true },
      { carryState: true, masked: false },
      { carryState: true, masked: true },
    ];

    for (const cell of cells) {
      for (const embeddingSize of [0, 5]) {
        for (const layers of [1, 2]) {
          const dropouts = options.full || layers === 2 ? [0, 0.25] : [0];
          it(`${cell}, ${embeddingSize ? 'embedding' : 'one-hot'}, ${layers} layer(s): loss, gradients and carried state, masked and not, ${dropouts.length > 1 ? 'with and without dropout' : 'no dropout'}`, () => {
            for (const dropout of dropouts) {
              const s = tinySpec(cell, layers, embeddingSize, { dropout });
              onEach(s, 11 + layers, (net, ref, description) => {
                const rng = new Rng(3);
                for (const [i, p] of parityPasses.entries()) {
                  const batch = randomBatch(rows, 7, s.vocabSize, rng.int(1000), p.masked);
                  const what = `${description}, dropout ${dropout}, pass ${i}`;
                  assertSamePass(net, ref, batch, { carryState: p.carryState, train: true, dropoutSeed: 100 + i }, what);
                  assertSameCarriedState(net, ref, s, rows, what);
                }
                // Evaluation (no dropout) carries the state further.
                const batch = randomBatch(rows, 7, s.vocabSize, 77, true);
                const a = net.evaluate(batch, { carryState: true });
                const b = ref.evaluate(batch, { carryState: true });
                assert.equal(a.count, b.count);
                assertClose(a.lossSum, b.lossSum, tol.loss, `${description}, dropout ${dropout}: evaluation loss`);
              });
            }
          });
        }
      }
    }

    for (const cell of cells) {
      for (const hiddenSize of [[5, 9], [9, 4, 6]]) {
        it(`${cell} with layers of ${hiddenSize.join(', ')} units, masked, dropout${cell === 'rnn' ? ', Dense hidden layer' : ''}: loss, gradients, carried state (and back in), steppers`, () => {
          const s = tinySpec(cell, hiddenSize.length, cell === 'gru' ? 5 : 0, { hiddenSize, dropout: 0.25, ...(cell === 'rnn' ? { hiddenDense: 7 } : {}) });
          onEach(s, 31, (net, ref, description) => {
            const rng = new Rng(6);
            for (let pass = 0; pass < 3; pass++) {
              const batch = randomBatch(rows, 5, s.vocabSize, rng.int(1000), pass !== 1);
              const what = `${description}, pass ${pass}`;
              // The last pass is not training: no dropout, same gradients.
              assertSamePass(net, ref, batch, { carryState: pass > 0, train: pass < 2, dropoutSeed: 9 + pass }, what);
              assertSameCarriedState(net, ref, s, rows, what);
            }
            // The carried state goes back in as it came out.
            const carried = ref.getCarriedState!()!;
            net.setCarriedState!(carried);
            const inPrecision = net.params instanceof Float64Array ? Float64Array.from(carried.values) : Float32Array.from(carried.values);
            assert.deepEqual(Array.from(net.getCarriedState!()!.values), Array.from(inPrecision), `${description}: carried state set and read back`);
            assertSameSteppers(net, ref, s, rng, description);
          });
        });
      }
    }

    for (const cell of cells) {
      for (const hiddenActivation of ['relu', 'tanh', 'linear'] as const) {
        if (!options.full && hiddenActivation !== 'tanh') continue;
        it(`${cell} with a Dense hidden layer (${hiddenActivation}), 2 layers, masked, dropout in training: loss, gradients, steppers`, () => {
          for (const embeddingSize of cell === 'rnn' ? [0] : cell === 'gru' ? [5] : [0, 4]) {
            const s = tinySpec(cell, 2, embeddingSize, { hiddenDense: 9, hiddenActivation, dropout: 0.2 });
            onEach(s, 17, (net, ref, description) => {
              const rng = new Rng(5);
              for (let pass = 0; pass < 2; pass++) {
                const batch = randomBatch(rows, 5, s.vocabSize, rng.int(1000), pass === 0);
                assertSamePass(net, ref, batch, { carryState: pass > 0, train: pass === 0, dropoutSeed: 9 }, `${description}, pass ${pass}`);
              }
              assertSameSteppers(net, ref, s, rng, description);
            });
          }
        });
      }
    }

    for (const cell of cells) {
      it(`${cell} stepper, one-hot and embedding: the reference's logits and states, its own network's loss, state round trip, batch 1 = a row of batch 3`, () => {
        for (const embeddingSize of [0, 5]) {
          const s = tinySpec(cell, 2, embeddingSize);
          onEach(s, 21, (net, ref, description) => {
            const B = 3;
            const a = net.createStepper(B);
            const b = ref.createStepper(B);
            const single = net.createStepper(1);
            try {
              const rng = new Rng(4);
              const tokens = () => Int32Array.from({ length: B }, () => rng.int(s.vocabSize));
              for (let t = 0; t < 6; t++) {
                const x = tokens();
                const la = a.step(x).slice();
                const lb = b.step(x);
                assert.ok(relError(la, lb) <= tol.state, `${description}: step ${t} logits off by ${relError(la, lb).toExponential(2)}`);
              }
              assert.equal(a.getState().length, B * stateSizePerRow(s));
              assert.ok(relError(a.getState(), b.getState()) <= tol.state, `${description}: states agree`);
              const saved = a.getState();
              const x = tokens();
              const first = a.step(x).slice();
              a.step(tokens());
              a.setState(saved);
              // Exactly, where the network computes in float32; a float64 one rounds its state to float32 for the copy.
              const replay = a.step(x).slice();
              if (net.params instanceof Float64Array) assert.ok(relError(replay, first) <= 1e-5, `${description}: same state + same token = same logits`);
              else assert.deepEqual(replay, first, `${description}: same state + same token = same logits`);
              a.reset();
              assert.ok(a.getState().every((v) => v === 0), `${description}: reset zeros the state`);
              for (let t = 0; t < 4; t++) {
                const xs = tokens();
                const batched = a.step(xs).slice(0, s.vocabSize);
                const one = single.step(xs.subarray(0, 1));
                assert.ok(relError(one, batched) <= 1e-6, `${description}: batch 1 = row 0 of batch 3 at step ${t}`);
              }
              // Stepping a sequence scores it as the network's own evaluation does.
              single.reset();
              const seq = randomBatch(1, 6, s.vocabSize, 11);
              const expected = net.evaluate(seq, { carryState: false }).lossSum;
              let loss = 0;
              for (let t = 0; t < 6; t++) loss += crossEntropy(single.step(seq.inputs.subarray(t, t + 1)), 0, s.vocabSize, seq.targets[t]);
              assertClose(loss, expected, tol.state, `${description}: stepped loss vs evaluation`);
            } finally {
              a.dispose();
              b.dispose();
              single.dispose();
            }
          });
        }
      });
    }

    it('carried state: two halves with carryState equal one long pass; without it the second half differs', () => {
      const s = tinySpec('lstm', 2, 0, { vocabSize: 7, hiddenSize: 5 });
      onEach(s, 8, (net, _ref, description) => {
        const full = randomBatch(2, 8, s.vocabSize, 9);
        const half = (from: number): TokenBatch => {
          const inputs = new Int32Array(8);
          const targets = new Int32Array(8);
          for (let b = 0; b < 2; b++) for (let t = 0; t < 4; t++) {
            inputs[b * 4 + t] = full.inputs[b * 8 + from + t];
            targets[b * 4 + t] = full.targets[b * 8 + from + t];
          }
          return { batchSize: 2, steps: 4, inputs, targets };
        };
        const whole = net.evaluate(full, { carryState: false }).lossSum;
        const first = net.evaluate(half(0), { carryState: false }).lossSum;
        const second = net.evaluate(half(4), { carryState: true }).lossSum;
        assertClose(first + second, whole, net.params instanceof Float64Array ? 1e-12 : tol.loss, `${description}: halves vs whole`);
        net.evaluate(half(0), { carryState: false });
        net.resetState();
        const fresh = net.evaluate(half(4), { carryState: true }).lossSum;
        assert.ok(Math.abs(fresh - second) > 1e-4, `${description}: the second half scored from zeros should differ`);
      });
    });

    it('a mask removes positions from the loss and the count; an out-of-range id is refused', () => {
      const s = tinySpec('lstm', 2, 0, { vocabSize: 7, hiddenSize: 5 });
      onEach(s, 12, (net, ref, description) => {
        const batch = randomBatch(2, 4, s.vocabSize, 13);
        const all = net.evaluate(batch, { carryState: false });
        const mask = new Float32Array(8).fill(1);
        mask[3] = 0;
        mask[7] = 0;
        const masked = net.evaluate({ ...batch, mask }, { carryState: false });
        assert.equal(all.count, 8);
        assert.equal(masked.count, 6);
        assertClose(masked.lossSum, ref.evaluate({ ...batch, mask }, { carryState: false }).lossSum, tol.loss, `${description}: masked loss`);
        assert.ok(masked.lossSum < all.lossSum, `${description}: fewer positions, less loss`);
        assert.throws(() => net.evaluate({ ...batch, inputs: Int32Array.of(0, 1, 2, 99, 0, 0, 0, 0) }, { carryState: false }), RangeError);
      });
    });

    it('dropout: seeded, only in training, its gradient that of the masked loss', () => {
      const s = tinySpec('gru', 2, 0, { dropout: 0.3, hiddenSize: 8 });
      onEach(s, 12, (net, _ref, description) => {
        const rng = new Rng(12);
        for (let i = 0; i < net.params.length; i++) net.params[i] = rng.uniform(-0.8, 0.8);
        net.paramsChanged();
        const batch = randomBatch(4, 5, s.vocabSize, 13);
        const run = (seed: number, train = true) => net.forwardBackward(batch, { carryState: false, train, dropoutSeed: seed }).lossSum;
        assert.equal(run(1), run(1), `${description}: same seed, same loss`);
        assert.notEqual(run(1), run(2), `${description}: another seed, another mask`);
        assert.equal(run(1, false), net.evaluate(batch, { carryState: false }).lossSum, `${description}: no dropout outside training`);
        // With the mask fixed by the seed, the gradient is the derivative of the masked loss.
        run(5);
        const grads = net.grads.slice();
        const order = [...grads.keys()].sort((i, j) => Math.abs(grads[j]) - Math.abs(grads[i])).slice(0, 8);
        const eps = 1e-2;
        for (const i of order) {
          const keep = net.params[i];
          net.params[i] = keep + eps;
          net.paramsChanged();
          const plus = run(5) / batch.inputs.length;
          net.params[i] = keep - eps;
          net.paramsChanged();
          const minus = run(5) / batch.inputs.length;
          net.params[i] = keep;
          net.paramsChanged();
          const numeric = (plus - minus) / (2 * eps);
          assert.ok(Math.abs(numeric - grads[i]) <= 0.03 * Math.abs(grads[order[0]]), `${description}: param ${i}: ${numeric} vs ${grads[i]}`);
        }
      });
    });

    const { steps } = options.resume;
    it(`a ${steps}-step run matches the same run on the ${options.resume.otherName} backend; its checkpoint continues there, and resumes alike on both`, async () => {
      const text = readFileSync(join(samplesDir, 'prose.txt'), 'utf8').slice(0, 20000);
      const corpus = corpusFromText(text, { maxVocab: 64, name: 'prose.txt' });
      const config: TrainConfig = {
        ...defaultTrainConfig,
        hiddenSize: 32, layers: 2, batchSize: 8, seqLength: 20, learningRate: 0.01, steps, evalInterval: steps, sampleLength: 20,
        dropout: 0.1, optimizer: 'adam', clipNorm: 1, seed: 3,
      };
      const other = await options.resume.other();
      const dir = mkdtempSync(join(tmpdir(), 'rnnlab-conformance-'));
      try {
        for (const backend of backends) {
          const what = backend.info.description;
          const run = async (on: Backend, checkpointDir?: string) => {
            const losses: number[] = [];
            const r = new TrainingRun({ runId: 'g', sourceName: 'prose.txt', text: corpus, config, backend: on, checkpointDir, events: { step: (m) => losses.push(m.loss) } });
            return { losses, finished: await r.run(), r };
          };
          rmSync(dir, { recursive: true, force: true });
          const here = await run(backend, dir);
          const there = await run(other);
          assert.equal(here.losses.length, steps);
          // Float32 on one side at least, summed in different orders: the runs drift apart slowly.
          here.losses.forEach((loss, i) => assertClose(loss, there.losses[i], 2e-3, `${what}: step ${i + 1} loss`));
          assertClose(here.finished.bestValLoss, there.finished.bestValLoss, 2e-3, `${what}: validation loss`);
          const saved = await loadCheckpoint(lastOfNewestRun(dir, 'prose.txt'));
          assert.deepEqual(Array.from(saved.params), Array.from(here.r.network.params), `${what}: the checkpoint holds this backend's weights`);
          const cont = new TrainingRun({ runId: 'c', sourceName: 'prose.txt', text: corpus, config: { ...config, steps: 1 }, backend: other, events: {}, initialParams: saved.params });
          assertClose(cont.validationLoss(), here.r.validationLoss(), 1e-4, `${what}: the checkpoint evaluates the same on ${options.resume.otherName}`);
          // --resume: the optimizer state and the carried state are in the checkpoint; the run goes on alike on either backend.
          const resumed = async (on: Backend) => {
            const losses: number[] = [];
            const r = new TrainingRun({ runId: 'r', sourceName: 'prose.txt', text: corpus, config: { ...config, steps: steps + 3 }, backend: on, events: { step: (m) => losses.push(m.loss) }, resumeFrom: saved });
            await r.run();
            return losses;
          };
          const [hereMore, thereMore] = [await resumed(backend), await resumed(other)];
          assert.equal(hereMore.length, 3);
          hereMore.forEach((loss, i) => assertClose(loss, thereMore[i], 2e-3, `${what}: resumed step ${i + 1} loss`));
        }
      } finally {
        other.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
