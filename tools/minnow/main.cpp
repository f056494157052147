// minnow: command-line front end. Dispatches to one function per subcommand; every user-facing
// error (minnow::Error) becomes one line on stderr and exit code 1.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>

#include "commands.h"
#include "util/error.h"

namespace {

struct Command {
  std::string_view name;
  int (*fn)(int, char**);
  std::string_view help;
};

constexpr Command kCommands[] = {
    {"run", minnow::cli::cmd_run, "run MODEL.gguf [-p PROMPT] [-n N] [--temp T] [--seed S] [-t THREADS] [-c CTX]"},
    {"tokenize", minnow::cli::cmd_tokenize, "tokenize MODEL.gguf --file F [--parse-special] [--add-special]"},
    {"synth", minnow::cli::cmd_synth, "synth CONFIG OUT.gguf --vocab VOCAB.gguf [--type T] [--seed S]"},
    {"quantize", minnow::cli::cmd_quantize, "quantize IN.gguf OUT.gguf TYPE"},
    {"template", minnow::cli::cmd_template, "template render (--template F | --model M) --messages M.json [--no-gen] [--bos S] [--eos S]"},
    {"bench", minnow::cli::cmd_bench, "bench MODEL.gguf [-p 512] [-n 128] [-t 1,2] [-r 3] [-c 4096] [--json] [--peer llama.cpp]"},
    {"bench-worker", minnow::cli::cmd_bench_worker, ""},  // internal: one measured run of bench
};

void usage(FILE* out) {
  std::fprintf(out, "usage: minnow COMMAND [ARGS]\n\ncommands:\n");
  for (const auto& c : kCommands)
    if (!c.help.empty()) std::fprintf(out, "  %.*s\n", int(c.help.size()), c.help.data());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  for (const auto& c : kCommands) {
    if (c.name == argv[1]) {
      try {
        return c.fn(argc - 1, argv + 1);
      } catch (const minnow::Error& e) {
        std::fprintf(stderr, "minnow: error: %s\n", e.what());
        return 1;
      } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "minnow: error: out of memory\n");
        return 1;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "minnow: internal error: %s\n", e.what());
        return 2;
      }
    }
  }
  std::fprintf(stderr, "minnow: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 1;
}
