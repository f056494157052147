#include "malformed.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include "gguf/gguf.h"

namespace minnow::gguf::crafted {

namespace {

namespace fs = std::filesystem;

constexpr uint64_t k2p60 = uint64_t(1) << 60;

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Offset of the first occurrence of `needle`; the crafted files are built so it is unique.
size_t find(const std::vector<uint8_t>& b, std::string_view needle) {
  const auto it = std::search(b.begin(), b.end(), needle.begin(), needle.end(),
                              [](uint8_t x, char y) { return x == uint8_t(y); });
  if (it == b.end()) throw std::logic_error("crafted file lacks '" + std::string(needle) + "'");
  return size_t(it - b.begin());
}

template <typename T>
void put(std::vector<uint8_t>& b, size_t at, T v) {
  if (at + sizeof(T) > b.size()) throw std::logic_error("patch outside the crafted file");
  std::memcpy(b.data() + at, &v, sizeof(T));
}

template <typename T>
T get(const std::vector<uint8_t>& b, size_t at) {
  T v;
  std::memcpy(&v, b.data() + at, sizeof(T));
  return v;
}

// Offset of a key's value type field (right after the key string).
size_t value_at(const std::vector<uint8_t>& b, std::string_view key) { return find(b, key) + key.size(); }

// Tensor info fields, located from the tensor's name.
struct InfoAt {
  size_t name_len, n_dims, dims, type, offset;
};
InfoAt info_at(const std::vector<uint8_t>& b, std::string_view name) {
  const size_t p = find(b, name);
  const uint32_t nd = get<uint32_t>(b, p + name.size());
  const size_t dims = p + name.size() + 4;
  return {p - 8, p + name.size(), dims, dims + 8 * nd, dims + 8 * nd + 4};
}

std::vector<float> floats(size_t n, uint32_t seed, float scale) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 1;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = scale * (float(s >> 8) / float(1 << 24) * 2.0f - 1.0f);
  }
  return v;
}

std::span<const uint8_t> as_bytes(const std::vector<float>& v) {
  return {reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(float)};
}

// A 64-byte tensor name, which the Writer refuses to produce: built by hand.
std::vector<uint8_t> long_name_file() {
  std::vector<uint8_t> b = {'G', 'G', 'U', 'F'};
  auto append = [&](const void* p, size_t n) {
    const size_t at = b.size();
    b.resize(at + n);
    std::memcpy(b.data() + at, p, n);
  };
  auto u32 = [&](uint32_t v) { append(&v, 4); };
  auto u64 = [&](uint64_t v) { append(&v, 8); };
  u32(3);
  u64(1);  // tensors
  u64(0);  // key/values
  const std::string name(64, 'n');
  u64(name.size());
  append(name.data(), name.size());
  u32(1);  // n_dims
  u64(1);  // dim 0
  u32(0);  // f32
  u64(0);  // offset
  b.resize((b.size() + 31) / 32 * 32 + 4, 0);
  return b;
}

}  // namespace

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::vector<uint8_t> valid_small_file(const std::string& scratch_dir) {
  const std::string path = (fs::path(scratch_dir) / "crafted_base.gguf").string();
  {
    Writer w(path, 64);
    w.set_str("general.architecture", "test");
    w.set_str("t.str", "hello");
    w.set_arr_str("t.arr", std::vector<std::string>{"a", "bb", "ccc"});
    w.set_arr_i32("t.nums", {1, 2, 3});
    w.set_u32("t.key_aaa", 1);
    w.set_u32("t.key_aab", 2);
    w.set_bool("t.bool", true);
    w.set_f32("t.f32", 1.5f);
    w.add_tensor("tensor_a", DType::F32, {8, 2});
    w.add_tensor("tensor_b", DType::F32, {4, 4});
    w.add_tensor("tensor_c", DType::F32, {2, 2, 2, 2});
    w.write_header();  // appends general.alignment = 64 as the last key
    w.write_tensor_data(as_bytes(floats(16, 1, 1.0f)));
    w.write_tensor_data(as_bytes(floats(16, 2, 1.0f)));
    w.write_tensor_data(as_bytes(floats(16, 3, 1.0f)));
    w.finish();
  }
  auto bytes = read_bytes(path);
  fs::remove(path);
  return bytes;
}

std::vector<Case> malformed_cases(const std::string& scratch_dir) {
  const std::vector<uint8_t> base = valid_small_file(scratch_dir);
  std::vector<Case> cases;
  auto add = [&](std::string name, std::string expect, auto patch) {
    std::vector<uint8_t> b = base;
    patch(b);
    cases.push_back({std::move(name), std::move(b), std::move(expect)});
  };
  const auto a = info_at(base, "tensor_a");
  const auto tb = info_at(base, "tensor_b");
  const auto tc = info_at(base, "tensor_c");
  const size_t nums = value_at(base, "t.nums");  // type, elem type, count, data
  const size_t arr = value_at(base, "t.arr");
  const size_t align = value_at(base, "general.alignment");

  cases.push_back({"empty", {}, "empty file"});
  add("bad_magic", "bad magic", [](auto& b) { b[0] = 'X'; });
  add("tiny", "truncated file: version", [](auto& b) { b.resize(6); });
  add("version_1", "version 1 is not supported", [](auto& b) { put<uint32_t>(b, 4, 1); });
  add("version_4", "unsupported GGUF version 4", [](auto& b) { put<uint32_t>(b, 4, 4); });
  add("version_0", "unsupported GGUF version 0", [](auto& b) { put<uint32_t>(b, 4, 0); });
  add("big_endian", "big-endian", [](auto& b) { put<uint32_t>(b, 4, 0x03000000); });
  add("n_tensors_huge", "header claims 4611686018427387904 tensors",
      [](auto& b) { put<uint64_t>(b, 8, uint64_t(1) << 62); });
  add("n_kv_huge", "and 1099511627776 key/values", [](auto& b) { put<uint64_t>(b, 16, uint64_t(1) << 40); });
  add("n_kv_max", "and 18446744073709551615 key/values", [](auto& b) { put<uint64_t>(b, 16, ~uint64_t(0)); });
  add("key_len_2p60", "key/value #0 key: string length 1152921504606846976",
      [](auto& b) { put<uint64_t>(b, 24, k2p60); });
  add("value_str_len_2p60", "key 't.str': string length 1152921504606846976",
      [&](auto& b) { put<uint64_t>(b, value_at(b, "t.str") + 4, k2p60); });
  add("array_count_huge", "key 't.nums': array count 1099511627776 at offset",
      [&](auto& b) { put<uint64_t>(b, nums + 8, uint64_t(1) << 40); });
  add("array_count_past_end", "array count 4096 at offset",
      [&](auto& b) { put<uint64_t>(b, nums + 8, 4096); });
  add("str_array_count_huge", "key 't.arr': array count 2305843009213693952",
      [&](auto& b) { put<uint64_t>(b, arr + 8, uint64_t(1) << 61); });
  add("str_array_elem_len_2p60", "key 't.arr'[1]: string length 1152921504606846976",
      [&](auto& b) { put<uint64_t>(b, arr + 16 + 9, k2p60); });
  add("nested_array", "nested arrays are not supported", [&](auto& b) { put<uint32_t>(b, nums + 4, 9); });
  add("unknown_value_type", "key 't.bool': unknown value type id 13",
      [&](auto& b) { put<uint32_t>(b, value_at(b, "t.bool"), 13); });
  add("unknown_array_elem_type", "unknown array element type id 77",
      [&](auto& b) { put<uint32_t>(b, nums + 4, 77); });
  add("bool_value_2", "bool value 2 is neither 0 nor 1", [&](auto& b) { b[value_at(b, "t.bool") + 4] = 2; });
  add("empty_key", "key/value #0: empty key", [](auto& b) { put<uint64_t>(b, 24, 0); });
  add("key_not_utf8", "'t.key_\\xffaa' is not valid UTF-8", [](auto& b) { b[find(b, "t.key_aaa") + 6] = 0xff; });
  add("key_overlong_utf8", "is not valid UTF-8", [](auto& b) {
    const size_t p = find(b, "t.key_aaa") + 6;
    b[p] = 0xc0;  // overlong encoding of 'a'
    b[p + 1] = 0xa1;
  });
  add("duplicate_key", "duplicate key 't.key_aaa'", [](auto& b) { b[find(b, "t.key_aab") + 8] = 'a'; });
  add("alignment_0", "general.alignment 0 is not a nonzero power of two",
      [&](auto& b) { put<uint32_t>(b, align + 4, 0); });
  add("alignment_48", "general.alignment 48 is not a nonzero power of two",
      [&](auto& b) { put<uint32_t>(b, align + 4, 48); });
  add("alignment_i32", "general.alignment has type i32, expected u32",
      [&](auto& b) { put<uint32_t>(b, align, 5); });
  add("tensor_name_empty", "tensor #0: empty name", [&](auto& b) { put<uint64_t>(b, a.name_len, 0); });
  add("tensor_name_not_utf8", "tensor #0: name 'tensor_\\xe2' is not valid UTF-8",
      [&](auto& b) { b[a.n_dims - 1] = 0xe2; });
  cases.push_back({"tensor_name_64", long_name_file(), "name is 64 bytes long, the limit is 63"});
  add("duplicate_tensor_name", "duplicate tensor name 'tensor_a'", [&](auto& b) { b[tb.n_dims - 1] = 'a'; });
  add("n_dims_0", "tensor 'tensor_a': n_dims 0 is outside 1..4", [&](auto& b) { put<uint32_t>(b, a.n_dims, 0); });
  add("n_dims_5", "tensor 'tensor_a': n_dims 5 is outside 1..4", [&](auto& b) { put<uint32_t>(b, a.n_dims, 5); });
  add("dim_zero", "tensor 'tensor_b': dim 1 is zero", [&](auto& b) { put<uint64_t>(b, tb.dims + 8, 0); });
  add("dims_product_overflow", "tensor 'tensor_c': element count of shape [4294967296, 4294967296, 2, 2] overflows",
      [&](auto& b) {
        put<uint64_t>(b, tc.dims, uint64_t(1) << 32);
        put<uint64_t>(b, tc.dims + 8, uint64_t(1) << 32);
      });
  add("elements_over_int64", "element count of shape [9223372036854775808] overflows",
      [&](auto& b) {
        put<uint32_t>(b, a.n_dims, 1);  // the check fires before the shifted fields are read
        put<uint64_t>(b, a.dims, uint64_t(1) << 63);
      });
  add("bytes_overflow", "tensor 'tensor_c': byte size of shape", [&](auto& b) {
    put<uint64_t>(b, tc.dims, uint64_t(1) << 31);
    put<uint64_t>(b, tc.dims + 8, uint64_t(1) << 31);
    put<uint64_t>(b, tc.dims + 16, 1);
    put<uint64_t>(b, tc.dims + 24, 1);  // 2^62 elements fit; 2^64 bytes of f32 do not
  });
  add("unknown_type", "tensor 'tensor_b': unknown tensor type id 99", [&](auto& b) { put<uint32_t>(b, tb.type, 99); });
  add("unknown_type_huge", "unknown tensor type id 4294967295", [&](auto& b) { put<uint32_t>(b, tb.type, ~0u); });
  add("unsupported_iq2_xxs", "tensor 'tensor_b': unsupported tensor type iq2_xxs",
      [&](auto& b) { put<uint32_t>(b, tb.type, 16); });
  add("unsupported_removed_q4_2", "unsupported tensor type q4_2", [&](auto& b) { put<uint32_t>(b, tb.type, 4); });
  add("row_not_block_multiple", "row length 8 is not a multiple of the q8_0 block size 32",
      [&](auto& b) { put<uint32_t>(b, a.type, 8); });
  add("offset_past_end", "tensor 'tensor_b': data [offset", [&](auto& b) { put<uint64_t>(b, tb.offset, uint64_t(1) << 40); });
  add("offset_max", "extends past end of file", [&](auto& b) { put<uint64_t>(b, tb.offset, ~uint64_t(0) << 6); });
  add("data_past_end", "tensor 'tensor_c': data [offset", [](auto& b) { b.pop_back(); });
  add("misaligned_offset", "tensor 'tensor_b': data offset 68 is misaligned",
      [&](auto& b) { put<uint64_t>(b, tb.offset, get<uint64_t>(b, tb.offset) + 4); });
  add("overlapping_tensors", "tensors 'tensor_a' and 'tensor_b' overlap",
      [&](auto& b) { put<uint64_t>(b, tb.offset, 0); });
  add("partial_overlap", "tensors 'tensor_b' and 'tensor_c' overlap",
      [&](auto& b) { put<uint64_t>(b, tb.dims, 8); });  // [8, 4] f32 runs into tensor_c
  return cases;
}

std::vector<Case> truncated_cases(const std::string& scratch_dir) {
  const std::vector<uint8_t> base = valid_small_file(scratch_dir);
  const auto tb = info_at(base, "tensor_b");
  const size_t nums = value_at(base, "t.nums");
  std::vector<Case> cases;
  auto cut = [&](std::string name, size_t n, std::string expect) {
    cases.push_back({"truncated_" + name, std::vector<uint8_t>(base.begin(), base.begin() + long(n)), expect});
  };
  cut("magic", 3, "not a GGUF file");
  cut("header", 20, "truncated file: key/value count");
  cut("first_key", 30, "header claims 3 tensors and 9 key/values, more than the 6 bytes");
  cut("array", nums + 14, "header claims 3 tensors and 9 key/values");
  cut("last_key", value_at(base, "general.alignment") + 6, "truncated file: key 'general.alignment' at offset");
  cut("tensor_info", tb.dims + 3, "truncated file: tensor 'tensor_b' dim 0");
  cut("data", base.size() - 100, "extends past end of file");
  return cases;
}

void write_llama_model(const std::string& path, const std::string& vocab_gguf, ModelDefect defect) {
  constexpr uint64_t kEmbd = 16, kFf = 32, kHeads = 2, kHeadsKv = 1;
  constexpr uint64_t kHeadDim = kEmbd / kHeads;
  auto vocab = File::open(vocab_gguf);
  const Value* tokens = vocab->find("tokenizer.ggml.tokens");
  if (tokens == nullptr) throw std::runtime_error(vocab_gguf + ": no tokenizer.ggml.tokens");
  const uint64_t n_vocab = tokens->count;

  Writer w(path);
  w.set_str("general.architecture", "llama");
  w.set_str("general.name", "minnow crafted llama");
  w.set_u32("llama.context_length", 256);
  w.set_u32("llama.embedding_length", kEmbd);
  w.set_u32("llama.block_count", 1);
  w.set_u32("llama.feed_forward_length", kFf);
  w.set_u32("llama.rope.dimension_count", kHeadDim);
  w.set_u32("llama.attention.head_count", kHeads);
  w.set_u32("llama.attention.head_count_kv", kHeadsKv);
  w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.set_f32("llama.rope.freq_base", 10000.0f);
  w.set_u32("llama.vocab_size", uint32_t(n_vocab));
  w.set_u32("general.file_type", 0);
  for (const auto& [key, value] : vocab->kv()) {
    if (key.starts_with("tokenizer.")) w.copy_kv(key, value);
  }

  struct T {
    std::string name;
    std::vector<uint64_t> dims;
    bool norm;
  };
  std::vector<T> ts = {
      {"token_embd.weight", {kEmbd, n_vocab}, false},
      {"output_norm.weight", {kEmbd}, true},
      {"output.weight", {kEmbd, n_vocab}, false},
      {"blk.0.attn_norm.weight", {kEmbd}, true},
      {"blk.0.attn_q.weight", {kEmbd, kEmbd}, false},
      {"blk.0.attn_k.weight", {kEmbd, kHeadDim * kHeadsKv}, false},
      {"blk.0.attn_v.weight", {kEmbd, kHeadDim * kHeadsKv}, false},
      {"blk.0.attn_output.weight", {kEmbd, kEmbd}, false},
      {"blk.0.ffn_norm.weight", {kEmbd}, true},
      {"blk.0.ffn_gate.weight", {kEmbd, kFf}, false},
      {"blk.0.ffn_down.weight", {kFf, kEmbd}, false},
      {"blk.0.ffn_up.weight", {kEmbd, kFf}, false},
  };
  if (defect == ModelDefect::kMissingTensor) {
    std::erase_if(ts, [](const T& t) { return t.name == "blk.0.ffn_down.weight"; });
  } else if (defect == ModelDefect::kWrongShape) {
    for (auto& t : ts) {
      if (t.name == "blk.0.attn_q.weight") t.dims = {kEmbd, kEmbd / 2};
    }
  }
  for (const auto& t : ts) w.add_tensor(t.name, DType::F32, t.dims);
  w.write_header();
  uint32_t seed = 1;
  for (const auto& t : ts) {
    uint64_t n = 1;
    for (uint64_t d : t.dims) n *= d;
    std::vector<float> data = t.norm ? std::vector<float>(n, 1.0f) : floats(n, seed++, 0.05f);
    w.write_tensor_data(as_bytes(data));
  }
  w.finish();
}

}  // namespace minnow::gguf::crafted
