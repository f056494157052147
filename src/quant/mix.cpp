#include "quant/mix.h"

#include <array>
#include <cctype>
#include <string>

namespace minnow {
namespace {

struct MixName {
  std::string_view name;
  QuantMix mix;
};

// First entry per mix is its canonical name; the rest are llama-quantize's aliases.
constexpr std::array<MixName, 21> kMixNames = {{
    {"F32", QuantMix::F32},       {"F16", QuantMix::F16},       {"BF16", QuantMix::BF16},
    {"Q4_0", QuantMix::Q4_0},     {"Q4_1", QuantMix::Q4_1},     {"Q5_0", QuantMix::Q5_0},
    {"Q5_1", QuantMix::Q5_1},     {"Q8_0", QuantMix::Q8_0},     {"Q2_K", QuantMix::Q2_K},
    {"Q2_K_S", QuantMix::Q2_K_S}, {"Q3_K_S", QuantMix::Q3_K_S}, {"Q3_K_M", QuantMix::Q3_K_M},
    {"Q3_K_L", QuantMix::Q3_K_L}, {"Q4_K_S", QuantMix::Q4_K_S}, {"Q4_K_M", QuantMix::Q4_K_M},
    {"Q5_K_S", QuantMix::Q5_K_S}, {"Q5_K_M", QuantMix::Q5_K_M}, {"Q6_K", QuantMix::Q6_K},
    {"Q3_K", QuantMix::Q3_K_M},   {"Q4_K", QuantMix::Q4_K_M},   {"Q5_K", QuantMix::Q5_K_M},
}};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

enum class Kind { Output, TokenEmbd, AttnVLike, AttnK, AttnQ, AttnOutput, FfnUp, FfnGate, FfnDown, Other };

// llama.cpp's broad tensor categories; order matters (first match wins).
Kind kind_of(std::string_view name) {
  if (name == "output.weight") return Kind::Output;
  if (name == "token_embd.weight" || name == "per_layer_token_embd.weight") return Kind::TokenEmbd;
  if (contains(name, "attn_qkv.weight") || contains(name, "attn_kv_b.weight") || contains(name, "attn_v.weight"))
    return Kind::AttnVLike;
  if (contains(name, "attn_k.weight")) return Kind::AttnK;
  if (contains(name, "attn_q.weight")) return Kind::AttnQ;
  if (contains(name, "attn_output.weight")) return Kind::AttnOutput;
  if (contains(name, "ffn_up")) return Kind::FfnUp;
  if (contains(name, "ffn_gate")) return Kind::FfnGate;
  if (contains(name, "ffn_down")) return Kind::FfnDown;
  return Kind::Other;
}

// Which tensors llama-quantize touches at all: 2-D+ weights except norms and a list of small or
// index-like tensors (the ones that can occur in llama-family files; the rest of llama.cpp's list
// names other architectures' tensors).
bool allows_quantization(const TensorContext& t) {
  if (t.n_dims < 2) return false;
  const std::string_view n = t.name;
  if (!ends_with(n, "weight")) return false;
  if (contains(n, "_norm.weight")) return false;
  constexpr std::string_view kKeep[] = {"ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj",
                                        "ssm_conv1d", "attn_rel_b.weight", ".position_embd", ".rel_pos",
                                        ".patch_embd"};
  for (std::string_view k : kKeep) {
    if (contains(n, k)) return false;
  }
  return n != "position_embd.weight" && n != "token_types.weight";
}

bool is_block_type(DType t) { return dtype_info(t).block_elems > 1; }

// Layers that get the bigger type in the _M mixes: the first and last eighth, and every third
// layer in between.
bool use_more_bits(int i_layer, int n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

DType mix_rules(QuantMix mix, DType type, const TensorContext& t, Kind kind) {
  const uint32_t gqa = t.n_head_kv == 0 ? 0 : t.n_head / t.n_head_kv;
  if (kind == Kind::Output || (t.tied_output && kind == Kind::TokenEmbd)) {
    if (t.row_len % dtype_info(type).block_elems != 0) return DType::Q8_0;
    return type == DType::Q8_0 ? type : DType::Q6_K;
  }
  switch (kind) {
    case Kind::AttnVLike: {
      const int i = t.kind_index;
      if (mix == QuantMix::Q2_K) {
        type = gqa >= 4 ? DType::Q4_K : DType::Q3_K;
      } else if (mix == QuantMix::Q2_K_S && gqa >= 4) {
        type = DType::Q4_K;
      } else if (mix == QuantMix::Q3_K_M) {
        type = i < 2 ? DType::Q5_K : DType::Q4_K;
      } else if (mix == QuantMix::Q3_K_L) {
        type = DType::Q5_K;
      } else if ((mix == QuantMix::Q4_K_M || mix == QuantMix::Q5_K_M) && use_more_bits(i, t.n_attn_v)) {
        type = DType::Q6_K;
      } else if (mix == QuantMix::Q4_K_S && i < 4) {
        type = DType::Q5_K;
      }
      if (t.model_is_70b && (type == DType::Q3_K || type == DType::Q4_K)) type = DType::Q5_K;
      return type;
    }
    case Kind::FfnDown: {
      const int i = t.kind_index;
      const int n = t.n_layer;
      switch (mix) {
        case QuantMix::Q2_K: return DType::Q3_K;
        case QuantMix::Q2_K_S: return i < n / 8 ? DType::Q4_K : type;
        case QuantMix::Q3_K_M: return i < n / 16 ? DType::Q5_K : DType::Q4_K;
        case QuantMix::Q3_K_L: return DType::Q5_K;
        case QuantMix::Q4_K_M:
        case QuantMix::Q5_K_M: return use_more_bits(i, n) ? DType::Q6_K : type;
        case QuantMix::Q4_K_S: return i < n / 8 ? DType::Q5_K : type;
        default: return type;
      }
    }
    case Kind::AttnOutput:
      switch (mix) {
        case QuantMix::Q2_K: return DType::Q3_K;
        case QuantMix::Q3_K_M: return DType::Q4_K;
        case QuantMix::Q3_K_L: return DType::Q5_K;
        default: return type;
      }
    default: return type;
  }
}

// A row length the chosen type cannot block: take the nearest 32-element type, else F16.
DType fallback_for_row(DType type, int64_t row_len) {
  if (row_len % dtype_info(type).block_elems == 0) return type;
  DType alt = type;
  switch (type) {
    case DType::Q2_K:
    case DType::Q3_K: alt = DType::Q4_0; break;
    case DType::Q4_K: alt = DType::Q5_0; break;
    case DType::Q5_K: alt = DType::Q5_1; break;
    case DType::Q6_K: alt = DType::Q8_0; break;
    default: break;
  }
  return row_len % dtype_info(alt).block_elems == 0 ? alt : DType::F16;
}

}  // namespace

std::optional<QuantMix> quant_mix_from_name(std::string_view name) {
  for (const MixName& m : kMixNames) {
    if (iequal(m.name, name)) return m.mix;
  }
  return std::nullopt;
}

std::string_view quant_mix_name(QuantMix mix) {
  for (const MixName& m : kMixNames) {
    if (m.mix == mix) return m.name;
  }
  return "?";
}

DType quant_mix_default_type(QuantMix mix) {
  switch (mix) {
    case QuantMix::F32: return DType::F32;
    case QuantMix::F16: return DType::F16;
    case QuantMix::BF16: return DType::BF16;
    case QuantMix::Q4_0: return DType::Q4_0;
    case QuantMix::Q4_1: return DType::Q4_1;
    case QuantMix::Q5_0: return DType::Q5_0;
    case QuantMix::Q5_1: return DType::Q5_1;
    case QuantMix::Q8_0: return DType::Q8_0;
    case QuantMix::Q2_K:
    case QuantMix::Q2_K_S: return DType::Q2_K;
    case QuantMix::Q3_K_S:
    case QuantMix::Q3_K_M:
    case QuantMix::Q3_K_L: return DType::Q3_K;
    case QuantMix::Q4_K_S:
    case QuantMix::Q4_K_M: return DType::Q4_K;
    case QuantMix::Q5_K_S:
    case QuantMix::Q5_K_M: return DType::Q5_K;
    case QuantMix::Q6_K: return DType::Q6_K;
  }
  return DType::F32;
}

DType choose_tensor_type(QuantMix mix, const TensorContext& t) {
  if (!allows_quantization(t)) return t.source_type;
  const DType base = quant_mix_default_type(mix);
  if (!is_block_type(base)) return base;
  return fallback_for_row(mix_rules(mix, base, t, kind_of(t.name)), t.row_len);
}

std::vector<DType> plan_tensor_types(QuantMix mix, const MixModelInfo& model,
                                     std::span<const TensorDesc> tensors) {
  TensorContext base;
  base.n_layer = model.n_layer;
  base.n_head = model.n_head;
  base.n_head_kv = model.n_head_kv;
  base.model_is_70b = model.is_70b;
  base.tied_output = true;
  for (const TensorDesc& d : tensors) {
    const Kind k = kind_of(d.name);
    if (k == Kind::AttnVLike) ++base.n_attn_v;
    if (k == Kind::Output) base.tied_output = false;
  }
  std::vector<DType> types;
  types.reserve(tensors.size());
  int i_attn_v = 0;
  int i_ffn_down = 0;
  for (const TensorDesc& d : tensors) {
    TensorContext t = base;
    t.name = d.name;
    t.source_type = d.type;
    t.n_dims = d.n_dims;
    t.row_len = d.row_len;
    const Kind k = kind_of(d.name);
    const bool counted = allows_quantization(t) && is_block_type(quant_mix_default_type(mix));
    if (k == Kind::AttnVLike) t.kind_index = counted ? i_attn_v++ : i_attn_v;
    if (k == Kind::FfnDown) t.kind_index = counted ? i_ffn_down++ : i_ffn_down;
    types.push_back(choose_tensor_type(mix, t));
  }
  return types;
}

}  // namespace minnow
