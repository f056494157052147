#pragma once
// Builds an aarch64 kernel table from the Isa policy defined by the including file
// (neon.cpp, dotprod.cpp, i8mm.cpp).
#include <string_view>

#include "kernels/arm/arm_act.h"
#include "kernels/arm/arm_activation.h"
#include "kernels/arm/arm_common.h"
#include "kernels/arm/arm_float.h"
#include "kernels/arm/arm_k.h"
#include "kernels/arm/arm_legacy.h"
#include "kernels/arm/arm_packed.h"
#include "kernels/arm/arm_packed_k.h"

namespace minnow::kernels::arm {
namespace {

template <class Isa>
KernelTable make_table(std::string_view isa) {
  // Starts from the reference so that a weight type added there but not here still works.
  KernelTable t = reference_kernels();
  t.isa = isa;
  t.silu_mul = silu_mul;
  t.softmax = softmax_reference;
  auto set = [&t](DType w, DType act, ActQuantFn q, GemmFn g) {
    t.types[static_cast<uint32_t>(w)] = TypeKernels{act, q, g};
  };
  set(DType::F32, DType::F32, copy_f32, gemm<Isa, FloatTile<FloatF32>>);
  set(DType::F16, DType::F16, convert_f16, gemm<Isa, FloatTile<FloatF16>>);
  set(DType::BF16, DType::BF16, convert_bf16, gemm<Isa, FloatTile<FloatBF16>>);
  set(DType::Q4_0, DType::Q8_0, quantize_q8_0, gemm<Isa, LegacyTile<Isa, LegacyQ4_0>>);
  set(DType::Q4_1, DType::Q8_1, quantize_q8_1, gemm<Isa, LegacyTile<Isa, LegacyQ4_1>>);
  set(DType::Q5_0, DType::Q8_0, quantize_q8_0, gemm<Isa, LegacyTile<Isa, LegacyQ5_0>>);
  set(DType::Q5_1, DType::Q8_1, quantize_q8_1, gemm<Isa, LegacyTile<Isa, LegacyQ5_1>>);
  set(DType::Q8_0, DType::Q8_0, quantize_q8_0, gemm<Isa, LegacyTile<Isa, LegacyQ8_0>>);
  set(DType::Q2_K, DType::Q8_K, quantize_q8_k, gemm<Isa, KTile<Isa, KTypeQ2_K>>);
  set(DType::Q3_K, DType::Q8_K, quantize_q8_k, gemm<Isa, KTile<Isa, KTypeQ3_K>>);
  set(DType::Q4_K, DType::Q8_K, quantize_q8_k, gemm<Isa, KTile<Isa, KTypeQ4_K>>);
  set(DType::Q5_K, DType::Q8_K, quantize_q8_k, gemm<Isa, KTile<Isa, KTypeQ5_K>>);
  set(DType::Q6_K, DType::Q8_K, quantize_q8_k, gemm<Isa, KTile<Isa, KTypeQ6_K>>);
  // Packed layouts where sdot is the best int8 product. The i8mm table keeps plain rows: its
  // smmla tiles (twice sdot's work per instruction) need 8 consecutive bytes of a row, which
  // the packed layouts' 4-byte interleave does not give.
  if constexpr (Isa::kSdot && !Isa::kMmla) {
    auto set_packed = [&t](DType w, PackedKernels p) { t.types[static_cast<uint32_t>(w)].packed = p; };
    set_packed(DType::Q4_0, {packed::kRows, quantize_q8s, packed::q8s_row_bytes, packed::pack_q4_0x8,
                             packed::unpack_row_q4_0x8, packed_gemm<LegacyTiles<PackedArmQ4_0>>});
    set_packed(DType::Q8_0, {packed::kRows, quantize_q8s, packed::q8s_row_bytes, packed::pack_q8_0x8,
                             packed::unpack_row_q8_0x8, packed_gemm<LegacyTiles<PackedArmQ8_0>>});
    set_packed(DType::Q4_K, {packed::kRows, quantize_q8_k, packed::q8k_row_bytes, packed::pack_q4_k_x8,
                             packed::unpack_row_q4_k_x8, packed_gemm<PackedArmQ4_K>});
    set_packed(DType::Q6_K, {packed::kRows, quantize_q8_k, packed::q8k_row_bytes, packed::pack_q6_k_x8,
                             packed::unpack_row_q6_k_x8, packed_gemm<PackedArmQ6_K>});
  }
  return t;
}

}  // namespace
}  // namespace minnow::kernels::arm
