// Regression of issue #14 item 5: Ctrl-C (SIGINT) or SIGTERM of an embedded `eddy run` left
// hidden .inprogress files, and the rerun said "directory is not empty" while `ls` showed
// nothing. Now the signal cancels the job, its uncommitted output is discarded, the process
// says so (and how to resume a checkpointed run) and exits 128 + signal; a directory that is in
// use is named with what it holds, pointing to --resume when a checkpoint exists.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using eddy::testing::committed_lines;
using eddy::testing::eddy_process;
using eddy::testing::eventually;
using eddy::testing::run_eddy;
using eddy::testing::temp_dir;
using eddy::testing::write_file;

namespace {

/// Whether `dir` holds a file whose name starts with `prefix`.
bool holds(const fs::path& dir, const std::string& prefix) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("SIGINT cancels an embedded run, discards its uncommitted output and the rerun works",
          "[cli]") {
  temp_dir tmp("eddy-interrupt");
  const auto in = tmp.path() / "in.csv";
  write_file(in, eddy::testing::sensor_readings_csv(40000, 5));
  // Slowed down so that it is still writing when the signal comes.
  auto args = eddy::testing::sensors_args(in, tmp.path(), 2);
  args.insert(args.begin(), "run");
  args.insert(args.end(), {"--source-rate", "4000"});
  for (int sig : {SIGINT, SIGTERM}) {
    INFO("signal " << sig);
    fs::remove_all(tmp.path() / "windows");
    eddy_process p(tmp.path(), args);
    REQUIRE(eventually([&] { return holds(tmp.path() / "windows", ".part-"); },
                       std::chrono::seconds(20)));
    p.signal(sig);
    const int code = p.wait_for(std::chrono::seconds(15));
    INFO("stderr: " << p.err());
    CHECK(code == 128 + sig);
    CHECK(p.err().find("canceled by SIG") != std::string::npos);
    CHECK(p.err().find("run the same command again") != std::string::npos);
    CHECK(!holds(tmp.path() / "windows", ".part-"));  // nothing hidden left behind
    CHECK(committed_lines(tmp.path() / "windows").empty());
  }
  // The rerun is not refused.
  const auto rerun = run_eddy(tmp.path(), {"run", "wordcount", "--input", in.string(), "--output",
                                           (tmp.path() / "windows").string()});
  INFO(rerun.err);
  CHECK(rerun.code == 0);
}

TEST_CASE("SIGTERM of a checkpointed run says how to resume, and a fresh rerun is pointed there",
          "[cli][checkpoint]") {
  temp_dir tmp("eddy-interrupt");
  const auto in = tmp.path() / "in.csv";
  write_file(in, eddy::testing::sensor_readings_csv(40000, 7));
  auto ref = eddy::testing::sensors_args(in, tmp.path() / "ref", 2);
  ref.insert(ref.begin(), "run");
  REQUIRE(run_eddy(tmp.path(), ref).code == 0);

  auto args = eddy::testing::sensors_args(in, tmp.path() / "run", 2);
  args.insert(args.begin(), "run");
  const auto chk = (tmp.path() / "chk").string();
  args.insert(args.end(),
              {"--checkpoint-dir", chk, "--checkpoint-interval", "100", "--source-rate", "4000"});
  {
    eddy_process p(tmp.path(), args);
    // Committed part files appear once a checkpoint completed.
    REQUIRE(eventually([&] { return !committed_lines(tmp.path() / "run" / "windows").empty(); },
                       std::chrono::seconds(20)));
    p.signal(SIGTERM);
    const int code = p.wait_for(std::chrono::seconds(15));
    INFO("stderr: " << p.err());
    CHECK(code == 128 + SIGTERM);
    CHECK(p.err().find("canceled by SIGTERM") != std::string::npos);
    CHECK(p.err().find("--resume latest") != std::string::npos);
    CHECK(p.err().find(chk) != std::string::npos);
  }
  // Without --resume the output directory is in use: the message names its files and the way on.
  const auto fresh = run_eddy(tmp.path(), args);
  INFO("fresh rerun: " << fresh.err);
  CHECK(fresh.code != 0);
  CHECK(fresh.err.find("is not empty (") != std::string::npos);
  CHECK(fresh.err.find("part-") != std::string::npos);
  CHECK(fresh.err.find("add --resume latest") != std::string::npos);
  // With it, the run completes exactly.
  args.insert(args.end(), {"--resume", "latest"});
  const auto resumed = run_eddy(tmp.path(), args);
  INFO("resumed: " << resumed.err);
  REQUIRE(resumed.code == 0);
  for (const char* out : {"windows", "late", "alerts", "dead"})
    CHECK(committed_lines(tmp.path() / "run" / out) == committed_lines(tmp.path() / "ref" / out));
}
