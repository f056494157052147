#pragma once
// Crafted GGUF files for robustness tests: a small valid file is written with the Writer and
// then patched or truncated. Shared by the gtest suite and the make_malformed tool (CLI test).
#include <cstdint>
#include <string>
#include <vector>

namespace minnow::gguf::crafted {

struct Case {
  std::string name;            // file stem, e.g. "bad_magic"
  std::vector<uint8_t> bytes;  // file contents
  std::string expect;          // distinctive substring of the reader's error message
};

// The small valid file the cases are derived from (3 f32 tensors, alignment 64, 9 keys).
std::vector<uint8_t> valid_small_file(const std::string& scratch_dir);

// Every crafted defect, each expected to make File::open throw minnow::Error.
std::vector<Case> malformed_cases(const std::string& scratch_dir);

// A few prefixes of the valid file (header, metadata, tensor infos, data) for the CLI test.
std::vector<Case> truncated_cases(const std::string& scratch_dir);

// Tiny llama-architecture models that are valid GGUF but not valid models; the model loader
// (not the GGUF reader) must reject them. The tokenizer is copied from `vocab_gguf`.
enum class ModelDefect { kNone, kMissingTensor, kWrongShape };
void write_llama_model(const std::string& path, const std::string& vocab_gguf, ModelDefect defect);

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace minnow::gguf::crafted
