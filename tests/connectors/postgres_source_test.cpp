// The PostgreSQL source (postgres_source.hpp): range splits read in parallel, restores in the
// middle of a range, and the sensors sample writing its windows to a table through `eddy run`.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/connectors/postgres/postgres_source.hpp"
#include "eddy/operators/datastream.hpp"
#include "support/eddy_process.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

// A namespace of its own: test files are compiled in unity batches (tests/CMakeLists.txt).
namespace postgres_source_test {

namespace pg = eddy::postgres;

namespace {

std::string why(const eddy::job_result& r) {
  return r.failure ? r.failure->message : "";
}

pg::source_options source_options(const eddy::testing::postgres_server& s,
                                  const std::string& query) {
  const auto text =
      "postgresql://eddy@127.0.0.1:" + std::to_string(s.port()) + "/postgres?" + query;
  auto u = eddy::connectors::parse_connector_uri(text);
  REQUIRE(u);
  auto o = pg::parse_source_uri(*u);
  INFO((o ? "" : o.error().message));
  REQUIRE(o);
  return *o;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

/// "id,name" lines of the table filled by fill(): ids 1..n, and two rows with a NULL id.
std::vector<std::string> fill(eddy::testing::postgres_server& s, int n) {
  s.psql(
      "CREATE TABLE items (id BIGINT, name TEXT); INSERT INTO items SELECT i, 'item ' || i "
      "FROM generate_series(1, " +
      std::to_string(n) +
      ") i; INSERT INTO items VALUES (NULL, 'a, \"quoted\" one'), "
      "(NULL, NULL)");
  std::vector<std::string> want;
  for (int i = 1; i <= n; ++i) want.push_back(std::to_string(i) + ",item " + std::to_string(i));
  want.push_back(",\"a, \"\"quoted\"\" one\"");
  want.push_back(",");
  return sorted(want);
}

}  // namespace

TEST_CASE("postgresql source URIs are checked") {
  auto source = [](const std::string& query) -> std::string {
    auto u = eddy::connectors::parse_connector_uri("postgresql://eddy@127.0.0.1:5432/db?" + query);
    REQUIRE(u);
    auto o = pg::parse_source_uri(*u);
    return o ? std::string("ok") : o.error().message;
  };
  CHECK(source("table=t") == "ok");
  CHECK(source("query=SELECT 1&partition-column=a&partition-num=4&lower-bound=1&upper-bound=9") ==
        "ok");
  CHECK_THAT(source("table=t&query=SELECT 1"), Catch::Contains("exactly one of table"));
  CHECK_THAT(source("table=t&partition-column=a"), Catch::Contains("needs partition-num"));
  CHECK_THAT(source("table=t&partition-num=3"), Catch::Contains("need partition-column"));
  CHECK_THAT(source("table=t&partition-column=a&partition-num=2&lower-bound=5&upper-bound=1"),
             Catch::Contains("lower-bound is greater"));
}

TEST_CASE("the postgresql source reads every row once, split into ranges, at any parallelism",
          "[postgres]") {
  eddy::testing::postgres_server server;
  const auto want = fill(server, 1000);
  const int p = GENERATE(1, 3);
  const auto query = GENERATE(as<std::string>{}, "table=items",
                              "table=items&partition-column=id&partition-num=7&fetch-size=33",
                              "table=items&partition-column=id&partition-num=4&lower-bound=100&"
                              "upper-bound=500");
  INFO("parallelism " << p << ", " << query);
  eddy::StreamEnvironment env;
  env.set_parallelism(p);
  auto out =
      env.from_source(pg::postgres_source_csv_lines(source_options(server, query))).collect();
  const auto r = env.execute("read");
  INFO(why(r));
  REQUIRE(r.ok());
  CHECK(sorted(out.values()) == want);
}

TEST_CASE("a postgresql source whose reader is killed resumes in the middle of its range exactly",
          "[postgres][checkpoint][recovery]") {
  eddy::testing::postgres_server server;
  const auto want = fill(server, 3000);
  eddy::testing::temp_dir tmp{"eddy-pg-kill"};
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.set_batch_size(16);
  env.config().source_rate = 3000;  // ~1 s: time for checkpoints and the kill
  env.config().checkpoints.interval = std::chrono::milliseconds(20);
  env.config().checkpoints.directory = (tmp.path() / "chk").string();
  env.config().restart = eddy::restart_strategy::fixed_delay(3, std::chrono::milliseconds(10));
  auto out = env.from_source(pg::postgres_source_csv_lines(
                                 source_options(server,
                                                "table=items&partition-column=id&partition-num=3&"
                                                "fetch-size=10")),
                             "rows")
                 .collect();
  auto h = env.execute_async("pg kill");
  REQUIRE(h);
  while (h->checkpoints().size() < 2 && !h->wait_for(std::chrono::milliseconds(1))) {
  }
  const bool killed = h->kill_subtask("rows", 1);
  const auto r = h->wait();
  INFO(why(r));
  REQUIRE(r.ok());
  if (!killed)
    WARN("the job ended before its reader could be killed");
  else
    CHECK(r.restarts == 1);
  CHECK(sorted(out.values()) == want);
}

TEST_CASE("a bad postgresql source query fails the job with the server's reason", "[postgres]") {
  eddy::testing::postgres_server server;
  eddy::StreamEnvironment env;
  auto out = env.from_source(pg::postgres_source_csv_lines(
                                 source_options(server, "query=SELECT nope FROM nowhere")))
                 .collect();
  CHECK_THROWS_WITH(env.execute("bad"), Catch::Contains("cannot read the query") &&
                                            Catch::Contains("\"nowhere\" does not exist"));
}

TEST_CASE("eddy run sensors writes its windows to a postgresql table, the values of its CSV output",
          "[postgres][cli]") {
  eddy::testing::postgres_server server;
  eddy::testing::temp_dir tmp{"eddy-pg-sensors"};
  const auto input = tmp.path() / "readings.csv";
  {
    std::ofstream f(input);
    f << "device_id,ts_ms,temperature\n";
    std::int64_t t = 1700000000000;
    for (int i = 0; i < 400; ++i) {
      t += 97 * (i % 7);
      f << "dev-00" << (i % 3) << "," << t << "," << (70 + (i * 13) % 20) << "." << (i % 10)
        << "\n";
      if (i == 50) f << "not,a,reading\n";
    }
  }
  const auto csv =
      eddy::testing::run_eddy(tmp.path(), {"run", "sensors", "--input", input.string(), "--output",
                                           (tmp.path() / "windows").string(), "--dead-letter",
                                           (tmp.path() / "dl1").string()});
  INFO(csv.err);
  REQUIRE(csv.code == 0);
  const auto uri = server.uri("postgres", "sensor_windows") + "&create-table=true";
  const auto db =
      eddy::testing::run_eddy(tmp.path(), {"run", "sensors", "--input", input.string(), "--output",
                                           uri, "--dead-letter", (tmp.path() / "dl2").string()});
  INFO(db.err);
  REQUIRE(db.code == 0);
  // The same rows, compared as numbers (the CSV prints the average with 3 decimals).
  std::vector<std::string> want;
  for (const auto& line : eddy::testing::committed_lines(tmp.path() / "windows")) {
    auto fields = line;
    std::replace(fields.begin(), fields.end(), ',', '|');
    want.push_back(fields);
  }
  const auto got = server.psql(
      "SELECT device_id, window_start, window_end, count, to_char(avg_temperature, 'FM990.000'), "
      "to_char(max_temperature, 'FM990.0') FROM sensor_windows");
  std::vector<std::string> rows;
  std::size_t start = 0;
  while (start < got.size()) {
    auto nl = got.find('\n', start);
    if (nl == std::string::npos) nl = got.size();
    rows.push_back(got.substr(start, nl - start));
    start = nl + 1;
  }
  REQUIRE(want.size() > 10);
  CHECK(sorted(rows) == sorted(want));
  CHECK(server.psql("SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), "
                    "', ' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = "
                    "'sensor_windows'::regclass AND a.attnum > 0") ==
        "device_id text, window_start bigint, window_end bigint, count bigint, avg_temperature "
        "double precision, max_temperature double precision");
  CHECK(eddy::testing::committed_lines(tmp.path() / "dl2").size() == 1);
}

TEST_CASE("the postgresql example of the docs runs", "[postgres][sample]") {
  eddy::testing::postgres_server server;
  eddy::testing::temp_dir tmp{"eddy-pg-sample"};
  const auto uri = "postgresql://eddy@127.0.0.1:" + std::to_string(server.port()) + "/postgres";
  // The sample binary through sh (eddy_process runs EDDY_BIN after a prefix: here sh's $0).
  eddy::testing::eddy_process p(
      tmp.path(),
      {"/bin/sh", "-c", std::string("exec '") + SAMPLE_POSTGRES_BIN + "' '" + uri + "'"}, {});
  const int code = p.wait();
  INFO(p.err());
  REQUIRE(code == 0);
  // Devices d0..d3; readings i with i % 4 == d; temperature 60 + ((i * 37) % 400) / 10.
  std::string want;
  for (int d = 0; d < 4; ++d) {
    double max = 0;
    for (int i = d; i < 1000; i += 4) max = std::max(max, 60.0 + ((i * 37) % 400) / 10.0);
    char line[64];
    std::snprintf(line, sizeof line, "d%d,%g\n", d, max);
    want += line;
  }
  CHECK(p.out() == want);
  CHECK(server.psql("SELECT count(*) FROM eddy_sample_readings") == "1000");
}

}  // namespace postgres_source_test
