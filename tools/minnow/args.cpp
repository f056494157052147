#include "args.h"

#include <cerrno>
#include <cstdlib>

#include "util/error.h"

namespace minnow::cli {

Args::Args(int argc, char** argv) : args_(argv + 1, argv + argc), used_(args_.size(), false) {}

std::optional<std::string> Args::value(std::initializer_list<std::string_view> names) {
  std::optional<std::string> found;
  for (size_t i = 0; i < args_.size(); ++i) {
    if (used_[i]) continue;
    for (auto name : names) {
      if (args_[i] != name) continue;
      if (i + 1 >= args_.size()) throw Error("option " + args_[i] + " needs a value");
      used_[i] = used_[i + 1] = true;
      found = args_[i + 1];
      break;
    }
  }
  return found;
}

bool Args::flag(std::initializer_list<std::string_view> names) {
  bool found = false;
  for (size_t i = 0; i < args_.size(); ++i)
    for (auto name : names)
      if (!used_[i] && args_[i] == name) used_[i] = found = true;
  return found;
}

std::optional<int64_t> Args::integer(std::initializer_list<std::string_view> names, int64_t lo, int64_t hi) {
  const auto v = value(names);
  if (!v) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0 || x < lo || x > hi)
    throw Error("option " + std::string(*names.begin()) + ": '" + *v + "' is not an integer in [" +
                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

std::optional<double> Args::number(std::initializer_list<std::string_view> names) {
  const auto v = value(names);
  if (!v) return std::nullopt;
  char* end = nullptr;
  const double x = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0' || x != x)
    throw Error("option " + std::string(*names.begin()) + ": '" + *v + "' is not a number");
  return x;
}

std::vector<std::string> Args::positionals() {
  std::vector<std::string> out;
  for (size_t i = 0; i < args_.size(); ++i) {
    if (used_[i]) continue;
    if (args_[i].size() > 1 && args_[i][0] == '-') throw Error("unknown option '" + args_[i] + "'");
    out.push_back(args_[i]);
  }
  return out;
}

}  // namespace minnow::cli
