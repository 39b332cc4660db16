// `--log-file` of `eddy coordinator` and `eddy worker`: the log goes to the file, not stderr.
#include <catch2/catch.hpp>

#include <regex>

#include "support/eddy_process.hpp"
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
