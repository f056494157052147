#pragma once
// Per-sequence key/value cache in f16. Per layer, K is [n_ctx][n_head_kv * head_dim] (a row per
// position) and V is transposed, [n_head_kv * head_dim][n_ctx], so that both attention products
// are row-major GEMMs over contiguous rows.
#include <cstdint>
#include <vector>

#include "model/model.h"

namespace minnow {

struct KVCache {
  int n_ctx = 0;
  int64_t row = 0;  // elements per position: n_head_kv * head_dim
  std::vector<std::vector<uint16_t>> k, v;  // [n_layer][n_ctx * row]; v transposed (see above)

  KVCache(const HParams& hp, int n_ctx_)
      : n_ctx(n_ctx_), row(int64_t(hp.n_head_kv) * hp.head_dim),
        k(size_t(hp.n_layer), std::vector<uint16_t>(size_t(n_ctx_) * size_t(row))),
        v(size_t(hp.n_layer), std::vector<uint16_t>(size_t(n_ctx_) * size_t(row))) {}

  static size_t bytes_for(const HParams& hp, int n_ctx) {
    return size_t(2) * size_t(hp.n_layer) * size_t(n_ctx) * size_t(hp.n_head_kv) *
           size_t(hp.head_dim) * sizeof(uint16_t);
  }
};

}  // namespace minnow
