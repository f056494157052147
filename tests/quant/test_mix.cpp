// Quantization-mix rules checked by hand against llama.cpp's llama-quant.cpp (the ggml-backed
// suite compares whole models with libllama itself).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "mix_models.h"
#include "quant/mix.h"

namespace minnow {
namespace {

std::map<std::string, DType> plan(QuantMix mix, const quant_test::ModelShape& m) {
  const std::vector<quant_test::FakeTensor> ts = quant_test::model_tensors(m);
  std::vector<TensorDesc> descs;
  for (const auto& t : ts) descs.push_back({t.name, DType::F32, t.n_dims, t.ne0});
  const std::vector<DType> types =
      plan_tensor_types(mix, {int(m.n_layer), m.n_head, m.n_head_kv, false}, descs);
  std::map<std::string, DType> out;
  for (size_t i = 0; i < ts.size(); ++i) out[ts[i].name] = types[i];
  return out;
}

const quant_test::ModelShape kLlama16 = {"llama", 2048, 8192, 16, 32, 8, 1000, false, false, false, false};
const quant_test::ModelShape kQwen05 = {"qwen2", 896, 4864, 24, 14, 2, 1000, true, true, false, false};

TEST(quantMix, Names) {
  EXPECT_EQ(quant_mix_from_name("Q4_K_M"), QuantMix::Q4_K_M);
  EXPECT_EQ(quant_mix_from_name("q5_k_m"), QuantMix::Q5_K_M);
  EXPECT_EQ(quant_mix_from_name("Q3_K_M"), QuantMix::Q3_K_M);
  EXPECT_EQ(quant_mix_from_name("Q4_K"), QuantMix::Q4_K_M);  // llama-quantize alias
  EXPECT_EQ(quant_mix_from_name("q8_0"), QuantMix::Q8_0);
  EXPECT_EQ(quant_mix_from_name("f16"), QuantMix::F16);
  EXPECT_EQ(quant_mix_from_name("bf16"), QuantMix::BF16);
  EXPECT_EQ(quant_mix_from_name("Q6_K"), QuantMix::Q6_K);
  EXPECT_FALSE(quant_mix_from_name("IQ2_XXS").has_value());
  EXPECT_FALSE(quant_mix_from_name("Q4_K_X").has_value());
  EXPECT_EQ(quant_mix_name(QuantMix::Q4_K_M), "Q4_K_M");
  EXPECT_EQ(uint32_t(QuantMix::Q4_K_M), 15u);  // llama_ftype / general.file_type
  EXPECT_EQ(quant_mix_default_type(QuantMix::Q3_K_M), DType::Q3_K);
}

TEST(quantMix, Q4_K_M_Llama) {
  const auto t = plan(QuantMix::Q4_K_M, kLlama16);
  EXPECT_EQ(t.at("token_embd.weight"), DType::Q4_K);
  EXPECT_EQ(t.at("output.weight"), DType::Q6_K);
  EXPECT_EQ(t.at("output_norm.weight"), DType::F32);
  EXPECT_EQ(t.at("blk.0.attn_norm.weight"), DType::F32);
  EXPECT_EQ(t.at("blk.0.attn_q.weight"), DType::Q4_K);
  EXPECT_EQ(t.at("blk.0.attn_k.weight"), DType::Q4_K);
  EXPECT_EQ(t.at("blk.5.ffn_gate.weight"), DType::Q4_K);
  EXPECT_EQ(t.at("blk.5.attn_output.weight"), DType::Q4_K);
  // use_more_bits over 16 layers: 0,1 (first eighth), 14,15 (last), and 4,7,10,13.
  const std::vector<int> more = {0, 1, 4, 7, 10, 13, 14, 15};
  for (int i = 0; i < 16; ++i) {
    const bool m = std::find(more.begin(), more.end(), i) != more.end();
    const std::string p = "blk." + std::to_string(i) + ".";
    EXPECT_EQ(t.at(p + "attn_v.weight"), m ? DType::Q6_K : DType::Q4_K) << i;
    EXPECT_EQ(t.at(p + "ffn_down.weight"), m ? DType::Q6_K : DType::Q4_K) << i;
  }
}

TEST(quantMix, Q3_K_M_And_Q5_K_M_Llama) {
  const auto q3 = plan(QuantMix::Q3_K_M, kLlama16);
  EXPECT_EQ(q3.at("blk.0.attn_v.weight"), DType::Q5_K);
  EXPECT_EQ(q3.at("blk.1.attn_v.weight"), DType::Q5_K);
  EXPECT_EQ(q3.at("blk.2.attn_v.weight"), DType::Q4_K);
  EXPECT_EQ(q3.at("blk.0.ffn_down.weight"), DType::Q5_K);  // first sixteenth
  EXPECT_EQ(q3.at("blk.1.ffn_down.weight"), DType::Q4_K);
  EXPECT_EQ(q3.at("blk.3.attn_output.weight"), DType::Q4_K);
  EXPECT_EQ(q3.at("blk.3.attn_q.weight"), DType::Q3_K);
  EXPECT_EQ(q3.at("output.weight"), DType::Q6_K);
  const auto q5 = plan(QuantMix::Q5_K_M, kLlama16);
  EXPECT_EQ(q5.at("blk.0.attn_v.weight"), DType::Q6_K);
  EXPECT_EQ(q5.at("blk.2.attn_v.weight"), DType::Q5_K);
  EXPECT_EQ(q5.at("blk.15.ffn_down.weight"), DType::Q6_K);
  EXPECT_EQ(q5.at("blk.3.ffn_up.weight"), DType::Q5_K);
}

TEST(quantMix, PlainTypes) {
  const auto q8 = plan(QuantMix::Q8_0, kLlama16);
  EXPECT_EQ(q8.at("output.weight"), DType::Q8_0);
  EXPECT_EQ(q8.at("blk.0.attn_v.weight"), DType::Q8_0);
  const auto q4 = plan(QuantMix::Q4_0, kLlama16);
  EXPECT_EQ(q4.at("output.weight"), DType::Q6_K);  // llama.cpp gives the output q6_K
  EXPECT_EQ(q4.at("token_embd.weight"), DType::Q4_0);
  EXPECT_EQ(q4.at("blk.0.ffn_down.weight"), DType::Q4_0);
  const auto f16 = plan(QuantMix::F16, kLlama16);
  EXPECT_EQ(f16.at("output.weight"), DType::F16);
  EXPECT_EQ(f16.at("blk.0.attn_norm.weight"), DType::F32);
}

TEST(quantMix, RowLengthFallbacksAndTiedEmbeddings) {
  // Qwen2-0.5B: 896 columns is 32- but not 256-divisible.
  const auto t = plan(QuantMix::Q4_K_M, kQwen05);
  EXPECT_EQ(t.at("token_embd.weight"), DType::Q8_0);  // tied: output rule, row not 256-blocked
  EXPECT_EQ(t.at("blk.0.attn_q.weight"), DType::Q5_0);
  EXPECT_EQ(t.at("blk.0.attn_v.weight"), DType::Q8_0);  // q6_K -> q8_0
  EXPECT_EQ(t.at("blk.3.attn_v.weight"), DType::Q5_0);
  EXPECT_EQ(t.at("blk.0.ffn_down.weight"), DType::Q6_K);  // 4864 = 19 * 256
  EXPECT_EQ(t.at("blk.3.ffn_down.weight"), DType::Q4_K);
  EXPECT_EQ(t.at("blk.0.attn_q.bias"), DType::F32);
  const auto q5 = plan(QuantMix::Q5_K_M, kQwen05);
  EXPECT_EQ(q5.at("blk.3.attn_q.weight"), DType::Q5_1);
  const auto q3 = plan(QuantMix::Q3_K_M, kQwen05);
  EXPECT_EQ(q3.at("blk.3.ffn_gate.weight"), DType::Q4_0);

  TensorContext odd;
  odd.name = "blk.0.attn_q.weight";
  odd.row_len = 80;  // not a multiple of 32 either
  odd.n_layer = 1;
  EXPECT_EQ(choose_tensor_type(QuantMix::Q4_K_M, odd), DType::F16);
  EXPECT_EQ(choose_tensor_type(QuantMix::Q8_0, odd), DType::F16);
  odd.n_dims = 1;
  EXPECT_EQ(choose_tensor_type(QuantMix::Q4_K_M, odd), DType::F32);
}

TEST(quantMix, CountsLayersInFileOrder) {
  // Lexically ordered layers: llama.cpp's counter, not blk.N, decides use_more_bits.
  quant_test::ModelShape m = kLlama16;
  m.lexical_layer_order = true;  // blk.0, blk.1, blk.10, ..., blk.15, blk.2, ...
  const auto t = plan(QuantMix::Q4_K_M, m);
  EXPECT_EQ(t.at("blk.10.attn_v.weight"), DType::Q4_K);  // third attn_v in the file -> index 2
  EXPECT_EQ(t.at("blk.11.attn_v.weight"), DType::Q4_K);  // index 3
  EXPECT_EQ(t.at("blk.12.attn_v.weight"), DType::Q6_K);  // index 4
}

}  // namespace
}  // namespace minnow
