#!/usr/bin/env bash
# Compiles the WebAssembly kernels (src/engine/backends/wasm/kernels/*.c) into dist/kernels.wasm:
# wasm32 + SIMD128, shared memory (worker threads run the same module over it), no libc.
# Needs clang and lld with the WebAssembly target; on Debian/Ubuntu:
#   apt-get install -y --no-install-recommends clang-14 lld-14
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/src/engine/backends/wasm/kernels"
out="$root/dist/kernels.wasm"

clang="${CLANG:-}"
if [ -z "$clang" ]; then
  for c in clang-14 clang; do
    if command -v "$c" >/dev/null 2>&1; then clang="$c"; break; fi
  done
fi
if [ -z "$clang" ]; then
  echo "build-wasm: clang not found. Install the apt packages clang-14 lld-14:" >&2
  echo "  apt-get install -y --no-install-recommends clang-14 lld-14" >&2
  exit 1
fi
# clang drives wasm-ld for the wasm32 target; Debian installs it as wasm-ld-14 only.
ld_dir="$(mktemp -d)"
trap 'rm -rf "$ld_dir"' EXIT
if ! command -v wasm-ld >/dev/null 2>&1; then
  if command -v wasm-ld-14 >/dev/null 2>&1; then
    ln -s "$(command -v wasm-ld-14)" "$ld_dir/wasm-ld"
    export PATH="$ld_dir:$PATH"
  else
    echo "build-wasm: wasm-ld not found. Install the apt packages clang-14 lld-14:" >&2
    echo "  apt-get install -y --no-install-recommends clang-14 lld-14" >&2
    exit 1
  fi
fi

mkdir -p "$root/dist"
# -ffast-math lets clang reassociate the SIMD sums; -matomics + --shared-memory make the memory
# shareable with worker threads; the stack pointer is exported so each worker gets its own stack.
"$clang" --target=wasm32 -msimd128 -matomics -mbulk-memory -mmutable-globals -O3 -ffast-math -flto \
  -nostdlib -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--export-all -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=2147483648 \
  -Wl,--export=__heap_base -Wl,--export=__stack_pointer -Wl,--lto-O3 \
  -o "$out.tmp" "$src"/*.c
mv "$out.tmp" "$out"
