import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultTrainConfig, type RunStarted, type StepMetrics, type TrainerMessage, type TrainerToHost } from '../../src/protocol/messages';
import { LatestValueThrottle } from '../../src/trainer/throttle';
import { Trainer, type RunHandle, type TrainerEngine } from '../../src/trainer/trainer';
import type { LabModel, TrainingRunOptions } from '../../src/engine/train/run';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { CharTokenizer } from '../../src/engine/data/charTokenizer';
import { randomFill } from './support/batches';

test('throttle: the first value goes at once, a burst sends only its latest value, one interval later', async () => {
  const sent: number[] = [];
  const throttle = new LatestValueThrottle<number>(40, (v) => sent.push(v));
  throttle.push(1);
  for (let i = 2; i <= 100; i++) throttle.push(i);
  assert.deepEqual(sent, [1]);
  await sleep(80);
  assert.deepEqual(sent, [1, 100]);
  throttle.dispose();
});

test('throttle: flush sends the held value now, and nothing is sent twice', () => {
  const sent: number[] = [];
  let now = 0;
  const throttle = new LatestValueThrottle<number>(50, (v) => sent.push(v), () => now);
  throttle.push(1);
  throttle.push(2);
  throttle.flush();
  throttle.flush();
  assert.deepEqual(sent, [1, 2]);
  now = 1000;
  throttle.push(3);
  assert.deepEqual(sent, [1, 2, 3]);
  throttle.dispose();
});

test('throttle: at most one value per interval however many arrive', async () => {
  const sent: number[] = [];
  const throttle = new LatestValueThrottle<number>(20, (v) => sent.push(v));
  // A fixed number of pushes, however long a loaded machine takes for them: the bound follows the time taken.
  const started = Date.now();
  let i = 0;
  while (i < 100) { throttle.push(i++); await sleep(1); }
  const elapsed = Date.now() - started;
  throttle.flush();
  assert.ok(sent.length <= elapsed / 20 + 2, `sent ${sent.length} in ${elapsed} ms`);
  assert.ok(sent.length < i, `sent ${sent.length} of ${i}: the burst was thinned`);
  assert.equal(sent[sent.length - 1], i - 1, 'the latest value always gets through');
});

/** A scripted run: steps on a timer until stopped or done, like the engine's loop does. */
class ScriptedRun implements RunHandle {
  private stopped = false;
  private paused = false;
  constructor(private readonly options: TrainingRunOptions, private readonly totalSteps: number) {}
  async run(): Promise<TrainerToHost['finished']> {
    let step = 0;
    let reportedPause = false;
    this.options.events.started?.({ stepsPerEpoch: 10 } as RunStarted);
    while (step < this.totalSteps && !this.stopped) {
      await sleep(1);
      if (this.paused !== reportedPause) {
        reportedPause = this.paused;
        if (this.paused) this.options.events.paused?.(step); else this.options.events.resumed?.(step);
      }
      if (this.paused) continue;
      step++;
      const m: StepMetrics = { step, epoch: 0, loss: 3, smoothLoss: 3, gradNorm: 1, charsPerSec: 1, elapsedMs: step, etaMs: 1 };
      this.options.events.step?.(m);
    }
    return { reason: this.stopped ? 'stopped' : 'completed', message: 'done', step, bestValLoss: 1 };
  }
  pause() { this.paused = true; }
  resume() { this.paused = false; }
  stop() { this.stopped = true; }
  sample(prime: string, length: number) { return prime + 'x'.repeat(length); }
  nextSymbolProbs() { return { probs: [{ symbol: 'a', p: 1 }], entropyBits: 0 }; }
  labModel(): LabModel {
    const vocab = CharTokenizer.fromText('the cat sat on the mat\nthe dog ran\n', 96);
    const spec = { cell: 'lstm' as const, vocabSize: vocab.size, hiddenSize: 6, layers: 1, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' as const };
    const net = createReferenceBackend('float64').createNetwork(spec);
    randomFill(net.params, 1, 4);
    return { spec, vocab, backend: { name: 'reference', description: 'reference', threads: 1 }, createStepper: () => net.createStepper(1), seed: 9, params: net.params };
  }
}

class InputProblem extends Error {}

function harness(options: { totalSteps?: number; failWith?: Error } = {}) {
  const messages: TrainerMessage[] = [];
  const exits: number[] = [];
  const engine: TrainerEngine = {
    readCorpus: async () => { if (options.failWith) throw options.failWith; return {} as TrainingRunOptions['text']; },
    createBackend: async () => ({ info: { name: 'fake', description: 'fake', threads: 1 } }) as never,
    createRun: (runOptions) => new ScriptedRun(runOptions, options.totalSteps ?? 30),
    prepareResume: async (checkpoint, overrides, moreSteps) => {
      if (options.failWith) throw options.failWith;
      return { sourceName: `${checkpoint} text`, text: {} as TrainingRunOptions['text'], config: { ...defaultTrainConfig, ...overrides, steps: 10 + (moreSteps ?? 0) } };
    },
    openModel: async (request) => {
      if (options.failWith) throw options.failWith;
      return {
        model: {
          sample: (prime: string, length: number) => prime + 'o'.repeat(length),
          nextSymbolProbs: () => ({ probs: [{ symbol: 'o', p: 1 }], entropyBits: 0 }),
          labModel: () => new ScriptedRun({} as TrainingRunOptions, 0).labModel(),
        },
        opened: { path: request.path, kind: 'checkpoint', started: {} as never, step: 7, bestValLoss: 1, trainHistory: [], valHistory: [], sample: { text: 'oo', prime: '', temperature: 1 } },
      };
    },
    isUserInputError: (error) => error instanceof InputProblem,
  };
  const trainer = new Trainer(engine, {
    send: (type, payload) => messages.push({ type, payload } as TrainerMessage),
    sendAndExit: (type, payload, code) => { messages.push({ type, payload } as TrainerMessage); exits.push(code); },
  });
  const start = () => trainer.handle({ type: 'start', payload: { runId: 'r', source: { kind: 'text', text: 'abc', name: 't' }, config: defaultTrainConfig, checkpointDir: '/tmp/none' } });
  const ofType = <K extends TrainerMessage['type']>(type: K) => messages.filter((m) => m.type === type) as Array<Extract<TrainerMessage, { type: K }>>;
  return { trainer, messages, exits, start, ofType };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await sleep(5);
  }
}

test('trainer: a run ends with finished, after the last step was sent, and its process stays', async () => {
  const h = harness({ totalSteps: 30 });
  h.start();
  await until(() => h.ofType('finished').length === 1);
  const steps = h.ofType('step');
  assert.equal(steps[steps.length - 1].payload.step, 30, 'the final step is flushed before finished');
  assert.ok(steps.length < 30, `steps are throttled (${steps.length} sent)`);
  assert.equal(h.messages[h.messages.length - 1].type, 'finished');
  assert.deepEqual(h.exits, [], 'the process stays for samples and the hover');
});

test('trainer: stop, pause and resume reach the run; samples and probabilities answer by request id', async () => {
  const h = harness({ totalSteps: 1_000_000 });
  h.start();
  await until(() => h.ofType('step').length > 0);
  h.trainer.handle({ type: 'pause', payload: {} });
  await until(() => h.ofType('paused').length === 1);
  const pausedAt = h.ofType('paused')[0].payload.step;
  await sleep(30);
  assert.equal(h.ofType('step').at(-1)!.payload.step, pausedAt, 'no steps while paused');
  h.trainer.handle({ type: 'resume', payload: {} });
  await until(() => h.ofType('resumed').length === 1);
  h.trainer.handle({ type: 'sample', payload: { requestId: 7, prime: 'ab', length: 3, temperature: 1 } });
  assert.deepEqual(h.ofType('sampleResult')[0].payload, { requestId: 7, text: 'abxxx' });
  h.trainer.handle({ type: 'probs', payload: { requestId: 8, context: 'a', top: 5 } });
  assert.equal(h.ofType('probsResult')[0].payload.requestId, 8);
  h.trainer.handle({ type: 'stop', payload: {} });
  await until(() => h.ofType('finished').length === 1);
  assert.equal(h.ofType('finished')[0].payload.reason, 'stopped');
  assert.deepEqual(h.exits, [0], 'a stopped run ends its process cleanly');
});

test('trainer: bad input gives a plain failed message and a clean exit; other errors exit non-zero with the stack', async () => {
  const bad = harness({ failWith: new InputProblem('empty.txt is empty; give a text file with some content.') });
  bad.start();
  await until(() => bad.exits.length === 1);
  assert.deepEqual(bad.ofType('failed')[0].payload, { message: 'empty.txt is empty; give a text file with some content.' });
  assert.deepEqual(bad.exits, [0]);

  const broken = harness({ failWith: new TypeError('boom') });
  broken.start();
  await until(() => broken.exits.length === 1);
  const failed = broken.ofType('failed')[0].payload;
  assert.match(failed.message, /boom/);
  assert.match(failed.detail ?? '', /TypeError: boom/);
  assert.deepEqual(broken.exits, [1]);
});

test('trainer: open serves a checkpoint\'s model for samples and probabilities, and a second open or start is refused', async () => {
  const h = harness();
  h.trainer.handle({ type: 'open', payload: { runId: 'r', path: '/tmp/m.rnnlab.json', backend: 'js', threads: 1 } });
  await until(() => h.ofType('opened').length === 1);
  assert.equal(h.ofType('opened')[0].payload.step, 7);
  h.trainer.handle({ type: 'sample', payload: { requestId: 3, prime: 'f', length: 2, temperature: 1 } });
  assert.deepEqual(h.ofType('sampleResult')[0].payload, { requestId: 3, text: 'foo' });
  h.trainer.handle({ type: 'probs', payload: { requestId: 4, context: 'x', top: 5 } });
  assert.deepEqual(h.ofType('probsResult')[0].payload.probs, [{ symbol: 'o', p: 1 }]);
  h.start();
  await until(() => h.ofType('log').length === 1);
  assert.equal(h.ofType('started').length, 0);
  assert.deepEqual(h.exits, []);
});

test('trainer: lab questions, streamed samples and surprisal are answered by request id; no model is a calm answer', async () => {
  const idle = harness();
  idle.trainer.handle({ type: 'lab', payload: { requestId: 1, request: { kind: 'firstSymbols', prefix: '', top: 10 } } });
  const none = idle.ofType('labResult')[0].payload;
  assert.equal(none.answer.kind, 'error');

  const h = harness({ totalSteps: 1_000_000 });
  h.start();
  await until(() => h.ofType('step').length > 0);
  h.trainer.handle({ type: 'lab', payload: { requestId: 2, request: { kind: 'firstSymbols', prefix: '', top: 10 } } });
  const first = h.ofType('labResult')[0].payload;
  assert.equal(first.requestId, 2);
  assert.ok(first.answer.kind === 'firstSymbols' && first.answer.probs.length === 10);
  h.trainer.handle({ type: 'lab', payload: { requestId: 3, request: { kind: 'timing' } } });
  const timing = h.ofType('labResult')[1].payload.answer;
  assert.ok(timing.kind === 'timing' && timing.timing.stepsDone > 0 && timing.hardware.cores > 0);
  h.trainer.handle({ type: 'sample', payload: { requestId: 4, prime: 'the', length: 60, temperature: 1, stream: true } });
  await until(() => h.ofType('sampleResult').length === 1);
  const chunks = h.ofType('sampleChunk').map((m) => m.payload.text).join('');
  assert.equal(h.ofType('sampleResult')[0].payload.text, chunks);
  assert.equal([...chunks].length, 60);
  assert.ok(h.ofType('sampleChunk').length >= 3, 'the sample came in pieces');
  h.trainer.handle({ type: 'surprisal', payload: { requestId: 5, context: '', text: 'the cat' } });
  await until(() => h.ofType('surprisalResult').length === 1);
  const s = h.ofType('surprisalResult')[0].payload;
  assert.equal(s.bits.length, 7);
  assert.ok(s.complete && s.meanBits > 0);
  // A whole file's figure: the mean, without a figure per character.
  h.trainer.handle({ type: 'surprisal', payload: { requestId: 6, context: '', text: 'the cat', summary: true } });
  await until(() => h.ofType('surprisalResult').length === 2);
  const summary = h.ofType('surprisalResult')[1].payload;
  assert.deepEqual(summary.bits, []);
  assert.ok(summary.complete && summary.meanBits > 0);
  h.trainer.handle({ type: 'stop', payload: {} });
  await until(() => h.ofType('finished').length === 1);
});

test('trainer: continueRun trains the prepared run of a checkpoint', async () => {
  const h = harness({ totalSteps: 12 });
  h.trainer.handle({ type: 'continueRun', payload: { runId: 'r', checkpoint: 'a.rnnlab.json', checkpointDir: '/tmp/none', overrides: {}, moreSteps: 5 } });
  await until(() => h.ofType('finished').length === 1);
  assert.equal(h.ofType('step').at(-1)!.payload.step, 12);
  assert.deepEqual(h.exits, []);
});
