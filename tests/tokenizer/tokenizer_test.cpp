// Tokenizer conformance: llama.cpp's vocabulary test sets (ggml-vocab-*.gguf with .inp/.out),
// special-token parsing, end-of-generation ids, decoding and streaming UTF-8.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"
#include "util/error.h"

namespace minnow {
namespace {

const std::string kVocabDir = std::string(MINNOW_SHARED_DIR) + "/vocab/";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Case {
  std::string text;
  std::vector<int32_t> ids;
};

// Same reading as llama.cpp's test-tokenizer-0: items are separated by
// "\n__ggml_vocab_test__\n" (so an item has no trailing newline of its own); each .out line
// holds one item's ids.
std::vector<Case> read_cases(const std::string& vocab) {
  const std::string inp = read_file(kVocabDir + vocab + ".inp");
  const std::string out = read_file(kVocabDir + vocab + ".out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t pos = 0; pos < inp.size();) {
    const size_t next = inp.find(sep, pos);
    if (next == std::string::npos) {
      texts.push_back(inp.substr(pos));
      break;
    }
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::vector<Case> cases;
  std::istringstream lines(out);
  std::string line;
  for (size_t i = 0; std::getline(lines, line); ++i) {
    Case c;
    c.text = i < texts.size() ? texts[i] : std::string();
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  EXPECT_EQ(texts.size(), cases.size()) << vocab << ": .inp and .out disagree on the item count";
  return cases;
}

std::string show(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) {
    if (!s.empty()) s.push_back(' ');
    s.append(std::to_string(id));
  }
  return s;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else out += c;
  }
  return out;
}

// Vocabularies load once per test binary; the big ones take a noticeable fraction of a second.
const Tokenizer& vocab(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto& slot = cache[name];
  if (!slot) {
    auto file = gguf::File::open(kVocabDir + name);
    slot = Tokenizer::from_gguf(*file);
  }
  return *slot;
}

const std::vector<std::string> kVocabs = {
    "ggml-vocab-gpt-2.gguf",     "ggml-vocab-llama-bpe.gguf",      "ggml-vocab-qwen2.gguf",
    "ggml-vocab-qwen35.gguf",    "ggml-vocab-deepseek-llm.gguf",   "ggml-vocab-deepseek-coder.gguf",
    "ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf",
};

class VocabTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VocabTest, MatchesReferenceIds) {
  const Tokenizer& tok = vocab(GetParam());
  const std::vector<Case> cases = read_cases(GetParam());
  ASSERT_GT(cases.size(), 10u);
  size_t failures = 0;
  for (const Case& c : cases) {
    const std::vector<int32_t> got = tok.encode(c.text, /*add_special=*/false, /*parse_special=*/false);
    if (got != c.ids) {
      ++failures;
      ADD_FAILURE() << GetParam() << ": '" << escape(c.text) << "'\n  expected: " << show(c.ids)
                    << "\n  got:      " << show(got);
    }
  }
  EXPECT_EQ(failures, 0u) << failures << " of " << cases.size() << " strings differ";
}

// Byte-level BPE is lossless; SPM adds one space in front of the text.
TEST_P(VocabTest, PiecesRoundTrip) {
  const Tokenizer& tok = vocab(GetParam());
  for (const Case& c : read_cases(GetParam())) {
    std::string joined;
    for (int32_t id : c.ids) joined += tok.token_text(id);
    const bool spm = tok.kind() == Tokenizer::Kind::Spm;
    std::string expect = spm && !c.text.empty() ? std::string(1, ' ') : std::string();
    expect.append(c.text);
    EXPECT_EQ(joined, expect) << GetParam() << ": '" << escape(c.text) << "'";
    // decode() follows llama_detokenize: the SPM space prefix comes off again.
    if (spm) {
      EXPECT_EQ(tok.decode(c.ids), c.text);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shared, VocabTest, ::testing::ValuesIn(kVocabs),
                         [](const auto& info) {
                           std::string n = info.param.substr(11, info.param.size() - 16);
                           for (char& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

TEST(Tokenizer, SpecialTokensParsedOnlyWhenAsked) {
  const Tokenizer& tok = vocab("ggml-vocab-qwen2.gguf");
  const std::string text = "<|im_start|>user\nhi<|im_end|>";
  const auto parsed = tok.encode(text, false, true);
  ASSERT_GE(parsed.size(), 3u);
  EXPECT_EQ(parsed.front(), 151644);
  EXPECT_EQ(parsed.back(), 151645);
  EXPECT_EQ(tok.decode(parsed), text);
  const auto plain = tok.encode(text, false, false);
  for (int32_t id : plain) EXPECT_LT(id, 151643) << "special token parsed from plain text";
  EXPECT_EQ(tok.decode(plain), text);
}

TEST(Tokenizer, BosAddedWhenModelAsks) {
  const Tokenizer& llama3 = vocab("ggml-vocab-llama-bpe.gguf");
  EXPECT_TRUE(llama3.add_bos());
  const auto ids = llama3.encode("Hello", true, false);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], 128000);
  const Tokenizer& spm = vocab("ggml-vocab-llama-spm.gguf");
  EXPECT_EQ(spm.encode("Hello", true, false), (std::vector<int32_t>{1, 15043}));
  EXPECT_FALSE(vocab("ggml-vocab-qwen2.gguf").add_bos());
}

TEST(Tokenizer, EndOfGeneration) {
  const Tokenizer& qwen = vocab("ggml-vocab-qwen2.gguf");
  EXPECT_TRUE(qwen.is_eog(151643));  // <|endoftext|>
  EXPECT_TRUE(qwen.is_eog(151645));  // <|im_end|>
  EXPECT_FALSE(qwen.is_eog(151644));  // <|im_start|>
  EXPECT_FALSE(qwen.is_eog(9707));
  const Tokenizer& llama3 = vocab("ggml-vocab-llama-bpe.gguf");
  EXPECT_EQ(llama3.eos(), 128001);
  EXPECT_TRUE(llama3.is_eog(128001));
  EXPECT_TRUE(llama3.is_eog(128009));  // <|eot_id|>
  EXPECT_EQ(llama3.eot(), 128009);
  EXPECT_FALSE(llama3.is_eog(128000));
  const Tokenizer& phi3 = vocab("ggml-vocab-phi-3.gguf");
  EXPECT_TRUE(phi3.is_eog(32000));  // <|endoftext|>
  EXPECT_TRUE(phi3.is_eog(32007));  // <|end|>
  EXPECT_EQ(llama3.find_token("<|eot_id|>"), std::optional<int32_t>(128009));
  EXPECT_FALSE(llama3.find_token("no such token").has_value());
}

TEST(Tokenizer, TokenTextAndBounds) {
  const Tokenizer& spm = vocab("ggml-vocab-llama-spm.gguf");
  EXPECT_EQ(spm.token_text(13), "\n");  // <0x0A>
  EXPECT_EQ(spm.token_text(15043), " Hello");
  EXPECT_EQ(spm.piece(1, false), "");
  EXPECT_EQ(spm.piece(1, true), "<s>");
  const Tokenizer& gpt2 = vocab("ggml-vocab-gpt-2.gguf");
  EXPECT_EQ(gpt2.token_text(gpt2.find_token("\xC4\xA0the").value()), " the");  // "Ġthe"
  EXPECT_THROW(gpt2.token_text(gpt2.n_vocab()), Error);
  EXPECT_THROW(gpt2.token_text(-1), Error);
}

bool valid_utf8(const std::string& s) { return tok::sanitize_utf8(s) == s; }

// Feeds ids one by one; every chunk must be valid UTF-8 and together they must give `expect`.
// Returns how many tokens produced no output (held back a partial character).
int stream(const Tokenizer& t, const std::vector<int32_t>& ids, const std::string& expect,
           Detokenizer::Options opts = {}) {
  Detokenizer d(t, opts);
  std::string all;
  int held = 0;
  for (int32_t id : ids) {
    const std::string chunk = d.push(id);
    EXPECT_TRUE(valid_utf8(chunk)) << "chunk is not valid UTF-8";
    if (chunk.empty()) ++held;
    all += chunk;
  }
  all += d.flush();
  EXPECT_EQ(all, expect);
  return held;
}

TEST(Detokenizer, HoldsBackSplitCharacters) {
  const std::string text = "llama \xF0\x9F\xA6\x99 and \xF0\x9F\x98\x80!";  // 🦙 😀
  const Tokenizer& gpt2 = vocab("ggml-vocab-gpt-2.gguf");
  const auto ids = gpt2.encode(text, false, false);
  // The emoji are split over byte tokens, so some pushes must return nothing.
  EXPECT_GT(stream(gpt2, ids, text), 0);

  const Tokenizer& spm = vocab("ggml-vocab-llama-spm.gguf");
  const auto sids = spm.encode(text, false, false);  // byte fallback: <0xF0><0x9F>...
  const std::string spaced = std::string(1, ' ').append(text);
  EXPECT_GT(stream(spm, sids, spaced), 0);
  Detokenizer::Options start;
  start.from_text_start = true;
  stream(spm, sids, text, start);
  // After BOS llama_detokenize keeps the space.
  std::vector<int32_t> with_bos = {spm.bos()};
  with_bos.insert(with_bos.end(), sids.begin(), sids.end());
  stream(spm, with_bos, spaced, start);
}

TEST(Detokenizer, FlushReplacesIncompleteTail) {
  const Tokenizer& spm = vocab("ggml-vocab-llama-spm.gguf");
  Detokenizer d(spm);
  EXPECT_EQ(d.push(spm.find_token("<0xF0>").value()), "");
  EXPECT_EQ(d.push(spm.find_token("<0x9F>").value()), "");
  EXPECT_EQ(d.flush(), "\xEF\xBF\xBD");  // U+FFFD for the cut-off sequence
  // A broken sequence followed by ASCII: the bad byte is replaced, the ASCII passes.
  EXPECT_EQ(d.push(spm.find_token("<0xE2>").value()), "");
  EXPECT_EQ(d.push(spm.find_token("<0x41>").value()), "\xEF\xBF\xBD" "A");
  EXPECT_EQ(d.flush(), "");
}

TEST(Detokenizer, ControlTokensHiddenUnlessRendered) {
  const Tokenizer& qwen = vocab("ggml-vocab-qwen2.gguf");
  Detokenizer hidden(qwen);
  EXPECT_EQ(hidden.push(151645), "");
  Detokenizer::Options o;
  o.render_special = true;
  Detokenizer shown(qwen, o);
  EXPECT_EQ(shown.push(151645), "<|im_end|>");
}

TEST(Tokenizer, RejectsFilesWithoutTokenizer) {
  const std::string path = ::testing::TempDir() + "minnow_no_tokenizer.gguf";
  {
    gguf::Writer w(path);
    w.set_str("general.architecture", "llama");
    w.write_header();
    w.finish();
  }
  auto file = gguf::File::open(path);
  EXPECT_THROW(Tokenizer::from_gguf(*file), Error);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace minnow
