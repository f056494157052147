#pragma once
// A model's chat template and its BOS/EOS texts, as `minnow template render --model` and the
// interactive chat use them.
#include <string>

#include "gguf/gguf.h"

namespace minnow::cli {

struct ModelChat {
  std::string tmpl;
  std::string bos;
  std::string eos;
  // Set when the GGUF has no tokenizer.chat_template and a built-in one was chosen ("chatml", ...).
  std::string builtin_family;
};

// The GGUF's tokenizer.chat_template, or a built-in template chosen by family. `label` names the
// file in the error thrown when neither exists.
ModelChat model_chat(const gguf::File& f, const std::string& label);

}  // namespace minnow::cli
