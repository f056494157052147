#!/usr/bin/env bash
# The packed GEMMs' weight prefetches exist in the built code. gcc once split the prefetch
# helper after its early return and deleted the calls as having no effect it models, silently
# (docs/ARCHITECTURE.md, "Kernels"); no other test can see that, since a prefetch changes no
# result. Usage: prefetch_objdump_test.sh OBJDUMP LIBMINNOW_KERNELS.a
set -uo pipefail
objdump="$1"
archive="$2"
listing="$(mktemp)"
trap 'rm -f "$listing"' EXIT
if ! "$objdump" -d --no-show-raw-insn "$archive" >"$listing"; then
  echo "FAIL: $objdump could not disassemble $archive"
  echo "0 passed, 1 failed"
  exit 1
fi
passed=0
failed=0
# Objects whose decode kernels must ask for the weight stream ahead (prefetcht0).
for object in avx2_packed_legacy avx2_packed_q4_k avx2_packed_q6_k avx512_packed vnni_packed; do
  count="$(awk -v want="${object}.cpp.o:" '
    / file format / { inside = ($1 == want) }
    inside && /prefetcht0/ { n++ }
    END { print n + 0 }' "$listing")"
  if grep -q "^${object}.cpp.o: " "$listing" && (( count > 0 )); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: ${object}.cpp.o has no prefetcht0 (or is not in the archive)"
  fi
done
echo "${passed} passed, ${failed} failed"
(( failed == 0 ))
