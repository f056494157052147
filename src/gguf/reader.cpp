// GGUF reader: every count, length, type id and offset is checked against the file before use,
// so a hostile file produces one minnow::Error line instead of a crash or a huge allocation.
#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>

#include "gguf/gguf.h"
#include "util/error.h"

namespace minnow::gguf {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr uint64_t kDefaultAlignment = 32;
constexpr size_t kMaxTensorName = 64;  // ggml's GGML_MAX_NAME, which counts the terminating NUL
constexpr uint32_t kMaxDims = 4;
// Smallest possible encodings, used to bound header counts by the bytes actually present.
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;              // key len, 1-byte key, type, u8
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;  // name len, name, n_dims, dim, type, offset

bool known_value_type(uint32_t id) { return id <= uint32_t(ValueType::F64); }

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = uint8_t(s[i]);
    if (c < 0x80) { ++i; continue; }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
    else return false;
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = uint8_t(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    const uint32_t min_cp = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min_cp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

// Renders untrusted bytes for a one-line message: control and non-ASCII bytes escaped, clipped.
std::string printable(std::string_view s) {
  constexpr size_t kMaxShown = 80;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
    const auto c = uint8_t(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
      out += char(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > kMaxShown) out += "...";
  return "'" + out + "'";
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }

// Bounds-checked little-endian reads over the mapping. Every failure names the file and what
// was being read.
class Cursor {
 public:
  Cursor(const std::string& path, const uint8_t* data, size_t size)
      : path_(path), data_(data), size_(size) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error(path_ + ": " + what); }

  size_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  template <typename T>
  T read(const std::string& what) {
    if (remaining() < sizeof(T)) {
      fail("truncated file: " + what + " at offset " + std::to_string(pos_) + " needs " +
           std::to_string(sizeof(T)) + " bytes, only " + std::to_string(remaining()) + " left");
    }
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  const uint8_t* take(uint64_t n, const std::string& what) {
    if (n > remaining()) {
      fail("truncated file: " + what + " at offset " + std::to_string(pos_) + " needs " +
           std::to_string(n) + " bytes, only " + std::to_string(remaining()) + " left");
    }
    const uint8_t* p = data_ + pos_;
    pos_ += size_t(n);
    return p;
  }

  // nullopt (position unchanged) when the string does not fit.
  std::optional<std::string_view> try_read_string() {
    if (remaining() < 8) return std::nullopt;
    uint64_t len;
    std::memcpy(&len, data_ + pos_, 8);
    if (len > remaining() - 8) return std::nullopt;
    const std::string_view s(reinterpret_cast<const char*>(data_ + pos_ + 8), size_t(len));
    pos_ += 8 + size_t(len);
    return s;
  }

  std::string_view read_string(const std::string& what) {
    const size_t at = pos_;
    const auto len = read<uint64_t>(what + " length");
    if (len > remaining()) {
      fail(what + ": string length " + std::to_string(len) + " at offset " + std::to_string(at) +
           " exceeds the " + std::to_string(remaining()) + " bytes left in the file");
    }
    return {reinterpret_cast<const char*>(take(len, what)), size_t(len)};
  }

 private:
  const std::string& path_;
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

void fill_int(Value& v, int64_t x) {
  v.as_int = x;
  if (x >= 0) v.as_uint = uint64_t(x);
}

void fill_uint(Value& v, uint64_t x) {
  v.as_uint = x;
  if (x <= uint64_t(INT64_MAX)) v.as_int = int64_t(x);
}

void read_scalar(Cursor& c, Value& v, const std::string& what) {
  switch (v.type) {
    case ValueType::U8: fill_uint(v, c.read<uint8_t>(what)); break;
    case ValueType::I8: fill_int(v, c.read<int8_t>(what)); break;
    case ValueType::U16: fill_uint(v, c.read<uint16_t>(what)); break;
    case ValueType::I16: fill_int(v, c.read<int16_t>(what)); break;
    case ValueType::U32: fill_uint(v, c.read<uint32_t>(what)); break;
    case ValueType::I32: fill_int(v, c.read<int32_t>(what)); break;
    case ValueType::U64: fill_uint(v, c.read<uint64_t>(what)); break;
    case ValueType::I64: fill_int(v, c.read<int64_t>(what)); break;
    case ValueType::F32: v.as_float = c.read<float>(what); break;
    case ValueType::F64: v.as_float = c.read<double>(what); break;
    case ValueType::BOOL: {
      const auto b = c.read<uint8_t>(what);
      if (b > 1) c.fail(what + ": bool value " + std::to_string(b) + " is neither 0 nor 1");
      v.as_bool = b != 0;
      break;
    }
    case ValueType::STRING: v.str = c.read_string(what); break;
    case ValueType::ARRAY: break;  // handled by the caller
  }
}

void read_value(Cursor& c, Value& v, const std::string& what) {
  const auto type_id = c.read<uint32_t>(what + " type");
  if (!known_value_type(type_id)) c.fail(what + ": unknown value type id " + std::to_string(type_id));
  v.type = ValueType(type_id);
  if (v.type != ValueType::ARRAY) {
    read_scalar(c, v, what);
    return;
  }
  const auto elem_id = c.read<uint32_t>(what + " array element type");
  if (!known_value_type(elem_id)) {
    c.fail(what + ": unknown array element type id " + std::to_string(elem_id));
  }
  v.elem_type = ValueType(elem_id);
  if (v.elem_type == ValueType::ARRAY) c.fail(what + ": nested arrays are not supported");
  const size_t count_at = c.pos();
  v.count = c.read<uint64_t>(what + " array count");
  const uint64_t min_elem_bytes = v.elem_type == ValueType::STRING ? 8 : value_type_size(v.elem_type);
  if (v.count > c.remaining() / min_elem_bytes) {
    c.fail(what + ": array count " + std::to_string(v.count) + " at offset " +
           std::to_string(count_at) + " does not fit in the " + std::to_string(c.remaining()) +
           " bytes left in the file");
  }
  if (v.elem_type == ValueType::STRING) {
    v.strings.reserve(size_t(v.count));
    for (uint64_t i = 0; i < v.count; ++i) {
      // The element's name is only built on failure: vocab arrays hold 150k strings.
      auto s = c.try_read_string();
      if (!s) {
        c.read_string(what + "[" + std::to_string(i) + "]");  // throws the precise error
        c.fail(what + ": bad string");
      }
      v.strings.push_back(*s);
    }
    return;
  }
  v.array_data = c.take(v.count * min_elem_bytes, what + " array data");
  if (v.elem_type == ValueType::BOOL) {
    for (uint64_t i = 0; i < v.count; ++i) {
      if (v.array_data[i] > 1) {
        c.fail(what + "[" + std::to_string(i) + "]: bool value " +
               std::to_string(v.array_data[i]) + " is neither 0 nor 1");
      }
    }
  }
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

size_t value_type_size(ValueType t) {
  switch (t) {
    case ValueType::U8: case ValueType::I8: case ValueType::BOOL: return 1;
    case ValueType::U16: case ValueType::I16: return 2;
    case ValueType::U32: case ValueType::I32: case ValueType::F32: return 4;
    case ValueType::U64: case ValueType::I64: case ValueType::F64: return 8;
    case ValueType::STRING: case ValueType::ARRAY: return 0;
  }
  return 0;
}

std::string_view value_type_name(ValueType t) {
  switch (t) {
    case ValueType::U8: return "u8";
    case ValueType::I8: return "i8";
    case ValueType::U16: return "u16";
    case ValueType::I16: return "i16";
    case ValueType::U32: return "u32";
    case ValueType::I32: return "i32";
    case ValueType::F32: return "f32";
    case ValueType::BOOL: return "bool";
    case ValueType::STRING: return "string";
    case ValueType::ARRAY: return "array";
    case ValueType::U64: return "u64";
    case ValueType::I64: return "i64";
    case ValueType::F64: return "f64";
  }
  return "?";
}

int64_t Value::array_int(uint64_t i) const {
  const uint8_t* p = array_data + i * value_type_size(elem_type);
  switch (elem_type) {
    case ValueType::U8: return load<uint8_t>(p);
    case ValueType::I8: return load<int8_t>(p);
    case ValueType::U16: return load<uint16_t>(p);
    case ValueType::I16: return load<int16_t>(p);
    case ValueType::U32: return load<uint32_t>(p);
    case ValueType::I32: return load<int32_t>(p);
    case ValueType::U64: return int64_t(load<uint64_t>(p));
    case ValueType::I64: return load<int64_t>(p);
    case ValueType::BOOL: return load<uint8_t>(p);
    case ValueType::F32: return int64_t(load<float>(p));
    case ValueType::F64: return int64_t(load<double>(p));
    case ValueType::STRING: case ValueType::ARRAY: break;
  }
  return 0;
}

double Value::array_float(uint64_t i) const {
  const uint8_t* p = array_data + i * value_type_size(elem_type);
  switch (elem_type) {
    case ValueType::F32: return load<float>(p);
    case ValueType::F64: return load<double>(p);
    case ValueType::U64: return double(load<uint64_t>(p));
    case ValueType::STRING: case ValueType::ARRAY: return 0;
    default: return double(array_int(i));
  }
}

std::unique_ptr<File> File::open(const std::string& path) {
  std::unique_ptr<File> f(new File(MappedFile(path)));
  f->parse();
  return f;
}

void File::parse() {
  const std::string& p = map_.path();
  Cursor c(p, map_.data(), map_.size());
  if (map_.size() == 0) c.fail("empty file (not a GGUF model)");
  if (map_.size() < 4) c.fail("not a GGUF file (only " + std::to_string(map_.size()) + " bytes)");
  const auto magic = c.read<uint32_t>("magic");
  if (magic != kMagic) c.fail("not a GGUF file (bad magic, expected 'GGUF')");
  version_ = c.read<uint32_t>("version");
  if (version_ == 1) c.fail("GGUF version 1 is not supported (only versions 2 and 3)");
  if (version_ != 2 && version_ != 3) {
    const uint32_t swapped = (version_ >> 24) | ((version_ >> 8) & 0xff00) |
                             ((version_ << 8) & 0xff0000) | (version_ << 24);
    if (swapped >= 1 && swapped <= 3) {
      c.fail("big-endian GGUF files are not supported");
    }
    c.fail("unsupported GGUF version " + std::to_string(version_) + " (only versions 2 and 3)");
  }
  const auto n_tensors = c.read<uint64_t>("tensor count");
  const auto n_kv = c.read<uint64_t>("key/value count");
  const uint64_t rest = c.remaining();
  if (n_kv > rest / kMinKvBytes || n_tensors > rest / kMinTensorInfoBytes ||
      n_kv * kMinKvBytes + n_tensors * kMinTensorInfoBytes > rest) {
    c.fail("header claims " + std::to_string(n_tensors) + " tensors and " + std::to_string(n_kv) +
           " key/values, more than the " + std::to_string(rest) +
           " bytes after the header can hold (truncated or corrupt file)");
  }

  kv_.reserve(size_t(n_kv));
  kv_index_.reserve(size_t(n_kv));
  for (uint64_t i = 0; i < n_kv; ++i) {
    const std::string where = "key/value #" + std::to_string(i);
    const std::string_view key = c.read_string(where + " key");
    if (key.empty()) c.fail(where + ": empty key");
    if (!valid_utf8(key)) c.fail(where + ": key " + printable(key) + " is not valid UTF-8");
    const std::string what = "key " + printable(key);
    if (kv_index_.count(key) != 0) c.fail("duplicate key " + printable(key));
    Value v;
    read_value(c, v, what);
    kv_index_.emplace(key, kv_.size());
    kv_.emplace_back(std::string(key), std::move(v));
  }

  if (const Value* a = find("general.alignment")) {
    if (a->type != ValueType::U32) {
      c.fail("general.alignment has type " + std::string(value_type_name(a->type)) +
             ", expected u32");
    }
    const uint64_t al = *a->as_uint;
    if (!std::has_single_bit(al)) {
      c.fail("general.alignment " + std::to_string(al) + " is not a nonzero power of two");
    }
    alignment_ = al;
  } else {
    alignment_ = kDefaultAlignment;
  }

  tensors_.reserve(size_t(n_tensors));
  tensor_index_.reserve(size_t(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    const std::string_view name = c.read_string("tensor #" + std::to_string(i) + " name");
    std::string where = "tensor #" + std::to_string(i);
    if (name.empty()) c.fail(where + ": empty name");
    if (!valid_utf8(name)) c.fail(where + ": name " + printable(name) + " is not valid UTF-8");
    where = "tensor " + printable(name);
    if (name.size() >= kMaxTensorName) {
      c.fail(where + ": name is " + std::to_string(name.size()) + " bytes long, the limit is " +
             std::to_string(kMaxTensorName - 1));
    }
    if (tensor_index_.count(name) != 0) c.fail("duplicate tensor name " + printable(name));

    TensorInfo t;
    t.name = std::string(name);
    const auto n_dims = c.read<uint32_t>(where + " n_dims");
    if (n_dims < 1 || n_dims > kMaxDims) {
      c.fail(where + ": n_dims " + std::to_string(n_dims) + " is outside 1.." +
             std::to_string(kMaxDims));
    }
    t.dims.resize(n_dims);
    uint64_t n_elems = 1;
    bool overflow = false;
    for (uint32_t d = 0; d < n_dims; ++d) {
      t.dims[d] = c.read<uint64_t>(where + " dim " + std::to_string(d));
      if (t.dims[d] == 0) c.fail(where + ": dim " + std::to_string(d) + " is zero");
      overflow = overflow || mul_overflows(n_elems, t.dims[d], &n_elems);
    }
    auto shape = [&] {
      std::string s = "[";
      for (size_t d = 0; d < t.dims.size(); ++d) s += (d ? ", " : "") + std::to_string(t.dims[d]);
      return s + "]";
    };
    if (overflow || n_elems > uint64_t(INT64_MAX)) {
      c.fail(where + ": element count of shape " + shape() + " overflows 64 bits");
    }
    t.n_elems = n_elems;

    const auto type_id = c.read<uint32_t>(where + " type");
    const auto info = dtype_info(type_id);
    if (!info) {
      if (const auto ggml_name = ggml_type_name(type_id)) {
        c.fail(where + ": unsupported tensor type " + std::string(*ggml_name));
      }
      c.fail(where + ": unknown tensor type id " + std::to_string(type_id));
    }
    t.type = info->type;
    if (t.dims[0] % info->block_elems != 0) {
      c.fail(where + ": row length " + std::to_string(t.dims[0]) + " is not a multiple of the " +
             std::string(info->name) + " block size " + std::to_string(info->block_elems));
    }
    if (mul_overflows(n_elems / info->block_elems, info->block_bytes, &t.nbytes)) {
      c.fail(where + ": byte size of shape " + shape() + " overflows 64 bits");
    }
    t.offset = c.read<uint64_t>(where + " offset");  // relative for now
    tensor_index_.emplace(name, tensors_.size());  // views into the mapping stay valid
    tensors_.push_back(std::move(t));
  }

  const uint64_t header_end = c.pos();
  data_offset_ = (header_end + alignment_ - 1) / alignment_ * alignment_;
  if (n_tensors == 0) return;  // vocab-only files need no data section
  const uint64_t file_size = map_.size();
  if (data_offset_ > file_size) {
    c.fail("data section starts at offset " + std::to_string(data_offset_) +
           ", past end of file (size " + std::to_string(file_size) + ")");
  }
  for (auto& t : tensors_) {
    const std::string where = "tensor " + printable(t.name);
    if (t.offset % alignment_ != 0) {
      c.fail(where + ": data offset " + std::to_string(t.offset) +
             " is misaligned (not a multiple of the alignment " + std::to_string(alignment_) + ")");
    }
    const uint64_t room = file_size - data_offset_;
    if (t.offset > room || t.nbytes > room - t.offset) {
      uint64_t abs = 0;
      const std::string at = __builtin_add_overflow(data_offset_, t.offset, &abs)
                                 ? "data section + " + std::to_string(t.offset)
                                 : std::to_string(abs);
      c.fail(where + ": data [offset " + at + ", " + std::to_string(t.nbytes) +
             " bytes] extends past end of file (size " + std::to_string(file_size) + ")");
    }
    t.offset += data_offset_;
    t.data = map_.data() + t.offset;
  }
  std::vector<size_t> order(tensors_.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const TensorInfo& prev = tensors_[order[k - 1]];
    const TensorInfo& cur = tensors_[order[k]];
    if (prev.offset + prev.nbytes > cur.offset) {
      c.fail("tensors " + printable(prev.name) + " and " + printable(cur.name) +
             " overlap in the data section (offsets " + std::to_string(prev.offset) + " and " +
             std::to_string(cur.offset) + ")");
    }
  }
}

const Value* File::find(std::string_view key) const {
  const auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

std::optional<std::string_view> File::get_str(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr || v->type != ValueType::STRING) return std::nullopt;
  return v->str;
}

std::optional<uint64_t> File::get_uint(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return std::nullopt;
  return v->as_uint;
}

std::optional<int64_t> File::get_int(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return std::nullopt;
  return v->as_int;
}

std::optional<double> File::get_float(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (v->as_float) return v->as_float;
  if (v->as_int) return double(*v->as_int);
  if (v->as_uint) return double(*v->as_uint);
  return std::nullopt;
}

std::optional<bool> File::get_bool(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr || v->type != ValueType::BOOL) return std::nullopt;
  return v->as_bool;
}

namespace {

[[noreturn]] void key_error(const File& f, std::string_view key, const char* expected) {
  const Value* v = f.find(key);
  if (v == nullptr) throw Error(f.path() + ": missing key '" + std::string(key) + "'");
  throw Error(f.path() + ": key '" + std::string(key) + "' has type " +
              std::string(value_type_name(v->type)) + ", expected " + expected);
}

}  // namespace

std::string_view File::req_str(std::string_view key) const {
  if (auto v = get_str(key)) return *v;
  key_error(*this, key, "string");
}

uint64_t File::req_uint(std::string_view key) const {
  if (auto v = get_uint(key)) return *v;
  key_error(*this, key, "a non-negative integer");
}

double File::req_float(std::string_view key) const {
  if (auto v = get_float(key)) return *v;
  key_error(*this, key, "a number");
}

const TensorInfo* File::tensor(std::string_view name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace minnow::gguf
