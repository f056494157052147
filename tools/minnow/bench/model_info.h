#pragma once
// What the bench prints about the model file and what its roofline needs: the bytes one decode
// step must read.
#include <cstdint>
#include <string>

namespace minnow::cli::bench {

struct ModelInfo {
  std::string path;
  std::string label;          // "qwen2 1.5B": architecture and parameter count
  std::string type;           // "Q4_0", "Q4_K_M", or a guess from the tensor types ("Q4_K mix")
  uint64_t size_bytes = 0;    // tensor data bytes
  uint64_t n_params = 0;
  // Bytes a decode step reads: every tensor's data except the token embedding table, which is
  // only gathered (one row per token) unless it doubles as the output projection (tied).
  uint64_t decode_read_bytes = 0;
};

// Opens and validates the GGUF (metadata only). Throws minnow::Error on a bad file.
ModelInfo read_model_info(const std::string& path);

std::string format_bytes(uint64_t bytes);   // "1.04 GiB", "812.5 MiB"
std::string format_params(uint64_t n);      // "1.5B", "494M"

}  // namespace minnow::cli::bench
