// The packed-weights cache: a second load maps what the first wrote, and anything wrong with
// the cache (damaged, short, stale, unwritable, over its limit) costs a repack, never a wrong
// weight or a failed load.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <sys/resource.h>

#include <csignal>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "model/model.h"
#include "model/pack_cache.h"
#include "model/test_models.h"
#include "support/scratch_dir.h"
#include "util/thread_pool.h"

namespace minnow {
namespace {

namespace fs = std::filesystem;

const kernels::KernelTable& table() { return kernels::best_kernels(kernels::detect_cpu_features()); }

// Every matrix the loader may pack, in a fixed order.
std::vector<const WeightView*> matrices(const Model& m) {
  std::vector<const WeightView*> out;
  for (const LayerWeights& L : m.layers)
    for (const WeightView* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) out.push_back(w);
  out.push_back(&m.output);
  return out;
}

// The packed bytes of `got` equal those of `want` (packed without a cache), matrix by matrix.
void expect_same_packed(const Model& want, const Model& got) {
  const auto a = matrices(want), b = matrices(got);
  ASSERT_EQ(a.size(), b.size());
  int n_packed = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i]->packed != nullptr, b[i]->packed != nullptr) << "matrix " << i;
    if (a[i]->packed == nullptr) continue;
    ++n_packed;
    EXPECT_EQ(std::memcmp(a[i]->data, b[i]->data, a[i]->row_bytes * size_t(a[i]->rows)), 0) << "matrix " << i;
  }
  EXPECT_GT(n_packed, 0);
}

// The cache files (*.mnpk) of dir, or with `ext` its other files (".ok": the stamps).
std::vector<fs::path> cache_files(const fs::path& dir, const std::string& ext = ".mnpk") {
  std::vector<fs::path> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ext) out.push_back(e.path());
  return out;
}

// A cache hit, the data's checksum verified ("hit, data checked": no stamp yet, or the file
// changed since) or not ("hit": the stamp matched).
bool is_hit(const std::string& status) { return status == "hit" || status == "hit, data checked"; }

class PackCacheTest : public ::testing::TestWithParam<DType> {
 protected:
  void SetUp() override {
    if (table().for_type(GetParam()).packed.rows == 0) GTEST_SKIP() << "no packed layout for this type on this CPU";
    model_ = make_model("qwen2-tiny", GetParam());
    dir_ = fs::path(testing::scratch_path("cache-" + std::string(dtype_info(GetParam()).name)));
    fs::remove_all(dir_);
    reference_ = Model::load(model_, &table());
    ASSERT_GT(reference_->packed_bytes(), 0u);
  }
  std::unique_ptr<Model> load(const PackCacheOptions& o, ThreadPool* pool = nullptr) {
    return Model::load(model_, &table(), pool, &o);
  }
  PackCacheOptions options() const { return PackCacheOptions{dir_.string()}; }

  std::string model_;
  fs::path dir_;
  std::unique_ptr<Model> reference_;
};

TEST_P(PackCacheTest, FirstLoadWritesTheSecondMapsTheSameBytes) {
  const auto first = load(options());
  EXPECT_EQ(first->pack_cache_status(), "written");
  expect_same_packed(*reference_, *first);
  ASSERT_EQ(cache_files(dir_).size(), 1u);
  ThreadPool pool(2);
  const auto second = load(options(), &pool);  // the checksum pass split over the pool
  EXPECT_TRUE(is_hit(second->pack_cache_status())) << second->pack_cache_status();
  expect_same_packed(*reference_, *second);
  // The packed data starts on a 2 MiB boundary, in memory and in the mapped file alike, so
  // that the kernel can map it as huge pages (pack_cache.cpp, the file layout).
  const WeightView* first_packed = nullptr;
  for (const WeightView* w : matrices(*second))
    if (w->packed != nullptr && (first_packed == nullptr || w->data < first_packed->data)) first_packed = w;
  ASSERT_NE(first_packed, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first_packed->data) % (uintptr_t(2) << 20), 0u);
  EXPECT_EQ(cache_files(dir_).size(), 1u);
}

TEST_P(PackCacheTest, DamagedDataIsNotUsedAndTheFileIsRewritten) {
  load(options());
  const fs::path file = cache_files(dir_).at(0);
  const auto size = fs::file_size(file);
  char original = 0;
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(std::streamoff(size - size / 3));
    f.get(original);
    f.seekp(std::streamoff(size - size / 3));
    f.put(char(original ^ 0x10));
  }
  const auto again = load(options());
  EXPECT_EQ(again->pack_cache_status(), "written");  // the damaged file failed its checksum
  expect_same_packed(*reference_, *again);
  std::ifstream f(file, std::ios::binary);
  f.seekg(std::streamoff(size - size / 3));
  EXPECT_EQ(f.get(), int(uint8_t(original)));
  const std::string status = load(options())->pack_cache_status();
  EXPECT_TRUE(is_hit(status)) << status;
}

// The stamp: a cache file is stamped once its ctime is over 2 s old, and a load that finds it
// as stamped skips the checksum; a missing stamp or any change to the file brings the checksum
// back, so one flipped bit in a stamped file is caught.
TEST_P(PackCacheTest, StampSkipsTheChecksumUntilTheFileChanges) {
  ASSERT_EQ(load(options())->pack_cache_status(), "written");
  const fs::path file = cache_files(dir_).at(0);
  EXPECT_EQ(load(options())->pack_cache_status(), "hit, data checked");  // too new to stamp
  EXPECT_TRUE(cache_files(dir_, ".ok").empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  EXPECT_EQ(load(options())->pack_cache_status(), "hit, data checked");
  ASSERT_EQ(cache_files(dir_, ".ok").size(), 1u);
  EXPECT_EQ(load(options())->pack_cache_status(), "hit");
  const auto hit = load(options());
  EXPECT_EQ(hit->pack_cache_status(), "hit");
  expect_same_packed(*reference_, *hit);

  fs::remove(cache_files(dir_, ".ok").at(0));
  EXPECT_EQ(load(options())->pack_cache_status(), "hit, data checked");
  EXPECT_EQ(load(options())->pack_cache_status(), "hit");  // stamped again

  const auto at = std::streamoff(fs::file_size(file) - fs::file_size(file) / 4);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(at);
    const char original = char(f.get());
    f.seekp(at);
    f.put(char(original ^ 0x01));
  }
  const auto again = load(options());
  EXPECT_EQ(again->pack_cache_status(), "written");
  expect_same_packed(*reference_, *again);
}

TEST_P(PackCacheTest, ShortOrEmptyFileIsRepacked) {
  load(options());
  const fs::path file = cache_files(dir_).at(0);
  const auto size = fs::file_size(file);
  for (const uintmax_t keep : {size / 2, uintmax_t(100), uintmax_t(0)}) {
    fs::resize_file(file, keep);
    const auto m = load(options());
    EXPECT_EQ(m->pack_cache_status(), "written") << keep;
    expect_same_packed(*reference_, *m);
    EXPECT_EQ(fs::file_size(file), size);
  }
}

TEST_P(PackCacheTest, ChangedSourceGetsItsOwnFileAndTheLimitTrimsTheOldest) {
  const fs::path copy = testing::scratch_path("copy-" + std::string(dtype_info(GetParam()).name) + ".gguf");
  fs::copy_file(model_, copy, fs::copy_options::overwrite_existing);
  PackCacheOptions o = options();
  const auto first = Model::load(copy.string(), &table(), nullptr, &o);
  ASSERT_EQ(first->pack_cache_status(), "written");
  const auto one_file = fs::file_size(cache_files(dir_).at(0));
  // Same bytes, new modification time: the cache cannot know the content is unchanged.
  fs::last_write_time(copy, fs::last_write_time(copy) + std::chrono::seconds(5));
  o.max_bytes = one_file + one_file / 2;  // room for one file, not two
  const auto second = Model::load(copy.string(), &table(), nullptr, &o);
  EXPECT_EQ(second->pack_cache_status(), "written");
  expect_same_packed(*reference_, *second);
  EXPECT_EQ(cache_files(dir_).size(), 1u);  // the first file was the least recently used
  const std::string status = Model::load(copy.string(), &table(), nullptr, &o)->pack_cache_status();
  EXPECT_TRUE(is_hit(status)) << status;
  EXPECT_EQ(cache_files(dir_, ".ok").size(), 0u);  // none yet: the file is too new to stamp
}

// Column panels are a different layout of the same weights: a file packed without them is
// not used for a table that wants them (nor the reverse), and each layout hits its own file.
TEST_P(PackCacheTest, PanelLayoutGetsItsOwnFile) {
  kernels::KernelTable panelled = table();
  panelled.panel_cols = 256;  // qwen2-tiny's ffn_down (768 columns) in 3 panels
  const auto fresh = Model::load(model_, &panelled);
  ASSERT_EQ(fresh->layers[0].w_down.panels(), 3);
  const PackCacheOptions o = options();
  ASSERT_EQ(load(o)->pack_cache_status(), "written");
  const auto first = Model::load(model_, &panelled, nullptr, &o);
  EXPECT_EQ(first->pack_cache_status(), "written");
  EXPECT_EQ(cache_files(dir_).size(), 2u);
  expect_same_packed(*fresh, *first);
  const auto second = Model::load(model_, &panelled, nullptr, &o);
  EXPECT_TRUE(is_hit(second->pack_cache_status())) << second->pack_cache_status();
  expect_same_packed(*fresh, *second);
  EXPECT_EQ(second->layers[0].w_down.panels(), 3);
  const auto whole = load(o);
  EXPECT_TRUE(is_hit(whole->pack_cache_status())) << whole->pack_cache_status();
  expect_same_packed(*reference_, *whole);
}

TEST_P(PackCacheTest, OverTheLimitIsNotWritten) {
  PackCacheOptions o = options();
  o.max_bytes = 4096;
  const auto m = load(o);
  EXPECT_EQ(m->pack_cache_status().rfind("not written", 0), 0u) << m->pack_cache_status();
  expect_same_packed(*reference_, *m);
  EXPECT_TRUE(cache_files(dir_).empty());
}

// A write that fails midway (here the file-size limit, as a full disk would) leaves neither a
// cache file nor its temporary behind, and the load goes on with the weights it packed.
TEST_P(PackCacheTest, WriteFailingMidwayLeavesNoFile) {
  load(options());
  const auto whole = fs::file_size(cache_files(dir_).at(0));
  fs::remove_all(dir_);
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  const auto previous = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG from the write, not a signal
  rlimit cut = old;
  cut.rlim_cur = rlim_t(whole / 2);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &cut), 0);
  const auto m = load(options());
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
  EXPECT_EQ(m->pack_cache_status().rfind("not written", 0), 0u) << m->pack_cache_status();
  expect_same_packed(*reference_, *m);
  ASSERT_TRUE(fs::exists(dir_));
  EXPECT_TRUE(fs::is_empty(dir_)) << fs::directory_iterator(dir_)->path();
  EXPECT_EQ(load(options())->pack_cache_status(), "written");
}

TEST_P(PackCacheTest, UnusableDirectoryStillLoads) {
  const fs::path blocker = testing::scratch_path("a-file");
  std::ofstream(blocker) << "not a folder";
  const auto m = load(PackCacheOptions{(blocker / "cache").string()});
  EXPECT_EQ(m->pack_cache_status().rfind("not written", 0), 0u) << m->pack_cache_status();
  expect_same_packed(*reference_, *m);
}

TEST_P(PackCacheTest, StaleTemporaryFilesAreRemovedFreshOnesKept) {
  fs::create_directories(dir_);
  const fs::path stale = dir_ / "0123456789abcdef.mnpk.tmp.1", fresh = dir_ / "0123456789abcdef.mnpk.tmp.2";
  std::ofstream(stale) << "left by a killed writer";
  std::ofstream(fresh) << "a writer still at work";
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));
  EXPECT_EQ(load(options())->pack_cache_status(), "written");
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
}

INSTANTIATE_TEST_SUITE_P(Types, PackCacheTest, ::testing::Values(DType::Q4_0, DType::Q4_K),
                         [](const auto& info) { return std::string(dtype_info(info.param).name); });

int64_t peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}

// Packing drops the file pages of what it packed as it goes, so the load's peak holds about
// one copy of the weights, not the file's and the packed one (the peak-RSS target),
// whether it packs into memory or into a new cache file. ctest runs each test in a process of
// its own, so the peak before the load is the test binary's. Measured: +43 MB for 42 MB packed
// (+59 MB under ASan, its shadow memory); both copies resident would be +94 MB.
void expect_peak_about_one_copy(const PackCacheOptions& o) {
  const kernels::KernelTable& kt = table();
  if (kt.for_type(DType::Q8_0).packed.rows == 0) GTEST_SKIP() << "no packed Q8_0 on this CPU";
  const std::string path = make_model("qwen2-tiny", DType::Q8_0);  // output matrix: 40 of 42 MB
  const int64_t before = peak_rss_kib();
  ASSERT_GT(before, 0);
  const auto m = Model::load(path, &kt, nullptr, &o);
  const int64_t grew = peak_rss_kib() - before;
  const auto packed_kib = int64_t(m->packed_bytes() >> 10);
  EXPECT_LT(grew, packed_kib * 3 / 2 + (8 << 10)) << "packed " << packed_kib << " KiB";
}

TEST(PackedLoad, PeakIsAboutOneCopyWithoutCache) { expect_peak_about_one_copy(PackCacheOptions{}); }

TEST(PackedLoad, PeakIsAboutOneCopyWhileWritingTheCache) {
  expect_peak_about_one_copy(PackCacheOptions{testing::scratch_path("peak-cache")});
}

TEST(PackChecksum, SameWithAndWithoutAPoolAndSeesOneBitFlip) {
  std::vector<uint8_t> data((size_t(40) << 20) + 13);  // several 16 MiB pieces and a ragged end
  std::mt19937_64 rng(5);
  for (auto& b : data) b = uint8_t(rng());
  ThreadPool pool(2);
  const uint64_t a = pack_checksum(data.data(), data.size());
  EXPECT_EQ(a, pack_checksum(data.data(), data.size(), &pool));
  for (const size_t at : {size_t(0), size_t(17) << 20, data.size() - 1}) {
    data[at] ^= 4;
    EXPECT_NE(a, pack_checksum(data.data(), data.size())) << at;
    data[at] ^= 4;
  }
  EXPECT_NE(a, pack_checksum(data.data(), data.size() - 1));
}

}  // namespace
}  // namespace minnow
