// Bit-exactness against ggml (the prebuilt libggml-base.so): quantized bytes and dequantized
// floats must be identical, as must the fp16/bf16 scalar conversions.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "ggml.h"
#include "golden.h"
#include "quant/quant.h"
#include "quant/types.h"
#include "test_data.h"
#include "util/fp16.h"

// q8_K is not in ggml's type-trait table; its reference codecs are exported plainly.
extern "C" {
void quantize_row_q8_K_ref(const float* x, void* y, int64_t k);
void dequantize_row_q8_K(const void* x, float* y, int64_t k);
}

namespace minnow {
namespace {

using quant_test::make_row;
using quant_test::Pattern;
using quant_test::Rng;

using QuantFn = void (*)(const float*, void*, int64_t);
using DequantFn = void (*)(const void*, float*, int64_t);

struct GgmlCodec {
  QuantFn quantize = nullptr;
  DequantFn dequantize = nullptr;
};

GgmlCodec ggml_codec(DType t) {
  if (t == DType::Q8_K) return {quantize_row_q8_K_ref, dequantize_row_q8_K};
  const ggml_type_traits* tr = ggml_get_type_traits(static_cast<ggml_type>(t));
  return {reinterpret_cast<QuantFn>(tr->from_float_ref), reinterpret_cast<DequantFn>(tr->to_float)};
}

constexpr DType kTestedTypes[] = {DType::F16,  DType::BF16, DType::Q4_0, DType::Q4_1, DType::Q5_0,
                                  DType::Q5_1, DType::Q8_0, DType::Q8_1, DType::Q2_K, DType::Q3_K,
                                  DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q8_K};

bool same_float(float a, float b) {
  return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b) || (std::isnan(a) && std::isnan(b));
}

std::vector<int64_t> lengths_for(const DTypeInfo& info) {
  if (info.block_elems == 1) return {1, 7, 256};
  if (info.block_elems == 32) return {32, 96, 224, 1024};
  return {256, 512, 2048};
}

// Index of the first differing block, or -1.
int64_t first_diff_block(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, size_t block_bytes) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return int64_t(i / block_bytes);
  }
  return -1;
}

void expect_dequant_equal(DType t, const GgmlCodec& g, const std::vector<uint8_t>& bytes, int64_t n,
                          const std::string& what) {
  if (g.dequantize == nullptr) return;  // q8_1 has no ggml decoder
  std::vector<float> ours(static_cast<size_t>(n)), theirs(static_cast<size_t>(n));
  dequantize_row(t, bytes.data(), ours.data(), n);
  g.dequantize(bytes.data(), theirs.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    if (!same_float(ours[size_t(i)], theirs[size_t(i)])) {
      ADD_FAILURE() << dtype_info(t).name << " dequantize " << what << ": element " << i << " ours "
                    << ours[size_t(i)] << " ggml " << theirs[size_t(i)];
      return;
    }
  }
}

class QuantVsGgml : public ::testing::TestWithParam<DType> {};

TEST_P(QuantVsGgml, QuantizeBytesAndDequantizeFloatsMatch) {
  const DType t = GetParam();
  const DTypeInfo& info = dtype_info(t);
  const GgmlCodec g = ggml_codec(t);
  ASSERT_NE(g.quantize, nullptr);
  uint64_t seed = 1000;
  int checked = 0;
  for (int64_t n : lengths_for(info)) {
    for (Pattern p : quant_test::kPatterns) {
      for (float scale : {1.0f, 1e-3f, 1e-6f, 100.0f, 3e4f, 1e5f}) {
        const std::vector<float> x = make_row(p, n, scale, ++seed);
        const size_t nbytes = row_bytes(info, uint64_t(n));
        std::vector<uint8_t> ours(nbytes, 0xAA), theirs(nbytes, 0);
        quantize_row(t, x.data(), ours.data(), n);
        g.quantize(x.data(), theirs.data(), n);
        const std::string what = std::string(quant_test::pattern_name(p)) + " n=" + std::to_string(n) +
                                 " scale=" + std::to_string(scale);
        const int64_t bad = first_diff_block(ours, theirs, info.block_bytes);
        EXPECT_EQ(bad, -1) << info.name << " quantize " << what << ": first differing block " << bad;
        expect_dequant_equal(t, g, theirs, n, what);
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100);
}

// Decoders must agree on arbitrary bytes too (files we read were not written by us).
TEST_P(QuantVsGgml, DequantizeRandomBytesMatches) {
  const DType t = GetParam();
  const DTypeInfo& info = dtype_info(t);
  GgmlCodec g = ggml_codec(t);
  if (t == DType::Q8_1) {  // ggml has no q8_1 decoder; the format is plainly d * q
    g.dequantize = [](const void* x, float* y, int64_t n) {
      const auto* b = static_cast<const uint8_t*>(x);
      for (int64_t i = 0; i < n; ++i) {
        uint16_t d;
        std::memcpy(&d, b + (i / 32) * 36, 2);
        y[i] = static_cast<int8_t>(b[(i / 32) * 36 + 4 + i % 32]) * ggml_fp16_to_fp32(d);
      }
    };
  }
  Rng rng(77);
  const int64_t n = info.block_elems == 1 ? 4096 : int64_t(info.block_elems) * 64;
  std::vector<uint8_t> bytes(row_bytes(info, uint64_t(n)));
  for (auto& b : bytes) b = uint8_t(rng.next());
  expect_dequant_equal(t, g, bytes, n, "random bytes");
}

INSTANTIATE_TEST_SUITE_P(quant, QuantVsGgml, ::testing::ValuesIn(kTestedTypes),
                         [](const auto& param) { return std::string(dtype_info(param.param).name); });

// The golden digests in golden.h (checked by the ggml-free suite) must be ggml's own output.
TEST(quantGolden, DigestsAreGgmlOutput) {
  for (const quant_test::Golden& golden : quant_test::kGolden) {
    const GgmlCodec g = ggml_codec(golden.type);
    const uint64_t digest = quant_test::corpus_digest(golden.type, [&](const float* x, void* y, int64_t n) {
      g.quantize(x, y, n);
    });
    EXPECT_EQ(digest, golden.digest) << dtype_info(golden.type).name << ": ggml digest 0x" << std::hex
                                     << digest;
  }
}

TEST(quantFp16VsGgml, HalfToFloatExhaustive) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float ours = fp16_to_f32(uint16_t(h));
    const float theirs = ggml_fp16_to_fp32(ggml_fp16_t(h));
    ASSERT_EQ(std::bit_cast<uint32_t>(ours), std::bit_cast<uint32_t>(theirs)) << "half 0x" << std::hex << h;
  }
}

TEST(quantFp16VsGgml, BFloatToFloatExhaustive) {
  for (uint32_t h = 0; h < 65536; ++h) {
    ggml_bf16_t b;
    b.bits = uint16_t(h);
    ASSERT_EQ(std::bit_cast<uint32_t>(bf16_to_f32(uint16_t(h))), std::bit_cast<uint32_t>(ggml_bf16_to_fp32(b)))
        << "bf16 0x" << std::hex << h;
  }
}

// Floats around every representable half (exact values, midpoints, one ulp either side) plus
// random bit patterns and specials.
std::vector<float> conversion_probes() {
  std::vector<float> v;
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    const uint32_t bits = std::bit_cast<uint32_t>(fp16_to_f32(uint16_t(h)));
    const uint32_t next = std::bit_cast<uint32_t>(fp16_to_f32(uint16_t(h + 1)));
    const uint32_t mid = bits + (next - bits) / 2;
    for (uint32_t b : {bits, bits + 1, mid - 1, mid, mid + 1}) {
      v.push_back(std::bit_cast<float>(b));
      v.push_back(-std::bit_cast<float>(b));
    }
  }
  Rng rng(5);
  for (int i = 0; i < 200000; ++i) v.push_back(std::bit_cast<float>(uint32_t(rng.next())));
  const float specials[] = {0.0f, -0.0f, 65504.0f, 65519.99f, 65520.0f, 1e10f, -1e10f,
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::min(), std::numeric_limits<float>::max()};
  v.insert(v.end(), std::begin(specials), std::end(specials));
  return v;
}

TEST(quantFp16VsGgml, FloatToHalfAndBFloat) {
  for (float f : conversion_probes()) {
    const uint32_t bits = std::bit_cast<uint32_t>(f);
    ASSERT_EQ(f32_to_fp16(f), ggml_fp32_to_fp16(f)) << "float bits 0x" << std::hex << bits;
    ASSERT_EQ(f32_to_bf16(f), ggml_fp32_to_bf16(f).bits) << "float bits 0x" << std::hex << bits;
  }
}

}  // namespace
}  // namespace minnow
