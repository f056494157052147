// Writes the crafted GGUF set into a directory for the CLI error test (check_cli_errors.sh):
//   bad_*.gguf           defects the GGUF reader must report
//   bad_model_*.gguf     valid GGUF, invalid model (missing tensor, wrong shape): the model loader reports
//   bad_directory.gguf/  a directory where a file is expected
//   ok_llama.gguf        the valid model those two are derived from (a control, not an error case)
// Usage: gguf_make_malformed OUT_DIR [VOCAB.gguf]   (without a vocab the model files are skipped)
#include <cstdio>
#include <exception>
#include <filesystem>

#include "malformed.h"

namespace fs = std::filesystem;
namespace crafted = minnow::gguf::crafted;

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s OUT_DIR [VOCAB.gguf]\n", argv[0]);
    return 2;
  }
  try {
    const fs::path out = argv[1];
    fs::create_directories(out);
    int n = 0;
    for (const auto& list : {crafted::malformed_cases(out.string()), crafted::truncated_cases(out.string())}) {
      for (const auto& c : list) {
        crafted::write_bytes((out / ("bad_" + c.name + ".gguf")).string(), c.bytes);
        ++n;
      }
    }
    fs::create_directories(out / "bad_directory.gguf");
    ++n;
    if (argc == 3) {
      crafted::write_llama_model((out / "ok_llama.gguf").string(), argv[2], crafted::ModelDefect::kNone);
      crafted::write_llama_model((out / "bad_model_missing_tensor.gguf").string(), argv[2],
                                 crafted::ModelDefect::kMissingTensor);
      crafted::write_llama_model((out / "bad_model_wrong_shape.gguf").string(), argv[2],
                                 crafted::ModelDefect::kWrongShape);
      n += 2;
    }
    std::printf("wrote %d error cases to %s\n", n, out.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_malformed: %s\n", e.what());
    return 1;
  }
}
