// Regression (issue #14): `echo a b a | eddy run wordcount --input /dev/stdin --output out`
// finished "FINISHED" with 0 records: the text file source split its input by st_size, which is
// 0 for a pipe; `--input -` was refused as a missing file. Streams (stdin, pipes, named pipes,
// /dev/fd/N) are now read whole by subtask 0, and a stream that a restore would have to rewind
// fails the job saying so.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::testing::committed_lines;
using eddy::testing::eddy_process;
using eddy::testing::eventually;
using eddy::testing::run_eddy;
using eddy::testing::temp_dir;
using eddy::testing::words_text;
using eddy::testing::write_file;

namespace {

/// Runs `sh -c SCRIPT EDDY_BIN ARGS...` to its end: SCRIPT runs eddy as "$0" "$@" (in a
/// pipeline, say).
eddy::testing::run_result run_shell_script(const fs::path& dir, const std::string& shell,
                                           const std::string& script,
                                           const std::vector<std::string>& args) {
  eddy_process p(dir, {shell, "-c", script}, args);
  const int code = p.wait();
  return {code, p.out(), p.err()};
}

/// `eddy run wordcount` over `words` (a regular file) into `out`.
std::vector<std::string> reference(const fs::path& dir, const fs::path& words) {
  auto ref = run_eddy(
      dir, {"run", "wordcount", "--input", words.string(), "--output", (dir / "ref").string()});
  REQUIRE(ref.code == 0);
  auto lines = committed_lines(dir / "ref");
  REQUIRE(!lines.empty());
  return lines;
}

void write_all(int fd, const std::string& s) {
  std::size_t at = 0;
  while (at < s.size()) {
    const auto n = ::write(fd, s.data() + at, s.size() - at);
    REQUIRE(n > 0);
    at += static_cast<std::size_t>(n);
  }
}

}  // namespace

TEST_CASE("eddy run wordcount reads a pipe on stdin as a dash or as /dev/stdin",
          "[regression][stream]") {
  temp_dir tmp("eddy-stdin-input");
  const auto words = tmp.path() / "in.txt";
  write_file(words, words_text(5000, 11));
  const auto expected = reference(tmp.path(), words);
  int n = 0;
  for (const std::string input : {"-", "/dev/stdin"})
    for (const std::string p : {"1", "2"}) {
      const auto out = tmp.path() / ("out" + std::to_string(n++));
      INFO("--input " << input << " -p " << p);
      auto r = run_shell_script(
          tmp.path(), "/bin/sh", "cat '" + words.string() + "' | \"$0\" \"$@\"",
          {"run", "wordcount", "--input", input, "--output", out.string(), "-p", p});
      INFO("stdout: " << r.out << "\nstderr: " << r.err);
      REQUIRE(r.code == 0);
      CHECK(committed_lines(out) == expected);
    }
}

TEST_CASE("eddy run wordcount reads a named pipe written by another thread",
          "[regression][stream]") {
  temp_dir tmp("eddy-fifo-input");
  const auto words = tmp.path() / "in.txt";
  const auto text = words_text(5000, 12);
  write_file(words, text);
  const auto expected = reference(tmp.path(), words);
  for (const std::string p : {"1", "2"}) {
    INFO("-p " << p);
    const auto fifo = tmp.path() / ("fifo" + p);
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    std::thread writer([&] {
      const int fd = ::open(fifo.c_str(), O_WRONLY);  // waits for the job to open it
      if (fd < 0) return;
      for (std::size_t at = 0; at < text.size(); at += 4096) {  // in pieces, with pauses
        const auto piece = text.substr(at, 4096);
        if (::write(fd, piece.data(), piece.size()) < 0) break;
        if (at % (64 * 4096) == 0) std::this_thread::sleep_for(5ms);
      }
      ::close(fd);
    });
    const auto out = tmp.path() / ("out" + p);
    auto r = run_eddy(tmp.path(), {"run", "wordcount", "--input", fifo.string(), "--output",
                                   out.string(), "-p", p});
    writer.join();
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.code == 0);
    CHECK(committed_lines(out) == expected);
  }
}

TEST_CASE("eddy run wordcount reads a process substitution", "[regression][stream]") {
  if (!fs::exists("/bin/bash")) return;  // `<(...)` is bash's
  temp_dir tmp("eddy-procsubst-input");
  const auto words = tmp.path() / "in.txt";
  write_file(words, words_text(3000, 13));
  const auto expected = reference(tmp.path(), words);
  const auto out = tmp.path() / "out";
  auto r = run_shell_script(tmp.path(), "/bin/bash",
                            "\"$0\" \"$@\" --input <(cat '" + words.string() + "')",
                            {"run", "wordcount", "--output", out.string(), "-p", "2"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(committed_lines(out) == expected);
}

TEST_CASE("eddy run wordcount with checkpoints reads stdin to its end",
          "[regression][stream][checkpoint]") {
  temp_dir tmp("eddy-stdin-checkpoints");
  const auto words = tmp.path() / "in.txt";
  write_file(words, words_text(3000, 14));
  const auto expected = reference(tmp.path(), words);
  const auto out = tmp.path() / "out";
  auto r = run_shell_script(
      tmp.path(), "/bin/sh", "cat '" + words.string() + "' | \"$0\" \"$@\"",
      {"run", "wordcount", "--input", "-", "--output", out.string(), "-p", "2", "--checkpoint-dir",
       (tmp.path() / "ckpt").string(), "--checkpoint-interval", "20", "--source-rate", "20000"});
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(committed_lines(out) == expected);
}

TEST_CASE("resuming a job from a savepoint taken in the middle of stdin fails saying why",
          "[regression][stream][checkpoint]") {
  temp_dir tmp("eddy-stdin-resume");
  const auto fifo = tmp.path() / "stdin";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto savepoints = tmp.path() / "savepoints";
  // The job's stdin is a named pipe this test keeps open: the stream has no end yet.
  eddy_process first(tmp.path(), {},
                     {"run", "wordcount", "--input", "-", "--output", (tmp.path() / "out").string(),
                      "--savepoint-on-stop", savepoints.string()},
                     fifo.string());
  const int fd = ::open(fifo.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  write_all(fd, words_text(200, 15));
  // Once the pipe is empty, the source has read its lines (and emits them in the same step, so
  // any savepoint after it records a position past the start).
  REQUIRE(eventually(
      [&] {
        int queued = -1;
        return ::ioctl(fd, FIONREAD, &queued) == 0 && queued == 0;
      },
      30s));
  first.signal(SIGTERM);
  const int code = first.wait_for(30s);
  ::close(fd);
  INFO("first run stdout: " << first.out() << "\nstderr: " << first.err());
  REQUIRE(code == 0);
  const auto out = first.out();
  const auto at = out.find("savepoint: ");
  REQUIRE(at != std::string::npos);
  const auto path = out.substr(at + 11, out.find('\n', at) - at - 11);

  auto r = run_shell_script(tmp.path(), "/bin/sh", "printf 'a b a\\n' | \"$0\" \"$@\"",
                            {"run", "wordcount", "--input", "-", "--output",
                             (tmp.path() / "out2").string(), "--resume", path});
  INFO("resumed stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code != 0);
  CHECK(r.err.find("input '-' is a stream and cannot be re-read after a failure: the checkpoint "
                   "resumes it at byte ") != std::string::npos);
}
