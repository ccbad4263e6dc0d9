#!/usr/bin/env bash
# Regenerates the GPU kernels' PTX from their CUDA C source:
#   src/engine/backends/cuda/kernels/kernels.cu  ->  src/engine/backends/cuda/kernels/kernels.ptx
# The PTX is committed, so building, testing and packaging need no CUDA toolkit; run this after
# editing kernels.cu (on a machine with nvcc and ptxas; a unit test fails while the two disagree).
#
# nvcc writes PTX for compute_75 (Turing, the oldest card CUDA 13 still compiles for) with the
# ISA version of its own release (9.0 for CUDA 13, which only drivers from 580 on can JIT). The
# kernels need far less, so the `.version` line is lowered to the oldest ISA that ptxas accepts
# for sm_75, which an old driver can then load. The first line of the output records the SHA-256
# of the source it came from.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/src/engine/backends/cuda/kernels"
src="$dir/kernels.cu"
out="$dir/kernels.ptx"

find_tool() {
  local name="$1" c
  for c in "$(command -v "$name" 2>/dev/null || true)" "/usr/local/cuda/bin/$name" /usr/local/cuda-*/bin/"$name"; do
    if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  echo "build-ptx: $name not found; install the CUDA toolkit (only needed to change the kernels)" >&2
  return 1
}
nvcc="$(find_tool nvcc)"
ptxas="$(find_tool ptxas)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$nvcc" -ptx -arch=compute_75 -O3 -o "$work/raw.ptx" "$src"

# Oldest first: 6.3 is the first ISA that knows sm_75.
chosen=""
for version in 6.3 6.4 6.5 7.0 7.1 7.2 7.3 7.4 7.5 7.6 7.7 7.8 8.0 8.1 8.2 8.3 8.4 8.5 8.6 8.7 8.8 9.0; do
  sed "s/^\.version .*/.version $version/" "$work/raw.ptx" >"$work/try.ptx"
  if "$ptxas" -arch=sm_75 -o /dev/null "$work/try.ptx" 2>/dev/null; then chosen="$version"; break; fi
done
if [ -z "$chosen" ]; then
  echo "build-ptx: ptxas rejects the PTX at every ISA version:" >&2
  "$ptxas" -arch=sm_75 -o /dev/null "$work/raw.ptx" >&2
  exit 1
fi
hash="$(sha256sum "$src" | cut -d' ' -f1)"
{
  echo "// rnn-lab kernels.cu sha256 $hash"
  # The compiler's banner names its build; keep the PTX itself.
  grep -v '^// \(Compiler Build ID\|Cuda compilation tools\|Based on NVVM\)' "$work/try.ptx"
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "build-ptx: wrote ${out#"$root"/} (PTX ISA $chosen, $(wc -c <"$out") bytes)"
