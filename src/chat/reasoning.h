#pragma once
// Streaming split of generated text into reasoning (`<think>…</think>`) and answer. Chunks may
// cut a tag anywhere; a possible partial tag is held back until the next chunk decides it.
// DeepSeek-R1 style templates open `<think>` in the prompt, so generation can start inside the
// reasoning: construct with starts_in_thinking = true.
#include <string>
#include <string_view>

namespace minnow::chat {

struct ReasoningChunk {
  std::string reasoning;
  std::string content;
};

class ReasoningSplitter {
 public:
  explicit ReasoningSplitter(bool starts_in_thinking = false, std::string open_tag = "<think>",
                             std::string close_tag = "</think>");

  // Text decided by this chunk (held-back partial tags are emitted later).
  ReasoningChunk feed(std::string_view text);
  // End of generation: emits whatever is still held back as text of the current section.
  ReasoningChunk finish();

  bool in_thinking() const { return thinking_; }

 private:
  std::string open_;
  std::string close_;
  bool thinking_;
  std::string pending_;  // a suffix that may be the start of the next tag
};

}  // namespace minnow::chat
