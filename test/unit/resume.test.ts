// Checkpoints that resume: a run stopped and resumed from its checkpoint gives the losses of an
// uninterrupted run (reference and wasm backends, stream mode mid-epoch and lines mode); changed
// texts, other models and old files get clear messages.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTrainConfig, type TrainConfig } from '../../src/protocol/messages';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { createWasmBackend } from '../../src/engine/backends/wasm';
import type { Backend } from '../../src/engine/backends/types';
import { readCorpusFromFile } from '../../src/engine/data/corpus';
import { corpusOptions } from '../../src/engine/train/options';
import { loadCheckpoint, checkpointPath, writeCheckpoint } from '../../src/engine/model/io/checkpoint';
import { prepareInitFrom, prepareResume } from '../../src/engine/train/resume';
import { TrainingRun } from '../../src/engine/train/run';
import { OpenedModel } from '../../src/engine/sample/openedModel';
import { loadWeights } from '../../src/engine/model/io/load';
import { UserInputError } from '../../src/engine/text/errors';
import { lastOfNewestRun } from './support/runs';

const samplesDir = join(__dirname, '../../../samples');
const dir = mkdtempSync(join(tmpdir(), 'rnnlab-resume-'));
const prose = join(dir, 'prose.txt');
writeFileSync(prose, readFileSync(join(samplesDir, 'prose.txt'), 'utf8').slice(0, 6000));
const captions = join(dir, 'captions.txt');
writeFileSync(captions, readFileSync(join(samplesDir, 'captions.txt'), 'utf8').split('\n').slice(0, 120).join('\n'));

const base: TrainConfig = {
  ...defaultTrainConfig, hiddenSize: 12, layers: 2, dropout: 0.1, batchSize: 6, seqLength: 10, evalInterval: 5, sampleLength: 10,
  earlyStop: 0, lrDecay: 0.9, l2: 1e-4, clipValue: 1, seed: 4,
};

async function train(backend: Backend, file: string, config: TrainConfig, ckptDir: string): Promise<number[]> {
  const corpus = await readCorpusFromFile(file, { ...corpusOptions(config) });
  const losses: number[] = [];
  const run = new TrainingRun({ runId: 'r', sourceName: corpus.name, sourcePath: file, text: corpus, config, backend, checkpointDir: ckptDir, events: { step: (m) => losses.push(m.loss) } });
  await run.run();
  return losses;
}

async function resume(backend: Backend, ckpt: string, steps: number): Promise<{ losses: number[]; startStep: number }> {
  const plan = await prepareResume(ckpt, { steps });
  const losses: number[] = [];
  let startStep = -1;
  const run = new TrainingRun({
    runId: 'r2', sourceName: plan.sourceName, sourcePath: plan.sourcePath, text: plan.corpus, config: plan.config, backend, resumeFrom: plan.checkpoint,
    events: { step: (m) => losses.push(m.loss), started: (s) => (startStep = s.startStep ?? 0) },
  });
  await run.run();
  return { losses, startStep };
}

after(() => rmSync(dir, { recursive: true, force: true }));

const cases: Array<{ name: string; file: string; config: Partial<TrainConfig> }> = [
  // 7 steps is mid-epoch: the carried state must come back with the checkpoint.
  { name: 'stream mode, contiguous streams, carried state mid-epoch', file: prose, config: { optimizer: 'adam', batching: 'contiguous' } },
  { name: 'stream mode, random windows', file: prose, config: { optimizer: 'adam', batching: 'random' } },
  // Without L2 and value clipping the wasm network clips and updates itself: its optimizer state
  // goes into the checkpoint and back into the network.
  { name: 'stream mode, the network\'s own update (no L2, no value clipping)', file: prose, config: { optimizer: 'adam', l2: 0, clipValue: 0, clipNorm: 0.5 } },
  { name: 'lines mode, rmsprop, truncated BPTT', file: captions, config: { mode: 'lines', optimizer: 'rmsprop', learningRate: 0.003, bpttTruncate: 8, halveOnRise: true } },
];

describe('resume equals an uninterrupted run', () => {
  const backends: Array<[string, () => Promise<Backend>]> = [
    ['reference', async () => createReferenceBackend('float64')],
    ['wasm', async () => createWasmBackend(1)],
  ];
  for (const [backendName, make] of backends) {
    let backend: Backend;
    before(async () => {
      backend = await make();
    });
    after(() => backend?.dispose());
    for (const c of cases) {
      it(`${backendName}: ${c.name}`, async () => {
        const config = { ...base, ...c.config };
        const whole = await train(backend, c.file, { ...config, steps: 12 }, join(dir, `${backendName}-whole`));
        const partDir = join(dir, `${backendName}-part-${c.config.mode ?? 'stream'}`);
        const first = await train(backend, c.file, { ...config, steps: 7 }, partDir);
        assert.deepEqual(first, whole.slice(0, 7), 'the same first steps');
        const ckpt = lastOfNewestRun(partDir, c.file.split('/').pop()!);
        const { losses, startStep } = await resume(backend, ckpt, 12);
        assert.equal(startStep, 7);
        assert.equal(losses.length, 5, '--steps counts the total: 5 more');
        for (let i = 0; i < 5; i++) {
          assert.ok(Math.abs(losses[i] - whole[7 + i]) <= 1e-6, `step ${8 + i}: resumed ${losses[i]} vs uninterrupted ${whole[7 + i]}`);
        }
      });
    }
  }
});

describe('checkpoints: bad resumes and opening a model', () => {
  it('an optimizer state that does not fit is refused, also where the network keeps the state itself (wasm)', async () => {
    const config = { ...base, l2: 0, clipValue: 0, steps: 4 };
    const ckptDir = join(dir, 'state');
    const wasm = await createWasmBackend(1);
    try {
      await train(wasm, prose, config, ckptDir);
      for (const [what, spoil] of [
        ['another optimizer', (c: { name: string; buffers: Float64Array[] }) => { c.name = 'rmsprop'; c.buffers.pop(); }],
        ['a short buffer', (c: { name: string; buffers: Float64Array[] }) => { c.buffers[1] = c.buffers[1].subarray(1); }],
      ] as const) {
        const plan = await prepareResume(lastOfNewestRun(ckptDir, 'prose.txt'), { steps: 8 });
        spoil(plan.checkpoint.training!.optimizer);
        assert.throws(
          () => new TrainingRun({ runId: 'x', sourceName: plan.sourceName, text: plan.corpus, config: plan.config, backend: wasm, resumeFrom: plan.checkpoint, events: {} }),
          (e: Error) => e instanceof UserInputError && /optimizer state does not fit/.test(e.message),
          what,
        );
      }
    } finally {
      wasm.dispose();
    }
  });

  it('a changed text, an old file and a different model get clear messages naming the file', async () => {
    const config = { ...base, steps: 6 };
    const ckptDir = join(dir, 'bad');
    const file = join(dir, 'story.txt');
    writeFileSync(file, readFileSync(prose, 'utf8'));
    await train(createReferenceBackend('float64'), file, config, ckptDir);
    const ckpt = lastOfNewestRun(ckptDir, 'story.txt');
    // The text changed: refused, naming the file.
    writeFileSync(file, readFileSync(prose, 'utf8').replace(/the/g, 'thy'));
    await assert.rejects(async () => {
      const plan = await prepareResume(ckpt, { steps: 10 });
      new TrainingRun({ runId: 'x', sourceName: plan.sourceName, text: plan.corpus, config: plan.config, backend: createReferenceBackend('float64'), resumeFrom: plan.checkpoint, events: {} });
    }, (e: Error) => e instanceof UserInputError && /story\.txt changed since the checkpoint was written/.test(e.message));
    writeFileSync(file, readFileSync(prose, 'utf8').slice(0, 3000));
    await assert.rejects(prepareResume(ckpt, { steps: 10 }), (e: Error) => e instanceof UserInputError && /story\.txt changed since .*bad.*last\.rnnlab/.test(e.message));
    // A version 1 file (no training state): resume refused, --init-from suggested.
    const saved = await loadCheckpoint(ckpt);
    const v1 = {
      format: 'rnn-lab-checkpoint', version: 1, createdAt: saved.createdAt, sourceName: saved.sourceName, step: saved.step, spec: saved.spec, config: saved.config,
      vocab: saved.tokenizer.toJSON(), history: { train: [], val: [] },
      params: { dtype: saved.params instanceof Float64Array ? 'float64-le' : 'float32-le', count: saved.params.length, base64: Buffer.from(saved.params.buffer).toString('base64') },
    };
    const old = join(dir, 'old.rnnlab.json');
    writeFileSync(old, JSON.stringify(v1));
    await assert.rejects(prepareResume(old, { steps: 10 }), (e: Error) => e instanceof UserInputError && /old\.rnnlab\.json has no training state/.test(e.message) && /--init-from/.test(e.message));
    // --init-from takes the checkpoint's model; a checkpoint whose spec disagrees with its settings is refused.
    writeFileSync(file, readFileSync(prose, 'utf8'));
    const plan = await prepareInitFrom(ckpt, { ...defaultTrainConfig, hiddenSize: 64, steps: 3 }, file);
    assert.equal(plan.config.hiddenSize, 12);
    const other = join(dir, 'other.rnnlab.json');
    await writeCheckpoint(other, { ...saved, config: { ...saved.config, hiddenSize: 20 } }, saved.params);
    await assert.rejects(prepareInitFrom(other, defaultTrainConfig, file), (e: Error) => e instanceof UserInputError && /other\.rnnlab\.json holds a different model \(hiddenSize 12/.test(e.message));
  });

  it('opens a checkpoint without training: samples and probabilities from its best weights', async () => {
    const ckptDir = join(dir, 'open');
    await train(createReferenceBackend('float64'), prose, { ...base, steps: 10, dropout: 0 }, ckptDir);
    const ckpt = checkpointPath(ckptDir, 'prose.txt', 'best');
    const loaded = await loadWeights(ckpt);
    const saved = await loadCheckpoint(ckpt);
    assert.deepEqual(Array.from(loaded.params), Array.from(saved.bestParams ?? saved.params));
    const model = OpenedModel.fromLoaded(loaded, createReferenceBackend('float64'));
    const a = model.sample('The ', 30, 0.8);
    assert.equal([...a].length, 30);
    const probs = model.nextSymbolProbs('The ', 3);
    assert.equal(probs.probs.length, 3);
  });
});
