#pragma once
// Transformer building blocks on f32 activations. Shapes are given per call; `n` rows of a
// batch are contiguous with the stated row length.
#include <cstdint>
#include <span>
#include <vector>

#include "ops/exec.h"
#include "ops/tensor.h"

namespace minnow::ops {

// y[nb, w.rows] = x[nb, w.cols] * W^T. `act_scratch` is resized as needed for the
// activation conversion (int8 blocks for quantized weights).
void matmul(const ExecContext& ctx, const WeightView& w, const float* x, int64_t nb, float* y,
            std::vector<uint8_t>& act_scratch);

// y_i[nb, w_i.rows] = x * W_i^T for matrices that read the same x (q/k/v, gate/up): x is
// converted once per activation format and all their rows are split over the threads in one
// parallel region (one hand-off instead of one per matrix).
void matmul_multi(const ExecContext& ctx, std::span<const WeightView* const> ws, const float* x, int64_t nb,
                  std::span<float* const> ys, std::vector<uint8_t>& act_scratch);

// Packs group g (rows g * to.packed->rows onward) of the plain view `plain` into `to`: the
// same matrix in to.packed's layout and to.panel_cols panels, over writable memory.
void pack_group(const WeightView& plain, const WeightView& to, int64_t g);

// out[n] = dequantized row `index` of an embedding table.
void embed_row(const WeightView& table, int64_t index, float* out);

// y = x / rms(x) * weight, over rows of n; y may alias x.
void rms_norm(const float* x, const float* weight, float* y, int64_t n, float eps);

// In-place rotary embedding of n_heads vectors of head_dim at position pos.
// neox: rotate (i, i + half) pairs; otherwise adjacent (2i, 2i+1) pairs.
// freq_factors (optional, head_dim/2): divide each frequency (Llama 3 long-context scaling).
struct RopeParams {
  int head_dim = 0;
  float freq_base = 10000.0f;
  bool neox = false;
  const float* freq_factors = nullptr;
};
// cos and sin of every rotation angle at position pos: cs[2 i] = cos, cs[2 i + 1] = sin for
// i < head_dim / 2. The same for every head and layer, so computed once per token.
void rope_angles(int64_t pos, const RopeParams& p, float* cs);
// Rotates each of the n_heads heads of x by the angles rope_angles gave.
void rope(float* x, int n_heads, const float* cs, const RopeParams& p);

// SwiGLU over `rows` rows of n: gate[i] = silu(gate[i]) * up[i], whole rows per thread.
void swiglu(const ExecContext& ctx, float* gate, const float* up, int64_t rows, int64_t n);

// Query rows that share one KV head (the heads of a GQA group, several tokens of a batch)
// against the f16 KV cache, as two f16 GEMMs through the kernel table, so every K and V row
// is read once for all of them. K rows are positions (k + t * k_stride); V is stored
// transposed, one row per head dimension (v_t + d * v_stride) over positions.
// out[r][head_dim] = softmax(q[r].K[0, n_kv[r])^T * scale) V. The rounding points follow
// llama.cpp's CPU path (q and the softmax weights become f16 before their dot products);
// one_token: the pass is over a single token (see TypeKernels::gemm_one_token).
inline constexpr int kAttnMaxRows = 16;
struct AttnScratch {
  uint16_t* q16;   // [kAttnMaxRows][head_dim]
  float* scores;   // [kAttnMaxRows][n_ctx]
  uint16_t* w16;   // [kAttnMaxRows][n_ctx]
  float* out;      // [kAttnMaxRows][head_dim]
};
void attend_rows(const ExecContext& ctx, std::span<const float* const> q, std::span<const int64_t> n_kv,
                 const uint16_t* k, int64_t k_stride, const uint16_t* v_t, int64_t v_stride, int head_dim,
                 float scale, bool one_token, const AttnScratch& scratch, std::span<float* const> out);

// Softmax weights (in [0, 1]) rounded to their nearest f16 values, in place, kept as float:
// exactly f16 conversion and back (round to nearest even), as attend_rows needs them.
void round_to_f16_weights(float* s, int64_t n);

}  // namespace minnow::ops
