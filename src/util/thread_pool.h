#pragma once
// Fixed pool of worker threads that run one job at a time. The calling thread takes part as
// thread 0, so a pool of n threads starts n-1 workers. Decode runs a few hundred short jobs per
// token, so hand-off is by an atomic generation counter that workers spin on for a short while
// before sleeping on a condition variable (spinning alone starves an oversubscribed machine).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace minnow {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(thread_index) once on each of the pool's threads and waits for all of them.
  void run(const std::function<void(int)>& fn);

  // Splits [0, n) into contiguous pieces (multiples of `grain`, shrinking as the range is taken) and calls
  // fn(begin, end) once per piece, on whichever thread takes it first.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(int)>* job_ = nullptr;  // published by the generation bump
  std::mutex mu_;
  std::condition_variable cv_;
};

// Physical cores a default should use (performance cores where the kernel tells them apart).
int default_thread_count();

}  // namespace minnow
