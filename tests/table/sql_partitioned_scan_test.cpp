// Reading partitioned filesystem tables (PARTITIONED BY): Nexmark q10's output read back at
// parallelism 1 and 3 (every row once, its partition values from the directory names), a window
// aggregate over it with a watermark, typed partition keys (INT, DATE, NULL, escaped strings)
// written and read back, and the errors.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace sql_partitioned_scan_test {

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

std::string q10_table(const std::string& name, const fs::path& out, bool watermark) {
  return "CREATE TABLE " + name +
         " (auction BIGINT, bidder BIGINT, price BIGINT, `dateTime` TIMESTAMP(3), extra VARCHAR, "
         "dt STRING, hm STRING" +
         (watermark ? ", WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND" : "") +
         ") PARTITIONED BY (dt, hm) WITH ('connector' = 'filesystem', 'path' = '" + out.string() +
         "', 'format' = 'csv', 'sink.partition-commit.policy.kind' = 'success-file');\n";
}

}  // namespace sql_partitioned_scan_test

TEST_CASE("A partitioned table reads back every row with its partition values",
          "[table][session][partitioned]") {
  using namespace sql_partitioned_scan_test;
  testing::temp_dir tmp;
  const auto bids = make_bids(2000, 41);
  write_bids(tmp.path() / "bid", bids, 2, true);
  {
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '2';\n" + bid_ddl(tmp.path() / "bid") +
                  q10_table("q10", tmp.path() / "out", false) +
                  "INSERT INTO q10 SELECT auction, bidder, price, `dateTime`, extra, "
                  "DATE_FORMAT(`dateTime`, 'yyyy-MM-dd'), DATE_FORMAT(`dateTime`, 'HH:mm:ss') FROM "
                  "bid;");
  }
  std::multiset<std::string> want;
  std::map<std::int64_t, std::int64_t> per_window;  // 10 s tumbling windows
  std::set<std::string> minutes;                    // the hm partitions
  for (const auto& b : bids) {
    const auto text = stamp(b.ts);
    want.insert(std::to_string(b.auction) + "," + std::to_string(b.price) + "," +
                text.substr(0, 10) + "," + text.substr(11, 8));
    ++per_window[b.ts - b.ts % 10'000];
    minutes.insert(text.substr(11, 8));
  }
  REQUIRE(minutes.size() > 5);  // several partitions (a second each)
  for (const int p : {1, 3}) {
    CAPTURE(p);
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  q10_table("q10", tmp.path() / "out", false));
    const auto r = run_ok(s, "SELECT auction, price, dt, hm FROM q10;");
    CHECK(replay(r) == want);
    const auto plan = run_ok(s, "EXPLAIN SELECT auction, dt, hm FROM q10;");
    CHECK_THAT(
        plan.message,
        Catch::Contains("partitions=[dt=2015-07-15/hm=00:00:00, dt=2015-07-15/hm=00:00:01, "));
  }
  // Event time over a partitioned table: a window aggregate counts every row.
  table::sql_session s;
  run_ok(s, "SET 'parallelism.default' = '2';\n" + q10_table("q10w", tmp.path() / "out", true));
  const auto r = run_ok(s,
                        "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE q10w, "
                        "DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND)) GROUP BY window_start, "
                        "window_end;");
  std::multiset<std::string> windows;
  for (const auto& [ws, n] : per_window) windows.insert(print_stamp(ws) + "," + std::to_string(n));
  CHECK(replay(r) == windows);
}

TEST_CASE("Typed partition keys round-trip: INT, DATE, NULL and escaped strings",
          "[table][session][partitioned]") {
  using namespace sql_partitioned_scan_test;
  testing::temp_dir tmp;
  table::sql_session s;
  const auto out = tmp.path() / "typed";
  run_ok(s,
         "CREATE TABLE typed (v BIGINT, n INT, d DATE, t STRING) PARTITIONED BY (n, d, t) WITH "
         "('connector' = 'filesystem', 'path' = '" +
             out.string() +
             "', 'format' = 'csv');\n"
             "INSERT INTO typed VALUES (1, 7, DATE '2020-02-29', 'a/b=c%'), (2, -3, DATE "
             "'1999-12-31', 'x y'), (3, CAST(NULL AS INT), DATE '2020-02-29', ''), (4, 7, "
             "DATE '2020-02-29', 'a/b=c%');");
  const auto r = run_ok(s, "SELECT v, n, d, t FROM typed;");
  CHECK(replay(r) == std::multiset<std::string>{"1,7,2020-02-29,a/b=c%", "2,-3,1999-12-31,x y",
                                                "3,null,2020-02-29,null", "4,7,2020-02-29,a/b=c%"});
  const auto sum = run_ok(s, "SELECT n, SUM(v) FROM typed WHERE n > 0 GROUP BY n;");
  CHECK(replay(sum) == std::multiset<std::string>{"7,5"});
}

TEST_CASE("Reading a partitioned table names a bad directory or value",
          "[table][session][partitioned]") {
  testing::temp_dir tmp;
  const auto root = tmp.path() / "p";
  const auto table = [&](const fs::path& path) {
    return "CREATE TABLE p (v BIGINT, n INT) PARTITIONED BY (n) WITH ('connector' = "
           "'filesystem', 'path' = '" +
           path.string() + "', 'format' = 'csv');\n";
  };
  table::sql_session s;
  run_ok(s, table(tmp.path() / "missing"));
  CHECK_THAT(error_of(s, "SELECT * FROM p;"), Catch::Contains("does not exist"));

  table::sql_session s2;
  fs::create_directories(root / "n=abc");
  std::ofstream(root / "n=abc" / "part-0") << "1\n";
  run_ok(s2, table(root));
  CHECK_THAT(error_of(s2, "SELECT * FROM p;"),
             Catch::Contains("the partition directory '" + (root / "n=abc").string() +
                             "' has a value of 'n' that is not a INT"));
  fs::remove_all(root / "n=abc");
  fs::create_directories(root / "m=1");
  CHECK_THAT(
      error_of(s2, "SELECT * FROM p;"),
      Catch::Contains("'" + (root / "m=1").string() + "' is not a partition directory 'n=VALUE'"));
  fs::remove_all(root / "m=1");
  std::ofstream(root / "stray.csv") << "1\n";
  CHECK_THAT(error_of(s2, "SELECT * FROM p;"), Catch::Contains("is a file where the partition"));
  fs::remove(root / "stray.csv");
  // No partition yet: no rows.
  const auto none = run_ok(s2, "SELECT * FROM p;");
  CHECK(none.rows.empty());
}
