#include "ops/ops.h"

#include <algorithm>
#include <cmath>

#include "quant/quant.h"
#include "util/fp16.h"

namespace minnow::ops {

namespace {

// How one matrix is computed: its activation format and gemm (packed views bring their own
// kernels, the table they were packed for; plain views use ctx's).
struct MatmulPlan {
  kernels::ActQuantFn quantize_act = nullptr;  // null: f32 activations used as they are
  size_t x_row_bytes = 0;
  kernels::GemmFn gemm = nullptr;
};

// The gemm for nb activation rows: one row is one token's pass (see gemm_one_token).
kernels::GemmFn gemm_for(const kernels::TypeKernels& tk, int64_t nb) {
  return nb == 1 && tk.gemm_one_token ? tk.gemm_one_token : tk.gemm;
}

MatmulPlan plan_for(const ExecContext& ctx, const WeightView& w, int64_t nb) {
  if (w.packed) return {w.packed->quantize_act, w.packed->act_row_bytes(w.cols), w.packed->gemm};
  const kernels::TypeKernels& tk = ctx.kernels.for_type(w.type);
  const bool f32 = tk.act_type == DType::F32;
  return {f32 ? nullptr : tk.quantize_act, kernels::act_row_bytes(tk.act_type, w.cols), gemm_for(tk, nb)};
}

// Rows are converted on all threads when there are several (prefill): on one thread this
// serial step would cap the speed-up of the parallel gemm that follows.
const uint8_t* convert_acts(const ExecContext& ctx, const MatmulPlan& p, const float* x, int64_t k, int64_t nb,
                            uint8_t* out) {
  if (!p.quantize_act) return reinterpret_cast<const uint8_t*>(x);
  const auto rows = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) p.quantize_act(x + b * k, out + size_t(b) * p.x_row_bytes, k);
  };
  if (nb > 1) ctx.pool.parallel_for(nb, 1, rows);
  else rows(0, nb);
  return out;
}

kernels::GemmArgs gemm_args(const ExecContext& ctx, const WeightView& w, const uint8_t* xq, size_t x_row_bytes,
                            int64_t nb, float* y) {
  kernels::GemmArgs args;
  args.prefetch = ctx.kernels.prefetch_weights;
  args.w = w.data;
  args.w_row_bytes = w.row_bytes;
  args.k = w.cols;
  args.x = xq;
  args.x_row_bytes = x_row_bytes;
  args.nb = nb;
  args.y = y;
  args.y_stride = w.rows;
  return args;
}

// Grain of 16 rows keeps each thread's slice contiguous and cache-line friendly (and whole
// packed groups).
constexpr int64_t kRowGrain = 16;

}  // namespace

void matmul(const ExecContext& ctx, const WeightView& w, const float* x, int64_t nb, float* y,
            std::vector<uint8_t>& act_scratch) {
  const MatmulPlan p = plan_for(ctx, w, nb);
  // f32 activations are used in place: no scratch.
  if (p.quantize_act && act_scratch.size() < p.x_row_bytes * size_t(nb)) act_scratch.resize(p.x_row_bytes * size_t(nb));
  const kernels::GemmArgs args = gemm_args(ctx, w, convert_acts(ctx, p, x, w.cols, nb, act_scratch.data()), p.x_row_bytes, nb, y);
  ctx.pool.parallel_for(w.rows, kRowGrain, [&](int64_t r0, int64_t r1) { p.gemm(args, r0, r1); });
}

void matmul_multi(const ExecContext& ctx, std::span<const WeightView* const> ws, const float* x, int64_t nb,
                  std::span<float* const> ys, std::vector<uint8_t>& act_scratch) {
  constexpr size_t kMax = 4;
  bool shared = ws.size() <= kMax && ws.size() == ys.size();
  MatmulPlan plans[kMax];
  for (size_t i = 0; shared && i < ws.size(); ++i) {
    plans[i] = plan_for(ctx, *ws[i], nb);
    shared = ws[i]->cols == ws[0]->cols && ws[i]->rows % kRowGrain == 0 && plans[i].quantize_act == plans[0].quantize_act &&
             plans[i].x_row_bytes == plans[0].x_row_bytes;
  }
  if (!shared) {
    for (size_t i = 0; i < ws.size(); ++i) matmul(ctx, *ws[i], x, nb, ys[i], act_scratch);
    return;
  }
  const size_t xb = plans[0].x_row_bytes;
  if (plans[0].quantize_act && act_scratch.size() < xb * size_t(nb)) act_scratch.resize(xb * size_t(nb));
  const uint8_t* xq = convert_acts(ctx, plans[0], x, ws[0]->cols, nb, act_scratch.data());
  kernels::GemmArgs args[kMax];
  int64_t begin[kMax + 1] = {0};
  for (size_t i = 0; i < ws.size(); ++i) {
    args[i] = gemm_args(ctx, *ws[i], xq, xb, nb, ys[i]);
    begin[i + 1] = begin[i] + ws[i]->rows;
  }
  ctx.pool.parallel_for(begin[ws.size()], kRowGrain, [&](int64_t r0, int64_t r1) {
    for (size_t i = 0; i < ws.size(); ++i) {
      const int64_t a = std::max(r0, begin[i]), b = std::min(r1, begin[i + 1]);
      if (a < b) plans[i].gemm(args[i], a - begin[i], b - begin[i]);
    }
  });
}

void embed_row(const WeightView& table, int64_t index, float* out) {
  if (table.packed) {
    const int64_t g = table.packed->rows;
    table.packed->unpack_row(table.data + size_t(index / g * g) * table.row_bytes, int(index % g), table.cols, out);
    return;
  }
  dequantize_row(table.type, table.row(index), out, table.cols);
}

void rms_norm(const float* x, const float* weight, float* y, int64_t n, float eps) {
  // Rounded at the points where ggml rounds (float squares summed in double, the mean and the
  // scale in float): the output is quantized to int8 next, where one ulp can flip a value.
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += double(x[i] * x[i]);
  const float mean = float(sum / double(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * weight[i];
}

void rope_angles(int64_t pos, const RopeParams& p, float* cs) {
  const int half = p.head_dim / 2;
  const float theta_scale = std::pow(p.freq_base, -2.0f / float(p.head_dim));
  float theta = float(pos);
  for (int i = 0; i < half; ++i) {
    const float t = p.freq_factors ? theta / p.freq_factors[i] : theta;
    cs[2 * i] = std::cos(t);
    cs[2 * i + 1] = std::sin(t);
    theta *= theta_scale;
  }
}

void rope(float* x, int n_heads, const float* cs, const RopeParams& p) {
  const int half = p.head_dim / 2;
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + int64_t(h) * p.head_dim;
    for (int i = 0; i < half; ++i) {
      const float c = cs[2 * i], s = cs[2 * i + 1];
      const int a = p.neox ? i : 2 * i;
      const int b = p.neox ? i + half : 2 * i + 1;
      const float x0 = v[a], x1 = v[b];
      // One rounding for the first product, as llama.cpp's builds compute it (the compiler
      // contracts its x0 * c - x1 * s into an FMA); q and k go to f16 next, where a
      // 1-ulp difference can flip the rounding.
      v[a] = std::fma(x0, c, -(x1 * s));
      v[b] = std::fma(x0, s, x1 * c);
    }
  }
}

void swiglu(const ExecContext& ctx, float* gate, const float* up, int64_t rows, int64_t n) {
  ctx.pool.parallel_for(rows * n, n, [&](int64_t b, int64_t e) { ctx.kernels.silu_mul(gate + b, up + b, e - b); });
}

void attend_rows(const ExecContext& ctx, std::span<const float* const> q, std::span<const int64_t> n_kv,
                 const uint16_t* k, int64_t k_stride, const uint16_t* v_t, int64_t v_stride, int head_dim,
                 float scale, bool one_token, const AttnScratch& scratch, std::span<float* const> out) {
  const kernels::TypeKernels& f16 = ctx.kernels.for_type(DType::F16);
  const kernels::GemmFn gemm = gemm_for(f16, one_token ? 1 : 2);
  const auto rows = int64_t(q.size());
  const int64_t n_max = *std::max_element(n_kv.begin(), n_kv.end());
  for (int64_t r = 0; r < rows; ++r) f16.quantize_act(q[size_t(r)], scratch.q16 + r * head_dim, head_dim);
  kernels::GemmArgs a;
  // scores[r][t] = K[t] . f16(q[r])
  a.w = reinterpret_cast<const uint8_t*>(k);
  a.w_row_bytes = size_t(k_stride) * sizeof(uint16_t);
  a.k = head_dim;
  a.x = reinterpret_cast<const uint8_t*>(scratch.q16);
  a.x_row_bytes = size_t(head_dim) * sizeof(uint16_t);
  a.nb = rows;
  a.y = scratch.scores;
  a.y_stride = n_max;
  gemm(a, 0, n_max);
  // The weighted sum over positions runs to a multiple of the SIMD step of llama.cpp's dot
  // (8 batched, 32 in its one-row dot) where the cache has room, the extra positions weighing 0:
  // llama.cpp's padded cache sums them in SIMD lanes the same way (a scalar tail would round
  // differently).
  const int64_t step = gemm == f16.gemm ? 8 : 32;
  const int64_t n_sum = std::min((n_max + step - 1) / step * step, v_stride);
  for (int64_t r = 0; r < rows; ++r) {
    float* s = scratch.scores + r * n_max;
    const int64_t n = n_kv[size_t(r)];
    for (int64_t t = 0; t < n; ++t) s[t] *= scale;
    ctx.kernels.softmax(s, n);
    uint16_t* w = scratch.w16 + r * n_sum;
    f16.quantize_act(s, w, n);
    std::fill(w + n, w + n_sum, uint16_t(0));  // positions this row may not see weigh 0
  }
  // out[r][d] = V^T[d] . f16(weights[r])
  a.w = reinterpret_cast<const uint8_t*>(v_t);
  a.w_row_bytes = size_t(v_stride) * sizeof(uint16_t);
  a.k = n_sum;
  a.x = reinterpret_cast<const uint8_t*>(scratch.w16);
  a.x_row_bytes = size_t(n_sum) * sizeof(uint16_t);
  a.y = scratch.out;
  a.y_stride = head_dim;
  gemm(a, 0, head_dim);
  for (int64_t r = 0; r < rows; ++r)
    std::copy(scratch.out + r * head_dim, scratch.out + (r + 1) * head_dim, out[size_t(r)]);
}

}  // namespace minnow::ops
