// Quantization checks that need no llama.cpp: type table, known answers, golden digests of
// ggml's output, and round-trip error bounds per type.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <vector>

#include "golden.h"
#include "quant/blocks.h"
#include "quant/quant.h"
#include "quant/types.h"
#include "test_data.h"
#include "util/error.h"
#include "util/fp16.h"

namespace minnow {
namespace {

using quant_test::make_row;
using quant_test::Pattern;

TEST(quantTypes, TableGeometry) {
  EXPECT_EQ(dtype_info(DType::Q4_0).block_bytes, 18u);
  EXPECT_EQ(dtype_info(DType::Q4_K).block_elems, 256u);
  EXPECT_EQ(dtype_info(DType::Q6_K).block_bytes, 210u);
  EXPECT_EQ(dtype_info(DType::Q8_K).block_bytes, 292u);
  EXPECT_EQ(dtype_info(DType::BF16).block_bytes, 2u);
  EXPECT_EQ(row_bytes(DType::Q4_K, 4096), 16u * 144u);
  EXPECT_EQ(row_bytes(DType::F32, 10), 40u);
  EXPECT_EQ(dtype_info(DType::Q2_K).name, "q2_K");
  EXPECT_TRUE(dtype_info(DType::Q6_K).weight_type);
  EXPECT_FALSE(dtype_info(DType::Q8_1).weight_type);
  EXPECT_FALSE(dtype_info(DType::Q8_K).weight_type);
  EXPECT_FALSE(dtype_info(DType::I32).weight_type);
}

TEST(quantTypes, IdsAndNames) {
  for (uint32_t id = 0; id < 64; ++id) {
    const auto info = dtype_info(id);
    if (info) {
      EXPECT_EQ(uint32_t(info->type), id);
      EXPECT_EQ(dtype_from_name(info->name), info->type);
      EXPECT_EQ(ggml_type_name(id), info->name);
    }
  }
  EXPECT_FALSE(dtype_info(16).has_value());  // iq2_xxs: GGUF knows it, Minnow does not
  EXPECT_EQ(ggml_type_name(16), "iq2_xxs");
  EXPECT_EQ(ggml_type_name(39), "mxfp4");
  EXPECT_EQ(ggml_type_name(42), "q2_0");
  EXPECT_FALSE(ggml_type_name(43).has_value());
  EXPECT_FALSE(dtype_info(4).has_value());
  EXPECT_EQ(dtype_from_name("Q4_K"), DType::Q4_K);
  EXPECT_EQ(dtype_from_name("F16"), DType::F16);
  EXPECT_EQ(dtype_from_name("bf16"), DType::BF16);
  EXPECT_FALSE(dtype_from_name("q4_k_m").has_value());
  EXPECT_FALSE(dtype_from_name("iq2_xxs").has_value());
}

TEST(quantKnownAnswer, Q4_0Block) {
  // x[j] = j - 16: the largest magnitude is x[0] = -16, so d = -16 / -8 = 2 and
  // q[j] = trunc((j - 16) / 2 + 8.5).
  float x[32];
  for (int j = 0; j < 32; ++j) x[j] = float(j - 16);
  block_q4_0 b{};
  quantize_row(DType::Q4_0, x, &b, 32);
  EXPECT_EQ(b.d, 0x4000);  // 2.0 in binary16
  for (int j = 0; j < 16; ++j) {
    const int lo = int((j - 16) / 2.0f + 8.5f);
    const int hi = std::min(15, int((j + 16 - 16) / 2.0f + 8.5f));
    EXPECT_EQ(b.qs[j], lo | (hi << 4)) << j;
  }
  float y[32];
  dequantize_row(DType::Q4_0, &b, y, 32);
  EXPECT_EQ(y[0], -16.0f);
  EXPECT_EQ(y[31], 14.0f);  // 15.5 clamps to the top code 15 -> (15 - 8) * 2
}

TEST(quantKnownAnswer, Q8_0RoundsHalfAwayFromZero) {
  float x[32] = {};
  x[0] = 127.0f;  // d = 1
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 0.49f;
  block_q8_0 b{};
  quantize_row(DType::Q8_0, x, &b, 32);
  EXPECT_EQ(fp16_to_f32(b.d), 1.0f);
  EXPECT_EQ(b.qs[0], 127);
  EXPECT_EQ(b.qs[1], 3);
  EXPECT_EQ(b.qs[2], -3);
  EXPECT_EQ(b.qs[3], 0);
}

TEST(quantKnownAnswer, HalfConversions) {
  EXPECT_EQ(fp16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(fp16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(fp16_to_f32(0x0001), 0x1.0p-24f);
  EXPECT_EQ(fp16_to_f32(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(fp16_to_f32(0x7c00)));
  EXPECT_TRUE(std::isnan(fp16_to_f32(0x7c01)));
  EXPECT_EQ(f32_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_fp16(65520.0f), 0x7c00);     // rounds to inf
  EXPECT_EQ(f32_to_fp16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_fp16(1.0f + 0x1.0p-11f), 0x3c00);  // tie -> even
  EXPECT_EQ(f32_to_fp16(0x1.0p-25f), 0x0000);          // tie with zero -> even (zero)
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_f32(0x4040), 3.0f);
}

TEST(quantErrors, NonFloatTypesThrow) {
  std::vector<float> x(32, 1.0f);
  std::vector<uint8_t> buf(256);
  EXPECT_THROW(quantize_row(DType::I32, x.data(), buf.data(), 32), Error);
  EXPECT_THROW(dequantize_row(DType::F64, buf.data(), x.data(), 32), Error);
}

// Our quantizers reproduce ggml's bytes on the golden corpus.
TEST(quantGolden, DigestsMatchGgml) {
  for (const quant_test::Golden& golden : quant_test::kGolden) {
    const uint64_t digest = quant_test::corpus_digest(golden.type, [&](const float* x, void* y, int64_t n) {
      quantize_row(golden.type, x, y, n);
    });
    EXPECT_EQ(digest, golden.digest) << dtype_info(golden.type).name << ": ours 0x" << std::hex << digest;
  }
}

struct Bound {
  DType type;
  double max_rel_rmse;  // RMSE of the round trip relative to the RMS of the signal
};

// About 1.2x what the reference quantizers achieve on these bell-shaped rows (measured), so a
// regression in any search step trips the bound.
constexpr Bound kBounds[] = {
    {DType::F32, 0.0},      {DType::F16, 3e-4},     {DType::BF16, 2.5e-3}, {DType::Q8_0, 6e-3},
    {DType::Q8_1, 6e-3},    {DType::Q8_K, 7.5e-3},  {DType::Q6_K, 2e-2},   {DType::Q5_0, 5e-2},
    {DType::Q5_1, 4.5e-2},  {DType::Q5_K, 4.2e-2},  {DType::Q4_0, 0.1},    {DType::Q4_1, 9.5e-2},
    {DType::Q4_K, 8.5e-2},  {DType::Q3_K, 0.18},    {DType::Q2_K, 0.35},
};

class QuantRoundTrip : public ::testing::TestWithParam<Bound> {};

TEST_P(QuantRoundTrip, ErrorWithinBound) {
  const Bound bound = GetParam();
  const DTypeInfo& info = dtype_info(bound.type);
  const int64_t n = 8192;
  for (float scale : {1.0f, 0.02f, 50.0f}) {
    const std::vector<float> x = make_row(Pattern::Bell, n, scale, 42);
    std::vector<uint8_t> q(row_bytes(info, n));
    std::vector<float> y(static_cast<size_t>(n));
    quantize_row(bound.type, x.data(), q.data(), n);
    dequantize_row(bound.type, q.data(), y.data(), n);
    double err2 = 0, sig2 = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double d = double(x[size_t(i)]) - double(y[size_t(i)]);
      err2 += d * d;
      sig2 += double(x[size_t(i)]) * double(x[size_t(i)]);
    }
    const double rel = std::sqrt(err2 / sig2);
    EXPECT_LE(rel, bound.max_rel_rmse) << info.name << " scale " << scale;
    if (bound.type != DType::F32) {
      EXPECT_GT(rel, 0.0) << info.name << " lost nothing: not quantizing?";
    }
  }
}

TEST_P(QuantRoundTrip, ZerosStayZero) {
  const DTypeInfo& info = dtype_info(GetParam().type);
  const int64_t n = 512;
  const std::vector<float> x(size_t(n), 0.0f);
  std::vector<uint8_t> q(row_bytes(info, n), 0xFF);
  std::vector<float> y(size_t(n), 1.0f);
  quantize_row(info.type, x.data(), q.data(), n);
  dequantize_row(info.type, q.data(), y.data(), n);
  for (float v : y) ASSERT_EQ(v, 0.0f) << info.name;
}

INSTANTIATE_TEST_SUITE_P(quant, QuantRoundTrip, ::testing::ValuesIn(kBounds),
                         [](const auto& param) { return std::string(dtype_info(param.param.type).name); });

}  // namespace
}  // namespace minnow
