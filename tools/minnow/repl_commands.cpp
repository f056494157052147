#include "repl_commands.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "util/error.h"

namespace minnow::cli {

namespace {

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

template <typename T>
T parse_whole(std::string_view name, std::string_view text) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw Error("/set " + std::string(name) + ": '" + std::string(text) + "' is not a valid " +
                (std::is_floating_point_v<T> ? "number" : "integer"));
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) throw Error("/set " + std::string(name) + ": the value must be finite");
  }
  return v;
}

void require(bool ok, std::string_view name, const char* range) {
  if (!ok) throw Error("/set " + std::string(name) + ": the value must be " + range);
}

}  // namespace

void apply_setting(ReplSettings& s, std::string_view name, std::string_view value) {
  value = trim(value);
  ReplSettings n = s;
  if (name == "temperature" || name == "temp") {
    n.sampling.temperature = parse_whole<float>(name, value);
    require(n.sampling.temperature >= 0, name, ">= 0 (0: greedy)");
  } else if (name == "top_p") {
    n.sampling.top_p = parse_whole<float>(name, value);
    require(n.sampling.top_p > 0 && n.sampling.top_p <= 1, name, "in (0, 1] (1: off)");
  } else if (name == "top_k") {
    n.sampling.top_k = parse_whole<int>(name, value);
    require(n.sampling.top_k >= 0, name, ">= 0 (0: off)");
  } else if (name == "min_p") {
    n.sampling.min_p = parse_whole<float>(name, value);
    require(n.sampling.min_p >= 0 && n.sampling.min_p <= 1, name, "in [0, 1] (0: off)");
  } else if (name == "seed") {
    n.sampling.seed = parse_whole<uint64_t>(name, value);
  } else if (name == "repeat_penalty") {
    n.sampling.repeat_penalty = parse_whole<float>(name, value);
    require(n.sampling.repeat_penalty > 0, name, "> 0 (1: off)");
  } else if (name == "n_predict") {
    n.n_predict = parse_whole<int>(name, value);
    require(n.n_predict >= -1, name, ">= -1 (-1: until the answer ends)");
  } else {
    throw Error("/set: unknown setting '" + std::string(name) +
                "' (known: temperature top_p top_k min_p seed repeat_penalty n_predict)");
  }
  s = n;
}

std::string describe_settings(const ReplSettings& s) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "temperature %g | top_p %g | top_k %d | min_p %g | seed %llu | repeat_penalty %g | n_predict %d",
                double(s.sampling.temperature), double(s.sampling.top_p), s.sampling.top_k,
                double(s.sampling.min_p), static_cast<unsigned long long>(s.sampling.seed),
                double(s.sampling.repeat_penalty), s.n_predict);
  return buf;
}

std::optional<Command> parse_command(std::string_view line) {
  line = trim(line);
  if (line.empty() || line.front() != '/') return std::nullopt;
  line.remove_prefix(1);
  const size_t sp = line.find_first_of(" \t");
  Command c;
  c.name = std::string(line.substr(0, sp));
  if (sp != std::string_view::npos) c.arg = std::string(trim(line.substr(sp)));
  return c;
}

std::optional<std::string> InputCollector::feed(std::string_view line) {
  constexpr std::string_view kQuotes = "\"\"\"";
  if (!open_) {
    if (!line.starts_with(kQuotes)) return std::string(line);
    line.remove_prefix(kQuotes.size());
    if (line.ends_with(kQuotes)) return std::string(line.substr(0, line.size() - kQuotes.size()));
    open_ = true;
    lines_.clear();
    if (!line.empty()) lines_.emplace_back(line);
    return std::nullopt;
  }
  if (!line.ends_with(kQuotes)) {
    lines_.emplace_back(line);
    return std::nullopt;
  }
  line.remove_suffix(kQuotes.size());
  if (!line.empty()) lines_.emplace_back(line);
  std::string out;
  for (size_t i = 0; i < lines_.size(); ++i) out += (i ? "\n" : "") + lines_[i];
  reset();
  return out;
}

void InputCollector::reset() {
  open_ = false;
  lines_.clear();
}

nlohmann::ordered_json parse_conversation(std::string_view json_text, const std::string& label) {
  nlohmann::ordered_json in;
  try {
    in = nlohmann::ordered_json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(label + ": invalid JSON: " + e.what());
  }
  nlohmann::ordered_json msgs;
  if (in.is_array()) msgs = std::move(in);
  else if (in.is_object() && in.contains("messages") && in["messages"].is_array()) msgs = std::move(in["messages"]);
  else throw Error(label + ": expected {\"messages\": [...]}");
  for (size_t i = 0; i < msgs.size(); ++i) {
    const auto& m = msgs[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
        !m["content"].is_string())
      throw Error(label + ": message " + std::to_string(i) + " needs a string \"role\" and \"content\"");
  }
  return msgs;
}

std::string format_conversation(const nlohmann::ordered_json& messages) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["messages"] = messages;
  return out.dump(2) + "\n";
}

}  // namespace minnow::cli
