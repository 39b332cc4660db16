#pragma once
// Runs the real `eddy` binary (EDDY_BIN) as a child process for integration tests: stdout and
// stderr go to files in a log directory; the process is killed (SIGKILL) and reaped when the
// object goes, so a failing test leaves nothing running.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/test_support.hpp"

#ifndef EDDY_BIN
#error "EDDY_BIN must name the eddy binary"
#endif

namespace eddy::testing {

class eddy_process {
 public:
  eddy_process(const std::filesystem::path& log_dir, const std::vector<std::string>& args)
      : eddy_process(log_dir, {}, args) {}
  /// Runs `prefix` + EDDY_BIN + args (e.g. prefix {"/usr/sbin/ip", "netns", "exec", "ns"}).
  eddy_process(const std::filesystem::path& log_dir, const std::vector<std::string>& prefix,
               const std::vector<std::string>& args, const std::string& stdin_path = "/dev/null") {
    static int counter = 0;
    const int n = counter++;
    out_ = log_dir / ("stdout-" + std::to_string(n));
    err_ = log_dir / ("stderr-" + std::to_string(n));
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int o = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int e = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int in = ::open(stdin_path.c_str(), O_RDONLY);
      if (o < 0 || e < 0 || in < 0) ::_exit(127);
      ::dup2(in, 0);
      ::dup2(o, 1);
      ::dup2(e, 2);
      std::vector<char*> argv;
      for (const auto& a : prefix) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(const_cast<char*>(EDDY_BIN));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  /// Also fails the test if the child reported undefined behaviour: in a sanitizer build
  /// (scripts/sanitize.sh) UBSan writes its reports only to stderr, and a killed child's exit
  /// code is not seen.
  ~eddy_process() {
    kill();
    const auto e = err();
    static const std::regex ubsan_report(":[0-9]+:[0-9]+: runtime error: ");
    if (e.find("runtime error: ") != std::string::npos && std::regex_search(e, ubsan_report))
      FAIL_CHECK("eddy reported undefined behaviour, its stderr:\n" << e);
  }
  eddy_process(const eddy_process&) = delete;
  eddy_process& operator=(const eddy_process&) = delete;

  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  /// SIGKILL and reap (no-op if it already ended).
  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      pid_ = -1;
    }
  }
  /// Waits for the process; returns its exit code (128 + signal if killed).
  int wait() {
    int st = 0;
    REQUIRE(::waitpid(pid_, &st, 0) == pid_);
    pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  /// Waits up to `timeout`; the exit code, or -1 if it still runs.
  int wait_for(std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int st = 0;
      const pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      if (std::chrono::steady_clock::now() > end) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  [[nodiscard]] bool running() const { return pid_ > 0; }
  /// The process id (-1 once it was reaped).
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::string out() const { return read_file(out_); }
  [[nodiscard]] std::string err() const { return read_file(err_); }

 private:
  pid_t pid_ = -1;
  std::filesystem::path out_, err_;
};

/// Runs eddy to its end; returns (exit code, stdout, stderr).
struct run_result {
  int code;
  std::string out, err;
};
inline run_result run_eddy(const std::filesystem::path& log_dir,
                           const std::vector<std::string>& args) {
  eddy_process p(log_dir, args);
  const int code = p.wait();
  return {code, p.out(), p.err()};
}

/// Runs eddy to its end with `input` on its stdin (a file in log_dir).
inline run_result run_eddy_with_input(const std::filesystem::path& log_dir,
                                      const std::vector<std::string>& args,
                                      const std::string& input) {
  static int counter = 0;
  const auto path = log_dir / ("stdin-" + std::to_string(counter++));
  {
    std::ofstream out(path, std::ios::binary);
    out << input;
  }
  eddy_process p(log_dir, {}, args, path.string());
  const int code = p.wait();
  return {code, p.out(), p.err()};
}

/// Kills `args` with SIGKILL after a random delay up to `max_ms` (several times), then resumes
/// with --resume latest (and, if `resume_parallelism` > 0, that -p) until a run ends by itself;
/// returns that run.
inline run_result kill_and_resume(const std::filesystem::path& logs, std::vector<std::string> args,
                                  int resume_parallelism, int kills, std::mt19937& rng,
                                  int max_ms) {
  for (int k = 0; k < kills; ++k) {
    eddy_process p(logs, args);
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % max_ms));
    p.signal(SIGKILL);
    p.wait();
    if (k == 0) {
      args.push_back("--resume");
      args.push_back("latest");
    }
  }
  if (resume_parallelism > 0)
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == "-p") args[i + 1] = std::to_string(resume_parallelism);
  return run_eddy(logs, args);
}

/// Polls `pred` every 20 ms until it holds or `timeout` passed; returns whether it held.
template <class Pred>
bool eventually(Pred&& pred, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace eddy::testing
