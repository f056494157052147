#include "bench/bandwidth.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "util/error.h"

namespace minnow::cli::bench {

namespace {

// 32-byte vectors with independent accumulators: the loop is bound by loads, not by additions.
// The roofline should be what a read stream can reach, and which way reaches more depends on
// the CPU: on Zen 3 a single core's demand misses alone did not fill the memory pipe and asking
// for the bytes 8 KiB ahead read 20-30% more; on Zen 4 the hardware prefetcher alone reads
// more. So both ways are timed and the faster counts.
using V4 = uint64_t __attribute__((vector_size(32)));
constexpr size_t kPrefetchVectors = 8192 / sizeof(V4);

template <bool kPrefetch>
uint64_t sum_words(const V4* p, size_t n) {
  V4 a{}, b{}, c{}, d{};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    if constexpr (kPrefetch) {
      __builtin_prefetch(p + i + kPrefetchVectors);  // the two 64-byte lines of this step
      __builtin_prefetch(p + i + 2 + kPrefetchVectors);
    }
    a += p[i];
    b += p[i + 1];
    c += p[i + 2];
    d += p[i + 3];
  }
  for (; i < n; ++i) a += p[i];
  const V4 s = a + b + c + d;
  return s[0] + s[1] + s[2] + s[3];
}

struct Mapping {
  void* ptr = MAP_FAILED;
  size_t bytes = 0;
  explicit Mapping(size_t n) : bytes(n) {
    ptr = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ptr == MAP_FAILED) throw Error("bench: cannot map " + std::to_string(n >> 20) + " MiB for the bandwidth test");
#ifdef MADV_HUGEPAGE
    ::madvise(ptr, n, MADV_HUGEPAGE);  // as the engine's repacked weights (a hint)
#endif
  }
  ~Mapping() {
    if (ptr != MAP_FAILED) ::munmap(ptr, bytes);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
};

double one_run(const V4* data, size_t n_vec, int n_threads, bool prefetch, std::atomic<uint64_t>& sink) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  const size_t per = n_vec / size_t(n_threads);
  for (int t = 0; t < n_threads; ++t) {
    const size_t begin = per * size_t(t);
    const size_t count = t + 1 == n_threads ? n_vec - begin : per;
    threads.emplace_back([&, begin, count] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      const uint64_t sum = prefetch ? sum_words<true>(data + begin, count) : sum_words<false>(data + begin, count);
      sink.fetch_add(sum, std::memory_order_relaxed);
    });
  }
  while (ready.load() < n_threads) std::this_thread::yield();
  const auto t0 = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

size_t bandwidth_buffer_bytes() {
  long llc = ::sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (llc <= 0) llc = ::sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (llc <= 0) llc = 32l << 20;
  constexpr size_t kMin = size_t(256) << 20, kMax = size_t(1) << 30;
  return std::clamp(size_t(llc) * 4, kMin, kMax);
}

double measure_read_bandwidth(int n_threads, int runs, size_t bytes) {
  bytes -= bytes % (sizeof(V4) * 64);
  if (bytes == 0 || runs < 1) throw Error("bench: bandwidth test needs a buffer and at least one run");
  Mapping buf(bytes);
  // Touch every page (and give it non-zero content) so no run measures page faults.
  std::memset(buf.ptr, 1, bytes);
  const auto* data = static_cast<const V4*>(buf.ptr);
  const size_t n_vec = bytes / sizeof(V4);
  std::atomic<uint64_t> sink{0};  // the sums are stored, so the reads cannot be optimised away
  double best = 0;
  for (int r = 0; r < runs; ++r)
    for (const bool prefetch : {true, false})
      best = std::max(best, double(bytes) / one_run(data, n_vec, n_threads, prefetch, sink) / 1e9);
  return best;
}

}  // namespace minnow::cli::bench
