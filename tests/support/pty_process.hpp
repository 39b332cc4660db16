#pragma once
// An `eddy` command on a pseudo-terminal (forkpty), for tests of the interactive clients
// (`eddy shell`, `eddy sql`): HOME set to a test directory (history files land there), TERM=dumb.
// `read_until` collects the terminal's output into `seen` until a text appears or the timeout
// passes; `type` writes keystrokes. The destructor kills the process if it is still running.
// Link `util` (forkpty). One thread per object.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace eddy::testing {

class pty_process {
 public:
  /// Starts `bin arg` on a new terminal. `ok()` is false if forkpty failed.
  pty_process(const char* bin, const char* arg, const std::string& home)
      : pty_process(bin, std::vector<std::string>{arg}, home) {}
  /// Starts `bin args...` on a new terminal.
  pty_process(const char* bin, const std::vector<std::string>& args, const std::string& home) {
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      ::setenv("HOME", home.c_str(), 1);
      ::setenv("TERM", "dumb", 1);
      std::vector<char*> argv{const_cast<char*>(bin)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(bin, argv.data());
      ::_exit(127);
    }
  }
  ~pty_process() {
    if (pid_ > 0 && !ended_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  pty_process(const pty_process&) = delete;
  pty_process& operator=(const pty_process&) = delete;

  [[nodiscard]] bool ok() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }

  /// Reads the terminal until `what` has been seen (since the last clear) or `timeout` passed.
  bool read_until(const std::string& what, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (seen.find(what) == std::string::npos && std::chrono::steady_clock::now() < end) {
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char buf[4096];
        const auto n = ::read(master_, buf, sizeof buf);
        if (n <= 0) break;
        seen.append(buf, static_cast<std::size_t>(n));
      }
    }
    return seen.find(what) != std::string::npos;
  }
  /// Writes `keys` to the terminal; false if the write failed.
  bool type(const std::string& keys) { return ::write(master_, keys.data(), keys.size()) > 0; }
  /// Waits up to `timeout` for the process to end; true if it did (then `status()` is set).
  bool wait_end(std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!ended_ && std::chrono::steady_clock::now() < end) {
      ended_ = ::waitpid(pid_, &status_, WNOHANG) == pid_;
      if (!ended_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return ended_;
  }
  [[nodiscard]] int status() const { return status_; }

  std::string seen;  ///< the terminal's output so far (tests clear it between steps)

 private:
  int master_ = -1;
  pid_t pid_ = -1;
  int status_ = 0;
  bool ended_ = false;
};

}  // namespace eddy::testing
