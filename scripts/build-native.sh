#!/usr/bin/env bash
# Compiles the native matrix products (called by the WebAssembly kernels through koffi; see
# src/engine/backends/wasm/native.ts) into dist/, each where its compiler is installed:
#   products-linux-x64.so    native/products.c (AVX2 + FMA, AVX-512), on Linux x86-64 with cc,
#                            gcc or clang ($CC);
#   products-win32-x64.dll   the same products.c, with x86_64-w64-mingw32-gcc (Debian's
#                            gcc-mingw-w64-x86-64);
#   products-linux-arm64.so  native/products-neon.c (NEON), with aarch64-linux-gnu-gcc (Debian's
#                            gcc-aarch64-linux-gnu), or cc on Linux ARM64.
# A library whose compiler is missing is not built, with a note: the WebAssembly kernels then run
# their own products on that platform, which is slower, not wrong. macOS needs no library (it
# uses Accelerate). `scripts/setup.sh --platforms` installs the cross compilers.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
native="$root/src/engine/backends/wasm/native"
mkdir -p "$root/dist"

# -ffp-contract=fast makes a * b + c one fused multiply-add in the code written once for every
# width (width.inc.h), as the intrinsics are. -fno-math-errno: no libm calls for errno's sake.
flags=(-O3 -std=c11 -ffp-contract=fast -shared -Wall -Wextra -Werror -fno-math-errno)

# build <compiler> <source> <library> [flags...]: compiles into dist/<library> (through a
# temporary file, so a failed build leaves no stale library behind).
build() {
  local cc="$1" src="$2" out="$root/dist/$3"
  shift 3
  "$cc" "${flags[@]}" "$@" -o "$out.tmp" "$native/$src"
  mv "$out.tmp" "$out"
}

# note <library> <what is missing>
note() {
  echo "build-native: note: dist/$1 was not built: $2" >&2
  rm -f "$root/dist/$1"
}

host_cc() {
  if [ -n "${CC:-}" ]; then echo "$CC"; return; fi
  for c in cc gcc clang clang-{22..14}; do
    if command -v "$c" >/dev/null 2>&1; then echo "$c"; return; fi
  done
}

os="$(uname -s)" machine="$(uname -m)"
cc="$(host_cc)"

# Linux x86-64. No -march: the AVX2 and AVX-512 code is behind target attributes, so the library
# loads on any x86-64 CPU and rl_products_supported() decides at run time.
if [ "$os" = Linux ] && [ "$machine" = x86_64 ]; then
  if [ -n "$cc" ]; then build "$cc" products.c products-linux-x64.so -fPIC
  else note products-linux-x64.so "no C compiler (apt-get install -y gcc)"; fi
fi

# Windows x86-64: the same source. GCC for Windows keeps the stack 16-byte aligned only, yet may
# spill AVX registers with aligned 32-byte moves, which fault on a misaligned stack;
# -muse-unaligned-vector-move has the assembler write every such move unaligned (as fast on
# aligned data).
if command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  build x86_64-w64-mingw32-gcc products.c products-win32-x64.dll -Wa,-muse-unaligned-vector-move -static-libgcc
else
  note products-win32-x64.dll "x86_64-w64-mingw32-gcc is not installed (apt-get install -y gcc-mingw-w64-x86-64)"
fi

# Linux ARM64.
if [ "$os" = Linux ] && [ "$machine" = aarch64 ] && [ -n "$cc" ]; then
  build "$cc" products-neon.c products-linux-arm64.so -fPIC
elif command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
  build aarch64-linux-gnu-gcc products-neon.c products-linux-arm64.so -fPIC
else
  note products-linux-arm64.so "aarch64-linux-gnu-gcc is not installed (apt-get install -y gcc-aarch64-linux-gnu)"
fi
