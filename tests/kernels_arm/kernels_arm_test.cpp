// Self-contained kernel check for cross builds (no GoogleTest for the target): every kernel
// table this CPU runs against the scalar reference, as tests/kernels/kernels_test.cpp does, on
// awkward sizes (k not a multiple of 256 for 32-blocks, nb = 1, 2, 3, 5, 9, row sub-ranges),
// plus activation bytes against the reference and the reference's Q8_0 rounding against
// llama.cpp's rule for this architecture. Prints the tables it ran and "N passed, M failed";
// exits non-zero on any failure.
//
// Usage: kernels_arm_test [--expect scalar,neon,dotprod]   (fails unless exactly these tables run)
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "quant/blocks.h"
#include "quant/quant.h"
#include "quant/types.h"
#include "util/fp16.h"

namespace minnow::kernels {
namespace {

const DType kWeightTypes[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q4_0, DType::Q4_1,
                              DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q2_K, DType::Q3_K,
                              DType::Q4_K, DType::Q5_K, DType::Q6_K};

struct Tally {
  int passed = 0, failed = 0;
  void check(bool ok, const std::string& what) {
    if (ok) {
      ++passed;
      return;
    }
    ++failed;
    if (failed <= 20) std::printf("FAIL: %s\n", what.c_str());
  }
};

std::string type_name(DType t) { return std::string(dtype_info(t).name); }

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

std::vector<uint8_t> quantized_rows(std::mt19937& rng, DType t, int64_t rows, int64_t k) {
  const size_t rb = row_bytes(t, uint64_t(k));
  std::vector<uint8_t> w(rb * size_t(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<float> f = random_floats(rng, size_t(k), 0.05f);
    quantize_row(t, f.data(), w.data() + size_t(r) * rb, k);
  }
  return w;
}

// Random bits in every quant field (extreme values), with sane half-precision scales at the
// offsets each block keeps them.
std::vector<uint8_t> random_bit_rows(std::mt19937& rng, DType t, int64_t rows, int64_t k) {
  std::vector<uint8_t> w(row_bytes(t, uint64_t(k)) * size_t(rows));
  for (uint8_t& b : w) b = uint8_t(rng());
  auto half = [&rng] { return f32_to_fp16(std::uniform_real_distribution<float>(-0.01f, 0.01f)(rng)); };
  std::vector<size_t> half_offsets;  // offsets of d (and m / dmin) inside one block
  switch (t) {
    case DType::F32: {
      const std::vector<float> f = random_floats(rng, w.size() / 4);
      std::memcpy(w.data(), f.data(), w.size());
      return w;
    }
    case DType::F16:
    case DType::BF16: {
      auto* h = reinterpret_cast<uint16_t*>(w.data());
      for (size_t i = 0; i < w.size() / 2; ++i) {
        const float f = std::normal_distribution<float>(0.0f, 1.0f)(rng);
        h[i] = t == DType::F16 ? f32_to_fp16(f) : f32_to_bf16(f);
      }
      return w;
    }
    case DType::Q4_0: case DType::Q5_0: case DType::Q8_0: half_offsets = {0}; break;
    case DType::Q4_1: case DType::Q5_1: half_offsets = {0, 2}; break;
    case DType::Q2_K: half_offsets = {offsetof(block_q2_K, d), offsetof(block_q2_K, dmin)}; break;
    case DType::Q3_K: half_offsets = {offsetof(block_q3_K, d)}; break;
    case DType::Q4_K: half_offsets = {offsetof(block_q4_K, d), offsetof(block_q4_K, dmin)}; break;
    case DType::Q5_K: half_offsets = {offsetof(block_q5_K, d), offsetof(block_q5_K, dmin)}; break;
    case DType::Q6_K: half_offsets = {offsetof(block_q6_K, d)}; break;
    default: break;
  }
  const size_t bb = dtype_info(t).block_bytes;
  for (size_t b = 0; b < w.size() / bb; ++b)
    for (size_t off : half_offsets) {
      const uint16_t h = half();
      std::memcpy(w.data() + b * bb + off, &h, 2);
    }
  return w;
}

// nb activation rows; row 1 (when present) starts with an all-zero block (amax == 0 path).
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

constexpr float kUntouched = 12345.0f;
constexpr float kRelTol = 1e-5f;

std::vector<float> run_gemm(const TypeKernels& tk, DType t, const std::vector<uint8_t>& w, const std::vector<uint8_t>& x,
                            int64_t k, int64_t stride, int64_t nb, int64_t r0, int64_t r1) {
  std::vector<float> y(size_t(stride * nb), kUntouched);
  GemmArgs a;
  a.w = w.data();
  a.w_row_bytes = row_bytes(t, uint64_t(k));
  a.k = k;
  a.x = x.data();
  a.x_row_bytes = act_row_bytes(tk.act_type, k);
  a.nb = nb;
  a.y = y.data();
  a.y_stride = stride;
  tk.gemm(a, r0, r1);
  return y;
}

void check_gemm(Tally& tally, const std::vector<const KernelTable*>& tables, DType t) {
  const TypeKernels& ref = reference_kernels().for_type(t);
  const int64_t k = awkward_k(t), rows = 37, stride = rows + 3;
  std::mt19937 rng(1234 + static_cast<uint32_t>(t));
  const std::vector<uint8_t> weights[] = {quantized_rows(rng, t, rows, k), random_bit_rows(rng, t, rows, k)};
  for (const KernelTable* table : tables) {
    const TypeKernels& tk = table->for_type(t);
    const std::string name = std::string(table->isa) + " " + type_name(t);
    tally.check(tk.gemm != nullptr && tk.quantize_act != nullptr && tk.act_type == ref.act_type,
                name + ": entry present with the reference's activation type");
    if (tk.gemm == nullptr || tk.act_type != ref.act_type) continue;
    for (const int64_t nb : {1, 2, 3, 5, 9}) {
      const std::vector<float> xf = activations(rng, nb, k);
      const std::vector<uint8_t> x = quantize_acts(ref, xf, nb, k);
      for (size_t wi = 0; wi < 2; ++wi) {
        const std::vector<float> full = run_gemm(ref, t, weights[wi], x, k, stride, nb, 0, rows);
        for (const auto& [r0, r1] : {std::pair<int64_t, int64_t>{0, rows}, {3, rows - 2}, {5, 6}, {2, 5}}) {
          const std::vector<float> want = run_gemm(ref, t, weights[wi], x, k, stride, nb, r0, r1);
          const std::vector<float> got = run_gemm(tk, t, weights[wi], x, k, stride, nb, r0, r1);
          std::string bad;
          for (int64_t b = 0; b < nb && bad.empty(); ++b) {
            float scale = 0.0f;  // largest |y| of this activation row: summation order is the only difference
            for (int64_t r = 0; r < rows; ++r) scale = std::max(scale, std::fabs(full[size_t(b * stride + r)]));
            for (int64_t r = 0; r < stride && bad.empty(); ++r) {
              const float g = got[size_t(b * stride + r)], e = want[size_t(b * stride + r)];
              const bool inside = r >= r0 && r < r1;
              const bool ok = inside ? std::isfinite(e) && std::fabs(g - e) <= kRelTol * scale + 1e-30f : g == kUntouched;
              if (!ok)
                bad = " b=" + std::to_string(b) + " r=" + std::to_string(r) + " got " + std::to_string(g) +
                      " want " + std::to_string(e);
            }
          }
          tally.check(bad.empty(), name + " weights#" + std::to_string(wi) + " nb=" + std::to_string(nb) + " rows=[" +
                                       std::to_string(r0) + "," + std::to_string(r1) + ")" + bad);
        }
      }
    }
  }
}

// Floats with edge blocks: all zero; +a and -a of equal largest magnitude; tiny; huge.
std::vector<float> edge_floats(std::mt19937& rng, int64_t k, int64_t block) {
  std::vector<float> x = random_floats(rng, size_t(k));
  if (k >= 4 * block) {
    std::fill(x.begin(), x.begin() + block, 0.0f);
    x[size_t(block + 7)] = 9.0f;
    x[size_t(block + 3)] = -9.0f;
    for (int64_t i = 2 * block; i < 3 * block; ++i) x[size_t(i)] *= 1e-6f;
    for (int64_t i = 3 * block; i < 4 * block; ++i) x[size_t(i)] *= 1e4f;
  }
  return x;
}

void check_act_bytes(Tally& tally, const std::vector<const KernelTable*>& tables, DType t) {
  const TypeKernels& ref = reference_kernels().for_type(t);
  const int64_t k = awkward_k(t) * 2;
  std::mt19937 rng(99 + static_cast<uint32_t>(t));
  const std::vector<float> x = edge_floats(rng, k, ref.act_type == DType::Q8_K ? 256 : 32);
  const std::vector<uint8_t> want = quantize_acts(ref, x, 1, k);
  for (const KernelTable* table : tables) {
    if (table->for_type(t).act_type != ref.act_type) continue;  // reported by check_gemm
    const std::vector<uint8_t> got = quantize_acts(table->for_type(t), x, 1, k);
    size_t first_diff = want.size();
    for (size_t i = 0; i < want.size() && first_diff == want.size(); ++i)
      if (got[i] != want[i]) first_diff = i;
    tally.check(first_diff == want.size(), std::string(table->isa) + " " + type_name(t) +
                                               " activation bytes differ from the reference at byte " +
                                               std::to_string(first_diff));
  }
}

float x86_multiplier(float amax) { return amax != 0.0f ? 127.0f / amax : 0.0f; }  // ggml-cpu/arch/x86/quants.c
float arm_multiplier(float amax) {  // ggml-cpu/arch/arm/quants.c
  const float d = amax / 127.0f;
  return d != 0.0f ? 1.0f / d : 0.0f;
}

// Q8_0 blocks on which llama.cpp's x86 and ARM rules round some elements differently: amax
// values whose two multipliers differ, elements placed next to a rounding tie.
std::vector<float> rule_splitting_blocks(std::mt19937& rng, int blocks) {
  std::uniform_real_distribution<float> dist(0.5f, 4.0f);
  std::vector<float> x;
  while (int64_t(x.size()) < 32 * int64_t(blocks)) {
    const float amax = dist(rng), arm = arm_multiplier(amax), x86 = x86_multiplier(amax);
    if (arm == x86) continue;
    std::vector<float> block{amax};
    for (int n = 1; n < 126 && block.size() < 32; n += 2) {
      // The float nearest the tie n + 0.5 and its neighbours up to 8 ulps either side.
      float down = (float(n) + 0.5f) / arm, up = down;
      bool found = false;
      for (int step = 0; step < 8 && !found; ++step) {
        for (const float v : {down, up}) {
          if (!found && std::nearbyint(v * arm) != std::nearbyint(v * x86)) {
            block.push_back(n % 4 == 1 ? -v : v);
            found = true;
          }
        }
        down = std::nextafter(down, 0.0f);
        up = std::nextafter(up, amax);
      }
    }
    while (block.size() < 32) block.push_back(std::uniform_real_distribution<float>(-amax, amax)(rng));
    x.insert(x.end(), block.begin(), block.end());
  }
  return x;
}

// llama.cpp's Q8_0 activation rule for this architecture, written out independently: the
// reference (and so every table) must produce exactly these bytes, on data where the x86 and
// ARM rules disagree.
void check_q8_0_rule(Tally& tally, const std::vector<const KernelTable*>& tables) {
  std::mt19937 rng(5);
  const int64_t k = 16 * 32;
  const std::vector<float> x = rule_splitting_blocks(rng, int(k / 32));
  std::vector<block_q8_0> got(size_t(k / 32));
  reference_kernels().for_type(DType::Q8_0).quantize_act(x.data(), got.data(), k);
  bool ok = true;
  int rules_differ = 0;
  for (int64_t ib = 0; ib < k / 32; ++ib) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[size_t(ib * 32 + j)]));
#if defined(__aarch64__)
    const float id = arm_multiplier(amax);
#else
    const float id = x86_multiplier(amax);
#endif
    ok = ok && got[size_t(ib)].d == f32_to_fp16(amax / 127.0f);
    for (int j = 0; j < 32; ++j) {
      const float v = x[size_t(ib * 32 + j)];
      ok = ok && got[size_t(ib)].qs[j] == int8_t(std::nearbyint(v * id));
      rules_differ += std::nearbyint(v * arm_multiplier(amax)) != std::nearbyint(v * x86_multiplier(amax));
    }
  }
  tally.check(rules_differ > 0, "Q8_0 rule data separates the x86 and ARM rules");
  tally.check(ok, "reference Q8_0 activations follow llama.cpp's rule for this architecture");
  for (const DType t : {DType::Q8_0, DType::Q4_1}) {  // Q8_0 and Q8_1 activations
    const std::vector<uint8_t> want = quantize_acts(reference_kernels().for_type(t), x, 1, k);
    for (const KernelTable* table : tables)
      tally.check(quantize_acts(table->for_type(t), x, 1, k) == want,
                  std::string(table->isa) + " " + type_name(t) + " activation bytes on the rule-splitting data");
  }
}

std::string isa_list(const std::vector<const KernelTable*>& tables) {
  std::string s;
  for (const KernelTable* t : tables) s += (s.empty() ? "" : ",") + std::string(t->isa);
  return s;
}

int run(int argc, char** argv) {
  std::string expect;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--expect") == 0 && i + 1 < argc) {
      expect = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--expect isa,isa,...]\n", argv[0]);
      return 2;
    }
  }
  const CpuFeatures cpu = detect_cpu_features();
  const std::vector<const KernelTable*> tables = available_kernels(cpu);
  std::printf("cpu: neon=%d dotprod=%d i8mm=%d avx2=%d; tables: %s\n", cpu.neon, cpu.dotprod, cpu.i8mm, cpu.avx2,
              isa_list(tables).c_str());
  Tally tally;
  if (!expect.empty()) tally.check(isa_list(tables) == expect, "expected tables " + expect + ", got " + isa_list(tables));
  tally.check(!tables.empty() && tables.front() == &reference_kernels(), "reference table first");
  tally.check(&best_kernels(cpu) == tables.back(), "best_kernels is the last table");
  tally.check(available_kernels(CpuFeatures{}).size() == 1, "no features: reference only");
  check_q8_0_rule(tally, tables);
  for (const DType t : kWeightTypes) {
    check_act_bytes(tally, tables, t);
    check_gemm(tally, tables, t);
  }
  std::printf("%d passed, %d failed\n", tally.passed, tally.failed);
  return tally.failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace minnow::kernels

int main(int argc, char** argv) { return minnow::kernels::run(argc, argv); }
