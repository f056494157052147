#pragma once
// One function per subcommand; argv[0] is the subcommand name. Return the process exit code.
namespace minnow::cli {

int cmd_run(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);
int cmd_synth(int argc, char** argv);
int cmd_quantize(int argc, char** argv);
int cmd_template(int argc, char** argv);

}  // namespace minnow::cli
