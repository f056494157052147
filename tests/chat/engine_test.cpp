// Engine behaviour that needs no Python: exact outputs, clear errors with positions, limits
// on hostile templates, the reasoning splitter and the built-in templates.
#include <gtest/gtest.h>

#include <string>

#include "chat/builtin_templates.h"
#include "chat/reasoning.h"
#include "chat/template.h"

namespace minnow::chat {
namespace {

using ojson = nlohmann::ordered_json;

std::string render(const std::string& src, const ojson& ctx = ojson::object()) {
  return ChatTemplate::parse(src).render(ctx);
}

// Returns the error message, failing the test if there is none.
std::string error_of(const std::string& src, const ojson& ctx = ojson::object()) {
  try {
    render(src, ctx);
  } catch (const TemplateError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a TemplateError: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error for: " << src.substr(0, 80);
  return "";
}

TEST(Engine, PythonValueSpelling) {
  EXPECT_EQ(render("{{ none }} {{ true }} {{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 10 / 4 }}"),
            "None True 1.0 0.30000000000000004 1e+16 2.5");
  EXPECT_EQ(render("{{ ['a', \"it's\", {'k': none}] }}"), "['a', \"it's\", {'k': None}]");
  EXPECT_EQ(render("{{ x|tojson }}", ojson::parse(R"({"x": {"b": 1, "a": ["é", 1.5, null]}})")),
            R"({"b": 1, "a": ["é", 1.5, null]})");
  EXPECT_EQ(render("{{ x|tojson(indent=2) }}", ojson::parse(R"({"x": {"a": [1]}})")), "{\n  \"a\": [\n    1\n  ]\n}");
}

TEST(Engine, WhitespaceControlAsHuggingFace) {
  EXPECT_EQ(render("a\n  {% if true %}\n  b\n  {% endif %}\nc\n"), "a\n  b\nc");
  EXPECT_EQ(render("a  {%- if true -%}  b  {%- endif %}"), "ab");
  EXPECT_EQ(render("{{ 'x' }}\n{# c #}\ny"), "x\ny");
}

TEST(Engine, NamespaceAndLoopScoping) {
  EXPECT_EQ(render("{% set ns = namespace(n=0) %}{% set x = 1 %}{% for i in [1, 2, 3] %}"
                   "{% set ns.n = ns.n + i %}{% set x = 5 %}{% endfor %}{{ ns.n }}{{ x }}"),
            "61");
}

TEST(Engine, RaiseExceptionCarriesMessageAndPosition) {
  try {
    render("ok\n{{ raise_exception('Roles must alternate') }}");
    FAIL() << "expected an error";
  } catch (const TemplateError& e) {
    EXPECT_TRUE(e.raised());
    EXPECT_EQ(e.message(), "Roles must alternate");
    EXPECT_EQ(e.line(), 2);
    EXPECT_NE(std::string(e.what()).find("2:"), std::string::npos);
  }
}

TEST(Engine, SyntaxErrorsNameTheProblemAndPosition) {
  EXPECT_NE(error_of("{% if x %}open").find("chat template 1:1: unclosed 'if' block"), std::string::npos);
  EXPECT_NE(error_of("a\n{% for m in x %}\n{% if y %}{% endfor %}").find("unexpected 'endfor'"), std::string::npos);
  EXPECT_NE(error_of("{{ x | nosuchfilter }}").find("no filter named 'nosuchfilter'"), std::string::npos);
  EXPECT_NE(error_of("{% if false %}{{ x is nosuchtest }}{% endif %}").find("no test named 'nosuchtest'"), std::string::npos);
  EXPECT_NE(error_of("{{ 1 + }}").find("1:8"), std::string::npos);
  EXPECT_NE(error_of("{{ 'unterminated }}").find("unterminated string"), std::string::npos);
  EXPECT_NE(error_of("{% frobnicate %}").find("unknown tag 'frobnicate'"), std::string::npos);
  EXPECT_NE(error_of("{{ x").find("unclosed '{{'"), std::string::npos);
  EXPECT_NE(error_of("{# never closed").find("unclosed comment"), std::string::npos);
  EXPECT_NE(error_of("{% endif %}").find("no open block"), std::string::npos);
}

TEST(Engine, RuntimeErrorsAreClear) {
  EXPECT_NE(error_of("{{ missing() }}").find("'missing' is undefined"), std::string::npos);
  EXPECT_NE(error_of("\n  {{ a.b.c }}").find("2:"), std::string::npos);
  EXPECT_NE(error_of("{{ 'a' + 1 }}").find("can only concatenate str"), std::string::npos);
  EXPECT_NE(error_of("{{ [].append(1) }}").find("unsafe"), std::string::npos);
  EXPECT_NE(error_of("{% break %}").find("outside of a loop"), std::string::npos);
}

TEST(Engine, MacroInfiniteRecursionIsAnError) {
  EXPECT_NE(error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").find("recursion"), std::string::npos);
}

TEST(Engine, DeeplyNestedExpressionsAreRejected) {
  std::string parens = std::string(100000, '(') + "1" + std::string(100000, ')');
  EXPECT_NE(error_of("{{ " + parens + " }}").find("nested too deeply"), std::string::npos);
  std::string chain = "{{ x";
  for (int i = 0; i < 100000; ++i) chain += ".a";
  EXPECT_NE(error_of(chain + " }}").find("nested too deeply"), std::string::npos);
  std::string sum = "{{ 1";
  for (int i = 0; i < 100000; ++i) sum += "+1";
  EXPECT_NE(error_of(sum + " }}").find("nested too deeply"), std::string::npos);
  std::string ifs;
  for (int i = 0; i < 100000; ++i) ifs += "{% if true %}";
  EXPECT_NE(error_of(ifs).find("nested too deeply"), std::string::npos);
  std::string nots = "{{ " ;
  for (int i = 0; i < 100000; ++i) nots += "not ";
  EXPECT_NE(error_of(nots + "1 }}").find("nested too deeply"), std::string::npos);
}

TEST(Engine, LoopAndOutputLimits) {
  EXPECT_NE(error_of("{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}").find("iterations"),
            std::string::npos);
  EXPECT_NE(error_of("{{ 'x' * 200000000 }}").find("100 MB"), std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace(s='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx') %}"
                     "{% for i in range(30) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}")
                .find("100 MB"),
            std::string::npos);
}

TEST(Engine, TenMegabyteTemplateParsesAndRenders) {
  std::string src;
  src.reserve(11 << 20);
  const std::string unit = "{% if messages %}{{ messages[0].content }}{% endif %} text {# c #}\n";
  while (src.size() < (10u << 20)) src += unit;
  auto t = ChatTemplate::parse(src);
  std::string out = t.render(ojson{{"messages", ojson::array({ojson{{"content", "hi"}}})}});
  EXPECT_GT(out.size(), 1000000u);
  // A 10 MB template of plain text, and one of a single giant unclosed tag, fail or pass fast.
  EXPECT_EQ(render(std::string(10 << 20, 'a')).size(), size_t{10} << 20);
  EXPECT_NE(error_of("{{ " + std::string(10 << 20, 'a')).find("unclosed"), std::string::npos);
}

TEST(Engine, MalformedInputsNeverCrash) {
  const char* bad[] = {"{%", "{{", "{#", "{% if %}", "{% for %}", "{% for x in %}{% endfor %}", "{% set %}",
                       "{{ [1, 2 }}", "{{ {'a' 1} }}", "{{ x[ }}", "{{ x. }}", "{{ 1 if }}", "{% macro %}",
                       "{% endfor %}", "{% else %}", "{{ x | }}", "{{ x is }}", "{% raw %}no end", "{{ 0x }}",
                       "{{ '\\x4' }}", "{% call %}{% endcall %}", "{{ (1, }}", "}}", "%}", "{{ ) }}", "{{ ~ }}"};
  for (const char* src : bad) {
    try {
      render(src);
    } catch (const TemplateError&) {
    }
  }
  // Pseudo-random byte soup over the template alphabet.
  const std::string alphabet = "{}%#-+ ()[]'\"|.,:=<>!~*/ifendforsetxy0123\n";
  uint32_t seed = 12345;
  int errors = 0;
  for (int n = 0; n < 2000; ++n) {
    std::string src;
    for (int i = 0; i < 40; ++i) {
      seed = seed * 1664525u + 1013904223u;
      src += alphabet[(seed >> 16) % alphabet.size()];
    }
    try {
      render(src);
    } catch (const TemplateError&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}

TEST(Reasoning, SplitsTagsAcrossChunks) {
  ReasoningSplitter s;
  std::string reasoning, content;
  for (const char* chunk : {"<th", "ink>\nstep 1", " step 2</", "thi", "nk>\n\nThe answer", " is 4.<", "b>"}) {
    auto c = s.feed(chunk);
    reasoning += c.reasoning;
    content += c.content;
  }
  auto c = s.finish();
  reasoning += c.reasoning;
  content += c.content;
  EXPECT_EQ(reasoning, "\nstep 1 step 2");
  EXPECT_EQ(content, "\n\nThe answer is 4.<b>");
  EXPECT_FALSE(s.in_thinking());
}

TEST(Reasoning, StartsInThinkingForDeepSeekR1) {
  ReasoningSplitter s(true);
  auto a = s.feed("hmm, let me think</think>Answer");
  EXPECT_EQ(a.reasoning, "hmm, let me think");
  EXPECT_EQ(a.content, "Answer");
}

TEST(Reasoning, UnfinishedThinkingAndPartialTagsAreFlushed) {
  ReasoningSplitter s;
  auto a = s.feed("plain <thi");
  EXPECT_EQ(a.content, "plain ");
  auto b = s.finish();
  EXPECT_EQ(b.content, "<thi");
  ReasoningSplitter t;
  auto c = t.feed("<think>never closed </thi");
  EXPECT_EQ(c.reasoning, "never closed ");
  EXPECT_TRUE(t.in_thinking());
  EXPECT_EQ(t.finish().reasoning, "</thi");
}

TEST(Reasoning, ByteAtATimeEqualsWhole) {
  const std::string text = "<think>a</think>b<think>c</think>d </think";
  ReasoningSplitter whole;
  auto w = whole.feed(text);
  auto wf = whole.finish();
  ReasoningSplitter bytes;
  std::string r, c;
  for (char ch : text) {
    auto x = bytes.feed(std::string(1, ch));
    r += x.reasoning;
    c += x.content;
  }
  auto f = bytes.finish();
  EXPECT_EQ(r + f.reasoning, w.reasoning + wf.reasoning);
  EXPECT_EQ(c + f.content, w.content + wf.content);
  EXPECT_EQ(w.reasoning, "ac");
  EXPECT_EQ(w.content + wf.content, "bd </think");
}

TEST(BuiltinTemplates, RenderKnownFormats) {
  ojson msgs = ojson::parse(R"([{"role": "system", "content": "S"}, {"role": "user", "content": "U"},
                                {"role": "assistant", "content": "<think>r</think>A"}, {"role": "user", "content": "V"}])");
  auto run = [&](const char* fam) { return render_chat(std::string(*builtin_template(fam)), msgs, true, "<s>", "</s>", ojson()); };
  EXPECT_EQ(run("chatml"),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n<think>r</think>A<|im_end|>\n"
            "<|im_start|>user\nV<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(run("llama3"),
            "<s><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n<think>r</think>A<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nV<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(run("deepseek-r1"), "<s>S<｜User｜>U<｜Assistant｜>A<｜end▁of▁sentence｜><｜User｜>V<｜Assistant｜><think>\n");
  EXPECT_EQ(run("gemma"),
            "<s><start_of_turn>user\nS\n\nU<end_of_turn>\n<start_of_turn>model\n<think>r</think>A<end_of_turn>\n"
            "<start_of_turn>user\nV<end_of_turn>\n<start_of_turn>model\n");
  EXPECT_EQ(run("phi3"), "<|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|assistant|>\n<think>r</think>A<|end|>\n<|user|>\nV<|end|>\n<|assistant|>\n");
  EXPECT_FALSE(builtin_template("nope").has_value());
}

TEST(BuiltinTemplates, FamilyGuess) {
  EXPECT_EQ(guess_template_family("qwen2", {"<|im_start|>"}), "chatml");
  EXPECT_EQ(guess_template_family("qwen2", {"<｜User｜>", "<｜Assistant｜>"}), "deepseek-r1");
  EXPECT_EQ(guess_template_family("llama", {"<|start_header_id|>", "<|eot_id|>"}), "llama3");
  EXPECT_EQ(guess_template_family("gemma2", {}), "gemma");
  EXPECT_EQ(guess_template_family("phi3", {}), "phi3");
  EXPECT_FALSE(guess_template_family("gpt2", {}).has_value());
}

}  // namespace
}  // namespace minnow::chat
