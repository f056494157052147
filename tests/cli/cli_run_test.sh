#!/usr/bin/env bash
# End-to-end checks of `minnow run` / `minnow synth` on a tiny synthetic model:
# determinism by seed, stdout/stderr split, a prompt longer than the context, bad arguments.
# Usage: cli_run_test.sh MINNOW SHARED_DIR
set -uo pipefail
minnow="$1"
shared="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() {  # check NAME CONDITION-EXIT-CODE
  if [[ "$2" == 0 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi
}

model="$work/m.gguf"
timeout 300 "$minnow" synth qwen2-tiny "$model" --vocab "$shared/vocab/ggml-vocab-qwen2.gguf" --type q8_0 2>/dev/null
check "synth writes a model" $?

# Same seed, same text; stats only on stderr.
timeout 60 "$minnow" run "$model" -p "Hello there" -n 12 --temp 0.9 --seed 5 -t 1 >"$work/a.out" 2>"$work/a.err"
check "run exits 0" $?
timeout 60 "$minnow" run "$model" -p "Hello there" -n 12 --temp 0.9 --seed 5 -t 1 >"$work/b.out" 2>/dev/null
cmp -s "$work/a.out" "$work/b.out"
check "same seed gives the same output" $?
[[ -s "$work/a.out" ]]
check "generated text on stdout" $?
grep -q "prefill" "$work/a.err" && grep -q "decode" "$work/a.err" && ! grep -q "prefill" "$work/a.out"
check "speeds on stderr only" $?
timeout 60 "$minnow" run "$model" -p "Hello there" -n 12 --temp 0 -t 2 >"$work/g1.out" 2>/dev/null
timeout 60 "$minnow" run "$model" -p "Hello there" -n 12 --temp 0 -t 1 >"$work/g2.out" 2>/dev/null
cmp -s "$work/g1.out" "$work/g2.out"
check "greedy output does not depend on the thread count" $?

# Packed-weights cache: the first run writes it, the second maps it, --no-pack-cache and
# MINNOW_PACK_CACHE=off skip it; the text is the same every way.
for cache_run in first second; do
  MINNOW_PACK_CACHE="$work/pack-cache" timeout 60 "$minnow" run "$model" -p "Hello there" -n 12 --temp 0 -t 1 \
    >"$work/c-$cache_run.out" 2>"$work/c-$cache_run.err"
done
grep -q "packed weights: cache written" "$work/c-first.err" && grep -q "packed weights: cache hit" "$work/c-second.err"
check "the packed-weights cache is written, then used" $?
MINNOW_PACK_CACHE="$work/pack-cache" timeout 60 "$minnow" run "$model" -p "Hello there" -n 12 --temp 0 -t 1 \
  --no-pack-cache >"$work/c-flag.out" 2>"$work/c-flag.err"
MINNOW_PACK_CACHE=off timeout 60 "$minnow" run "$model" -p "Hello there" -n 12 --temp 0 -t 1 >"$work/c-off.out" 2>"$work/c-off.err"
grep -q "packed weights: no cache" "$work/c-flag.err" && grep -q "packed weights: no cache" "$work/c-off.err"
check "--no-pack-cache and MINNOW_PACK_CACHE=off run without the cache" $?
cmp -s "$work/c-first.out" "$work/c-second.out" && cmp -s "$work/c-first.out" "$work/c-flag.out" &&
  cmp -s "$work/c-first.out" "$work/c-off.out" && cmp -s "$work/c-first.out" "$work/g2.out"
check "the same text with and without the cache" $?

# A prompt longer than the context: one clear line, exit 1.
long="$(printf 'word %.0s' $(seq 1 200))"
timeout 60 "$minnow" run "$model" -p "$long" -c 64 -n 4 >"$work/long.out" 2>"$work/long.err"
rc=$?
[[ $rc == 1 && $(wc -l <"$work/long.err") == 1 ]] && grep -q "context" "$work/long.err" && [[ ! -s "$work/long.out" ]]
check "prompt longer than the context is a one-line error (rc=$rc: $(head -c 200 "$work/long.err"))" $?

# Generation stops at a full context and says so.
timeout 60 "$minnow" run "$model" -p "Hello" -c 12 -n 100 --temp 0 >/dev/null 2>"$work/full.err"
rc=$?
[[ $rc == 0 ]] && grep -q "context" "$work/full.err"
check "a full context stops generation with a note" $?

# The kernels that round as llama.cpp: a choice the stats line names (on CPUs that have them).
timeout 60 "$minnow" run "$model" -p "Hello there" -n 12 --temp 0 -t 1 --rounding llama.cpp >"$work/r.out" 2>"$work/r.err"
rc=$?
[[ $rc == 0 && -s "$work/r.out" ]] && { ! grep -q avx2 "$work/r.err" || grep -q "rounding as llama.cpp" "$work/r.err"; }
check "--rounding llama.cpp runs (rc=$rc: $(tail -c 200 "$work/r.err"))" $?

for bad in "-n abc" "--temp x" "-c 0" "--bogus" "--rounding exact"; do
  # shellcheck disable=SC2086
  timeout 30 "$minnow" run "$model" -p hi $bad >/dev/null 2>"$work/bad.err"
  rc=$?
  [[ $rc == 1 ]] && grep -q "^minnow: error:" "$work/bad.err"
  check "bad argument '$bad' is an error" $?
done
timeout 30 "$minnow" synth no-such-config "$work/x.gguf" --vocab "$shared/vocab/ggml-vocab-qwen2.gguf" >/dev/null 2>&1
[[ $? == 1 && ! -e "$work/x.gguf" ]]
check "unknown synth config is an error and writes nothing" $?

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
