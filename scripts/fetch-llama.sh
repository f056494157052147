#!/usr/bin/env bash
# Fetches llama.cpp (Minnow's test oracle and benchmark peer) from npm into .deps/llama:
#   bins-pkg/        the prebuilt Linux x64 libraries (@node-llama-cpp/linux-x64)
#   package/llama/   llama.cpp's source as a git bundle (from node-llama-cpp)
#   src/             a checkout of that bundle (headers: include/, ggml/include/)
# `npm pack` only downloads tarballs; it never runs node-llama-cpp's install scripts (which would
# try to download and build things). Idempotent: a marker file records a complete fetch.
#
# Usage: scripts/fetch-llama.sh [DEST]   (default DEST: <repo>/.deps/llama)
set -euo pipefail

NODE_LLAMA_CPP_VERSION=3.22.1
BINS_PACKAGE="@node-llama-cpp/linux-x64@${NODE_LLAMA_CPP_VERSION}"
SOURCE_PACKAGE="node-llama-cpp@${NODE_LLAMA_CPP_VERSION}"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-${repo_root}/.deps/llama}"
marker="${dest}/.fetched-${NODE_LLAMA_CPP_VERSION}"

die() { echo "fetch-llama: $*" >&2; exit 1; }

is_complete() {
  [[ -f "${marker}" ]] &&
    [[ -f "${dest}/bins-pkg/bins/linux-x64/libllama.v0.5.0.so" ]] &&
    [[ -f "${dest}/src/include/llama.h" ]] &&
    [[ -f "${dest}/src/ggml/include/ggml.h" ]]
}

if is_complete; then
  echo "fetch-llama: ${dest} already complete (node-llama-cpp ${NODE_LLAMA_CPP_VERSION})"
  exit 0
fi

command -v npm >/dev/null || die "npm not found (run scripts/setup.sh, or install Node.js >= 18)"
command -v git >/dev/null || die "git not found (run scripts/setup.sh)"
command -v tar >/dev/null || die "tar not found"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

echo "fetch-llama: downloading ${BINS_PACKAGE} and ${SOURCE_PACKAGE} from npm"
if ! (cd "${work}" && npm pack --silent "${BINS_PACKAGE}" "${SOURCE_PACKAGE}" >"${work}/pack.log" 2>&1); then
  cat "${work}/pack.log" >&2
  die "npm pack failed: is the npm registry reachable? (npm config get registry: $(npm config get registry 2>/dev/null || echo '?'))"
fi

bins_tgz="${work}/node-llama-cpp-linux-x64-${NODE_LLAMA_CPP_VERSION}.tgz"
src_tgz="${work}/node-llama-cpp-${NODE_LLAMA_CPP_VERSION}.tgz"
[[ -f "${bins_tgz}" ]] || die "npm pack did not produce $(basename "${bins_tgz}")"
[[ -f "${src_tgz}" ]] || die "npm pack did not produce $(basename "${src_tgz}")"

# A previous partial run may have left pieces; start clean (nothing here is hand-edited).
rm -rf "${dest}/bins-pkg" "${dest}/package" "${dest}/src" "${dest}"/.fetched-*
mkdir -p "${dest}/bins-pkg"

echo "fetch-llama: extracting prebuilt libraries"
tar -xzf "${bins_tgz}" -C "${dest}/bins-pkg" --strip-components=1 package
[[ -f "${dest}/bins-pkg/bins/linux-x64/libllama.v0.5.0.so" ]] ||
  die "${BINS_PACKAGE} has no bins/linux-x64/libllama.v0.5.0.so (unexpected package layout)"

echo "fetch-llama: extracting the llama.cpp source bundle"
tar -xzf "${src_tgz}" -C "${dest}" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json ||
  die "${SOURCE_PACKAGE} has no llama/gitRelease.bundle (unexpected package layout)"

echo "fetch-llama: checking out the source"
git -c advice.detachedHead=false clone --quiet "${dest}/package/llama/gitRelease.bundle" "${dest}/src" ||
  die "git clone of the source bundle failed"
[[ -f "${dest}/src/include/llama.h" && -f "${dest}/src/ggml/include/ggml.h" ]] ||
  die "source bundle lacks include/llama.h or ggml/include/ggml.h"

touch "${marker}"
echo "fetch-llama: done (${dest})"
