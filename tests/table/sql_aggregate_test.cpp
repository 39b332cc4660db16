// SQL aggregations run end to end by a session: window TVFs (TUMBLE, HOP, CUMULATE) with window
// aggregates, group aggregates with their changelog, at parallelism 1 and 4, against references
// computed here from the generated bids; plans and errors.
#include <catch2/catch.hpp>

#include <map>
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

std::string sink_ddl(const fs::path& out, const std::string& name, const std::string& cols) {
  return "CREATE TABLE " + name + " (" + cols + ") WITH ('connector' = 'filesystem', 'path' = '" +
         (out / name).string() + "', 'format' = 'csv');\n";
}

/// "" if equal, else the first line only one of them has (and how many lines each has).
std::string difference(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  if (got == want) return {};
  std::vector<std::string> only_got, only_want;
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(),
                      std::back_inserter(only_got));
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                      std::back_inserter(only_want));
  return std::to_string(got.size()) + " rows, want " + std::to_string(want.size()) +
         "; first unexpected: " + (only_got.empty() ? "-" : only_got.front()) +
         "; first missing: " + (only_want.empty() ? "-" : only_want.front());
}

std::string stamp(std::int64_t ms) {
  return rows::format_timestamp(ms);
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
                      "SELECT COUNT(*) FROM TABLE(SESSION(TABLE bid, DESCRIPTOR(`dateTime`), "
                      "INTERVAL '1' SECOND)) GROUP BY window_start, window_end;"),
             Catch::Contains("SESSION window table function is not supported yet"));
}
