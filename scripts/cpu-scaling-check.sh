#!/usr/bin/env bash
# The CPU engine against PyTorch CPU at the same thread counts, in one go, writing the results to
# $OUT (default ./cpu-out): in each round, for each config (1-3) and each thread count,
# `rnn-lab bench --json --backend wasm --config N --threads T`, then the PyTorch peer with the same
# model and --threads T; then a summary table with the ratios (range over the rounds) and each
# side's speed-up from the fewest to the most threads (2x256 is the config the scaling goal names).
#
# Runs here as it is (THREADS="1 2" on a 2-core machine). On the device machine (16 cores, no
# Node), prepare on the build machine:
#   npm run build && bash ../shared/device/pack.sh     # .device/: Node, env.sh, the PyTorch peer
# and run it from the project root with these folders carried beside the sources:
#   .device dist node_modules/koffi node_modules/@koromix/koffi-linux-x64
# Options: ROUNDS (default 2), THREADS (default "2 16"), CONFIGS (default "1 2 3").
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -f .device/env.sh ]; then
  # shellcheck disable=SC1091
  source .device/env.sh
fi
OUT="${OUT:-$PWD/cpu-out}"
mkdir -p "$OUT"
ROUNDS="${ROUNDS:-2}"
THREADS="${THREADS:-2 16}"
CONFIGS="${CONFIGS:-1 2 3}"
log() { echo "=== cpu-scaling-check: $*" | tee -a "$OUT/cpu-check.log"; }

# The PyTorch peer: the packed one on the device machine; here, Debian's torch with the OpenMP
# OpenBLAS, as the script's header says.
if [ -f .device/torch_charlstm.py ]; then
  torch_cmd=(python3 .device/torch_charlstm.py)
else
  torch_cmd=(env LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 scripts/torch_charlstm.py)
fi

log "machine"
{ nproc; grep -m1 'model name' /proc/cpuinfo; grep -m1 -o 'avx512f' /proc/cpuinfo || echo "no avx512f"; node --version; } >"$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
cat samples/prose.txt README.md >"$OUT/corpus.txt"

# config -> layers hidden batch (as in src/cli/bench.ts)
shape() {
  case "$1" in
    1) echo "1 128 64" ;; 2) echo "2 256 64" ;; 3) echo "2 512 128" ;;
  esac
}
: >"$OUT/bench-wasm.jsonl"
: >"$OUT/torch.jsonl"
for round in $(seq 1 "$ROUNDS"); do
  for config in $CONFIGS; do
    read -r layers hidden batch <<<"$(shape "$config")"
    for threads in $THREADS; do
      log "round $round, config $config, $threads threads: RNN Lab wasm"
      timeout 300 node dist/cli.js bench --json --backend wasm --config "$config" --threads "$threads" 2>>"$OUT/bench-stderr.txt" |
        sed "s/^{/{\"round\":$round,\"asked\":$threads,/" | tee -a "$OUT/bench-wasm.jsonl"
      log "round $round, config $config, $threads threads: PyTorch CPU"
      timeout 300 "${torch_cmd[@]}" --text "$OUT/corpus.txt" --vocab 64 --threads "$threads" --layers "$layers" \
        --hidden "$hidden" --batch "$batch" 2>>"$OUT/torch-stderr.txt" |
        sed -n "s/^RESULT {/{\"round\":$round,\"config\":$config,\"asked\":$threads,/p" | tee -a "$OUT/torch.jsonl"
    done
  done
done

log "summary"
node - "$OUT" <<'JS' | tee "$OUT/summary.md"
const fs = require('fs');
const out = process.argv[2];
const lines = (f) => fs.readFileSync(`${out}/${f}`, 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return undefined; } }).filter(Boolean);
const ours = lines('bench-wasm.jsonl');
const torch = lines('torch.jsonl');
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const range = (xs) => (xs.length ? `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}x` : '–');
const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '–');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; };
const asked = [...new Set(ours.map((r) => r.asked))].sort((a, b) => a - b);
console.log(`Engine: ${ours.find((r) => r.asked === asked.at(-1))?.description ?? 'no measurement'}\n`);
console.log('| config | threads | RNN Lab, chars/s (each round) | PyTorch, chars/s (each round) | ratio (range) |');
console.log('|---|---|---|---|---|');
for (const config of [...new Set(ours.map((r) => r.config))]) {
  for (const t of asked) {
    const o = ours.filter((r) => r.config === config && r.asked === t);
    const p = torch.filter((r) => r.config === config && r.asked === t);
    const ratios = o.map((r) => { const q = p.find((x) => x.round === r.round); return q ? r.trainCharsPerS / q.trainCharsPerS : NaN; }).filter(Number.isFinite);
    const first = o[0] ?? {};
    console.log(`| ${config}: LSTM ${first.layers}x${first.hidden}, batch ${first.batch} | ${t} (ran ${first.threads}) | ${o.map((r) => fmt(r.trainCharsPerS)).join(' / ')} | ${p.map((r) => fmt(r.trainCharsPerS)).join(' / ') || '–'} | ${range(ratios)} |`);
  }
}
if (asked.length > 1) {
  const [lo, hi] = [asked[0], asked.at(-1)];
  console.log(`\nSpeed-up from ${lo} to ${hi} threads (median of the rounds):`);
  for (const config of [...new Set(ours.map((r) => r.config))]) {
    const side = (rows) => median(rows.filter((r) => r.config === config && r.asked === hi).map((r) => r.trainCharsPerS)) /
      median(rows.filter((r) => r.config === config && r.asked === lo).map((r) => r.trainCharsPerS));
    console.log(`- config ${config}: RNN Lab ${times(side(ours))}, PyTorch ${times(side(torch))}`);
  }
}
const sampling = ours.filter((r) => r.config === 1);
const torchSampling = torch.filter((r) => r.config === 1);
if (sampling.length && torchSampling.length) {
  console.log(`\nBatch-1 sampling, config 1: RNN Lab ${sampling.map((r) => fmt(r.sampleCharsPerS)).join(' / ')}, PyTorch ${torchSampling.map((r) => fmt(r.sampleCharsPerS)).join(' / ')} chars/s`);
}
JS
