// A scratch folder for one test process, under the system temp folder, removed when the process
// exits. ctest runs every discovered test in its own process, so anything a test writes to the
// temp folder by hand would pile up run after run (hundreds of MB of models per run).
#pragma once

#include <filesystem>
#include <string>
#include <system_error>
#include <unistd.h>

namespace minnow::testing {

inline const std::filesystem::path& scratch_dir() {
  struct Dir {
    std::filesystem::path path;
    Dir()
        : path(std::filesystem::temp_directory_path() / ("minnow-test-" + std::to_string(::getpid()))) {
      std::filesystem::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;  // best effort: a failure to clean up must not fail the test run
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

inline std::string scratch_path(const std::string& name) { return (scratch_dir() / name).string(); }

}  // namespace minnow::testing
