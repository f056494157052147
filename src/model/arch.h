#pragma once
// Architectures as data: what differs between the decoder-only families Minnow runs.
#include <optional>
#include <string_view>

namespace minnow {

enum class Arch { Llama, Qwen2, Qwen3 };

struct ArchSpec {
  Arch arch;
  std::string_view gguf_name;  // general.architecture
  bool rope_neox;              // rotate halves (neox) or adjacent pairs (original llama)
  bool qkv_bias;               // q/k/v projections carry biases (qwen2)
  bool qk_norm;                // per-head RMSNorm on q and k before rope (qwen3)
  float default_rope_base;
  float default_rms_eps;
};

// Defined one per file in arch_<name>.cpp.
const ArchSpec& arch_llama();
const ArchSpec& arch_qwen2();
const ArchSpec& arch_qwen3();

std::optional<ArchSpec> arch_from_gguf_name(std::string_view name);

}  // namespace minnow
