#pragma once
// Internal state shared by the loader, the BPE / SPM encoders and the decoders.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/flat_tables.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace minnow {

namespace tok {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

}  // namespace tok

struct Tokenizer::Impl {
  Kind kind = Kind::Bpe;
  std::string pre;

  std::vector<std::string> tokens;  // vocabulary strings
  std::vector<float> scores;
  std::vector<uint32_t> attrs;
  tok::TokenIndex token_to_id;  // built once tokens is final

  // BPE merges between two vocabulary tokens, keyed by pair_key(left, right) ...
  tok::MergeTable merges;
  // ... and the rare rules whose halves are not tokens, keyed by "left\x1Fright".
  tok::TokenMap odd_merges;
  std::unique_ptr<tok::PreTokenizer> pretok;
  tok::ByteMap bytes;

  int32_t bos = kNone, eos = kNone, eot = kNone, eom = kNone, unk = kNone, pad = kNone;
  bool add_bos = false, add_eos = false, add_space_prefix = false;
  bool ignore_merges = false, clean_spaces = false;

  std::vector<int32_t> eog;      // ascending
  std::vector<int32_t> specials;  // control / user-defined / unknown, longest text first
  std::vector<std::string> pieces;  // token_text() cache

  int32_t lookup(std::string_view s) const {
    const int32_t id = token_to_id.find(s);
    return id < 0 ? kNone : id;
  }
  int32_t byte_token(uint8_t b) const;  // SPM byte fallback token, kNone if none

  // Appends the tokens of one stretch of plain text (no special-token handling).
  void encode_bpe(std::string_view text, std::vector<int32_t>& out) const;
  void encode_spm(std::string_view text, std::vector<int32_t>& out) const;
  std::string make_piece(int32_t id) const;
};

// Loads tokenizer.ggml.* into a fresh Impl (tokenizer_load.cpp).
std::unique_ptr<Tokenizer::Impl> load_tokenizer_impl(const gguf::File& file);

}  // namespace minnow
