#pragma once
// Deterministic test rows for the quant tests. Uses only exact integer->float steps (no libm),
// so the same rows come out on every platform and golden digests stay valid.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace minnow::quant_test {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {  // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  float uniform() { return float(next() >> 40) * 0x1.0p-24f; }  // [0, 1), exact
  // Bell-shaped in [-2, 2): sum of four uniforms, every step exact in float.
  float bell() { return uniform() + uniform() + uniform() + uniform() - 2.0f; }

 private:
  uint64_t state_;
};

// One row per pattern the quantizers treat specially.
enum class Pattern { Bell, BellWithZeroBlocks, Constant, AllPositive, Outliers, Sparse, Zeros };

inline const char* pattern_name(Pattern p) {
  switch (p) {
    case Pattern::Bell: return "bell";
    case Pattern::BellWithZeroBlocks: return "zero_blocks";
    case Pattern::Constant: return "constant";
    case Pattern::AllPositive: return "positive";
    case Pattern::Outliers: return "outliers";
    case Pattern::Sparse: return "sparse";
    case Pattern::Zeros: return "zeros";
  }
  return "?";
}

inline constexpr Pattern kPatterns[] = {Pattern::Bell,     Pattern::BellWithZeroBlocks,
                                        Pattern::Constant, Pattern::AllPositive,
                                        Pattern::Outliers, Pattern::Sparse, Pattern::Zeros};

inline std::vector<float> make_row(Pattern p, int64_t n, float scale, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(size_t(n), 0.0f);
  switch (p) {
    case Pattern::Bell:
      for (auto& v : x) v = scale * rng.bell();
      break;
    case Pattern::BellWithZeroBlocks:
      for (int64_t i = 0; i < n; ++i) x[size_t(i)] = ((i / 32) % 3 == 1) ? 0.0f : scale * rng.bell();
      break;
    case Pattern::Constant: {
      const float c = scale * (rng.uniform() - 0.5f);
      for (auto& v : x) v = c;
      break;
    }
    case Pattern::AllPositive:
      for (auto& v : x) v = scale * (0.25f + rng.uniform());
      break;
    case Pattern::Outliers:
      for (auto& v : x) v = scale * 0.05f * rng.bell();
      for (int64_t i = 0; i < n; i += 37) x[size_t(i)] = scale * (rng.uniform() < 0.5f ? -3.0f : 3.0f);
      break;
    case Pattern::Sparse:
      for (auto& v : x) v = rng.uniform() < 0.1f ? scale * rng.bell() : 0.0f;
      break;
    case Pattern::Zeros:
      break;
  }
  return x;
}

inline uint64_t fnv1a(const void* data, size_t n, uint64_t h = 0xcbf29ce484222325ull) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace minnow::quant_test

namespace minnow::quant_test {

// The corpus behind the golden digests: every pattern at three scales, one row each.
struct CorpusRow {
  Pattern pattern;
  float scale;
  uint64_t seed;
};

inline std::vector<CorpusRow> golden_corpus() {
  std::vector<CorpusRow> rows;
  uint64_t seed = 1;
  for (Pattern p : kPatterns) {
    for (float s : {1.0f, 1e-3f, 100.0f}) rows.push_back({p, s, seed++});
  }
  return rows;
}

inline constexpr int64_t kGoldenRowLen = 512;  // a multiple of every block size

}  // namespace minnow::quant_test
