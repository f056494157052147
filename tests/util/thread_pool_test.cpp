#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

#include "util/thread_pool.h"

namespace minnow {
namespace {

TEST(ThreadPool, RunCallsEveryThreadOnceManyTimes) {
  for (int n : {1, 2, 3, 5}) {
    ThreadPool pool(n);
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    for (int rep = 0; rep < 2000; ++rep) pool.run([&](int t) { hits[size_t(t)].fetch_add(1); });
    for (auto& h : hits) EXPECT_EQ(h.load(), 2000) << "pool of " << n;
  }
}

TEST(ThreadPool, ParallelForCoversEachIndexOnce) {
  ThreadPool pool(3);
  for (int64_t n : {0, 1, 7, 16, 1000, 1001}) {
    for (int64_t grain : {1, 4, 16}) {
      std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
      pool.parallel_for(n, grain, [&](int64_t b, int64_t e) {
        EXPECT_LT(b, e);
        for (int64_t i = b; i < e; ++i) seen[size_t(i)].fetch_add(1);
      });
      for (auto& s : seen) ASSERT_EQ(s.load(), 1) << "n=" << n << " grain=" << grain;
    }
  }
}

// Pieces are whole grains, a share of what is left (so they shrink in order), down to one
// grain at the end: a thread that finishes early waits for one small piece at most.
TEST(ThreadPool, ParallelForPiecesShrinkToOneGrain) {
  ThreadPool pool(2);
  for (int64_t grain : {1, 16}) {
    const int64_t n = 1000 * grain + 3;  // a short last grain
    std::mutex mu;
    std::vector<std::pair<int64_t, int64_t>> pieces;
    pool.parallel_for(n, grain, [&](int64_t b, int64_t e) {
      std::lock_guard lock(mu);
      pieces.emplace_back(b, e);
    });
    std::sort(pieces.begin(), pieces.end());
    ASSERT_GT(pieces.size(), 8u) << "grain " << grain;
    EXPECT_EQ(pieces.front().first, 0);
    EXPECT_EQ(pieces.back().second, n);
    EXPECT_LE(pieces.front().second, n / 4 + grain);  // a quarter of the range at most
    for (size_t i = 0; i < pieces.size(); ++i) {
      EXPECT_EQ(pieces[i].first % grain, 0);
      if (i + 1 < pieces.size()) {
        EXPECT_EQ(pieces[i].second, pieces[i + 1].first);
        EXPECT_GE(pieces[i].second - pieces[i].first, pieces[i + 1].second - pieces[i + 1].first);
      }
    }
    EXPECT_LE(pieces.back().second - pieces.back().first, grain);
  }
}

TEST(ThreadPool, WorkersWakeAfterSleeping) {
  ThreadPool pool(2);
  std::atomic<int> count{0};
  pool.run([&](int) { count.fetch_add(1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // long enough to stop spinning
  pool.run([&](int) { count.fetch_add(1); });
  EXPECT_EQ(count.load(), 4);
}

TEST(ThreadPool, DefaultThreadCountIsPositive) { EXPECT_GE(default_thread_count(), 1); }

}  // namespace
}  // namespace minnow
