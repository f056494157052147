#pragma once
// Tokenizers built from a GGUF file's tokenizer.ggml.* metadata, matching llama.cpp's
// llama_tokenize / llama_token_to_piece / llama_detokenize token for token.
//   "gpt2"  -> byte-level BPE with a named pre-tokenizer (tokenizer.ggml.pre)
//   "llama" -> SentencePiece (score-driven bigram merges, byte fallback, U+2581 for spaces)
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace minnow {

namespace gguf {
class File;
}

// Per-token attributes; values equal llama.cpp's llama_token_attr bits.
enum TokenAttr : uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1 << 0,
  kAttrUnused = 1 << 1,
  kAttrNormal = 1 << 2,
  kAttrControl = 1 << 3,
  kAttrUserDefined = 1 << 4,
  kAttrByte = 1 << 5,
  kAttrNormalized = 1 << 6,
  kAttrLstrip = 1 << 7,
  kAttrRstrip = 1 << 8,
  kAttrSingleWord = 1 << 9,
};

class Tokenizer {
 public:
  enum class Kind { Bpe, Spm };
  static constexpr int32_t kNone = -1;

  // Reads tokenizer.ggml.* from `file`. Throws minnow::Error on missing/malformed metadata or an
  // unsupported tokenizer model / pre-tokenizer.
  static std::unique_ptr<Tokenizer> from_gguf(const gguf::File& file);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // add_special: prepend BOS / append EOS as the model asks (add_bos() / add_eos()).
  // parse_special: control tokens written in the text (e.g. "<|im_end|>") become those tokens;
  // user-defined tokens are always matched, as llama.cpp does.
  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes a token stands for: byte-level decoded (BPE), U+2581 -> ' ' and <0xXX> -> byte
  // (SPM); control / user-defined tokens give their text. Throws Error on an out-of-range id.
  const std::string& token_text(int32_t id) const;
  // Like llama_token_to_piece: with render_special=false, control and unknown tokens give "".
  std::string_view piece(int32_t id, bool render_special) const;
  // Like llama_detokenize (including its clean-up of spaces for vocabularies that ask for it).
  std::string decode(std::span<const int32_t> ids, bool remove_special = false,
                     bool render_special = true) const;

  // The token's string as stored in the vocabulary (e.g. "Ġthe", "▁the", "<0x0A>").
  const std::string& vocab_string(int32_t id) const;
  std::optional<int32_t> find_token(std::string_view vocab_string) const;
  uint32_t attr(int32_t id) const;

  int32_t n_vocab() const;
  Kind kind() const;
  const std::string& pre() const;  // pre-tokenizer name ("" for SPM)
  int32_t bos() const;             // kNone when the vocabulary has none
  int32_t eos() const;
  int32_t eot() const;
  int32_t eom() const;
  int32_t unk() const;
  int32_t pad() const;
  bool add_bos() const;
  bool add_eos() const;
  bool add_space_prefix() const;
  // End of generation: eos, eot, eom and every token llama.cpp treats as such.
  bool is_eog(int32_t id) const;
  const std::vector<int32_t>& eog_ids() const;  // ascending
  bool is_control(int32_t id) const;            // control or unknown: hidden unless rendered

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Turns a stream of token ids into text, returning only complete UTF-8: a multi-byte character
// split across tokens is held back until it is complete. Invalid bytes become U+FFFD.
class Detokenizer {
 public:
  struct Options {
    // Render control tokens (e.g. "<|im_end|>") as their text instead of nothing.
    bool render_special = false;
    // Decoding from the start of a text: drop a leading BOS and, when the vocabulary adds a
    // space prefix (SPM), strip the leading space of the first text token, exactly as
    // llama_detokenize(remove_special=true) does. Leave false when streaming generated tokens
    // that continue a prompt.
    bool from_text_start = false;
  };
  explicit Detokenizer(const Tokenizer& tok) : Detokenizer(tok, Options{}) {}
  Detokenizer(const Tokenizer& tok, Options opts);

  // Text that became complete with this token (possibly "").
  std::string push(int32_t id);
  // Whatever is held back, incomplete sequences as U+FFFD; then the stream starts afresh.
  std::string flush();

 private:
  std::string take_complete();

  const Tokenizer& tok_;
  Options opts_;
  bool first_ = true;
  std::string pending_;
};

}  // namespace minnow
