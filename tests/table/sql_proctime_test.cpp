// SQL windows in processing time: PROCTIME() in a view (Nexmark q12 as the nexmark repository
// writes it) and as a computed column of a table, window TVFs (TUMBLE, HOP) and a legacy group
// window over it, at parallelism 1 and 4. Which window a row lands in depends on the clock, so
// the checks are what holds whatever the clock did: windows of the right size, aligned, within
// the run's time; every bid counted once per window that holds it (per bidder, summed over the
// windows). Errors for what runs in event time only.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace sql_proctime_test {

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A result row `bidder,count,start,end` (CSV part files).
struct window_row {
  std::int64_t bidder, count, start, end;
};

std::vector<window_row> parse(const std::vector<std::string>& lines) {
  std::vector<window_row> out;
  for (const auto& line : lines) {
    std::vector<std::string> cells;
    std::stringstream in(line);
    for (std::string c; std::getline(in, c, ',');) cells.push_back(c);
    REQUIRE(cells.size() == 4);
    const auto start = rows::parse_timestamp(cells[2]);
    const auto end = rows::parse_timestamp(cells[3]);
    INFO(line);
    REQUIRE(start);
    REQUIRE(end);
    out.push_back({std::stoll(cells[0]), std::stoll(cells[1]), *start, *end});
  }
  return out;
}

/// Checks the windows' shape and time, and returns the counts summed per bidder.
std::map<std::int64_t, std::int64_t> per_bidder(const std::vector<window_row>& rs,
                                                std::int64_t size, std::int64_t slide,
                                                std::int64_t from, std::int64_t to) {
  std::map<std::int64_t, std::int64_t> sums;
  for (const auto& r : rs) {
    CHECK(r.end - r.start == size);
    CHECK(r.start % slide == 0);
    // The window holds a moment of the run (a row's processing time).
    CHECK(r.end > from);
    CHECK(r.start <= to);
    sums[r.bidder] += r.count;
  }
  return sums;
}

}  // namespace sql_proctime_test

using namespace sql_proctime_test;

TEST_CASE("Windows over PROCTIME() count every row once per window at parallelism 1 and 4",
          "[table][session][proctime][nexmark]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(4000, 31);
  write_bids(tmp.path() / "bid", bids, 2);
  std::map<std::int64_t, std::int64_t> want;
  for (const auto& b : bids) ++want[b.bidder];
  std::map<std::int64_t, std::int64_t> want_hop = want;
  for (auto& [k, n] : want_hop) n *= 5;  // a 10 s window sliding by 2 s: 5 windows per row

  for (const int p : {1, 4}) {
    CAPTURE(p);
    const auto out = tmp.path() / ("out-" + std::to_string(p));
    table::sql_session s;
    const std::string cols =
        "bidder BIGINT, bid_count BIGINT, starttime TIMESTAMP(3), endtime "
        "TIMESTAMP(3)";
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") + sink_ddl(out, "nexmark_q12", cols) +
                  sink_ddl(out, "legacy", cols) + sink_ddl(out, "hop", cols) +
                  "CREATE TABLE bid_p (auction BIGINT, bidder BIGINT, price BIGINT, channel "
                  "VARCHAR, url VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR, p AS PROCTIME()) "
                  "WITH ('connector' = 'filesystem', 'path' = '" +
                  (tmp.path() / "bid").string() + "', 'format' = 'csv');\n");
    const auto from = now_ms();
    // Nexmark q12 as the nexmark repository writes it (its blackhole sink a CSV directory).
    run_ok(s,
           "CREATE VIEW B AS SELECT *, PROCTIME() as p_time FROM bid;\n"
           "INSERT INTO nexmark_q12\n"
           "SELECT\n"
           "    bidder,\n"
           "    count(*) as bid_count,\n"
           "    window_start AS starttime,\n"
           "    window_end AS endtime\n"
           "FROM TABLE(\n"
           "        TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '10' SECOND))\n"
           "GROUP BY bidder, window_start, window_end;");
    run_ok(s,
           "INSERT INTO legacy SELECT bidder, COUNT(*), TUMBLE_START(p_time, INTERVAL '10' "
           "SECOND), TUMBLE_END(p_time, INTERVAL '10' SECOND) FROM B GROUP BY bidder, "
           "TUMBLE(p_time, INTERVAL '10' SECOND);");
    run_ok(s,
           "INSERT INTO hop SELECT bidder, COUNT(*), window_start, window_end FROM TABLE(HOP(TABLE "
           "bid_p, DESCRIPTOR(p), INTERVAL '2' SECOND, INTERVAL '10' SECOND)) GROUP BY bidder, "
           "window_start, window_end;");
    const auto to = now_ms();
    CHECK(per_bidder(parse(read_part_files(out / "nexmark_q12")), 10'000, 10'000, from, to) ==
          want);
    CHECK(per_bidder(parse(read_part_files(out / "legacy")), 10'000, 10'000, from, to) == want);
    CHECK(per_bidder(parse(read_part_files(out / "hop")), 10'000, 2'000, from, to) == want_hop);
    const auto plan = run_ok(s,
                             "EXPLAIN SELECT bidder, COUNT(*) FROM TABLE(TUMBLE(TABLE B, "
                             "DESCRIPTOR(p_time), INTERVAL '10' SECOND)) GROUP BY bidder, "
                             "window_start, window_end;");
    // Processing-time windows aggregate in one phase (Flink's local-global is event time only).
    CHECK_THAT(plan.message,
               !Catch::Contains("LocalWindowAggregate") && Catch::Contains("PROCTIME() AS p_time"));
  }
}

TEST_CASE("SESSION windows over PROCTIME() hold every row of a key that arrives within the gap",
          "[table][session][proctime]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(3000, 37);
  write_bids(tmp.path() / "bid", bids, 2);
  // A bounded input read in well under the 30 s gap: one session per bidder, holding all its
  // rows, between the first row's arrival and the last one's + the gap.
  std::map<std::int64_t, std::int64_t> want;
  for (const auto& b : bids) ++want[b.bidder];
  for (const int p : {1, 4}) {
    CAPTURE(p);
    const auto out = tmp.path() / ("out-" + std::to_string(p));
    table::sql_session s;
    const std::string cols =
        "bidder BIGINT, bid_count BIGINT, starttime TIMESTAMP(3), endtime TIMESTAMP(3)";
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") + sink_ddl(out, "tvf", cols) +
                  sink_ddl(out, "legacy", cols) +
                  "CREATE VIEW B AS SELECT *, PROCTIME() AS p_time FROM bid;\n");
    const auto from = now_ms();
    run_ok(s,
           "INSERT INTO tvf SELECT bidder, COUNT(*), window_start, window_end FROM "
           "TABLE(SESSION(TABLE B PARTITION BY bidder, DESCRIPTOR(p_time), INTERVAL '30' "
           "SECOND)) GROUP BY bidder, window_start, window_end;");
    run_ok(s,
           "INSERT INTO legacy SELECT bidder, COUNT(*), SESSION_START(p_time, INTERVAL '30' "
           "SECOND), SESSION_END(p_time, INTERVAL '30' SECOND) FROM B GROUP BY bidder, "
           "SESSION(p_time, INTERVAL '30' SECOND);");
    const auto to = now_ms();
    for (const char* table : {"tvf", "legacy"}) {
      CAPTURE(table);
      const auto rows = parse(read_part_files(out / table));
      std::map<std::int64_t, std::int64_t> got;
      for (const auto& r : rows) {
        got[r.bidder] += r.count;
        CHECK(r.start >= from);
        CHECK(r.start <= to);
        CHECK(r.end - r.start >= 30'000);
        CHECK(r.end - r.start <= 30'000 + (to - from));
      }
      CHECK(rows.size() == want.size());  // one session per bidder
      CHECK(got == want);
    }
  }
}

TEST_CASE("PROCTIME() windows refuse what runs in event time only", "[table][session][proctime]") {
  testing::temp_dir tmp;
  write_bids(tmp.path() / "bid", make_bids(5, 3), 1);
  table::sql_session s;
  run_ok(s, bid_ddl(tmp.path() / "bid") +
                "CREATE VIEW B AS SELECT *, PROCTIME() AS p_time, price AS notime FROM bid;\n");
  CHECK_THAT(error_of(s,
                      "SELECT COUNT(*) FROM TABLE(TUMBLE(TABLE B, DESCRIPTOR(notime), INTERVAL "
                      "'5' SECOND)) GROUP BY window_start, window_end;"),
             Catch::Contains("or compute it by PROCTIME()"));
  CHECK_THAT(error_of(s,
                      "SELECT TUMBLE_PROCTIME(`dateTime`, INTERVAL '5' SECOND) FROM B GROUP BY "
                      "TUMBLE(`dateTime`, INTERVAL '5' SECOND);"),
             Catch::Contains("TUMBLE_PROCTIME needs a group window in processing time"));
}

TEST_CASE("TUMBLE_PROCTIME, HOP_PROCTIME and SESSION_PROCTIME give a processing-time attribute",
          "[table][session][proctime]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(2000, 43);
  write_bids(tmp.path() / "bid", bids, 2);
  std::map<std::int64_t, std::int64_t> want;  // rows per MOD(bidder, 7)
  for (const auto& b : bids) ++want[b.bidder % 7];
  for (const int p : {1, 3}) {
    CAPTURE(p);
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") +
                  "CREATE VIEW B AS SELECT *, PROCTIME() AS p_time FROM bid;\n");
    for (const std::string inner :
         {"TUMBLE_PROCTIME(p_time, INTERVAL '10' SECOND) AS pt, COUNT(*) AS c FROM B GROUP BY "
          "bidder, TUMBLE(p_time, INTERVAL '10' SECOND)",
          "SESSION_PROCTIME(p_time, INTERVAL '30' SECOND) AS pt, COUNT(*) AS c FROM B GROUP BY "
          "bidder, SESSION(p_time, INTERVAL '30' SECOND)"}) {
      CAPTURE(inner);
      // A second group window over the first one's proctime attribute: every row counted once.
      const auto r = run_ok(s, "SELECT k, SUM(c) FROM (SELECT MOD(bidder, 7) AS k, " + inner +
                                   ") GROUP BY k, TUMBLE(pt, INTERVAL '1' HOUR);");
      std::map<std::int64_t, std::int64_t> got;
      for (const auto& row : r.rows) got[std::stoll(row[0])] += std::stoll(row[1]);
      CHECK(got == want);
    }
    // HOP: 5 windows per row.
    const auto hop =
        run_ok(s,
               "SELECT SUM(c) FROM (SELECT HOP_PROCTIME(p_time, INTERVAL '2' SECOND, "
               "INTERVAL '10' SECOND) AS pt, COUNT(*) AS c FROM B GROUP BY HOP(p_time, "
               "INTERVAL '2' SECOND, INTERVAL '10' SECOND)) GROUP BY TUMBLE(pt, "
               "INTERVAL '1' HOUR);");
    std::int64_t total = 0;
    for (const auto& row : hop.rows) total += std::stoll(row[0]);
    CHECK(total == static_cast<std::int64_t>(bids.size()) * 5);
  }
}

TEST_CASE(
    "OVER aggregations ordered by PROCTIME() take rows in arrival order at parallelism 1 "
    "and 4",
    "[table][session][proctime][over]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(2000, 37);
  write_bids(tmp.path() / "bid", bids, 1);  // one file: one reader, so each key's rows arrive
                                            // in file order whatever the parallelism
  // Per auction % 50, in file order: the sum of the last three prices and the running count.
  std::multiset<std::string> want_rows, want_all;  // ROWS 2 PRECEDING; UNBOUNDED PRECEDING
  std::map<std::int64_t, std::vector<std::int64_t>> seen;
  for (const auto& b : bids) {
    auto& prices = seen[b.auction % 50];
    prices.push_back(b.price);
    std::int64_t last3 = 0;
    for (std::size_t i = prices.size() >= 3 ? prices.size() - 3 : 0; i < prices.size(); ++i)
      last3 += prices[i];
    want_rows.insert(std::to_string(b.auction % 50) + "," + std::to_string(b.price) + "," +
                     std::to_string(last3) + "," + std::to_string(prices.size()));
    std::int64_t all = 0;
    for (const auto x : prices) all += x;
    want_all.insert(std::to_string(b.auction % 50) + "," + std::to_string(b.price) + "," +
                    std::to_string(all) + "," + std::to_string(prices.size()));
  }
  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") +
                  "CREATE VIEW B AS SELECT *, MOD(auction, 50) AS k, PROCTIME() AS p_time FROM "
                  "bid;\n");
    const auto rows_frame = run_ok(s,
                                   "SELECT k, price, SUM(price) OVER (PARTITION BY k ORDER BY "
                                   "p_time ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), COUNT(*) "
                                   "OVER (PARTITION BY k ORDER BY p_time ROWS BETWEEN 2 PRECEDING "
                                   "AND CURRENT ROW) FROM B;");
    std::multiset<std::string> got;
    for (const auto& line : replay(rows_frame)) got.insert(line);
    std::multiset<std::string> want3;
    for (const auto& line : want_rows) {  // the count of a ROWS 2 PRECEDING frame: at most 3
      const auto cut = line.rfind(',');
      want3.insert(line.substr(0, cut + 1) +
                   std::to_string(std::min<std::int64_t>(3, std::stoll(line.substr(cut + 1)))));
    }
    CHECK(got == want3);
    const auto unbounded = run_ok(s,
                                  "SELECT k, price, SUM(price) OVER w, COUNT(*) OVER w FROM B "
                                  "WINDOW w AS (PARTITION BY k ORDER BY p_time ROWS BETWEEN "
                                  "UNBOUNDED PRECEDING AND CURRENT ROW);");
    CHECK(replay(unbounded) == want_all);
    // RANGE over the clock: every row of a key is within the hour; rows of one millisecond share
    // their value, so each key's counts rise to its number of rows.
    const auto range = run_ok(s,
                              "SELECT k, COUNT(*) OVER (PARTITION BY k ORDER BY p_time RANGE "
                              "BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW) FROM B;");
    std::map<std::string, std::int64_t> most;
    for (const auto& row : range.rows) {
      auto& m = most[row[0]];
      CHECK(std::stoll(row[1]) >= m);  // never falls, in arrival order per key
      m = std::stoll(row[1]);
    }
    for (const auto& [k, prices] : seen)
      CHECK(most[std::to_string(k)] == static_cast<std::int64_t>(prices.size()));
  }
}
