#!/usr/bin/env bash
# Everything the GPU backend needs checked on a machine with an NVIDIA GPU, in one go, writing
# the results to $OUT (default ./device-out):
#   1. nvidia-smi, the driver and the GPU;
#   2. the GPU tests (what `npm run test:gpu` runs), which fail without a usable GPU;
#   3. `rnn-lab bench --json --backend cuda` and the PyTorch cuDNN peer on the same configs,
#      back to back in rounds, and a summary table with the speed ratios (range over the rounds).
# Each part runs even when an earlier one failed; the exit status is the tests' status.
#
# Prepare on the build machine (the GPU machine may have no Node, npm or network):
#   npm run build && bash ../shared/device/pack.sh     # .device/: Node, env.sh, the PyTorch peer
# and run it there from the project root with these folders beside the sources:
#   .device dist out/test/gpu node_modules/koffi node_modules/@koromix/koffi-linux-x64
# Options: ROUNDS (default 2), SKIP_TORCH=1, CONFIGS (default "1 2 4 5").
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -f .device/env.sh ]; then
  # shellcheck disable=SC1091
  source .device/env.sh
fi
OUT="${OUT:-$PWD/device-out}"
mkdir -p "$OUT"
ROUNDS="${ROUNDS:-2}"
CONFIGS="${CONFIGS:-1 2 4 5}"
log() { echo "=== device-check: $*" | tee -a "$OUT/device-check.log"; }

log "machine"
{ nvidia-smi || echo "nvidia-smi failed"; node --version; uname -a; } >"$OUT/machine.txt" 2>&1
head -20 "$OUT/machine.txt"

log "GPU tests (test/gpu)"
timeout 420 node --test --test-reporter=spec out/test/gpu/gpu.test.js >"$OUT/test-gpu.txt" 2>&1
tests_status=$?
grep -E '^# GPU|^ℹ (tests|pass|fail|skipped)|✖' "$OUT/test-gpu.txt" | head -40
log "GPU tests exit status $tests_status"

# config -> layers hidden batch (as in src/cli/bench.ts)
shape() {
  case "$1" in
    1) echo "1 128 64" ;; 2) echo "2 256 64" ;; 3) echo "2 512 128" ;; 4) echo "2 512 256" ;; 5) echo "3 1024 256" ;;
  esac
}
: >"$OUT/bench-cuda.jsonl"
: >"$OUT/torch.jsonl"
for round in $(seq 1 "$ROUNDS"); do
  for config in $CONFIGS; do
    read -r layers hidden batch <<<"$(shape "$config")"
    log "round $round, config $config: RNN Lab cuda"
    timeout 240 node dist/cli.js bench --json --backend cuda --config "$config" 2>>"$OUT/bench-stderr.txt" |
      sed "s/^{/{\"round\":$round,/" | tee -a "$OUT/bench-cuda.jsonl"
    if [ "${SKIP_TORCH:-0}" != 1 ]; then
      log "round $round, config $config: PyTorch cuDNN"
      timeout 240 python3 .device/torch_charlstm.py --device cuda --text samples/prose.txt --layers "$layers" \
        --hidden "$hidden" --batch "$batch" --vocab 64 --seq 100 --steps 20 2>>"$OUT/torch-stderr.txt" |
        sed -n "s/^RESULT {/{\"round\":$round,\"config\":$config,/p" | tee -a "$OUT/torch.jsonl"
    fi
  done
done

log "summary"
node - "$OUT" <<'JS' | tee "$OUT/summary.md"
const fs = require('fs');
const out = process.argv[2];
const lines = (f) => fs.readFileSync(`${out}/${f}`, 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return undefined; } }).filter(Boolean);
const ours = lines('bench-cuda.jsonl');
const torch = lines('torch.jsonl');
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const rows = [];
for (const config of [...new Set(ours.map((r) => r.config))]) {
  const o = ours.filter((r) => r.config === config);
  const t = torch.filter((r) => r.config === config);
  const ratios = o.map((r) => { const p = t.find((x) => x.round === r.round); return p ? r.trainCharsPerS / p.trainCharsPerS : NaN; }).filter(Number.isFinite);
  const first = o[0];
  rows.push(`| LSTM ${first.layers}x${first.hidden}, batch ${first.batch} | ${o.map((r) => fmt(r.trainCharsPerS)).join(' / ')} | ${t.map((r) => fmt(r.trainCharsPerS)).join(' / ') || '–'} | ${ratios.length ? `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}x` : '–'} |`);
}
console.log(`GPU: ${ours[0]?.description ?? 'no measurement'}\n`);
console.log('| config | RNN Lab cuda, chars/s (each round) | PyTorch cuDNN, chars/s (each round) | ratio (range) |');
console.log('|---|---|---|---|');
console.log(rows.join('\n'));
JS
exit "$tests_status"
