#pragma once
// Tensor element types, numbered as in GGUF (ggml_type ids), and their block geometry.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace minnow {

enum class DType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
};

inline constexpr uint32_t kDTypeIdLimit = 40;  // ids at or above are unknown to GGUF as we read it

struct DTypeInfo {
  DType type;
  std::string_view name;  // as llama.cpp prints it: "q4_K", "f16", ...
  uint32_t block_elems;   // elements per block (1 for plain types)
  uint32_t block_bytes;   // bytes per block
  bool weight_type;       // Minnow can compute with tensors of this type
};

// Info for a GGUF type id; nullopt if the id is not a type Minnow knows.
std::optional<DTypeInfo> dtype_info(uint32_t id);
const DTypeInfo& dtype_info(DType t);
std::optional<DType> dtype_from_name(std::string_view name);  // case-insensitive "Q4_K", "f16"

// ggml's name for any type id it has ever assigned ("iq2_xxs", "tq1_0", "mxfp4", ...), so that
// callers can tell "known to GGUF but unsupported by Minnow" from "not a type id at all".
std::optional<std::string_view> ggml_type_name(uint32_t id);

// Bytes of a row of n elements; n must be a multiple of block_elems.
inline size_t row_bytes(const DTypeInfo& info, uint64_t n) {
  return size_t(n / info.block_elems) * info.block_bytes;
}
inline size_t row_bytes(DType t, uint64_t n) { return row_bytes(dtype_info(t), n); }

}  // namespace minnow
