// Fault tolerance of the real `eddy` binary (EDDY_BIN): `eddy run` killed with SIGKILL at random
// points and resumed with `--resume latest` (also at another parallelism), stopped with a
// savepoint on SIGTERM and resumed from it; in every case the committed output equals the output
// of a run without failure, line for line after sorting.
#include <catch2/catch.hpp>

#include "support/eddy_process.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef EDDY_BIN
#error "EDDY_BIN must name the eddy binary"
#endif

namespace fs = std::filesystem;

namespace {

using eddy::testing::committed_lines;
using eddy::testing::eddy_process;
using eddy::testing::kill_and_resume;
using eddy::testing::read_file;
using eddy::testing::run_eddy;
using eddy::testing::run_result;
using eddy::testing::temp_dir;
using eddy::testing::words_text;
using eddy::testing::write_file;
/// `eddy run wordcount` of `input` into dir/out with checkpoints into dir/chk (the parallelism
/// is the last argument).
std::vector<std::string> checkpointed_wordcount(const fs::path& input, const fs::path& dir,
                                                int parallelism, const char* interval_ms,
                                                const char* rate) {
  return {"run",
          "wordcount",
          "--input",
          input.string(),
          "--output",
          (dir / "out").string(),
          "--checkpoint-dir",
          (dir / "chk").string(),
          "--checkpoint-interval",
          interval_ms,
          "--source-rate",
          rate,
          "-p",
          std::to_string(parallelism)};
}

}  // namespace

TEST_CASE("wordcount killed with SIGKILL at random points and resumed loses and repeats nothing",
          "[cli][checkpoint]") {
  temp_dir tmp("eddy-resume");
  const auto input = tmp.path() / "in.txt";
  write_file(input, words_text(24000, 11));
  auto ref = run_eddy(tmp.path(), {"run", "wordcount", "--input", input.string(), "--output",
                                   (tmp.path() / "ref").string(), "-p", "2"});
  REQUIRE(ref.code == 0);
  const auto expected = committed_lines(tmp.path() / "ref");
  REQUIRE(expected.size() == 2000);

  std::mt19937 rng(2026);
  struct scenario {
    int from, to;  // parallelism before and after the kills
  };
  for (auto [from, to] : {scenario{2, 2}, scenario{1, 3}, scenario{4, 2}, scenario{2, 1}}) {
    for (int run = 0; run < 2; ++run) {
      INFO("parallelism " << from << " -> " << to << ", run " << run);
      const auto dir = tmp.path() / ("p" + std::to_string(from) + std::to_string(to) + "-" +
                                     std::to_string(run));
      // ~1.2 s of input at 20000 lines/s; checkpoints every 100 ms.
      auto args = checkpointed_wordcount(input, dir, from, "100", "20000");
      auto last = kill_and_resume(tmp.path(), args, to, 1 + run, rng, 1000);
      INFO("stderr: " << last.err);
      REQUIRE(last.code == 0);
      CHECK(committed_lines(dir / "out") == expected);
    }
  }
}

TEST_CASE("wordcount stopped with a savepoint on SIGTERM resumes from it at another parallelism",
          "[cli][checkpoint]") {
  temp_dir tmp("eddy-savepoint");
  const auto input = tmp.path() / "in.txt";
  write_file(input, words_text(20000, 5));
  auto ref = run_eddy(tmp.path(), {"run", "wordcount", "--input", input.string(), "--output",
                                   (tmp.path() / "ref").string()});
  REQUIRE(ref.code == 0);
  const auto out = (tmp.path() / "out").string();
  eddy_process p(tmp.path(),
                 {"run", "wordcount", "--input", input.string(), "--output", out, "-p", "2",
                  "--savepoint-on-stop", (tmp.path() / "sp").string(), "--source-rate", "10000"});
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  p.signal(SIGTERM);
  REQUIRE(p.wait() == 0);
  const auto text = p.out();
  INFO("stdout: " << text << "\nstderr: " << p.err());
  const auto at = text.find("savepoint: ");
  REQUIRE(at != std::string::npos);
  const auto path = text.substr(at + 11, text.find('\n', at) - at - 11);
  REQUIRE(fs::is_directory(path));
  CHECK(committed_lines(out).empty());  // word counts come at the end of the input
  auto resumed = run_eddy(tmp.path(), {"run", "wordcount", "--input", input.string(), "--output",
                                       out, "-p", "3", "--resume", path});
  INFO("resumed stderr: " << resumed.err);
  REQUIRE(resumed.code == 0);
  CHECK(resumed.out.find("restored from checkpoint") != std::string::npos);
  CHECK(committed_lines(out) == committed_lines(tmp.path() / "ref"));
}

TEST_CASE("the sensors job killed with SIGKILL and resumed writes exactly the failure-free output",
          "[cli][checkpoint]") {
  temp_dir tmp("eddy-sensors-resume");
  std::mt19937 rng(77);
  const auto input = tmp.path() / "readings.csv";
  write_file(input, eddy::testing::sensor_readings_csv(16000, 77));
  auto args_for = [&](const fs::path& dir) {
    auto args = eddy::testing::sensors_args(input, dir, 2);
    args.insert(args.begin(), "run");
    return args;
  };
  auto ref = run_eddy(tmp.path(), args_for(tmp.path() / "ref"));
  REQUIRE(ref.code == 0);
  for (int run = 0; run < 2; ++run) {
    INFO("run " << run);
    const auto dir = tmp.path() / ("run" + std::to_string(run));
    auto args = args_for(dir);
    for (const auto* a :
         {"--checkpoint-dir", "", "--checkpoint-interval", "100", "--source-rate", "16000"})
      args.emplace_back(a);
    args[args.size() - 5] = (dir / "chk").string();
    auto last = kill_and_resume(tmp.path(), args, 0, 1 + run, rng, 900);
    INFO("stderr: " << last.err);
    REQUIRE(last.code == 0);
    for (const auto* out : {"windows", "late", "alerts", "dead"}) {
      INFO("output " << out);
      const auto want = committed_lines(tmp.path() / "ref" / out);
      CHECK(!want.empty());
      CHECK(committed_lines(dir / out) == want);
    }
  }
}

TEST_CASE("eddy run refuses resume flags that cannot work with one error line", "[cli]") {
  temp_dir tmp("eddy-resume-errors");
  const auto input = tmp.path() / "in.txt";
  write_file(input, "a b c\n");
  const auto out = (tmp.path() / "out").string();
  struct bad {
    std::vector<std::string> extra;
    std::string mention;
  };
  for (const auto& b :
       {bad{{"--resume", "latest"}, "--resume latest needs --checkpoint-dir"},
        bad{{"--checkpoint-interval", "100"}, "--checkpoint-interval needs --checkpoint-dir"},
        bad{{"--resume", (tmp.path() / "nope").string()}, "no savepoint or checkpoint directory"},
        bad{{"--source-rate", "-3"}, "--source-rate"}}) {
    std::vector<std::string> args = {"run",          "wordcount", "--input",
                                     input.string(), "--output",  out};
    args.insert(args.end(), b.extra.begin(), b.extra.end());
    auto r = run_eddy(tmp.path(), args);
    INFO("stderr: " << r.err);
    CHECK(r.code != 0);
    CHECK(r.out.empty());
    CHECK(r.err.find(b.mention) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  // A savepoint of another job: nothing of this job to resume from.
  auto sp = tmp.path() / "chk";
  auto first = run_eddy(tmp.path(), {"run", "wordcount", "--input", input.string(), "--output", out,
                                     "--checkpoint-dir", sp.string()});
  REQUIRE(first.code == 0);
  auto wrong = run_eddy(tmp.path(), {"run", "sensors", "--input", input.string(), "--output",
                                     (tmp.path() / "s").string(), "--resume", sp.string()});
  CHECK(wrong.code != 0);
  CHECK(wrong.err.find("holds no completed checkpoint of job 'sensors'") != std::string::npos);
}

TEST_CASE(
    "a finished checkpointed wordcount resumed from its last checkpoint writes the same output",
    "[cli][checkpoint]") {
  // Its last checkpoints were taken after one source subtask had finished: that subtask
  // restores as finished and the combiners keep their own partial counts.
  temp_dir tmp("eddy-resume-finished");
  const auto input = tmp.path() / "in.txt";
  write_file(input, words_text(24000, 13));
  auto ref = run_eddy(tmp.path(), {"run", "wordcount", "--input", input.string(), "--output",
                                   (tmp.path() / "ref").string(), "-p", "2"});
  REQUIRE(ref.code == 0);
  for (const char* p : {"2", "3"}) {
    INFO("resumed at parallelism " << p);
    const auto dir = tmp.path() / (std::string("p") + p);
    auto args = checkpointed_wordcount(input, dir, 2, "50", "40000");
    auto first = run_eddy(tmp.path(), args);
    REQUIRE(first.code == 0);
    args.back() = p;
    args.push_back("--resume");
    args.push_back("latest");
    auto again = run_eddy(tmp.path(), args);
    INFO("stdout: " << again.out << "\nstderr: " << again.err);
    REQUIRE(again.code == 0);
    CHECK(again.out.find("restored from checkpoint 0") == std::string::npos);
    CHECK(committed_lines(dir / "out") == committed_lines(tmp.path() / "ref"));
  }
}

TEST_CASE("the sensors job on a monitored directory, drained on SIGTERM, writes every window",
          "[cli][savepoint]") {
  temp_dir tmp("eddy-drain-cli");
  const auto in = tmp.path() / "in";
  fs::create_directories(in);
  // A malformed last line marks the end: once it is a committed dead letter, all was read.
  write_file(in / "readings.csv", eddy::testing::sensor_readings_csv(6000, 5) + "end-of-input\n");
  auto ref_args = eddy::testing::sensors_args(in / "readings.csv", tmp.path() / "ref", 1);
  ref_args.insert(ref_args.begin(), "run");
  REQUIRE(run_eddy(tmp.path(), ref_args).code == 0);
  auto bad = eddy::testing::sensors_args(in / "readings.csv", tmp.path() / "bad", 1);
  bad.insert(bad.begin(), "run");
  bad.emplace_back("--drain");
  auto refused = run_eddy(tmp.path(), bad);
  CHECK(refused.code != 0);
  CHECK(refused.err.find("--drain needs --savepoint-on-stop") != std::string::npos);

  const auto dir = tmp.path() / "run";
  // Parallelism 1 as the reference: the same order of records, so the same late data.
  auto args = eddy::testing::sensors_args("file://" + in.string() + "?monitor=100ms", dir, 1);
  args.insert(args.begin(), "run");
  for (const auto& a :
       {std::string("--checkpoint-dir"), (dir / "chk").string(),
        std::string("--checkpoint-interval"), std::string("100"),
        std::string("--savepoint-on-stop"), (tmp.path() / "sp").string(), std::string("--drain")})
    args.push_back(a);
  eddy_process p(tmp.path(), args);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto read_all = [&] {
    for (const auto& l : committed_lines(dir / "dead"))
      if (l.find("end-of-input") != std::string::npos) return true;
    return false;
  };
  while (!read_all() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(read_all());
  CHECK(committed_lines(dir / "windows").size() <
        committed_lines(tmp.path() / "ref" / "windows").size());
  p.signal(SIGTERM);
  REQUIRE(p.wait() == 0);
  INFO("stdout: " << p.out() << "\nstderr: " << p.err());
  CHECK(p.err().find("draining and stopping") != std::string::npos);
  for (const auto* out : {"windows", "late", "alerts", "dead"}) {
    INFO("output " << out);
    CHECK(committed_lines(dir / out) == committed_lines(tmp.path() / "ref" / out));
  }
}
