// Whole-model quantization plans against libllama's own type selection
// (llama_quant_compute_types from llama-ext.h), for every mix and several model shapes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ggml.h"
#include "llama-ext.h"
#include "llama.h"
#include "mix_models.h"
#include "quant/mix.h"

namespace minnow {
namespace {

constexpr QuantMix kMixes[] = {QuantMix::F32,    QuantMix::F16,    QuantMix::BF16,   QuantMix::Q4_0,
                               QuantMix::Q4_1,   QuantMix::Q5_0,   QuantMix::Q5_1,   QuantMix::Q8_0,
                               QuantMix::Q2_K,   QuantMix::Q2_K_S, QuantMix::Q3_K_S, QuantMix::Q3_K_M,
                               QuantMix::Q3_K_L, QuantMix::Q4_K_S, QuantMix::Q4_K_M, QuantMix::Q5_K_S,
                               QuantMix::Q5_K_M, QuantMix::Q6_K};

// libllama's plan for `tensors`: its type for the tensors it quantizes, the source type for the rest.
std::vector<uint32_t> llama_plan(const quant_test::ModelShape& m, const std::vector<quant_test::FakeTensor>& ts,
                                 QuantMix mix) {
  ggml_init_params ip{};
  ip.mem_size = ts.size() * ggml_tensor_overhead() + 1024;
  ip.no_alloc = true;
  ggml_context* ctx = ggml_init(ip);
  std::vector<ggml_tensor*> all;
  for (const auto& t : ts) {
    ggml_tensor* g = t.n_dims == 1 ? ggml_new_tensor_1d(ctx, GGML_TYPE_F32, t.ne0)
                                   : ggml_new_tensor_2d(ctx, GGML_TYPE_F32, t.ne0, t.ne1);
    ggml_set_name(g, t.name.c_str());
    all.push_back(g);
  }
  const uint32_t hd = m.n_embd / m.n_head;
  llama_quant_model_desc desc{m.arch, m.n_embd, m.n_ff, m.n_layer, m.n_head, m.n_head_kv, 0, hd, hd};
  llama_model* model = llama_quant_model_from_metadata(&desc);
  llama_model_quantize_params params = llama_model_quantize_default_params();
  quantize_state_impl* qs = llama_quant_init(model, &params);

  std::vector<ggml_tensor*> quantized;
  for (ggml_tensor* g : all) {
    if (llama_quant_tensor_allows_quantization(qs, g)) quantized.push_back(g);
  }
  std::vector<ggml_type> qtypes(quantized.size());
  llama_quant_compute_types(qs, static_cast<llama_ftype>(mix), quantized.data(), qtypes.data(), quantized.size());
  std::vector<uint32_t> out;
  size_t qi = 0;
  for (ggml_tensor* g : all) {
    out.push_back(qi < quantized.size() && quantized[qi] == g ? uint32_t(qtypes[qi++]) : uint32_t(g->type));
  }
  llama_quant_free(qs);
  llama_model_free(model);
  ggml_free(ctx);
  return out;
}

TEST(quantMixVsLlama, WholeModelPlansMatch) {
  llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);  // fallbacks log warnings
  int compared = 0;
  for (const quant_test::ModelShape& m : quant_test::test_shapes()) {
    const std::vector<quant_test::FakeTensor> ts = quant_test::model_tensors(m);
    std::vector<TensorDesc> descs;
    for (const auto& t : ts) descs.push_back({t.name, DType::F32, t.n_dims, t.ne0});
    const MixModelInfo info{int(m.n_layer), m.n_head, m.n_head_kv, false};
    for (QuantMix mix : kMixes) {
      const std::vector<uint32_t> theirs = llama_plan(m, ts, mix);
      const std::vector<DType> ours = plan_tensor_types(mix, info, descs);
      for (size_t i = 0; i < ts.size(); ++i) {
        EXPECT_EQ(uint32_t(ours[i]), theirs[i])
            << m.arch << " n_embd=" << m.n_embd << " " << quant_mix_name(mix) << " " << ts[i].name << ": ours "
            << dtype_info(ours[i]).name;
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 1000);
}

}  // namespace
}  // namespace minnow
