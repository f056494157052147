#pragma once
// FNV-1a digests of ggml's reference quantization of the golden corpus (test_data.h), so the
// suite checks bit-exactness even where the llama.cpp prebuilt is absent. test_quant_ggml
// re-derives every digest from ggml itself.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "quant/types.h"
#include "test_data.h"

namespace minnow::quant_test {

struct Golden {
  DType type;
  uint64_t digest;
};

inline constexpr Golden kGolden[] = {
    {DType::F16, 0xb0e8cdb1bf5b3c19ull},
    {DType::BF16, 0x5df4072ce8f550e5ull},
    {DType::Q4_0, 0x7a90d321a965d65aull},
    {DType::Q4_1, 0x38f1d52f00bf4a6ull},
    {DType::Q5_0, 0x7c20e19e9cb42f44ull},
    {DType::Q5_1, 0x37b389fa4584ef4aull},
    {DType::Q8_0, 0x459233c45fd26d59ull},
    {DType::Q8_1, 0xeca8b15900d414fbull},
    {DType::Q2_K, 0xf9cf8ee950e38939ull},
    {DType::Q3_K, 0x58ed2e4330930dabull},
    {DType::Q4_K, 0xe05718ddae8a00ebull},
    {DType::Q5_K, 0x87797e744cf06705ull},
    {DType::Q6_K, 0x94d36e0229a22f10ull},
    {DType::Q8_K, 0xd5359d41ee09a9feull},
};

// Digest of `quantize` applied to every corpus row, in order.
template <typename Quantize>
uint64_t corpus_digest(DType type, Quantize&& quantize) {
  uint64_t h = 0xcbf29ce484222325ull;
  std::vector<uint8_t> out(row_bytes(type, kGoldenRowLen));
  for (const CorpusRow& r : golden_corpus()) {
    const std::vector<float> x = make_row(r.pattern, kGoldenRowLen, r.scale, r.seed);
    std::fill(out.begin(), out.end(), uint8_t(0));
    quantize(x.data(), out.data(), kGoldenRowLen);
    h = fnv1a(out.data(), out.size(), h);
  }
  return h;
}

}  // namespace minnow::quant_test
