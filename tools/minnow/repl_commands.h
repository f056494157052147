#pragma once
// The interactive chat's input side, free of terminal and model: slash commands, /set values,
// multi-line input between """ lines, and the conversation file format.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/sampler.h"

namespace minnow::cli {

struct ReplSettings {
  SamplerParams sampling;
  int n_predict = -1;  // per answer; < 0: until end of turn or a full context
};

// `/set NAME VALUE`. Throws minnow::Error for an unknown name or a bad value; `s` is unchanged then.
void apply_setting(ReplSettings& s, std::string_view name, std::string_view value);
// One line listing every setting /set knows, e.g. "temperature 0.8 | top_p 0.95 | ...".
std::string describe_settings(const ReplSettings& s);

struct Command {
  std::string name;  // without the slash: "set", "system", ...
  std::string arg;   // the rest of the line, surrounding blanks removed
};
// A line starting with '/' is a command; anything else is a message (nullopt).
std::optional<Command> parse_command(std::string_view line);

// Collects one input from lines. A line starting with """ opens a multi-line input (text after
// the quotes counts); it ends at a line ending with """ (text before the quotes counts).
class InputCollector {
 public:
  // The complete input once `line` finishes one, else nullopt (more lines wanted).
  std::optional<std::string> feed(std::string_view line);
  bool in_multiline() const { return open_; }
  void reset();

 private:
  bool open_ = false;
  std::vector<std::string> lines_;
};

// A saved conversation: {"messages": [{"role": "...", "content": "..."}, ...]} or a bare list.
// Throws minnow::Error naming `label` for invalid JSON or messages without string role/content.
nlohmann::ordered_json parse_conversation(std::string_view json_text, const std::string& label);
std::string format_conversation(const nlohmann::ordered_json& messages);

}  // namespace minnow::cli
