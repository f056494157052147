// Streaming GGUF v3 writer. Metadata and tensor infos are small and kept until write_header();
// tensor bytes go straight to the file so quantizing a large model never holds it in memory.
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "gguf/gguf.h"
#include "util/error.h"

namespace minnow::gguf {

namespace {

constexpr uint32_t kVersion = 3;
constexpr uint32_t kDefaultAlignment = 32;

class Bytes {
 public:
  template <typename T>
  void put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    buf_.insert(buf_.end(), p, p + sizeof(T));
  }
  void put_raw(const uint8_t* p, size_t n) { buf_.insert(buf_.end(), p, p + n); }
  void put_str(std::string_view s) {
    put<uint64_t>(s.size());
    put_raw(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  const std::vector<uint8_t>& data() const { return buf_; }

 private:
  std::vector<uint8_t> buf_;
};

}  // namespace

struct Writer::Impl {
  struct Tensor {
    std::string name;
    DType type;
    std::vector<uint64_t> dims;
    uint64_t nbytes;
    uint64_t offset;  // relative to the data section
  };

  std::string path;
  uint32_t alignment = kDefaultAlignment;
  bool alignment_key_set = false;
  uint64_t n_kv = 0;
  Bytes kv;
  std::unordered_set<std::string> keys;
  std::vector<Tensor> tensors;
  std::unordered_set<std::string> tensor_names;
  uint64_t data_size = 0;
  FILE* file = nullptr;
  size_t next_tensor = 0;
  bool finished = false;

  [[noreturn]] void fail(const std::string& what) const { throw Error(path + ": " + what); }

  void begin_key(const std::string& key, ValueType t) {
    if (file != nullptr) fail("cannot add key '" + key + "' after the header was written");
    if (key.empty()) fail("empty metadata key");
    if (!keys.insert(key).second) fail("duplicate metadata key '" + key + "'");
    kv.put_str(key);
    kv.put<uint32_t>(uint32_t(t));
    ++n_kv;
  }

  void set_alignment(uint32_t a) {
    if (!std::has_single_bit(a)) {
      fail("general.alignment " + std::to_string(a) + " is not a nonzero power of two");
    }
    if (!tensors.empty() && a != alignment) fail("general.alignment must be set before adding tensors");
    alignment = a;
    alignment_key_set = true;
  }

  uint64_t pad(uint64_t n) const { return (n + alignment - 1) / alignment * alignment; }

  void write(const void* p, size_t n) {
    if (n != 0 && std::fwrite(p, 1, n, file) != n) fail(std::string("write failed: ") + std::strerror(errno));
  }

  void write_padding(uint64_t written) {
    static constexpr uint8_t kZeros[256] = {};
    uint64_t n = pad(written) - written;
    while (n > 0) {
      const size_t chunk = n < sizeof(kZeros) ? size_t(n) : sizeof(kZeros);
      write(kZeros, chunk);
      n -= chunk;
    }
  }
};

Writer::Writer(std::string path, uint32_t alignment) : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
  if (!std::has_single_bit(alignment)) {
    impl_->fail("alignment " + std::to_string(alignment) + " is not a nonzero power of two");
  }
  impl_->alignment = alignment;
}

Writer::~Writer() {
  if (impl_->file != nullptr) {
    std::fclose(impl_->file);
    // An unfinished file would look like a truncated model; better to leave nothing.
    if (!impl_->finished) std::remove(impl_->path.c_str());
  }
}

void Writer::set_u32(const std::string& key, uint32_t v) {
  if (key == "general.alignment") impl_->set_alignment(v);
  impl_->begin_key(key, ValueType::U32);
  impl_->kv.put(v);
}

void Writer::set_i32(const std::string& key, int32_t v) {
  impl_->begin_key(key, ValueType::I32);
  impl_->kv.put(v);
}

void Writer::set_u64(const std::string& key, uint64_t v) {
  impl_->begin_key(key, ValueType::U64);
  impl_->kv.put(v);
}

void Writer::set_f32(const std::string& key, float v) {
  impl_->begin_key(key, ValueType::F32);
  impl_->kv.put(v);
}

void Writer::set_bool(const std::string& key, bool v) {
  impl_->begin_key(key, ValueType::BOOL);
  impl_->kv.put<uint8_t>(v ? 1 : 0);
}

void Writer::set_str(const std::string& key, const std::string& v) {
  impl_->begin_key(key, ValueType::STRING);
  impl_->kv.put_str(v);
}

void Writer::set_arr_str(const std::string& key, const std::vector<std::string>& v) {
  impl_->begin_key(key, ValueType::ARRAY);
  impl_->kv.put<uint32_t>(uint32_t(ValueType::STRING));
  impl_->kv.put<uint64_t>(v.size());
  for (const auto& s : v) impl_->kv.put_str(s);
}

void Writer::set_arr_str(const std::string& key, const std::vector<std::string_view>& v) {
  impl_->begin_key(key, ValueType::ARRAY);
  impl_->kv.put<uint32_t>(uint32_t(ValueType::STRING));
  impl_->kv.put<uint64_t>(v.size());
  for (const auto& s : v) impl_->kv.put_str(s);
}

void Writer::set_arr_i32(const std::string& key, const std::vector<int32_t>& v) {
  impl_->begin_key(key, ValueType::ARRAY);
  impl_->kv.put<uint32_t>(uint32_t(ValueType::I32));
  impl_->kv.put<uint64_t>(v.size());
  impl_->kv.put_raw(reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(int32_t));
}

void Writer::set_arr_f32(const std::string& key, const std::vector<float>& v) {
  impl_->begin_key(key, ValueType::ARRAY);
  impl_->kv.put<uint32_t>(uint32_t(ValueType::F32));
  impl_->kv.put<uint64_t>(v.size());
  impl_->kv.put_raw(reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(float));
}

void Writer::copy_kv(const std::string& key, const Value& v) {
  Impl& m = *impl_;
  if (key == "general.alignment" && v.type == ValueType::U32 && v.as_uint) {
    m.set_alignment(uint32_t(*v.as_uint));
  }
  m.begin_key(key, v.type);
  switch (v.type) {
    case ValueType::U8: m.kv.put<uint8_t>(uint8_t(v.as_uint.value_or(0))); break;
    case ValueType::I8: m.kv.put<int8_t>(int8_t(v.as_int.value_or(0))); break;
    case ValueType::U16: m.kv.put<uint16_t>(uint16_t(v.as_uint.value_or(0))); break;
    case ValueType::I16: m.kv.put<int16_t>(int16_t(v.as_int.value_or(0))); break;
    case ValueType::U32: m.kv.put<uint32_t>(uint32_t(v.as_uint.value_or(0))); break;
    case ValueType::I32: m.kv.put<int32_t>(int32_t(v.as_int.value_or(0))); break;
    case ValueType::U64: m.kv.put<uint64_t>(v.as_uint.value_or(0)); break;
    case ValueType::I64: m.kv.put<int64_t>(v.as_int.value_or(0)); break;
    case ValueType::F32: m.kv.put<float>(float(v.as_float.value_or(0))); break;
    case ValueType::F64: m.kv.put<double>(v.as_float.value_or(0)); break;
    case ValueType::BOOL: m.kv.put<uint8_t>(v.as_bool ? 1 : 0); break;
    case ValueType::STRING: m.kv.put_str(v.str); break;
    case ValueType::ARRAY:
      if (v.elem_type == ValueType::ARRAY) m.fail("key '" + key + "': nested arrays are not supported");
      m.kv.put<uint32_t>(uint32_t(v.elem_type));
      m.kv.put<uint64_t>(v.count);
      if (v.elem_type == ValueType::STRING) {
        if (v.strings.size() != v.count) m.fail("key '" + key + "': string array count mismatch");
        for (const auto& s : v.strings) m.kv.put_str(s);
      } else if (v.count != 0) {
        if (v.array_data == nullptr) m.fail("key '" + key + "': array without data");
        m.kv.put_raw(v.array_data, size_t(v.count * value_type_size(v.elem_type)));
      }
      break;
  }
}

void Writer::add_tensor(const std::string& name, DType type, const std::vector<uint64_t>& dims) {
  Impl& m = *impl_;
  if (m.file != nullptr) m.fail("cannot add tensor '" + name + "' after the header was written");
  if (name.empty() || name.size() >= 64) m.fail("tensor name '" + name + "' must be 1..63 bytes");
  if (!m.tensor_names.insert(name).second) m.fail("duplicate tensor name '" + name + "'");
  if (dims.empty() || dims.size() > 4) m.fail("tensor '" + name + "' must have 1..4 dims");
  const DTypeInfo& info = dtype_info(type);
  uint64_t n = 1;
  for (uint64_t d : dims) {
    if (d == 0 || __builtin_mul_overflow(n, d, &n)) m.fail("tensor '" + name + "' has a bad shape");
  }
  if (dims[0] % info.block_elems != 0) {
    m.fail("tensor '" + name + "': row length " + std::to_string(dims[0]) +
           " is not a multiple of the " + std::string(info.name) + " block size " +
           std::to_string(info.block_elems));
  }
  uint64_t nbytes = 0;
  if (__builtin_mul_overflow(n / info.block_elems, info.block_bytes, &nbytes)) {
    m.fail("tensor '" + name + "' is too large");
  }
  m.tensors.push_back({name, type, dims, nbytes, m.data_size});
  m.data_size += m.pad(nbytes);
}

void Writer::write_header() {
  Impl& m = *impl_;
  if (m.file != nullptr) m.fail("header written twice");
  if (m.alignment != kDefaultAlignment && !m.alignment_key_set) {
    set_u32("general.alignment", m.alignment);
  }
  m.file = std::fopen(m.path.c_str(), "wb");
  if (m.file == nullptr) m.fail(std::string("cannot create: ") + std::strerror(errno));
  Bytes head;
  head.put_raw(reinterpret_cast<const uint8_t*>("GGUF"), 4);
  head.put<uint32_t>(kVersion);
  head.put<uint64_t>(m.tensors.size());
  head.put<uint64_t>(m.n_kv);
  m.write(head.data().data(), head.data().size());
  m.write(m.kv.data().data(), m.kv.data().size());
  Bytes infos;
  for (const auto& t : m.tensors) {
    infos.put_str(t.name);
    infos.put<uint32_t>(uint32_t(t.dims.size()));
    for (uint64_t d : t.dims) infos.put<uint64_t>(d);
    infos.put<uint32_t>(uint32_t(t.type));
    infos.put<uint64_t>(t.offset);
  }
  m.write(infos.data().data(), infos.data().size());
  const uint64_t header_size = head.data().size() + m.kv.data().size() + infos.data().size();
  if (!m.tensors.empty()) m.write_padding(header_size);
}

void Writer::write_tensor_data(std::span<const uint8_t> bytes) {
  Impl& m = *impl_;
  if (m.file == nullptr) m.fail("tensor data written before the header");
  if (m.next_tensor >= m.tensors.size()) m.fail("more tensor data than declared tensors");
  const auto& t = m.tensors[m.next_tensor];
  if (bytes.size() != t.nbytes) {
    m.fail("tensor '" + t.name + "' needs " + std::to_string(t.nbytes) + " bytes, got " +
           std::to_string(bytes.size()));
  }
  m.write(bytes.data(), bytes.size());
  m.write_padding(t.nbytes);
  ++m.next_tensor;
}

void Writer::finish() {
  Impl& m = *impl_;
  if (m.file == nullptr) write_header();
  if (m.next_tensor != m.tensors.size()) {
    m.fail("finish() with " + std::to_string(m.tensors.size() - m.next_tensor) +
           " tensors still unwritten (next: '" + m.tensors[m.next_tensor].name + "')");
  }
  const bool flush_failed = std::fflush(m.file) != 0;
  const bool close_failed = std::fclose(m.file) != 0;
  m.file = nullptr;
  if (flush_failed || close_failed) {
    std::remove(m.path.c_str());
    m.fail(std::string("write failed: ") + std::strerror(errno));
  }
  m.finished = true;
}

}  // namespace minnow::gguf
