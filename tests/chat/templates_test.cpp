// Every real chat template in ../shared/templates, rendered on a set of conversations by our
// engine and by Python Jinja2 (live), must match byte for byte, or both must fail.
#include <algorithm>
#include <filesystem>

#include "reference.h"

namespace minnow::chat::testing {
namespace {

ojson msg(const char* role, const std::string& content) { return ojson{{"role", role}, {"content", content}}; }

ojson tools_list() {
  return ojson::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "description": "Get the weather — in °C",
      "parameters": {"type": "object", "properties": {
        "location": {"type": "string", "description": "City, e.g. 東京"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}}},
    {"type": "function", "function": {"name": "add", "description": "Add two numbers",
      "parameters": {"type": "object", "properties": {"b": {"type": "number"}, "a": {"type": "number"}},
      "required": ["a", "b"]}, "return": {"type": "number"}}}
  ])");
}

ojson tool_call(const char* id, const char* name, const ojson& args) {
  return ojson{{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", args}}}};
}

struct Conversation {
  std::string name;
  ojson messages;
  ojson extra = ojson::object();
};

std::vector<Conversation> conversations() {
  std::vector<Conversation> c;
  c.push_back({"single_user", {msg("user", "Hello!")}});
  c.push_back({"system_user", {msg("system", "You are a terse assistant."), msg("user", "What is 2+2?")}});
  c.push_back({"multi_turn",
               {msg("system", "Be kind."), msg("user", "Hi"), msg("assistant", "Hello! How can I help?"),
                msg("user", "Tell me a joke.")}});
  c.push_back({"multi_turn_no_system",
               {msg("user", "Hi"), msg("assistant", "Hello!"), msg("user", "Bye"), msg("assistant", "Goodbye.")}});
  c.push_back({"thinking",
               {msg("user", "Why is the sky blue?"),
                msg("assistant", "<think>\nRayleigh scattering favours short wavelengths.\n</think>\n\nBecause of Rayleigh scattering."),
                msg("user", "And sunsets?")}});
  c.push_back({"non_ascii",
               {msg("system", "Réponds en français. 🤖"), msg("user", "你好，世界 🌍 café — naïve"),
                msg("assistant", "こんにちは 👋 Ελληνικά"), msg("user", "Ça va? 한국어 \u00e9\u0301")}});
  c.push_back({"special_chars",
               {msg("user", "  quotes ' \" backslash \\ {{ not a tag }} {% raw %} \t tab\n\nnew lines  "),
                msg("assistant", "ok\r\nwindows line"), msg("user", "<|im_end|> </s> [INST]")}});
  c.push_back({"consecutive_users", {msg("user", "one"), msg("user", "two")}});
  c.push_back({"assistant_first", {msg("assistant", "I start."), msg("user", "ok")}});

  Conversation tools{"tool_calls", ojson::array(), ojson::object()};
  tools.messages.push_back(msg("system", "You can call tools."));
  tools.messages.push_back(msg("user", "Weather in Paris, and 2+3?"));
  ojson call = msg("assistant", "");
  call["tool_calls"] = ojson::array({tool_call("call12345", "get_weather", {{"location", "Paris"}, {"unit", "celsius"}})});
  tools.messages.push_back(call);
  ojson result = msg("tool", "{\"temperature\": 18, \"sky\": \"cloudy ☁️\"}");
  result["tool_call_id"] = "call12345";
  tools.messages.push_back(result);
  tools.messages.push_back(msg("assistant", "It is 18 °C and cloudy."));
  tools.messages.push_back(msg("user", "Thanks!"));
  tools.extra["tools"] = tools_list();
  c.push_back(tools);

  Conversation multi{"parallel_tool_calls", ojson::array(), ojson::object()};
  multi.messages.push_back(msg("user", "Add 1+2 and 3+4."));
  ojson calls = msg("assistant", "Let me compute.");
  calls["tool_calls"] = ojson::array({tool_call("abcdefghi", "add", {{"a", 1}, {"b", 2}}),
                                      tool_call("jklmnopqr", "add", {{"a", 3.5}, {"b", 4}})});
  multi.messages.push_back(calls);
  ojson r1 = msg("tool", "3");
  r1["tool_call_id"] = "abcdefghi";
  ojson r2 = msg("tool", "7.5");
  r2["tool_call_id"] = "jklmnopqr";
  multi.messages.push_back(r1);
  multi.messages.push_back(r2);
  multi.extra["tools"] = tools_list();
  c.push_back(multi);

  Conversation no_think{"enable_thinking_false",
                        {msg("user", "Quick question"), msg("assistant", "<think>\n\n</think>\n\nSure."), msg("user", "2+2?")}};
  no_think.extra["enable_thinking"] = false;
  c.push_back(no_think);

  Conversation think_on{"enable_thinking_true", {msg("system", "Think hard /think"), msg("user", "Prove it.")}};
  think_on.extra["enable_thinking"] = true;
  c.push_back(think_on);

  Conversation reasoning{"reasoning_content", {msg("user", "Hi")}};
  ojson a = msg("assistant", "Hello there.");
  a["reasoning_content"] = "The user greets me.";
  reasoning.messages.push_back(a);
  reasoning.messages.push_back(msg("user", "Again"));
  c.push_back(reasoning);

  Conversation null_content{"null_content", {msg("user", "x")}};
  ojson nc = {{"role", "assistant"}, {"content", nullptr}};
  nc["tool_calls"] = ojson::array({tool_call("call99999", "add", {{"a", 1}, {"b", 1}})});
  null_content.messages.push_back(nc);
  c.push_back(null_content);
  return c;
}

std::vector<std::string> template_paths() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::string(MINNOW_SHARED_DIR) + "/templates")) {
    if (e.path().extension() == ".jinja") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ChatTemplates, MatchPythonJinja2OnAllSharedTemplates) {
  if (!std::filesystem::exists(std::string(MINNOW_SHARED_DIR) + "/templates")) GTEST_SKIP() << "no ../shared/templates";
  if (!python_jinja_available()) GTEST_SKIP() << "python3 with jinja2 not available";
  auto paths = template_paths();
  ASSERT_GE(paths.size(), 8u);
  std::vector<Case> cases;
  std::vector<size_t> first_case;
  for (const auto& path : paths) {
    first_case.push_back(cases.size());
    for (const auto& conv : conversations()) {
      for (bool gen : {true, false}) {
        Case c;
        c.label = std::filesystem::path(path).filename().string() + " / " + conv.name + (gen ? " +gen" : " -gen");
        c.template_path = path;
        c.context = conv.extra;
        c.context["messages"] = conv.messages;
        c.context["add_generation_prompt"] = gen;
        c.context["bos_token"] = "<s>";
        c.context["eos_token"] = "</s>";
        cases.push_back(std::move(c));
      }
    }
  }
  std::vector<Outcome> ref = run_reference(cases);
  ASSERT_EQ(ref.size(), cases.size());
  for (size_t t = 0; t < paths.size(); ++t) {
    size_t end = t + 1 < paths.size() ? first_case[t + 1] : cases.size();
    int rendered = 0;
    for (size_t i = first_case[t]; i < end; ++i) {
      Outcome ours = run_ours(cases[i]);
      if (ref[i].ok) {
        ++rendered;
        ASSERT_TRUE(ours.ok) << cases[i].label << ": python rendered, we failed: " << ours.text;
        EXPECT_EQ(ours.text, ref[i].text) << cases[i].label << " " << first_difference(ours.text, ref[i].text);
      } else {
        EXPECT_FALSE(ours.ok) << cases[i].label << ": python failed (" << ref[i].text << ") but we rendered:\n" << ours.text;
      }
    }
    // Each template must render a good share of the conversations, not just fail alike.
    EXPECT_GE(rendered, 12) << paths[t];
  }
}

}  // namespace
}  // namespace minnow::chat::testing
