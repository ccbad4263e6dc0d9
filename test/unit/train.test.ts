import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTrainConfig, type EvalMetrics, type StepMetrics, type TrainConfig } from '../../src/protocol/messages';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { createWasmBackend } from '../../src/engine/backends/wasm';
import { corpusFromText, readCorpusFromFile, type Corpus } from '../../src/engine/data/corpus';
import { UserInputError } from '../../src/engine/text/errors';
import { loadCheckpoint, usableParams } from '../../src/engine/model/io/checkpoint';
import { TrainingRun, type TrainEvents } from '../../src/engine/train/run';

const samplesDir = join(__dirname, '../../../samples');
const nonsense = readFileSync(join(samplesDir, 'nonsense.txt'), 'utf8').slice(0, 12000);

const tiny: TrainConfig = {
  ...defaultTrainConfig,
  hiddenSize: 24, batchSize: 8, seqLength: 16, learningRate: 0.01, steps: 40, evalInterval: 20, sampleLength: 40, backend: 'reference',
};

function newRun(config: Partial<TrainConfig>, events: TrainEvents = {}, corpus: Corpus = corpusFromText(nonsense, { maxVocab: 96, name: 'nonsense.txt' }), checkpointDir?: string) {
  return new TrainingRun({ runId: 't', sourceName: corpus.name, text: corpus, config: { ...tiny, ...config }, backend: createReferenceBackend('float64'), events, checkpointDir });
}

async function losses(config: Partial<TrainConfig>): Promise<number[]> {
  const out: number[] = [];
  await newRun(config, { step: (m) => out.push(m.loss) }).run();
  return out;
}

test('the loss falls on a sample corpus, and validation beats the uniform guess', async () => {
  const steps: StepMetrics[] = [];
  const evals: EvalMetrics[] = [];
  let baseline = 0;
  const finished = await newRun({ learningRate: 0.03 }, { started: (s) => (baseline = s.baselineNats), step: (m) => steps.push(m), eval: (e) => evals.push(e) }).run();
  assert.equal(finished.reason, 'completed');
  assert.equal(steps.length, 40);
  const first = steps.slice(0, 5).reduce((s, m) => s + m.loss, 0) / 5;
  const last = steps.slice(-5).reduce((s, m) => s + m.loss, 0) / 5;
  assert.ok(last < 0.75 * first, `loss ${first} -> ${last}`);
  // Step 0 evaluates the initial weights: about ln V.
  assert.deepEqual(evals.map((e) => e.step), [0, 20, 40]);
  assert.ok(Math.abs(evals[0].valLoss - baseline) < 0.1 * baseline, `step 0 val ${evals[0].valLoss} vs ln V ${baseline}`);
  assert.ok(evals[2].valLoss < baseline * 0.8, `val ${evals[2].valLoss} vs ln V ${baseline}`);
  assert.ok(Math.abs(evals[2].valBitsPerChar - evals[2].valLoss / Math.LN2) < 1e-12);
  assert.ok(Math.abs(evals[2].valPerplexity! - Math.exp(evals[2].valLoss)) < 1e-9);
  assert.equal(evals[2].bestStep, 40);
  assert.equal([...evals[2].sample].length, 40);
  assert.ok(steps.every((m) => m.charsPerSec > 0 && m.gradNorm > 0 && m.etaMs >= 0));
});

test('same seed gives identical losses; another seed gives different ones', async () => {
  const config = { steps: 6, evalInterval: 100, dropout: 0.2, layers: 2 };
  const a = await losses(config);
  const b = await losses(config);
  const c = await losses({ ...config, seed: 2 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('epochs budget: one epoch is stepsPerEpoch steps', async () => {
  let planned = 0;
  const run = newRun({ steps: 0, epochs: 1, seqLength: 32, batchSize: 16 }, { started: (s) => (planned = s.totalSteps) });
  const finished = await run.run();
  assert.equal(finished.step, run.stepsPerEpoch);
  assert.equal(planned, run.stepsPerEpoch);
});

test('pause holds the loop between steps; resume continues; stop ends with reason stopped', async () => {
  const seen: number[] = [];
  let pausedAt = -1;
  let run: TrainingRun;
  run = newRun({ steps: 1000, evalInterval: 1000 }, {
    step: (m) => {
      seen.push(m.step);
      if (m.step === 3) run.pause();
      if (m.step === 6) run.stop();
    },
    paused: (step) => {
      pausedAt = step;
      setTimeout(() => {
        assert.equal(seen.length, 3, 'no steps while paused');
        run.resume();
      }, 50);
    },
  });
  const finished = await run.run();
  assert.equal(pausedAt, 3);
  assert.equal(finished.reason, 'stopped');
  assert.equal(finished.step, 6);
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
});

test('an exploding loss stops the run as diverged with a clear message', async () => {
  const logs: string[] = [];
  const finished = await newRun({ optimizer: 'sgd', learningRate: 500, clipNorm: 0, steps: 50 }, { log: (_l, m) => logs.push(m) }).run();
  assert.equal(finished.reason, 'diverged');
  assert.ok(finished.step < 50);
  assert.match(finished.message, /diverged/);
  assert.match(finished.message, /learning rate/);
  assert.ok(logs.some((m) => /diverged/.test(m)));
});

test('a network that updates itself (the WebAssembly kernels) goes back to its best weights when a step diverges', async () => {
  const backend = await createWasmBackend(2, { oversubscribe: true });
  try {
    const corpus = corpusFromText(nonsense, { maxVocab: 96, name: 'nonsense.txt' });
    // The first update explodes the weights and a later step's loss trips the guard: the run must
    // serve step 0's weights (the best), not the ones the kernels wrote.
    const config = { ...tiny, backend: 'wasm' as const, threads: 2, optimizer: 'sgd' as const, learningRate: 500, clipNorm: 0, steps: 50, evalInterval: 1 };
    const run = new TrainingRun({ runId: 'd', sourceName: corpus.name, text: corpus, config, backend, events: {} });
    const finished = await run.run();
    assert.equal(finished.reason, 'diverged', finished.message);
    assert.equal(finished.bestStep, 0);
    const loss = run.validationLoss();
    assert.ok(Number.isFinite(loss) && Math.abs(loss - Math.log(corpus.tokenizer.size)) < 0.5, `validation loss of the weights served: ${loss}`);
  } finally {
    backend.dispose();
  }
});

test('checkpoints: best and last files that load back to the same weights and samples', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnnlab-train-'));
  try {
    const saved: string[] = [];
    const corpus = corpusFromText(nonsense, { maxVocab: 96, name: 'nonsense.txt' });
    const run = new TrainingRun({
      runId: 'c', sourceName: 'nonsense.txt', text: corpus, config: { ...tiny, steps: 20, evalInterval: 10 },
      backend: createReferenceBackend('float32'), checkpointDir: dir, events: { checkpoint: (c) => saved.push(`${c.reason}:${c.step}`) },
    });
    const finished = await run.run();
    const runDir = finished.runDir!;
    assert.equal(join(runDir, '..', '..', '..'), dir, 'the run folder is runs/<file>/<runId> in the checkpoint folder');
    assert.deepEqual(readdirSync(dir).sort(), ['nonsense-best.rnnlab', 'runs']);
    assert.deepEqual(readdirSync(runDir).sort(), ['best.rnnlab', 'last.rnnlab', 'run.json'], 'the lock is gone when the run ends');
    assert.ok(saved.includes('final:20'));
    assert.ok(saved.some((s) => s.startsWith('best:')));
    assert.equal(finished.checkpointPath, join(runDir, 'best.rnnlab'));
    assert.equal(finished.bestPath, join(dir, 'nonsense-best.rnnlab'));
    const last = await loadCheckpoint(join(runDir, 'last.rnnlab'));
    assert.equal(last.step, 20);
    // After the run the network holds the best weights, which the checkpoint carries too.
    assert.deepEqual(Array.from(usableParams(last)), Array.from(run.network.params));
    assert.deepEqual(last.tokenizer.symbols, corpus.tokenizer.symbols);
    assert.equal(last.valHistory.length, 3);
    assert.equal(last.trainHistory.length, 20);
    // The loaded weights sample exactly like the live run.
    const resumed = new TrainingRun({
      runId: 'r', sourceName: 'nonsense.txt', text: corpus, config: { ...tiny, steps: 1 }, backend: createReferenceBackend('float32'),
      events: {}, initialParams: usableParams(last),
    });
    assert.equal(resumed.sample('the cat', 50, 0.8, 3), run.sample('the cat', 50, 0.8, 3));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('emoji, CRLF and invalid UTF-8 input trains, and samples keep emoji whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnnlab-odd-'));
  try {
    const line = 'waves 🌊 and boats ⛵ on the sea\r\n';
    const bytes = Buffer.concat([Buffer.from(line.repeat(20)), Buffer.from([0xc3, 0x28]), Buffer.from(line.repeat(20))]);
    writeFileSync(join(dir, 'odd.txt'), bytes);
    const corpus = await readCorpusFromFile(join(dir, 'odd.txt'), { maxVocab: 96 });
    assert.ok(corpus.tokenizer.symbols.includes('🌊'));
    assert.ok(!corpus.tokenizer.symbols.includes('\r'));
    const run = newRun({ steps: 30, evalInterval: 30, seqLength: 12, batchSize: 4 }, {}, corpus);
    const finished = await run.run();
    assert.equal(finished.reason, 'completed');
    const text = run.sample('waves ', 200, 1, 1);
    assert.equal([...text].length, 200);
    assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text));
    const probs = run.nextSymbolProbs('waves ', 5);
    assert.equal(probs.probs.length, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad settings and too-short text are refused before a run starts', () => {
  assert.throws(() => newRun({ learningRate: -1 }), (e: Error) => e instanceof UserInputError && /learningRate/.test(e.message));
  assert.throws(() => newRun({ valFraction: 0 }), UserInputError);
  assert.throws(() => newRun({}, {}, corpusFromText('abc abc abc', { maxVocab: 96 })), (e: Error) => e instanceof UserInputError && /too short/.test(e.message));
});

test('each on-demand sample is a new draw, and the same run asked the same way repeats them', async () => {
  const draws = async () => {
    const run = newRun({ steps: 5, evalInterval: 5 });
    await run.run();
    return [run.sample('the ', 40, 1), run.sample('the ', 40, 1), run.sample('the ', 40, 1)];
  };
  const first = await draws();
  assert.equal(new Set(first).size, 3, `three different samples: ${JSON.stringify(first)}`);
  assert.deepEqual(await draws(), first, 'seeded: a second identical run draws the same three');
});

test('a checkpoint folder that cannot be written stops the run before it trains, in one line naming the folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnnlab-ckpt-'));
  const blocker = join(dir, 'a-file');
  writeFileSync(blocker, 'not a folder');
  const logs: string[] = [];
  const saved: string[] = [];
  try {
    const run = newRun({ steps: 10, evalInterval: 5 }, { log: (_level, message) => logs.push(message), checkpoint: (c) => saved.push(c.path) }, undefined, join(blocker, 'checkpoints'));
    await assert.rejects(run.run(), (e: Error) => e instanceof UserInputError && /^cannot write checkpoints to \S+a-file\/checkpoints: /.test(e.message) && !e.message.includes('\n'));
    assert.deepEqual(saved, []);
    assert.deepEqual(logs, [], 'nothing trained');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
