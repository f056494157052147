#pragma once
// Per-tensor type choice of llama.cpp's quantization mixes (llama-quantize's ftypes, as for
// dense llama / qwen2 / qwen3 models), so that a model Minnow quantizes gets the same tensor
// types as `llama-quantize in.gguf out.gguf Q4_K_M`.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "quant/types.h"

namespace minnow {

// Values are llama.cpp's llama_ftype numbers (GGUF general.file_type).
enum class QuantMix : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q8_0 = 7,
  Q5_0 = 8,
  Q5_1 = 9,
  Q2_K = 10,
  Q3_K_S = 11,
  Q3_K_M = 12,
  Q3_K_L = 13,
  Q4_K_S = 14,
  Q4_K_M = 15,
  Q5_K_S = 16,
  Q5_K_M = 17,
  Q6_K = 18,
  Q2_K_S = 21,
  BF16 = 32,
};

// Case-insensitive llama-quantize name: "Q4_K_M", "q8_0", "F16", ... "Q3_K", "Q4_K" and "Q5_K"
// are llama-quantize's aliases for the _M mixes.
std::optional<QuantMix> quant_mix_from_name(std::string_view name);
std::string_view quant_mix_name(QuantMix mix);  // canonical upper-case name, e.g. "Q4_K_M"
DType quant_mix_default_type(QuantMix mix);    // the mix's base type (Q4_K for Q4_K_M)

struct TensorContext {
  std::string_view name;       // GGUF name: "blk.3.attn_v.weight", "output.weight", ...
  DType source_type = DType::F32;
  int n_dims = 2;
  int64_t row_len = 0;         // ne[0]
  // Position of this tensor among the file's quantized tensors of its kind (attn_v-like or
  // ffn_down), in file order. llama.cpp counts rather than parsing blk.N, so this equals the
  // layer index only when the file lists layers in order; plan_tensor_types counts for you.
  int kind_index = 0;
  int n_attn_v = 0;            // attn_v-like tensors (attn_v, attn_qkv, attn_kv_b) in the file
  int n_layer = 0;             // block count (what llama.cpp compares ffn_down positions to)
  uint32_t n_head = 0;
  uint32_t n_head_kv = 0;
  bool tied_output = false;    // the file has no output.weight: token_embd doubles as output
  bool model_is_70b = false;   // llama.cpp bumps attn_v of 70B llamas (8 heads share it)
};

// The type llama-quantize gives this tensor under `mix` (the source type for tensors it leaves
// alone: 1-D tensors, norms, biases).
DType choose_tensor_type(QuantMix mix, const TensorContext& ctx);

struct TensorDesc {
  std::string_view name;
  DType type = DType::F32;
  int n_dims = 2;
  int64_t row_len = 0;  // ne[0]
};

struct MixModelInfo {
  int n_layer = 0;
  uint32_t n_head = 0;
  uint32_t n_head_kv = 0;
  bool is_70b = false;
};

// Types for every tensor of a model, `tensors` in file order (fills the counters and the
// tied-output flag the way llama.cpp does before calling choose_tensor_type).
std::vector<DType> plan_tensor_types(QuantMix mix, const MixModelInfo& model,
                                     std::span<const TensorDesc> tensors);

}  // namespace minnow
