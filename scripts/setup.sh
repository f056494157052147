#!/usr/bin/env bash
# Installs everything Minnow needs to build, test and benchmark on Debian 12 (bookworm), then
# fetches the llama.cpp oracle (scripts/fetch-llama.sh). Safe to rerun.
set -euo pipefail

# Every Debian package Minnow uses, in one place.
DEBIAN_PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git ca-certificates
  # libraries
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libpcre2-dev libhwy-dev
  libedit-dev libcurl4-openssl-dev libssl-dev
  # tools: chat-template reference renderer, sessions, cross-arch tests
  python3 python3-jinja2 tmux qemu-user g++-aarch64-linux-gnu
)
# Only when no npm is on PATH: a Node.js from elsewhere (e.g. /usr/local/bin/node or NodeSource)
# already brings npm, and Debian's npm package would conflict with or shadow it.
NODE_PACKAGES=(nodejs npm)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

as_root=()
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: not root and no sudo; install as root" >&2; exit 1; }
  as_root=(sudo)
fi

packages=("${DEBIAN_PACKAGES[@]}")
if ! command -v npm >/dev/null; then
  packages+=("${NODE_PACKAGES[@]}")
fi

echo "setup: installing ${#packages[@]} Debian packages"
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${packages[@]}"

"${repo_root}/scripts/fetch-llama.sh"
echo "setup: done"
