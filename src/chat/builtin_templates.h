#pragma once
// Fallback chat templates for models whose GGUF carries no tokenizer.chat_template.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minnow::chat {

// Template source for a family: "chatml", "llama3", "deepseek-r1", "gemma", "phi3".
std::optional<std::string_view> builtin_template(std::string_view family);

// Picks a family from general.architecture and the vocabulary's token texts (which tell, e.g.,
// a DeepSeek-R1 distill apart from Qwen although both are qwen2). nullopt when unknown.
std::optional<std::string> guess_template_family(std::string_view arch, const std::vector<std::string_view>& tokens);

}  // namespace minnow::chat
