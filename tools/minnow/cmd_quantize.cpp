// minnow quantize IN.gguf OUT.gguf TYPE — converts tensor by tensor (never the whole model in
// memory): each source row is dequantized to f32 and requantized to the chosen type.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "gguf/gguf.h"
#include "quant/quant.h"
#include "tensor_types.h"
#include "util/error.h"

namespace minnow::cli {

int cmd_quantize(int argc, char** argv) {
  Args args(argc, argv);
  const auto pos = args.positionals();
  if (pos.size() != 3) throw Error("usage: minnow quantize IN.gguf OUT.gguf TYPE");
  if (pos[0] == pos[1]) throw Error("output must differ from input");
  const auto in = gguf::File::open(pos[0]);
  const auto arch = in->get_str("general.architecture");
  const int n_layer = arch ? int(in->get_uint(std::string(*arch) + ".block_count").value_or(0)) : 0;
  const auto choose = make_tensor_type_chooser(pos[2], n_layer);

  const auto t0 = std::chrono::steady_clock::now();
  gguf::Writer w(pos[1], uint32_t(in->alignment()));
  for (const auto& [key, value] : in->kv())
    if (key != "general.alignment") w.copy_kv(key, value);
  std::vector<DType> types;
  for (const auto& t : in->tensors()) {
    DType type = t.dims.size() == 1 ? DType::F32 : choose(t.name, t.dims);
    if (t.dims[0] % dtype_info(type).block_elems != 0) type = DType::F16;  // rows too short to block
    types.push_back(type);
    w.add_tensor(t.name, type, t.dims);
  }
  w.write_header();
  std::vector<float> row;
  std::vector<uint8_t> out;
  for (size_t i = 0; i < in->tensors().size(); ++i) {
    const auto& t = in->tensors()[i];
    const auto& src = dtype_info(t.type);
    const auto& dst = dtype_info(types[i]);
    if (!src.weight_type) throw Error(pos[0] + ": tensor '" + t.name + "' has type " + std::string(src.name) + ", which cannot be converted");
    const uint64_t cols = t.dims[0], rows = t.n_elems / cols;
    const size_t src_rb = row_bytes(src, cols), dst_rb = row_bytes(dst, cols);
    row.resize(size_t(cols));
    out.resize(dst_rb * size_t(rows));
    for (uint64_t r = 0; r < rows; ++r) {
      dequantize_row(t.type, t.data + r * src_rb, row.data(), int64_t(cols));
      quantize_row(types[i], row.data(), out.data() + r * dst_rb, int64_t(cols));
    }
    w.write_tensor_data(out);
  }
  w.finish();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "quantized %s -> %s (%s) in %.1f s\n", pos[0].c_str(), pos[1].c_str(), pos[2].c_str(), s);
  return 0;
}

}  // namespace minnow::cli
