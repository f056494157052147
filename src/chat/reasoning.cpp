#include "chat/reasoning.h"

#include <algorithm>

#include "util/error.h"

namespace minnow::chat {

ReasoningSplitter::ReasoningSplitter(bool starts_in_thinking, std::string open_tag, std::string close_tag)
    : open_(std::move(open_tag)), close_(std::move(close_tag)), thinking_(starts_in_thinking) {
  if (open_.empty() || close_.empty()) throw minnow::Error("reasoning tags must not be empty");
}

namespace {

// Length of the longest suffix of `s` that is a proper prefix of `tag`.
size_t partial_tag_suffix(std::string_view s, std::string_view tag) {
  size_t max = std::min(s.size(), tag.size() - 1);
  for (size_t n = max; n > 0; --n) {
    if (s.substr(s.size() - n) == tag.substr(0, n)) return n;
  }
  return 0;
}

}  // namespace

ReasoningChunk ReasoningSplitter::feed(std::string_view text) {
  ReasoningChunk out;
  std::string buf = std::move(pending_);
  pending_.clear();
  buf.append(text);
  size_t pos = 0;
  while (pos < buf.size()) {
    const std::string& tag = thinking_ ? close_ : open_;
    std::string& dest = thinking_ ? out.reasoning : out.content;
    size_t hit = buf.find(tag, pos);
    if (hit != std::string::npos) {
      dest.append(buf, pos, hit - pos);
      pos = hit + tag.size();
      thinking_ = !thinking_;
      continue;
    }
    std::string_view rest(buf.data() + pos, buf.size() - pos);
    size_t keep = partial_tag_suffix(rest, tag);
    dest.append(rest.substr(0, rest.size() - keep));
    pending_.assign(rest.substr(rest.size() - keep));
    break;
  }
  return out;
}

ReasoningChunk ReasoningSplitter::finish() {
  ReasoningChunk out;
  (thinking_ ? out.reasoning : out.content) = std::move(pending_);
  pending_.clear();
  return out;
}

}  // namespace minnow::chat
