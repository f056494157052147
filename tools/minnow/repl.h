#pragma once
// Interactive chat (`minnow run MODEL` without -p): the model's chat template, streamed answers,
// line editing and history, slash commands, KV cache reuse across turns.
#include "engine.h"
#include "runtime/sampler.h"

namespace minnow::cli {

struct ReplOptions {
  int n_predict = -1;          // per answer; < 0: until end of turn or full context
  bool hide_thinking = false;  // drop <think>...</think> instead of showing it dimmed
};

// Runs until Ctrl-D / /bye; returns the process exit code.
int run_repl(Engine& engine, const SamplerParams& sampling, const ReplOptions& opt);

}  // namespace minnow::cli
