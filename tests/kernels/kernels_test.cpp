// Every kernel table this CPU runs against the scalar reference (tight: same integer dots,
// only float summation order differs), and the reference against dequantize + double dot.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/packed.h"
#include "quant/blocks.h"
#include "quant/quant.h"
#include "quant/types.h"
#include "util/error.h"
#include "util/fp16.h"

namespace minnow::kernels {
namespace {

const DType kWeightTypes[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q4_0, DType::Q4_1,
                              DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q2_K, DType::Q3_K,
                              DType::Q4_K, DType::Q5_K, DType::Q6_K};

std::string type_name(DType t) { return std::string(dtype_info(t).name); }

// Row lengths that are awkward for each kind: not a multiple of 256 for 32-blocks, several
// super-blocks for K-quants, not a multiple of 8 (the SIMD step) for float types.
int64_t awkward_k(DType t) {
  const uint32_t block = dtype_info(t).block_elems;
  if (block == 256) return 3 * 256;
  if (block == 32) return 13 * 32;
  return t == DType::F32 ? 421 : 419;
}

std::vector<float> random_floats(std::mt19937& rng, size_t n, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

// Rows quantized from Gaussian floats (what real models look like).
std::vector<uint8_t> quantized_rows(std::mt19937& rng, DType t, int64_t rows, int64_t k) {
  const size_t rb = row_bytes(t, uint64_t(k));
  std::vector<uint8_t> w(rb * size_t(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<float> f = random_floats(rng, size_t(k), 0.05f);
    quantize_row(t, f.data(), w.data() + size_t(r) * rb, k);
  }
  return w;
}

uint16_t random_half(std::mt19937& rng, float lo, float hi) {
  return f32_to_fp16(std::uniform_real_distribution<float>(lo, hi)(rng));
}

template <class Block, class Fix>
void fix_blocks(std::vector<uint8_t>& w, Fix fix) {
  auto* b = reinterpret_cast<Block*>(w.data());
  for (size_t i = 0; i < w.size() / sizeof(Block); ++i) fix(b[i]);
}

// Random bits in every quant field (extreme values: Q8_0 -128, Q6_K scale -128, all 6-bit
// scales 63, ...), with sane random half-precision scales so sums stay finite.
std::vector<uint8_t> random_bit_rows(std::mt19937& rng, DType t, int64_t rows, int64_t k) {
  std::vector<uint8_t> w(row_bytes(t, uint64_t(k)) * size_t(rows));
  for (uint8_t& b : w) b = uint8_t(rng());
  auto d = [&rng] { return random_half(rng, -0.01f, 0.01f); };
  switch (t) {
    case DType::F32: {
      const std::vector<float> f = random_floats(rng, w.size() / 4);
      std::memcpy(w.data(), f.data(), w.size());
      break;
    }
    case DType::F16:
    case DType::BF16: {
      auto* h = reinterpret_cast<uint16_t*>(w.data());
      for (size_t i = 0; i < w.size() / 2; ++i) {
        const float f = std::normal_distribution<float>(0.0f, 1.0f)(rng);
        h[i] = t == DType::F16 ? f32_to_fp16(f) : f32_to_bf16(f);
      }
      break;
    }
    case DType::Q4_0: fix_blocks<block_q4_0>(w, [&](block_q4_0& b) { b.d = d(); }); break;
    case DType::Q5_0: fix_blocks<block_q5_0>(w, [&](block_q5_0& b) { b.d = d(); }); break;
    case DType::Q8_0: fix_blocks<block_q8_0>(w, [&](block_q8_0& b) { b.d = d(); }); break;
    case DType::Q4_1: fix_blocks<block_q4_1>(w, [&](block_q4_1& b) { b.d = d(); b.m = d(); }); break;
    case DType::Q5_1: fix_blocks<block_q5_1>(w, [&](block_q5_1& b) { b.d = d(); b.m = d(); }); break;
    case DType::Q2_K: fix_blocks<block_q2_K>(w, [&](block_q2_K& b) { b.d = d(); b.dmin = d(); }); break;
    case DType::Q3_K: fix_blocks<block_q3_K>(w, [&](block_q3_K& b) { b.d = d(); }); break;
    case DType::Q4_K: fix_blocks<block_q4_K>(w, [&](block_q4_K& b) { b.d = d(); b.dmin = d(); }); break;
    case DType::Q5_K: fix_blocks<block_q5_K>(w, [&](block_q5_K& b) { b.d = d(); b.dmin = d(); }); break;
    case DType::Q6_K: fix_blocks<block_q6_K>(w, [&](block_q6_K& b) { b.d = d(); }); break;
    default: ADD_FAILURE() << "no random-bits generator for " << type_name(t);
  }
  return w;
}

// nb activation rows of k floats; row 1 (when present) has an all-zero first block, which
// takes the quantizers' amax == 0 path.
std::vector<float> activations(std::mt19937& rng, int64_t nb, int64_t k) {
  std::vector<float> x = random_floats(rng, size_t(nb * k));
  if (nb > 1) std::fill(x.begin() + k, x.begin() + k + std::min<int64_t>(k, 256), 0.0f);
  return x;
}

std::vector<uint8_t> quantize_acts(const TypeKernels& tk, const std::vector<float>& x, int64_t nb, int64_t k) {
  const size_t xb = act_row_bytes(tk.act_type, k);
  std::vector<uint8_t> out(xb * size_t(nb));
  for (int64_t b = 0; b < nb; ++b) tk.quantize_act(x.data() + b * k, out.data() + size_t(b) * xb, k);
  return out;
}

// Every table this CPU runs: the fast ones and those that round as llama.cpp does.
std::vector<const KernelTable*> every_table() {
  std::vector<const KernelTable*> tables = available_kernels(detect_cpu_features());
  for (const KernelTable* t : llama_rounding_kernels(detect_cpu_features())) tables.push_back(t);
  return tables;
}

constexpr float kUntouched = 12345.0f;
constexpr float kRelTol = 1e-5f;

struct GemmRun {
  std::vector<float> y;
  int64_t stride;
};

GemmRun run_gemm(const TypeKernels& tk, DType t, const std::vector<uint8_t>& w, const std::vector<uint8_t>& x,
                 int64_t k, int64_t rows, int64_t nb, int64_t r0, int64_t r1, GemmFn gemm = nullptr) {
  GemmRun run{std::vector<float>(size_t((rows + 3) * nb), kUntouched), rows + 3};
  GemmArgs a;
  a.w = w.data();
  a.w_row_bytes = row_bytes(t, uint64_t(k));
  a.k = k;
  a.x = x.data();
  a.x_row_bytes = act_row_bytes(tk.act_type, k);
  a.nb = nb;
  a.y = run.y.data();
  a.y_stride = run.stride;
  (gemm ? gemm : tk.gemm)(a, r0, r1);
  return run;
}

// Largest |y| of each activation row over all weight rows: the float summation order is the
// only difference between tables, so errors are bounded relative to the outputs' magnitude.
std::vector<float> output_scales(const GemmRun& full, int64_t nb, int64_t rows) {
  std::vector<float> scale(size_t(nb), 0.0f);
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t r = 0; r < rows; ++r) scale[size_t(b)] = std::max(scale[size_t(b)], std::fabs(full.y[size_t(b * full.stride + r)]));
  return scale;
}

void expect_close(const GemmRun& got, const GemmRun& want, const std::vector<float>& scale, int64_t nb, int64_t r0,
                  int64_t r1, const std::string& what) {
  for (int64_t b = 0; b < nb; ++b) {
    for (int64_t r = 0; r < want.stride; ++r) {
      const float g = got.y[size_t(b * got.stride + r)];
      const float e = want.y[size_t(b * want.stride + r)];
      if (r < r0 || r >= r1) {
        ASSERT_EQ(g, kUntouched) << what << ": wrote outside rows [" << r0 << ", " << r1 << ") at b=" << b << " r=" << r;
        continue;
      }
      ASSERT_TRUE(std::isfinite(e)) << what;
      ASSERT_NEAR(g, e, kRelTol * scale[size_t(b)] + 1e-30f) << what << " b=" << b << " r=" << r;
    }
  }
}

GemmArgs args(const std::vector<uint8_t>& w, size_t w_row_bytes, int64_t k, const std::vector<uint8_t>& x,
              size_t x_row_bytes, int64_t nb, float* y, int64_t y_stride) {
  GemmArgs a;
  a.w = w.data();
  a.w_row_bytes = w_row_bytes;
  a.k = k;
  a.x = x.data();
  a.x_row_bytes = x_row_bytes;
  a.nb = nb;
  a.y = y;
  a.y_stride = y_stride;
  return a;
}

class KernelTables : public ::testing::TestWithParam<DType> {};

TEST_P(KernelTables, GemmMatchesReference) {
  const DType t = GetParam();
  const TypeKernels& ref = reference_kernels().for_type(t);
  ASSERT_NE(ref.gemm, nullptr) << "reference lacks " << type_name(t);
  const int64_t k = awkward_k(t);
  const int64_t rows = 37;
  std::mt19937 rng(1234 + static_cast<uint32_t>(t));
  const std::vector<uint8_t> weights[] = {quantized_rows(rng, t, rows, k), random_bit_rows(rng, t, rows, k)};
  for (const KernelTable* table : every_table()) {
    const TypeKernels& tk = table->for_type(t);
    ASSERT_NE(tk.gemm, nullptr) << table->isa << " lacks " << type_name(t);
    ASSERT_NE(tk.quantize_act, nullptr) << table->isa;
    ASSERT_EQ(tk.act_type, ref.act_type) << table->isa;
    for (const int64_t nb : {1, 2, 3, 5, 9, 70}) {
      const std::vector<float> xf = activations(rng, nb, k);
      const std::vector<uint8_t> x = quantize_acts(ref, xf, nb, k);
      for (size_t wi = 0; wi < 2; ++wi) {
        const std::vector<float> scale = output_scales(run_gemm(ref, t, weights[wi], x, k, rows, nb, 0, rows), nb, rows);
        for (const auto& [r0, r1] : {std::pair<int64_t, int64_t>{0, rows}, {3, rows - 2}, {5, 6}}) {
          const std::string what = std::string(table->isa) + " " + type_name(t) + " weights#" + std::to_string(wi) +
                                   " nb=" + std::to_string(nb) + " rows=[" + std::to_string(r0) + "," +
                                   std::to_string(r1) + ")";
          const GemmRun want = run_gemm(ref, t, weights[wi], x, k, rows, nb, r0, r1);
          const GemmRun got = run_gemm(tk, t, weights[wi], x, k, rows, nb, r0, r1);
          expect_close(got, want, scale, nb, r0, r1, what);
          if (tk.gemm_one_token) {
            const GemmRun one = run_gemm(tk, t, weights[wi], x, k, rows, nb, r0, r1, tk.gemm_one_token);
            expect_close(one, want, scale, nb, r0, r1, what + " (one-token gemm)");
          }
        }
      }
    }
  }
}

TEST_P(KernelTables, QuantizeActBytesMatchReference) {
  const DType t = GetParam();
  const TypeKernels& ref = reference_kernels().for_type(t);
  const int64_t k = awkward_k(t) * 2;
  std::mt19937 rng(99 + static_cast<uint32_t>(t));
  std::vector<float> x = random_floats(rng, size_t(k));
  // Edge blocks: all zero; +a and -a both of largest magnitude (sign of the first decides
  // Q8_K's scale); tiny values (half-precision subnormal scales); huge values.
  const int64_t block = ref.act_type == DType::Q8_K ? 256 : 32;
  if (k >= 4 * block) {
    std::fill(x.begin(), x.begin() + block, 0.0f);
    x[size_t(block + 7)] = 9.0f;
    x[size_t(block + 3)] = -9.0f;
    for (int64_t i = 2 * block; i < 3 * block; ++i) x[size_t(i)] *= 1e-6f;
    for (int64_t i = 3 * block; i < 4 * block; ++i) x[size_t(i)] *= 1e4f;
  }
  const std::vector<uint8_t> want = quantize_acts(ref, x, 1, k);
  for (const KernelTable* table : every_table()) {
    const std::vector<uint8_t> got = quantize_acts(table->for_type(t), x, 1, k);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_EQ(got[i], want[i]) << table->isa << " " << type_name(t) << " byte " << i;
  }
}

// The reference against exact arithmetic on the dequantized operands: the integer dots and
// scale handling are right if the only difference is float rounding (plus, for Q8_1, the
// half-precision rounding of s = d * sum(q)).
TEST_P(KernelTables, ReferenceMatchesDequantizedDot) {
  const DType t = GetParam();
  const TypeKernels& ref = reference_kernels().for_type(t);
  const int64_t k = awkward_k(t);
  const int64_t rows = 11;
  std::mt19937 rng(7 + static_cast<uint32_t>(t));
  const std::vector<uint8_t> w = quantized_rows(rng, t, rows, k);
  const int64_t nb = 3;
  const std::vector<float> xf = activations(rng, nb, k);
  const std::vector<uint8_t> x = quantize_acts(ref, xf, nb, k);
  const GemmRun got = run_gemm(ref, t, w, x, k, rows, nb, 0, rows);
  const size_t wb = row_bytes(t, uint64_t(k)), xb = act_row_bytes(ref.act_type, k);
  std::vector<float> wd(static_cast<size_t>(k)), xd(static_cast<size_t>(k));
  for (int64_t b = 0; b < nb; ++b) {
    dequantize_row(ref.act_type, x.data() + size_t(b) * xb, xd.data(), k);
    for (int64_t r = 0; r < rows; ++r) {
      dequantize_row(t, w.data() + size_t(r) * wb, wd.data(), k);
      double exact = 0.0, magnitude = 0.0, float_input = 0.0, act_error_bound = 0.0;
      for (int64_t i = 0; i < k; ++i) {
        exact += double(wd[size_t(i)]) * xd[size_t(i)];
        magnitude += std::fabs(double(wd[size_t(i)]) * xd[size_t(i)]);
        float_input += double(wd[size_t(i)]) * xf[size_t(b * k + i)];
      }
      double min_term_bound = 0.0;
      if (ref.act_type == DType::Q8_1) {  // m * s with s rounded to half precision
        const auto* blocks = reinterpret_cast<const block_q8_1*>(x.data() + size_t(b) * xb);
        for (int64_t ib = 0; ib < k / 32; ++ib) {
          const void* wblock = w.data() + size_t(r) * wb + size_t(ib) * dtype_info(t).block_bytes;
          uint16_t m;
          std::memcpy(&m, static_cast<const uint8_t*>(wblock) + 2, 2);  // d, then m
          min_term_bound += std::fabs(fp16_to_f32(m) * fp16_to_f32(blocks[ib].s)) * 1e-3;
        }
      }
      const float y = got.y[size_t(b * got.stride + r)];
      EXPECT_NEAR(y, exact, 1e-5 * magnitude + min_term_bound + 1e-30)
          << type_name(t) << " b=" << b << " r=" << r;
      // Against the unquantized activations the error is the activation rounding: at most
      // half a step (plus the step's own half-precision rounding) per element.
      const int64_t block = ref.act_type == DType::Q8_K ? 256 : ref.act_type == DType::F32 ? 1 : 32;
      for (int64_t i0 = 0; i0 < k; i0 += block) {
        double amax = 0.0, wsum = 0.0;
        for (int64_t i = i0; i < std::min(k, i0 + block); ++i) {
          amax = std::max(amax, std::fabs(double(xf[size_t(b * k + i)])));
          wsum += std::fabs(double(wd[size_t(i)]));
        }
        // Q8_0/Q8_1 steps are stored in half precision: up to 127 * 2^-11 of a step more.
        const double step = ref.act_type == DType::F16    ? amax * 0x1p-10
                            : ref.act_type == DType::BF16 ? amax * 0x1p-7
                            : ref.act_type == DType::F32  ? 0.0
                            : ref.act_type == DType::Q8_K ? amax / 127.0 * 1.01
                                                          : amax / 127.0 * 1.13;
        act_error_bound += wsum * step * 0.5;
      }
      EXPECT_NEAR(y, float_input, act_error_bound + min_term_bound + 1e-5 * magnitude)
          << type_name(t) << " vs float activations, b=" << b << " r=" << r;
    }
  }
}

// Packed (row-interleaved) layouts: packing loses nothing (every row unpacks to exactly its
// dequantized GGUF row) and the packed gemm agrees with the reference on the plain rows.
TEST_P(KernelTables, PackedMatchesReference) {
  const DType t = GetParam();
  const TypeKernels& ref = reference_kernels().for_type(t);
  const int64_t k = awkward_k(t);
  std::mt19937 rng(4321 + static_cast<uint32_t>(t));
  for (const KernelTable* table : every_table()) {
    const PackedKernels& pk = table->for_type(t).packed;
    if (pk.rows == 0) continue;
    ASSERT_TRUE(pk.quantize_act && pk.act_row_bytes && pk.pack && pk.unpack_row && pk.gemm) << table->isa;
    const int64_t rows = 5 * pk.rows;
    const size_t rb = row_bytes(t, uint64_t(k));
    const std::vector<uint8_t> weights[] = {quantized_rows(rng, t, rows, k), random_bit_rows(rng, t, rows, k)};
    for (size_t wi = 0; wi < 2; ++wi) {
      const std::vector<uint8_t>& w = weights[wi];
      std::vector<uint8_t> p(w.size());
      for (int64_t g = 0; g < rows / pk.rows; ++g)
        pk.pack(w.data() + size_t(g * pk.rows) * rb, rb, k, p.data() + size_t(g * pk.rows) * rb);
      std::vector<float> want(static_cast<size_t>(k)), got(static_cast<size_t>(k));
      for (int64_t r = 0; r < rows; ++r) {
        dequantize_row(t, w.data() + size_t(r) * rb, want.data(), k);
        pk.unpack_row(p.data() + size_t(r / pk.rows * pk.rows) * rb, int(r % pk.rows), k, got.data());
        for (int64_t i = 0; i < k; ++i)
          ASSERT_EQ(std::bit_cast<uint32_t>(got[size_t(i)]), std::bit_cast<uint32_t>(want[size_t(i)]))
              << table->isa << " " << type_name(t) << " unpack row " << r << " element " << i;
      }
      for (const int64_t nb : {1, 2, 3, 5, 9, 70}) {
        const std::vector<float> xf = activations(rng, nb, k);
        const std::vector<uint8_t> x = quantize_acts(ref, xf, nb, k);
        const size_t xpb = pk.act_row_bytes(k);
        std::vector<uint8_t> xp(xpb * size_t(nb));
        for (int64_t b = 0; b < nb; ++b) pk.quantize_act(xf.data() + b * k, xp.data() + size_t(b) * xpb, k);
        const std::vector<float> scale = output_scales(run_gemm(ref, t, w, x, k, rows, nb, 0, rows), nb, rows);
        const int64_t g = pk.rows;
        for (const auto& [r0, r1] : {std::pair<int64_t, int64_t>{0, rows}, {g, rows - g}, {2 * g, 3 * g}}) {
          const std::string what = std::string(table->isa) + " packed " + type_name(t) + " weights#" +
                                   std::to_string(wi) + " nb=" + std::to_string(nb) + " rows=[" +
                                   std::to_string(r0) + "," + std::to_string(r1) + ")";
          const GemmRun want_y = run_gemm(ref, t, w, x, k, rows, nb, r0, r1);
          // Both settings of prefetch (the same table runs with either, by CPU vendor).
          for (const bool prefetch : {false, true}) {
            GemmRun got_y{std::vector<float>(size_t((rows + 3) * nb), kUntouched), rows + 3};
            GemmArgs a = args(p, rb, k, xp, xpb, nb, got_y.y.data(), got_y.stride);
            a.prefetch = prefetch;
            pk.gemm(a, r0, r1);
            expect_close(got_y, want_y, scale, nb, r0, r1, what + (prefetch ? " prefetch" : ""));
          }
        }
      }
    }
  }
}

// Packed GEMMs of tables `got` and `want` on the same packed rows and activations (both
// random-value and random-bit weights, batch sizes across every tile shape): the same bits.
void expect_packed_bits_equal(const KernelTable& got_table, const KernelTable& want_table, DType t) {
  const PackedKernels& pv = got_table.for_type(t).packed;
  const PackedKernels& pa = want_table.for_type(t).packed;
  if (pv.rows == 0) return;
  ASSERT_EQ(pv.rows, pa.rows);
  ASSERT_EQ(pv.pack, pa.pack);
  ASSERT_EQ(pv.quantize_act, pa.quantize_act);
  const int64_t k = awkward_k(t);
  const int64_t rows = 5 * pv.rows;
  const size_t rb = row_bytes(t, uint64_t(k));
  std::mt19937 rng(99 + static_cast<uint32_t>(t));
  for (const std::vector<uint8_t>& w : {quantized_rows(rng, t, rows, k), random_bit_rows(rng, t, rows, k)}) {
    std::vector<uint8_t> p(w.size());
    for (int64_t g = 0; g < rows / pv.rows; ++g)
      pv.pack(w.data() + size_t(g * pv.rows) * rb, rb, k, p.data() + size_t(g * pv.rows) * rb);
    for (const int64_t nb : {1, 2, 3, 4, 5, 9, 11, 16, 70}) {
      const std::vector<float> xf = activations(rng, nb, k);
      const size_t xpb = pv.act_row_bytes(k);
      std::vector<uint8_t> xp(xpb * size_t(nb));
      for (int64_t b = 0; b < nb; ++b) pv.quantize_act(xf.data() + b * k, xp.data() + size_t(b) * xpb, k);
      std::vector<float> got(size_t(rows * nb)), want(size_t(rows * nb));
      pa.gemm(args(p, rb, k, xp, xpb, nb, want.data(), rows), 0, rows);
      pv.gemm(args(p, rb, k, xp, xpb, nb, got.data(), rows), 0, rows);
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
            << got_table.isa << " " << type_name(t) << " nb=" << nb << " output " << i << ": " << got[i] << " vs " << want[i];
    }
  }
}

// The AVX-512 tables' packed GEMMs sum the same integers as the AVX2 table's (exactly, in int32)
// and take the same float steps after, so they must give the same bits on any input.
TEST_P(KernelTables, Avx512PackedIsAvx2BitForBit) {
  const DType t = GetParam();
  const std::vector<const KernelTable*> tables = available_kernels(detect_cpu_features());
  const auto find = [&](std::string_view isa) -> const KernelTable* {
    for (const KernelTable* table : tables)
      if (table->isa == isa) return table;
    return nullptr;
  };
  const KernelTable* avx2 = find("avx2");
  if (!avx2 || !find("avx512")) GTEST_SKIP() << "this CPU runs no AVX-512 table";
  for (const KernelTable* wide : {find("avx512"), find("avx512vnni"), find("amx")}) {
    if (wide) expect_packed_bits_equal(*wide, *avx2, t);
  }
}

// The wide GEMMs (PackedKernels::wide, bf16 activations): the table's bf16 conversion is the
// reference's bit for bit; its gemm is the reference's up to float summation order, on row
// ranges that leave tiles of 32, 16 and 8 weight rows, batches that leave partial activation
// tiles and K past one unpacked chunk (2048 elements); and the reference is the float product
// up to the bf16 rounding of weights and activations (2^-9 each, relative).
GemmFn wide_reference(DType t) {
  switch (t) {
    case DType::Q4_0: return packed::gemm_bf16_q4_0x8_ref;
    case DType::Q4_K: return packed::gemm_bf16_q4_kx8_ref;
    case DType::Q6_K: return packed::gemm_bf16_q6_kx8_ref;
    default: return nullptr;
  }
}

TEST_P(KernelTables, WideGemmMatchesReference) {
  const DType t = GetParam();
  int tested = 0;
  for (const KernelTable* table : every_table()) {
    const PackedKernels& pk = table->for_type(t).packed;
    if (!pk.wide.gemm) continue;
    const GemmFn reference = wide_reference(t);
    ASSERT_TRUE(reference && pk.wide.quantize_act && pk.wide.act_row_bytes && pk.wide.min_rows > 0) << table->isa;
    ++tested;
    std::mt19937 rng(777 + static_cast<uint32_t>(t));
    // K past one chunk of 64 blocks too (2048 elements and more); and, at one K and batch, more
    // rows than one group of 8 row blocks of 32 (the amx GEMM's unpack unit).
    struct Shape {
      int64_t k, rows;
      std::vector<int64_t> batches;
    };
    const Shape shapes[] = {{awkward_k(t), 5 * pk.rows, {16, 17, 31, 32, 33, 70}},
                            {int64_t(9 * 256), 5 * pk.rows, {16, 17, 31, 32, 33, 70}},
                            {awkward_k(t), 37 * pk.rows, {33}}};
    for (const auto& [k, rows, batches] : shapes) {
      const size_t rb = row_bytes(t, uint64_t(k)), xb = pk.wide.act_row_bytes(k);
      ASSERT_EQ(xb, packed::bf16_row_bytes(k));
      for (const std::vector<uint8_t>& w : {quantized_rows(rng, t, rows, k), random_bit_rows(rng, t, rows, k)}) {
        std::vector<uint8_t> p(w.size());
        for (int64_t g = 0; g < rows / pk.rows; ++g)
          pk.pack(w.data() + size_t(g * pk.rows) * rb, rb, k, p.data() + size_t(g * pk.rows) * rb);
        std::vector<float> wf(size_t(rows * k));
        for (int64_t r = 0; r < rows; ++r) dequantize_row(t, w.data() + size_t(r) * rb, wf.data() + r * k, k);
        for (const int64_t nb : batches) {
          const std::vector<float> xf = activations(rng, nb, k);
          std::vector<uint8_t> x(xb * size_t(nb)), x_ref(x.size());
          for (int64_t b = 0; b < nb; ++b) {
            pk.wide.quantize_act(xf.data() + b * k, x.data() + size_t(b) * xb, k);
            packed::quantize_bf16_ref(xf.data() + b * k, x_ref.data() + size_t(b) * xb, k);
          }
          ASSERT_EQ(x, x_ref) << table->isa << " bf16 activations, k=" << k;
          const int64_t g = pk.rows;
          for (const auto& [r0, r1] : {std::pair<int64_t, int64_t>{0, rows}, {g, rows - g}, {2 * g, 3 * g}}) {
            const std::string what = std::string(table->isa) + " wide " + type_name(t) + " k=" + std::to_string(k) +
                                     " nb=" + std::to_string(nb) + " rows=[" + std::to_string(r0) + "," + std::to_string(r1) + ")";
            GemmRun got{std::vector<float>(size_t((rows + 3) * nb), kUntouched), rows + 3}, want = got;
            reference(args(p, rb, k, x, xb, nb, want.y.data(), want.stride), r0, r1);
            pk.wide.gemm(args(p, rb, k, x, xb, nb, got.y.data(), got.stride), r0, r1);
            for (int64_t b = 0; b < nb; ++b)
              for (int64_t r = 0; r < got.stride; ++r) {
                const size_t i = size_t(b * got.stride + r);
                if (r < r0 || r >= r1) {
                  ASSERT_EQ(got.y[i], kUntouched) << what << ": wrote outside at b=" << b << " r=" << r;
                  continue;
                }
                double exact = 0.0, magnitude = 0.0;
                for (int64_t e = 0; e < k; ++e) {
                  const double wx = double(wf[size_t(r * k + e)]) * double(xf[size_t(b * k + e)]);
                  exact += wx;
                  magnitude += std::fabs(wx);
                }
                const double summation = double(k) * std::ldexp(1.0, -23) * magnitude * 1.02 + 1e-30;
                ASSERT_NEAR(got.y[i], want.y[i], summation) << what << " b=" << b << " r=" << r;
                ASSERT_NEAR(want.y[i], exact, std::ldexp(1.0, -8) * magnitude * 1.01 + summation)
                    << what << " reference vs exact, b=" << b << " r=" << r;
              }
          }
        }
      }
    }
  }
  if (tested == 0) GTEST_SKIP() << "no table on this CPU has a wide GEMM for " << type_name(t);
}

// gemm_f16_f32act: the same outputs, bit for bit, as the table's F16 gemm on the f16
// activations it widens, and close to the reference's F16 gemm; on awkward lengths (a scalar
// tail), odd row ranges and 1-16 activation rows (its tiles take up to 6).
TEST(Kernels, F16GemmOnF32ActsIsF16Gemm) {
  std::mt19937 rng(13);
  const int64_t k = awkward_k(DType::F16), rows = 13;
  const std::vector<uint8_t> w = quantized_rows(rng, DType::F16, rows, k);
  const TypeKernels& ref = reference_kernels().for_type(DType::F16);
  int tables = 0;
  for (const KernelTable* table : every_table()) {
    if (table->gemm_f16_f32act == nullptr) continue;
    ++tables;
    const TypeKernels& tk = table->for_type(DType::F16);
    for (const int64_t nb : {1, 2, 5, 6, 7, 16}) {
      const std::vector<float> x = random_floats(rng, size_t(nb * k));
      const std::vector<uint8_t> x16 = quantize_acts(tk, x, nb, k);
      std::vector<uint8_t> x32(size_t(nb * k) * sizeof(float));
      for (int64_t i = 0; i < nb * k; ++i) {
        uint16_t h;
        std::memcpy(&h, x16.data() + 2 * size_t(i), 2);
        const float f = fp16_to_f32(h);
        std::memcpy(x32.data() + sizeof(float) * size_t(i), &f, sizeof(f));
      }
      for (const auto& [r0, r1] : {std::pair<int64_t, int64_t>{0, rows}, {3, 8}, {5, 6}}) {
        const GemmRun want = run_gemm(tk, DType::F16, w, x16, k, rows, nb, r0, r1);
        GemmRun got{std::vector<float>(want.y.size(), kUntouched), want.stride};
        GemmArgs a;
        a.w = w.data();
        a.w_row_bytes = row_bytes(DType::F16, uint64_t(k));
        a.k = k;
        a.x = x32.data();
        a.x_row_bytes = size_t(k) * sizeof(float);
        a.nb = nb;
        a.y = got.y.data();
        a.y_stride = got.stride;
        table->gemm_f16_f32act(a, r0, r1);
        for (size_t i = 0; i < want.y.size(); ++i)
          ASSERT_EQ(std::bit_cast<uint32_t>(got.y[i]), std::bit_cast<uint32_t>(want.y[i]))
              << table->isa << " nb=" << nb << " rows " << r0 << ".." << r1 << " at " << i;
        const GemmRun plain = run_gemm(ref, DType::F16, w, x16, k, rows, nb, r0, r1);
        expect_close(got, plain, output_scales(plain, nb, rows), nb, r0, r1, std::string(table->isa) + " vs reference");
      }
    }
  }
  if (tables == 0) GTEST_SKIP() << "no table on this CPU has gemm_f16_f32act";
}

// gemm_f16_exact: every output within float rounding of the exact sum of its f16 x f16
// products (in double): |y - exact| <= 4 k 2^-24 sum |w x| (each product added in up to four
// exact parts, one rounding each); lengths around the 32-element step, activation values over
// a wide range of exponents, 1-40 activation rows (past one 16-row tile), weight row ranges
// within and past 16- and 32-row blocks, nothing written outside the range.
TEST(Kernels, F16ExactGemmSumsExactProducts) {
  std::mt19937 rng(17);
  int tables = 0;
  for (const KernelTable* table : every_table()) {
    if (table->gemm_f16_exact == nullptr) continue;
    ++tables;
    for (const int64_t k : {int64_t(1), int64_t(31), int64_t(128), int64_t(419)}) {
      const int64_t rows = 45;
      const std::vector<uint8_t> w = quantized_rows(rng, DType::F16, rows, k);
      for (const int64_t nb : {1, 6, 16, 17, 40}) {
        std::vector<float> x = random_floats(rng, size_t(nb * k));
        for (float& f : x) f = fp16_to_f32(f32_to_fp16(std::ldexp(f, int(rng() % 24) - 12)));
        for (const auto& [r0, r1] : {std::pair<int64_t, int64_t>{0, rows}, {3, 8}, {5, 6}, {13, 45}, {16, 33}}) {
          GemmRun got{std::vector<float>(size_t((rows + 3) * nb), kUntouched), rows + 3};
          GemmArgs a;
          a.w = w.data();
          a.w_row_bytes = row_bytes(DType::F16, uint64_t(k));
          a.k = k;
          a.x = reinterpret_cast<const uint8_t*>(x.data());
          a.x_row_bytes = size_t(k) * sizeof(float);
          a.nb = nb;
          a.y = got.y.data();
          a.y_stride = got.stride;
          table->gemm_f16_exact(a, r0, r1);
          for (int64_t b = 0; b < nb; ++b) {
            for (int64_t r = 0; r < got.stride; ++r) {
              const float g = got.y[size_t(b * got.stride + r)];
              if (r < r0 || r >= r1) {
                ASSERT_EQ(g, kUntouched) << table->isa << " wrote outside [" << r0 << ", " << r1 << ") at " << b << "," << r;
                continue;
              }
              double exact = 0.0, mag = 0.0;
              for (int64_t i = 0; i < k; ++i) {
                uint16_t h;
                std::memcpy(&h, w.data() + size_t(r) * a.w_row_bytes + 2 * size_t(i), 2);
                const double p = double(fp16_to_f32(h)) * double(x[size_t(b * k + i)]);
                exact += p;
                mag += std::fabs(p);
              }
              ASSERT_LE(std::fabs(double(g) - exact), 4.0 * double(k) * 0x1p-24 * mag + 1e-37)
                  << table->isa << " k=" << k << " nb=" << nb << " rows " << r0 << ".." << r1 << " at " << b << "," << r;
            }
          }
        }
      }
    }
  }
  if (tables == 0) GTEST_SKIP() << "no table on this CPU has gemm_f16_exact";
}

// SwiGLU against the reference (libm's expf) on lengths that leave SIMD tails, with inputs
// from the saturated ends (|g| near and past the exp clamp) and the usual range.
TEST(Kernels, SiluMulMatchesReference) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> wide(-120.0f, 120.0f);
  for (const KernelTable* table : every_table()) {
    ASSERT_NE(table->silu_mul, nullptr) << table->isa;
    for (const int64_t n : {1, 7, 8, 9, 31, 1037}) {
      std::vector<float> g = random_floats(rng, size_t(n), 4.0f), u = random_floats(rng, size_t(n));
      for (size_t i = 0; i < g.size(); i += 5) g[i] = wide(rng);
      std::vector<float> want = g, got = g;
      reference_kernels().silu_mul(want.data(), u.data(), n);
      table->silu_mul(got.data(), u.data(), n);
      for (size_t i = 0; i < size_t(n); ++i)
        EXPECT_NEAR(got[i], want[i], 1e-6f * std::fabs(want[i]) + 1e-30f)
            << table->isa << " n=" << n << " i=" << i << " g=" << g[i];
    }
  }
}

// Softmax against the reference on lengths around the SIMD width, with a wide spread of
// scores (weights near 0 and near 1 in one row) and a row of equal scores.
TEST(Kernels, SoftmaxMatchesReference) {
  std::mt19937 rng(12);
  std::uniform_real_distribution<float> wide(-60.0f, 20.0f);
  for (const KernelTable* table : every_table()) {
    ASSERT_NE(table->softmax, nullptr) << table->isa;
    for (const int64_t n : {1, 2, 7, 8, 9, 16, 31, 1037}) {
      std::vector<float> x = random_floats(rng, size_t(n), 8.0f);
      for (size_t i = 0; i < x.size(); i += 3) x[i] = wide(rng);
      std::vector<float> want = x, got = x;
      reference_kernels().softmax(want.data(), n);
      table->softmax(got.data(), n);
      double total = 0.0;
      for (size_t i = 0; i < size_t(n); ++i) {
        EXPECT_NEAR(got[i], want[i], 2e-6f * want[i] + 1e-30f) << table->isa << " n=" << n << " i=" << i;
        total += got[i];
      }
      EXPECT_NEAR(total, 1.0, 1e-5) << table->isa << " n=" << n;
    }
    std::vector<float> flat(13, 3.5f);
    table->softmax(flat.data(), 13);
    for (float v : flat) EXPECT_NEAR(v, 1.0f / 13.0f, 1e-7f) << table->isa;
  }
}

// The packed legacy GEMMs add products in narrow integers (int16 lanes on AVX2): weights and
// activations all at their extremes, with both signs, take every such lane to its bound.
TEST(Kernels, PackedLegacyAtIntegerLimits) {
  const int64_t k = 5 * 32, rows = 16, nb = 6;
  for (const DType t : {DType::Q4_0, DType::Q8_0}) {
    const TypeKernels& ref = reference_kernels().for_type(t);
    const size_t rb = row_bytes(t, uint64_t(k));
    std::vector<uint8_t> w(rb * size_t(rows));
    for (int64_t r = 0; r < rows; ++r) {
      const uint16_t d = f32_to_fp16(0.01f * float(r + 1));
      if (t == DType::Q4_0) {
        auto* b = reinterpret_cast<block_q4_0*>(w.data() + size_t(r) * rb);
        for (int64_t j = 0; j < k / 32; ++j) {
          b[j].d = d;
          std::memset(b[j].qs, r % 2 ? 0xFF : 0x00, sizeof(b[j].qs));  // all 7 or all -8
        }
      } else {
        auto* b = reinterpret_cast<block_q8_0*>(w.data() + size_t(r) * rb);
        for (int64_t j = 0; j < k / 32; ++j) {
          b[j].d = d;
          std::memset(b[j].qs, r % 2 ? 0x7F : 0x80, sizeof(b[j].qs));  // all 127 or all -128
        }
      }
    }
    std::vector<float> xf(size_t(nb * k));
    for (int64_t b = 0; b < nb; ++b)
      for (int64_t i = 0; i < k; ++i) xf[size_t(b * k + i)] = (b % 2 ? -1.0f : 1.0f) * float(1 + i / 32);
    const std::vector<uint8_t> x = quantize_acts(ref, xf, nb, k);
    const GemmRun want = run_gemm(ref, t, w, x, k, rows, nb, 0, rows);
    const std::vector<float> scale = output_scales(want, nb, rows);
    for (const KernelTable* table : every_table()) {
      const PackedKernels& pk = table->for_type(t).packed;
      if (pk.rows == 0) continue;
      std::vector<uint8_t> p(w.size());
      for (int64_t g = 0; g < rows / pk.rows; ++g)
        pk.pack(w.data() + size_t(g * pk.rows) * rb, rb, k, p.data() + size_t(g * pk.rows) * rb);
      const size_t xpb = pk.act_row_bytes(k);
      std::vector<uint8_t> xp(xpb * size_t(nb));
      for (int64_t b = 0; b < nb; ++b) pk.quantize_act(xf.data() + b * k, xp.data() + size_t(b) * xpb, k);
      GemmRun got{std::vector<float>(size_t((rows + 3) * nb), kUntouched), rows + 3};
      pk.gemm(args(p, rb, k, xp, xpb, nb, got.y.data(), got.stride), 0, rows);
      expect_close(got, want, scale, nb, 0, rows, std::string(table->isa) + " packed " + type_name(t) + " at limits");
    }
  }
}

TEST(Kernels, PackedQ8SMatchesQ8_0) {
  std::mt19937 rng(5);
  const int64_t k = 13 * 32;
  std::vector<float> x = random_floats(rng, size_t(k));
  std::fill(x.begin(), x.begin() + 32, 0.0f);
  std::vector<uint8_t> q8(act_row_bytes(DType::Q8_0, k));
  reference_kernels().for_type(DType::Q4_0).quantize_act(x.data(), q8.data(), k);
  std::vector<uint8_t> want(packed::q8s_row_bytes(k));
  packed::quantize_q8s_ref(x.data(), want.data(), k);
  const auto* b = reinterpret_cast<const block_q8_0*>(q8.data());
  const auto* s = reinterpret_cast<const packed::Q8S*>(want.data());
  for (int64_t j = 0; j < k / 32; ++j) {
    ASSERT_EQ(s[j].d, fp16_to_f32(b[j].d));
    int32_t sum01 = 0, sum23 = 0;  // values at i % 4 in {0, 1} and in {2, 3}
    for (int i = 0; i < 32; ++i) {
      ASSERT_EQ(s[j].qs[i], b[j].qs[i]);
      (i % 4 < 2 ? sum01 : sum23) += b[j].qs[i];
    }
    ASSERT_EQ(s[j].off8[0], -8 * sum01);
    ASSERT_EQ(s[j].off8[1], -8 * sum23);
    ASSERT_EQ(packed::q8s_sum(s[j]), sum01 + sum23);
  }
  for (const KernelTable* table : every_table()) {
    const PackedKernels& pk = table->for_type(DType::Q4_0).packed;
    if (pk.act_row_bytes != packed::q8s_row_bytes) continue;
    std::vector<uint8_t> got(want.size());
    pk.quantize_act(x.data(), got.data(), k);
    EXPECT_EQ(got, want) << table->isa;
  }
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, KernelTables, ::testing::ValuesIn(kWeightTypes),
                         [](const ::testing::TestParamInfo<DType>& p) { return type_name(p.param); });

TEST(Kernels, TablesAndFeatures) {
  const CpuFeatures cpu = detect_cpu_features();
  const std::vector<const KernelTable*> tables = available_kernels(cpu);
  ASSERT_FALSE(tables.empty());
  EXPECT_EQ(tables.front(), &reference_kernels());
  EXPECT_EQ(&best_kernels(cpu), tables.back());
  EXPECT_EQ(available_kernels(CpuFeatures{}).size(), 1u);  // no features: reference only
#if defined(__x86_64__)
  __builtin_cpu_init();
  EXPECT_EQ(cpu.avx2, bool(__builtin_cpu_supports("avx2")));
  EXPECT_EQ(cpu.fma, bool(__builtin_cpu_supports("fma")));
  EXPECT_EQ(cpu.avx512f, bool(__builtin_cpu_supports("avx512f")));
  EXPECT_EQ(cpu.avx512vnni, bool(__builtin_cpu_supports("avx512vnni")));
  if (cpu.avx2 && cpu.fma && cpu.f16c) {
    const bool avx512 = cpu.avx512f && cpu.avx512bw && cpu.avx512vl;
    const bool vnni = avx512 && cpu.avx512vnni;
    EXPECT_EQ(best_kernels(cpu).isa, vnni && cpu.amx_int8 && cpu.amx_bf16 ? "amx" : vnni ? "avx512vnni" : avx512 ? "avx512" : "avx2");
    EXPECT_EQ(best_kernels(cpu, Rounding::LlamaCpp).isa, "avx2");
    EXPECT_EQ(best_kernels(cpu, Rounding::LlamaCpp).rounding, "llama.cpp");
    // Software prefetch in every table but the AVX-512 ones on AMD; the vendor changes nothing else.
    CpuFeatures amd = cpu, intel = cpu;
    amd.amd = true;
    intel.amd = false;
    const std::vector<const KernelTable*> on_amd = available_kernels(amd), on_intel = available_kernels(intel);
    ASSERT_EQ(on_amd.size(), on_intel.size());
    for (size_t i = 1; i < on_amd.size(); ++i) {
      EXPECT_EQ(on_amd[i]->isa, on_intel[i]->isa);
      EXPECT_TRUE(on_intel[i]->prefetch_weights) << on_intel[i]->isa;
      EXPECT_EQ(on_amd[i]->prefetch_weights, on_amd[i]->isa == "avx2") << on_amd[i]->isa;
      EXPECT_EQ(on_amd[i]->for_type(DType::Q4_0).packed.gemm, on_intel[i]->for_type(DType::Q4_0).packed.gemm);
    }
  }
#endif
  EXPECT_EQ(best_kernels(cpu).rounding, "fast");
  // Without a table that rounds as llama.cpp, the fast one.
  EXPECT_EQ(&best_kernels(CpuFeatures{}, Rounding::LlamaCpp), &reference_kernels());
  for (const KernelTable* t : tables)
    for (DType w : kWeightTypes) EXPECT_NE(t->for_type(w).gemm, nullptr) << t->isa << " " << type_name(w);
}

TEST(Kernels, ActRowBytes) {
  EXPECT_EQ(act_row_bytes(DType::F32, 10), 40u);
  EXPECT_EQ(act_row_bytes(DType::F16, 10), 20u);
  EXPECT_EQ(act_row_bytes(DType::BF16, 10), 20u);
  EXPECT_EQ(act_row_bytes(DType::Q8_0, 64), 68u);
  EXPECT_EQ(act_row_bytes(DType::Q8_1, 64), 72u);
  EXPECT_EQ(act_row_bytes(DType::Q8_K, 512), 584u);
  EXPECT_THROW(act_row_bytes(DType::Q4_0, 64), Error);
}

}  // namespace
}  // namespace minnow::kernels
