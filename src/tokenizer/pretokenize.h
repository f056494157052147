#pragma once
// Splits text into the words byte-level BPE merges within, as llama.cpp's unicode_regex_split
// does: a list of regexes applied one after another, each cutting every piece from the
// previous step into its matches and the unmatched stretches between them.
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace minnow::tok {

struct Regex;

class PreTokenizer {
 public:
  // Throws minnow::Error for a pre-tokenizer name Minnow does not know.
  explicit PreTokenizer(std::string_view name);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Word boundaries as [begin, end) indices into `cpts`, covering it completely and in order.
  std::vector<std::pair<size_t, size_t>> split(const std::vector<uint32_t>& cpts) const;

 private:
  std::vector<std::unique_ptr<Regex>> regexes_;
};

}  // namespace minnow::tok
