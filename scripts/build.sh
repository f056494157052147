#!/usr/bin/env bash
# Configures and builds Minnow. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Default BUILD_DIR: build (Release, warnings as errors). The CLI ends up as BUILD_DIR/minnow.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-${repo_root}/build}"
shift || true
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "${repo_root}" -B "${build_dir}" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DMINNOW_WERROR=ON "$@"
cmake --build "${build_dir}" -j "$(nproc)"
