#include "model_chat.h"

#include <string_view>
#include <vector>

#include "chat/builtin_templates.h"
#include "util/error.h"

namespace minnow::cli {

namespace {

std::string token_text(const gguf::File& f, const gguf::Value* tokens, const char* id_key) {
  auto id = f.get_uint(id_key);
  if (!id || !tokens || *id >= tokens->strings.size()) return "";
  return std::string(tokens->strings[*id]);
}

}  // namespace

ModelChat model_chat(const gguf::File& f, const std::string& label) {
  ModelChat m;
  const gguf::Value* tokens = f.find("tokenizer.ggml.tokens");
  if (tokens && tokens->type != gguf::ValueType::ARRAY) tokens = nullptr;
  m.bos = token_text(f, tokens, "tokenizer.ggml.bos_token_id");
  m.eos = token_text(f, tokens, "tokenizer.ggml.eos_token_id");
  if (auto t = f.get_str("tokenizer.chat_template")) {
    m.tmpl = std::string(*t);
    return m;
  }
  const std::string arch(f.get_str("general.architecture").value_or(""));
  std::vector<std::string_view> texts;
  if (tokens) texts = tokens->strings;
  auto family = chat::guess_template_family(arch, texts);
  if (!family) throw Error(label + ": no tokenizer.chat_template and no built-in template for architecture '" + arch + "'");
  m.tmpl = std::string(*chat::builtin_template(*family));
  m.builtin_family = *family;
  return m;
}

}  // namespace minnow::cli
