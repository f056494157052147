// Our kernels against ggml's CPU backend (the haswell build llama.cpp runs on an AVX2 CPU):
// the activation formats and their bytes must be the same, and dot products must agree to
// float summation order. This is what makes our logits track llama.cpp's.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ggml-cpu.h"
#include "ggml.h"
#include "kernels/kernels.h"
#include "quant/quant.h"
#include "quant/types.h"

namespace minnow::kernels {
namespace {

using TraitsFn = const ggml_type_traits_cpu* (*)(ggml_type);
using InitFn = void (*)();

class GgmlCpu {
 public:
  GgmlCpu() {
    const CpuFeatures cpu = detect_cpu_features();
    if (!(cpu.avx2 && cpu.fma && cpu.f16c)) return;  // the haswell build needs these
    handle_ = dlopen(MINNOW_LLAMA_LIB_DIR "/libggml-cpu-haswell.so", RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) return;
    auto init = reinterpret_cast<InitFn>(dlsym(handle_, "ggml_cpu_init"));
    traits_ = reinterpret_cast<TraitsFn>(dlsym(handle_, "ggml_get_type_traits_cpu"));
    if (init != nullptr) init();
  }
  ~GgmlCpu() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  GgmlCpu(const GgmlCpu&) = delete;
  GgmlCpu& operator=(const GgmlCpu&) = delete;

  bool ok() const { return traits_ != nullptr; }
  const ggml_type_traits_cpu& traits(DType t) const { return *traits_(static_cast<ggml_type>(t)); }

 private:
  void* handle_ = nullptr;
  TraitsFn traits_ = nullptr;
};

const DType kWeightTypes[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q4_0, DType::Q4_1,
                              DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q2_K, DType::Q3_K,
                              DType::Q4_K, DType::Q5_K, DType::Q6_K};

// `rows` rows of k weights of type t, quantized from small normal values.
std::vector<uint8_t> random_rows(std::mt19937& rng, DType t, int64_t rows, int64_t k) {
  std::normal_distribution<float> dist(0.0f, 0.05f);
  const size_t wb = row_bytes(t, uint64_t(k));
  std::vector<uint8_t> w(wb * size_t(rows));
  std::vector<float> f(static_cast<size_t>(k));
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : f) v = dist(rng);
    quantize_row(t, f.data(), w.data() + size_t(r) * wb, k);
  }
  return w;
}

std::vector<float> random_acts(std::mt19937& rng, int64_t k) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(k));
  for (float& v : x) v = dist(rng);
  return x;
}

class VsGgml : public ::testing::TestWithParam<DType> {};

TEST_P(VsGgml, SameActivationBytesAndDots) {
  static const GgmlCpu ggml;
  if (!ggml.ok()) GTEST_SKIP() << "ggml haswell CPU backend not loadable here";
  const DType t = GetParam();
  const ggml_type_traits_cpu& tr = ggml.traits(t);
  const int64_t k = 4 * 256;
  const int64_t rows = 16;
  std::mt19937 rng(5 + static_cast<uint32_t>(t));
  std::normal_distribution<float> dist(0.0f, 1.0f);

  const size_t wb = row_bytes(t, uint64_t(k));
  const std::vector<uint8_t> w = random_rows(rng, t, rows, k);
  std::vector<float> x = random_acts(rng, k);
  std::fill(x.begin() + 256, x.begin() + 288, 0.0f);  // one all-zero Q8_0 block

  for (const KernelTable* table : available_kernels(detect_cpu_features())) {
    const TypeKernels& tk = table->for_type(t);
    const std::string what = std::string(table->isa) + " " + std::string(dtype_info(t).name);
    ASSERT_EQ(static_cast<uint32_t>(tk.act_type), static_cast<uint32_t>(tr.vec_dot_type)) << what;
    const size_t xb = act_row_bytes(tk.act_type, k);
    std::vector<uint8_t> ours(xb), theirs(xb);
    tk.quantize_act(x.data(), ours.data(), k);
    ggml.traits(tk.act_type).from_float(x.data(), theirs.data(), k);
    for (size_t i = 0; i < xb; ++i) ASSERT_EQ(ours[i], theirs[i]) << what << " activation byte " << i;
    // Rounding differences (ggml's x86 Q8_0 multiplies by 127/amax, its scalar code by
    // 1/(amax/127)) show up only now and then: compare many more blocks.
    const int64_t big_k = 256 * 512;
    std::vector<float> big_x(static_cast<size_t>(big_k));
    for (float& v : big_x) v = dist(rng);
    std::vector<uint8_t> big_ours(act_row_bytes(tk.act_type, big_k)), big_theirs(big_ours.size());
    tk.quantize_act(big_x.data(), big_ours.data(), big_k);
    ggml.traits(tk.act_type).from_float(big_x.data(), big_theirs.data(), big_k);
    ASSERT_TRUE(big_ours == big_theirs) << what << ": activation bytes differ on a long row";

    std::vector<float> y(rows);
    GemmArgs a;
    a.w = w.data();
    a.w_row_bytes = wb;
    a.k = k;
    a.x = ours.data();
    a.x_row_bytes = xb;
    a.nb = 1;
    a.y = y.data();
    a.y_stride = rows;
    tk.gemm(a, 0, rows);
    std::vector<float> want(rows);
    float scale = 0.0f;
    for (int64_t r = 0; r < rows; ++r) {
      tr.vec_dot(int(k), &want[size_t(r)], 0, w.data() + size_t(r) * wb, 0, theirs.data(), 0, 1);
      scale = std::max(scale, std::fabs(want[size_t(r)]));
    }
    for (int64_t r = 0; r < rows; ++r) EXPECT_NEAR(y[size_t(r)], want[size_t(r)], 1e-5f * scale) << what << " row " << r;
  }
}

// The one-token pass of the table that rounds as llama.cpp, for one weight row set and k: the
// packed gemm where the type has one (weights packed as the loader does), else gemm_one_token
// or gemm. Activations from the same floats through the path's own quantizer.
std::vector<float> one_token_pass(const TypeKernels& tk, DType t, const std::vector<uint8_t>& w, int64_t rows,
                                  int64_t k, const std::vector<float>& x) {
  const size_t wb = row_bytes(t, uint64_t(k));
  const PackedKernels& pk = tk.packed;
  const bool packed = pk.rows > 0 && rows % pk.rows == 0;
  std::vector<uint8_t> pw = w;
  if (packed)
    for (int64_t r = 0; r < rows; r += pk.rows) pk.pack(w.data() + size_t(r) * wb, wb, k, pw.data() + size_t(r) * wb);
  const size_t xb = packed ? pk.act_row_bytes(k) : act_row_bytes(tk.act_type, k);
  std::vector<uint8_t> xq(xb);
  (packed ? pk.quantize_act : tk.quantize_act)(x.data(), xq.data(), k);
  std::vector<float> y(static_cast<size_t>(rows));
  const GemmArgs a{pw.data(), wb, k, xq.data(), xb, 1, y.data(), rows};
  (packed ? pk.gemm : tk.gemm_one_token ? tk.gemm_one_token : tk.gemm)(a, 0, rows);
  return y;
}

// llama.cpp runs a one-token pass through ggml's vec_dot for every type but the two its AVX2
// build repacks (Q4_0, Q4_K: its repacked GEMV, which only the model-level oracle checks). The
// table that rounds as llama.cpp must give vec_dot's results bit for bit there, on lengths
// with and without a tail after the last whole SIMD step.
TEST_P(VsGgml, LlamaRoundingOneTokenIsVecDotBitForBit) {
  static const GgmlCpu ggml;
  if (!ggml.ok()) GTEST_SKIP() << "ggml haswell CPU backend not loadable here";
  const DType t = GetParam();
  if (t == DType::Q4_0 || t == DType::Q4_K) GTEST_SKIP() << "llama.cpp repacks this type on AVX2";
  const ggml_type_traits_cpu& tr = ggml.traits(t);
  const int64_t rows = 16;
  const bool plain_float = t == DType::F32 || t == DType::F16 || t == DType::BF16;
  for (const int64_t k : plain_float ? std::vector<int64_t>{1024, 1000, 24} : std::vector<int64_t>{1024, 2304}) {
    std::mt19937 rng(11 + static_cast<uint32_t>(t) + uint32_t(k));
    const size_t wb = row_bytes(t, uint64_t(k));
    const std::vector<uint8_t> w = random_rows(rng, t, rows, k);
    const std::vector<float> x = random_acts(rng, k);
    std::vector<uint8_t> theirs(act_row_bytes(static_cast<DType>(tr.vec_dot_type), k));
    if (tr.vec_dot_type == GGML_TYPE_F32) std::memcpy(theirs.data(), x.data(), theirs.size());
    else ggml.traits(static_cast<DType>(tr.vec_dot_type)).from_float(x.data(), theirs.data(), k);
    for (const KernelTable* table : llama_rounding_kernels(detect_cpu_features())) {
      const std::vector<float> y = one_token_pass(table->for_type(t), t, w, rows, k, x);
      for (int64_t r = 0; r < rows; ++r) {
        float want = 0.0f;
        tr.vec_dot(int(k), &want, 0, w.data() + size_t(r) * wb, 0, theirs.data(), 0, 1);
        EXPECT_EQ(y[size_t(r)], want) << table->isa << " " << dtype_info(t).name << " k=" << k << " row " << r;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, VsGgml, ::testing::ValuesIn(kWeightTypes),
                         [](const ::testing::TestParamInfo<DType>& p) { return std::string(dtype_info(p.param).name); });

}  // namespace
}  // namespace minnow::kernels
