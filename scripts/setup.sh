#!/usr/bin/env bash
# Prepares a fresh Debian machine to build and test RNN Lab. Safe to run again: each step is
# skipped when its result is already there.
#   1. Debian packages: chromium (the browser the VS Code tests drive, and SwiftShader, the CPU
#      Vulkan driver the WebGPU unit tests run on), libvulkan1 (the Vulkan loader Dawn opens),
#      ripgrep (seeds code-server's ripgrep download), libkrb5-dev (code-server's kerberos module),
#      clang-16 and lld-16 (the WebAssembly kernels), g++ (the native matrix products, and the unit
#      tests' CPU stand-in for the NVIDIA driver), libopenblas0-openmp (OpenBLAS: the unit tests run
#      the macOS products' CBLAS binding against it, with --no-vscode too; PyTorch runs on it).
#      No CUDA toolkit: the GPU kernels' PTX is committed (scripts/build-ptx.sh regenerates it
#      where nvcc is installed), and the driver compiles it on the user's machine. Where ptxas is
#      installed, a unit test assembles the PTX for every supported GPU architecture.
#   2. npm dependencies (npm ci).
#   3. code-server, a real VS Code (workbench + Node extension host) that runs without a desktop,
#      cached in .vscode-test/code-server/ (git-ignored).
#   PyTorch (python3-torch, on libopenblas0-openmp, which runs it at full speed): the tests of the
#      PyTorch round trip (export --pytorch, its train.py under torchrun, the folder read back).
# --no-vscode skips what only the tests need (code-server, ripgrep, libkrb5-dev, PyTorch): enough
# to build, run the CLI and the unit tests but the PyTorch round trip's.
# --platforms also installs what builds and tests the other platforms' native products (npm run
# build, npm run test:platforms): gcc-mingw-w64-x86-64 and wine64 (Windows x64),
# gcc-aarch64-linux-gnu and qemu-user-static (Linux ARM64).
set -euo pipefail

WITH_VSCODE=1
WITH_PLATFORMS=0
for arg in "$@"; do
  case "$arg" in
    --no-vscode) WITH_VSCODE=0 ;;
    --platforms) WITH_PLATFORMS=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "setup.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CODE_SERVER_VERSION=4.100.3
CODE_SERVER_DIR="$ROOT/.vscode-test/code-server"
CODE_SERVER_BIN="$CODE_SERVER_DIR/node_modules/.bin/code-server"
APT_PACKAGES=(clang-16 lld-16 g++ libopenblas0-openmp chromium libvulkan1)
if ((WITH_VSCODE)); then APT_PACKAGES=(ripgrep libkrb5-dev python3-torch "${APT_PACKAGES[@]}"); fi
if ((WITH_PLATFORMS)); then APT_PACKAGES+=(gcc-mingw-w64-x86-64 wine64 gcc-aarch64-linux-gnu qemu-user-static); fi

cd "$ROOT"
SETUP_START=$EPOCHREALTIME
phase_start=$EPOCHREALTIME

elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
phase() { phase_start=$EPOCHREALTIME; echo "==> setup: $*"; }
phase_done() { echo "    done in $(elapsed_since "$phase_start") s"; }

# code-server and npm write into ~/.config, ~/.local/share and /tmp; keep all of that in one
# throwaway folder so a run leaves the user's home untouched.
isolate_home_dirs() {
  local scratch="$1"
  mkdir -p "$scratch/config" "$scratch/data" "$scratch/tmp"
  export XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data" TMPDIR="$scratch/tmp"
}

# Prints code-server's version line, or fails when it is missing or does not start.
code_server_version() {
  [[ -x "$CODE_SERVER_BIN" ]] || return 1
  local scratch out
  scratch="$(mktemp -d)"
  # --version writes a default config file: point it at the scratch folder.
  out="$(XDG_CONFIG_HOME="$scratch" XDG_DATA_HOME="$scratch" "$CODE_SERVER_BIN" --version 2>/dev/null)" || { rm -rf "$scratch"; return 1; }
  rm -rf "$scratch"
  echo "$out" | grep "^$CODE_SERVER_VERSION "
}

install_apt_packages() {
  phase "Debian packages (${APT_PACKAGES[*]})"
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    echo "    all installed"
  elif [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "    missing: ${missing[*]}"
    echo "    not root, so not installing them; run: sudo apt-get install ${missing[*]}"
  fi
  phase_done
}

install_npm_dependencies() {
  phase "npm dependencies"
  # A stamp of the manifest and lockfile that were last installed, so a second run skips npm ci
  # (which would delete and rewrite node_modules every time).
  local stamp="node_modules/.rnn-lab-installed"
  local wanted
  wanted="$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    echo "    up to date"
  elif [[ -d node_modules ]] && npm ls --depth=0 >/dev/null 2>&1; then
    echo "    node_modules already satisfies package.json"
    echo "$wanted" >"$stamp"
  else
    if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
    echo "$wanted" >"$stamp"
  fi
  phase_done
}

# @vscode/ripgrep's postinstall downloads rg from GitHub, which may be unreachable. It first
# looks for the release tarball in $TMPDIR/vscode-ripgrep-cache-<package version>/, so put
# Debian's rg there under the name it expects.
seed_ripgrep_cache() {
  local shrinkwrap="$CODE_SERVER_DIR/node_modules/code-server/lib/vscode/npm-shrinkwrap.json"
  local rg_version rg_tag rg_bin work
  rg_version="$(node -e 'const s = require(process.argv[1]); console.log(s.packages["node_modules/@vscode/ripgrep"].version)' "$shrinkwrap")"
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent "@vscode/ripgrep@$rg_version" >/dev/null && tar xzf ./*.tgz)
  rg_tag="$(sed -n "s/^const VERSION = '\(.*\)';.*/\1/p" "$work/package/lib/postinstall.js")"
  rg_bin="$(command -v rg)" || { echo "rg not found: install the Debian package ripgrep" >&2; exit 1; }
  mkdir -p "$work/rg" "$TMPDIR/vscode-ripgrep-cache-$rg_version"
  cp "$rg_bin" "$work/rg/rg"
  tar czf "$TMPDIR/vscode-ripgrep-cache-$rg_version/ripgrep-$rg_tag-x86_64-unknown-linux-musl.tar.gz" -C "$work/rg" rg
  rm -rf "$work"
  echo "    seeded @vscode/ripgrep $rg_version ($rg_tag) with $rg_bin"
}

install_code_server() {
  phase "code-server $CODE_SERVER_VERSION in ${CODE_SERVER_DIR#"$ROOT"/}"
  local version
  if version="$(code_server_version)"; then
    echo "    already installed: $version"
    phase_done
    return
  fi
  local scratch
  scratch="$(mktemp -d)"
  (
    isolate_home_dirs "$scratch"
    rm -rf "$CODE_SERVER_DIR"
    mkdir -p "$CODE_SERVER_DIR"
    cd "$CODE_SERVER_DIR"
    echo '{ "private": true, "description": "code-server for the RNN Lab integration tests" }' >package.json
    # Two steps, because the ripgrep version to seed is only known once code-server is unpacked:
    # fetch without running install scripts, seed, then run them all (native modules and
    # code-server's postinstall, which installs VS Code's own dependencies).
    npm install --ignore-scripts --no-audit --no-fund --no-package-lock "code-server@$CODE_SERVER_VERSION"
    seed_ripgrep_cache
    # As root, code-server's postinstall insists on unsafe-perm; node-pty's postinstall runs
    # `npx node-gyp`, which must not stop to ask.
    npm_config_unsafe_perm=true npm_config_yes=true npm rebuild --no-audit --no-fund
  )
  rm -rf "$scratch"
  version="$(code_server_version)" || { echo "code-server was installed but does not start" >&2; exit 1; }
  echo "    installed: $version"
  phase_done
}

install_apt_packages
install_npm_dependencies
if ((WITH_VSCODE)); then install_code_server; fi
echo "==> setup: finished in $(elapsed_since "$SETUP_START") s"
