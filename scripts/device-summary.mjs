// The summary of scripts/device-check.sh: from the JSON lines of each part in the folder given,
// a table of RNN Lab against PyTorch per config (and per thread count for the CPU), the ratio as
// a range over the rounds, and each side's speed-up from the fewest to the most threads.
import { existsSync, readFileSync } from 'node:fs';

const out = process.argv[2];
const lines = (file) => (existsSync(`${out}/${file}`) ? readFileSync(`${out}/${file}`, 'utf8').split('\n') : [])
  .map((line) => { try { return JSON.parse(line); } catch { return undefined; } })
  .filter(Boolean);
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const range = (xs) => (xs.length ? `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}x` : '–');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const unique = (xs) => [...new Set(xs)].sort((a, b) => a - b);

for (const [part, peer] of [['gpu', 'PyTorch cuDNN'], ['cpu', 'PyTorch CPU']]) {
  const ours = lines(`bench-${part}.jsonl`);
  if (!ours.length) continue;
  const torch = lines(`torch-${part}.jsonl`);
  // The CPU part runs each config at several thread counts (`asked`); the GPU part at one.
  const counts = unique(ours.map((r) => r.asked ?? 0));
  const configs = unique(ours.map((r) => r.config));
  const pick = (rows, config, asked) => rows.filter((r) => r.config === config && (r.asked ?? 0) === asked);
  console.log(`\n${part.toUpperCase()}: ${ours.at(-1).description}\n`);
  console.log(`| config | threads | RNN Lab, chars/s (each round) | ${peer}, chars/s (each round) | ratio (range) |`);
  console.log('|---|---|---|---|---|');
  for (const config of configs) {
    for (const asked of counts) {
      const o = pick(ours, config, asked);
      const p = pick(torch, config, asked);
      const ratios = o.map((r) => r.trainCharsPerS / p.find((q) => q.round === r.round)?.trainCharsPerS).filter(Number.isFinite);
      console.log(`| ${config}: LSTM ${o[0].layers}x${o[0].hidden}, batch ${o[0].batch} | ${o[0].threads || '–'} | ` +
        `${o.map((r) => fmt(r.trainCharsPerS)).join(' / ')} | ${p.map((r) => fmt(r.trainCharsPerS)).join(' / ') || '–'} | ${range(ratios)} |`);
    }
  }
  if (counts.length > 1) {
    const [lo, hi] = [counts[0], counts.at(-1)];
    const speedUp = (rows, config) => {
      const x = median(pick(rows, config, hi).map((r) => r.trainCharsPerS)) / median(pick(rows, config, lo).map((r) => r.trainCharsPerS));
      return Number.isFinite(x) ? `${x.toFixed(2)}x` : '–';
    };
    console.log(`\nSpeed-up from ${lo} to ${hi} threads (median of the rounds):`);
    for (const config of configs) console.log(`- config ${config}: RNN Lab ${speedUp(ours, config)}, PyTorch ${speedUp(torch, config)}`);
  }
  const sampling = ours.filter((r) => r.config === 1);
  const peerSampling = torch.filter((r) => r.config === 1);
  if (sampling.length && peerSampling.length) {
    console.log(`\nBatch-1 sampling, config 1: RNN Lab ${sampling.map((r) => fmt(r.sampleCharsPerS)).join(' / ')}, ` +
      `PyTorch ${peerSampling.map((r) => fmt(r.sampleCharsPerS)).join(' / ')} chars/s`);
  }
}
