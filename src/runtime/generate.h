#pragma once
// The generation loop: reuse the longest cached prefix, prefill the rest, then sample and
// stream text until an end-of-generation token, the token limit, or a full context.
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/sampler.h"
#include "runtime/session.h"
#include "tokenizer/tokenizer.h"

namespace minnow {

struct GenerateStats {
  int n_prompt = 0;       // prompt tokens given
  int n_prefilled = 0;    // of those, how many were computed (the rest came from the cache)
  int n_generated = 0;
  double prefill_s = 0;
  double decode_s = 0;
  bool stopped_eog = false;
  bool stopped_ctx = false;
  bool cancelled = false;
};

struct GenerateOptions {
  int n_predict = -1;  // < 0: until end of generation or the context is full
  bool render_special = false;
};

// on_text receives each newly complete UTF-8 piece; returning false cancels generation.
GenerateStats generate(Session& session, const Tokenizer& tok, Sampler& sampler,
                       std::span<const int32_t> prompt, const GenerateOptions& opt,
                       const std::function<bool(std::string_view)>& on_text);

}  // namespace minnow
