#!/usr/bin/env bash
# Everything to measure on the device machine (an NVIDIA GPU and 16 cores), in one go, writing the
# results to $OUT (default ./device-out). PARTS picks what runs (default "gpu cpu"):
#   gpu  nvidia-smi; the GPU tests (what `npm run test:gpu` runs, which fail without a usable GPU);
#        `rnn-lab bench --json --backend cuda` and the PyTorch cuDNN peer on the same configs,
#        back to back in rounds;
#   cpu  `rnn-lab bench --json --backend wasm --threads T` and the PyTorch CPU peer with --threads T,
#        for each thread count of THREADS, back to back in rounds.
# Then a summary table per part with the speed ratios (range over the rounds) and, for the CPU,
# each side's speed-up from the fewest to the most threads. Each part runs even when an earlier
# one failed; the exit status is the GPU tests' (0 without the gpu part).
#
# The cpu part also runs here: PARTS=cpu THREADS="1 2" bash scripts/device-check.sh
# For the device machine (which may have no Node, npm or network), prepare on the build machine:
#   npm run build && bash ../shared/device/pack.sh     # .device/: Node, env.sh, the PyTorch peer
# and run it there from the project root with these folders beside the sources:
#   .device dist out/test/gpu node_modules/koffi node_modules/@koromix/koffi-linux-x64
# Options: ROUNDS (default 2), SKIP_TORCH=1, GPU_CONFIGS (default "1 2 4 5"),
# CPU_CONFIGS (default "1 2 3"), THREADS (default "2 16").
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -f .device/env.sh ]; then
  # shellcheck disable=SC1091
  source .device/env.sh
fi
OUT="${OUT:-$PWD/device-out}"
mkdir -p "$OUT"
PARTS="${PARTS:-gpu cpu}"
ROUNDS="${ROUNDS:-2}"
GPU_CONFIGS="${GPU_CONFIGS:-1 2 4 5}"
CPU_CONFIGS="${CPU_CONFIGS:-1 2 3}"
THREADS="${THREADS:-2 16}"
log() { echo "=== device-check: $*" | tee -a "$OUT/device-check.log"; }
has_part() { [[ " $PARTS " == *" $1 "* ]]; }

# The PyTorch peer: the packed one on the device machine; elsewhere, Debian's torch with the OpenMP
# OpenBLAS, as the script's header says.
if [ -f .device/torch_charlstm.py ]; then
  torch_cmd=(python3 .device/torch_charlstm.py)
else
  torch_cmd=(env LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 scripts/torch_charlstm.py)
fi

# config -> layers hidden batch (as in src/cli/bench.ts)
shape() {
  case "$1" in
    1) echo "1 128 64" ;; 2) echo "2 256 64" ;; 3) echo "2 512 128" ;; 4) echo "2 512 256" ;; 5) echo "3 1024 256" ;;
  esac
}

# One measurement pair, each side's JSON line tagged with the round, the config and `tag`:
#   pair <round> <config> <part> <tag> <what> <bench flags...> -- <peer flags...>
pair() {
  local round="$1" config="$2" part="$3" tag="$4" what="$5"
  shift 5
  local bench=() layers hidden batch
  while [ "$1" != -- ]; do bench+=("$1"); shift; done
  shift
  read -r layers hidden batch <<<"$(shape "$config")"
  local prefix="{\"round\":$round,\"config\":$config,$tag"
  log "round $round, config $config, $what: RNN Lab"
  timeout 300 node dist/cli.js bench --json --config "$config" "${bench[@]}" 2>>"$OUT/bench-stderr.txt" |
    sed "s/^{\"/$prefix\"/" | tee -a "$OUT/bench-$part.jsonl"
  if [ "${SKIP_TORCH:-0}" != 1 ]; then
    log "round $round, config $config, $what: PyTorch"
    timeout 300 "${torch_cmd[@]}" --layers "$layers" --hidden "$hidden" --batch "$batch" --vocab 64 --seq 100 "$@" \
      2>>"$OUT/torch-stderr.txt" | sed -n "s/^RESULT {/$prefix/p" | tee -a "$OUT/torch-$part.jsonl"
  fi
}

log "machine"
{ nproc; grep -m1 'model name' /proc/cpuinfo; grep -m1 -o 'avx512f' /proc/cpuinfo || echo "no avx512f"; node --version; uname -a
  if has_part gpu; then nvidia-smi || echo "nvidia-smi failed"; fi; } >"$OUT/machine.txt" 2>&1
head -30 "$OUT/machine.txt"

tests_status=0
if has_part gpu; then
  log "GPU tests (test/gpu)"
  timeout 420 node --test --test-reporter=spec out/test/gpu/gpu.test.js >"$OUT/test-gpu.txt" 2>&1
  tests_status=$?
  grep -E '^# GPU|^ℹ (tests|pass|fail|skipped)|✖' "$OUT/test-gpu.txt" | head -40
  log "GPU tests exit status $tests_status"
  : >"$OUT/bench-gpu.jsonl"
  : >"$OUT/torch-gpu.jsonl"
  for round in $(seq 1 "$ROUNDS"); do
    for config in $GPU_CONFIGS; do
      pair "$round" "$config" gpu '' cuda --backend cuda -- --device cuda --text samples/prose.txt --steps 20
    done
  done
fi

if has_part cpu; then
  cat samples/prose.txt README.md >"$OUT/corpus.txt"
  : >"$OUT/bench-cpu.jsonl"
  : >"$OUT/torch-cpu.jsonl"
  for round in $(seq 1 "$ROUNDS"); do
    for config in $CPU_CONFIGS; do
      for threads in $THREADS; do
        pair "$round" "$config" cpu "\"asked\":$threads," "$threads threads" --backend wasm --threads "$threads" -- \
          --threads "$threads" --text "$OUT/corpus.txt"
      done
    done
  done
fi

log "summary"
node scripts/device-summary.mjs "$OUT" | tee "$OUT/summary.md"
exit "$tests_status"
