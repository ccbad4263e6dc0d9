#!/usr/bin/env bash
# Compiles the native matrix products (src/engine/backends/wasm/native/products.c: AVX2 + FMA,
# called by the WebAssembly kernels through koffi) into dist/products-linux-x64.so, on Linux
# x86-64 with a C compiler (cc, gcc or clang). Elsewhere, or without a compiler, it says so and
# builds nothing: the WebAssembly kernels then run their own products, which is slower, not wrong.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/src/engine/backends/wasm/native/products.c"
out="$root/dist/products-linux-x64.so"

if [ "$(uname -s)" != Linux ] || [ "$(uname -m)" != x86_64 ]; then
  echo "build-native: note: native products are built on Linux x86-64 only; this is $(uname -s) $(uname -m)" >&2
  exit 0
fi
cc="${CC:-}"
if [ -z "$cc" ]; then
  for c in cc gcc clang clang-{22..14}; do
    if command -v "$c" >/dev/null 2>&1; then cc="$c"; break; fi
  done
fi
if [ -z "$cc" ]; then
  echo "build-native: note: no C compiler, so dist/products-linux-x64.so was not built (apt-get install -y gcc)" >&2
  rm -f "$out"
  exit 0
fi
mkdir -p "$root/dist"
# No -march: the AVX2 code is behind target attributes, so the library loads on any x86-64 CPU
# and rl_products_supported() decides at run time. -ffp-contract=fast makes a * b + c one fused
# multiply-add in the code written once for both widths (width.inc.h), as the intrinsics are.
"$cc" -O3 -std=c11 -ffp-contract=fast -fPIC -shared -Wall -Wextra -Werror -fno-math-errno -o "$out.tmp" "$src"
mv "$out.tmp" "$out"
