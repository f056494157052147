// Matvec / small-batch GEMM throughput of the best kernel table, in weight bytes per second,
// next to a plain memory-read loop: decode (nb = 1) should run close to the read bandwidth.
// The weights cycle through enough copies to exceed the last-level cache. They live in memory
// of the kind the model's packed weights live in (util/anon_buffer.h: huge pages where the
// kernel allows), since page size changes how fast a stream reads; MINNOW_BENCH_PAGES=4k puts
// them on 4 KiB pages instead (a cache file mapped from a page cache without large folios).
//   build-*/tests/kernels/kernels_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <random>
#include <string_view>
#include <vector>

#include "kernels/kernels.h"
#include "quant/quant.h"
#include "quant/types.h"
#include "util/anon_buffer.h"

namespace minnow::kernels {
namespace {

constexpr int64_t kRows = 8960, kK = 1536;  // a Qwen2-1.5B ffn_up / ffn_gate matrix
constexpr size_t kWorkingSet = size_t(256) << 20;

// Memory for the bench's data, on the pages MINNOW_BENCH_PAGES asks for, not yet touched.
AnonBuffer bench_memory(size_t bytes) {
  AnonBuffer b(bytes);
  const char* pages = std::getenv("MINNOW_BENCH_PAGES");
  if (pages != nullptr && std::string_view(pages) == "4k") ::madvise(b.data(), b.size(), MADV_NOHUGEPAGE);
  return b;
}

struct Matrices {
  AnonBuffer bytes;  // several copies of one matrix, back to back
  size_t matrix_bytes = 0, copies = 0;
};

const Matrices& matrices(DType t, bool packed) {
  // Bench-only memo; the threads of a multi-threaded run all ask for it at start.
  static std::mutex mutex;
  static std::list<std::pair<std::pair<DType, bool>, Matrices>> cache;
  std::lock_guard lock(mutex);
  for (auto& [key, m] : cache)
    if (key == std::pair{t, packed}) return m;
  Matrices m;
  const size_t rb = row_bytes(t, kK);
  m.matrix_bytes = rb * kRows;
  m.copies = std::max<size_t>(2, kWorkingSet / m.matrix_bytes);
  m.bytes = bench_memory(m.matrix_bytes * m.copies);
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  std::vector<float> row(kK);
  for (int64_t r = 0; r < kRows; ++r) {
    for (float& f : row) f = dist(rng);
    quantize_row(t, row.data(), m.bytes.data() + size_t(r) * rb, kK);
  }
  if (packed) {  // the same rows, interleaved in groups as the model loader does
    const PackedKernels& pk = best_kernels(detect_cpu_features()).for_type(t).packed;
    std::vector<uint8_t> plain(m.bytes.data(), m.bytes.data() + m.matrix_bytes);
    for (int64_t r = 0; r < kRows; r += pk.rows) pk.pack(plain.data() + size_t(r) * rb, rb, kK, m.bytes.data() + size_t(r) * rb);
  }
  for (size_t c = 1; c < m.copies; ++c) std::memcpy(m.bytes.data() + c * m.matrix_bytes, m.bytes.data(), m.matrix_bytes);
  cache.emplace_back(std::pair{t, packed}, std::move(m));
  return cache.back().second;
}

// packed: the type's row-interleaved layout and gemm (skipped where the table has none).
// isa: that table (e.g. "avx2" on an AVX-512 CPU, to see what the best one gains) instead of
// the best one.
// hot_rows: only that many rows, the same ones every iteration, so they stay in L2 and the
// figure is the kernel's compute rate rather than the memory's.
void run_gemm_bench(benchmark::State& state, DType t, bool packed, Rounding rounding = Rounding::Fast,
                    std::string_view isa = {}, int64_t hot_rows = 0, bool wide = false) {
  const KernelTable* chosen = &best_kernels(detect_cpu_features(), rounding);
  if (!isa.empty()) {
    chosen = nullptr;
    for (const KernelTable* table : available_kernels(detect_cpu_features()))
      if (table->isa == isa) chosen = table;
    if (!chosen) {
      state.SkipWithError("this CPU does not run that table");
      return;
    }
  }
  const KernelTable& table = *chosen;
  const TypeKernels& plain = table.for_type(t);
  if (packed && plain.packed.rows == 0) {
    state.SkipWithError("no packed layout for this type");
    return;
  }
  if (wide && !plain.packed.wide.gemm) {
    state.SkipWithError("no wide GEMM for this type");
    return;
  }
  const ActQuantFn quantize_act = wide ? plain.packed.wide.quantize_act : packed ? plain.packed.quantize_act : plain.quantize_act;
  const GemmFn gemm = wide ? plain.packed.wide.gemm : packed ? plain.packed.gemm : plain.gemm;
  const size_t x_row_bytes = wide     ? plain.packed.wide.act_row_bytes(kK)
                             : packed ? plain.packed.act_row_bytes(kK)
                                      : act_row_bytes(plain.act_type, kK);
  const int64_t nb = state.range(0);
  const Matrices& m = matrices(t, packed);
  std::vector<uint8_t> xq(x_row_bytes * size_t(nb));
  std::mt19937 rng(2);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> xf(static_cast<size_t>(kK));
  for (int64_t b = 0; b < nb; ++b) {
    for (float& f : xf) f = dist(rng);
    quantize_act(xf.data(), xq.data() + size_t(b) * x_row_bytes, kK);
  }
  std::vector<float> y(size_t(kRows * nb));
  const int64_t per_thread = (hot_rows > 0 ? hot_rows : kRows / state.threads()) / 8 * 8;
  const int64_t r0 = per_thread * state.thread_index(), r1 = r0 + per_thread;
  size_t copy = 0;
  for (auto _ : state) {
    GemmArgs a;
    a.w = m.bytes.data() + copy * m.matrix_bytes;
    a.w_row_bytes = row_bytes(t, kK);
    a.k = kK;
    a.x = xq.data();
    a.x_row_bytes = x_row_bytes;
    a.nb = nb;
    a.y = y.data();
    a.y_stride = kRows;
    a.prefetch = table.prefetch_weights;
    gemm(a, r0, r1);
    benchmark::ClobberMemory();
    if (hot_rows == 0) copy = (copy + 1) % m.copies;
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * per_thread * int64_t(row_bytes(t, kK)));
  state.SetLabel(std::string(table.isa) + (wide ? " wide" : packed ? " packed" : "") +
                 (table.rounding == "fast" ? "" : " rounding " + std::string(table.rounding)));
}

void BM_Gemm(benchmark::State& state, DType t) { run_gemm_bench(state, t, false); }
void BM_Packed(benchmark::State& state, DType t) { run_gemm_bench(state, t, true); }
// The same layouts through the table that rounds as llama.cpp (its price in speed).
void BM_PackedLlamaRounding(benchmark::State& state, DType t) { run_gemm_bench(state, t, true, Rounding::LlamaCpp); }

// The same layouts through the AVX2 and the AVX-512 (no VNNI) tables.
void BM_PackedAvx2(benchmark::State& state, DType t) { run_gemm_bench(state, t, true, Rounding::Fast, "avx2"); }
// Weights in L2 (256 rows per thread): what the kernel computes per second when memory does not
// limit it. Far above BM_Packed's rate means decode waits on memory; close to it, on compute.
void BM_PackedHot(benchmark::State& state, DType t) { run_gemm_bench(state, t, true, Rounding::Fast, {}, 256); }
// The wide GEMMs (PackedKernels::wide: bf16 activations, AMX-BF16 tiles) of the best table.
void BM_PackedWide(benchmark::State& state, DType t) { run_gemm_bench(state, t, true, Rounding::Fast, {}, 0, true); }
void BM_PackedWideHot(benchmark::State& state, DType t) { run_gemm_bench(state, t, true, Rounding::Fast, {}, 256, true); }
void BM_PackedAvx512(benchmark::State& state, DType t) { run_gemm_bench(state, t, true, Rounding::Fast, "avx512"); }

void BM_MemoryRead(benchmark::State& state) {
  static const AnonBuffer buf = [] {
    AnonBuffer b = bench_memory(kWorkingSet);
    std::memset(b.data(), 1, b.size());
    return b;
  }();
  const size_t per_thread = kWorkingSet / sizeof(uint64_t) / size_t(state.threads());
  const uint64_t* p = reinterpret_cast<const uint64_t*>(buf.data()) + per_thread * size_t(state.thread_index());
  for (auto _ : state) {
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i + 4 <= per_thread; i += 4) {
      s0 += p[i];
      s1 += p[i + 1];
      s2 += p[i + 2];
      s3 += p[i + 3];
    }
    benchmark::DoNotOptimize(s0 + s1 + s2 + s3);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(per_thread * sizeof(uint64_t)));
}

BENCHMARK(BM_MemoryRead)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_Gemm, q4_0, DType::Q4_0)->Arg(1)->Arg(8)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_Gemm, q8_0, DType::Q8_0)->Arg(1)->Arg(8)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_Gemm, q4_K, DType::Q4_K)->Arg(1)->Arg(8)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_Gemm, q6_K, DType::Q6_K)->Arg(1)->Arg(8)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_Packed, q4_0, DType::Q4_0)->Arg(1)->Arg(2)->Arg(4)->Arg(5)->Arg(6)->Arg(8)->Arg(64)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_Packed, q8_0, DType::Q8_0)->Arg(1)->Arg(8)->Arg(64)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_Packed, q4_K, DType::Q4_K)->Arg(1)->Arg(8)->Arg(64)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_Packed, q6_K, DType::Q6_K)->Arg(1)->Arg(8)->Arg(64)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedHot, q4_0, DType::Q4_0)->Arg(1)->Arg(2)->Arg(4)->Arg(64)->Arg(128)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedHot, q8_0, DType::Q8_0)->Arg(1)->Arg(2)->Arg(4)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedHot, q4_K, DType::Q4_K)->Arg(1)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedHot, q6_K, DType::Q6_K)->Arg(1)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedWide, q4_0, DType::Q4_0)->Arg(16)->Arg(64)->Arg(128)->Arg(256)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedWideHot, q4_0, DType::Q4_0)->Arg(64)->Arg(128)->Arg(256)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedWide, q4_K, DType::Q4_K)->Arg(64)->Arg(128)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedWide, q6_K, DType::Q6_K)->Arg(64)->Arg(128)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedLlamaRounding, q8_0, DType::Q8_0)->Arg(1)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedLlamaRounding, q4_K, DType::Q4_K)->Arg(1)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedAvx2, q4_0, DType::Q4_0)->Arg(1)->Arg(2)->Arg(4)->Arg(5)->Arg(6)->Arg(8)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedAvx2, q8_0, DType::Q8_0)->Arg(1)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedAvx2, q4_K, DType::Q4_K)->Arg(1)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedAvx2, q6_K, DType::Q6_K)->Arg(1)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedAvx512, q4_0, DType::Q4_0)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedAvx512, q8_0, DType::Q8_0)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedAvx512, q4_K, DType::Q4_K)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_PackedAvx512, q6_K, DType::Q6_K)->Arg(64)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_Gemm, q5_K, DType::Q5_K)->Arg(1)->Threads(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_Gemm, f16, DType::F16)->Arg(1)->Threads(1)->UseRealTime();

}  // namespace
}  // namespace minnow::kernels

BENCHMARK_MAIN();
