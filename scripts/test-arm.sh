#!/usr/bin/env bash
# Cross-builds the kernels for aarch64 (util, quant, kernels and their self-contained test
# runner; cmake/aarch64-toolchain.cmake, static) and runs the runner under qemu-aarch64 on
# three CPUs, so that every ARM table and the fallback paths run:
#   -cpu max         NEON + dotprod + i8mm   -> tables scalar,neon,dotprod,i8mm
#   -cpu cortex-a76  NEON + dotprod          -> tables scalar,neon,dotprod
#   -cpu cortex-a53  NEON only               -> tables scalar,neon
# Each run must report exactly those tables and no failure. Where GoogleTest's sources are
# installed (libgtest-dev), the unchanged tests/kernels/kernels_test also runs on each CPU.
# Needs g++-aarch64-linux-gnu and qemu-user (scripts/setup.sh installs both).
# Usage: scripts/test-arm.sh [BUILD_DIR]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-${repo_root}/build-arm}"

for tool in aarch64-linux-gnu-g++ qemu-aarch64; do
  command -v "${tool}" >/dev/null || { echo "test-arm: ${tool} not found (run scripts/setup.sh)" >&2; exit 1; }
done

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "${repo_root}" -B "${build_dir}" "${generator[@]}" \
  -DCMAKE_TOOLCHAIN_FILE="${repo_root}/cmake/aarch64-toolchain.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DMINNOW_WERROR=ON -DMINNOW_KERNELS_ONLY=ON >/dev/null
targets=(kernels_arm_test)
gtest_sources=/usr/src/googletest/googletest/src/gtest-all.cc
[[ -f "${gtest_sources}" ]] && targets+=(kernels_test)
cmake --build "${build_dir}" -j "$(nproc)" --target "${targets[@]}"

tests_dir="${build_dir}/tests/kernels_arm"
failed=0
while read -r cpu tables; do
  echo "test-arm: qemu-aarch64 -cpu ${cpu}, expecting tables ${tables}"
  if ! timeout 300 qemu-aarch64 -cpu "${cpu}" "${tests_dir}/kernels_arm_test" --expect "${tables}"; then
    echo "test-arm: kernels_arm_test FAILED on -cpu ${cpu}" >&2
    failed=1
  fi
  if [[ -f "${gtest_sources}" ]]; then
    if timeout 300 qemu-aarch64 -cpu "${cpu}" "${tests_dir}/kernels_test" --gtest_brief=1 >"${tests_dir}/kernels_test.${cpu}.log" 2>&1; then
      # The summary lines only (gtest lists each skipped test after its count).
      echo "kernels_test: $(grep -m1 -E '^\[  PASSED  \]' "${tests_dir}/kernels_test.${cpu}.log")" \
        "$(grep -m1 -E '^\[  SKIPPED \] [0-9]+ test' "${tests_dir}/kernels_test.${cpu}.log" | sed 's/, listed below://')"
    else
      cat "${tests_dir}/kernels_test.${cpu}.log"
      echo "test-arm: kernels_test FAILED on -cpu ${cpu}" >&2
      failed=1
    fi
  fi
done <<'CPUS'
max scalar,neon,dotprod,i8mm
cortex-a76 scalar,neon,dotprod
cortex-a53 scalar,neon
CPUS
exit "${failed}"
