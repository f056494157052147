#!/usr/bin/env bash
# Builds and runs the whole test suite: the Release build (every test, including the full-size
# oracle run labelled "long"), then an ASan+UBSan build (every test but the "long" and "oracle" ones).
# Usage: scripts/test.sh [--quick]   (--quick: Release build only, no "long" tests)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1
jobs="$(nproc)"

# Disk matters on shared CI machines: the Release stage caches ~4.5 GB of synthetic test models.
df -h "${repo_root}" | sed 's/^/test.sh: disk: /' >&2

"${repo_root}/scripts/build.sh" "${repo_root}/build"
if (( quick )); then
  ctest --test-dir "${repo_root}/build" --output-on-failure -j "${jobs}" -LE long
  exit 0
fi
ctest --test-dir "${repo_root}/build" --output-on-failure -j "${jobs}"
# The cached models are only a speed-up for reruns; CI has no rerun, so it frees the space for the
# sanitizer build.
if [[ -n "${CI:-}" ]]; then rm -rf "${repo_root}/build/test-models"; fi

"${repo_root}/scripts/build.sh" "${repo_root}/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMINNOW_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "${repo_root}/build-asan" --output-on-failure -j "${jobs}" -LE "long|oracle|nosan"
if [[ -n "${CI:-}" ]]; then rm -rf "${repo_root}/build-asan/test-models"; fi

# aarch64 kernels, cross-built and run under qemu-aarch64 (tools from scripts/setup.sh).
if command -v aarch64-linux-gnu-g++ >/dev/null && command -v qemu-aarch64 >/dev/null; then
  "${repo_root}/scripts/test-arm.sh" "${repo_root}/build-arm"
else
  echo "test.sh: skipping scripts/test-arm.sh (no aarch64-linux-gnu-g++ / qemu-aarch64; run scripts/setup.sh)" >&2
fi
