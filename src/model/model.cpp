#include "model/model.h"

#include <algorithm>

#include <string>

#include "ops/ops.h"
#include "quant/quant.h"
#include "util/error.h"
#include "util/thread_pool.h"

namespace minnow {
namespace {

// Reads metadata and checks tensors for one file; all errors name the file.
class Loader {
 public:
  explicit Loader(const gguf::File& f) : f_(f) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error(f_.path() + ": " + what); }

  int req_int(const std::string& key, uint64_t max = 1u << 30) const {
    const auto v = f_.get_uint(key);
    if (!v) fail("missing or non-integer metadata key '" + key + "'");
    if (*v == 0 || *v > max) fail("metadata '" + key + "' = " + std::to_string(*v) + " is out of range");
    return int(*v);
  }

  int opt_int(const std::string& key, int fallback, uint64_t max = 1u << 30) const {
    return f_.find(key) ? req_int(key, max) : fallback;
  }

  float opt_float(const std::string& key, float fallback) const {
    const auto v = f_.get_float(key);
    if (!f_.find(key)) return fallback;
    if (!v) fail("metadata '" + key + "' is not a number");
    return float(*v);
  }

  const gguf::TensorInfo* find(const std::string& name) const { return f_.tensor(name); }

  const gguf::TensorInfo& require(const std::string& name) const {
    const auto* t = find(name);
    if (!t) fail("missing tensor '" + name + "'");
    return *t;
  }

  void check_shape(const gguf::TensorInfo& t, std::vector<uint64_t> want) const {
    if (t.dims != want) {
      auto str = [](const std::vector<uint64_t>& d) {
        std::string s = "[";
        for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
        return s + "]";
      };
      fail("tensor '" + t.name + "' has shape " + str(t.dims) + ", expected " + str(want));
    }
  }

  WeightView matrix(const std::string& name, int64_t cols, int64_t rows) const {
    return view(require(name), cols, rows);
  }

  WeightView view(const gguf::TensorInfo& t, int64_t cols, int64_t rows) const {
    check_shape(t, {uint64_t(cols), uint64_t(rows)});
    const auto& info = dtype_info(t.type);
    if (!info.weight_type) fail("tensor '" + t.name + "' has type " + std::string(info.name) + ", which Minnow cannot compute with");
    WeightView w;
    w.type = t.type;
    w.data = t.data;
    w.rows = rows;
    w.cols = cols;
    w.row_bytes = row_bytes(info, uint64_t(cols));
    return w;
  }

  std::vector<float> vec(const std::string& name, int64_t n, bool required = true) const {
    const auto* t = find(name);
    if (!t) {
      if (required) fail("missing tensor '" + name + "'");
      return {};
    }
    check_shape(*t, {uint64_t(n)});
    if (!dtype_info(t->type).weight_type) fail("tensor '" + name + "' has an unsupported type");
    std::vector<float> out(static_cast<size_t>(n));
    dequantize_row(t->type, t->data, out.data(), n);
    return out;
  }

 private:
  const gguf::File& f_;
};

// Column panels for packed matrix w (KernelTable::panel_cols): 0 where its rows stay whole, or
// where the weight or activation format would not split at a panel edge by plain offsets.
int64_t panel_cols_for(const WeightView& w, const kernels::KernelTable& kt) {
  constexpr int64_t kAlign = 256;  // a whole block of every type, K-quants included
  const int64_t width = panel_width(w.cols, kt.panel_cols, kAlign);
  if (width == 0) return 0;
  const kernels::PackedKernels& pk = kt.for_type(w.type).packed;
  const int64_t rest = w.cols - width;
  const auto act_splits = [&](kernels::ActBytesFn bytes) {
    return !bytes || bytes(width) + bytes(rest) == bytes(w.cols);
  };
  const bool splits = row_bytes(w.type, uint64_t(width)) + row_bytes(w.type, uint64_t(rest)) == w.row_bytes &&
                      act_splits(pk.act_row_bytes) && act_splits(pk.wide.act_row_bytes);
  return splits ? width : 0;
}

}  // namespace

std::unique_ptr<Model> Model::load(const std::string& path, const kernels::KernelTable* pack_for, ThreadPool* pool,
                                   const PackCacheOptions* cache) {
  auto model = std::unique_ptr<Model>(new Model());
  model->file_ = gguf::File::open(path);
  const gguf::File& f = *model->file_;
  Loader ld(f);

  const auto arch_name = f.get_str("general.architecture");
  if (!arch_name) ld.fail("missing metadata key 'general.architecture'");
  const auto spec = arch_from_gguf_name(*arch_name);
  if (!spec) ld.fail("unsupported architecture '" + std::string(*arch_name) + "' (supported: llama, qwen2, qwen3)");
  model->spec_ = *spec;
  const std::string a(*arch_name);

  HParams& hp = model->hp_;
  hp.n_embd = ld.req_int(a + ".embedding_length", 1 << 16);
  hp.n_layer = ld.req_int(a + ".block_count", 1024);
  hp.n_ff = ld.req_int(a + ".feed_forward_length", 1 << 20);
  hp.n_head = ld.req_int(a + ".attention.head_count", 1024);
  hp.n_head_kv = ld.opt_int(a + ".attention.head_count_kv", hp.n_head, 1024);
  hp.n_ctx_train = ld.opt_int(a + ".context_length", 4096, 1u << 24);
  if (hp.n_head % hp.n_head_kv != 0)
    ld.fail("head_count " + std::to_string(hp.n_head) + " is not a multiple of head_count_kv " + std::to_string(hp.n_head_kv));
  hp.head_dim = ld.opt_int(a + ".attention.key_length", hp.n_embd / hp.n_head, 1 << 12);
  const int v_dim = ld.opt_int(a + ".attention.value_length", hp.head_dim, 1 << 12);
  if (v_dim != hp.head_dim) ld.fail("key_length != value_length is not supported");
  if (hp.head_dim % 2 != 0) ld.fail("head dimension must be even for rope");
  const int n_rot = ld.opt_int(a + ".rope.dimension_count", hp.head_dim, 1 << 12);
  if (n_rot != hp.head_dim) ld.fail("partial rotary embedding (rope.dimension_count != head dim) is not supported");
  hp.rms_eps = ld.opt_float(a + ".attention.layer_norm_rms_epsilon", spec->default_rms_eps);
  hp.rope_base = ld.opt_float(a + ".rope.freq_base", spec->default_rope_base);
  if (!(hp.rope_base > 0.0f)) ld.fail("rope.freq_base must be positive");
  if (f.find(a + ".rope.scaling.type")) {
    const auto type = f.get_str(a + ".rope.scaling.type");
    if (!type || (*type != "none" && *type != "linear"))
      ld.fail("rope scaling type '" + std::string(type.value_or("?")) + "' is not supported");
    if (*type == "linear" && ld.opt_float(a + ".rope.scaling.factor", 1.0f) != 1.0f)
      ld.fail("linear rope scaling is not supported");
  }

  const auto& embd = ld.require("token_embd.weight");
  if (embd.dims.size() != 2) ld.fail("tensor 'token_embd.weight' must be 2-D");
  hp.n_vocab = int(embd.dims[1]);
  if (const auto* tokens = f.find("tokenizer.ggml.tokens"); tokens && tokens->count != uint64_t(hp.n_vocab))
    ld.fail("vocabulary has " + std::to_string(tokens->count) + " tokens but token_embd.weight has " + std::to_string(hp.n_vocab) + " rows");

  model->token_embd = ld.view(embd, hp.n_embd, hp.n_vocab);
  model->output_norm = ld.vec("output_norm.weight", hp.n_embd);
  if (const auto* out = ld.find("output.weight")) {
    model->output = ld.view(*out, hp.n_embd, hp.n_vocab);
  } else {
    model->output = model->token_embd;
    model->tied_output = true;
  }
  model->rope_freqs = ld.vec("rope_freqs.weight", hp.head_dim / 2, false);

  model->layers.resize(size_t(hp.n_layer));
  for (int il = 0; il < hp.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    LayerWeights& L = model->layers[size_t(il)];
    L.attn_norm = ld.vec(p + "attn_norm.weight", hp.n_embd);
    L.wq = ld.matrix(p + "attn_q.weight", hp.n_embd, hp.q_dim());
    L.wk = ld.matrix(p + "attn_k.weight", hp.n_embd, hp.kv_dim());
    L.wv = ld.matrix(p + "attn_v.weight", hp.n_embd, hp.kv_dim());
    L.wo = ld.matrix(p + "attn_output.weight", hp.q_dim(), hp.n_embd);
    if (spec->qkv_bias) {
      L.bq = ld.vec(p + "attn_q.bias", hp.q_dim());
      L.bk = ld.vec(p + "attn_k.bias", hp.kv_dim());
      L.bv = ld.vec(p + "attn_v.bias", hp.kv_dim());
    }
    if (spec->qk_norm) {
      L.q_norm = ld.vec(p + "attn_q_norm.weight", hp.head_dim);
      L.k_norm = ld.vec(p + "attn_k_norm.weight", hp.head_dim);
    }
    L.ffn_norm = ld.vec(p + "ffn_norm.weight", hp.n_embd);
    L.w_gate = ld.matrix(p + "ffn_gate.weight", hp.n_embd, hp.n_ff);
    L.w_up = ld.matrix(p + "ffn_up.weight", hp.n_embd, hp.n_ff);
    L.w_down = ld.matrix(p + "ffn_down.weight", hp.n_ff, hp.n_embd);
  }
  if (pack_for) model->pack_weights(*pack_for, pool, cache);
  return model;
}

void Model::pack_weights(const kernels::KernelTable& kt, ThreadPool* pool, const PackCacheOptions* cache) {
  // Every packed matrix goes into one buffer: it starts on a huge-page boundary and is mostly
  // whole huge pages, where one buffer per matrix left the small ones (wq, wk, wv, wo) and
  // every buffer's ragged ends on 4 KiB pages.
  constexpr uint64_t kAlign = 64;
  std::vector<WeightView*> todo;
  std::vector<PackedMatrix> plan;
  uint64_t total = 0;
  auto add = [&](WeightView& w) {
    const kernels::PackedKernels& pk = kt.for_type(w.type).packed;
    if (pk.rows == 0 || w.rows % pk.rows != 0 || w.packed) return;
    if (std::find(todo.begin(), todo.end(), &w) != todo.end()) return;
    const uint64_t bytes = w.row_bytes * uint64_t(w.rows);
    todo.push_back(&w);
    plan.push_back({static_cast<uint32_t>(w.type), w.rows, w.cols, total, bytes, panel_cols_for(w, kt)});
    total += (bytes + kAlign - 1) / kAlign * kAlign;
  };
  for (LayerWeights& L : layers)
    for (WeightView* w : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) add(*w);
  add(output);
  if (todo.empty()) return;

  std::unique_ptr<PackCache> pc;
  if (cache != nullptr && !cache->dir.empty()) pc = std::make_unique<PackCache>(*cache, file_->identity(), kt, plan, total);
  const uint8_t* packed = nullptr;
  if (pc) {
    packed_file_ = pc->open(pool);
    if (packed_file_) packed = packed_file_->base() + pc->data_offset();
  }
  if (packed == nullptr) {
    // Packed into fresh memory (huge pages), then written to a new cache file when there is a
    // cache (pack_cache.h: large writes leave it in page-cache folios a later load maps as huge
    // pages, and no shared writable mapping can meet a full disk).
    packed_.emplace_back(size_t(total));
    uint8_t* out = packed_.back().data();
    for (size_t i = 0; i < todo.size(); ++i) {
      const WeightView& w = *todo[i];
      const kernels::PackedKernels& pk = kt.for_type(w.type).packed;
      const size_t group = w.row_bytes * size_t(pk.rows);
      WeightView to = w;  // the packed copy
      to.data = out + plan[i].offset;
      to.packed = &pk;
      to.panel_cols = plan[i].panel_cols;
      // The file pages of what is packed leave the resident set as the packing goes, so the
      // load's peak holds about one copy of the weights even for a matrix as large as the
      // output (151936 rows for Qwen2), not the file's and the packed one.
      const auto pack_groups = [&](int64_t g0, int64_t g1) {
        constexpr int64_t kDropEvery = 64;  // groups
        for (int64_t g = g0; g < g1; g += kDropEvery) {
          const int64_t end = std::min(g1, g + kDropEvery);
          for (int64_t k = g; k < end; ++k) ops::pack_group(w, to, k);
          file_->drop_pages(w.data + size_t(g) * group, size_t(end - g) * group);
        }
      };
      const int64_t n_groups = w.rows / pk.rows;
      if (pool) pool->parallel_for(n_groups, 1, pack_groups);
      else pack_groups(0, n_groups);
      file_->drop_pages(w.data, plan[i].bytes);  // the pages that straddled two pieces
    }
    if (pc) pc->store(out, pool);
    packed = out;
  }
  for (size_t i = 0; i < todo.size(); ++i) {
    WeightView& w = *todo[i];
    w.data = packed + plan[i].offset;
    w.packed = &kt.for_type(w.type).packed;
    w.panel_cols = plan[i].panel_cols;
  }
  if (pc) pack_cache_status_ = pc->status();
  if (tied_output) token_embd = output;
}

size_t Model::packed_bytes() const {
  size_t total = 0;
  for (const AnonBuffer& b : packed_) total += b.size();
  if (packed_file_) total += packed_file_->size();
  return total;
}

size_t Model::weight_bytes() const {
  size_t total = 0;
  for (const auto& t : file_->tensors()) total += t.nbytes;
  return total;
}

}  // namespace minnow
