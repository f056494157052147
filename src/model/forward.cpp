#include "model/forward.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/ops.h"
#include "util/fp16.h"

namespace minnow {

ForwardScratch::ForwardScratch(const HParams& hp, int max_batch_, int n_ctx, int n_threads)
    : max_batch(max_batch_) {
  const size_t nb = size_t(max_batch);
  x.resize(nb * size_t(hp.n_embd));
  xn.resize(nb * size_t(hp.n_embd));
  q.resize(nb * size_t(hp.q_dim()));
  k.resize(nb * size_t(hp.kv_dim()));
  v.resize(nb * size_t(hp.kv_dim()));
  attn.resize(nb * size_t(hp.q_dim()));
  gate.resize(nb * size_t(hp.n_ff));
  up.resize(nb * size_t(hp.n_ff));
  rope_cs.resize(nb * size_t(hp.head_dim));
  const size_t per_thread = size_t(ops::kAttnMaxRows) * size_t(n_ctx + hp.head_dim);
  scores.resize(size_t(n_threads) * per_thread);
  att16.resize(size_t(n_threads) * per_thread);
}

namespace {

// fn(i) for every token i of the batch, tokens split over the threads (inline for decode).
template <class Fn>
void per_token(const ExecContext& ctx, int64_t nb, Fn&& fn) {
  ctx.pool.parallel_for(nb, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) fn(i);
  });
}

void add_bias(float* y, const std::vector<float>& b, int64_t nb) {
  if (b.empty()) return;
  const int64_t n = int64_t(b.size());
  for (int64_t i = 0; i < nb; ++i)
    for (int64_t j = 0; j < n; ++j) y[i * n + j] += b[size_t(j)];
}

void head_norms(float* x, const std::vector<float>& w, int64_t n_vec, float eps) {
  if (w.empty()) return;
  const int64_t hd = int64_t(w.size());
  for (int64_t i = 0; i < n_vec; ++i) ops::rms_norm(x + i * hd, w.data(), x + i * hd, hd, eps);
}

// Self-attention for the batch: q [nb][q_dim] against cache positions [0, pos0 + i]. A job is
// a run of query rows (token i, head h) that share one KV head, so each K/V row read serves
// all of them; jobs are sized so every thread gets some.
void attention(const ExecContext& ctx, const HParams& hp, const KVCache& cache, int layer,
               ForwardScratch& s, int64_t nb, int64_t pos0) {
  const int group = hp.n_head / hp.n_head_kv;
  const float scale = 1.0f / std::sqrt(float(hp.head_dim));
  const uint16_t* kc = cache.k(layer);
  const uint16_t* vc = cache.v(layer);
  const int nt = ctx.pool.size();
  const int64_t rows_per_head = nb * group;  // rows (i, h) of one KV head, i major
  // Two jobs per thread for balance; but where there are at least as many KV heads as threads
  // (decode: a head's rows are one GQA group), one head's rows stay in one job, so its K and V
  // rows are read once rather than once per part.
  const int64_t balanced = (rows_per_head * hp.n_head_kv + 2 * nt - 1) / (2 * nt);
  const int64_t per_job = std::clamp<int64_t>(hp.n_head_kv >= nt ? std::max(balanced, rows_per_head) : balanced, 1,
                                              ops::kAttnMaxRows);
  const int64_t jobs_per_head = (rows_per_head + per_job - 1) / per_job;
  const int64_t jobs = jobs_per_head * hp.n_head_kv;
  const size_t slot = size_t(ops::kAttnMaxRows) * size_t(cache.n_ctx + hp.head_dim);
  ctx.pool.run([&](int t) {
    uint16_t* a16 = s.att16.data() + size_t(t) * slot;
    float* f32 = s.scores.data() + size_t(t) * slot;
    const ops::AttnScratch scratch{a16, f32, a16 + ops::kAttnMaxRows * hp.head_dim,
                                   f32 + int64_t(ops::kAttnMaxRows) * cache.n_ctx};
    const float* q[ops::kAttnMaxRows];
    float* out[ops::kAttnMaxRows];
    int64_t n_kv[ops::kAttnMaxRows];
    for (int64_t j = jobs * t / nt; j < jobs * (t + 1) / nt; ++j) {
      const int g = int(j / jobs_per_head);
      const int64_t first = (j % jobs_per_head) * per_job;
      const int64_t n = std::min(per_job, rows_per_head - first);
      for (int64_t r = 0; r < n; ++r) {
        const int64_t i = (first + r) / group;
        const int64_t h = int64_t(g) * group + (first + r) % group;
        q[r] = s.q.data() + i * hp.q_dim() + h * hp.head_dim;
        out[r] = s.attn.data() + i * hp.q_dim() + h * hp.head_dim;
        n_kv[r] = pos0 + i + 1;
      }
      const int64_t kv_off = int64_t(g) * hp.head_dim;
      ops::attend_rows(ctx, std::span(q, size_t(n)), std::span(n_kv, size_t(n)), kc + kv_off, cache.row,
                       vc + kv_off * cache.n_ctx, cache.n_ctx, hp.head_dim, scale, nb == 1, scratch,
                       std::span(out, size_t(n)));
    }
  });
}

}  // namespace

void forward(const ExecContext& ctx, const Model& model, KVCache& cache, ForwardScratch& s,
             std::span<const int32_t> tokens, int64_t pos0, bool all_logits,
             std::vector<float>& logits) {
  const HParams& hp = model.hparams();
  const ArchSpec& spec = model.spec();
  const int64_t nb = int64_t(tokens.size());
  const int64_t d = hp.n_embd;

  for (int64_t i = 0; i < nb; ++i) ops::embed_row(model.token_embd, tokens[size_t(i)], s.x.data() + i * d);

  const ops::RopeParams rope{hp.head_dim, hp.rope_base, spec.rope_neox,
                             model.rope_freqs.empty() ? nullptr : model.rope_freqs.data()};
  per_token(ctx, nb, [&](int64_t i) { ops::rope_angles(pos0 + i, rope, s.rope_cs.data() + i * hp.head_dim); });

  const auto norm_rows = [&](const std::vector<float>& weight) {
    per_token(ctx, nb, [&](int64_t i) {
      ops::rms_norm(s.x.data() + i * d, weight.data(), s.xn.data() + i * d, d, hp.rms_eps);
    });
  };
  const auto add_residual = [&] {  // x += xn
    per_token(ctx, nb, [&](int64_t i) {
      for (int64_t e = i * d; e < (i + 1) * d; ++e) s.x[size_t(e)] += s.xn[size_t(e)];
    });
  };

  for (int il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& L = model.layers[size_t(il)];
    norm_rows(L.attn_norm);

    const WeightView* qkv[] = {&L.wq, &L.wk, &L.wv};
    float* const qkv_out[] = {s.q.data(), s.k.data(), s.v.data()};
    ops::matmul_multi(ctx, qkv, s.xn.data(), nb, qkv_out, s.act);
    add_bias(s.q.data(), L.bq, nb);
    add_bias(s.k.data(), L.bk, nb);
    add_bias(s.v.data(), L.bv, nb);
    head_norms(s.q.data(), L.q_norm, nb * hp.n_head, hp.rms_eps);
    head_norms(s.k.data(), L.k_norm, nb * hp.n_head_kv, hp.rms_eps);

    per_token(ctx, nb, [&](int64_t i) {
      const float* cs = s.rope_cs.data() + i * hp.head_dim;
      ops::rope(s.q.data() + i * hp.q_dim(), hp.n_head, cs, rope);
      ops::rope(s.k.data() + i * hp.kv_dim(), hp.n_head_kv, cs, rope);
      const int64_t pos = pos0 + i;
      uint16_t* kc = cache.k(il) + pos * cache.row;
      uint16_t* vc = cache.v(il) + pos;  // transposed: stride n_ctx
      for (int64_t e = 0; e < cache.row; ++e) {
        kc[e] = f32_to_fp16(s.k[size_t(i * cache.row + e)]);
        vc[e * cache.n_ctx] = f32_to_fp16(s.v[size_t(i * cache.row + e)]);
      }
    });
    attention(ctx, hp, cache, il, s, nb, pos0);

    // Residual add straight into x: xn is free again after the projections.
    ops::matmul(ctx, L.wo, s.attn.data(), nb, s.xn.data(), s.act);
    add_residual();

    norm_rows(L.ffn_norm);
    const WeightView* gate_up[] = {&L.w_gate, &L.w_up};
    float* const gate_up_out[] = {s.gate.data(), s.up.data()};
    ops::matmul_multi(ctx, gate_up, s.xn.data(), nb, gate_up_out, s.act);
    ops::swiglu(ctx, s.gate.data(), s.up.data(), nb, hp.n_ff);
    ops::matmul(ctx, L.w_down, s.gate.data(), nb, s.xn.data(), s.act);
    add_residual();
  }

  const int64_t first = all_logits ? 0 : nb - 1;
  const int64_t n_out = nb - first;
  for (int64_t i = first; i < nb; ++i)
    ops::rms_norm(s.x.data() + i * d, model.output_norm.data(), s.xn.data() + (i - first) * d, d, hp.rms_eps);
  logits.resize(size_t(n_out) * size_t(hp.n_vocab));
  ops::matmul(ctx, model.output, s.xn.data(), n_out, logits.data(), s.act);
}

}  // namespace minnow
