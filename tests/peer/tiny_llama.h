#pragma once
// Test-only: writes a tiny llama-architecture GGUF (random F32 weights from a fixed seed, the
// Llama 3 vocab from ../shared) that llama.cpp and Minnow can both load.
#include <cstdint>
#include <string>

namespace minnow::testing {

struct TinyLlamaSpec {
  uint32_t n_embd = 32;
  uint32_t n_layer = 2;
  uint32_t n_head = 4;
  uint32_t n_head_kv = 2;
  uint32_t n_ff = 64;
  uint32_t n_ctx_train = 256;
  uint64_t seed = 1;
  std::string vocab_path;  // empty: MINNOW_SHARED_DIR/vocab/ggml-vocab-llama-bpe.gguf
};

// Writes the model to `path` (overwriting it) and returns `path`.
std::string write_tiny_llama(const std::string& path, const TinyLlamaSpec& spec = {});

// The model for `spec`, written once under MINNOW_BINARY_DIR/test-models and reused (written to a
// temporary name and renamed, so concurrent test processes never see a partial file).
std::string cached_tiny_llama(const TinyLlamaSpec& spec = {});

// A per-process temporary path for a test file named `name`.
std::string temp_path(const std::string& name);

}  // namespace minnow::testing
