// The interactive chat's pure parts: /set, command lines, multi-line input, conversation files,
// and the prompt plan that lets a turn prefill only its new tokens.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "repl_commands.h"
#include "repl_prompt.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace minnow::cli {
namespace {

TEST(ReplSettings, AppliesEveryKnownName) {
  ReplSettings s;
  apply_setting(s, "temperature", "0.25");
  apply_setting(s, "top_p", "0.5");
  apply_setting(s, "top_k", "7");
  apply_setting(s, "min_p", "0");
  apply_setting(s, "seed", "18446744073709551615");
  apply_setting(s, "repeat_penalty", " 1.1 ");
  apply_setting(s, "n_predict", "-1");
  EXPECT_FLOAT_EQ(s.sampling.temperature, 0.25f);
  EXPECT_FLOAT_EQ(s.sampling.top_p, 0.5f);
  EXPECT_EQ(s.sampling.top_k, 7);
  EXPECT_FLOAT_EQ(s.sampling.min_p, 0.0f);
  EXPECT_EQ(s.sampling.seed, 18446744073709551615ull);
  EXPECT_FLOAT_EQ(s.sampling.repeat_penalty, 1.1f);
  EXPECT_EQ(s.n_predict, -1);
  const std::string d = describe_settings(s);
  EXPECT_NE(d.find("top_k 7"), std::string::npos) << d;
  EXPECT_NE(d.find("n_predict -1"), std::string::npos) << d;
}

TEST(ReplSettings, RejectsUnknownNamesAndBadValuesLeavingSettingsAlone) {
  ReplSettings s;
  s.n_predict = 5;
  const ReplSettings before = s;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"colour", "1"},       {"temperature", "hot"}, {"temperature", "-1"}, {"temperature", "nan"},
      {"temperature", "inf"}, {"top_p", "0"},        {"top_p", "1.5"},      {"top_k", "-1"},
      {"top_k", "3.5"},      {"min_p", "2"},         {"seed", "-3"},        {"seed", ""},
      {"repeat_penalty", "0"}, {"n_predict", "-2"},  {"n_predict", "12x"},  {"n_predict", "99999999999"}};
  for (const auto& [name, value] : bad) {
    EXPECT_THROW(apply_setting(s, name, value), Error) << name << " " << value;
    EXPECT_EQ(s.n_predict, before.n_predict);
    EXPECT_EQ(s.sampling.temperature, before.sampling.temperature);
    EXPECT_EQ(s.sampling.top_k, before.sampling.top_k);
  }
}

TEST(ReplCommands, ParsesNameAndArgument) {
  EXPECT_FALSE(parse_command("hello /set"));
  EXPECT_FALSE(parse_command(""));
  auto c = parse_command("  /system   Be brief.  ");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "system");
  EXPECT_EQ(c->arg, "Be brief.");
  c = parse_command("/bye");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "bye");
  EXPECT_EQ(c->arg, "");
}

TEST(InputCollector, SingleLinesPassThrough) {
  InputCollector in;
  EXPECT_EQ(in.feed("hello"), "hello");
  EXPECT_FALSE(in.in_multiline());
  EXPECT_EQ(in.feed("\"\"\"all on one line\"\"\""), "all on one line");
}

TEST(InputCollector, MultiLineBetweenTripleQuotes) {
  InputCollector in;
  EXPECT_FALSE(in.feed("\"\"\""));
  EXPECT_TRUE(in.in_multiline());
  EXPECT_FALSE(in.feed("first"));
  EXPECT_FALSE(in.feed(""));
  EXPECT_FALSE(in.feed("/not a command"));
  EXPECT_EQ(in.feed("last\"\"\""), "first\n\n/not a command\nlast");
  EXPECT_FALSE(in.in_multiline());

  EXPECT_FALSE(in.feed("\"\"\"opening text"));
  EXPECT_EQ(in.feed("\"\"\""), "opening text");

  EXPECT_FALSE(in.feed("\"\"\"dropped"));
  in.reset();
  EXPECT_EQ(in.feed("fresh"), "fresh");
}

TEST(Conversation, RoundTripsAndRejectsBadFiles) {
  const auto msgs = parse_conversation(
      R"({"messages":[{"role":"system","content":"s"},{"role":"user","content":"q\n\"x\""}]})", "f.json");
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(parse_conversation(format_conversation(msgs), "again"), msgs);
  EXPECT_EQ(parse_conversation(R"([{"role":"user","content":"bare list"}])", "f").size(), 1u);
  EXPECT_THROW(parse_conversation("{", "f"), Error);
  EXPECT_THROW(parse_conversation(R"({"msgs":[]})", "f"), Error);
  EXPECT_THROW(parse_conversation(R"({"messages":[{"role":"user"}]})", "f"), Error);
  EXPECT_THROW(parse_conversation(R"({"messages":[{"role":1,"content":"x"}]})", "f"), Error);
  EXPECT_THROW(parse_conversation(R"({"messages":[3]})", "f"), Error);
}

TEST(Thinking, GenerationPromptOpeningThink) {
  EXPECT_TRUE(opens_thinking("<|Assistant|><think>\n"));
  EXPECT_FALSE(opens_thinking("<|im_start|>assistant\n"));
  EXPECT_FALSE(opens_thinking("<think>x</think>\n"));
}

class PromptPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = std::string(MINNOW_SHARED_DIR) + "/vocab/ggml-vocab-qwen2.gguf";
    file_ = gguf::File::open(path);
    tok_ = Tokenizer::from_gguf(*file_);
  }
  std::unique_ptr<gguf::File> file_;
  std::unique_ptr<Tokenizer> tok_;
};

constexpr const char* kTurn1 = "<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n";
constexpr const char* kSuffix = "<|im_end|>\n<|im_start|>user\nMore?<|im_end|>\n<|im_start|>assistant\n";

TEST_F(PromptPlanTest, FreshSessionTokenizesTheWholeRender) {
  const PromptPlan p = plan_prompt(*tok_, HeldText{}, {}, kTurn1);
  EXPECT_FALSE(p.extends);
  EXPECT_EQ(p.tokens, encode_rendered(*tok_, kTurn1));
  EXPECT_EQ(p.tokens.front(), *tok_->find_token("<|im_start|>"));  // special tokens parsed
}

TEST_F(PromptPlanTest, ExtensionTokenizesOnlyTheNewSuffix) {
  // After turn 1 the session holds the prompt and an answer whose tokens need not be the
  // canonical tokenization of its text ("Hi" as two single-letter tokens).
  HeldText held;
  held.tokens = encode_rendered(*tok_, kTurn1);
  for (const char* piece : {"H", "i"}) held.tokens.push_back(tok_->encode(piece, false, false).at(0));
  held.text = std::string(kTurn1) + generated_text(*tok_, std::span(held.tokens).last(2));
  ASSERT_EQ(held.text, std::string(kTurn1) + "Hi");

  const std::string render = held.text + kSuffix;
  const PromptPlan p = plan_prompt(*tok_, held, held.tokens, render);
  ASSERT_TRUE(p.extends);
  const auto suffix = tok_->encode(kSuffix, false, true);
  EXPECT_EQ(p.n_new, suffix.size());
  ASSERT_EQ(p.tokens.size(), held.tokens.size() + suffix.size());
  EXPECT_TRUE(std::equal(held.tokens.begin(), held.tokens.end(), p.tokens.begin()));
  EXPECT_TRUE(std::equal(suffix.begin(), suffix.end(), p.tokens.begin() + long(held.tokens.size())));
  // The whole render tokenizes "Hi" differently: only the extension keeps the cached tokens.
  EXPECT_NE(encode_rendered(*tok_, render), p.tokens);
}

TEST_F(PromptPlanTest, RewrittenHistoryOrChangedSessionFallsBackToTheWholeRender) {
  HeldText held;
  held.tokens = encode_rendered(*tok_, kTurn1);
  held.text = kTurn1;
  // A template that rewrote the earlier turn: the render no longer starts with the held text.
  const std::string rewritten = std::string("<|im_start|>system\nx<|im_end|>\n") + kTurn1 + "Hi" + kSuffix;
  PromptPlan p = plan_prompt(*tok_, held, held.tokens, rewritten);
  EXPECT_FALSE(p.extends);
  EXPECT_EQ(p.tokens, encode_rendered(*tok_, rewritten));
  // The session no longer holds what was remembered (e.g. /clear).
  const std::string extended = std::string(kTurn1) + "Hi" + kSuffix;
  p = plan_prompt(*tok_, held, {}, extended);
  EXPECT_FALSE(p.extends);
  EXPECT_EQ(p.tokens, encode_rendered(*tok_, extended));
}

TEST_F(PromptPlanTest, GeneratedTextMarksIncompleteUtf8) {
  const auto e_acute = tok_->encode("\xC3\xA9", false, false);
  EXPECT_EQ(generated_text(*tok_, e_acute), "\xC3\xA9");
  // Byte-level BPE spells byte 0xC3 alone as "\u00C3": a lone lead byte, never equal to any text
  // that was shown, so the next turn cannot mistake it for a prefix.
  const auto lead = tok_->find_token("\xC3\x83");
  ASSERT_TRUE(lead);
  EXPECT_EQ(generated_text(*tok_, std::vector<int32_t>{*lead}), "\xEF\xBF\xBD");
}

}  // namespace
}  // namespace minnow::cli
