// SQL aggregations run end to end by a session: window TVFs (TUMBLE, HOP, CUMULATE) with window
// aggregates, group aggregates with their changelog, at parallelism 1 and 4, against references
// computed here from the generated bids; plans and errors.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

namespace {

std::int64_t window_start_of(std::int64_t ts, std::int64_t size) {
  const auto r = ts % size;
  return r < 0 ? ts - (r + size) : ts - r;
}

}  // namespace

TEST_CASE(
    "TUMBLE, HOP and CUMULATE window aggregates give the reference rows at parallelism 1 "
    "and 4",
    "[table][session][window]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(20000, 31);
  write_bids(tmp.path() / "bid", bids, 3, true);

  // TUMBLE(10 s) by MOD(auction, 10): COUNT, SUM, MAX, MIN, AVG, COUNT(DISTINCT bidder).
  struct acc {
    std::int64_t n = 0, sum = 0, hi = INT64_MIN, lo = INT64_MAX;
    std::set<std::int64_t> bidders;
  };
  std::map<std::pair<std::int64_t, std::int64_t>, acc> tumble;
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> hop;       // (k, start) -> count
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> cumulate;  // end -> (cheap, n)
  std::map<std::int64_t, std::int64_t> cumulate_start;
  for (const auto& b : bids) {
    auto& a = tumble[{b.auction % 10, window_start_of(b.ts, 10'000)}];
    ++a.n;
    a.sum += b.price;
    a.hi = std::max(a.hi, b.price);
    a.lo = std::min(a.lo, b.price);
    a.bidders.insert(b.bidder);
    for (std::int64_t s = window_start_of(b.ts, 2'000); s > b.ts - 10'000; s -= 2'000)
      ++hop[{b.auction % 7, s}];
    const auto s = window_start_of(b.ts, 10'000);
    for (std::int64_t e = s + 2'000; e <= s + 10'000; e += 2'000) {
      if (e <= b.ts) continue;
      auto& c = cumulate[e];
      cumulate_start[e] = s;
      ++c.second;
      if (b.price < 5'000'000) ++c.first;
    }
  }
  std::vector<std::string> want_tumble, want_hop, want_cumulate;
  for (const auto& [k, a] : tumble)
    want_tumble.push_back(std::to_string(k.first) + "," + stamp(k.second) + "," +
                          stamp(k.second + 10'000) + "," + std::to_string(a.n) + "," +
                          std::to_string(a.sum) + "," + std::to_string(a.hi) + "," +
                          std::to_string(a.lo) + "," + std::to_string(a.sum / a.n) + "," +
                          std::to_string(a.bidders.size()));
  for (const auto& [k, n] : hop)
    want_hop.push_back(std::to_string(k.first) + "," + stamp(k.second) + "," +
                       stamp(k.second + 10'000) + "," + std::to_string(n));
  for (const auto& [e, c] : cumulate)
    if (c.second > 100)
      want_cumulate.push_back(stamp(cumulate_start[e]) + "," + stamp(e) + "," +
                              std::to_string(c.first) + "," + std::to_string(c.second));
  for (auto* v : {&want_tumble, &want_hop, &want_cumulate}) std::sort(v->begin(), v->end());
  REQUIRE(want_cumulate.size() > 10);

  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    const auto out = tmp.path() / ("out-" + std::to_string(p));
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") +
                  sink_ddl(out, "t",
                           "k BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3), num BIGINT, total BIGINT, "
                           "hi BIGINT, lo BIGINT, mean BIGINT, bidders BIGINT") +
                  sink_ddl(out, "h", "k BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3), num BIGINT") +
                  sink_ddl(out, "c", "ws TIMESTAMP(3), we TIMESTAMP(3), cheap BIGINT, num BIGINT"));
    run_ok(s,
           "INSERT INTO t SELECT MOD(auction, 10), window_start, window_end, COUNT(*) AS num, "
           "SUM(price), MAX(price), MIN(price), AVG(price), COUNT(DISTINCT bidder)\n"
           "FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))\n"
           "GROUP BY MOD(auction, 10), window_start, window_end;");
    run_ok(s,
           "INSERT INTO h SELECT MOD(auction, 7) AS k, window_start AS starttime, window_end, "
           "count(*) AS num FROM TABLE(HOP(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' "
           "SECOND, INTERVAL '10' SECOND)) GROUP BY MOD(auction, 7), window_start, window_end;");
    run_ok(s,
           "INSERT INTO c SELECT window_start, window_end, COUNT(*) FILTER (WHERE price < "
           "5000000), COUNT(*) FROM TABLE(CUMULATE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL "
           "'2' SECOND, INTERVAL '10' SECOND)) GROUP BY window_start, window_end HAVING COUNT(*) "
           "> 100;");
    CHECK(difference(read_part_files(out / "t"), want_tumble) == "");
    CHECK(difference(read_part_files(out / "h"), want_hop) == "");
    CHECK(difference(read_part_files(out / "c"), want_cumulate) == "");
  }
}

TEST_CASE("A group aggregate emits a changelog whose final state is the reference",
          "[table][session][aggregate]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(3000, 37);
  write_bids(tmp.path() / "bid", bids, 2);
  std::map<std::string, std::vector<std::string>> want;
  {
    std::map<std::int64_t, std::tuple<std::int64_t, std::int64_t, std::int64_t>> g;
    for (const auto& b : bids) {
      auto& [n, hi, cheap] = g[b.auction % 3];
      ++n;
      hi = std::max(hi, b.price);
      if (b.price < 1'000'000) ++cheap;
    }
    for (const auto& [k, v] : g)
      want[std::to_string(k)] = {std::to_string(k), std::to_string(std::get<0>(v)),
                                 std::to_string(std::get<1>(v)), std::to_string(std::get<2>(v))};
  }
  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid"));
    const auto r = run_ok(s,
                          "SELECT MOD(auction, 3) AS k, COUNT(*) AS num, MAX(price) AS hi, "
                          "COUNT(*) FILTER (WHERE price < 1000000) AS cheap FROM bid GROUP BY "
                          "MOD(auction, 3);");
    REQUIRE(r.header == std::vector<std::string>{"k", "num", "hi", "cheap"});
    REQUIRE(r.kinds.size() == r.rows.size());
    std::map<std::string, std::vector<std::string>> state;
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
      const auto& row = r.rows[i];
      const auto& kind = r.kinds[i];
      CAPTURE(i, kind);
      if (kind == "+I") {
        CHECK(state.count(row[0]) == 0);
        state[row[0]] = row;
      } else if (kind == "-U") {
        REQUIRE(state.count(row[0]) == 1);
        CHECK(state[row[0]] == row);
        REQUIRE(i + 1 < r.rows.size());
        CHECK(r.kinds[i + 1] == "+U");
      } else {
        REQUIRE(kind == "+U");
        CHECK(r.kinds[i - 1] == "-U");
        state[row[0]] = row;
      }
    }
    CHECK(state == want);
    // Every row changes COUNT(*): one +I per group and a -U/+U pair for each later row.
    CHECK(r.rows.size() == 3 + 2 * (bids.size() - 3));
  }
}

TEST_CASE("Aggregations explain their plan and refuse what they cannot run, at its place",
          "[table][session][aggregate]") {
  testing::temp_dir tmp;
  write_bids(tmp.path() / "bid", make_bids(10, 3), 1);
  table::sql_session s;
  run_ok(s, bid_ddl(tmp.path() / "bid") + sink_ddl(tmp.path(), "out", "k BIGINT, n BIGINT") +
                "CREATE TABLE plain (a BIGINT, ts TIMESTAMP(3)) WITH ('connector' = "
                "'filesystem', 'path' = '" +
                (tmp.path() / "bid").string() + "', 'format' = 'csv');");
  const auto plan = run_ok(s,
                           "EXPLAIN SELECT auction, COUNT(*) FROM TABLE(TUMBLE(TABLE bid, "
                           "DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND)) GROUP BY auction, "
                           "window_start, window_end;");
  std::string text;
  for (const auto& row : plan.rows)
    for (const auto& cell : row) text += cell + "\n";
  text += plan.message;
  CHECK_THAT(text, Catch::Contains("WindowAggregate(groupBy=[auction, window_start, window_end]"));
  CHECK_THAT(text, Catch::Contains("WindowTableFunction(window=[TUMBLE(time_col=[dateTime], "
                                   "size=[10 s])])"));
  CHECK_THAT(text, Catch::Contains("WatermarkAssigner(rowtime=[dateTime]"));

  CHECK_THAT(error_of(s, "SELECT auction, price FROM bid GROUP BY auction;"),
             Catch::Contains("Expression 'price' is not being grouped"));
  CHECK_THAT(error_of(s, "INSERT INTO out SELECT auction, COUNT(*) FROM bid GROUP BY auction;"),
             Catch::Contains("doesn't support consuming update changes"));
  CHECK_THAT(error_of(s,
                      "SELECT COUNT(*) FROM TABLE(TUMBLE(TABLE plain, DESCRIPTOR(ts), "
                      "INTERVAL '1' SECOND)) GROUP BY window_start, window_end;"),
             Catch::Contains("requires the timecol to be a time attribute type"));
  CHECK_THAT(error_of(s,
                      "SELECT COUNT(*) FROM TABLE(HOP(TABLE bid, DESCRIPTOR(`dateTime`), "
                      "INTERVAL '3' SECOND, INTERVAL '10' SECOND)) GROUP BY window_start, "
                      "window_end;"),
             Catch::Contains("integral multiple of slide"));
  CHECK_THAT(error_of(s, "SELECT SUM(channel) FROM bid;"),
             Catch::Contains("SUM needs a numeric argument"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM TABLE(SESSION(TABLE bid, DESCRIPTOR(`dateTime`), "
                      "INTERVAL '1' SECOND));"),
             Catch::Contains("A SESSION window TVF needs its window aggregation"));
  CHECK_THAT(error_of(s,
                      "SELECT auction, COUNT(*) FROM TABLE(SESSION(TABLE bid PARTITION BY "
                      "bidder, DESCRIPTOR(`dateTime`), INTERVAL '1' SECOND)) GROUP BY auction, "
                      "window_start, window_end;"),
             Catch::Contains("GROUP BY window_start, window_end, bidder (its PARTITION BY"));
}

namespace {

/// The rows a changelog ends with: +I adds a row, -U must match the row it retracts, +U
/// replaces it (keyed by the first `key_columns` cells).
std::map<std::vector<std::string>, std::vector<std::string>> final_rows(
    const table::statement_result& r, std::size_t key_columns) {
  std::map<std::vector<std::string>, std::vector<std::string>> state;
  REQUIRE(r.kinds.size() == r.rows.size());
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    const auto& row = r.rows[i];
    const std::vector<std::string> key(row.begin(), row.begin() + key_columns);
    const auto& kind = r.kinds[i];
    if (kind == "+I") {
      CHECK(state.count(key) == 0);
    } else if (kind == "-U") {
      CHECK(state[key] == row);
    } else {
      CHECK(kind == "+U");
    }
    if (kind != "-U") state[key] = row;
  }
  return state;
}

}  // namespace

TEST_CASE("Nexmark q15 and q17 as the nexmark repository writes them end in the reference rows",
          "[table][session][nexmark][aggregate]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(5000, 41);
  write_bids(tmp.path() / "bid", bids, 2);
  // q15: one day in the data; q17: per auction and day.
  std::map<std::vector<std::string>, std::vector<std::string>> want15, want17;
  {
    std::int64_t total = 0;
    std::array<std::int64_t, 3> rank{};
    std::set<std::int64_t> bidders, auctions;
    std::array<std::set<std::int64_t>, 3> rank_bidders, rank_auctions;
    struct per_auction {
      std::int64_t n = 0, sum = 0, lo = INT64_MAX, hi = INT64_MIN;
      std::array<std::int64_t, 3> rank{};
    };
    std::map<std::int64_t, per_auction> by_auction;
    for (const auto& b : bids) {
      const int r = b.price < 10000 ? 0 : b.price < 1000000 ? 1 : 2;
      ++total;
      ++rank[r];
      bidders.insert(b.bidder);
      auctions.insert(b.auction);
      rank_bidders[r].insert(b.bidder);
      rank_auctions[r].insert(b.auction);
      auto& a = by_auction[b.auction];
      ++a.n;
      a.sum += b.price;
      a.lo = std::min(a.lo, b.price);
      a.hi = std::max(a.hi, b.price);
      ++a.rank[r];
    }
    const std::string day = "2015-07-15";
    auto s = [](auto v) { return std::to_string(v); };
    want15[{day}] = {day,
                     s(total),
                     s(rank[0]),
                     s(rank[1]),
                     s(rank[2]),
                     s(bidders.size()),
                     s(rank_bidders[0].size()),
                     s(rank_bidders[1].size()),
                     s(rank_bidders[2].size()),
                     s(auctions.size()),
                     s(rank_auctions[0].size()),
                     s(rank_auctions[1].size()),
                     s(rank_auctions[2].size())};
    for (const auto& [auction, a] : by_auction)
      want17[{s(auction), day}] = {s(auction),   day,     s(a.n),  s(a.rank[0]),   s(a.rank[1]),
                                   s(a.rank[2]), s(a.lo), s(a.hi), s(a.sum / a.n), s(a.sum)};
  }
  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid"));
    const auto q15 =
        run_ok(s,
               "SELECT\n"
               "     DATE_FORMAT(dateTime, 'yyyy-MM-dd') as `day`,\n"
               "     count(*) AS total_bids,\n"
               "     count(*) filter (where price < 10000) AS rank1_bids,\n"
               "     count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,\n"
               "     count(*) filter (where price >= 1000000) AS rank3_bids,\n"
               "     count(distinct bidder) AS total_bidders,\n"
               "     count(distinct bidder) filter (where price < 10000) AS rank1_bidders,\n"
               "     count(distinct bidder) filter (where price >= 10000 and price < 1000000) AS "
               "rank2_bidders,\n"
               "     count(distinct bidder) filter (where price >= 1000000) AS rank3_bidders,\n"
               "     count(distinct auction) AS total_auctions,\n"
               "     count(distinct auction) filter (where price < 10000) AS rank1_auctions,\n"
               "     count(distinct auction) filter (where price >= 10000 and price < 1000000) AS "
               "rank2_auctions,\n"
               "     count(distinct auction) filter (where price >= 1000000) AS rank3_auctions\n"
               "FROM bid\n"
               "GROUP BY DATE_FORMAT(dateTime, 'yyyy-MM-dd');");
    CHECK(final_rows(q15, 1) == want15);
    const auto q17 =
        run_ok(s,
               "SELECT\n"
               "     auction,\n"
               "     DATE_FORMAT(dateTime, 'yyyy-MM-dd') as `day`,\n"
               "     count(*) AS total_bids,\n"
               "     count(*) filter (where price < 10000) AS rank1_bids,\n"
               "     count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,\n"
               "     count(*) filter (where price >= 1000000) AS rank3_bids,\n"
               "     min(price) AS min_price,\n"
               "     max(price) AS max_price,\n"
               "     avg(price) AS avg_price,\n"
               "     sum(price) AS sum_price\n"
               "FROM bid\n"
               "GROUP BY auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd');");
    CHECK(final_rows(q17, 2) == want17);
  }
}

TEST_CASE(
    "Nexmark q11 (session group windows and the SESSION TVF) and legacy TUMBLE/HOP group windows "
    "give the "
    "reference rows at parallelism 1 and 4",
    "[table][session][window]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(20000, 43);
  write_bids(tmp.path() / "bid", bids, 3, true);
  std::vector<std::string> want11, want_tumble, want_hop;
  {
    std::map<std::int64_t, std::vector<std::int64_t>> times;
    std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> tumble, hop;
    for (const auto& b : bids) {
      times[b.bidder].push_back(b.ts);
      ++tumble[{b.auction % 5, window_start_of(b.ts, 10'000)}];
      for (std::int64_t s = window_start_of(b.ts, 5'000); s > b.ts - 15'000; s -= 5'000)
        ++hop[{b.auction % 5, s}];
    }
    const std::int64_t gap = 10'000;
    for (auto& [bidder, ts] : times) {
      std::sort(ts.begin(), ts.end());
      std::int64_t start = ts[0], last = ts[0], n = 0;
      for (const auto t : ts) {
        if (t >= last + gap) {
          want11.push_back(std::to_string(bidder) + "," + std::to_string(n) + "," + stamp(start) +
                           "," + stamp(last + gap));
          start = t;
          n = 0;
        }
        last = t;
        ++n;
      }
      want11.push_back(std::to_string(bidder) + "," + std::to_string(n) + "," + stamp(start) + "," +
                       stamp(last + gap));
    }
    for (const auto& [k, n] : tumble)
      want_tumble.push_back(std::to_string(k.first) + "," + std::to_string(n) + "," +
                            stamp(k.second) + "," + stamp(k.second + 10'000) + "," +
                            stamp(k.second + 9'999));
    for (const auto& [k, n] : hop)
      want_hop.push_back(std::to_string(k.first) + "," + stamp(k.second + 15'000) + "," +
                         std::to_string(n));
  }
  for (auto* v : {&want11, &want_tumble, &want_hop}) std::sort(v->begin(), v->end());

  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    const auto out = tmp.path() / ("out-" + std::to_string(p));
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") +
                  sink_ddl(out, "nexmark_q11",
                           "bidder BIGINT, bid_count BIGINT, starttime TIMESTAMP(3), endtime "
                           "TIMESTAMP(3)") +
                  sink_ddl(out, "t",
                           "k BIGINT, n BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3), wt "
                           "TIMESTAMP(3)") +
                  sink_ddl(out, "h", "k BIGINT, we TIMESTAMP(3), n BIGINT") +
                  sink_ddl(out, "session_tvf",
                           "bidder BIGINT, bid_count BIGINT, starttime TIMESTAMP(3), endtime "
                           "TIMESTAMP(3)"));
    run_ok(s,
           "INSERT INTO nexmark_q11\n"
           "SELECT\n"
           "    B.bidder,\n"
           "    count(*) as bid_count,\n"
           "    SESSION_START(B.dateTime, INTERVAL '10' SECOND) as starttime,\n"
           "    SESSION_END(B.dateTime, INTERVAL '10' SECOND) as endtime\n"
           "FROM bid B\n"
           "GROUP BY B.bidder, SESSION(B.dateTime, INTERVAL '10' SECOND);");
    run_ok(s,
           "INSERT INTO t SELECT MOD(auction, 5), COUNT(*), TUMBLE_START(dateTime, INTERVAL '10' "
           "SECOND), TUMBLE_END(dateTime, INTERVAL '10' SECOND), TUMBLE_ROWTIME(dateTime, "
           "INTERVAL '10' SECOND) FROM bid GROUP BY TUMBLE(dateTime, INTERVAL '10' SECOND), "
           "MOD(auction, 5);");
    run_ok(s,
           "INSERT INTO h SELECT MOD(auction, 5), HOP_END(dateTime, INTERVAL '5' SECOND, "
           "INTERVAL '15' SECOND), COUNT(*) FROM bid GROUP BY MOD(auction, 5), HOP(dateTime, "
           "INTERVAL '5' SECOND, INTERVAL '15' SECOND);");
    // q11 with Flink's SESSION window TVF (its sessions per PARTITION BY key).
    run_ok(s,
           "INSERT INTO session_tvf SELECT bidder, COUNT(*), window_start, window_end FROM "
           "TABLE(SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(dateTime), INTERVAL '10' "
           "SECOND)) GROUP BY bidder, window_start, window_end;");
    CHECK(difference(read_part_files(out / "nexmark_q11"), want11) == "");
    CHECK(difference(read_part_files(out / "session_tvf"), want11) == "");
    CHECK(difference(read_part_files(out / "t"), want_tumble) == "");
    CHECK(difference(read_part_files(out / "h"), want_hop) == "");
  }
}

TEST_CASE("SELECT DISTINCT emits each row once, insert-only, at parallelism 1 and 4",
          "[table][session][aggregate]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(4000, 47);
  write_bids(tmp.path() / "bid", bids, 2);
  std::set<std::string> distinct;
  for (const auto& b : bids)
    if (b.price > 1000) distinct.insert(std::to_string(b.auction % 7) + "," + quoted(b.channel));
  const std::vector<std::string> want(distinct.begin(), distinct.end());
  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    const auto out = tmp.path() / ("out-" + std::to_string(p));
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") + sink_ddl(out, "d", "k BIGINT, channel VARCHAR"));
    run_ok(s,
           "INSERT INTO d SELECT DISTINCT MOD(auction, 7), channel FROM bid WHERE price > 1000;");
    CHECK(difference(read_part_files(out / "d"), want) == "");
    const auto r = run_ok(s, "SELECT DISTINCT MOD(auction, 7) AS k FROM bid;");
    CHECK(r.header == std::vector<std::string>{"k"});
    CHECK(r.rows.size() == 7);
    CHECK(std::all_of(r.kinds.begin(), r.kinds.end(), [](const auto& k) { return k == "+I"; }));
  }
}

TEST_CASE("table.exec.state.ttl makes a group aggregate forget a group unchanged for that long",
          "[table][session][aggregate]") {
  testing::temp_dir tmp;
  write_bids(tmp.path() / "bid", make_bids(12, 5), 1);
  table::sql_session s;
  // A clock that moves 1 s on every reading: each state access is a second after the last.
  auto ticks = std::make_shared<std::atomic<std::int64_t>>(1'000'000);
  s.set_clock([ticks] { return ticks->fetch_add(1000); });
  run_ok(s, bid_ddl(tmp.path() / "bid"));
  CHECK_THAT(error_of(s, "SET 'table.exec.state.ttl' = 'soon';"),
             Catch::Contains("must be a duration"));
  const std::string query =
      "SELECT MOD(auction, 2) AS k, COUNT(*) AS n FROM bid GROUP BY "
      "MOD(auction, 2);";
  const auto kept = run_ok(s, query);
  run_ok(s, "SET 'table.exec.state.ttl' = '1 min';");
  const auto minute = run_ok(s, query);
  run_ok(s, "SET 'table.exec.state.ttl' = '10 ms';");
  const auto forgotten = run_ok(s, query);
  // Without TTL (or a TTL longer than the gaps) the counts grow (-U/+U pairs); with 10 ms every
  // row finds its group expired and starts it anew.
  CHECK(kept.rows.size() == 2 + 2 * 10);
  CHECK(minute.rows == kept.rows);
  CHECK(forgotten.rows.size() == 12);
  CHECK(std::all_of(forgotten.kinds.begin(), forgotten.kinds.end(),
                    [](const auto& k) { return k == "+I"; }));
  CHECK(std::all_of(forgotten.rows.begin(), forgotten.rows.end(),
                    [](const auto& r) { return r[1] == "1"; }));
}
