// `eddy sql` with kafka tables (the real binary, EDDY_BIN) against an in-process mock cluster on
// loopback: Flink's WITH keys, bounded reads that end the job, csv and json, an event-time
// window, and the errors of a bad table or an updating query into an append-only topic.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/kafka_mock.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

// A namespace of its own: test files are compiled in unity batches (tests/CMakeLists.txt).
namespace kafka_sql_test {

using eddy::testing::run_eddy;
using eddy::testing::temp_dir;

namespace {

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

/// Runs `script` with `eddy sql -f`; returns the result.
eddy::testing::run_result run_sql(const temp_dir& tmp, const std::string& script) {
  static int n = 0;
  const auto path = tmp.path() / ("script" + std::to_string(n++) + ".sql");
  eddy::testing::write_file(path, script);
  return run_eddy(tmp.path(), {"sql", "-f", path.string()});
}

struct order {
  int id;
  std::string item;
  long price;  // cents
  long ts_ms;  // event time
};

std::vector<order> random_orders(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  const std::vector<std::string> items = {"apple", "pear", "plum", "fig"};
  std::vector<order> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back({static_cast<int>(i), items[rng() % items.size()],
                   static_cast<long>(rng() % 5000),
                   1'700'000'000'000L + static_cast<long>(i) * 250 +
                       static_cast<long>(rng() % 1000)});  // < 1 s out of order
  return out;
}

/// As Flink's CSV writes a TIMESTAMP(3): no fraction when it is zero.
std::string timestamp_text(long ms) {
  const std::time_t s = ms / 1000;
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03ld", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
  std::string out = buf;
  if (ms % 1000 == 0) out.resize(out.size() - 4);
  return out;
}

std::string decimal_text(long cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld.%02ld", cents / 100, cents % 100);
  return buf;
}

}  // namespace

TEST_CASE("eddy sql reads a kafka topic (csv) and writes another (json), bounded: the job ends",
          "[sql][kafka]") {
  temp_dir tmp("eddy-kafka-sql");
  eddy::testing::kafka_mock k;
  k.create_topic("orders", 3);
  k.create_topic("expensive", 2);
  const auto orders = random_orders(2000, 11);
  std::vector<std::string> lines;
  std::vector<std::string> expected;
  for (const auto& o : orders) {
    lines.push_back(std::to_string(o.id) + "," + o.item + "," + decimal_text(o.price) + "," +
                    timestamp_text(o.ts_ms));
    if (o.price > 4000) {
      std::string upper = o.item;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      expected.push_back("{\"id\":" + std::to_string(o.id) + ",\"item\":\"" + upper +
                         "\",\"price\":" + decimal_text(o.price) + "}");
    }
  }
  k.produce("orders", lines, 3);
  for (int p : {1, 2}) {
    INFO("parallelism " << p);
    const std::string out_topic = "expensive" + std::to_string(p);
    k.create_topic(out_topic, 2);
    const auto r = run_sql(tmp, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                                    R"(CREATE TABLE orders (
  id INT, item STRING, price DECIMAL(10, 2), ts TIMESTAMP(3)
) WITH (
  'connector' = 'kafka',
  'topic' = 'orders',
  'properties.bootstrap.servers' = ')" +
                                    k.bootstrap() + R"(',
  'properties.group.id' = 'sql-test',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'csv'
);
CREATE TABLE expensive (id INT, item STRING, price DECIMAL(10, 2)) WITH (
  'connector' = 'kafka',
  'topic' = ')" + out_topic + R"(',
  'properties.bootstrap.servers' = ')" +
                                    k.bootstrap() + R"(',
  'format' = 'json'
);
INSERT INTO expensive SELECT id, UPPER(item), price FROM orders WHERE price > 40;
)");
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.code == 0);
    CHECK(sorted(k.consume(out_topic, expected.size())) == sorted(expected));
  }
}

TEST_CASE("eddy sql: an event-time window over a bounded kafka topic (json) fires at the end",
          "[sql][kafka]") {
  temp_dir tmp("eddy-kafka-sql-window");
  eddy::testing::kafka_mock k;
  k.create_topic("orders", 2);
  k.create_topic("totals", 1);
  const auto orders = random_orders(1500, 5);
  std::vector<std::string> lines;
  std::map<std::pair<long, std::string>, std::pair<long, long>> windows;  // count, cents
  for (const auto& o : orders) {
    lines.push_back("{\"id\":" + std::to_string(o.id) + ",\"item\":\"" + o.item + "\",\"price\":" +
                    decimal_text(o.price) + ",\"ts\":\"" + timestamp_text(o.ts_ms) + "\"}");
    auto& w = windows[{o.ts_ms - o.ts_ms % 60'000, o.item}];
    w.first += 1;
    w.second += o.price;
  }
  std::vector<std::string> expected;
  for (const auto& [key, v] : windows)
    expected.push_back(timestamp_text(key.first) + "," + key.second + "," +
                       std::to_string(v.first) + "," + decimal_text(v.second));
  k.produce("orders", lines, 2);
  const auto r = run_sql(tmp, R"(SET 'parallelism.default' = '2';
CREATE TABLE orders (
  id INT, item STRING, price DECIMAL(10, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'kafka', 'topic' = 'orders',
  'properties.bootstrap.servers' = ')" +
                                  k.bootstrap() + R"(',
  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset',
  'format' = 'json'
);
CREATE TABLE totals (window_start TIMESTAMP(3), item STRING, n BIGINT, total DECIMAL(38, 2))
WITH ('connector' = 'kafka', 'topic' = 'totals',
      'properties.bootstrap.servers' = ')" +
                                  k.bootstrap() + R"(', 'format' = 'csv');
INSERT INTO totals
SELECT window_start, item, COUNT(*), SUM(price)
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, item;
)");
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(sorted(k.consume("totals", expected.size())) == expected);
}

TEST_CASE("eddy sql: kafka table errors name the table and the option", "[sql][kafka]") {
  temp_dir tmp("eddy-kafka-sql-errors");
  eddy::testing::kafka_mock k(1);
  k.create_topic("t", 1);
  const std::string servers = "'properties.bootstrap.servers' = '" + k.bootstrap() + "'";
  const std::string sink = "CREATE TABLE s (a INT, b STRING) WITH ('connector' = 'blackhole');\n";
  auto error_of = [&](const std::string& with, const std::string& query =
                                                   "INSERT INTO s "
                                                   "SELECT * FROM t;") {
    const auto r = run_sql(
        tmp, "CREATE TABLE t (a INT, b STRING) WITH (" + with + ");\n" + sink + query + "\n");
    CHECK(r.code != 0);
    return r.out + r.err;
  };
  using Catch::Matchers::Contains;
  CHECK_THAT(error_of("'connector' = 'kafka', 'topic' = 't', " + servers +
                      ", 'format' = 'csv', 'scan.startup.mod' = 'earliest-offset'"),
             Contains("Table 't' (connector 'kafka'): unknown option 'scan.startup.mod' (did you "
                      "mean 'scan.startup.mode'?)"));
  CHECK_THAT(error_of("'connector' = 'kafka', " + servers + ", 'format' = 'csv'"),
             Contains("Table 't' (connector 'kafka'): 'topic' is required"));
  CHECK_THAT(error_of("'connector' = 'kafka', 'topic' = 't', " + servers),
             Contains("Table 't': connector 'kafka' needs a 'format' option ('csv' or 'json')"));
  CHECK_THAT(error_of("'connector' = 'kafka', 'topic' = 't', 'format' = 'csv', "
                      "'properties.bootstrap.servers' = 'nohost'"),
             Contains("'properties.bootstrap.servers' = 'nohost': expected HOST:PORT"));
  CHECK_THAT(error_of("'connector' = 'kafka', 'topic' = 't', 'format' = 'csv', " + servers +
                      ", 'scan.startup.mode' = 'specific-offsets'"),
             Contains("'scan.startup.mode' = 'specific-offsets' is not supported"));
  // An updating query into an append-only topic: Flink's error.
  const auto r = run_sql(tmp,
                         "CREATE TABLE src (a INT, b STRING) WITH ('connector' = "
                         "'datagen', 'number-of-rows' = '10');\n"
                         "CREATE TABLE t (b STRING, n BIGINT) WITH ('connector' = 'kafka', "
                         "'topic' = 't', 'format' = 'csv', " +
                             servers +
                             ");\n"
                             "INSERT INTO t SELECT b, COUNT(*) FROM src GROUP BY b;\n");
  CHECK(r.code != 0);
  CHECK_THAT(r.out + r.err, Contains("Table sink 't' doesn't support consuming update changes"));
}

}  // namespace kafka_sql_test
