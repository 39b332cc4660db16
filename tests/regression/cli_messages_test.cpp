// Regressions of issue #14 ("clear errors"): what the `eddy` binary says to a new user's
// mistakes. Each message names what is wrong (and a close match), in one `eddy: ` line on
// stderr with exit code 2, and nothing runs; every command takes --help.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

#ifndef EDDY_SQUARES_LIB
#error "EDDY_SQUARES_LIB must name the squares job library"
#endif

namespace fs = std::filesystem;
using eddy::testing::committed_lines;
using eddy::testing::run_eddy;
using eddy::testing::run_result;
using eddy::testing::temp_dir;
using eddy::testing::write_file;

namespace {

/// Exit code 2, one `eddy: ` line on stderr holding `what`, nothing on stdout.
void check_error(const run_result& r, const std::string& what) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.rfind("eddy: ", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find(what) != std::string::npos);
}

}  // namespace

TEST_CASE("an unknown job is named with the closest job, embedded and on a cluster", "[cli]") {
  temp_dir tmp("eddy-cli-msg");
  const auto in = tmp.path() / "in.txt";
  write_file(in, "a b a\n");
  const auto out = (tmp.path() / "out").string();
  check_error(run_eddy(tmp.path(), {"run", "wordcnt", "--input", in.string(), "--output", out}),
              "unknown job 'wordcnt' (did you mean 'wordcount'?)");
  // Checked before any connection: the port is closed.
  check_error(run_eddy(tmp.path(), {"run", "--cluster", "127.0.0.1:1", "sensros", "--input",
                                    in.string(), "--output", out}),
              "unknown job 'sensros' (did you mean 'sensors'?)");
  check_error(run_eddy(tmp.path(), {"run", "nothinglikeit"}),
              "unknown job 'nothinglikeit' (eddy run --list shows the jobs)");
  CHECK(!fs::exists(out));
}

TEST_CASE("a misspelt flag is named as unknown, not reported as a missing required one", "[cli]") {
  temp_dir tmp("eddy-cli-msg");
  const auto in = tmp.path() / "in.txt";
  write_file(in, "a b a\n");
  const auto out = (tmp.path() / "out").string();
  check_error(run_eddy(tmp.path(), {"run", "wordcount", "--inptu", in.string(), "--output", out}),
              "unknown flag '--inptu' (did you mean '--input'?)");
  check_error(run_eddy(tmp.path(), {"run", "--cluster", "127.0.0.1:1", "wordcount", "--input",
                                    in.string(), "--ouptut", out}),
              "unknown flag '--ouptut' (did you mean '--output'?)");
  // A value that looks like a flag is still a value.
  const auto r = run_eddy(tmp.path(), {"run", "wordcount", "--input", in.string(), "--output",
                                       (tmp.path() / "-odd").string()});
  INFO(r.err);
  CHECK(r.code == 0);
}

TEST_CASE("durations, counts and rates out of range are refused with a short message", "[cli]") {
  temp_dir tmp("eddy-cli-msg");
  const auto in = tmp.path() / "in.txt";
  write_file(in, "a b a\n");
  const auto out = (tmp.path() / "out").string();
  auto check_short = [](const run_result& r, const std::string& flag, const std::string& unit) {
    INFO("stderr: " << r.err);
    CHECK(r.code != 0);
    CHECK(r.err.find(flag) != std::string::npos);
    CHECK(r.err.find(unit) != std::string::npos);
    CHECK(r.err.size() < 200);  // no 300-digit bounds
  };
  check_short(run_eddy(tmp.path(), {"coordinator", "--heartbeat-timeout", "-5"}),
              "--heartbeat-timeout", "milliseconds");
  check_short(run_eddy(tmp.path(), {"coordinator", "--slot-timeout", "0"}), "--slot-timeout",
              "seconds");
  check_short(run_eddy(tmp.path(), {"worker", "--heartbeat-interval", "abc"}),
              "--heartbeat-interval", "milliseconds");
  check_short(run_eddy(tmp.path(), {"run", "wordcount", "--input", in.string(), "--output", out,
                                    "--source-rate", "0"}),
              "--source-rate", "records per second");
  check_short(run_eddy(tmp.path(), {"run", "wordcount", "--input", in.string(), "--output", out,
                                    "--checkpoint-interval", "-1"}),
              "--checkpoint-interval", "milliseconds");
  check_short(run_eddy(tmp.path(), {"jobs", "--cluster", "127.0.0.1:1", "--timeout", "-5"}),
              "--timeout", "milliseconds");
  CHECK(!fs::exists(out));
}

TEST_CASE("every command takes --help: the shell, one-shot commands and a job on a cluster",
          "[cli]") {
  temp_dir tmp("eddy-cli-msg");
  auto check_help = [](const run_result& r, const std::vector<std::string>& words) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    for (const auto& w : words) CHECK(r.out.find(w) != std::string::npos);
  };
  check_help(run_eddy(tmp.path(), {"shell", "--help"}), {"Usage: eddy shell", "--cluster", "run"});
  check_help(run_eddy(tmp.path(), {"jobs", "--help"}), {"Usage: eddy jobs", "--cluster"});
  check_help(run_eddy(tmp.path(), {"rescale", "-h"}), {"rescale ID N"});
  check_help(run_eddy(tmp.path(), {"coordinator", "--help"}), {"--state-dir"});
  check_help(run_eddy(tmp.path(), {"worker", "--help"}), {"--coordinator"});
  // No cluster is reached for a job's flags (the port is closed).
  const auto r = run_eddy(tmp.path(), {"run", "--cluster", "127.0.0.1:1", "sensors", "--help"});
  check_help(r, {"--input", "--dead-letter", "--checkpoint-interval"});
  CHECK(r.out.find("should be caught") == std::string::npos);
}

TEST_CASE("a fresh checkpointed run does not report a restore from checkpoint 0", "[cli]") {
  temp_dir tmp("eddy-cli-msg");
  const auto in = tmp.path() / "in.txt";
  write_file(in, eddy::testing::words_text(2000, 3));
  const auto r = run_eddy(
      tmp.path(), {"run", "wordcount", "--input", in.string(), "--output",
                   (tmp.path() / "out").string(), "--checkpoint-dir", (tmp.path() / "chk").string(),
                   "--checkpoint-interval", "10", "--source-rate", "20000"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("checkpoints: ") != std::string::npos);
  CHECK(r.out.find("restored from checkpoint") == std::string::npos);
}

TEST_CASE("eddy run --job-lib runs a job library's program on the embedded runtime", "[cli]") {
  temp_dir tmp("eddy-cli-msg");
  const auto out = tmp.path() / "squares";
  const auto r = run_eddy(tmp.path(), {"run", "--job-lib", EDDY_SQUARES_LIB, "squares", "--count",
                                       "1000", "--output", out.string(), "-p", "2"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  // Sums of i*i over i < 1000 by residue mod 10, computed here.
  std::vector<std::string> expected;
  for (std::uint64_t res = 0; res < 10; ++res) {
    std::uint64_t sum = 0;
    for (std::uint64_t i = res; i < 1000; i += 10) sum += i * i;
    expected.push_back(std::to_string(res) + "," + std::to_string(sum));
  }
  std::sort(expected.begin(), expected.end());
  CHECK(committed_lines(out) == expected);
  check_error(run_eddy(tmp.path(), {"run", "--job-lib", EDDY_SQUARES_LIB, "sqaures"}),
              "has no program 'sqaures' (did you mean 'squares'?)");
  check_error(
      run_eddy(tmp.path(), {"run", "--job-lib", (tmp.path() / "nolib.so").string(), "squares"}),
      "cannot load job library");
}

TEST_CASE(
    "relative paths of a cluster job are resolved here and the message says where they "
    "are read",
    "[cli]") {
  temp_dir tmp("eddy-cli-msg");
  // The cluster is unreachable: the paths are resolved (and said) before connecting.
  const auto r = run_eddy(tmp.path(), {"run", "--cluster", "127.0.0.1:1", "wordcount", "--input",
                                       "in.txt", "--output=out"});
  INFO(r.err);
  CHECK(r.code != 0);
  const auto cwd = fs::current_path();
  CHECK(r.err.find("--input in.txt -> " + (cwd / "in.txt").string()) != std::string::npos);
  CHECK(r.err.find("--output out -> " + (cwd / "out").string()) != std::string::npos);
  CHECK(r.err.find("on their own machines") != std::string::npos);
}

TEST_CASE("the shell answers run JOB --help and a misspelt flag itself, without submitting",
          "[cli]") {
  temp_dir tmp("eddy-cli-msg");
  const auto r = eddy::testing::run_eddy_with_input(
      tmp.path(), {"shell"}, "run wordcount --help\nrun sensors --inptu x --output y\njobs\n");
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.code == 1);  // a command failed
  CHECK(r.out.find("--input") != std::string::npos);
  CHECK(r.out.find("--parallelism") != std::string::npos);
  CHECK(r.out.find("no jobs") != std::string::npos);
  CHECK(r.err.find("sensors: unknown flag '--inptu' (did you mean '--input'?)") !=
        std::string::npos);
  CHECK(r.err.find("should be caught") == std::string::npos);
}
