// `minnow template render`: the subcommand function driven with argv, stdout captured.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "chat/template.h"
#include "support/scratch_dir.h"
#include "commands.h"
#include "util/error.h"

namespace {

using ojson = nlohmann::ordered_json;
const std::string kShared = MINNOW_SHARED_DIR;

std::string temp_file(const std::string& name, const std::string& content) {
  const auto path = minnow::testing::scratch_dir() / name;
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

// Runs cmd_template with stdout redirected to a file; returns what it printed.
std::string run(std::vector<std::string> argv) {
  argv.insert(argv.begin(), "template");
  std::vector<char*> ptrs;
  for (auto& a : argv) ptrs.push_back(a.data());
  std::string out_path = temp_file("stdout", "");
  std::fflush(stdout);
  int saved = dup(1);
  FILE* f = std::fopen(out_path.c_str(), "wb");
  dup2(fileno(f), 1);
  struct Restore {
    int saved;
    FILE* f;
    ~Restore() {
      std::fflush(stdout);
      dup2(saved, 1);
      close(saved);
      std::fclose(f);
    }
  };
  {
    Restore r{saved, f};
    minnow::cli::cmd_template(static_cast<int>(ptrs.size()), ptrs.data());
  }
  std::ifstream in(out_path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const char* kMessages = R"({"messages": [{"role": "system", "content": "Be brief. 🙂"}, {"role": "user", "content": "Hi 你好"}],
                           "extra": {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"z": 1, "a": 2}}}]}})";

TEST(TemplateCli, RendersTemplateFileExactly) {
  const std::string tmpl = kShared + "/templates/Qwen-Qwen2.5-7B-Instruct.jinja";
  if (!std::filesystem::exists(tmpl)) GTEST_SKIP() << "no ../shared/templates";
  std::string msgs = temp_file("m.json", kMessages);
  std::ifstream tf(tmpl, std::ios::binary);
  std::string src((std::istreambuf_iterator<char>(tf)), std::istreambuf_iterator<char>());
  ojson j = ojson::parse(kMessages);
  EXPECT_EQ(run({"render", "--template", tmpl, "--messages", msgs}),
            minnow::chat::render_chat(src, j["messages"], true, "", "", j["extra"]));
  std::string no_gen = run({"render", "--template", tmpl, "--messages", msgs, "--no-gen"});
  EXPECT_EQ(no_gen, minnow::chat::render_chat(src, j["messages"], false, "", "", j["extra"]));
  EXPECT_NE(no_gen.find(R"({"z": 1, "a": 2})"), std::string::npos);  // key order kept
}

TEST(TemplateCli, BareListAndBosEosFlags) {
  std::string tmpl = temp_file("t.jinja", "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}{{ add_generation_prompt }}");
  std::string msgs = temp_file("list.json", R"([{"role": "user", "content": "x"}])");
  EXPECT_EQ(run({"render", "--template", tmpl, "--messages", msgs, "--bos", "<B>", "--eos", "<E>"}), "<B>x<E>True");
  EXPECT_EQ(run({"render", "--template", tmpl, "--messages", msgs, "--no-gen"}), "xFalse");
}

TEST(TemplateCli, ModelTemplateAndBuiltinFallback) {
  const std::string qwen = kShared + "/vocab/ggml-vocab-qwen2.gguf";
  const std::string llama = kShared + "/vocab/ggml-vocab-llama-bpe.gguf";
  if (!std::filesystem::exists(qwen)) GTEST_SKIP() << "no ../shared/vocab";
  std::string msgs = temp_file("m2.json", R"([{"role": "user", "content": "Hi"}])");
  std::string q = run({"render", "--model", qwen, "--messages", msgs});
  EXPECT_NE(q.find("<|im_start|>user\nHi<|im_end|>\n"), std::string::npos) << q;
  EXPECT_TRUE(q.ends_with("<|im_start|>assistant\n")) << q;
  // The Llama 3 vocab file has no chat template: the built-in llama3 one is used, with the
  // model's BOS text.
  std::string l = run({"render", "--model", llama, "--messages", msgs});
  EXPECT_EQ(l, "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
               "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(TemplateCli, BadInputsAreErrors) {
  std::string tmpl = temp_file("t2.jinja", "{{ messages }}");
  std::string bad = temp_file("bad.json", "{not json");
  std::string wrong = temp_file("wrong.json", R"({"msgs": []})");
  EXPECT_THROW(run({"render", "--template", tmpl}), minnow::Error);
  EXPECT_THROW(run({"render", "--template", tmpl, "--messages", bad}), minnow::Error);
  EXPECT_THROW(run({"render", "--template", tmpl, "--messages", wrong}), minnow::Error);
  EXPECT_THROW(run({"render", "--messages", wrong}), minnow::Error);
  EXPECT_THROW(run({"render", "--template", "/nonexistent.jinja", "--messages", wrong}), minnow::Error);
  std::string raising = temp_file("r.jinja", "{{ raise_exception('nope') }}");
  std::string list = temp_file("l.json", "[]");
  EXPECT_THROW(run({"render", "--template", raising, "--messages", list}), minnow::chat::TemplateError);
}

}  // namespace
