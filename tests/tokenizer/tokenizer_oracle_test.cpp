// Compares Minnow's tokenizer with llama.cpp's (the prebuilt libllama) on text beyond the
// shared test sets: special-token parsing, BOS/EOS, odd Unicode, invalid UTF-8, decoding and
// the end-of-generation set.
#include <gtest/gtest.h>

#include <llama.h>

#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace minnow {
namespace {

const std::string kVocabDir = std::string(MINNOW_SHARED_DIR) + "/vocab/";

struct Pair {
  std::unique_ptr<Tokenizer> ours;
  llama_model* model = nullptr;
  const llama_vocab* vocab = nullptr;
  ~Pair() { llama_model_free(model); }
};

std::unique_ptr<Pair> load(const std::string& name) {
  auto p = std::make_unique<Pair>();
  auto file = gguf::File::open(kVocabDir + name);
  p->ours = Tokenizer::from_gguf(*file);
  llama_model_params mp = llama_model_default_params();
  mp.vocab_only = true;
  p->model = llama_model_load_from_file((kVocabDir + name).c_str(), mp);
  if (p->model != nullptr) p->vocab = llama_model_get_vocab(p->model);
  return p;
}

std::vector<int32_t> theirs(const llama_vocab* v, const std::string& text, bool add, bool parse) {
  std::vector<llama_token> out(text.size() * 2 + 8);
  int n = llama_tokenize(v, text.data(), int32_t(text.size()), out.data(), int32_t(out.size()), add, parse);
  if (n < 0) {
    out.resize(size_t(-n));
    n = llama_tokenize(v, text.data(), int32_t(text.size()), out.data(), int32_t(out.size()), add, parse);
  }
  out.resize(size_t(std::max(n, 0)));
  return out;
}

std::string their_decode(const llama_vocab* v, const std::vector<int32_t>& ids, bool remove, bool unparse) {
  std::string out(ids.size() * 16 + 16, '\0');
  int n = llama_detokenize(v, ids.data(), int32_t(ids.size()), out.data(), int32_t(out.size()), remove, unparse);
  if (n < 0) {
    out.resize(size_t(-n));
    n = llama_detokenize(v, ids.data(), int32_t(ids.size()), out.data(), int32_t(out.size()), remove, unparse);
  }
  out.resize(size_t(std::max(n, 0)));
  return out;
}

const std::vector<std::string> kTexts = {
    "Hello world",
    "  leading and trailing  ",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|>",
    "<s>[INST] hi [/INST]</s> <|endoftext|> <|assistant|>\n ok <|end|>",
    "<｜begin▁of▁sentence｜>User: õ÷Á ok",
    "tabs\tand\r\nCRLF\n\n\n  \n",
    "don't I'M we'Ve they'LL 's 'S",
    "numbers 1234567 ٣٤٥ Ⅻ ½",
    "accents: e\xCC\x81 a\xCC\x88 ñ Ü\xCC\x81 क्षि ไทย",
    "emoji 🦙🦙 👩‍👩‍👧 🇩🇪 ❤️",
    "CJK 中文字符 日本語 한국어 漢字テスト",
    "nbsp\xC2\xA0" "here\xE2\x80\x83" "em\xE2\x80\xA8" "line\xC2\x85" "nel",
    "invalid \xFF\xFE bytes \xC3 cut \xE2\x82",
    "surrogate \xED\xA0\x80 overlong \xC0\xAF",
    "```python\ndef f(x):\n    return x**2  # comment\n```",
    "    indented\n        more\n\t\tmixed \t \n",
    "a'b \"quoted\" (paren) [br] {cu} <ang> &amp; 100% $5 #1 @x",
    "",
    " ",
    "\n",
};

class OracleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OracleTest, MatchesLlamaCpp) {
  auto p = load(GetParam());
  ASSERT_NE(p->vocab, nullptr) << "libllama could not load " << GetParam();
  const Tokenizer& t = *p->ours;
  for (const std::string& text : kTexts) {
    for (int mode = 0; mode < 4; ++mode) {
      const bool add = mode & 1, parse = mode & 2;
      const auto want = theirs(p->vocab, text, add, parse);
      const auto got = t.encode(text, add, parse);
      EXPECT_EQ(got, want) << GetParam() << " add=" << add << " parse=" << parse << " text='" << text << "'";
      for (int d = 0; d < 4; ++d) {
        const bool remove = d & 1, unparse = d & 2;
        EXPECT_EQ(t.decode(want, remove, unparse), their_decode(p->vocab, want, remove, unparse))
            << GetParam() << " decode remove=" << remove << " unparse=" << unparse << " text='" << text << "'";
      }
    }
  }
  // One test per vocabulary: loading them through libllama is the slow part.
  EXPECT_EQ(t.n_vocab(), llama_vocab_n_tokens(p->vocab));
  EXPECT_EQ(t.bos(), llama_vocab_bos(p->vocab));
  EXPECT_EQ(t.eos(), llama_vocab_eos(p->vocab));
  EXPECT_EQ(t.add_bos(), llama_vocab_get_add_bos(p->vocab));
  EXPECT_EQ(t.add_eos(), llama_vocab_get_add_eos(p->vocab));
  for (int32_t id = 0; id < t.n_vocab(); ++id) {
    ASSERT_EQ(t.is_eog(id), llama_vocab_is_eog(p->vocab, id)) << GetParam() << " id " << id;
    char buf[512];
    const int n = llama_token_to_piece(p->vocab, id, buf, sizeof buf, 0, true);
    ASSERT_GE(n, 0);
    ASSERT_EQ(t.token_text(id), std::string(buf, size_t(n))) << GetParam() << " id " << id;
  }
}

INSTANTIATE_TEST_SUITE_P(Shared, OracleTest,
                         ::testing::Values("ggml-vocab-gpt-2.gguf", "ggml-vocab-llama-bpe.gguf",
                                           "ggml-vocab-qwen2.gguf", "ggml-vocab-qwen35.gguf",
                                           "ggml-vocab-deepseek-llm.gguf", "ggml-vocab-deepseek-coder.gguf",
                                           "ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf"),
                         [](const auto& info) {
                           std::string n = info.param.substr(11, info.param.size() - 16);
                           for (char& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace minnow
