#include "ops/ops.h"

#include <algorithm>
#include <cmath>

#include "quant/quant.h"
#include "util/fp16.h"

namespace minnow::ops {

void matmul(const ExecContext& ctx, const WeightView& w, const float* x, int64_t nb, float* y,
            std::vector<uint8_t>& act_scratch) {
  // A packed view brings its own kernels (the table it was packed for); plain views use ctx's.
  const kernels::TypeKernels& tk = ctx.kernels.for_type(w.type);
  const bool packed = w.packed != nullptr;
  const size_t x_row_bytes = packed ? w.packed->act_row_bytes(w.cols) : kernels::act_row_bytes(tk.act_type, w.cols);
  const kernels::ActQuantFn quantize_act = packed ? w.packed->quantize_act : tk.quantize_act;
  const kernels::GemmFn gemm = packed ? w.packed->gemm : tk.gemm;
  const uint8_t* xq = reinterpret_cast<const uint8_t*>(x);
  if (packed || tk.act_type != DType::F32) {
    if (act_scratch.size() < x_row_bytes * size_t(nb)) act_scratch.resize(x_row_bytes * size_t(nb));
    for (int64_t b = 0; b < nb; ++b)
      quantize_act(x + b * w.cols, act_scratch.data() + size_t(b) * x_row_bytes, w.cols);
    xq = act_scratch.data();
  }
  kernels::GemmArgs args;
  args.w = w.data;
  args.w_row_bytes = w.row_bytes;
  args.k = w.cols;
  args.x = xq;
  args.x_row_bytes = x_row_bytes;
  args.nb = nb;
  args.y = y;
  args.y_stride = w.rows;
  // Grain of 16 rows keeps each thread's slice contiguous and cache-line friendly (and whole
  // packed groups).
  ctx.pool.parallel_for(w.rows, 16, [&](int64_t r0, int64_t r1) { gemm(args, r0, r1); });
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
  double sum = 0.0;  // double: ggml sums in f64 too (ggml_float), keeps us close to it
  for (int64_t i = 0; i < n; ++i) sum += double(x[i]) * double(x[i]);
  const float scale = float(1.0 / std::sqrt(sum / double(n) + double(eps)));
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * weight[i];
}

void rope(float* x, int n_heads, int64_t pos, const RopeParams& p) {
  const int half = p.head_dim / 2;
  const float theta_scale = std::pow(p.freq_base, -2.0f / float(p.head_dim));
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + int64_t(h) * p.head_dim;
    float theta = float(pos);
    for (int i = 0; i < half; ++i) {
      const float t = p.freq_factors ? theta / p.freq_factors[i] : theta;
      const float c = std::cos(t), s = std::sin(t);
      const int a = p.neox ? i : 2 * i;
      const int b = p.neox ? i + half : 2 * i + 1;
      const float x0 = v[a], x1 = v[b];
      v[a] = x0 * c - x1 * s;
      v[b] = x0 * s + x1 * c;
      theta *= theta_scale;
    }
  }
}

void silu_mul(float* g, const float* u, int64_t n) {
  for (int64_t i = 0; i < n; ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

void softmax(float* x, int64_t n) {
  float mx = x[0];
  for (int64_t i = 1; i < n; ++i) mx = std::max(mx, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = float(1.0 / sum);  // as ggml: the sum in double, the scale in float
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void attend_head(const ExecContext& ctx, const float* q, const uint16_t* k, int64_t k_stride,
                 const uint16_t* v_t, int64_t v_stride, int64_t n_kv, int head_dim, float scale,
                 const AttnScratch& scratch, float* out) {
  const kernels::TypeKernels& f16 = ctx.kernels.for_type(DType::F16);
  kernels::GemmArgs a;
  // scores[t] = K[t] . f16(q)
  f16.quantize_act(q, scratch.q16, head_dim);
  a.w = reinterpret_cast<const uint8_t*>(k);
  a.w_row_bytes = size_t(k_stride) * sizeof(uint16_t);
  a.k = head_dim;
  a.x = reinterpret_cast<const uint8_t*>(scratch.q16);
  a.x_row_bytes = size_t(head_dim) * sizeof(uint16_t);
  a.nb = 1;
  a.y = scratch.scores;
  a.y_stride = n_kv;
  f16.gemm(a, 0, n_kv);
  for (int64_t t = 0; t < n_kv; ++t) scratch.scores[t] *= scale;
  softmax(scratch.scores, n_kv);
  // out[d] = V^T[d] . f16(weights)
  f16.quantize_act(scratch.scores, scratch.w16, n_kv);
  a.w = reinterpret_cast<const uint8_t*>(v_t);
  a.w_row_bytes = size_t(v_stride) * sizeof(uint16_t);
  a.k = n_kv;
  a.x = reinterpret_cast<const uint8_t*>(scratch.w16);
  a.x_row_bytes = size_t(n_kv) * sizeof(uint16_t);
  a.y = out;
  a.y_stride = head_dim;
  f16.gemm(a, 0, head_dim);
}

}  // namespace minnow::ops
