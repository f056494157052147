#include "ops/ops.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "quant/quant.h"
#include "util/fp16.h"

namespace minnow::ops {

namespace {

// How one matrix is computed: its activation format and gemm (packed views bring their own
// kernels, the table they were packed for; plain views use ctx's).
struct MatmulPlan {
  kernels::ActQuantFn quantize_act = nullptr;  // null: f32 activations used as they are
  kernels::ActBytesFn act_row_bytes = nullptr;  // packed views: to offset panels' activations
  size_t x_row_bytes = 0;
  kernels::GemmFn gemm = nullptr;
};

// The gemm for nb activation rows: one row is one token's pass (see gemm_one_token).
kernels::GemmFn gemm_for(const kernels::TypeKernels& tk, int64_t nb) {
  return nb == 1 && tk.gemm_one_token ? tk.gemm_one_token : tk.gemm;
}

MatmulPlan plan_for(const ExecContext& ctx, const WeightView& w, int64_t nb) {
  if (w.packed) {
    const kernels::PackedKernels::Wide& wide = w.packed->wide;
    if (wide.gemm && nb >= wide.min_rows) return {wide.quantize_act, wide.act_row_bytes, wide.act_row_bytes(w.cols), wide.gemm};
    return {w.packed->quantize_act, w.packed->act_row_bytes, w.packed->act_row_bytes(w.cols), w.packed->gemm};
  }
  const kernels::TypeKernels& tk = ctx.kernels.for_type(w.type);
  const bool f32 = tk.act_type == DType::F32;
  return {f32 ? nullptr : tk.quantize_act, nullptr, kernels::act_row_bytes(tk.act_type, w.cols), gemm_for(tk, nb)};
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

// Rows [r0, r1) of the product `whole` describes. A matrix stored in column panels
// (WeightView::panel_cols) is computed panel by panel: the first panel's sums go to y, each
// later one's to `part` (shaped as y) and are then added to y, in panel order.
void gemm_rows(const MatmulPlan& p, const WeightView& w, const kernels::GemmArgs& whole, float* part, int64_t r0,
               int64_t r1) {
  const int64_t n = w.panels();
  if (n == 1) {
    p.gemm(whole, r0, r1);
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const WeightView::Panel panel = w.panel(i);
    kernels::GemmArgs a = whole;
    a.w = panel.data;
    a.w_row_bytes = panel.row_bytes;
    a.k = panel.cols;
    a.x = whole.x + p.act_row_bytes(panel.col0);
    a.y = i == 0 ? whole.y : part;
    p.gemm(a, r0, r1);
    if (i == 0) continue;
    for (int64_t b = 0; b < whole.nb; ++b) {
      float* y = whole.y + b * whole.y_stride;
      const float* add = part + b * whole.y_stride;
      for (int64_t r = r0; r < r1; ++r) y[r] += add[r];
    }
  }
}

// The scratch for a product: nb converted activation rows of x_row_bytes, then, where a
// matrix is in panels, `part_floats` floats for gemm_rows (64-byte aligned). Returns `part`.
float* size_scratch(std::vector<uint8_t>& scratch, size_t act_bytes, size_t part_floats) {
  const size_t part_at = (act_bytes + 63) / 64 * 64;
  const size_t need = part_floats == 0 ? act_bytes : part_at + part_floats * sizeof(float) + 64;
  if (scratch.size() < need) scratch.resize(need);
  if (part_floats == 0) return nullptr;
  const auto base = reinterpret_cast<uintptr_t>(scratch.data() + part_at);
  return reinterpret_cast<float*>((base + 63) / 64 * 64);
}

}  // namespace

void matmul(const ExecContext& ctx, const WeightView& w, const float* x, int64_t nb, float* y,
            std::vector<uint8_t>& act_scratch) {
  const MatmulPlan p = plan_for(ctx, w, nb);
  // f32 activations are used in place: no scratch for them.
  const size_t act_bytes = p.quantize_act ? p.x_row_bytes * size_t(nb) : 0;
  float* part = size_scratch(act_scratch, act_bytes, w.panels() > 1 ? size_t(nb * w.rows) : 0);
  const kernels::GemmArgs args = gemm_args(ctx, w, convert_acts(ctx, p, x, w.cols, nb, act_scratch.data()), p.x_row_bytes, nb, y);
  ctx.pool.parallel_for(w.rows, kRowGrain, [&](int64_t r0, int64_t r1) { gemm_rows(p, w, args, part, r0, r1); });
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
  int64_t begin[kMax + 1] = {0};
  bool panels = false;
  for (size_t i = 0; i < ws.size(); ++i) {
    begin[i + 1] = begin[i] + ws[i]->rows;
    panels = panels || ws[i]->panels() > 1;
  }
  // Matrix i's panel sums (gemm_rows) go to part + nb * begin[i].
  float* part = size_scratch(act_scratch, plans[0].quantize_act ? xb * size_t(nb) : 0,
                             panels ? size_t(nb * begin[ws.size()]) : 0);
  const uint8_t* xq = convert_acts(ctx, plans[0], x, ws[0]->cols, nb, act_scratch.data());
  kernels::GemmArgs args[kMax];
  for (size_t i = 0; i < ws.size(); ++i) args[i] = gemm_args(ctx, *ws[i], xq, xb, nb, ys[i]);
  ctx.pool.parallel_for(begin[ws.size()], kRowGrain, [&](int64_t r0, int64_t r1) {
    for (size_t i = 0; i < ws.size(); ++i) {
      const int64_t a = std::max(r0, begin[i]), b = std::min(r1, begin[i + 1]);
      if (a < b) gemm_rows(plans[i], *ws[i], args[i], part ? part + nb * begin[i] : nullptr, a - begin[i], b - begin[i]);
    }
  });
}

void pack_group(const WeightView& plain, const WeightView& to, int64_t g) {
  const int64_t rows = to.packed->rows;
  for (int64_t p = 0; p < to.panels(); ++p) {
    const WeightView::Panel panel = to.panel(p);
    const uint8_t* src = plain.row(g * rows) + row_bytes(plain.type, uint64_t(panel.col0));
    to.packed->pack(src, plain.row_bytes, panel.cols, const_cast<uint8_t*>(panel.data) + size_t(g * rows) * panel.row_bytes);
  }
}

void embed_row(const WeightView& table, int64_t index, float* out) {
  if (table.packed) {
    const int64_t g = table.packed->rows;
    for (int64_t p = 0; p < table.panels(); ++p) {
      const WeightView::Panel panel = table.panel(p);
      table.packed->unpack_row(panel.data + size_t(index / g * g) * panel.row_bytes, int(index % g), panel.cols,
                               out + panel.col0);
    }
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

// Normal f16 values keep 11 significant bits: the 13 bits below go, rounded on the integer
// bits. Below 2^-14 f16 steps by 2^-24, the spacing of floats in [0.5, 1): adding 0.5 rounds
// to that grid.
void round_to_f16_weights(float* s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float x = s[i];
    const uint32_t bits = std::bit_cast<uint32_t>(x);
    const float normal = std::bit_cast<float>((bits + 0x0FFFu + ((bits >> 13) & 1u)) & ~0x1FFFu);
    const float tiny = (x + 0.5f) - 0.5f;
    s[i] = x >= 0x1p-14f ? normal : tiny;
  }
}

void attend_rows(const ExecContext& ctx, std::span<const float* const> q, std::span<const int64_t> n_kv,
                 const uint16_t* k, int64_t k_stride, const uint16_t* v_t, int64_t v_stride, int head_dim,
                 float scale, bool one_token, const AttnScratch& scratch, std::span<float* const> out) {
  const kernels::TypeKernels& f16 = ctx.kernels.for_type(DType::F16);
  const kernels::GemmFn gemm = gemm_for(f16, one_token ? 1 : 2);
  // f16 rows against f32 activations holding f16 values: for more than one token by the
  // table's exact-product GEMM where it has one; otherwise where the table has such a GEMM
  // and it rounds as `gemm` (not llama.cpp's one-row dot).
  const bool exact = !one_token && ctx.kernels.gemm_f16_exact != nullptr;
  const bool f32_acts = exact || (ctx.kernels.gemm_f16_f32act != nullptr && gemm == f16.gemm);
  const kernels::GemmFn pass = exact ? ctx.kernels.gemm_f16_exact : f32_acts ? ctx.kernels.gemm_f16_f32act : gemm;
  const size_t act_bytes = f32_acts ? sizeof(float) : sizeof(uint16_t);
  const auto rows = int64_t(q.size());
  const int64_t n_max = *std::max_element(n_kv.begin(), n_kv.end());
  // The weighted sum over positions runs to a multiple of the SIMD step of llama.cpp's dot
  // (8 batched, 32 in its one-row dot) where the cache has room, the extra positions weighing 0:
  // llama.cpp's padded cache sums them in SIMD lanes the same way (a scalar tail would round
  // differently).
  const int64_t step = gemm == f16.gemm ? 8 : 32;
  const int64_t n_sum = std::min((n_max + step - 1) / step * step, v_stride);
  for (int64_t r = 0; r < rows; ++r) f16.quantize_act(q[size_t(r)], scratch.q16 + r * head_dim, head_dim);
  if (f32_acts) {  // q as f32 in scratch.out, free until the V pass
    for (int64_t i = 0; i < rows * head_dim; ++i) scratch.out[i] = fp16_to_f32(scratch.q16[i]);
  }
  kernels::GemmArgs a;
  // scores[r][t] = K[t] . f16(q[r]); rows n_sum apart, so that they are the V pass's activations
  a.w = reinterpret_cast<const uint8_t*>(k);
  a.w_row_bytes = size_t(k_stride) * sizeof(uint16_t);
  a.k = head_dim;
  a.x = f32_acts ? reinterpret_cast<const uint8_t*>(scratch.out) : reinterpret_cast<const uint8_t*>(scratch.q16);
  a.x_row_bytes = size_t(head_dim) * act_bytes;
  a.nb = rows;
  a.y = scratch.scores;
  a.y_stride = n_sum;
  pass(a, 0, n_max);
  for (int64_t r = 0; r < rows; ++r) {
    float* s = scratch.scores + r * n_sum;
    const int64_t n = n_kv[size_t(r)];
    for (int64_t t = 0; t < n; ++t) s[t] *= scale;
    ctx.kernels.softmax(s, n);
    if (f32_acts) {
      round_to_f16_weights(s, n);
      std::fill(s + n, s + n_sum, 0.0f);  // positions this row may not see weigh 0
    } else {
      uint16_t* w = scratch.w16 + r * n_sum;
      f16.quantize_act(s, w, n);
      std::fill(w + n, w + n_sum, uint16_t(0));
    }
  }
  // out[r][d] = V^T[d] . f16(weights[r])
  a.w = reinterpret_cast<const uint8_t*>(v_t);
  a.w_row_bytes = size_t(v_stride) * sizeof(uint16_t);
  a.k = n_sum;
  a.x = f32_acts ? reinterpret_cast<const uint8_t*>(scratch.scores) : reinterpret_cast<const uint8_t*>(scratch.w16);
  a.x_row_bytes = size_t(n_sum) * act_bytes;
  a.y = scratch.out;
  a.y_stride = head_dim;
  pass(a, 0, head_dim);
  for (int64_t r = 0; r < rows; ++r)
    std::copy(scratch.out + r * head_dim, scratch.out + (r + 1) * head_dim, out[size_t(r)]);
}

}  // namespace minnow::ops
