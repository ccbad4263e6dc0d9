#!/usr/bin/env node
// Reproduces the time-series tutorial's table over several seeds: runs
//   rnn-lab series --mackey-glass 2000 --seed S --json [extra flags]
// for S = 1..N (each seed draws its own Mackey-Glass history and initial weights) and prints a
// Markdown table of the mean, standard deviation and range of each number.
// Usage: node scripts/series-table.mjs [N=10] [extra rnn-lab series flags...]   (after npm run build)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const [countArg, ...extra] = process.argv.slice(2);
const count = Number(countArg ?? 10);
const runs = [];
for (let seed = 1; seed <= count; seed++) {
  const r = spawnSync(process.execPath, [cli, 'series', '--mackey-glass', '2000', '--seed', String(seed), '--json', ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`seed ${seed}: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const final = lines.at(-1);
  const gd = final.gd;
  const qn = final.lbfgs ?? final.bfgs;
  runs.push({ gdObjective: gd.objective, gdTrain: gd.trainMse, gdVal: gd.valMse, qnTrain: qn.trainMse, qnVal: qn.valMse, iterations: qn.iterations, evaluations: qn.functionEvaluations, seconds: gd.seconds + qn.seconds, method: qn.method });
  process.stderr.write(`seed ${seed}: GD train ${gd.trainMse.toExponential(2)} val ${gd.valMse.toExponential(2)}; ${qn.method} train ${qn.trainMse.toExponential(2)} val ${qn.valMse.toExponential(2)} after ${qn.iterations} iterations (${qn.message})\n`);
}
const stats = (key) => {
  const v = runs.map((r) => r[key]);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1));
  const fmt = (x) => (Number.isInteger(x) ? String(x) : x.toExponential(2));
  const f = Number.isInteger(v[0]) ? (x) => x.toFixed(1) : (x) => x.toExponential(2);
  return `${f(mean)} ± ${f(sd)} (${fmt(Math.min(...v))}–${fmt(Math.max(...v))})`;
};
const method = runs[0].method === 'bfgs' ? 'BFGS' : 'L-BFGS';
console.log(`| | tutorial (float32 Theano, one run) | RNN Lab (float64, ${count} seeds: mean ± sd (min–max)) |`);
console.log('| --- | --- | --- |');
console.log(`| GD epoch 1000: printed "train mse" (MSE + L2 penalty) | 1.07e-3 | ${stats('gdObjective')} |`);
console.log(`| GD epoch 1000: train MSE | – | ${stats('gdTrain')} |`);
console.log(`| GD epoch 1000: validation MSE | 8.3e-4 | ${stats('gdVal')} |`);
console.log(`| ${method} from there: train MSE | 3.98e-5 (BFGS) | ${stats('qnTrain')} |`);
console.log(`| ${method} from there: validation MSE | 4.07e-5 (BFGS) | ${stats('qnVal')} |`);
console.log(`| ${method} iterations | 16 | ${stats('iterations')} |`);
console.log(`| ${method} function evaluations | 135 | ${stats('evaluations')} |`);
console.log(`| seconds (GD + ${method}, one core) | – | ${stats('seconds')} |`);
