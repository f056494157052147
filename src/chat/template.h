#pragma once
// Chat templates: a Jinja2 engine covering what real chat templates use, matching Python
// Jinja2 configured as Hugging Face transformers does (trim_blocks, lstrip_blocks,
// loopcontrols, raise_exception, tojson without ASCII escaping, strftime_now) byte for byte.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace minnow::chat {

// Parse or render failure. what() reads "chat template <line>:<col>: <message>".
class TemplateError : public minnow::Error {
 public:
  TemplateError(int line, int col, const std::string& message, bool raised = false);
  int line() const { return line_; }
  int col() const { return col_; }
  const std::string& message() const { return message_; }
  // True when the template itself called raise_exception(message).
  bool raised() const { return raised_; }

 private:
  int line_;
  int col_;
  std::string message_;
  bool raised_;
};

struct Program;  // parsed form (chat/ast.h)

class ChatTemplate {
 public:
  // Throws TemplateError for syntax errors (unclosed blocks, unknown tags, bad expressions).
  static ChatTemplate parse(std::string source);

  // `context` is a JSON object of top-level variables. Use ordered_json to keep the key order
  // of objects (tojson and dict iteration follow it, as Python does).
  std::string render(const nlohmann::ordered_json& context) const;
  std::string render(const nlohmann::json& context) const;

 private:
  std::shared_ptr<const Program> program_;
};

// Renders a chat: variables messages, add_generation_prompt, bos_token, eos_token, plus every
// key of `extra` (tools, enable_thinking, ...; a null `extra` adds nothing).
std::string render_chat(const std::string& tmpl, const nlohmann::ordered_json& messages,
                        bool add_generation_prompt, const std::string& bos, const std::string& eos,
                        const nlohmann::ordered_json& extra);
std::string render_chat(const std::string& tmpl, const nlohmann::json& messages,
                        bool add_generation_prompt, const std::string& bos, const std::string& eos,
                        const nlohmann::json& extra);

}  // namespace minnow::chat
