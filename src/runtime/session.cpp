#include "runtime/session.h"

#include <algorithm>
#include <string>

#include "util/error.h"

namespace minnow {

namespace {

// Checked before any buffer is sized from them.
const SessionOptions& validated(const SessionOptions& opt) {
  if (opt.n_ctx <= 0) throw Error("context size must be positive");
  if (opt.n_batch <= 0) throw Error("batch size must be positive");
  return opt;
}

}  // namespace

Session::Session(const Model& model, const ExecContext& ctx, const SessionOptions& opt)
    : model_(model), ctx_(ctx), opt_(validated(opt)), cache_(model.hparams(), opt_.n_ctx),
      scratch_(model.hparams(), opt_.n_batch, opt_.n_ctx, ctx.pool.size()) {}

void Session::check_fits(size_t n_new) const {
  if (tokens_.size() + n_new > size_t(opt_.n_ctx))
    throw Error("input of " + std::to_string(n_new) + " tokens does not fit: " +
                std::to_string(tokens_.size()) + " of " + std::to_string(opt_.n_ctx) +
                " context positions are in use (raise -c/--ctx-size)");
}

std::span<const float> Session::eval(std::span<const int32_t> tokens) {
  check_fits(tokens.size());
  const int n_vocab = model_.hparams().n_vocab;
  for (int32_t t : tokens)
    if (t < 0 || t >= n_vocab) throw Error("token id " + std::to_string(t) + " is outside the vocabulary");
  for (size_t i = 0; i < tokens.size(); i += size_t(scratch_.max_batch)) {
    const auto chunk = tokens.subspan(i, std::min(tokens.size() - i, size_t(scratch_.max_batch)));
    forward(ctx_, model_, cache_, scratch_, chunk, int64_t(tokens_.size()), false, logits_);
    tokens_.insert(tokens_.end(), chunk.begin(), chunk.end());
  }
  return logits_;
}

std::vector<float> Session::eval_all(std::span<const int32_t> tokens) {
  check_fits(tokens.size());
  const size_t n_vocab = size_t(model_.hparams().n_vocab);
  std::vector<float> all;
  all.reserve(tokens.size() * n_vocab);
  for (size_t i = 0; i < tokens.size(); i += size_t(scratch_.max_batch)) {
    const auto chunk = tokens.subspan(i, std::min(tokens.size() - i, size_t(scratch_.max_batch)));
    forward(ctx_, model_, cache_, scratch_, chunk, int64_t(tokens_.size()), true, logits_);
    tokens_.insert(tokens_.end(), chunk.begin(), chunk.end());
    all.insert(all.end(), logits_.begin(), logits_.end());
  }
  return all;
}

void Session::truncate(size_t n) {
  if (n < tokens_.size()) tokens_.resize(n);
}

}  // namespace minnow
