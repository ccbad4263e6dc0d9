import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTrainConfig, type RunFinished, type TrainConfig } from '../../src/protocol/messages';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { corpusFromText } from '../../src/engine/data/corpus';
import { prepareResume } from '../../src/engine/train/resume';
import { TrainingRun, type TrainEvents } from '../../src/engine/train/run';
import { UserInputError } from '../../src/engine/text/errors';
import { runFoldersOf } from './support/runs';

const cli = join(__dirname, '../../../dist/cli.js');
const samples = join(__dirname, '../../../samples');
const nonsense = readFileSync(join(samples, 'nonsense.txt'), 'utf8').slice(0, 12000);
const env = { ...process.env, RNN_LAB_CUDA_DRIVER: '/nonexistent/libcuda.so.1' };

const tiny: TrainConfig = {
  ...defaultTrainConfig,
  hiddenSize: 24, batchSize: 8, seqLength: 16, learningRate: 0.01, steps: 40, evalInterval: 10, sampleLength: 20, backend: 'reference',
};

const work = mkdtempSync(join(tmpdir(), 'rnnlab-runfolder-'));
after(() => rmSync(work, { recursive: true, force: true }));
/** The text's file, so a run's checkpoints can be resumed. */
const textFile = join(work, 'nonsense.txt');
writeFileSync(textFile, nonsense);

function folder(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function train(dir: string, config: Partial<TrainConfig>, events: TrainEvents = {}, text = nonsense, extra: { resumePath?: string } = {}): Promise<RunFinished> {
  const corpus = corpusFromText(text, { maxVocab: 96, name: 'nonsense.txt' });
  const run = new TrainingRun({
    runId: 'r', sourceName: 'nonsense.txt', sourcePath: textFile, text: corpus, config: { ...tiny, ...config }, backend: createReferenceBackend('float32'), checkpointDir: dir, events, ...extra,
  });
  return run.run();
}

/** The PID of a process that has ended (so no process has it, for now). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

test('one run after another: both run folders stay, and a worse run does not replace the file\'s best', async () => {
  const dir = folder('sequential');
  const good = await train(dir, { steps: 40 });
  const worse = await train(dir, { steps: 1 });
  assert.notEqual(good.runDir, worse.runDir);
  assert.ok(worse.bestValLoss > good.bestValLoss, `${worse.bestValLoss} vs ${good.bestValLoss}`);
  assert.deepEqual(runFoldersOf(dir, 'nonsense.txt'), [good.runDir, worse.runDir]);
  for (const run of [good, worse]) assert.ok(existsSync(join(run.runDir!, 'last.rnnlab')) && existsSync(join(run.runDir!, 'best.rnnlab')));
  const fileBest = join(dir, 'nonsense-best.rnnlab');
  assert.equal(worse.bestPath, fileBest);
  assert.deepEqual(readFileSync(fileBest), readFileSync(join(good.runDir!, 'best.rnnlab')), 'the file\'s best is the better run\'s');
  assert.match(worse.message, /best model of nonsense\.txt stays that of run \S+ \(\d\.\d{3} bits\/char\), better than this run's/);
  // Another text under the same name: its model replaces the file's best (the older one stays in its run folder).
  const other = await train(dir, { steps: 1 }, {}, nonsense.slice(0, 6000));
  assert.deepEqual(readFileSync(fileBest), readFileSync(join(other.runDir!, 'best.rnnlab')));
  assert.ok(existsSync(join(good.runDir!, 'best.rnnlab')));
});

/** Starts `rnn-lab train` with JSON output; resolves with its exit code and JSON lines. */
function startCli(args: string[], onLine: (line: Record<string, unknown>, child: ChildProcess) => void = () => {}) {
  const child = spawn(process.execPath, [cli, 'train', ...args, '--json'], { env, cwd: work });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
      const line = JSON.parse(pending.slice(0, i)) as Record<string, unknown>;
      pending = pending.slice(i + 1);
      lines.push(line);
      onLine(line, child);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: typeof lines; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, lines, stderr }));
  });
  return { child, done };
}

const cliArgs = (dir: string, steps: number, evalInterval = 10) => [join(samples, 'nonsense.txt'), '--steps', String(steps), '--eval-interval', String(evalInterval), '--hidden', '16', '--batch', '4', '--seq', '8',
  '--backend', 'js', '--sample-length', '10', '--checkpoint-dir', dir];

test('two CLI runs into one folder at once: each keeps its own run folder, the file\'s best is the better one', async () => {
  const dir = folder('together');
  const [a, b] = await Promise.all([startCli(cliArgs(dir, 40)).done, startCli(cliArgs(dir, 10)).done]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const [fa, fb] = [a, b].map((r) => r.lines.at(-1)! as { type: string; runDir: string; bestPath: string; bestValLoss: number });
  assert.equal(fa.type, 'finished');
  assert.notEqual(fa.runDir, fb.runDir);
  assert.deepEqual(runFoldersOf(dir, 'nonsense.txt'), [fa.runDir, fb.runDir].sort());
  for (const f of [fa, fb]) assert.deepEqual(readdirSync(f.runDir).sort(), ['best.rnnlab', 'last.rnnlab', 'run.json']);
  const better = fa.bestValLoss < fb.bestValLoss ? fa : fb;
  assert.equal(fa.bestPath, join(dir, 'nonsense-best.rnnlab'));
  assert.deepEqual(readFileSync(fa.bestPath), readFileSync(join(better.runDir, 'best.rnnlab')), 'the file\'s best is the better run\'s');
  assert.equal(JSON.parse(readFileSync(join(dir, 'runs', 'nonsense', 'best.json'), 'utf8')).runId, better.runDir.split('/').pop());
});

test('a checkpoint folder that cannot be written stops the CLI before training, in one line', () => {
  const blocked = join(work, 'a-file');
  writeFileSync(blocked, 'not a folder');
  const r = spawnSync(process.execPath, [cli, 'train', ...cliArgs(join(blocked, 'ckpt'), 10)], { env, cwd: work, encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '', 'nothing trained');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /cannot (create|write).*a-file\/ckpt/);
});

test('a checkpoint write that fails mid-run ends the run non-zero with one line: what was lost, the last good one', async () => {
  // In-process: the run folder is replaced by a file once the run has started.
  const dir = folder('failing');
  const finished = await train(dir, { steps: 40 }, {
    started: (info) => { rmSync(info.runDir!, { recursive: true }); writeFileSync(info.runDir!, 'in the way'); },
  });
  assert.equal(finished.reason, 'error');
  assert.equal(finished.checkpointFailed, true);
  assert.equal(finished.step, 10, 'the run ends at the failed write');
  assert.match(finished.message, /^Could not write the checkpoint \S+best\.rnnlab \(.*\): the model of step 10 is lost; the last good checkpoint is none/);
  // The CLI: exit code 1 and that line.
  const cliDir = folder('failing-cli');
  const { done } = startCli(cliArgs(cliDir, 4000, 400), (line) => {
    if (line.type === 'started') { rmSync(line.runDir as string, { recursive: true }); writeFileSync(line.runDir as string, 'in the way'); }
  });
  const r = await done;
  assert.equal(r.code, 1, r.stderr);
  const finishedLine = r.lines.at(-1)!;
  assert.equal(finishedLine.type, 'finished');
  assert.match(finishedLine.message as string, /^Could not write the checkpoint .*the last good checkpoint is none/);
});

test('stale temporary files of dead writers are removed when a run starts; a live writer\'s stay', async () => {
  const dir = folder('stale');
  await train(dir, { steps: 1 });
  const [runDir] = runFoldersOf(dir, 'nonsense.txt');
  const dead = deadPid();
  const stale = [join(dir, `nonsense-best.rnnlab.${dead}.tmp`), join(runDir, `last.rnnlab.${dead}.tmp`)];
  const live = join(runDir, `best.rnnlab.${process.pid}.tmp`);
  for (const f of [...stale, live]) writeFileSync(f, 'x'.repeat(1000));
  await train(dir, { steps: 1 });
  for (const f of stale) assert.ok(!existsSync(f), f);
  assert.ok(existsSync(live));
});

test('SIGTERM ends a CLI run as Ctrl+C does: its last checkpoint is written, exit code 0', async () => {
  const dir = folder('sigterm');
  let sent = false;
  const { done } = startCli(cliArgs(dir, 1_000_000), (line, child) => {
    if (line.type === 'eval' && line.step === 10 && !sent) { sent = true; child.kill('SIGTERM'); }
  });
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  const finished = r.lines.at(-1)! as { type: string; reason: string; runDir: string; step: number };
  assert.equal(finished.reason, 'stopped');
  assert.ok(existsSync(join(finished.runDir, 'last.rnnlab')), 'the last checkpoint');
  assert.ok(!existsSync(join(finished.runDir, 'lock')));
});

test('resuming an early-stopped run starts its patience afresh and trains the asked steps', async () => {
  const dir = folder('early');
  // A high learning rate on a small text: validation soon stops improving.
  const first = await train(dir, { steps: 2000, evalInterval: 5, earlyStop: 2, learningRate: 0.05 });
  assert.equal(first.stoppedEarly, true, first.message);
  const last = join(first.runDir!, 'last.rnnlab');
  const plan = await prepareResume(last, { steps: first.step + 10 });
  const logs: string[] = [];
  const corpus = plan.corpus;
  const resumed = await new TrainingRun({
    runId: 'r', sourceName: plan.sourceName, text: corpus, config: plan.config, backend: createReferenceBackend('float32'), checkpointDir: dir,
    resumeFrom: plan.checkpoint, resumePath: last, events: { log: (_level, m) => logs.push(m) },
  }).run();
  assert.equal(resumed.step, first.step + 10, resumed.message);
  assert.ok(logs.some((m) => /after early stopping/.test(m)), logs.join('\n'));
  assert.equal(resumed.runDir, first.runDir, 'a resume of a run\'s last checkpoint continues in its folder');
});

test('a run that is training refuses a resume of its folder, naming its PID; a dead one\'s lock is taken over', async () => {
  const dir = folder('locked');
  const first = await train(dir, { steps: 10 });
  const last = join(first.runDir!, 'last.rnnlab');
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    writeFileSync(join(first.runDir!, 'lock'), `${sleeper.pid}\n`);
    const plan = await prepareResume(last, { steps: 20 });
    const resume = () => new TrainingRun({
      runId: 'r', sourceName: plan.sourceName, text: plan.corpus, config: plan.config, backend: createReferenceBackend('float32'), checkpointDir: dir,
      resumeFrom: plan.checkpoint, resumePath: last, events: {},
    }).run();
    await assert.rejects(resume(), (e: Error) => e instanceof UserInputError && new RegExp(`being trained by process ${sleeper.pid}`).test(e.message));
    writeFileSync(join(first.runDir!, 'lock'), `${deadPid()}\n`);
    const resumed = await resume();
    assert.equal(resumed.step, 20);
    assert.equal(resumed.runDir, first.runDir);
  } finally {
    sleeper.kill();
  }
});

test('retention keeps the best keepRuns runs, the file\'s best and running ones, and says which it removed', async () => {
  const dir = folder('retention');
  const best = await train(dir, { steps: 40, keepRuns: 2 });
  const worst = await train(dir, { steps: 1, keepRuns: 2 });
  // A running run (its lock holds a live PID) with no evaluation yet: never removed.
  const running = join(dir, 'runs', 'nonsense', '20000101-000000-000-live');
  mkdirSync(running);
  writeFileSync(join(running, 'lock'), `${process.ppid}\n`);
  const logs: string[] = [];
  const middle = await train(dir, { steps: 10, keepRuns: 2 }, { log: (_level, m) => logs.push(m) });
  const worstId = worst.runDir!.split('/').pop();
  assert.deepEqual(runFoldersOf(dir, 'nonsense.txt').sort(), [running, best.runDir!, middle.runDir!].sort());
  assert.ok(logs.some((m) => m === `Removed 1 run folder of nonsense.txt (keeping the best {setting:keepRuns} = 2): ${worstId}`), logs.join('\n'));
  // keepRuns 0 keeps every run.
  await train(dir, { steps: 1, keepRuns: 0 });
  assert.equal(runFoldersOf(dir, 'nonsense.txt').length, 4);
});
