#include "bench/model_info.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

#include "gguf/gguf.h"
#include "quant/types.h"

namespace minnow::cli::bench {

namespace {

// llama.cpp's file type numbers (general.file_type), as its model descriptions name them.
std::string file_type_name(uint64_t ft) {
  static const std::map<uint64_t, const char*> names = {
      {0, "F32"},     {1, "F16"},     {2, "Q4_0"},    {3, "Q4_1"},    {7, "Q8_0"},
      {8, "Q5_0"},    {9, "Q5_1"},    {10, "Q2_K"},   {11, "Q3_K_S"}, {12, "Q3_K_M"},
      {13, "Q3_K_L"}, {14, "Q4_K_S"}, {15, "Q4_K_M"}, {16, "Q5_K_S"}, {17, "Q5_K_M"},
      {18, "Q6_K"},   {21, "Q2_K_S"}, {32, "BF16"},
  };
  const auto it = names.find(ft);
  return it == names.end() ? "ftype " + std::to_string(ft) : it->second;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Without general.file_type: the most common type among the matrices of the transformer blocks
// (embedding and output often differ on purpose); "mix" when the blocks use several.
std::string guess_type(const gguf::File& f) {
  std::map<DType, int> count;
  for (const auto& t : f.tensors())
    if (t.dims.size() >= 2 && t.name.rfind("blk.", 0) == 0) ++count[t.type];
  if (count.empty()) return "?";
  const auto top = std::max_element(count.begin(), count.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
  const std::string name = upper(dtype_info(top->first).name);
  return count.size() > 1 ? name + " mix" : name;
}

}  // namespace

ModelInfo read_model_info(const std::string& path) {
  const auto file = gguf::File::open(path);
  ModelInfo m;
  m.path = path;
  const gguf::TensorInfo* embd = nullptr;
  bool has_output = false;
  for (const auto& t : file->tensors()) {
    m.size_bytes += t.nbytes;
    m.n_params += t.n_elems;
    if (t.name == "token_embd.weight") embd = &t;
    if (t.name == "output.weight") has_output = true;
  }
  m.decode_read_bytes = m.size_bytes - (embd && has_output ? embd->nbytes : 0);
  const std::string arch(file->get_str("general.architecture").value_or("?"));
  m.label = arch + " " + format_params(m.n_params);
  const auto ft = file->get_uint("general.file_type");
  m.type = ft ? file_type_name(*ft) : guess_type(*file);
  return m;
}

std::string format_bytes(uint64_t bytes) {
  char buf[32];
  if (bytes >= (uint64_t(1) << 30)) {
    std::snprintf(buf, sizeof buf, "%.2f GiB", double(bytes) / double(1 << 30));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / double(1 << 20));
  }
  return buf;
}

std::string format_params(uint64_t n) {
  char buf[32];
  if (n >= 1000000000) {
    std::snprintf(buf, sizeof buf, "%.1fB", double(n) / 1e9);
  } else if (n >= 1000000) {
    std::snprintf(buf, sizeof buf, "%.0fM", double(n) / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.0fK", double(n) / 1e3);
  }
  return buf;
}

}  // namespace minnow::cli::bench
