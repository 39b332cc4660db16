// The `eddy sql` client as a user runs it (EDDY_BIN): -f and -e, exit codes, errors with a
// caret on stderr, and SIGTERM ending a client that waits for input.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/pty_process.hpp"
#include "support/test_support.hpp"

#ifndef EDDY_BIN
#error "EDDY_BIN must name the eddy binary"
#endif

namespace fs = std::filesystem;

namespace {

using eddy::testing::read_file;
using eddy::testing::temp_dir;

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct sql_run {
  int exit_code = -1;
  std::string out, err;
};

sql_run run_sql(const temp_dir& tmp, const std::vector<std::string>& args) {
  static int n = 0;
  const auto out = tmp.path() / ("out-" + std::to_string(n));
  const auto err = tmp.path() / ("err-" + std::to_string(n++));
  std::string cmd = quote(EDDY_BIN) + " sql";
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " </dev/null >" + quote(out.string()) + " 2>" + quote(err.string());
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  return sql_run{WEXITSTATUS(status), read_file(out), read_file(err)};
}

}  // namespace

TEST_CASE("eddy sql -f runs a script into CSV part files and -e runs statements", "[sql][cli]") {
  temp_dir tmp;
  fs::create_directories(tmp.path() / "in");
  {
    std::ofstream in(tmp.path() / "in" / "a.csv");
    in << "1,10\n2,20\n3,30\n";
  }
  const auto script = tmp.path() / "s.sql";
  {
    std::ofstream s(script);
    s << "CREATE TABLE t (k INT, v BIGINT) WITH ('connector' = 'filesystem', 'path' = '"
      << (tmp.path() / "in").string() << "', 'format' = 'csv');\n"
      << "CREATE TABLE o (k INT, v BIGINT) WITH ('connector' = 'filesystem', 'path' = '"
      << (tmp.path() / "out").string() << "', 'format' = 'csv');\n"
      << "INSERT INTO o SELECT k, v * 2 FROM t WHERE k <> 2;\n";
  }
  auto r = run_sql(tmp, {"-f", script.string()});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("[INFO] Job 'insert-into_o' finished."));
  std::string written;
  for (const auto& e : fs::directory_iterator(tmp.path() / "out"))
    if (e.path().filename().string()[0] != '.') written += read_file(e.path());
  CHECK((written == "1,20\n3,60\n" || written == "3,60\n1,20\n"));

  r = run_sql(tmp, {"-e", "SELECT 1 FROM nothing;"});
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "[ERROR] Object 'nothing' not found\n  SELECT 1 FROM nothing;\n"
        "                ^\n");
  r = run_sql(tmp, {"-f", (tmp.path() / "missing.sql").string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("cannot read"));
  r = run_sql(tmp, {"--bogus"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("unexpected '--bogus'"));
  r = run_sql(tmp, {"--help"});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("Usage: eddy sql"));
}

TEST_CASE("eddy sql ends on SIGTERM while it waits for statements", "[sql][cli]") {
  int in[2];
  REQUIRE(::pipe(in) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::close(in[1]);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(EDDY_BIN, EDDY_BIN, "sql", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  REQUIRE(::kill(pid, SIGTERM) == 0);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  pid_t done = 0;
  while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (done == 0) ::kill(pid, SIGKILL);
  ::close(in[1]);
  REQUIRE(done == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
}

TEST_CASE("eddy sql on a terminal reads statements over several lines, completes and keeps history",
          "[sql][cli]") {
  using namespace std::chrono_literals;
  temp_dir tmp("eddy-sql-pty");
  eddy::testing::pty_process term(EDDY_BIN, "sql", tmp.path().string());
  REQUIRE(term.ok());
  auto& seen = term.seen;
  auto read_until = [&](const std::string& what, std::chrono::milliseconds timeout) {
    return term.read_until(what, timeout);
  };
  auto type = [&](const std::string& s) { REQUIRE(term.type(s)); };
  REQUIRE(read_until("eddy-sql> ", 30s));
  INFO("terminal: " << seen);
  type("CREATE TABLE numbers (n BIGINT)\n");  // no ';' yet: a continuation prompt
  CHECK(read_until("       > ", 10s));
  type("WITH ('connector' = 'blackhole');\n");
  CHECK(read_until("Execute statement succeeded", 10s));
  seen.clear();
  type("SHOW TABLES;\n");
  CHECK(read_until("numbers", 10s));
  seen.clear();
  type("DESCRIB\t");  // a keyword completed (DESCR is DESCRIBE or DESCRIPTOR)
  CHECK(read_until("DESCRIBE", 10s));
  type(" numb\t");  // a table name completed
  CHECK(read_until("numbers", 10s));
  type(";\n");
  CHECK(read_until("BIGINT", 10s));
  type("quit;\n");
  CHECK(term.wait_end(10s));
  const auto history = read_file(tmp.path() / ".eddy_sql_history");
  INFO("history: " << history);
  CHECK(history.find("SHOW") != std::string::npos);
  CHECK(history.find("DESCRIBE") != std::string::npos);
}
