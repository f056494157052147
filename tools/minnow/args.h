#pragma once
// Tiny argument reader shared by the subcommands: flags with values, switches, positionals.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minnow::cli {

class Args {
 public:
  // argv[0] is the subcommand name and is skipped.
  Args(int argc, char** argv);

  // Value of -x/--xx if given (the flag and its value are consumed); throws if the value is
  // missing. Names are alternatives: value({"-n", "--n-predict"}).
  std::optional<std::string> value(std::initializer_list<std::string_view> names);
  bool flag(std::initializer_list<std::string_view> names);
  std::optional<int64_t> integer(std::initializer_list<std::string_view> names, int64_t lo, int64_t hi);
  std::optional<double> number(std::initializer_list<std::string_view> names);

  // Remaining arguments after flags were consumed; throws on leftover unknown -flags.
  std::vector<std::string> positionals();

 private:
  std::vector<std::string> args_;
  std::vector<bool> used_;
};

}  // namespace minnow::cli
