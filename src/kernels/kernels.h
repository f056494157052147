#pragma once
// The kernel table: one immutable set of function pointers per ISA, chosen once from the CPU's
// features at start-up and passed down in a context (never a global). Each weight type says
// which activation format its dot products consume (f32, or int8 blocks like ggml's Q8_0/Q8_1/
// Q8_K) and provides a small-batch GEMM over a range of weight rows.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "quant/types.h"

namespace minnow::kernels {

// y[b * y_stride + r] = dot(W row r, X row b), for r in [r0, r1) and b in [0, nb).
struct GemmArgs {
  const uint8_t* w = nullptr;  // weight rows, each w_row_bytes long, of `k` elements
  size_t w_row_bytes = 0;
  int64_t k = 0;
  const uint8_t* x = nullptr;  // nb activation rows in the type's act format
  size_t x_row_bytes = 0;
  int64_t nb = 0;
  float* y = nullptr;
  int64_t y_stride = 0;
  bool prefetch = true;  // ask for weight bytes ahead of use (KernelTable::prefetch_weights)
};

using ActQuantFn = void (*)(const float* x, void* out, int64_t k);
using GemmFn = void (*)(const GemmArgs& args, int64_t r0, int64_t r1);
using ActBytesFn = size_t (*)(int64_t k);
// Packs one group of rows: src holds `rows` GGUF rows of k elements, src_row_bytes apart.
using PackFn = void (*)(const uint8_t* src, size_t src_row_bytes, int64_t k, uint8_t* dst);
// g[i] = silu(g[i]) * u[i] = g[i] / (1 + exp(-g[i])) * u[i]: SwiGLU's gate on its up half.
using SiluMulFn = void (*)(float* g, const float* u, int64_t n);
// x[i] = exp(x[i] - max x) / sum_j exp(x[j] - max x), in place (attention weights).
using SoftmaxFn = void (*)(float* x, int64_t n);
// Dequantizes row `row` (< rows) of one packed group into out[k].
using UnpackRowFn = void (*)(const uint8_t* group, int row, int64_t k, float* out);

// Weights repacked once at load: `rows` consecutive rows interleaved block by block into one
// group, so a GEMM pass reads one sequential stream and produces `rows` outputs at once, with
// no horizontal sums. A group takes exactly the bytes of its rows (the blocks' fields are only
// regrouped), so packed and plain tensors have the same size.
struct PackedKernels {
  int rows = 0;                      // rows per group; 0: the type has no packed form here
  ActQuantFn quantize_act = nullptr; // activation format of this gemm (may differ from plain)
  ActBytesFn act_row_bytes = nullptr;
  PackFn pack = nullptr;
  UnpackRowFn unpack_row = nullptr;
  // GemmArgs as for plain rows, except a.w is packed: group g starts at g * rows * w_row_bytes.
  // r0 and r1 are multiples of rows.
  GemmFn gemm = nullptr;
  // A second GEMM for batches of at least wide.min_rows activation rows (prefill), with its own
  // activation format: AMX-BF16's tiles take bf16 activations and sum whole rows in float,
  // where an int8 format's per-block scales cost a float step per 32 elements. It rounds
  // differently from gemm (bf16 weights and activations), not as llama.cpp does.
  struct Wide {
    int64_t min_rows = 0;  // 0: none
    ActQuantFn quantize_act = nullptr;
    ActBytesFn act_row_bytes = nullptr;
    GemmFn gemm = nullptr;  // same arguments as gemm, a.x in this format
  } wide{};
};

struct TypeKernels {
  DType act_type = DType::F32;       // format activations are converted to before gemm
  ActQuantFn quantize_act = nullptr;
  GemmFn gemm = nullptr;             // null: type not supported by this table
  // The gemm for a pass over a single token (decode), where llama.cpp leaves its batched GEMM
  // for its one-row dot and so rounds differently; null: gemm serves both.
  GemmFn gemm_one_token = nullptr;
  PackedKernels packed{};
};

struct KernelTable {
  std::string_view isa;  // "scalar", "avx2", "avx512", "avx512vnni", "neon", "dotprod", "i8mm"
  // "fast", or "llama.cpp": every float step as llama.cpp's build for this ISA takes it, so
  // logits match it bit for bit, at some cost in speed (see best_kernels).
  std::string_view rounding = "fast";
  std::array<TypeKernels, kDTypeIdLimit> types{};
  SiluMulFn silu_mul = nullptr;
  SoftmaxFn softmax = nullptr;
  // F16 rows against f32 activation rows whose values are f16 values widened (exact), so the
  // activations are not widened again for every pair of rows: the attention's two GEMMs over
  // the KV cache (ops::attend_rows), where few activation rows meet many cache rows. Rounds
  // exactly as F16's gemm does on the same values. null: F16's gemm on f16 activations.
  GemmFn gemm_f16_f32act = nullptr;
  // The same operands, each f16 x f16 product exact and the products summed in float in the
  // kernel's own order, so not as F16's gemm rounds: the attention's GEMMs over more than one
  // token, where the table has it (amx: bf16 tiles over the exact bf16 halves of f16 values,
  // x86/amx_attn.cpp). null: gemm_f16_f32act (or F16's gemm) serves.
  GemmFn gemm_f16_exact = nullptr;
  // Whether the packed GEMMs ask for the weight stream ahead of use (_mm_prefetch), which
  // callers pass on in GemmArgs::prefetch. On by default, tuned on Zen 3 where the hardware
  // prefetcher alone left decode waiting on DRAM. Off in the AVX-512 tables chosen for AMD
  // CPUs: on Zen 4 the hardware prefetcher alone reads faster; on Intel (Emerald Rapids) it
  // reads much slower (docs/ARCHITECTURE.md, "Kernels").
  bool prefetch_weights = true;
  // Packed matrices with longer rows are stored as column panels of at most this many
  // columns (ops/tensor.h, WeightView::panel_cols); 0: never. In decode one 8-row group of
  // an ffn_down row (8960 columns) streams 40-59 KB of weights through L1 between two reads
  // of the same activation bytes; on Zen 4 such a matrix read 14.5 GB/s against 20.0 for one
  // of 3072 columns (Q6_K; Q4_0 18.7 / 22.0, Q4_K 21.8 / 23.4; kernels_bench, one thread). A
  // panel's partial sums are added in float after its GEMM, so tables that must round as
  // llama.cpp keep 0.
  int64_t panel_cols = 0;
  // Tokens per prefill pass this table does best with: the sessions' default chunk (the
  // weights are read, and for wide GEMMs unpacked, once per pass).
  int prefill_rows = 64;

  const TypeKernels& for_type(DType t) const { return types[static_cast<uint32_t>(t)]; }
};

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vnni = false, avx512vl = false;
  bool neon = false, dotprod = false, i8mm = false;
  // AMX tiles and int8 products, with the OS's leave for this process to use the tile data
  // (detect_cpu_features asks Linux for it).
  bool amx_int8 = false;
  bool amx_bf16 = false;  // AMX-BF16 and AVX512-BF16 (the activations' conversion), with the leave
  bool amd = false;  // vendor AuthenticAMD: picks the AVX-512 tables without software prefetch
};

CpuFeatures detect_cpu_features();

// Plain C++ reference for every weight type (dequantize + f32 dot, or the int8 reference
// matching the SIMD paths' activation format). Always available.
const KernelTable& reference_kernels();
// The reference softmax (libm's expf, the sum in double), also used by tables without their own.
void softmax_reference(float* x, int64_t n);

// Every table whose ISA this CPU runs, reference first. Tests compare each against reference.
std::vector<const KernelTable*> available_kernels(const CpuFeatures& cpu);

enum class Rounding { Fast, LlamaCpp };

// The fastest table for this CPU (the last of available_kernels). Rounding::LlamaCpp: the
// table that rounds as llama.cpp does where there is one (AVX2), else the fastest.
const KernelTable& best_kernels(const CpuFeatures& cpu, Rounding rounding = Rounding::Fast);

// The tables that round as llama.cpp does which this CPU runs (tests check them as the others).
std::vector<const KernelTable*> llama_rounding_kernels(const CpuFeatures& cpu);

// Bytes of one activation row of k elements in the given act format.
size_t act_row_bytes(DType act_type, int64_t k);

}  // namespace minnow::kernels
