#include "repl.h"

#include "util/error.h"

namespace minnow::cli {

int run_repl(Engine&, const SamplerParams&, const ReplOptions&) {
  throw Error("interactive chat is not available yet: give a prompt with -p");
}

}  // namespace minnow::cli
