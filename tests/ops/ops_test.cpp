// ops on random data: matmul_multi computes exactly what one matmul per matrix does (the
// shared activation conversion and the joint row split change no row's arithmetic), and the
// grouped attention agrees with plain attention.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernels.h"
#include "ops/ops.h"
#include "quant/quant.h"
#include "util/fp16.h"

namespace minnow {
namespace {

struct Matrix {
  std::vector<uint8_t> plain, packed;
  WeightView view;
};

Matrix make_matrix(std::mt19937& rng, DType t, int64_t rows, int64_t cols, const kernels::KernelTable& kt, bool pack) {
  Matrix m;
  const size_t rb = row_bytes(t, uint64_t(cols));
  m.plain.resize(rb * size_t(rows));
  std::normal_distribution<float> dist(0.0f, 0.05f);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (float& f : row) f = dist(rng);
    quantize_row(t, row.data(), m.plain.data() + size_t(r) * rb, cols);
  }
  m.view = WeightView{t, m.plain.data(), rows, cols, rb};
  const kernels::PackedKernels& pk = kt.for_type(t).packed;
  if (pack && pk.rows > 0) {
    m.packed.resize(m.plain.size());
    for (int64_t r = 0; r < rows; r += pk.rows) pk.pack(m.plain.data() + size_t(r) * rb, rb, cols, m.packed.data() + size_t(r) * rb);
    m.view.data = m.packed.data();
    m.view.packed = &pk;
  }
  return m;
}

void expect_multi_equals_single(const std::vector<DType>& types, const std::vector<int64_t>& rows, bool pack, int n_threads) {
  const kernels::KernelTable& kt = kernels::best_kernels(kernels::detect_cpu_features());
  ThreadPool pool(n_threads);
  const ExecContext ctx{kt, pool};
  std::mt19937 rng(11);
  const int64_t cols = 512;
  std::vector<Matrix> ms;
  for (size_t i = 0; i < types.size(); ++i) ms.push_back(make_matrix(rng, types[i], rows[i], cols, kt, pack));
  for (const int64_t nb : {1, 3, 6}) {
    std::vector<float> x(size_t(nb * cols));
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (float& v : x) v = dist(rng);
    std::vector<const WeightView*> ws;
    std::vector<std::vector<float>> multi(ms.size()), single(ms.size());
    std::vector<float*> ys;
    std::vector<uint8_t> scratch;
    for (size_t i = 0; i < ms.size(); ++i) {
      ws.push_back(&ms[i].view);
      multi[i].assign(size_t(nb * rows[i]), -1.0f);
      single[i].assign(size_t(nb * rows[i]), -2.0f);
      ys.push_back(multi[i].data());
      ops::matmul(ctx, ms[i].view, x.data(), nb, single[i].data(), scratch);
    }
    ops::matmul_multi(ctx, ws, x.data(), nb, ys, scratch);
    for (size_t i = 0; i < ms.size(); ++i) EXPECT_EQ(multi[i], single[i]) << "matrix " << i << " nb=" << nb;
  }
}

TEST(MatmulMulti, SameFormatSharesOneRegion) {
  for (const bool pack : {false, true})
    for (const int threads : {1, 2, 3}) expect_multi_equals_single({DType::Q4_0, DType::Q4_0, DType::Q4_0}, {96, 32, 48}, pack, threads);
}

TEST(MatmulMulti, MixedFormatsAndOddRowsFallBack) {
  for (const bool pack : {false, true}) {
    expect_multi_equals_single({DType::Q4_K, DType::Q4_K, DType::Q6_K}, {64, 32, 32}, pack, 2);  // Q8_K acts for all
    expect_multi_equals_single({DType::Q8_0, DType::F16}, {32, 16}, pack, 2);                      // different formats
    expect_multi_equals_single({DType::Q4_0, DType::Q4_0}, {40, 24}, pack, 2);                      // rows not a multiple of 16
  }
}

// A matrix in column panels: its product is the panels' products added in panel order (each
// panel computed as a matrix of its own), its rows dequantize as the plain rows do, and
// matmul_multi computes what matmul does. 1280 columns in panels of 512: 512, 512, 256.
TEST(Panels, ProductIsThePanelProductsAddedInOrder) {
  const kernels::KernelTable& kt = kernels::best_kernels(kernels::detect_cpu_features());
  ThreadPool pool(2);
  const ExecContext ctx{kt, pool};
  const int64_t rows = 48, cols = 1280, width = 512;
  ASSERT_EQ(panel_width(cols, 600, 256), width);
  ASSERT_EQ(panel_width(cols, 1280, 256), 0);
  for (const DType t : {DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K}) {
    const kernels::PackedKernels& pk = kt.for_type(t).packed;
    if (pk.rows == 0) continue;
    std::mt19937 rng(5);
    const Matrix m = make_matrix(rng, t, rows, cols, kt, false);
    std::vector<uint8_t> packed(m.plain.size());
    WeightView pv = m.view;
    pv.data = packed.data();
    pv.packed = &pk;
    pv.panel_cols = width;
    ASSERT_EQ(pv.panels(), 3);
    for (int64_t g = 0; g < rows / pk.rows; ++g) ops::pack_group(m.view, pv, g);
    for (const int64_t nb : {1, 3, 6}) {
      std::vector<float> x(size_t(nb * cols));
      std::normal_distribution<float> dist(0.0f, 1.0f);
      for (float& v : x) v = dist(rng);
      std::vector<float> want(size_t(nb * rows), 0.0f), part(want.size()), got(want.size());
      std::vector<uint8_t> scratch;
      for (int64_t p = 0; p < 3; ++p) {
        const int64_t c0 = p * width, n = std::min(width, cols - c0);
        // Panel p as a plain matrix of its own, packed whole.
        const size_t prb = row_bytes(t, uint64_t(n));
        std::vector<uint8_t> sub_plain(prb * size_t(rows)), sub_packed(sub_plain.size());
        for (int64_t r = 0; r < rows; ++r)
          std::memcpy(sub_plain.data() + size_t(r) * prb, m.view.row(r) + row_bytes(t, uint64_t(c0)), prb);
        for (int64_t r = 0; r < rows; r += pk.rows) pk.pack(sub_plain.data() + size_t(r) * prb, prb, n, sub_packed.data() + size_t(r) * prb);
        const WeightView sub{t, sub_packed.data(), rows, n, prb, &pk};
        std::vector<float> xs(size_t(nb * n));
        for (int64_t b = 0; b < nb; ++b) std::copy_n(x.begin() + b * cols + c0, n, xs.begin() + b * n);
        ops::matmul(ctx, sub, xs.data(), nb, part.data(), scratch);
        for (size_t i = 0; i < want.size(); ++i) want[i] = p == 0 ? part[i] : want[i] + part[i];
      }
      ops::matmul(ctx, pv, x.data(), nb, got.data(), scratch);
      EXPECT_EQ(got, want) << dtype_info(t).name << " nb=" << nb;
      std::vector<float> multi(got.size(), -1.0f), other(got.size(), -1.0f);
      const WeightView* ws[] = {&pv, &pv};
      float* ys[] = {multi.data(), other.data()};
      ops::matmul_multi(ctx, ws, x.data(), nb, ys, scratch);
      EXPECT_EQ(multi, got) << dtype_info(t).name << " nb=" << nb;
      EXPECT_EQ(other, got) << dtype_info(t).name << " nb=" << nb;
    }
    std::vector<float> a(static_cast<size_t>(cols)), b(a.size());
    for (const int64_t r : {int64_t(0), int64_t(9), rows - 1}) {
      dequantize_row(t, m.view.row(r), a.data(), cols);
      ops::embed_row(pv, r, b.data());
      EXPECT_EQ(a, b) << dtype_info(t).name << " row " << r;
    }
  }
}

// The softmax weights' rounding is f16 conversion and back, bit for bit: random weights over
// many magnitudes, every f16 value in [0, 1] and the midpoints between neighbours (ties go
// to even), across the subnormal boundary 2^-14 and at the underflow 2^-25.
TEST(RoundToF16Weights, IsConversionToF16AndBack) {
  std::vector<float> in = {0.0f, 1.0f, 0x1p-14f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-26f, 1e-30f};
  in.push_back(std::nextafter(0x1p-14f, 0.0f));
  in.push_back(std::nextafter(0x1p-14f, 1.0f));
  for (uint16_t h = 0; h <= 0x3C00; ++h) {  // 0x3C00: 1.0
    const float v = fp16_to_f32(h), next = fp16_to_f32(uint16_t(h + 1));
    in.push_back(v);
    if (h < 0x3C00) {
      const float mid = v + (next - v) / 2;  // exact: one more bit than f16 has
      in.push_back(mid);
      in.push_back(std::nextafter(mid, 0.0f));
      in.push_back(std::nextafter(mid, 1.0f));
    }
  }
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> exponent(-40.0f, 0.0f);
  for (int i = 0; i < 100000; ++i) in.push_back(std::min(1.0f, std::exp2(exponent(rng))));
  std::vector<float> got = in;
  ops::round_to_f16_weights(got.data(), int64_t(got.size()));
  for (size_t i = 0; i < in.size(); ++i)
    ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(fp16_to_f32(f32_to_fp16(in[i]))))
        << "x = " << in[i] << " (" << std::hexfloat << in[i] << ")";
}

// One head's f16 cache: K rows k_stride apart, V transposed (rows n_ctx long).
struct Cache {
  const std::vector<uint16_t>& k;
  int64_t k_stride;
  const std::vector<uint16_t>& v_t;
  int64_t n_ctx;
  int hd;
};

// attend_rows with `table` on one thread, scale 1/8, over fresh scratch that holds stale
// values: the output rows, one after another.
std::vector<float> attend(const kernels::KernelTable& table, const Cache& c, const std::vector<std::vector<float>>& q,
                          const std::vector<int64_t>& n_kv, bool one_token) {
  std::vector<const float*> qp;
  for (const auto& row : q) qp.push_back(row.data());
  std::vector<uint16_t> q16(size_t(ops::kAttnMaxRows * c.hd)), w16(size_t(ops::kAttnMaxRows * c.n_ctx));
  std::vector<float> scores(size_t(ops::kAttnMaxRows * c.n_ctx), 1e9f), outs(size_t(ops::kAttnMaxRows * c.hd));
  const ops::AttnScratch scratch{q16.data(), scores.data(), w16.data(), outs.data()};
  std::vector<std::vector<float>> out(q.size(), std::vector<float>(size_t(c.hd), 0.0f));
  std::vector<float*> op;
  for (auto& row : out) op.push_back(row.data());
  ThreadPool pool(1);
  const ExecContext ctx{table, pool};
  ops::attend_rows(ctx, qp, n_kv, c.k.data(), c.k_stride, c.v_t.data(), c.n_ctx, c.hd, 0.125f, one_token, scratch, op);
  std::vector<float> flat;
  for (const auto& row : out) flat.insert(flat.end(), row.begin(), row.end());
  return flat;
}

// With the table's f32-activation GEMM and without it, attention gives the same bits: GQA
// groups of 1-7 query rows, causal lengths, head sizes 64 and 128, contexts past a few tiles.
TEST(AttendRows, F32ActivationPathRoundsAsF16Path) {
  std::mt19937 rng(22);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  int tables = 0;
  for (const kernels::KernelTable* kt : kernels::available_kernels(kernels::detect_cpu_features())) {
    if (kt->gemm_f16_f32act == nullptr) continue;
    ++tables;
    kernels::KernelTable with = *kt, without = *kt;
    with.gemm_f16_exact = without.gemm_f16_exact = nullptr;  // AttendRows.ExactGemmPath's
    without.gemm_f16_f32act = nullptr;
    for (const int hd : {64, 128}) {
      const int64_t n_ctx = 300, k_stride = 2 * hd;
      std::vector<uint16_t> k(size_t(n_ctx * k_stride)), v_t(size_t(hd * n_ctx));
      for (auto& h : k) h = f32_to_fp16(dist(rng));
      for (auto& h : v_t) h = f32_to_fp16(dist(rng));
      for (const int rows : {1, 4, 6, 7}) {
        std::vector<int64_t> n_kv;
        for (int r = 0; r < rows; ++r) n_kv.push_back(std::min<int64_t>(n_ctx, 250 + 7 * r));
        std::vector<std::vector<float>> q(size_t(rows), std::vector<float>(size_t(hd), 0.0f));
        for (auto& row : q)
          for (float& f : row) f = dist(rng) * 3.0f;
        const Cache cache{k, k_stride, v_t, n_ctx, hd};
        const std::vector<std::vector<float>> results = {attend(with, cache, q, n_kv, false),
                                                         attend(without, cache, q, n_kv, false)};
        for (size_t i = 0; i < results[0].size(); ++i)
          ASSERT_EQ(std::bit_cast<uint32_t>(results[0][i]), std::bit_cast<uint32_t>(results[1][i]))
              << kt->isa << " hd " << hd << " rows " << rows << " at " << i;
      }
    }
  }
  if (tables == 0) GTEST_SKIP() << "no table on this CPU has gemm_f16_f32act";
}

// The exact-product GEMM (gemm_f16_exact) against the f32-activation path: for batches the
// sums differ only in their order, so a softmax weight may round to a neighbouring f16 value
// (2^-11 relative) and no more; one-token passes do not take it (the same bits). 16 rows
// (one tile), head sizes 64 and 128, lengths past a few 32-position steps.
TEST(AttendRows, ExactGemmPath) {
  std::mt19937 rng(23);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  int tables = 0;
  for (const kernels::KernelTable* kt : kernels::available_kernels(kernels::detect_cpu_features())) {
    if (kt->gemm_f16_exact == nullptr) continue;
    ++tables;
    kernels::KernelTable without = *kt;
    without.gemm_f16_exact = nullptr;
    for (const int hd : {64, 128}) {
      const int64_t n_ctx = 300, k_stride = 2 * hd;
      std::vector<uint16_t> k(size_t(n_ctx * k_stride)), v_t(size_t(hd * n_ctx));
      for (auto& h : k) h = f32_to_fp16(dist(rng));
      for (auto& h : v_t) h = f32_to_fp16(dist(rng));
      for (const bool one_token : {false, true}) {
        const int rows = one_token ? 6 : 16;
        std::vector<int64_t> n_kv;
        for (int r = 0; r < rows; ++r) n_kv.push_back(one_token ? 290 : 200 + 5 * r);
        std::vector<std::vector<float>> q(size_t(rows), std::vector<float>(size_t(hd), 0.0f));
        for (auto& row : q)
          for (float& f : row) f = dist(rng) * 0.3f;
        const Cache cache{k, k_stride, v_t, n_ctx, hd};
        const std::vector<std::vector<float>> results = {attend(*kt, cache, q, n_kv, one_token),
                                                         attend(without, cache, q, n_kv, one_token)};
        for (size_t i = 0; i < results[0].size(); ++i) {
          if (one_token)
            ASSERT_EQ(std::bit_cast<uint32_t>(results[0][i]), std::bit_cast<uint32_t>(results[1][i])) << kt->isa << " at " << i;
          else
            ASSERT_NEAR(results[0][i], results[1][i], 1e-3f) << kt->isa << " hd " << hd << " at " << i;
        }
      }
    }
  }
  if (tables == 0) GTEST_SKIP() << "no table on this CPU has gemm_f16_exact";
}

// attend_rows against plain double-precision attention over the f16 cache, each row with its
// own visible length (causal rows of a batch); rows must not see positions past their length.
TEST(AttendRows, MatchesPlainAttention) {
  const int hd = 64;
  const int64_t n_ctx = 40, k_stride = 2 * hd;  // K rows of two heads; this head at offset 0
  std::mt19937 rng(21);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<uint16_t> k(size_t(n_ctx * k_stride)), v_t(size_t(hd * n_ctx));
  for (auto& h : k) h = f32_to_fp16(dist(rng));
  for (auto& h : v_t) h = f32_to_fp16(dist(rng));
  const std::vector<int64_t> n_kv = {1, 17, 33, 9};
  std::vector<std::vector<float>> q(n_kv.size(), std::vector<float>(hd)), out(n_kv.size(), std::vector<float>(hd));
  for (auto& row : q)
    for (float& f : row) f = dist(rng);
  std::vector<uint16_t> q16(size_t(ops::kAttnMaxRows * hd)), w16(size_t(ops::kAttnMaxRows * n_ctx));
  std::vector<float> scores(size_t(ops::kAttnMaxRows * n_ctx)), outs(size_t(ops::kAttnMaxRows * hd));
  const ops::AttnScratch scratch{q16.data(), scores.data(), w16.data(), outs.data()};
  const float scale = 0.125f;
  for (const bool one_token : {false, true})
  for (const kernels::KernelTable* kt : kernels::available_kernels(kernels::detect_cpu_features())) {
    ThreadPool pool(1);
    const ExecContext ctx{*kt, pool};
    std::vector<const float*> qp;
    std::vector<float*> op;
    for (size_t r = 0; r < q.size(); ++r) {
      qp.push_back(q[r].data());
      op.push_back(out[r].data());
    }
    std::fill(w16.begin(), w16.end(), f32_to_fp16(1.0f));  // stale scratch must not leak in
    std::fill(scores.begin(), scores.end(), 1e9f);
    ops::attend_rows(ctx, qp, n_kv, k.data(), k_stride, v_t.data(), n_ctx, hd, scale, one_token, scratch, op);
    for (size_t r = 0; r < q.size(); ++r) {
      std::vector<double> w(size_t(n_kv[r]));
      double mx = -1e300, sum = 0;
      for (int64_t t = 0; t < n_kv[r]; ++t) {
        double dot = 0;
        for (int d = 0; d < hd; ++d) dot += double(q[r][size_t(d)]) * fp16_to_f32(k[size_t(t * k_stride + d)]);
        w[size_t(t)] = dot * scale;
        mx = std::max(mx, w[size_t(t)]);
      }
      for (double& x : w) sum += (x = std::exp(x - mx));
      for (int d = 0; d < hd; ++d) {
        double want = 0;
        for (int64_t t = 0; t < n_kv[r]; ++t) want += w[size_t(t)] / sum * fp16_to_f32(v_t[size_t(d * n_ctx + t)]);
        EXPECT_NEAR(out[r][size_t(d)], want, 2e-2) << kt->isa << " one_token " << one_token << " row " << r << " d " << d;
      }
    }
  }
}

}  // namespace
}  // namespace minnow
