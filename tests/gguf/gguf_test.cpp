// Round trip through the Writer and Reader, and the real vocab GGUFs from ../shared/vocab.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "gguf/gguf.h"
#include "support/scratch_dir.h"
#include "util/error.h"

namespace fs = std::filesystem;
using minnow::DType;
using minnow::gguf::File;
using minnow::gguf::ValueType;
using minnow::gguf::Writer;

namespace {

fs::path temp_path(const std::string& name) { return minnow::testing::scratch_dir() / name; }

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 131 + seed);
  return v;
}

}  // namespace

TEST(GgufRoundTrip, AllValueTypesAndTensors) {
  const fs::path path = temp_path("roundtrip.gguf");
  const auto a = pattern(4 * 6 * 4, 1);  // f32 [6, 4]
  const auto b = pattern(2 * 64 * 3, 2);  // f16 [64, 3]
  const auto q = pattern(34 * 2 * 2, 3);  // q8_0 [64, 2] = 2 blocks per row of 34 bytes
  {
    Writer w(path.string(), 64);
    w.set_u32("a.u32", 4000000000u);
    w.set_i32("a.i32", -123456);
    w.set_u64("a.u64", 1ull << 60);
    w.set_f32("a.f32", 0.25f);
    w.set_bool("a.bool", true);
    w.set_str("a.str", "héllo");
    w.set_str("a.empty_str", "");
    w.set_arr_str("a.arr_str", std::vector<std::string>{"x", "", "yz"});
    w.set_arr_str("a.arr_sv", std::vector<std::string_view>{"p", "q"});
    w.set_arr_i32("a.arr_i32", {1, -2, 3});
    w.set_arr_f32("a.arr_f32", {0.5f, -1.5f});
    w.set_arr_i32("a.arr_empty", {});
    w.add_tensor("t.a", DType::F32, {6, 4});
    w.add_tensor("t.b", DType::F16, {64, 3});
    w.add_tensor("t.q", DType::Q8_0, {64, 2});
    w.write_header();
    w.write_tensor_data(a);
    w.write_tensor_data(b);
    w.write_tensor_data(q);
    w.finish();
  }
  auto f = File::open(path.string());
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->get_uint("general.alignment"), 64u);
  EXPECT_EQ(f->get_uint("a.u32"), 4000000000u);
  EXPECT_EQ(f->get_int("a.i32"), -123456);
  EXPECT_FALSE(f->get_uint("a.i32").has_value());
  EXPECT_EQ(f->get_uint("a.u64"), 1ull << 60);
  EXPECT_EQ(f->get_float("a.f32"), 0.25);
  EXPECT_EQ(f->get_float("a.u32"), 4000000000.0);
  EXPECT_EQ(f->get_bool("a.bool"), true);
  EXPECT_EQ(f->get_str("a.str"), "héllo");
  EXPECT_EQ(f->req_str("a.empty_str"), "");
  EXPECT_FALSE(f->get_str("a.u32").has_value());
  EXPECT_EQ(f->find("missing"), nullptr);

  const auto* s = f->find("a.arr_str");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->type, ValueType::ARRAY);
  EXPECT_EQ(s->elem_type, ValueType::STRING);
  ASSERT_EQ(s->count, 3u);
  EXPECT_EQ(s->strings, (std::vector<std::string_view>{"x", "", "yz"}));
  EXPECT_EQ(f->find("a.arr_sv")->strings, (std::vector<std::string_view>{"p", "q"}));
  const auto* ai = f->find("a.arr_i32");
  ASSERT_EQ(ai->count, 3u);
  EXPECT_EQ(ai->array_int(0), 1);
  EXPECT_EQ(ai->array_int(1), -2);
  EXPECT_EQ(ai->array_float(2), 3.0);
  const auto* af = f->find("a.arr_f32");
  ASSERT_EQ(af->count, 2u);
  EXPECT_EQ(af->array_float(0), 0.5);
  EXPECT_EQ(af->array_float(1), -1.5);
  EXPECT_EQ(f->find("a.arr_empty")->count, 0u);

  // Metadata comes back in file order.
  ASSERT_GE(f->kv().size(), 2u);
  EXPECT_EQ(f->kv()[0].first, "a.u32");

  ASSERT_EQ(f->tensors().size(), 3u);
  const auto* ta = f->tensor("t.a");
  ASSERT_NE(ta, nullptr);
  EXPECT_EQ(ta->type, DType::F32);
  EXPECT_EQ(ta->dims, (std::vector<uint64_t>{6, 4}));
  EXPECT_EQ(ta->n_elems, 24u);
  EXPECT_EQ(ta->rows(), 4u);
  EXPECT_EQ(ta->nbytes, a.size());
  EXPECT_EQ(ta->offset % 64, 0u);
  EXPECT_EQ(ta->offset, f->data_offset());
  EXPECT_EQ(std::memcmp(ta->data, a.data(), a.size()), 0);
  const auto* tb = f->tensor("t.b");
  EXPECT_EQ(tb->type, DType::F16);
  EXPECT_EQ(tb->nbytes, b.size());
  EXPECT_EQ(std::memcmp(tb->data, b.data(), b.size()), 0);
  const auto* tq = f->tensor("t.q");
  EXPECT_EQ(tq->type, DType::Q8_0);
  EXPECT_EQ(tq->nbytes, q.size());
  EXPECT_EQ(tq->offset % 64, 0u);
  EXPECT_EQ(std::memcmp(tq->data, q.data(), q.size()), 0);
  EXPECT_EQ(f->tensor("nope"), nullptr);

  // copy_kv reproduces every value, arrays of strings and numbers included.
  const fs::path copy = temp_path("copy.gguf");
  {
    Writer w(copy.string());
    for (const auto& [k, v] : f->kv()) w.copy_kv(k, v);
    w.finish();
  }
  auto g = File::open(copy.string());
  EXPECT_EQ(g->alignment(), 64u);
  ASSERT_EQ(g->kv().size(), f->kv().size());
  for (size_t i = 0; i < f->kv().size(); ++i) {
    const auto& [k1, v1] = f->kv()[i];
    const auto& [k2, v2] = g->kv()[i];
    EXPECT_EQ(k1, k2);
    EXPECT_EQ(v1.type, v2.type) << k1;
    EXPECT_EQ(v1.as_uint, v2.as_uint) << k1;
    EXPECT_EQ(v1.as_int, v2.as_int) << k1;
    EXPECT_EQ(v1.as_float, v2.as_float) << k1;
    EXPECT_EQ(v1.as_bool, v2.as_bool) << k1;
    EXPECT_EQ(v1.str, v2.str) << k1;
    EXPECT_EQ(v1.elem_type, v2.elem_type) << k1;
    EXPECT_EQ(v1.count, v2.count) << k1;
    EXPECT_EQ(v1.strings, v2.strings) << k1;
    for (uint64_t j = 0; j < v1.count && v1.elem_type != ValueType::STRING; ++j) {
      EXPECT_EQ(v1.array_float(j), v2.array_float(j)) << k1;
    }
  }
  fs::remove(path);
  fs::remove(copy);
}

TEST(GgufRoundTrip, RequiredGettersNameTheKey) {
  const fs::path path = temp_path("req.gguf");
  {
    Writer w(path.string());
    w.set_str("s", "v");
    w.set_i32("neg", -1);
    w.finish();
  }
  auto f = File::open(path.string());
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_TRUE(f->tensors().empty());
  try {
    f->req_uint("absent.key");
    FAIL() << "no throw";
  } catch (const minnow::Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing key 'absent.key'"), std::string::npos) << e.what();
  }
  try {
    f->req_str("neg");
    FAIL() << "no throw";
  } catch (const minnow::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'neg' has type i32, expected string"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(f->req_uint("neg"), minnow::Error);
  EXPECT_EQ(f->req_float("neg"), -1.0);
  fs::remove(path);
}

TEST(GgufWriter, MisuseThrows) {
  const fs::path path = temp_path("misuse.gguf");
  {
    Writer w(path.string());
    w.set_u32("k", 1);
    EXPECT_THROW(w.set_u32("k", 2), minnow::Error);
    EXPECT_THROW(w.set_u32("general.alignment", 3), minnow::Error);
    EXPECT_THROW(w.add_tensor("bad", DType::Q8_0, {33}), minnow::Error);
    EXPECT_THROW(w.add_tensor(std::string(64, 'x'), DType::F32, {1}), minnow::Error);
    w.add_tensor("t", DType::F32, {2});
    EXPECT_THROW(w.add_tensor("t", DType::F32, {2}), minnow::Error);
    EXPECT_THROW(w.finish(), minnow::Error);  // tensor data missing
    const uint8_t wrong[4] = {};
    EXPECT_THROW(w.write_tensor_data(wrong), minnow::Error);  // 4 bytes for an 8-byte tensor
  }
  // An unfinished writer leaves no half-written file behind.
  EXPECT_FALSE(fs::exists(path));
  EXPECT_THROW(Writer(path.string(), 48), minnow::Error);
}

TEST(GgufVocab, EverySharedVocabOpens) {
  const fs::path dir = fs::path(MINNOW_SHARED_DIR) / "vocab";
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".gguf") continue;
    SCOPED_TRACE(e.path().string());
    auto f = File::open(e.path().string());
    ++n;
    EXPECT_TRUE(f->version() == 2 || f->version() == 3);
    const auto* tokens = f->find("tokenizer.ggml.tokens");
    ASSERT_NE(tokens, nullptr);
    EXPECT_EQ(tokens->type, ValueType::ARRAY);
    EXPECT_EQ(tokens->elem_type, ValueType::STRING);
    EXPECT_GT(tokens->count, 1000u);
    EXPECT_EQ(tokens->strings.size(), tokens->count);
    EXPECT_TRUE(f->get_str("tokenizer.ggml.model").has_value());
    EXPECT_TRUE(f->get_str("general.architecture").has_value());
    if (const auto* types = f->find("tokenizer.ggml.token_type")) {
      EXPECT_EQ(types->count, tokens->count);
    }
  }
  EXPECT_GE(n, 8);
}
