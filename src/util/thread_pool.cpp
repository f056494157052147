#include "util/thread_pool.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace minnow {
namespace {

// About 50-100 microseconds of polling: longer than the gap between decode jobs, far shorter
// than a scheduler time slice.
constexpr int kSpinIterations = 1 << 14;

// A parallel_for piece is 1 / (threads x this) of the range not yet taken (see there).
constexpr int64_t kShareDivisor = 2;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int i = 0; gen == seen && i < kSpinIterations; ++i) {
      cpu_relax();
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      sleepers_.fetch_add(1);
      cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      sleepers_.fetch_sub(1);
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    if (stop_.load()) return;
    (*job_)(index);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(const std::function<void(int)>& fn) {
  if (n_threads_ == 1) {
    fn(0);
    return;
  }
  job_ = &fn;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  {
    // Under the mutex so a worker between its predicate check and its wait cannot miss it.
    std::lock_guard<std::mutex> lock(mu_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (sleepers_.load() > 0) cv_.notify_all();
  fn(0);
  for (int i = 0; pending_.load(std::memory_order_acquire) != 0; ++i) {
    if (i < kSpinIterations) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain,
                              const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t chunks = (n + grain - 1) / grain;
  const int nt = int(std::min<int64_t>(n_threads_, chunks));
  if (nt <= 1) {
    fn(0, n);
    return;
  }
  // Pieces are taken from a shared counter rather than dealt out in equal shares: on a shared
  // or noisy machine one thread often starts late or runs slower, and with equal shares the
  // others would wait for it at the end of every job. Each piece is a share of what is left
  // (guided scheduling), so the first pieces are large (few trips to the counter) and the
  // last ones a grain or two: a thread that finishes early waits for at most that
  // (docs/ARCHITECTURE.md, "Threads", has the measurements).
  std::atomic<int64_t> next{0};
  const int64_t divisor = int64_t(nt) * kShareDivisor;
  run([&](int t) {
    if (t >= nt) return;
    int64_t b = next.load(std::memory_order_relaxed);
    while (b < chunks) {
      const int64_t e = std::min(chunks, b + std::max<int64_t>(1, (chunks - b) / divisor));
      if (!next.compare_exchange_weak(b, e, std::memory_order_relaxed)) continue;
      fn(b * grain, std::min(n, e * grain));
      b = next.load(std::memory_order_relaxed);
    }
  });
}

int default_thread_count() {
  // Count distinct (package, core) pairs: SMT siblings share a core.
  std::set<std::pair<std::string, std::string>> cores;
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned cpu = 0; cpu < hw; ++cpu) {
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream pkg(base + "physical_package_id"), core(base + "core_id");
    std::string p, c;
    if (!(pkg >> p) || !(core >> c)) return int(hw);
    cores.emplace(p, c);
  }
  return std::max<int>(1, int(cores.size()));
}

}  // namespace minnow
