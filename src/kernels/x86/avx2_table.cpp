// The x86 kernel tables (AVX2, AVX2 rounding as llama.cpp, AVX-512, AVX-512 VNNI). Built without ISA
// flags: it only takes the kernels' addresses.
#include "kernels/packed.h"
#include "kernels/packed_q4_k.h"
#include "kernels/packed_q6_k.h"
#include "kernels/tables.h"
#include "kernels/x86/avx2.h"
#include "kernels/x86/avx512.h"

namespace minnow::kernels {
namespace {

constexpr KernelTable make_avx2_table() {
  KernelTable t{};
  t.isa = "avx2";
  t.panel_cols = 3072;
  t.silu_mul = avx2::silu_mul;
  t.softmax = avx2::softmax;
  t.gemm_f16_f32act = avx2::gemm_f16_f32act;
  auto set = [&t](DType w, DType act, ActQuantFn q, GemmFn g) {
    t.types[static_cast<uint32_t>(w)] = TypeKernels{act, q, g};
  };
  set(DType::F32, DType::F32, avx2::copy_f32, avx2::gemm_f32);
  set(DType::F16, DType::F16, avx2::convert_f16, avx2::gemm_f16);
  set(DType::BF16, DType::BF16, avx2::convert_bf16, avx2::gemm_bf16);
  set(DType::Q4_0, DType::Q8_0, avx2::quantize_q8_0, avx2::gemm_q4_0);
  set(DType::Q4_1, DType::Q8_1, avx2::quantize_q8_1, avx2::gemm_q4_1);
  set(DType::Q5_0, DType::Q8_0, avx2::quantize_q8_0, avx2::gemm_q5_0);
  set(DType::Q5_1, DType::Q8_1, avx2::quantize_q8_1, avx2::gemm_q5_1);
  set(DType::Q8_0, DType::Q8_0, avx2::quantize_q8_0, avx2::gemm_q8_0);
  set(DType::Q2_K, DType::Q8_K, avx2::quantize_q8_k, avx2::gemm_q2_k);
  set(DType::Q3_K, DType::Q8_K, avx2::quantize_q8_k, avx2::gemm_q3_k);
  set(DType::Q4_K, DType::Q8_K, avx2::quantize_q8_k, avx2::gemm_q4_k);
  set(DType::Q5_K, DType::Q8_K, avx2::quantize_q8_k, avx2::gemm_q5_k);
  set(DType::Q6_K, DType::Q8_K, avx2::quantize_q8_k, avx2::gemm_q6_k);

  auto set_packed = [&t](DType w, PackedKernels p) { t.types[static_cast<uint32_t>(w)].packed = p; };
  set_packed(DType::Q4_0, {packed::kRows, avx2::quantize_q8s, packed::q8s_row_bytes, packed::pack_q4_0x8,
                           packed::unpack_row_q4_0x8, avx2::gemm_q4_0_x8});
  set_packed(DType::Q8_0, {packed::kRows, avx2::quantize_q8s, packed::q8s_row_bytes, packed::pack_q8_0x8,
                           packed::unpack_row_q8_0x8, avx2::gemm_q8_0_x8});
  set_packed(DType::Q6_K, {packed::kRows, avx2::quantize_q8_k, packed::q8k_row_bytes, packed::pack_q6_k_x8,
                           packed::unpack_row_q6_k_x8, avx2::gemm_q6_k_x8});
  set_packed(DType::Q4_K, {packed::kRows, avx2::quantize_q8_k, packed::q8k_row_bytes, packed::pack_q4_k_x8,
                           packed::unpack_row_q4_k_x8, avx2::gemm_q4_k_x8});
  return t;
}

// The same kernels where they already round as llama.cpp's AVX2 build; where the fast ones do
// not (at a cost in speed), the ones that do: Q8_0 and Q4_K prefill tiles, float types in
// one-token passes (F16 attention at decode), and Q6_K unpacked (its plain dot follows ggml's, which
// llama.cpp's x86 build runs for Q6_K, not a repacked GEMM).
constexpr KernelTable make_avx2_llama_table() {
  KernelTable t = make_avx2_table();
  t.rounding = "llama.cpp";
  t.panel_cols = 0;
  // llama.cpp's one-row float dots for one-token passes: their 4 sums per output made decode
  // at a 1680-token context ~10% slower (F16 attention; minnow run, 1 thread), so the fast
  // table keeps its gemm.
  t.types[static_cast<uint32_t>(DType::F32)].gemm_one_token = avx2::gemm_f32_one_token;
  t.types[static_cast<uint32_t>(DType::F16)].gemm_one_token = avx2::gemm_f16_one_token;
  t.types[static_cast<uint32_t>(DType::BF16)].gemm_one_token = avx2::gemm_bf16_one_token;
  t.types[static_cast<uint32_t>(DType::Q8_0)].packed.gemm = avx2::gemm_q8_0_x8_llama;
  t.types[static_cast<uint32_t>(DType::Q6_K)].packed = PackedKernels{};
  t.types[static_cast<uint32_t>(DType::Q4_K)].packed.gemm = avx2::gemm_q4_k_x8_llama;
  return t;
}

// AVX2 with the packed GEMMs' prefill tiles over 16 rows in 512-bit vectors (x86/avx512.h).
// Their integer sums are exact and their float steps the AVX2 tiles', so these tables round
// exactly as the fast AVX2 table does.
template <class Packed>
constexpr KernelTable with_avx512_packed(std::string_view isa, bool prefetch_weights) {
  KernelTable t = make_avx2_table();
  t.isa = isa;
  t.prefetch_weights = prefetch_weights;
  t.types[static_cast<uint32_t>(DType::Q4_0)].packed.gemm = Packed::q4_0;
  t.types[static_cast<uint32_t>(DType::Q8_0)].packed.gemm = Packed::q8_0;
  t.types[static_cast<uint32_t>(DType::Q4_K)].packed.gemm = Packed::q4_k;
  t.types[static_cast<uint32_t>(DType::Q6_K)].packed.gemm = Packed::q6_k;
  return t;
}

struct Avx512Packed {
  static constexpr GemmFn q4_0 = avx512::gemm_q4_0_x8, q8_0 = avx512::gemm_q8_0_x8;
  static constexpr GemmFn q4_k = avx512::gemm_q4_k_x8, q6_k = avx512::gemm_q6_k_x8;
};
struct VnniPacked {
  static constexpr GemmFn q4_0 = vnni::gemm_q4_0_x8, q8_0 = vnni::gemm_q8_0_x8;
  static constexpr GemmFn q4_k = vnni::gemm_q4_k_x8, q6_k = vnni::gemm_q6_k_x8;
};

// VNNI's, with AMX tiles for batches of 16 activation rows or more: bf16 ones (the wide GEMMs,
// bf16 activations) for Q4_0, Q4_K and Q6_K, int8 ones for Q8_0.
constexpr int64_t kAmxWideRows = 16;
constexpr KernelTable with_amx(KernelTable t) {
  t.isa = "amx";
  // Its wide GEMMs unpack every weight to bf16 per pass: at 64 tokens that took as long as
  // the tile multiplies (kernels_bench BM_PackedWideHot/q4_0/64 vs /128). Q4_0 pp512, 1
  // thread, by chunk: 64 183, 128 208, 256 232, 512 232 tok/s (minnow bench -b, one run).
  t.prefill_rows = 256;
  // Prefill attention by bf16 tiles (exact products, float sums in the tiles' order).
  t.gemm_f16_exact = amx::gemm_f16_exact;
  // Batches below kAmxWideRows keep VNNI's packed GEMMs.
  auto set_wide = [&t](DType w, GemmFn bf16) {
    t.types[static_cast<uint32_t>(w)].packed.wide = {kAmxWideRows, amx::quantize_bf16, packed::bf16_row_bytes, bf16};
  };
  set_wide(DType::Q4_0, amx::gemm_bf16_q4_0_x8);
  // Q8_0 keeps its int8 tiles, which sum what llama.cpp's AMX build sums. A bf16 Q8_0 GEMM
  // (tried: synthetic qwen2-1.5b Q8_0 pp512 233 tok/s at 1 thread) came out nearer the float
  // result than llama.cpp on the tiny oracle models, but its weights' rounding (8-bit q x d to bf16)
  // flipped a free greedy step where llama.cpp's top-2 margin was 0.102 and the float
  // computation sided with llama.cpp (OracleSynth qwen2_tiny_Q8_0); not kept.
  t.types[static_cast<uint32_t>(DType::Q8_0)].packed.gemm = amx::gemm_q8_0_x8;
  set_wide(DType::Q4_K, amx::gemm_bf16_q4_k_x8);
  set_wide(DType::Q6_K, amx::gemm_bf16_q6_k_x8);
  return t;
}

constexpr KernelTable kAvx2Table = make_avx2_table();
constexpr KernelTable kAvx2LlamaTable = make_avx2_llama_table();
constexpr KernelTable kAvx512Table = with_avx512_packed<Avx512Packed>("avx512", true);
constexpr KernelTable kAvx512HwPrefetchTable = with_avx512_packed<Avx512Packed>("avx512", false);
constexpr KernelTable kVnniTable = with_avx512_packed<VnniPacked>("avx512vnni", true);
constexpr KernelTable kVnniHwPrefetchTable = with_avx512_packed<VnniPacked>("avx512vnni", false);
constexpr KernelTable kAmxTable = with_amx(kVnniTable);
constexpr KernelTable kAmxHwPrefetchTable = with_amx(kVnniHwPrefetchTable);

}  // namespace

const KernelTable& avx2_kernels() { return kAvx2Table; }
const KernelTable& avx2_llama_kernels() { return kAvx2LlamaTable; }
const KernelTable& avx512_kernels(bool prefetch_weights) {
  return prefetch_weights ? kAvx512Table : kAvx512HwPrefetchTable;
}
const KernelTable& avx512vnni_kernels(bool prefetch_weights) {
  return prefetch_weights ? kVnniTable : kVnniHwPrefetchTable;
}
const KernelTable& amx_kernels(bool prefetch_weights) { return prefetch_weights ? kAmxTable : kAmxHwPrefetchTable; }

}  // namespace minnow::kernels
