#!/usr/bin/env bash
# The main job on a fresh machine after scripts/setup.sh: build, make a synthetic
# DeepSeek-R1-Distill-Qwen-1.5B-shaped model (random weights, real Qwen2 tokenizer) in Q4_0,
# and generate from it. Usage: scripts/demo.sh [PROMPT]
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${MINNOW_SHARED_DIR:-${repo_root}/../shared}"
"${repo_root}/scripts/build.sh" "${repo_root}/build" >&2  # keep stdout for the generated text
mkdir -p "${repo_root}/out"
model="${repo_root}/out/qwen2-1.5b-q4_0.gguf"
[[ -f "${model}" ]] || "${repo_root}/build/minnow" synth qwen2-1.5b "${model}" \
  --vocab "${shared}/vocab/ggml-vocab-qwen2.gguf" --type q4_0
"${repo_root}/build/minnow" run "${model}" -p "${1:-Once upon a time}" -n 32 --temp 0
