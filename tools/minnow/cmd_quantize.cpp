// minnow quantize IN.gguf OUT.gguf TYPE — converts tensor by tensor (never the whole model in
// memory): each source row is dequantized to f32 and requantized to the type llama.cpp's
// quantizer would choose for that tensor under TYPE (a plain type or a mix like Q4_K_M).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "gguf/gguf.h"
#include "quant/mix.h"
#include "quant/quant.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace minnow::cli {

int cmd_quantize(int argc, char** argv) {
  Args args(argc, argv);
  const int n_threads = int(args.integer({"-t", "--threads"}, 1, 1024).value_or(default_thread_count()));
  const auto pos = args.positionals();
  if (pos.size() != 3) throw Error("usage: minnow quantize IN.gguf OUT.gguf TYPE [-t THREADS]");
  if (pos[0] == pos[1]) throw Error("the output must be a different file from the input");
  const auto mix = quant_mix_from_name(pos[2]);
  if (!mix) throw Error("unknown type '" + pos[2] + "' (plain types like q8_0, or mixes like Q4_K_M)");
  const auto in = gguf::File::open(pos[0]);
  const std::string arch(in->get_str("general.architecture").value_or(""));
  MixModelInfo info;
  info.n_layer = int(in->get_uint(arch + ".block_count").value_or(0));
  info.n_head = uint32_t(in->get_uint(arch + ".attention.head_count").value_or(0));
  info.n_head_kv = uint32_t(in->get_uint(arch + ".attention.head_count_kv").value_or(info.n_head));

  std::vector<TensorDesc> descs;
  for (const auto& t : in->tensors()) {
    if (!dtype_info(t.type).weight_type)
      throw Error(pos[0] + ": tensor '" + t.name + "' has type " + std::string(dtype_info(t.type).name) + ", which cannot be converted");
    descs.push_back({t.name, t.type, int(t.dims.size()), int64_t(t.dims[0])});
  }
  const auto types = plan_tensor_types(*mix, info, descs);

  const auto t0 = std::chrono::steady_clock::now();
  gguf::Writer w(pos[1], uint32_t(in->alignment()));
  for (const auto& [key, value] : in->kv())
    if (key != "general.alignment" && key != "general.file_type") w.copy_kv(key, value);
  w.set_u32("general.file_type", uint32_t(*mix));
  for (size_t i = 0; i < types.size(); ++i) w.add_tensor(in->tensors()[i].name, types[i], in->tensors()[i].dims);
  w.write_header();

  ThreadPool pool(n_threads);
  std::vector<float> rows_f32;
  std::vector<uint8_t> out;
  for (size_t i = 0; i < types.size(); ++i) {
    const auto& t = in->tensors()[i];
    const uint64_t cols = t.dims[0], rows = t.n_elems / cols;
    if (types[i] == t.type) {  // unchanged: copy the bytes
      w.write_tensor_data(std::span<const uint8_t>(t.data, size_t(t.nbytes)));
      continue;
    }
    const size_t src_rb = row_bytes(dtype_info(t.type), cols), dst_rb = row_bytes(dtype_info(types[i]), cols);
    out.resize(dst_rb * size_t(rows));
    rows_f32.resize(size_t(cols) * size_t(pool.size()));
    pool.run([&](int tid) {
      float* row = rows_f32.data() + size_t(tid) * cols;
      const uint64_t r0 = rows * uint64_t(tid) / uint64_t(pool.size());
      const uint64_t r1 = rows * uint64_t(tid + 1) / uint64_t(pool.size());
      for (uint64_t r = r0; r < r1; ++r) {
        dequantize_row(t.type, t.data + r * src_rb, row, int64_t(cols));
        quantize_row(types[i], row, out.data() + r * dst_rb, int64_t(cols));
      }
    });
    w.write_tensor_data(out);
  }
  w.finish();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "quantized %s -> %s (%s) in %.1f s\n", pos[0].c_str(), pos[1].c_str(),
               std::string(quant_mix_name(*mix)).c_str(), s);
  return 0;
}

}  // namespace minnow::cli
