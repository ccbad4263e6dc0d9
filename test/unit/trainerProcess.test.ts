// The real trainer process (dist/trainer.js, built by `npm run build`) driven over IPC, as the extension drives it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultTrainConfig, type TrainConfig, type TrainerMessage } from '../../src/protocol/messages';
import { TrainerClient } from '../../src/extension/trainerClient';
import { RunController, type RunProblem } from '../../src/extension/runController';

const trainerPath = join(__dirname, '..', '..', '..', 'dist', 'trainer.js');
const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(120);
const tiny: TrainConfig = {
  ...defaultTrainConfig, hiddenSize: 16, seqLength: 16, batchSize: 4, steps: 30, evalInterval: 10, sampleLength: 20, backend: 'js', threads: 1,
};

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function processExists(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'rnnlab-test-'));
}

// These tests drive the bundle itself: without it they must fail, not pass vacuously.
test.before(() => assert.ok(existsSync(trainerPath), `${trainerPath} is missing: run \`npm run build\` first`));

/**
 * A RunController (the extension's own) running `body` against a run far longer than any test
 * waits for, in a fresh checkpoint folder; the controller and the folder are gone afterwards.
 */
async function withLongRun(body: (controller: RunController, problems: RunProblem[], dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const controller = new RunController(trainerPath);
  const problems: RunProblem[] = [];
  controller.onDidFail((p) => problems.push(p));
  try {
    controller.start({ source: { kind: 'text', text, name: 'cats.txt' }, config: { ...tiny, steps: 1_000_000 }, checkpointDir: dir });
    await body(controller, problems, dir);
  } finally {
    // The long run writes checkpoints into `dir` until its process is gone.
    await controller.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a forked trainer trains, evaluates, checkpoints, finishes, then answers samples and probabilities', async () => {
  const dir = tempDir();
  const messages: TrainerMessage[] = [];
  let exit: { code: number | null; signal: string | null; expected: boolean } | undefined;
  const client = new TrainerClient({ trainerPath, onMessage: (m) => messages.push(m), onExit: (e) => { exit = e; } });
  const of = <K extends TrainerMessage['type']>(type: K) => messages.filter((m) => m.type === type) as Array<Extract<TrainerMessage, { type: K }>>;
  try {
    client.send('start', { runId: 't1', source: { kind: 'text', text, name: 'cats.txt' }, config: tiny, checkpointDir: dir });
    await until(() => of('finished').length === 1 || of('failed').length > 0, 'the run to finish');
    assert.deepEqual(of('failed'), []);
    assert.equal(of('ready')[0].payload.pid, client.pid);
    const started = of('started')[0].payload;
    assert.equal(started.sourceName, 'cats.txt');
    assert.equal(started.totalSteps, 30);
    assert.ok(started.vocabSize > 10 && started.paramCount > 0 && started.backend.description.length > 0);
    assert.ok(Math.abs(started.baselineNats - Math.log(started.vocabSize)) < 1e-9);
    assert.equal(of('step').at(-1)!.payload.step, 30, 'the last step reaches the host');
    // Step 0 (before any update) and the three evaluations of the run.
    assert.equal(of('eval').length, 4);
    assert.equal(of('eval')[0].payload.step, 0);
    const finished = of('finished')[0].payload;
    assert.equal(finished.reason, 'completed');
    assert.equal(finished.step, 30);
    assert.ok(of('eval').at(-1)!.payload.valLoss < started.baselineNats, 'the model learned something');
    assert.ok(finished.checkpointPath && existsSync(finished.checkpointPath), 'a checkpoint was written');

    const sample = await client.sample('the ', 25, 0.5);
    assert.equal(typeof sample, 'string');
    assert.ok(sample!.length >= 25, `sample: ${JSON.stringify(sample)}`);
    const probs = await client.probs('the ca', 5);
    assert.ok(probs && probs.probs.length === 5);
    const total = probs!.probs.reduce((sum, p) => sum + p.p, 0);
    assert.ok(total > 0 && total <= 1 + 1e-6);
    for (let i = 1; i < probs!.probs.length; i++) assert.ok(probs!.probs[i].p <= probs!.probs[i - 1].p, 'sorted by probability');
    assert.ok(probs!.entropyBits >= 0 && probs!.entropyBits <= Math.log2(started.vocabSize) + 1e-9);
    assert.equal(exit, undefined, 'the trainer stays for samples and the hover');
  } finally {
    await client.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(exit!.expected, true);
});

test('stop ends a long run as stopped; bad input fails with a plain message and writes nothing', () =>
  withLongRun(async (controller, problems, dir) => {
    await until(() => controller.runState().evalCount >= 1, 'the first evaluation');
    assert.equal(controller.runState().status, 'running');
    assert.ok(controller.pause());
    await until(() => controller.runState().status === 'paused', 'pause');
    assert.ok(controller.resume());
    await until(() => controller.runState().status === 'running', 'resume');
    const pid = controller.runState().trainerPid!;
    assert.ok(controller.stop());
    await until(() => controller.runState().status === 'stopped', 'stop');
    await until(() => !processExists(pid), 'the stopped trainer to exit');
    assert.equal(controller.runState().status, 'stopped', 'a stop is not a crash');
    const checkpoint = controller.runState().checkpointPath;
    assert.ok(checkpoint, 'the stopped run left a checkpoint');
    // The stopped run's model is served from its checkpoint, so the hover and samples keep working.
    await until(() => controller.hasModel, 'the stopped run\'s model to be served');
    const probs = await controller.probs('the cat ', 3, 5_000);
    assert.equal(probs?.probs.length, 3);
    assert.equal(controller.runState().status, 'stopped', 'serving the model leaves the run as it was');
    assert.equal(problems.length, 0, JSON.stringify(problems));

    // After a window reload the extension restores the run's history and serves its checkpoint.
    const reloaded = new RunController(trainerPath);
    try {
      reloaded.restore(controller.snapshot!);
      reloaded.serve(checkpoint, { backend: 'js' });
      await until(() => reloaded.hasModel, 'the reloaded window\'s model');
      assert.equal(reloaded.runState().status, 'stopped');
      assert.equal((await reloaded.probs('the dog ', 2, 5_000))?.probs.length, 2);
    } finally {
      reloaded.dispose();
    }

    // Open model: a fresh controller opens the checkpoint without training.
    const opener = new RunController(trainerPath);
    try {
      opener.open(checkpoint, { backend: 'js' });
      await until(() => opener.hasModel, 'the opened model');
      assert.equal(opener.runState().status, 'opened', 'an opened model is not a run that completed here');
      assert.equal(opener.snapshot?.started?.sourceName, 'cats.txt');
      assert.match(opener.snapshot?.statusMessage ?? '', /^Opened model: (best|last)\.rnnlab \(checkpoint of a run on cats\.txt, step \d+, best val \d\.\d{3} bits\/char\)$/);
      assert.ok(opener.runState().lastSample, 'the sample drawn at opening is the latest sample');
      assert.ok((opener.snapshot?.evals.length ?? 0) >= 1, 'the checkpoint\'s validation history is shown');
      assert.equal([...(await opener.sample('the ', 12, 0.5)) ?? ''].length, 12);
      // A model that cannot be opened leaves the one that is open in place, and says why.
      const openedPid = opener.runState().trainerPid;
      opener.open(join(dir, 'missing.rnnlab.json'), { backend: 'js' });
      await until(() => /missing\.rnnlab\.json failed/.test(opener.snapshot?.statusMessage ?? ''), 'a missing checkpoint to fail');
      assert.match(opener.snapshot!.statusMessage, /^Opening .*missing\.rnnlab\.json failed: .+ The model loaded before \(cats\.txt\) is still in use\.$/);
      assert.equal(opener.hasModel, true, 'the model opened before still answers');
      assert.equal(opener.runState().trainerPid, openedPid);
      assert.equal(opener.snapshot?.started?.sourceName, 'cats.txt');
      assert.equal([...(await opener.sample('the ', 12, 0.5)) ?? ''].length, 12);
    } finally {
      opener.dispose();
    }

    // A run that fails to start keeps the model that was loaded: its run stays on show, the failure in its status line.
    const emptyDir = join(dir, 'empty-run');
    const evalsBefore = controller.runState().evalCount;
    controller.start({ source: { kind: 'text', text: '  \n\t \n', name: 'blank.txt' }, config: tiny, checkpointDir: emptyDir });
    await until(() => problems.length > 0, 'the failure');
    assert.match(problems[0].message, /blank\.txt.*whitespace/);
    await until(() => controller.runState().status !== 'starting', 'the failed start to be shown');
    assert.equal(controller.runState().status, 'stopped', 'the run before is shown again');
    assert.match(controller.snapshot!.statusMessage, /^Training on blank\.txt failed: .*whitespace.* The model loaded before \(cats\.txt\) is still in use\.$/);
    assert.equal(controller.runState().evalCount, evalsBefore);
    assert.equal(controller.hasModel, true, 'the model before still answers');
    assert.equal((await controller.probs('the cat ', 3, 5_000))?.probs.length, 3, 'the hover still answers');
    await sleep(300);
    assert.equal(controller.runState().status, 'stopped', 'the failed trainer\'s exit is not reported as a crash');
    assert.equal(problems.length, 1);
    assert.equal(existsSync(emptyDir), false, 'nothing written');

    // A setting to blame is named as the editor names it, with a value to try.
    controller.start({ source: { kind: 'text', text: 'a few words only', name: 'short.txt' }, config: tiny, checkpointDir: emptyDir });
    await until(() => problems.length > 1, 'the second failure');
    assert.match(problems[1].message, /short\.txt is too short.*\(rnnLab\.seqLength\).*try rnnLab\.seqLength = 7 or less/);
    assert.doesNotMatch(problems[1].message, /--seq/);
    assert.equal(existsSync(emptyDir), false, 'nothing written');
    assert.equal(controller.hasModel, true, 'a second failed start still keeps the model');

    // With no model loaded, a failed start is an error, as before.
    const fresh = new RunController(trainerPath);
    try {
      fresh.start({ source: { kind: 'text', text: 'a few words only', name: 'short.txt' }, config: tiny, checkpointDir: emptyDir });
      await until(() => fresh.runState().status === 'error', 'the failure without a model');
      assert.equal(fresh.hasModel, false);
    } finally {
      fresh.dispose();
    }
  }));

test('a killed trainer is reported as a crash with its step, and a new run can start', () =>
  withLongRun(async (controller, problems, dir) => {
    await until(() => (controller.snapshot?.lastStep?.step ?? 0) > 5 && controller.runState().trainerPid !== undefined, 'some steps');
    const pid = controller.runState().trainerPid!;
    process.kill(pid, 'SIGKILL');
    await until(() => controller.runState().status === 'crashed', 'the crash to be noticed');
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /^Trainer process exited unexpectedly \(signal SIGKILL\) at step \d+; last checkpoint: /);
    assert.equal(controller.snapshot?.statusMessage, problems[0].message);
    assert.equal(controller.hasModel, false, 'no trainer, no hover');
    assert.equal(await controller.probs('the', 3, 500), undefined);

    controller.start({ source: { kind: 'text', text, name: 'cats.txt' }, config: tiny, checkpointDir: dir });
    await until(() => controller.runState().status === 'completed', 'the new run to complete');
    assert.equal(controller.runState().step, 30);
    assert.ok(readdirSync(dir).length > 0, 'checkpoints written');
  }));

test('Resume from checkpoint continues a run where its checkpoint left it, for N more steps', async () => {
  const dir = tempDir();
  const file = join(dir, 'cats.txt');
  writeFileSync(file, text);
  const controller = new RunController(trainerPath);
  const problems: RunProblem[] = [];
  controller.onDidFail((p) => problems.push(p));
  try {
    controller.start({ source: { kind: 'file', path: file, name: 'cats.txt' }, config: { ...tiny, earlyStop: 0 }, checkpointDir: dir });
    await until(() => controller.runState().status === 'completed', 'the first run');
    const checkpoint = controller.runState().checkpointPath!;
    assert.equal(controller.runState().step, 30);

    controller.continueFrom({ checkpoint, checkpointDir: dir, moreSteps: 10, backend: 'js' });
    await until(() => controller.runState().status === 'completed', 'the resumed run');
    assert.deepEqual(problems, []);
    assert.equal(controller.runState().step, 40, 'ten steps more than the checkpoint');
    assert.ok(controller.snapshot!.steps.every((s) => s.step > 30), 'the resumed run starts after the checkpoint\'s step');

    // A run on editor text recorded no file to read again: a plain message, nothing trained.
    controller.start({ source: { kind: 'text', text, name: 'typed.txt' }, config: tiny, checkpointDir: join(dir, 'typed') });
    await until(() => controller.runState().status === 'completed', 'the editor-text run');
    controller.continueFrom({ checkpoint: controller.runState().checkpointPath!, checkpointDir: dir, backend: 'js' });
    await until(() => problems.length === 1, 'the refusal');
    assert.match((problems as RunProblem[])[0].message, /does not record which file it trained on/);
  } finally {
    // The trainer may still be writing into `dir` until its process is gone.
    await controller.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Lab through the extension\'s controller: no model is a calm answer; a forked trainer answers cards, streams a sample and scores surprisal', async () => {
  const idle = new RunController(trainerPath);
  const none = await idle.lab({ kind: 'firstSymbols', prefix: '', top: 10 });
  assert.equal(none.kind, 'error');
  assert.match(none.kind === 'error' ? none.message : '', /No model yet/);
  assert.equal(await idle.surprisal('', 'the cat'), undefined);
  idle.dispose();

  await withLongRun(async (controller) => {
    await until(() => controller.snapshot?.lastStep !== undefined, 'the first step');
    const q2 = await controller.lab({ kind: 'firstSymbols', prefix: 'the', top: 10 });
    assert.ok(q2.kind === 'firstSymbols' && q2.probs.length === 10, JSON.stringify(q2));
    const q4 = await controller.lab({ kind: 'resetState', count: 5, temperature: 0.8, maxLength: 50 });
    assert.ok(q4.kind === 'resetState' && q4.withReset.length === 5 && q4.withoutReset.length === 5);
    const pieces: string[] = [];
    const sample = await controller.generate({ prime: 'the ', length: 50, temperature: 0.8, stopAtEnd: true }, (piece) => pieces.push(piece));
    assert.equal(sample, pieces.join(''));
    assert.equal([...(sample ?? '')].length, 50);
    const bits = await controller.surprisal('the ', 'cat sat');
    assert.ok(bits && bits.complete && bits.bits.length === 7 && bits.bits.every((b) => b > 0));
  });
});

test('SIGTERM stops the trainer\'s run as Stop does: its last checkpoint is written, then the process ends with code 0', async () => {
  await withLongRun(async (controller, problems) => {
    await until(() => controller.runState().evalCount >= 2, 'two evaluations');
    const pid = controller.runState().trainerPid!;
    process.kill(pid, 'SIGTERM');
    await until(() => !processExists(pid), 'the trainer to end');
    await until(() => controller.runState().status === 'stopped', 'the run to be stopped');
    assert.deepEqual(problems, [], 'not a crash');
    const best = controller.runState().checkpointPath!;
    assert.ok(existsSync(join(best, '..', 'last.rnnlab')), 'the last checkpoint, beside the run\'s best');
  });
});

test('a checkpoint that cannot be written mid-run ends the trainer\'s run with a lasting problem and an error status', async () => {
  await withLongRun(async (controller, problems) => {
    await until(() => controller.runState().evalCount >= 1 && controller.snapshot?.started?.runDir !== undefined, 'the first evaluation');
    // The run's folder is replaced by a file: its next checkpoint cannot be written.
    const runDir = controller.snapshot!.started!.runDir!;
    rmSync(runDir, { recursive: true, force: true });
    writeFileSync(runDir, 'in the way');
    await until(() => controller.runState().status === 'error', 'the run to end with an error');
    assert.equal(problems.length, 1);
    assert.equal(problems[0].lasting, true);
    assert.match(problems[0].message, /^Could not write the checkpoint \S+\.rnnlab \(.*\): the model of step \d+ is lost; the last good checkpoint is /);
    assert.equal(controller.snapshot?.statusMessage, problems[0].message, 'the Lab\'s status keeps the line');
  });
});
