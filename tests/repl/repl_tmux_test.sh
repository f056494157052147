#!/usr/bin/env bash
# End-to-end test of the interactive chat (`minnow run MODEL` without -p) in a real terminal:
# tmux runs it on a pseudo-terminal, send-keys types, capture-pane reads the screen.
# Usage: repl_tmux_test.sh MINNOW SHARED_DIR
# Checks: the template path (prefill count of turn 1 equals the tokens of the rendered prompt),
# KV reuse (turn 2 prefills only the new tokens), multi-line input, /set errors, /save, Ctrl-C
# stopping an answer without leaving, Ctrl-C at the prompt, Ctrl-D exiting 0, the history file.
set -euo pipefail

MINNOW=$1
SHARED=$2
VOCAB=$SHARED/vocab/ggml-vocab-qwen2.gguf
[[ -f $VOCAB ]] || { echo "SKIP: $VOCAB missing"; exit 0; }

WORK=$(mktemp -d)
SOCK=minnow-repl-$$
PANE=repl
cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "---- screen ----" >&2
  screen >&2 || true
  exit 1
}

screen() { tmux -L "$SOCK" capture-pane -p -J -S -2000 -t "$PANE"; }
keys() { tmux -L "$SOCK" send-keys -t "$PANE" "$@"; }
type_line() { keys -l "$1"; keys Enter; }

# Polls the screen every 0.1 s until `$1` (a shell condition over $S, the screen) holds. The
# limits are generous: the test once failed under ctest -j2 beside heavy tests (which wait
# ran out was not kept), and a wait that holds returns at once.
wait_for() {
  local cond=$1 what=$2 limit=${3:-20} i
  for ((i = 0; i < limit * 10; i++)); do
    S=$(screen)
    if eval "$cond"; then return 0; fi
    sleep 0.1
  done
  fail "timed out after ${limit}s waiting for $what"
}

n_stats() { grep -c '^\[prefill ' <<<"$S" || true; }
at_prompt() { [[ $(grep -v '^[[:space:]]*$' <<<"$S" | tail -n 1) =~ ^\>\>\>[[:space:]]*$ ]]; }
# Waits for the n-th stats line and the prompt after it; sets STATS to that line.
wait_turn() {
  WANT=$1
  wait_for '[[ $(n_stats) -ge $WANT ]] && at_prompt' "answer $1 and the prompt" 40
  STATS=$(grep '^\[prefill ' <<<"$S" | sed -n "$1p")
}
# [prefill P tok (reused R) X tok/s | G tok Y tok/s ...]
parse_stats() {
  [[ $STATS =~ ^\[prefill\ ([0-9]+)\ tok\ \(reused\ ([0-9]+)\)\ [0-9.]+\ tok/s\ \|\ ([0-9]+)\ tok\ [0-9.]+\ tok/s ]] ||
    fail "stats line not understood: $STATS"
  PREFILL=${BASH_REMATCH[1]} REUSED=${BASH_REMATCH[2]} GEN=${BASH_REMATCH[3]}
}
count_tokens() {  # tokens of a file's text with special tokens parsed, as the REPL encodes
  "$MINNOW" tokenize "$MODEL" --file "$1" --parse-special | wc -w
}

MODEL=$WORK/tiny.gguf
"$MINNOW" synth qwen2-tiny "$MODEL" --vocab "$VOCAB" --type q8_0 >/dev/null

# Turn 1's prompt as the model's own template renders it: Qwen's template, so it must carry
# <|im_start|>; the REPL must prefill exactly its tokens.
printf '%s' '{"messages":[{"role":"user","content":"Hello there"}]}' >"$WORK/turn1.json"
"$MINNOW" template render --model "$MODEL" --messages "$WORK/turn1.json" >"$WORK/turn1.txt"
grep -q '<|im_start|>assistant' "$WORK/turn1.txt" || fail "the qwen2 vocabulary's template was not used"
EXPECT1=$(count_tokens "$WORK/turn1.txt")
# What turn 2 adds after the first answer: end of that answer, the new user turn (typed as two
# lines between """), the generation prompt.
printf '<|im_end|>\n<|im_start|>user\nHow are\nyou?<|im_end|>\n<|im_start|>assistant\n' >"$WORK/suffix2.txt"
EXPECT2=$(count_tokens "$WORK/suffix2.txt")

tmux -L "$SOCK" -f /dev/null new-session -d -s "$PANE" -x 160 -y 50 \
  "HOME='$WORK' '$MINNOW' run '$MODEL' -n 24 --temp 0 -t 1 -c 4096; echo \$? >'$WORK/rc'; sleep 60"
wait_for 'at_prompt' "the first prompt" 40

# Turn 1: the whole rendered prompt is prefilled; -n 24 ends it.
type_line "Hello there"
wait_turn 1
parse_stats
[[ $REUSED -eq 0 ]] || fail "turn 1 reused $REUSED tokens from an empty cache"
[[ $PREFILL -eq $EXPECT1 ]] || fail "turn 1 prefilled $PREFILL tokens, the rendered prompt has $EXPECT1"
[[ $GEN -eq 24 ]] || fail "turn 1 generated $GEN tokens, -n 24 asked for 24"
P1=$PREFILL G1=$GEN

# Turn 2, multi-line: the cache holds turn 1 (the last sampled token was never evaluated), so
# only the new suffix (plus that token's text) is prefilled.
type_line '"""'
type_line 'How are'
type_line 'you?"""'
wait_turn 2
parse_stats
((REUSED == P1 + G1 - 1 || REUSED == P1 + G1)) || fail "turn 2 reused $REUSED tokens, the cache held $P1 + $G1"
((PREFILL >= EXPECT2 && PREFILL <= EXPECT2 + 3)) ||
  fail "turn 2 prefilled $PREFILL tokens; the new suffix is $EXPECT2 tokens (+ the last answer token)"

# /set rejects unknown names and bad values and keeps running; /save writes the conversation.
type_line "/set colour 3"
wait_for 'grep -q "unknown setting .colour." <<<"$S"' "the /set error" 15
type_line "/set top_k -2"
wait_for 'grep -q "/set top_k: the value must be" <<<"$S"' "the /set range error" 15
type_line "/save $WORK/conv.json"
wait_for '[[ -f $WORK/conv.json ]] && grep -q "saved 4 messages" <<<"$S"' "/save" 15
python3 - "$WORK/conv.json" <<'EOF' || fail "/save wrote an unexpected conversation"
import json, sys
m = json.load(open(sys.argv[1]))["messages"]
assert [x["role"] for x in m] == ["user", "assistant", "user", "assistant"], m
assert m[0]["content"] == "Hello there" and m[2]["content"] == "How are\nyou?", m
EOF

# Ctrl-C while a long answer streams stops it and returns to the prompt.
type_line "/set n_predict -1"
wait_for 'grep -q "| n_predict -1\$" <<<"$S"' "/set n_predict -1" 15
type_line "Tell me a long story"
wait_for '[[ $(sed -n "/^>>> Tell me a long story/,\$p" <<<"$S" | grep -cv "^[[:space:]]*$") -ge 2 ]]' "the long answer to start" 20
keys C-c
wait_turn 3
[[ $STATS == *"| interrupted]"* ]] || fail "the Ctrl-C'd answer does not say interrupted: $STATS"
parse_stats
((GEN > 0 && GEN < 4000)) || fail "the interrupted answer has $GEN tokens"

# The chat goes on after the interruption, reusing the cache.
type_line "/set n_predict 8"
wait_for 'grep -q "| n_predict 8\$" <<<"$S"' "/set n_predict 8" 15
type_line "Thanks"
wait_turn 4
parse_stats
((REUSED > 0 && GEN <= 8)) || fail "turn 4: reused $REUSED, generated $GEN"

# Ctrl-C at the prompt drops the line being typed and stays.
keys -l "half a line"
keys C-c
wait_for 'grep -q "(Ctrl-D or /bye to exit)" <<<"$S" && at_prompt' "Ctrl-C at the prompt" 15

# Ctrl-D at an empty prompt exits 0.
keys C-d
for ((i = 0; i < 100; i++)); do [[ -s $WORK/rc ]] && break; sleep 0.1; done
[[ -s $WORK/rc ]] || fail "Ctrl-D did not end minnow"
[[ $(cat "$WORK/rc") == 0 ]] || fail "minnow exited $(cat "$WORK/rc") after Ctrl-D"
grep -q "Hello" "$WORK/.minnow_history" || fail "no history in ~/.minnow_history"
grep "^\[prefill " <<<"$S"
echo "PASS"
