#pragma once
// User-facing errors. Thrown for bad input (malformed files, bad arguments, a prompt that does
// not fit); frontends catch them and print what() as one line. Programming errors use assert.
#include <stdexcept>
#include <string>

namespace minnow {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace minnow
