#pragma once
// Turning a rendered conversation into prompt tokens so that each chat turn prefills only what
// is new: the session's KV cache already holds the earlier turns.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace minnow::cli {

// What the session holds after a turn: its tokens and the exact text they stand for (the
// rendered prompt followed by the generated text).
struct HeldText {
  std::string text;
  std::vector<int32_t> tokens;
};

struct PromptPlan {
  std::vector<int32_t> tokens;  // the whole prompt for generate()
  bool extends = false;         // tokens = the held tokens + the tokens of the render's new suffix
  size_t n_new = 0;             // tokens after the held ones when `extends`
};

// Tokens of a rendered prompt: special tokens parsed; BOS put first when the vocabulary asks for
// one and the render did not already write it.
std::vector<int32_t> encode_rendered(const Tokenizer& tok, std::string_view render);

// When the session still holds exactly `held.tokens` and `render` continues `held.text`, the held
// tokens plus the tokens of the new suffix alone. Otherwise (a template that rewrites earlier
// turns, a loaded conversation, a fresh session) the whole render's tokens; generate() then
// reuses whatever token prefix the cache shares with them.
PromptPlan plan_prompt(const Tokenizer& tok, const HeldText& held, std::span<const int32_t> session_tokens,
                       std::string_view render);

// The text that `generated` tokens, continuing a prompt, stream as in generate() (incomplete
// UTF-8 at the end becomes U+FFFD, so it can never be mistaken for the text shown).
std::string generated_text(const Tokenizer& tok, std::span<const int32_t> generated);

// True when a rendered generation prompt leaves the model inside <think> (DeepSeek-R1 style).
bool opens_thinking(std::string_view render);

}  // namespace minnow::cli
