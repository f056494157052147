#pragma once
// GGUF v2/v3 reader (memory-mapped, fully validated before anything is trusted) and writer.
// Spec facts: little-endian; header = magic "GGUF", u32 version, u64 n_tensors, u64 n_kv;
// then n_kv key/values, n_tensors tensor infos, padding to general.alignment, tensor data.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "quant/types.h"
#include "util/mapped_file.h"

namespace minnow::gguf {

enum class ValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};

// "u32", "string", "array", ... as used in messages.
std::string_view value_type_name(ValueType t);
// Bytes of one scalar of this type; 0 for STRING and ARRAY (variable length).
size_t value_type_size(ValueType t);

// One metadata value. Scalars are decoded; arrays keep a view into the mapping.
struct Value {
  ValueType type = ValueType::U8;
  // Scalar payloads (the one matching `type` is set; integers also fill the other int field
  // when representable so callers can ask get_int/get_uint without caring about width).
  std::optional<uint64_t> as_uint;
  std::optional<int64_t> as_int;
  std::optional<double> as_float;  // F32/F64
  bool as_bool = false;
  std::string_view str;  // STRING

  // ARRAY: element type and count; numeric data in `array_data` (packed little-endian),
  // string arrays as views in `strings`. Nested arrays are rejected by the reader.
  ValueType elem_type = ValueType::U8;
  uint64_t count = 0;
  const uint8_t* array_data = nullptr;
  std::vector<std::string_view> strings;

  // Numeric array element i converted (bounds-checked by the caller against `count`).
  int64_t array_int(uint64_t i) const;
  double array_float(uint64_t i) const;
};

struct TensorInfo {
  std::string name;
  DType type = DType::F32;
  std::vector<uint64_t> dims;  // ggml order: dims[0] is the contiguous (row) length
  uint64_t n_elems = 0;
  uint64_t offset = 0;         // absolute file offset of the data
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;  // into the mapping

  uint64_t rows() const { return dims.empty() ? 0 : n_elems / dims[0]; }
};

class File {
 public:
  // Maps and validates the whole file. Throws minnow::Error("<path>: <problem>") on any defect.
  static std::unique_ptr<File> open(const std::string& path);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return map_.size(); }
  const std::string& path() const { return map_.path(); }
  const std::string& identity() const { return map_.identity(); }  // see MappedFile::identity
  const uint8_t* base() const { return map_.data(); }
  // Drops the whole pages of [p, p + n) from the resident set (see MappedFile::drop_pages).
  void drop_pages(const uint8_t* p, size_t n) const { map_.drop_pages(p, n); }

  // Metadata in file order.
  const std::vector<std::pair<std::string, Value>>& kv() const { return kv_; }
  const Value* find(std::string_view key) const;
  std::optional<std::string_view> get_str(std::string_view key) const;
  std::optional<uint64_t> get_uint(std::string_view key) const;
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;  // accepts ints too
  std::optional<bool> get_bool(std::string_view key) const;
  // Required variants: throw Error naming the key when absent or of the wrong type.
  std::string_view req_str(std::string_view key) const;
  uint64_t req_uint(std::string_view key) const;
  double req_float(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* tensor(std::string_view name) const;

 private:
  explicit File(MappedFile map) : map_(std::move(map)) {}
  void parse();

  MappedFile map_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, Value>> kv_;
  std::unordered_map<std::string_view, size_t> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
};

// Streaming writer: declare all metadata and tensor infos, then write_header(), then each
// tensor's bytes in declaration order, then finish(). Never holds tensor data itself.
// Setting "general.alignment" (set_u32 or copy_kv, before add_tensor) changes the alignment; a
// non-default constructor alignment is written as that key. Duplicate keys/tensor names throw.
// A Writer destroyed before finish() removes its partial file.
class Writer {
 public:
  explicit Writer(std::string path, uint32_t alignment = 32);
  ~Writer();

  void set_u32(const std::string& key, uint32_t v);
  void set_i32(const std::string& key, int32_t v);
  void set_u64(const std::string& key, uint64_t v);
  void set_f32(const std::string& key, float v);
  void set_bool(const std::string& key, bool v);
  void set_str(const std::string& key, const std::string& v);
  void set_arr_str(const std::string& key, const std::vector<std::string>& v);
  void set_arr_str(const std::string& key, const std::vector<std::string_view>& v);
  void set_arr_i32(const std::string& key, const std::vector<int32_t>& v);
  void set_arr_f32(const std::string& key, const std::vector<float>& v);
  // Copies a value read from another file (any type, arrays included).
  void copy_kv(const std::string& key, const Value& v);

  void add_tensor(const std::string& name, DType type, const std::vector<uint64_t>& dims);
  void write_header();
  void write_tensor_data(std::span<const uint8_t> bytes);  // next tensor, exact size
  void finish();  // checks every tensor was written; flushes and closes

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace minnow::gguf
