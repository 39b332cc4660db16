// Regression (issue #14): `printf 'run wordcount ...\njobs\n' | eddy shell` printed the job id
// and exited 0 while the job never ran: the embedded cluster ended with the shell, the job still
// CREATED and waiting for slots on "0 workers" (the embedded worker had not registered yet). A
// refused submission also printed twice (the embedded coordinator's log line and the shell's
// error). Script mode on the embedded cluster now waits for the script's jobs and prints their
// final states; SIGTERM during the wait cancels them.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string>
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
using eddy::testing::run_eddy_with_input;
using eddy::testing::temp_dir;
using eddy::testing::words_text;
using eddy::testing::write_file;

namespace {

/// The non-empty lines of `text`.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    auto nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    if (nl > at) out.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a piped eddy shell waits for the job it submitted to its embedded cluster",
          "[regression][shell]") {
  temp_dir tmp("eddy-piped-shell");
  const auto words = tmp.path() / "in.txt";
  write_file(words, words_text(3000, 5));
  const auto script = tmp.path() / "script.txt";
  write_file(script, "run wordcount --input " + words.string() + " --output " +
                         (tmp.path() / "out").string() + " -p 2\njobs\n");
  // A real pipe into the shell, as `printf ... | eddy shell`.
  eddy_process p(tmp.path(), {"/bin/sh", "-c", "cat '" + script.string() + "' | \"$0\" \"$@\""},
                 {"shell"});
  const int code = p.wait();
  const auto out = p.out(), err = p.err();
  INFO("stdout: " << out << "\nstderr: " << err);
  REQUIRE(code == 0);
  const auto lines = lines_of(out);
  REQUIRE(lines.size() >= 3);
  CHECK(lines.front() == "wordcount-1");
  CHECK(lines.back() == "wordcount-1 wordcount FINISHED");
  CHECK(err.find("eddy: waiting for 1 job to end (embedded cluster)") != std::string::npos);
  auto ref = run_eddy(tmp.path(), {"run", "wordcount", "--input", words.string(), "--output",
                                   (tmp.path() / "ref").string()});
  REQUIRE(ref.code == 0);
  const auto got = committed_lines(tmp.path() / "out");
  CHECK(!got.empty());
  CHECK(got == committed_lines(tmp.path() / "ref"));
}

TEST_CASE("an eddy shell script sees the embedded worker from its first command",
          "[regression][shell]") {
  temp_dir tmp("eddy-piped-shell-workers");
  auto r = run_eddy_with_input(tmp.path(), {"shell", "--json"}, "workers\n");
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("\"name\":\"embedded\"") != std::string::npos);
  CHECK(r.out.find("\"free\":16") != std::string::npos);
}

TEST_CASE("a piped eddy shell exits 1 naming the job that failed while it waited",
          "[regression][shell]") {
  temp_dir tmp("eddy-piped-shell-failed");
  const auto blocker = tmp.path() / "a-file";
  write_file(blocker, "x\n");
  // The sink cannot create its directory under a regular file: the job fails once it runs.
  auto r =
      run_eddy_with_input(tmp.path(), {"shell"},
                          std::string("run --job-lib ") + EDDY_SQUARES_LIB +
                              " squares --count 100 --output " + (blocker / "out").string() + "\n");
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code == 1);
  const auto lines = lines_of(r.out);
  REQUIRE(!lines.empty());
  CHECK(lines.back() == "squares-1 squares FAILED");
  CHECK(r.err.find("eddy: job squares-1 FAILED: ") != std::string::npos);
}

TEST_CASE("SIGTERM while a piped eddy shell waits cancels its jobs and exits non-zero",
          "[regression][shell]") {
  temp_dir tmp("eddy-piped-shell-sigterm");
  const auto words = tmp.path() / "in.txt";
  write_file(words, words_text(3000, 6));
  const auto script = tmp.path() / "script.txt";
  // Slowed down to 50 lines a second: it would run for a minute.
  write_file(script, "run wordcount --input " + words.string() + " --output " +
                         (tmp.path() / "out").string() + " --source-rate 50\n");
  eddy_process p(tmp.path(), {}, {"shell"}, script.string());
  REQUIRE(eventually([&] { return p.err().find("waiting for 1 job") != std::string::npos; }, 30s));
  p.signal(SIGTERM);
  const int code = p.wait_for(10s);
  INFO("stdout: " << p.out() << "\nstderr: " << p.err());
  CHECK(code == 128 + SIGTERM);
  CHECK(p.err().find("eddy: terminated: canceled 1 job of the embedded cluster: wordcount-1") !=
        std::string::npos);
}

TEST_CASE("a submission the embedded cluster refuses prints its error once",
          "[regression][shell]") {
  temp_dir tmp("eddy-piped-shell-refused");
  const auto missing = (tmp.path() / "missing.txt").string();
  auto r = run_eddy_with_input(
      tmp.path(), {"shell"},
      "run wordcount --input " + missing + " --output " + (tmp.path() / "out").string() + "\n");
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code == 1);
  CHECK(count_of(r.err, "no such file '" + missing + "'") == 1);
  CHECK(r.err.find("eddy: wordcount: --input: no such file '" + missing + "'") !=
        std::string::npos);
  CHECK(r.err.find("waiting for") == std::string::npos);  // nothing was submitted
}
