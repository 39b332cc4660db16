// A job submitted to a cluster without enough free slots waited silently (up to --slot-timeout)
// while `eddy run --cluster` printed nothing and `jobs`/`status` showed only CREATED. The client
// now reports that the job waits, for how many slots and why, and the shell shows the reason.
// Only 127.0.0.1; every wait is bounded.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>

#include "support/eddy_process.hpp"
#include "support/test_cluster.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::testing::eddy_process;
using eddy::testing::eventually;
using eddy::testing::run_eddy;
using eddy::testing::temp_dir;
using eddy::testing::test_cluster;
using eddy::testing::words_text;
using eddy::testing::write_file;

namespace {
bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}
}  // namespace

TEST_CASE("a submission waiting for slots tells the client and the shell why",
          "[regression][cluster][slots]") {
  temp_dir tmp{"eddy-slots"};
  test_cluster cluster(tmp.path(), 1, 2, {}, {"--slot-timeout", "120"});
  const auto words = tmp.path() / "words.txt";
  write_file(words, words_text(2000, 7));
  eddy_process run(tmp.path(),
                   {"run", "--cluster", cluster.address(), "wordcount", "--input", words.string(),
                    "--output", (tmp.path() / "out").string(), "-p", "4"});
  const std::string reason =
      "waits for 4 slots (2 free on 1 worker); it fails after --slot-timeout 120 s";
  REQUIRE(eventually([&] { return contains(run.err(), reason) || !run.running(); }, 30s));
  INFO("run stderr: " << run.err());
  std::smatch m;
  const auto err = run.err();
  REQUIRE(std::regex_search(err, m, std::regex("submitted job ([^ ]+) to")));
  const auto id = m[1].str();
  CHECK(contains(err, "eddy: job " + id + " " + reason));

  auto jobs = run_eddy(tmp.path(), {"jobs", "--cluster", cluster.address()});
  INFO("jobs: " << jobs.out << jobs.err);
  CHECK(jobs.code == 0);
  CHECK(contains(jobs.out, id + " " + reason));
  auto status = run_eddy(tmp.path(), {"status", id, "--cluster", cluster.address()});
  INFO("status: " << status.out << status.err);
  CHECK(status.code == 0);
  CHECK(contains(status.out, reason));
  auto status_json = run_eddy(tmp.path(), {"status", id, "--json", "--cluster", cluster.address()});
  CHECK(contains(status_json.out, "\"waiting\""));

  // Two more slots: the job runs.
  cluster.add_worker(2);
  const int code = run.wait_for(120s);
  INFO("run stderr: " << run.err());
  CHECK(code == 0);
}
