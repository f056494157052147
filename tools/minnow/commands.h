#pragma once
// One function per subcommand; argv[0] is the subcommand name. Return the process exit code.
namespace minnow::cli {

int cmd_run(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);
int cmd_synth(int argc, char** argv);
int cmd_quantize(int argc, char** argv);
int cmd_template(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_bench_worker(int argc, char** argv);  // hidden: one measured run for cmd_bench

}  // namespace minnow::cli
