// `--rest-port` of the clients: `eddy shell` serves the REST API of its cluster (here its
// embedded one) while it runs, `eddy sql` that of the jobs it runs.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "support/eddy_process.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"
#include "web/rest_test_support.hpp"

using namespace std::chrono_literals;
using eddy::testing::eventually;
using eddy::testing::http_client;

TEST_CASE("eddy shell --rest-port serves its embedded cluster's jobs", "[web][shell]") {
  eddy::testing::temp_dir tmp{"eddy-rest-shell"};
  const auto input = tmp.path() / "readings.csv";
  {
    std::ofstream in(input);
    for (int i = 0; i < 100000; ++i)
      in << i % 5 << "," << 1700000000000LL + i * 100 << "," << 20 + i % 50 << ".5\n";
  }
  // The shell reads its commands from a pipe the test keeps open.
  const auto fifo = tmp.path() / "commands";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const int fd = ::open(fifo.c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  eddy::testing::eddy_process shell(tmp.path(), {}, {"shell", "--rest-port", "0"}, fifo.string());
  http_client c(eddy::testing::rest_port_in([&] { return shell.err(); }));
  CHECK(c.get("/overview").json()["mode"] == "cluster");
  const std::string run = "run sensors --input " + input.string() + " --output " +
                          (tmp.path() / "out").string() + " --source-rate 2000\n";
  REQUIRE(::write(fd, run.data(), run.size()) == static_cast<ssize_t>(run.size()));
  REQUIRE(eventually([&] { return eddy::testing::one_running_job(c); }, 30s));
  const auto id = c.get("/jobs/overview").json()["jobs"][0]["id"].get<std::string>();
  CHECK(c.patch("/jobs/" + id + "?mode=cancel").status == 202);
  REQUIRE(eventually([&] { return c.get("/jobs/" + id).json()["state"] == "CANCELED"; }, 30s));
  const std::string quit = "quit\n";
  REQUIRE(::write(fd, quit.data(), quit.size()) == 5);
  ::close(fd);
  CHECK(shell.wait_for(30s) == 0);
}

TEST_CASE("eddy sql --rest-port serves the jobs it runs", "[web][sql]") {
  eddy::testing::temp_dir tmp{"eddy-rest-sql"};
  const auto bad = eddy::testing::run_eddy(tmp.path(), {"sql", "--rest-port", "x", "-e", "1"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("eddy sql: --rest-port needs a port from 0 to 65535, not 'x'") !=
        std::string::npos);
  // A job that runs until canceled: a generator table into a blackhole.
  const auto script = tmp.path() / "job.sql";
  std::ofstream(script)
      << "CREATE TABLE g (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1000');\n"
         "CREATE TABLE b (n BIGINT) WITH ('connector' = 'blackhole');\n"
         "INSERT INTO b SELECT n FROM g;\n";
  eddy::testing::eddy_process sql(tmp.path(), {"sql", "--rest-port", "0", "-f", script.string()});
  http_client c(eddy::testing::rest_port_in([&] { return sql.err(); }));
  REQUIRE(eventually([&] { return eddy::testing::one_running_job(c); }, 30s));
  CHECK(c.get("/overview").json()["mode"] == "embedded");
  const auto id = c.get("/jobs/overview").json()["jobs"][0]["id"].get<std::string>();
  CHECK(c.patch("/jobs/" + id + "?mode=cancel").status == 202);
  const int rc = sql.wait_for(30s);
  CHECK(rc > 0);  // it ended, its INSERT canceled
}
