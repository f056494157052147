#include "quant/types.h"

#include <array>
#include <cassert>
#include <cctype>

#include "quant/blocks.h"

namespace minnow {
namespace {

constexpr std::array<DTypeInfo, 20> kTypes = {{
    {DType::F32, "f32", 1, 4, true},
    {DType::F16, "f16", 1, 2, true},
    {DType::Q4_0, "q4_0", kQK4_0, sizeof(block_q4_0), true},
    {DType::Q4_1, "q4_1", kQK4_1, sizeof(block_q4_1), true},
    {DType::Q5_0, "q5_0", kQK5_0, sizeof(block_q5_0), true},
    {DType::Q5_1, "q5_1", kQK5_1, sizeof(block_q5_1), true},
    {DType::Q8_0, "q8_0", kQK8_0, sizeof(block_q8_0), true},
    {DType::Q8_1, "q8_1", kQK8_1, sizeof(block_q8_1), false},
    {DType::Q2_K, "q2_K", kQK_K, sizeof(block_q2_K), true},
    {DType::Q3_K, "q3_K", kQK_K, sizeof(block_q3_K), true},
    {DType::Q4_K, "q4_K", kQK_K, sizeof(block_q4_K), true},
    {DType::Q5_K, "q5_K", kQK_K, sizeof(block_q5_K), true},
    {DType::Q6_K, "q6_K", kQK_K, sizeof(block_q6_K), true},
    {DType::Q8_K, "q8_K", kQK_K, sizeof(block_q8_K), false},
    {DType::I8, "i8", 1, 1, false},
    {DType::I16, "i16", 1, 2, false},
    {DType::I32, "i32", 1, 4, false},
    {DType::I64, "i64", 1, 8, false},
    {DType::F64, "f64", 1, 8, false},
    {DType::BF16, "bf16", 1, 2, true},
}};

// Index = ggml type id; empty = never assigned. Ids 4, 5 and 31..33, 36..38 were assigned
// once and removed; ggml still reserves them, so they count as known-but-unsupported.
constexpr std::array<std::string_view, 43> kGgmlNames = {
    "f32",     "f16",     "q4_0",    "q4_1",    "q4_2",    "q4_3",      "q5_0",      "q5_1",
    "q8_0",    "q8_1",    "q2_K",    "q3_K",    "q4_K",    "q5_K",      "q6_K",      "q8_K",
    "iq2_xxs", "iq2_xs",  "iq3_xxs", "iq1_s",   "iq4_nl",  "iq3_s",     "iq2_s",     "iq4_xs",
    "i8",      "i16",     "i32",     "i64",     "f64",     "iq1_m",     "bf16",      "q4_0_4_4",
    "q4_0_4_8", "q4_0_8_8", "tq1_0", "tq2_0",   "iq4_nl_4_4", "iq4_nl_4_8", "iq4_nl_8_8", "mxfp4",
    "nvfp4",   "q1_0",    "q2_0",
};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

std::optional<DTypeInfo> dtype_info(uint32_t id) {
  for (const DTypeInfo& info : kTypes) {
    if (static_cast<uint32_t>(info.type) == id) return info;
  }
  return std::nullopt;
}

const DTypeInfo& dtype_info(DType t) {
  for (const DTypeInfo& info : kTypes) {
    if (info.type == t) return info;
  }
  assert(false && "DType value outside the table");
  return kTypes[0];
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const DTypeInfo& info : kTypes) {
    if (iequal(info.name, name)) return info.type;
  }
  return std::nullopt;
}

std::optional<std::string_view> ggml_type_name(uint32_t id) {
  if (id >= kGgmlNames.size()) return std::nullopt;
  return kGgmlNames[id];
}

}  // namespace minnow
