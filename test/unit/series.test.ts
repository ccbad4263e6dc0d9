import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { minimize } from '../../src/engine/optim/lbfgs';
import { mackeyGlass, mackeyGlassHistory } from '../../src/engine/series/mackeyGlass';
import { MersenneTwister } from '../../src/engine/series/mt19937';
import { initSeriesParams, SeriesModel, type Activation, type SeriesCell, type SeriesModelSpec } from '../../src/engine/series/model';
import { SeriesObjective } from '../../src/engine/series/objective';
import { freeRun } from '../../src/engine/series/generate';
import { defaultSeriesConfig, runSeriesLab } from '../../src/engine/series/lab';
import { parseSeriesLines, readSeriesFile } from '../../src/engine/series/read';
import { Rng } from '../../src/engine/random';

// ---- the Mackey-Glass generator ----

test('the Mersenne Twister draws what numpy.random.seed(42); numpy.random.rand() draws', () => {
  const rng = new MersenneTwister(42);
  assert.deepEqual([rng.nextDouble(), rng.nextDouble(), rng.nextDouble()], [0.3745401188473625, 0.9507143064099162, 0.7319939418114051]);
});

test('Mackey-Glass matches synthetic.mackey_glass: a fixed initial history, and seed 42', () => {
  // Values computed with the tutorial's Python function (NumPy float64).
  const history = Array.from({ length: 170 }, (_, i) => 1.2 + 0.1 * Math.sin(i));
  const fixed = mackeyGlass(300, { history });
  const expected = [0.11532582590864815, 0.0476120639325667, -0.02004503839669004, -0.07845213736877683];
  expected.forEach((v, i) => assert.ok(Math.abs(fixed[i] - v) < 1e-13, `x[${i}] = ${fixed[i]}, expected ${v}`));
  assert.ok(Math.abs(fixed[299] - 0.19330856481018424) < 1e-11, `x[299] = ${fixed[299]}`);

  const seeded = mackeyGlass(2000, { seed: 42 });
  const first = [0.11791731, 0.04985268, -0.01305567, -0.07332478, -0.12388123];
  first.forEach((v, i) => assert.ok(Math.abs(seeded[i] - v) < 1e-8, `seed 42: x[${i}] = ${seeded[i]}, expected ${v}`));
  assert.ok(Math.abs(seeded[1999] - -0.0001958673232106634) < 1e-10, `seed 42: x[1999] = ${seeded[1999]}`);
  assert.deepEqual(mackeyGlass(50, { seed: 42 }), seeded.slice(0, 50), 'a prefix of a longer series is the shorter series');
  assert.equal(mackeyGlassHistory(17, 42).length, 170);
});

// ---- the regression RNN ----

/** Central differences of the whole objective (MSE + penalty) against the analytic gradient. */
function maxGradientError(objective: SeriesObjective, p: Float64Array): { error: number; checked: number } {
  const analytic = new Float64Array(p.length);
  objective.valueAndGradient(p, analytic);
  let error = 0;
  let checked = 0;
  const h = 1e-6;
  for (let i = 0; i < p.length; i++) {
    const saved = p[i];
    p[i] = saved + h;
    const up = objective.value(p);
    p[i] = saved - h;
    const down = objective.value(p);
    p[i] = saved;
    const numeric = (up - down) / (2 * h);
    const scale = Math.max(Math.abs(numeric), Math.abs(analytic[i]));
    if (scale < 1e-7) continue;
    checked++;
    error = Math.max(error, Math.abs(numeric - analytic[i]) / scale);
  }
  return { error, checked };
}

function randomParams(model: SeriesModel, seed: number, scale: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: model.size }, () => scale * rng.normal());
}

const cases: Array<[SeriesCell, Activation, boolean, number]> = [
  ['rnn', 'tanh', false, 1], ['rnn', 'sigmoid', true, 1], ['rnn', 'relu', false, 1],
  ['gru', 'tanh', true, 1], ['lstm', 'tanh', false, 1], ['lstm', 'sigmoid', true, 2],
];
for (const [cell, activation, direct, D] of cases) {
  test(`gradient of MSE + L2 matches finite differences: ${cell} ${activation}${direct ? ' + direct' : ''}, ${D} column${D > 1 ? 's' : ''}`, () => {
    const spec: SeriesModelSpec = { cell, inputSize: D, hiddenSize: 4, activation, direct };
    const model = new SeriesModel(spec);
    const series = Float64Array.from({ length: 12 * D }, (_, i) => Math.sin(0.7 * i) + 0.1 * Math.cos(3 * i));
    const objective = new SeriesObjective(model, series, { l2: 0.05, l1: 0 });
    const p = randomParams(model, 3, 0.6);
    const { error, checked } = maxGradientError(objective, p);
    assert.ok(checked > model.size * 0.8, `only ${checked} of ${model.size} gradients checked`);
    assert.ok(error < 1e-5, `max relative error ${error}`);
  });
}

test('the L1 penalty adds l1·sign(w) to the gradient', () => {
  const model = new SeriesModel({ cell: 'rnn', inputSize: 1, hiddenSize: 3, activation: 'tanh', direct: false });
  const series = Float64Array.from({ length: 10 }, (_, i) => Math.sin(i));
  const p = randomParams(model, 9, 0.5);
  const { error } = maxGradientError(new SeriesObjective(model, series, { l2: 0, l1: 0.01 }), p);
  assert.ok(error < 1e-5, `max relative error ${error}`);
});

test('seed-style initial weights: gaussian sd 0.01 input, 0.02 recurrent, zero biases', () => {
  const model = new SeriesModel({ cell: 'rnn', inputSize: 1, hiddenSize: 200, activation: 'tanh', direct: false });
  const p = initSeriesParams(model.spec, 1);
  const sd = (name: string) => {
    const s = model.layout.byName.get(name)!;
    const v = p.subarray(s.offset, s.offset + s.size);
    return Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
  };
  assert.ok(Math.abs(sd('recurrent_kernel') - 0.02) < 0.001, `recurrent sd ${sd('recurrent_kernel')}`);
  assert.ok(Math.abs(sd('kernel') - 0.01) < 0.002, `input sd ${sd('kernel')}`);
  assert.equal(sd('bias'), 0);
});

test('free-running generation equals feeding the outputs back by hand', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const model = new SeriesModel({ cell, inputSize: 1, hiddenSize: 5, activation: 'tanh', direct: true });
    const p = randomParams(model, 4, 0.5);
    const context = mackeyGlass(40, { seed: 3 });
    const generated = freeRun(model, p, context, 6);
    // By hand: predictions over the context extended by each generated value are the next values.
    const extended = Array.from(context);
    extended.push(model.predict(p, Float64Array.from(extended)).at(-1)!);
    for (let k = 1; k < 6; k++) extended.push(model.predict(p, Float64Array.from(extended)).at(-1)!);
    assert.deepEqual(Array.from(generated), extended.slice(40), `${cell}: free run differs from manual feedback`);
    // And the first generated value is the one-step prediction after the context.
    assert.equal(generated[0], model.predict(p, context).at(-1));
  }
});

// ---- quasi-Newton ----

test('BFGS and L-BFGS minimise the Rosenbrock function to a gradient below tolerance', () => {
  const rosenbrock = {
    valueAndGradient(x: Float64Array, g: Float64Array) {
      let f = 0;
      g.fill(0);
      for (let i = 0; i < x.length - 1; i++) {
        const a = x[i + 1] - x[i] * x[i];
        const b = 1 - x[i];
        f += 100 * a * a + b * b;
        g[i] += -400 * x[i] * a - 2 * b;
        g[i + 1] += 200 * a;
      }
      return f;
    },
  };
  for (const method of ['bfgs', 'lbfgs'] as const) {
    for (const x0 of [[-1.2, 1], [-1.2, 1, -1.2, 1, 0.5]]) {
      const r = minimize(rosenbrock, Float64Array.from(x0), { method, gtol: 1e-6 });
      assert.equal(r.status, 'converged', `${method} from ${x0}: ${r.message}`);
      assert.ok(r.gradNorm <= 1e-6, `${method}: gradient ${r.gradNorm}`);
      for (const v of r.x) assert.ok(Math.abs(v - 1) < 1e-4, `${method}: x = ${Array.from(r.x)}`);
      assert.ok(r.iterations < 200 && r.functionEvaluations >= r.iterations, `${method}: ${r.iterations} iterations, ${r.functionEvaluations} evaluations`);
    }
  }
});

test('L-BFGS trains a small RNN on Mackey-Glass to a gradient below tolerance', () => {
  const model = new SeriesModel({ cell: 'rnn', inputSize: 1, hiddenSize: 4, activation: 'tanh', direct: false });
  const series = mackeyGlass(150, { seed: 1 });
  const objective = new SeriesObjective(model, series, { l2: 1e-3, l1: 0 });
  const p0 = initSeriesParams(model.spec, 1, { scheme: 'uniform' });
  const start = objective.value(p0);
  const r = minimize(objective, p0, { method: 'lbfgs', gtol: 1e-5, maxIterations: 3000 });
  assert.equal(r.status, 'converged', r.message);
  assert.ok(r.gradNorm <= 1e-5, `gradient ${r.gradNorm}`);
  assert.ok(r.value < start / 5, `objective ${start} → ${r.value}`);
});

// ---- series files ----

const work = mkdtempSync(join(tmpdir(), 'rnnlab-series-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

test('series files: one number per line, CSV with a header, a chosen column', async () => {
  const plain = await parseSeriesLines(['# comment', '1', ' 2.5', '', '-3e-1', ...Array.from({ length: 20 }, (_, i) => String(i))], 'a.txt');
  assert.equal(plain.columns, 1);
  assert.deepEqual(Array.from(plain.values.slice(0, 3)), [1, 2.5, -0.3]);
  const csv = ['time,temp,load', ...Array.from({ length: 25 }, (_, i) => `${i},${Math.sin(i)},${i % 3}`)];
  const both = await parseSeriesLines(csv, 'b.csv');
  assert.deepEqual(both.columnNames, ['time', 'temp', 'load']);
  const temp = await parseSeriesLines(csv, 'b.csv', { column: 'temp' });
  assert.equal(temp.columns, 1);
  assert.equal(temp.values[1], Math.sin(1));
  assert.equal((await parseSeriesLines(csv, 'b.csv', { column: '3' })).values[2], 2);
});

test('bad series files get a message that names the file and the problem', async () => {
  const many = (n: number, f = (i: number) => String(Math.sin(i))) => Array.from({ length: n }, (_, i) => f(i));
  const bad: Array<[string[], RegExp]> = [
    [[...many(10), 'hello', ...many(20)], /bad\.txt, line 11: "hello" is not a number/],
    [[...many(5), 'NaN', ...many(20)], /line 6: "NaN" is not a finite number/],
    [[...many(5), '-inf', ...many(20)], /line 6: "-inf" is not a finite number/],
    [[...many(5), '1e999', ...many(20)], /too large/],
    [many(5), /has 5 points; the lab needs at least 20/],
    [many(30, () => '3'), /constant \(every value is 3\)/],
    [[], /holds no numbers/],
    [['a,b', '1,2', '3'], /line 3: 1 values where the first line has 2/],
  ];
  for (const [lines, message] of bad) await assert.rejects(parseSeriesLines(lines, 'bad.txt'), message);
  await assert.rejects(parseSeriesLines(['a,b', ...many(30, (i) => `${i},${i}`)], 'c.csv', { column: 'z' }), /no column "z" \(columns: a, b/);
});

test('a ten-million-line file is refused after a bounded read', async () => {
  const path = join(work, 'huge.txt');
  await new Promise<void>((done, fail) => {
    const out = createWriteStream(path);
    out.on('error', fail);
    const chunk = Array.from({ length: 100_000 }, (_, i) => (i % 97) / 97).join('\n') + '\n';
    for (let k = 0; k < 100; k++) out.write(chunk);
    out.end(done);
  });
  const started = Date.now();
  await assert.rejects(readSeriesFile(path), /huge\.txt has more than 100,000 points/);
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
});

// ---- the lab run and the CLI ----

test('a short lab run: GD lowers the MSE, L-BFGS lowers it further, the continuation has the asked length', async () => {
  const values = mackeyGlass(300, { seed: 2 });
  const r = await runSeriesLab({ name: 'mg', values, columns: 1, columnNames: ['x'] },
    { ...defaultSeriesConfig, hiddenSize: 6, epochs: 60, reportEvery: 20, iterations: 40, generate: 30, compare: true });
  const gd = r.reports.filter((x) => x.phase === 'gd');
  assert.deepEqual(gd.map((x) => x.epoch), [0, 20, 40, 60]);
  assert.ok(gd[3].trainMse < gd[0].trainMse, 'gradient descent lowers the training MSE');
  assert.ok(r.quasiNewton && r.quasiNewton.trainMse < r.gd!.trainMse, 'L-BFGS continues from there and lowers it');
  assert.equal(r.trainPoints, 225);
  assert.equal(r.continuation.predicted.length, 30);
  assert.deepEqual(Array.from(r.continuation.truth), Array.from(values.slice(225, 255)));
  assert.ok(r.comparison && r.comparison.iterations > 0, 'the comparison ran L-BFGS from the initial weights');
});

test('--then-l2: the quasi-Newton phase minimises its own L2 weight (0: the plain MSE, which fits the training part closer)', async () => {
  const values = mackeyGlass(300, { seed: 2 });
  const base = { ...defaultSeriesConfig, hiddenSize: 6, epochs: 60, reportEvery: 20, iterations: 200, generate: 0 };
  const run = (thenL2?: number) => runSeriesLab({ name: 'mg', values, columns: 1, columnNames: ['x'] }, { ...base, l2: 1e-2, thenL2 });
  const [regularised, plain] = [await run(), await run(0)];
  assert.equal(plain.gd!.trainMse, regularised.gd!.trainMse, 'gradient descent keeps --l2');
  assert.ok(plain.trainMse < regularised.trainMse, `plain MSE ${plain.trainMse} should fit closer than ${regularised.trainMse}`);
  assert.ok(Math.abs(plain.quasiNewton!.objective - plain.trainMse) < 1e-12, 'with --then-l2 0 the objective is the MSE');
});

const cli = join(__dirname, '../../../dist/cli.js');
function rnnLab(args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'series', ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('rnn-lab series --json: report lines with phase, epoch/iteration, trainMse, valMse; the last line is the result; --plot writes the SVG', () => {
  const plot = join(work, 'out.svg');
  const r = rnnLab(['--mackey-glass', '400', '--hidden', '5', '--epochs', '200', '--iterations', '30', '--generate', '50', '--json', '--plot', plot]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const gd = lines.filter((l) => l.phase === 'gd');
  assert.deepEqual(gd.map((l) => l.epoch), [0, 100, 200]);
  for (const l of lines.slice(0, -1)) {
    assert.ok(['gd', 'lbfgs'].includes(l.phase), `phase ${l.phase}`);
    assert.equal(typeof l.trainMse, 'number');
    assert.equal(typeof l.valMse, 'number');
    assert.equal(typeof (l.phase === 'gd' ? l.epoch : l.iteration), 'number');
  }
  const summary = lines.find((l) => l.summary);
  assert.ok(summary.functionEvaluations >= summary.iterations && summary.gradientEvaluations > 0);
  const final = lines.at(-1);
  assert.equal(final.phase, 'final');
  assert.equal(final.trainMse, summary.trainMse);
  assert.equal(final.continuation.steps, 50);
  const svg = readFileSync(plot, 'utf8');
  for (const part of ['Loss curves', 'Predictions vs data', 'Free-running', 'validation (100 points)']) assert.ok(svg.includes(part), `the SVG shows "${part}"`);
});

test('rnn-lab series: the seed-style text report and clear errors', () => {
  const ok = rnnLab(['--mackey-glass', '300', '--hidden', '4', '--epochs', '100', '--then', 'bfgs', '--iterations', '10']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Epoch 0: train mse: [\d.e-]+ {4}validation mse: [\d.e-]+/);
  assert.match(ok.stdout, /Epoch 100: train mse/);
  assert.match(ok.stdout, /Iterations: \d+\n\s+Function evaluations: \d+\n\s+Gradient evaluations: \d+/);
  const file = join(work, 'text.txt');
  writeFileSync(file, '1\n2\nthree\n');
  const bad: Array<[string[], number, RegExp]> = [
    [[file], 1, /text\.txt, line 3: "three" is not a number/],
    [['--mackey-glass', '10'], 1, /has 10 points; the lab needs at least 20/],
    [['--cell', 'transformer'], 2, /--cell must be one of rnn, gru, lstm/],
    [['--lr', '0'], 2, /--lr must be/],
    [['--optimizer', 'lbfgs', '--then', 'bfgs'], 2, /--then bfgs continues gradient descent/],
    [[file, '--mackey-glass', '100'], 2, /not both/],
  ];
  for (const [args, code, message] of bad) {
    const r = rnnLab(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line on stderr');
  }
});

test("the panel's run request becomes the CLI's flags", async () => {
  const { seriesRequestArgs } = await import('../../src/protocol/series');
  assert.deepEqual(seriesRequestArgs({ mackeyGlass: 500, weightNoise: 0.01, direct: true, generateFrom: 20, then: 'none', init: undefined }),
    ['--mackey-glass', '500', '--weight-noise', '0.01', '--direct', '--generate-from', '20', '--then', 'none']);
  assert.deepEqual(seriesRequestArgs({ file: '/data/a.csv', mackeyGlass: 2000, direct: false, hiddenSize: 8 }), ['/data/a.csv', '--hidden', '8']);
});

test("the CLI accepts every request the panel's form makes", async () => {
  const { defaultSeriesRequest, seriesRequestArgs } = await import('../../src/protocol/series');
  const small = { ...defaultSeriesRequest, mackeyGlass: 200, hiddenSize: 3, epochs: 5, iterations: 3, generate: 5 };
  for (const change of [{}, { optimizer: 'lbfgs' as const }, { optimizer: 'adam' as const, learningRate: 0.01, then: 'bfgs' as const }, { cell: 'gru' as const, direct: true, weightNoise: 0.01, l1: 1e-4, init: 'uniform' as const }]) {
    const r = rnnLab([...seriesRequestArgs({ ...small, ...change }), '--json']);
    assert.equal(r.code, 0, `${JSON.stringify(change)}: ${r.stderr}`);
  }
});

test('rnn-lab series stops early on SIGTERM with what it has, and reports divergence', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [cli, 'series', '--mackey-glass', '300', '--epochs', '10000000', '--json'], { cwd: work });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    if (out === '' && chunk.includes('"epoch"')) child.kill('SIGTERM');
    out += chunk;
  });
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  assert.equal(code, 0, 'a stopped run still ends normally');
  const final = JSON.parse(out.trim().split('\n').at(-1)!);
  assert.equal(final.phase, 'final');
  assert.ok(final.gd.epochs < 10_000_000, `stopped at epoch ${final.gd.epochs}`);

  const csv = join(work, 'big.csv');
  writeFileSync(csv, 'a\n' + Array.from({ length: 200 }, (_, i) => 1000 + 900 * Math.sin(i / 5)).join('\n'));
  const r = rnnLab([csv, '--epochs', '100']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /values reach 1\.90e\+3/);
  assert.match(r.stdout, /Gradient descent diverged .*--standardize/);
  assert.doesNotMatch(r.stdout, /L-BFGS/, 'no quasi-Newton phase after a divergence');
  const scaled = rnnLab([csv, '--epochs', '100', '--standardize', '--iterations', '5']);
  assert.equal(scaled.code, 0, scaled.stderr);
});

test("the series settings are declared once: the tutorial's config, the panel's request and the CLI's flags come from one table", async () => {
  const { seriesRequestArgs, defaultSeriesRequest } = await import('../../src/protocol/series');
  const { seriesSettings, seriesFormKeys } = await import('../../src/engine/series/settings');
  assert.deepEqual(defaultSeriesConfig, {
    valFraction: 0.25, cell: 'rnn', hiddenSize: 15, activation: 'tanh', direct: false, init: 'seed', initScale: 1, l2: 1e-4, l1: 0, weightNoise: 0,
    optimizer: 'gd', learningRate: 0.3, epochs: 1000, then: 'lbfgs', iterations: 1000, gtol: 1e-5, seed: 1, compare: false, reportEvery: 100, generate: 200, generateFrom: 0,
  });
  assert.deepEqual(Object.keys(defaultSeriesRequest), seriesFormKeys);
  assert.deepEqual(seriesFormKeys, ['mackeyGlass', 'cell', 'hiddenSize', 'activation', 'direct', 'init', 'initScale', 'l2', 'l1', 'weightNoise', 'optimizer', 'learningRate', 'epochs', 'then', 'iterations', 'seed', 'generate', 'generateFrom']);
  const flags = Object.values(seriesSettings).map((s) => s.flag);
  assert.equal(new Set(flags).size, flags.length, 'two settings share a flag');
  // Every form setting's flag is one `rnn-lab series --help` lists.
  const help = rnnLab(['--help']);
  for (const key of seriesFormKeys) assert.match(help.stdout, new RegExp(`--${seriesSettings[key].flag}\\b`), key);
  assert.deepEqual(seriesRequestArgs({ learningRate: 0.05, hiddenSize: 4 }), ['--lr', '0.05', '--hidden', '4']);
  assert.throws(() => seriesRequestArgs({ lr: 0.05 } as never), /unknown time-series setting "lr"/);
  // A file replaces the generated series, its length and its delay.
  assert.deepEqual(seriesRequestArgs({ file: 'a.csv', mackeyGlass: 100, tau: 30, seed: 2 }), ['a.csv', '--seed', '2']);
});
