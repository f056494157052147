#include "bench/child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "util/error.h"

namespace minnow::cli::bench {

namespace {

// The result pipe's write end in the child: above stdin/stdout/stderr.
constexpr int kResultFd = 3;

struct Fd {
  int fd = -1;
  ~Fd() { close_now(); }
  void close_now() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, size_t(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  return out;
}

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_worker(int pipe_write, const std::vector<char*>& argv) {
  if (pipe_write != kResultFd) {
    if (::dup2(pipe_write, kResultFd) < 0) ::_exit(126);
    ::close(pipe_write);
  } else {
    ::fcntl(kResultFd, F_SETFD, 0);  // keep it across exec
  }
  // The worker's stdout must not mix into the bench's own output (JSON lines): send it to stderr.
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  ::execv("/proc/self/exe", argv.data());
  ::_exit(127);
}

}  // namespace

ChildRun run_child(WorkerOptions w) {
  w.result_fd = kResultFd;
  std::vector<std::string> args = worker_args(w);
  args.insert(args.begin(), "minnow");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("bench: pipe failed: ") + std::strerror(errno));
  Fd read_end{fds[0]}, write_end{fds[1]};

  ChildRun run;
  const double t_fork = monotonic_seconds();
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(std::string("bench: fork failed: ") + std::strerror(errno));
  if (pid == 0) exec_worker(write_end.fd, argv);
  write_end.close_now();

  const std::string output = read_all(read_end.fd);
  int status = 0;
  rusage usage{};
  pid_t got;
  do {
    got = ::wait4(pid, &status, 0, &usage);
  } while (got < 0 && errno == EINTR);
  run.wall_s = monotonic_seconds() - t_fork;
  if (got != pid) throw Error(std::string("bench: wait4 failed: ") + std::strerror(errno));

  const std::string what = w.engine + " run (" + std::to_string(w.n_threads) + (w.n_threads == 1 ? " thread)" : " threads)");
  const size_t nl = output.find('\n');
  const std::string line = output.substr(0, nl);
  if (!line.empty()) {
    run.result = from_json_line(line);
    if (!run.result.error.empty()) throw Error(what + " failed: " + run.result.error);
  }
  if (WIFSIGNALED(status))
    throw Error(what + " was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                strsignal(WTERMSIG(status)) + ")");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(what + " failed with exit code " + std::to_string(WEXITSTATUS(status)));
  if (line.empty()) throw Error(what + " reported no result");
  run.peak_rss_bytes = uint64_t(usage.ru_maxrss) * 1024;  // Linux reports KiB
  run.ttft_s = run.result.first_token_mono_s - t_fork;
  return run;
}

}  // namespace minnow::cli::bench
