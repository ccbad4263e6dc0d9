#!/usr/bin/env bash
# Compiles the WebAssembly kernels (src/engine/backends/wasm/kernels/*.c) into
#   dist/kernels.wasm          wasm32 + SIMD128: runs on every runtime with SIMD and threads;
#   dist/kernels-relaxed.wasm  the same sources with relaxed SIMD (a fused multiply-add in the
#                              matrix products), used where the runtime accepts it (see runtime.ts).
# Shared memory (worker threads run the same module over it), no libc.
# Needs clang and lld with the WebAssembly target; on Debian/Ubuntu:
#   apt-get install -y --no-install-recommends clang-16 lld-16
# clang-14 (whose compiler lacks the relaxed-SIMD builtins) builds only dist/kernels.wasm.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/src/engine/backends/wasm/kernels"
dist="$root/dist"
install_hint="apt-get install -y --no-install-recommends clang-16 lld-16"

# The newest clang first; CLANG=... picks one.
clang="${CLANG:-}"
if [ -z "$clang" ]; then
  for c in clang-{22..14} clang; do
    if command -v "$c" >/dev/null 2>&1; then clang="$c"; break; fi
  done
fi
if [ -z "$clang" ]; then
  echo "build-wasm: clang not found. Install the apt packages clang-16 lld-16:" >&2
  echo "  $install_hint" >&2
  exit 1
fi
version="$("$clang" -dumpversion | cut -d. -f1)"

# clang drives wasm-ld for the wasm32 target; Debian installs it as wasm-ld-<version> only.
ld_dir="$(mktemp -d)"
trap 'rm -rf "$ld_dir"' EXIT
if command -v "wasm-ld-$version" >/dev/null 2>&1; then
  ln -s "$(command -v "wasm-ld-$version")" "$ld_dir/wasm-ld"
  export PATH="$ld_dir:$PATH"
elif ! command -v wasm-ld >/dev/null 2>&1; then
  echo "build-wasm: wasm-ld not found. Install the apt packages lld-$version (or clang-16 lld-16):" >&2
  echo "  $install_hint" >&2
  exit 1
fi

# Does this clang know f32x4.relaxed_madd (clang 16 and later)?
relaxed_ok() {
  echo 'typedef float f4 __attribute__((vector_size(16)));
        f4 f(f4 a, f4 b, f4 c) { return __builtin_wasm_relaxed_madd_f32x4(a, b, c); }' |
    "$clang" --target=wasm32 -msimd128 -mrelaxed-simd -x c -c -o /dev/null - 2>/dev/null
}

# -ffast-math lets clang reassociate the SIMD sums; -matomics + --shared-memory make the memory
# shareable with worker threads; the stack pointer is exported so each worker gets its own stack.
# update.c (the optimizers) must compute exactly as JavaScript does, so it is compiled on its own,
# without -ffast-math; link-time optimisation keeps each function's own floating-point rules.
build() { # build <output> <extra clang flags...>
  local out="$1"
  shift
  local flags=(--target=wasm32 -msimd128 "$@" -matomics -mbulk-memory -mmutable-globals -O3 -flto -nostdlib -Wall -Wextra -Werror)
  "$clang" "${flags[@]}" -fno-math-errno -c -o "$out.update.o" "$src/update.c"
  local fast=()
  for f in "$src"/*.c; do [ "$f" = "$src/update.c" ] || fast+=("$f"); done
  "$clang" "${flags[@]}" -ffast-math \
    -Wl,--no-entry -Wl,--export-all -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=2147483648 \
    -Wl,--export=__heap_base -Wl,--export=__stack_pointer -Wl,--lto-O3 \
    -o "$out.tmp" "${fast[@]}" "$out.update.o"
  rm -f "$out.update.o"
  mv "$out.tmp" "$out"
}

mkdir -p "$dist"
build "$dist/kernels.wasm"
if relaxed_ok; then
  build "$dist/kernels-relaxed.wasm" -mrelaxed-simd
else
  rm -f "$dist/kernels-relaxed.wasm"
  echo "build-wasm: note: $clang ($version) has no relaxed SIMD, so only dist/kernels.wasm was built" >&2
  echo "  (without the fused multiply-add variant; for it: $install_hint)" >&2
fi
