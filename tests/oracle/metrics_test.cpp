// The comparison metrics on hand-made logits with known answers.
#include <gtest/gtest.h>

#include <cmath>

#include "oracle.h"
#include "util/error.h"

namespace minnow::oracle {
namespace {

TEST(OracleMetrics, KlOfIdenticalRowsIsZero) {
  const std::vector<float> row = {1.0f, -2.0f, 0.5f, 3.0f};
  EXPECT_EQ(kl_divergence(row, row), 0.0);
  // Softmax ignores a constant shift.
  const std::vector<float> shifted = {11.0f, 8.0f, 10.5f, 13.0f};
  EXPECT_NEAR(kl_divergence(row, shifted), 0.0, 1e-12);
}

TEST(OracleMetrics, KlMatchesClosedFormAndIsAsymmetric) {
  // p = (0.5, 0.5), q = softmax(0, ln 3) = (0.25, 0.75).
  const std::vector<float> p = {0.0f, 0.0f};
  const std::vector<float> q = {0.0f, float(std::log(3.0))};
  const double expected_pq = 0.5 * std::log(0.5 / 0.25) + 0.5 * std::log(0.5 / 0.75);
  const double expected_qp = 0.25 * std::log(0.25 / 0.5) + 0.75 * std::log(0.75 / 0.5);
  EXPECT_NEAR(kl_divergence(p, q), expected_pq, 1e-7);
  EXPECT_NEAR(kl_divergence(q, p), expected_qp, 1e-7);
  EXPECT_GT(std::abs(expected_pq - expected_qp), 1e-3);
}

TEST(OracleMetrics, KlSurvivesLargeLogits) {
  const std::vector<float> p = {1000.0f, 0.0f, -1000.0f};
  const std::vector<float> q = {999.0f, 0.0f, -1000.0f};
  const double kl = kl_divergence(p, q);
  EXPECT_TRUE(std::isfinite(kl));
  EXPECT_NEAR(kl, 0.0, 1e-12);  // both put all mass on token 0
}

TEST(OracleMetrics, CompareCountsTop1OnlyWhereLlamaIsDecided) {
  const int nv = 3;
  const std::vector<float> llama = {
      5.0f, 1.0f, 0.0f,   // decided: top 0
      1.0f, 1.05f, 0.0f,  // margin 0.05: not checked
      0.0f, 0.0f, 2.0f,   // decided: top 2
  };
  std::vector<float> other = llama;
  other[1 * nv + 0] = 3.0f;  // flips an undecided position: not counted
  other[2 * nv + 0] = 4.0f;  // flips a decided position
  const Comparison c = compare_logits(llama, other, nv);
  EXPECT_EQ(c.n_positions, 3);
  EXPECT_EQ(c.top1_checked, 2);
  EXPECT_EQ(c.top1_agree, 1);
  EXPECT_EQ(c.top1_disagreements, std::vector<int>{2});
  EXPECT_DOUBLE_EQ(c.top1_rate(), 0.5);
  EXPECT_EQ(c.max_kl_position, 2);
  EXPECT_GT(c.mean_kl, 0.0);
  EXPECT_NEAR(c.mean_kl * 3, kl_divergence({&llama[3], 3}, {&other[3], 3}) +
                                 kl_divergence({&llama[6], 3}, {&other[6], 3}), 1e-12);
  EXPECT_NE(c.summary().find("top-1 agree 1/2"), std::string::npos) << c.summary();

  const Comparison same = compare_logits(llama, llama, nv);
  EXPECT_EQ(same.mean_kl, 0.0);
  EXPECT_EQ(same.top1_agree, same.top1_checked);
}

TEST(OracleMetrics, RejectsMismatchedArrays) {
  const std::vector<float> a(6, 0.0f), b(3, 0.0f);
  EXPECT_THROW(compare_logits(a, b, 3), Error);
  EXPECT_THROW(compare_logits(a, a, 4), Error);
  EXPECT_THROW(compare_logits({}, {}, 3), Error);
  EXPECT_THROW(kl_divergence(a, b), Error);
}

TEST(OracleMetrics, MatchingPrefix) {
  const std::vector<int32_t> a = {1, 2, 3, 4}, b = {1, 2, 9}, c = {1, 2};
  EXPECT_EQ(matching_prefix(a, b), 2u);
  EXPECT_EQ(matching_prefix(a, c), 2u);
  EXPECT_EQ(matching_prefix(a, a), 4u);
  EXPECT_EQ(matching_prefix({}, a), 0u);
}

}  // namespace
}  // namespace minnow::oracle
