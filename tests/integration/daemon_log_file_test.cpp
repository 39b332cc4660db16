// `--log-file` of `eddy coordinator` and `eddy worker`: the log goes to the file, not stderr;
// and a job's log lines carry its id.
#include <catch2/catch.hpp>

#include <regex>

#include "support/eddy_process.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using eddy::testing::eventually;
using eddy::testing::read_file;

TEST_CASE("eddy coordinator and worker write their log to --log-file", "[cli][cluster]") {
  eddy::testing::temp_dir tmp{"eddy-log-file"};
  const auto coord_log = tmp.path() / "coordinator.log";
  const auto worker_log = tmp.path() / "worker.log";
  eddy::testing::eddy_process coord(
      tmp.path(),
      {"coordinator", "--listen", "127.0.0.1:0", "--state-dir", (tmp.path() / "state").string(),
       "--log-level", "info", "--log-file", coord_log.string()});
  std::smatch m;
  const std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)");
  std::string out;
  REQUIRE(eventually(
      [&] {
        out = coord.out();
        return std::regex_search(out, m, re);
      },
      20s));
  eddy::testing::eddy_process worker(
      tmp.path(), {"worker", "--coordinator", "127.0.0.1:" + m[1].str(), "--name", "w0",
                   "--log-level", "info", "--log-file", worker_log.string()});
  REQUIRE(eventually(
      [&] { return read_file(coord_log).find("'w0' registered with") != std::string::npos; }, 20s));
  REQUIRE(eventually([&] { return !read_file(worker_log).empty(); }, 20s));
  CHECK(coord.err().find("registered with") == std::string::npos);
  CHECK(worker.err().empty());

  // A file in a missing directory: refused at once (spdlog alone would create the directories).
  const auto missing = tmp.path() / "no" / "such";
  eddy::testing::eddy_process bad(tmp.path(),
                                  {"worker", "--log-file", (missing / "dir.log").string()});
  CHECK(bad.wait_for(20s) == 2);
  CHECK(bad.err() == "eddy: --log-file " + (missing / "dir.log").string() + ": no such directory " +
                         missing.string() + "\n");
  CHECK(!std::filesystem::exists(tmp.path() / "no"));
}

TEST_CASE("a job's log lines carry its id", "[cli]") {
  eddy::testing::temp_dir tmp{"eddy-log-job-id"};
  const auto readings = tmp.path() / "readings.csv";
  eddy::testing::write_file(readings, eddy::testing::sensor_readings_csv(4000, 5));
  auto args = eddy::testing::sensors_args(readings, tmp.path() / "out", 2);
  args.insert(args.begin(), {"--log-level", "info", "run"});
  const auto r = eddy::testing::run_eddy(tmp.path(), args);
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 0);
  // The supervisor's last line names the job by its id (NAME-N, the first job of the process).
  CHECK(std::regex_search(r.err,
                          std::regex(R"(info \[job sensors-1\] job 'sensors' FINISHED after)")));
  // Lines logged outside any job carry no id.
  CHECK(r.err.find("[job ]") == std::string::npos);
}
