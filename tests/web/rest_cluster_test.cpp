// `eddy coordinator --rest-port` and `eddy worker --rest-port`: the REST API over a real cluster
// (a coordinator and worker processes), with and without a cluster secret.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "eddy/runtime/cluster.hpp"
#include "support/http_client.hpp"
#include "support/test_cluster.hpp"
#include "support/test_support.hpp"
#include "web/rest_test_support.hpp"

using namespace std::chrono_literals;
using eddy::testing::eventually;
using eddy::testing::http_client;
using nlohmann::json;

namespace {

std::string sensor_lines(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += std::to_string(i % 5) + "," + std::to_string(1700000000000LL + i * 100) + "," +
         std::to_string(20 + i % 50) + ".5\n";
  return s;
}

}  // namespace

TEST_CASE("a coordinator's REST API submits, shows and cancels a cluster job", "[web][cluster]") {
  eddy::testing::temp_dir tmp{"eddy-rest-cluster"};
  eddy::testing::test_cluster cluster(tmp.path(), 1, 2, {}, {"--rest-port", "0"});
  http_client c(eddy::testing::rest_port_in([&] { return cluster.coordinator().out(); }));
  REQUIRE(
      eventually([&] { return c.get("/taskmanagers").json()["taskmanagers"].size() == 1; }, 20s));
  const auto tm = c.get("/taskmanagers").json()["taskmanagers"][0];
  CHECK(tm["name"] == "w0");
  CHECK(tm["slots"] == 2);
  CHECK(c.get("/overview").json()["mode"] == "cluster");

  const auto input = tmp.path() / "readings.csv";
  std::ofstream(input) << sensor_lines(50000);
  const json submit = {{"program", "sensors"},
                       {"args",
                        {"--input", input.string(), "--output", (tmp.path() / "out").string(), "-p",
                         "2", "--source-rate", "2000"}}};
  const auto r = c.post("/jobs", submit.dump());
  INFO(r.body);
  REQUIRE(r.status == 200);
  const auto id = r.json()["jobid"].get<std::string>();
  REQUIRE(eventually([&] { return c.get("/jobs/" + id).json()["state"] == "RUNNING"; }, 30s));

  // The plan, the subtasks' counters and rates, /metrics moving.
  json job;
  REQUIRE(eventually(
      [&] {
        job = c.get("/jobs/" + id).json();
        for (const auto& v : job["vertices"])
          if (v["records_out_per_second"].get<double>() > 0) return true;
        return false;
      },
      30s));
  CHECK(job["vertices"].size() == job["plan"]["nodes"].size());
  CHECK(job["program"] == "sensors");
  const auto scrape = [&] {
    const auto text = c.get("/metrics").body;
    static const std::regex re(
        "eddy_task_records_out_total\\{[^}]*task=\"Source: read_text_file[^}]*\\} ([0-9.e+]+)");
    std::smatch m;
    return std::regex_search(text, m, re) ? std::stod(m[1].str()) : -1.0;
  };
  const auto first = scrape();
  REQUIRE(first >= 0);
  REQUIRE(eventually([&] { return scrape() > first; }, 30s));
  CHECK(c.get("/metrics").body.find("eddy_worker_slots{address=") != std::string::npos);

  CHECK(c.patch("/jobs/" + id + "?mode=cancel").status == 202);
  REQUIRE(eventually([&] { return c.get("/jobs/" + id).json()["state"] == "CANCELED"; }, 30s));
  CHECK(c.get("/jobs/" + id + "/exceptions").status == 200);
  CHECK(c.get("/jobs/nope").status == 404);
}

TEST_CASE("each worker serves its own subtasks' REST API and /metrics, read-only",
          "[web][cluster]") {
  eddy::testing::temp_dir tmp{"eddy-rest-worker"};
  eddy::testing::test_cluster cluster(tmp.path(), 0, 1, {}, {"--rest-port", "0"});
  for (int i = 0; i < 2; ++i) cluster.add_worker(1, {"--rest-port", "0"});
  REQUIRE(cluster.wait_registered(2));
  http_client coord(eddy::testing::rest_port_in([&] { return cluster.coordinator().out(); }));
  std::vector<std::unique_ptr<http_client>> workers;
  for (std::size_t i = 0; i < 2; ++i)
    workers.push_back(std::make_unique<http_client>(
        eddy::testing::rest_port_in([&] { return cluster.worker(i).out(); })));
  for (std::size_t i = 0; i < 2; ++i) {
    auto& w = *workers[i];
    CHECK(w.get("/overview").json()["mode"] == "worker");
    const auto tm = w.get("/taskmanagers").json()["taskmanagers"];
    REQUIRE(tm.size() == 1);
    CHECK(tm[0]["name"] == "w" + std::to_string(i));
    CHECK(tm[0]["slots"] == 1);
  }

  const auto input = tmp.path() / "readings.csv";
  std::ofstream(input) << sensor_lines(50000);
  const json submit = {{"program", "sensors"},
                       {"args",
                        {"--input", input.string(), "--output", (tmp.path() / "out").string(), "-p",
                         "2", "--source-rate", "2000"}}};
  const auto r = coord.post("/jobs", submit.dump());
  INFO(r.body);
  REQUIRE(r.status == 200);
  const auto id = r.json()["jobid"].get<std::string>();
  REQUIRE(eventually([&] { return coord.get("/jobs/" + id).json()["state"] == "RUNNING"; }, 30s));

  // Each worker shows the job with its own subtasks only; together, all of the job's.
  std::size_t subtasks = 0;
  for (auto& w : workers) {
    json job;
    REQUIRE(eventually(
        [&] {
          job = w->get("/jobs/" + id).json();
          return job.contains("subtasks") && !job["subtasks"].empty();
        },
        30s));
    CHECK(job["name"] == "sensors");
    CHECK(job["vertices"].size() == job["plan"]["nodes"].size());
    subtasks += job["subtasks"].size();
  }
  CHECK(subtasks == coord.get("/jobs/" + id).json()["subtasks"].size());

  // /metrics of a worker: its subtasks' series move; its slots.
  const auto records_in = [&](http_client& w) {
    const auto text = w.get("/metrics").body;
    static const std::regex re("eddy_task_records_in_total\\{[^}]*\\} ([0-9.e+]+)");
    double sum = 0;
    for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
      sum += std::stod((*it)[1].str());
    return sum;
  };
  const auto before = records_in(*workers[0]) + records_in(*workers[1]);
  REQUIRE(
      eventually([&] { return records_in(*workers[0]) + records_in(*workers[1]) > before; }, 30s));
  CHECK(workers[0]->get("/metrics").body.find("eddy_worker_slots{address=") != std::string::npos);

  // Changes go to the coordinator.
  const auto refused = workers[0]->patch("/jobs/" + id + "?mode=cancel");
  CHECK(refused.status == 405);
  CHECK(refused.error().find("a worker's REST API only reads") == 0);
  CHECK(workers[1]->post("/jobs", submit.dump()).status == 405);
  CHECK(workers[0]->get("/jobs/nope").status == 404);

  // Flame graphs: sampled by the workers, each of its own subtasks; not by the coordinator.
  const auto vertex = coord.get("/jobs/" + id).json()["vertices"][0]["id"].dump();
  const auto flame = "/jobs/" + id + "/vertices/" + vertex + "/flamegraph?duration_ms=200";
  const auto at_coordinator = coord.get(flame);
  CHECK(at_coordinator.status == 501);
  CHECK(at_coordinator.error().find("eddy worker --rest-port") != std::string::npos);
  for (auto& w : workers) {
    const auto fg = w->get(flame);
    INFO(fg.body.substr(0, 500));
    CHECK(fg.status == 200);
    CHECK(fg.json()["data"]["name"] == "root");
  }

  CHECK(coord.patch("/jobs/" + id + "?mode=cancel").status == 202);
  REQUIRE(eventually([&] { return coord.get("/jobs/" + id).json()["state"] == "CANCELED"; }, 30s));
  // A job that ended is dropped by the workers.
  for (auto& w : workers)
    CHECK(eventually([&] { return w->get("/jobs").json()["jobs"].empty(); }, 30s));
}

TEST_CASE("latency markers cross workers and show in the coordinator's REST API",
          "[web][cluster][latency]") {
  // Two workers of one slot each: the sensors job's keyed exchange at -p 2 crosses them, so
  // markers travel between processes, and the sinks' histograms come back packed in the
  // workers' metrics.
  eddy::testing::temp_dir tmp{"eddy-rest-latency"};
  eddy::testing::test_cluster cluster(tmp.path(), 2, 1, {}, {"--rest-port", "0"});
  http_client c(eddy::testing::rest_port_in([&] { return cluster.coordinator().out(); }));
  const auto input = tmp.path() / "readings.csv";
  std::ofstream(input) << sensor_lines(50000);
  const json submit = {{"program", "sensors"},
                       {"args",
                        {"--input", input.string(), "--output", (tmp.path() / "out").string(), "-p",
                         "2", "--source-rate", "2000", "--latency-interval", "20"}}};
  const auto r = c.post("/jobs", submit.dump());
  INFO(r.body);
  REQUIRE(r.status == 200);
  const auto id = r.json()["jobid"].get<std::string>();
  json job;
  REQUIRE(eventually(
      [&] {
        job = c.get("/jobs/" + id).json();
        return job.contains("latency") && job["latency"]["count"].get<std::uint64_t>() >= 4;
      },
      30s));
  CHECK(job["latency"]["p99_us"].get<double>() >= job["latency"]["p50_us"].get<double>());
  CHECK(eventually([&] { return c.get("/taskmanagers").json()["taskmanagers"].size() == 2; }, 20s));
  CHECK(c.get("/metrics").body.find("eddy_task_latency_seconds{") != std::string::npos);
  CHECK(c.patch("/jobs/" + id + "?mode=cancel").status == 202);
  REQUIRE(eventually([&] { return c.get("/jobs/" + id).json()["state"] == "CANCELED"; }, 30s));
}

TEST_CASE("a coordinator with a secret wants its token on REST requests", "[web][cluster]") {
  eddy::testing::temp_dir tmp{"eddy-rest-secret"};
  const auto secret_file = tmp.path() / "secret";
  std::ofstream(secret_file) << "correct horse battery staple\n";
  eddy::testing::test_cluster cluster(tmp.path(), 1, 1, {"--secret-file", secret_file.string()},
                                      {"--rest-port", "0"});
  const auto port = eddy::testing::rest_port_in([&] { return cluster.coordinator().out(); });
  http_client c(port);
  auto r = c.get("/overview");
  CHECK(r.status == 401);
  const auto token =
      eddy::testing::run_eddy(tmp.path(), {"rest-token", "--secret-file", secret_file.string()});
  REQUIRE(token.code == 0);
  CHECK(token.out == eddy::rest_api_token("correct horse battery staple") + "\n");
  c.set_token(token.out.substr(0, token.out.size() - 1));
  r = c.get("/overview");
  CHECK(r.status == 200);
  CHECK(r.json()["taskmanagers"] == 1);
  CHECK(http_client(port).get("/").status == 200);  // the page itself is open
}

TEST_CASE("eddy coordinator refuses a REST port it cannot use and a public REST host",
          "[web][cluster]") {
  eddy::testing::temp_dir tmp{"eddy-rest-flags"};
  auto r = eddy::testing::run_eddy(
      tmp.path(), {"coordinator", "--listen", "127.0.0.1:0", "--state-dir",
                   (tmp.path() / "s").string(), "--rest-port", "0", "--rest-host", "0.0.0.0"});
  CHECK(r.code == 2);
  CHECK(r.err.find("--rest-host 0.0.0.0 is not a loopback address: give --secret-file") !=
        std::string::npos);
  // A port in use: the coordinator says so and ends.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const auto busy = std::to_string(ntohs(a.sin_port));
  r = eddy::testing::run_eddy(tmp.path(), {"coordinator", "--listen", "127.0.0.1:0", "--state-dir",
                                           (tmp.path() / "s").string(), "--rest-port", busy});
  ::close(fd);
  CHECK(r.code == 1);
  CHECK(r.err.find("cannot listen on 127.0.0.1:" + busy + " for the REST API") !=
        std::string::npos);
  r = eddy::testing::run_eddy(tmp.path(), {"coordinator", "--rest-port", "70000"});
  CHECK(r.code != 0);
  CHECK(r.err.find("--rest-port") != std::string::npos);
}
