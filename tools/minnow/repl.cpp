#include "repl.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include <editline/readline.h>
#include <nlohmann/json.hpp>

#include "chat/reasoning.h"
#include "chat/template.h"
#include "model_chat.h"
#include "repl_commands.h"
#include "repl_prompt.h"
#include "runtime/generate.h"
#include "util/error.h"

namespace minnow::cli {

namespace {

// Set by Ctrl-C, read by the streaming callback and the prompt loop. It is process-wide because
// a signal handler can reach nothing but objects of static storage duration; a lock-free atomic
// is the one kind of such object it may safely write. Only SigintGuard installs the handler.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void on_sigint(int) { g_interrupted.store(true, std::memory_order_relaxed); }

// Routes SIGINT to g_interrupted for its lifetime and restores the previous handler after.
class SigintGuard {
 public:
  SigintGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a Ctrl-C at the prompt must end the blocked read
    sigaction(SIGINT, &sa, &previous_);
  }
  ~SigintGuard() { sigaction(SIGINT, &previous_, nullptr); }
  SigintGuard(const SigintGuard&) = delete;
  SigintGuard& operator=(const SigintGuard&) = delete;

 private:
  struct sigaction previous_ {};
};

// libedit's readline with the history kept in ~/.minnow_history (best effort: a missing HOME or
// an unwritable file only loses the history).
class LineReader {
 public:
  enum class Status { kLine, kEof, kInterrupted };

  LineReader() {
    rl_catch_signals = 0;  // our SIGINT handler decides what Ctrl-C means
    using_history();
    stifle_history(1000);
    if (const char* home = std::getenv("HOME"); home && *home) {
      path_ = std::string(home) + "/.minnow_history";
      read_history(path_.c_str());
    }
  }
  ~LineReader() {
    if (!path_.empty()) write_history(path_.c_str());
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  Status read(const char* prompt, std::string& line) {
    std::fflush(stdout);
    std::fflush(stderr);
    char* s = readline(prompt);
    if (!s) return g_interrupted.exchange(false) ? Status::kInterrupted : Status::kEof;
    line = s;
    std::free(s);
    if (g_interrupted.exchange(false)) return Status::kInterrupted;
    if (!line.empty() && line.back() == '\n') line.pop_back();  // libedit without a terminal
    return Status::kLine;
  }

  void remember(const std::string& line) {
    if (!line.empty()) add_history(line.c_str());
  }

 private:
  std::string path_;
};

// Prints streamed answer text, reasoning dimmed (or dropped), restoring the colour at the end.
class AnswerPrinter {
 public:
  AnswerPrinter(bool color, bool hide_thinking) : color_(color), hide_thinking_(hide_thinking) {}

  void write(const chat::ReasoningChunk& c) {
    if (!c.reasoning.empty() && !hide_thinking_) {
      if (color_ && !dim_) {
        std::fputs("\x1b[2m", stdout);
        dim_ = true;
      }
      put(c.reasoning);
    }
    std::string_view content = c.content;
    // With the reasoning hidden, the blank lines after </think> would open the answer.
    if (hide_thinking_ && !printed_) content.remove_prefix(std::min(content.find_first_not_of(" \n\r\t"), content.size()));
    if (!content.empty()) {
      end_dim();
      put(content);
    }
    std::fflush(stdout);
  }

  void finish() {
    end_dim();
    if (printed_ && !at_line_start_) std::fputc('\n', stdout);
    std::fflush(stdout);
  }

 private:
  void end_dim() {
    if (!dim_) return;
    std::fputs("\x1b[0m", stdout);
    dim_ = false;
  }
  void put(std::string_view s) {
    if (s.empty()) return;
    std::fwrite(s.data(), 1, s.size(), stdout);
    printed_ = true;
    at_line_start_ = s.back() == '\n';
  }

  bool color_;
  bool hide_thinking_;
  bool dim_ = false;
  bool printed_ = false;
  bool at_line_start_ = true;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path + "'");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error("cannot read '" + path + "'");
  return s;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot create '" + path + "'");
  out << text;
  out.flush();
  if (!out) throw Error("cannot write '" + path + "'");
}

constexpr const char* kHelp =
    "Commands:\n"
    "  /help                  this list\n"
    "  /clear                 forget the conversation and the KV cache (keeps the system prompt)\n"
    "  /system TEXT           set the system prompt and restart the conversation (no TEXT: remove it)\n"
    "  /set NAME VALUE        temperature | top_p | top_k | min_p | seed | repeat_penalty | n_predict\n"
    "  /set                   show the settings\n"
    "  /save FILE             write the conversation as JSON {\"messages\": [...]}\n"
    "  /load FILE             read a conversation written by /save\n"
    "  /bye                   exit (Ctrl-D too)\n"
    "Input between lines \"\"\" is one multi-line message. Ctrl-C stops an answer.\n";

class Repl {
 public:
  Repl(Engine& engine, const SamplerParams& sampling, const ReplOptions& opt)
      : engine_(engine),
        chat_(model_chat(engine.model().file(), "the model")),
        hide_thinking_(opt.hide_thinking),
        color_(isatty(STDOUT_FILENO) != 0) {
    settings_.sampling = sampling;
    settings_.n_predict = opt.n_predict;
    sampler_.emplace(settings_.sampling);
    // Render once up front so a template the engine cannot run fails before the first question.
    chat::render_chat(chat_.tmpl, nlohmann::ordered_json::array({{{"role", "user"}, {"content", "hi"}}}), true,
                      chat_.bos, chat_.eos, nlohmann::ordered_json());
  }

  int run() {
    if (!chat_.builtin_family.empty())
      std::fprintf(stderr, "minnow: the model has no chat template; using the built-in '%s' template\n",
                   chat_.builtin_family.c_str());
    std::fprintf(stderr, "minnow: chat (context %d tokens). /help for commands, Ctrl-D or /bye to exit.\n",
                 engine_.session().n_ctx());
    LineReader reader;
    InputCollector collector;
    for (;;) {
      std::string line;
      const auto status = reader.read(collector.in_multiline() ? "... " : ">>> ", line);
      if (status == LineReader::Status::kEof) {
        std::fputc('\n', stdout);
        return 0;
      }
      if (status == LineReader::Status::kInterrupted) {
        collector.reset();
        std::fprintf(stdout, "\n");
        std::fprintf(stderr, "(Ctrl-D or /bye to exit)\n");
        continue;
      }
      reader.remember(line);
      const bool single_line = !collector.in_multiline() && !line.starts_with("\"\"\"");
      const auto input = collector.feed(line);
      if (!input) continue;
      if (single_line) {
        if (const auto cmd = parse_command(*input)) {
          if (cmd->name == "bye" || cmd->name == "exit") return 0;
          try {
            command(*cmd);
          } catch (const Error& e) {
            std::fprintf(stderr, "error: %s\n", e.what());
          }
          continue;
        }
      }
      if (input->find_first_not_of(" \t\r\n") == std::string::npos) continue;
      answer(*input);
    }
  }

 private:
  void command(const Command& c) {
    if (c.name == "help" || c.name == "?") {
      std::fputs(kHelp, stdout);
    } else if (c.name == "clear") {
      restart();
      std::fprintf(stderr, "conversation cleared\n");
    } else if (c.name == "system") {
      system_ = c.arg;
      restart();
      std::fprintf(stderr, c.arg.empty() ? "system prompt removed; conversation restarted\n"
                                         : "system prompt set; conversation restarted\n");
    } else if (c.name == "set") {
      if (c.arg.empty()) {
        std::fprintf(stderr, "%s\n", describe_settings(settings_).c_str());
        return;
      }
      const size_t sp = c.arg.find_first_of(" \t");
      if (sp == std::string::npos) throw Error("usage: /set NAME VALUE (/set alone shows the settings)");
      apply_setting(settings_, c.arg.substr(0, sp), c.arg.substr(sp + 1));
      sampler_.emplace(settings_.sampling);
      std::fprintf(stderr, "%s\n", describe_settings(settings_).c_str());
    } else if (c.name == "save") {
      if (c.arg.empty()) throw Error("usage: /save FILE");
      write_file(c.arg, format_conversation(conversation()));
      std::fprintf(stderr, "saved %zu messages to %s\n", conversation().size(), c.arg.c_str());
    } else if (c.name == "load") {
      if (c.arg.empty()) throw Error("usage: /load FILE");
      load(parse_conversation(read_file(c.arg), c.arg));
      std::fprintf(stderr, "loaded %zu messages from %s\n", conversation().size(), c.arg.c_str());
    } else {
      throw Error("unknown command /" + c.name + " (/help lists them)");
    }
  }

  void restart() {
    messages_ = nlohmann::ordered_json::array();
    engine_.session().truncate(0);
    held_ = HeldText{};
  }

  void load(nlohmann::ordered_json messages) {
    system_.clear();
    if (!messages.empty() && messages[0]["role"] == "system") {
      system_ = messages[0]["content"].get<std::string>();
      messages.erase(messages.begin());
    }
    messages_ = std::move(messages);
    // The cache keeps its tokens: the next turn's prompt reuses whatever prefix they share.
    held_ = HeldText{};
  }

  nlohmann::ordered_json conversation() const {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    if (!system_.empty()) all.push_back({{"role", "system"}, {"content", system_}});
    for (const auto& m : messages_) all.push_back(m);
    return all;
  }

  void answer(const std::string& text) {
    messages_.push_back({{"role", "user"}, {"content", text}});
    Session& session = engine_.session();
    const Tokenizer& tok = engine_.tokenizer();
    PromptPlan plan;
    std::string render;
    try {
      render = chat::render_chat(chat_.tmpl, conversation(), true, chat_.bos, chat_.eos, nlohmann::ordered_json());
      plan = plan_prompt(tok, held_, session.tokens(), render);
    } catch (const Error& e) {
      messages_.erase(messages_.end() - 1);
      std::fprintf(stderr, "error: %s\n", e.what());
      return;
    }
    if (plan.tokens.size() >= size_t(session.n_ctx())) {
      messages_.erase(messages_.end() - 1);
      std::fprintf(stderr, "the conversation is %zu tokens but the context holds %d: /clear to start over (or raise -c)\n",
                   plan.tokens.size(), session.n_ctx());
      return;
    }

    chat::ReasoningSplitter splitter(opens_thinking(render));
    AnswerPrinter printer(color_, hide_thinking_);
    std::string generated;
    GenerateOptions go;
    go.n_predict = settings_.n_predict;
    GenerateStats st;
    g_interrupted.store(false);
    try {
      st = generate(session, tok, *sampler_, plan.tokens, go, [&](std::string_view piece) {
        if (g_interrupted.load(std::memory_order_relaxed)) return false;
        generated += piece;
        printer.write(splitter.feed(piece));
        return true;
      });
    } catch (const Error& e) {
      printer.finish();
      messages_.erase(messages_.end() - 1);
      held_ = HeldText{};
      std::fprintf(stderr, "error: %s (/clear starts over)\n", e.what());
      return;
    }
    printer.write(splitter.finish());
    printer.finish();
    g_interrupted.store(false);

    // An interrupted answer stays in the conversation as far as it got.
    messages_.push_back({{"role", "assistant"}, {"content", generated}});
    const auto& held = session.tokens();
    held_.tokens = held;
    held_.text = render + generated_text(tok, std::span(held).subspan(std::min(plan.tokens.size(), held.size())));

    const int reused = st.n_prompt - st.n_prefilled;
    std::fprintf(stderr, "[prefill %d tok (reused %d) %.1f tok/s | %d tok %.1f tok/s%s]\n", st.n_prefilled, reused,
                 st.prefill_s > 0 ? st.n_prefilled / st.prefill_s : 0.0, st.n_generated,
                 st.decode_s > 0 ? st.n_generated / st.decode_s : 0.0,
                 st.cancelled ? " | interrupted" : st.stopped_ctx ? " | context full" : "");
    if (st.stopped_ctx)
      std::fprintf(stderr, "the context (%d tokens) is full: /clear to start over\n", session.n_ctx());
  }

  Engine& engine_;
  ModelChat chat_;
  ReplSettings settings_;
  std::optional<Sampler> sampler_;
  bool hide_thinking_;
  bool color_;
  std::string system_;
  nlohmann::ordered_json messages_ = nlohmann::ordered_json::array();
  HeldText held_;
};

}  // namespace

int run_repl(Engine& engine, const SamplerParams& sampling, const ReplOptions& opt) {
  Repl repl(engine, sampling, opt);
  SigintGuard sigint;
  return repl.run();
}

}  // namespace minnow::cli
