#!/usr/bin/env bash
# Runs `minnow run FILE -p hi -n 1` on every crafted bad GGUF (and a nonexistent path) and checks
# each fails cleanly: exit code exactly 1, stderr exactly one line starting "minnow: error:",
# finished within 20 s.
# Usage: check_cli_errors.sh MINNOW MAKE_MALFORMED VOCAB.gguf
set -u
if [ $# -ne 3 ]; then
  echo "usage: $0 MINNOW MAKE_MALFORMED VOCAB.gguf" >&2
  exit 2
fi
minnow=$1
make_malformed=$2
vocab=$3

dir=$(mktemp -d "${TMPDIR:-/tmp}/minnow_cli_errors.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$make_malformed" "$dir" "$vocab" >/dev/null || { echo "FAIL: $make_malformed could not write the files"; exit 1; }

failures=0
checked=0
for f in "$dir"/bad_*.gguf "$dir/does_not_exist.gguf"; do
  name=$(basename "$f")
  timeout 20 "$minnow" run "$f" -p hi -n 1 >"$dir/stdout" 2>"$dir/stderr" </dev/null
  rc=$?
  lines=$(wc -l <"$dir/stderr")
  first=$(head -n 1 "$dir/stderr")
  checked=$((checked + 1))
  problem=""
  if [ "$rc" -eq 124 ]; then
    problem="timed out after 20 s"
  elif [ "$rc" -ne 1 ]; then
    problem="exit code $rc, expected 1"
  elif [ "$lines" -ne 1 ] || [ "$(tail -c 1 "$dir/stderr" | od -An -c | tr -d ' ')" != '\n' ]; then
    problem="stderr has $lines lines, expected exactly one"
  elif [[ "$first" != "minnow: error:"* ]]; then
    problem="stderr does not start with 'minnow: error:'"
  fi
  if [ -n "$problem" ]; then
    failures=$((failures + 1))
    echo "FAIL $name: $problem"
    sed 's/^/    stderr: /' "$dir/stderr" | head -n 5
  else
    echo "ok   $name: $first"
  fi
done

echo "$checked files checked, $failures failed"
[ "$failures" -eq 0 ]
