// minnow tokenize MODEL.gguf --file F [--parse-special] [--add-special]
// Prints the token ids of F's whole content on one line. Reads only the GGUF metadata, so
// vocab-only files work.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "args.h"
#include "commands.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace minnow::cli {

int cmd_tokenize(int argc, char** argv) {
  Args args(argc, argv);
  const auto file = args.value({"-f", "--file"});
  const bool parse_special = args.flag({"--parse-special"});
  const bool add_special = args.flag({"--add-special"});
  const auto pos = args.positionals();
  if (pos.size() != 1) throw Error("usage: minnow tokenize MODEL.gguf --file F [--parse-special] [--add-special]");
  if (!file) throw Error("tokenize: --file is required");

  std::ifstream in(*file, std::ios::binary);
  if (!in) throw Error("cannot open '" + *file + "'");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error("cannot read '" + *file + "'");

  const auto gguf = gguf::File::open(pos[0]);
  const auto tok = Tokenizer::from_gguf(*gguf);
  std::string line;
  for (int32_t id : tok->encode(text, add_special, parse_special)) {
    if (!line.empty()) line.push_back(' ');
    line.append(std::to_string(id));
  }
  line.push_back('\n');
  if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() || std::fflush(stdout) != 0)
    throw Error("tokenize: cannot write to stdout");
  return 0;
}

}  // namespace minnow::cli
