// `eddy run`'s progress line: shown on a terminal while the job runs and erased before the
// summary; absent with --quiet and when stderr is not a terminal.
#include <catch2/catch.hpp>

#include <fstream>

#include "support/eddy_process.hpp"
#include "support/pty_process.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;

namespace {

constexpr const char* erase_line = "\r\033[K";

std::vector<std::string> sensors_run(const std::filesystem::path& dir, bool quiet) {
  const auto input = dir / "readings.csv";
  if (!std::filesystem::exists(input)) {
    std::ofstream in(input);
    for (int i = 0; i < 6000; ++i)
      in << i % 5 << "," << 1700000000000LL + i * 100 << "," << 20 + i % 50 << ".5\n";
  }
  std::vector<std::string> args{
      "run",          "sensors",  "--input",
      input.string(), "--output", (dir / (quiet ? "out-quiet" : "out")).string(),
      "-p",           "2",        "--source-rate",
      "3000"};
  if (quiet) args.push_back("--quiet");
  return args;
}

}  // namespace

TEST_CASE("eddy run on a terminal shows a progress line and erases it before the summary",
          "[cli][progress]") {
  eddy::testing::temp_dir tmp{"eddy-progress"};
  eddy::testing::pty_process term(EDDY_BIN, sensors_run(tmp.path(), false), tmp.path().string());
  REQUIRE(term.ok());
  REQUIRE(term.read_until(std::string(erase_line) + "sensors RUNNING ", 30s));
  REQUIRE(term.read_until(" | in ", 10s));
  REQUIRE(term.read_until(" | out ", 10s));
  REQUIRE(term.read_until("% ETA ", 10s));         // a file: the share read and the time left
  REQUIRE(term.read_until("write windows", 30s));  // the summary's table
  REQUIRE(term.wait_end(20s));
  CHECK(WEXITSTATUS(term.status()) == 0);
  // The last thing before the summary erases the line; nothing of it follows.
  const auto summary = term.seen.find("operator");
  REQUIRE(summary != std::string::npos);
  const auto last_erase = term.seen.rfind(erase_line);
  CHECK(last_erase < summary);
  CHECK(term.seen.substr(last_erase, summary - last_erase).find("RUNNING") == std::string::npos);
}

TEST_CASE("eddy run shows no progress line with --quiet or without a terminal", "[cli][progress]") {
  eddy::testing::temp_dir tmp{"eddy-progress-quiet"};
  {
    eddy::testing::pty_process term(EDDY_BIN, sensors_run(tmp.path(), true), tmp.path().string());
    REQUIRE(term.read_until("write windows", 30s));
    REQUIRE(term.wait_end(20s));
    CHECK(term.seen.find(erase_line) == std::string::npos);
    CHECK(term.seen.find("RUNNING") == std::string::npos);
  }
  std::filesystem::remove_all(tmp.path() / "out");
  const auto r = eddy::testing::run_eddy(tmp.path(), sensors_run(tmp.path(), false));
  CHECK(r.code == 0);
  CHECK(r.err.find(erase_line) == std::string::npos);
  CHECK(r.out.find(erase_line) == std::string::npos);
}
