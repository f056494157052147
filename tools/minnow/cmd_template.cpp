// minnow template render (--template FILE.jinja | --model MODEL.gguf) --messages M.json
//                        [--no-gen] [--bos S] [--eos S]
// Prints the rendered prompt exactly (no newline added). M.json is {"messages": [...],
// "extra": {...}} or a bare message list; `extra` holds further template variables (tools,
// enable_thinking, ...). With --model the template and the BOS/EOS texts come from the GGUF;
// a model without tokenizer.chat_template gets a built-in template chosen by family.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "args.h"
#include "chat/template.h"
#include "commands.h"
#include "gguf/gguf.h"
#include "model_chat.h"
#include "util/error.h"

namespace minnow::cli {

namespace {

constexpr const char* kUsage =
    "usage: minnow template render (--template FILE.jinja | --model MODEL.gguf) --messages M.json "
    "[--no-gen] [--bos S] [--eos S]";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path + "'");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error("cannot read '" + path + "'");
  return s;
}

ModelChat load_model_chat(const std::string& path) {
  const auto f = gguf::File::open(path);
  ModelChat m = model_chat(*f, path);
  if (!m.builtin_family.empty())
    std::fprintf(stderr, "minnow: %s has no chat template; using the built-in '%s' template\n", path.c_str(), m.builtin_family.c_str());
  return m;
}

}  // namespace

int cmd_template(int argc, char** argv) {
  Args args(argc, argv);
  const auto tmpl_path = args.value({"--template"});
  const auto model_path = args.value({"--model", "-m"});
  const auto messages_path = args.value({"--messages"});
  const auto bos_arg = args.value({"--bos"});
  const auto eos_arg = args.value({"--eos"});
  const bool no_gen = args.flag({"--no-gen"});
  const auto pos = args.positionals();
  if (pos.size() != 1 || pos[0] != "render") throw Error(kUsage);
  if (tmpl_path.has_value() == model_path.has_value()) throw Error(std::string("template: give exactly one of --template or --model\n") + kUsage);
  if (!messages_path) throw Error(std::string("template: --messages is required\n") + kUsage);

  ModelChat chat;
  if (model_path) chat = load_model_chat(*model_path);
  else chat.tmpl = read_all(*tmpl_path);
  if (bos_arg) chat.bos = *bos_arg;
  if (eos_arg) chat.eos = *eos_arg;

  nlohmann::ordered_json input;
  try {
    input = nlohmann::ordered_json::parse(read_all(*messages_path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(*messages_path + ": invalid JSON: " + e.what());
  }
  nlohmann::ordered_json messages, extra = nlohmann::ordered_json::object();
  if (input.is_array()) {
    messages = input;
  } else if (input.is_object() && input.contains("messages") && input["messages"].is_array()) {
    messages = input["messages"];
    if (input.contains("extra")) extra = input["extra"];
    if (!extra.is_object()) throw Error(*messages_path + ": \"extra\" must be an object");
  } else {
    throw Error(*messages_path + ": expected a list of messages or {\"messages\": [...], \"extra\": {...}}");
  }

  const std::string out = chat::render_chat(chat.tmpl, messages, !no_gen, chat.bos, chat.eos, extra);
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    throw Error("template: cannot write to stdout");
  }
  return 0;
}

}  // namespace minnow::cli
