// SQL's MATCH_RECOGNIZE on the CEP library: the two examples of Flink's "Pattern Recognition"
// page with the results printed there, two randomised patterns (a fixed-length one with WITHIN,
// PREV, FIRST, LAST and aggregates under SKIP TO NEXT ROW and SKIP PAST LAST ROW; Flink's V-shape
// with a greedy loop and SKIP TO LAST) against brute-force references written here, at
// parallelism 1 and 4, a processing-time pattern, recovery from a failure, and the errors.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace sql_match_recognize_test {

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

constexpr std::int64_t match_base_ms = 1'301'652'000'000;  // 2011-04-01 10:00:00

struct tick {
  std::string symbol;
  std::int64_t ts;
  std::int64_t price;
};

void write_ticks(const fs::path& dir, const std::vector<tick>& ticks) {
  fs::create_directories(dir);
  std::ofstream out(dir / "ticks.csv");
  for (const auto& t : ticks)
    out << t.symbol << ',' << rows::format_timestamp(t.ts) << ',' << t.price << ",1\n";
}

std::string ticker_ddl(const fs::path& dir, const std::string& price_type = "INT") {
  return "CREATE TABLE Ticker (symbol VARCHAR, rowtime TIMESTAMP(3), price " + price_type +
         ", tax INT, WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND) WITH ("
         "'connector' = 'filesystem', 'path' = '" +
         dir.string() + "', 'format' = 'csv');\n";
}

/// `n` ticks on `symbols` symbols, 200..700 ms apart (each timestamp once), prices a random walk
/// per symbol in 1..`range` (the V-shape) or uniform in 0..99.
std::vector<tick> make_ticks(std::size_t n, int symbols, std::uint64_t seed, bool walk) {
  std::mt19937_64 rng(seed);
  std::vector<tick> v;
  std::vector<std::int64_t> last(static_cast<std::size_t>(symbols), 50);
  std::int64_t ts = match_base_ms;
  for (std::size_t i = 0; i < n; ++i) {
    ts += 200 + static_cast<std::int64_t>(rng() % 501);
    const auto s = static_cast<std::size_t>(rng() % static_cast<std::uint64_t>(symbols));
    std::int64_t price = static_cast<std::int64_t>(rng() % 100);
    if (walk) {
      price = std::clamp<std::int64_t>(last[s] + static_cast<std::int64_t>(rng() % 9) - 4, 1, 99);
      last[s] = price;
    }
    v.push_back(tick{"S" + std::to_string(s), ts, price});
  }
  return v;
}

std::map<std::string, std::vector<tick>> by_symbol(const std::vector<tick>& ticks) {
  std::map<std::string, std::vector<tick>> m;
  for (const auto& t : ticks) m[t.symbol].push_back(t);
  return m;
}

constexpr std::int64_t within_ms = 3'000;

/// PATTERN (A B{2} C) WITHIN 3 s; A: price > 30; B: price < PREV(price); C: price > A.price - 10
/// AND SUM(B.price) > 40. Rows: symbol, FIRST(A.rowtime), LAST(B.price, 1), AVG(B.price),
/// C.price, MATCH_ROWTIME(), price, PREV(C.price, 2).
std::vector<std::string> fixed_reference(const std::vector<tick>& ticks, bool past_last_row) {
  std::vector<std::string> out;
  for (const auto& [sym, r] : by_symbol(ticks)) {
    std::size_t next_start = 0;
    for (std::size_t s = 0; s + 3 < r.size(); ++s) {
      if (s < next_start) continue;
      const auto &a = r[s], &b1 = r[s + 1], &b2 = r[s + 2], &c = r[s + 3];
      const bool ok = a.price > 30 && b1.price < a.price && b2.price < b1.price &&
                      c.price > a.price - 10 && b1.price + b2.price > 40 && c.ts - a.ts < within_ms;
      if (!ok) continue;
      out.push_back(sym + "," + stamp(a.ts) + "," + std::to_string(b1.price) + "," +
                    std::to_string((b1.price + b2.price) / 2) + "," + std::to_string(c.price) +
                    "," + stamp(c.ts) + "," + std::to_string(c.price) + "," +
                    std::to_string(b1.price));
      if (past_last_row) next_start = s + 4;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string fixed_query(bool past_last_row) {
  return std::string(
             "INSERT INTO out_rows SELECT * FROM Ticker MATCH_RECOGNIZE (\n"
             "  PARTITION BY symbol\n"
             "  ORDER BY rowtime\n"
             "  MEASURES FIRST(A.rowtime) AS a_time, LAST(B.price, 1) AS b1, AVG(B.price) AS "
             "avg_b,\n"
             "    C.price AS c_price, MATCH_ROWTIME() AS mt, price AS last_price, PREV(C.price, 2) "
             "AS p2\n"
             "  ONE ROW PER MATCH\n") +
         (past_last_row ? "  AFTER MATCH SKIP PAST LAST ROW\n" : "") +
         "  PATTERN (A B{2} C) WITHIN INTERVAL '3' SECOND\n"
         "  DEFINE A AS A.price > 30, B AS B.price < PREV(B.price),\n"
         "    C AS C.price > A.price - 10 AND SUM(B.price) > 40\n"
         ") AS T;";
}

/// Flink's V-shape: PATTERN (START_ROW PRICE_DOWN+ PRICE_UP), AFTER MATCH SKIP TO LAST
/// PRICE_UP. Rows: symbol, start, bottom, end, MIN(PRICE_DOWN.price), COUNT(PRICE_DOWN.price).
std::vector<std::string> v_reference(const std::vector<tick>& ticks) {
  std::vector<std::string> out;
  for (const auto& [sym, r] : by_symbol(ticks)) {
    std::size_t min_start = 0;
    for (std::size_t s = 0; s < r.size(); ++s) {
      if (s < min_start) continue;
      std::vector<std::size_t> downs;
      std::size_t j = s + 1;
      for (; j < r.size(); ++j) {
        const auto bound = downs.empty() ? r[s].price : r[downs.back()].price;
        if (r[j].price < bound) {
          downs.push_back(j);
          continue;
        }
        break;
      }
      // PRICE_UP: price > LAST(PRICE_DOWN.price, 1), the PRICE_DOWN row before the last one.
      if (j >= r.size() || downs.size() < 2 || r[j].price <= r[downs[downs.size() - 2]].price)
        continue;
      out.push_back(sym + "," + stamp(r[s].ts) + "," + stamp(r[downs.back()].ts) + "," +
                    stamp(r[j].ts) + "," + std::to_string(r[downs.back()].price) + "," +
                    std::to_string(downs.size()));
      min_start = j;  // SKIP TO LAST PRICE_UP
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const char* v_query =
    "INSERT INTO v_rows SELECT * FROM Ticker MATCH_RECOGNIZE (\n"
    "  PARTITION BY symbol\n"
    "  ORDER BY rowtime\n"
    "  MEASURES START_ROW.rowtime AS start_tstamp, LAST(PRICE_DOWN.rowtime) AS bottom_tstamp,\n"
    "    LAST(PRICE_UP.rowtime) AS end_tstamp, MIN(PRICE_DOWN.price) AS low,\n"
    "    COUNT(PRICE_DOWN.price) AS downs\n"
    "  ONE ROW PER MATCH\n"
    "  AFTER MATCH SKIP TO LAST PRICE_UP\n"
    "  PATTERN (START_ROW PRICE_DOWN+ PRICE_UP)\n"
    "  DEFINE\n"
    "    PRICE_DOWN AS (LAST(PRICE_DOWN.price, 1) IS NULL AND PRICE_DOWN.price < "
    "START_ROW.price) OR PRICE_DOWN.price < LAST(PRICE_DOWN.price, 1),\n"
    "    PRICE_UP AS PRICE_UP.price > LAST(PRICE_DOWN.price, 1)\n"
    ") MR;";

const char* v_sink =
    "symbol VARCHAR, start_tstamp TIMESTAMP(3), bottom_tstamp TIMESTAMP(3), end_tstamp "
    "TIMESTAMP(3), low INT, downs BIGINT";

}  // namespace sql_match_recognize_test

using namespace sql_match_recognize_test;

TEST_CASE("MATCH_RECOGNIZE gives the results of Flink's documentation examples",
          "[table][session][match]") {
  testing::temp_dir tmp;
  auto at = [](int s) { return match_base_ms + s * 1000; };
  // "Pattern Recognition", Introduction and Example: the V-shape over ACME's prices.
  {
    const std::vector<std::int64_t> prices = {12, 17, 19, 21, 25, 18, 15, 14, 24, 25, 19};
    std::vector<tick> ticks;
    for (std::size_t i = 0; i < prices.size(); ++i)
      ticks.push_back(tick{"ACME", at(static_cast<int>(i)), prices[i]});
    write_ticks(tmp.path() / "v", ticks);
    for (const int p : {1, 4}) {
      CAPTURE(p);
      const auto out = tmp.path() / ("v-out-" + std::to_string(p));
      table::sql_session s;
      run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                    ticker_ddl(tmp.path() / "v") + sink_ddl(out, "v_rows", v_sink));
      run_ok(s, v_query);
      CHECK(read_part_files(out / "v_rows") ==
            std::vector<std::string>{"ACME," + stamp(at(4)) + "," + stamp(at(7)) + "," +
                                     stamp(at(8)) + ",14,3"});
    }
  }
  // "Aggregations": AVG in DEFINE and MEASURES, a greedy A+ before B.
  {
    const std::vector<std::int64_t> prices = {12, 17, 13, 16, 25, 2, 4, 10, 15, 25, 25, 30};
    std::vector<tick> ticks;
    for (std::size_t i = 0; i < prices.size(); ++i)
      ticks.push_back(tick{"ACME", at(static_cast<int>(i)), prices[i]});
    write_ticks(tmp.path() / "agg", ticks);
    const auto out = tmp.path() / "agg-out";
    table::sql_session s;
    run_ok(s, ticker_ddl(tmp.path() / "agg", "DOUBLE") +
                  sink_ddl(out, "agg_rows",
                           "symbol VARCHAR, start_tstamp TIMESTAMP(3), end_tstamp TIMESTAMP(3), "
                           "avgPrice DOUBLE"));
    run_ok(s,
           "INSERT INTO agg_rows SELECT * FROM Ticker MATCH_RECOGNIZE (\n"
           "  PARTITION BY symbol ORDER BY rowtime\n"
           "  MEASURES FIRST(A.rowtime) AS start_tstamp, LAST(A.rowtime) AS end_tstamp,\n"
           "    AVG(A.price) AS avgPrice\n"
           "  ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW\n"
           "  PATTERN (A+ B)\n"
           "  DEFINE A AS AVG(A.price) < 15\n"
           ");");
    CHECK(read_part_files(out / "agg_rows") ==
          std::vector<std::string>{"ACME," + stamp(at(0)) + "," + stamp(at(3)) + ",14.5",
                                   "ACME," + stamp(at(5)) + "," + stamp(at(10)) + ",13.5"});
  }
}

TEST_CASE("MATCH_RECOGNIZE matches as brute-force references do at parallelism 1 and 4",
          "[table][session][match]") {
  testing::temp_dir tmp;
  for (const std::uint64_t seed : {7u, 19u}) {
    CAPTURE(seed);
    const auto uniform = make_ticks(3000, 2, seed, false);
    const auto walk = make_ticks(3000, 5, seed + 100, true);
    const auto in = tmp.path() / ("in-" + std::to_string(seed));
    const auto in_walk = tmp.path() / ("walk-" + std::to_string(seed));
    write_ticks(in, uniform);
    write_ticks(in_walk, walk);
    const auto want_next = fixed_reference(uniform, false);
    const auto want_past = fixed_reference(uniform, true);
    const auto want_v = v_reference(walk);
    REQUIRE(want_next.size() > 20);
    REQUIRE(want_past.size() < want_next.size());
    REQUIRE(want_v.size() > 20);
    for (const int p : {1, 4}) {
      CAPTURE(p);
      const std::string cols =
          "symbol VARCHAR, a_time TIMESTAMP(3), b1 INT, avg_b INT, c_price INT, mt "
          "TIMESTAMP(3), last_price INT, p2 INT";
      for (const bool past : {false, true}) {
        CAPTURE(past);
        const auto out = tmp.path() / ("out-" + std::to_string(seed) + "-" + std::to_string(p) +
                                       (past ? "-past" : "-next"));
        table::sql_session s;
        run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" + ticker_ddl(in) +
                      sink_ddl(out, "out_rows", cols));
        run_ok(s, fixed_query(past));
        CHECK(difference(read_part_files(out / "out_rows"), past ? want_past : want_next) == "");
      }
      const auto out = tmp.path() / ("v-" + std::to_string(seed) + "-" + std::to_string(p));
      table::sql_session s;
      run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" + ticker_ddl(in_walk) +
                    sink_ddl(out, "v_rows", v_sink));
      run_ok(s, v_query);
      CHECK(difference(read_part_files(out / "v_rows"), want_v) == "");
    }
  }
}

TEST_CASE("MATCH_RECOGNIZE ordered by a processing-time attribute matches rows as they arrive",
          "[table][session][match]") {
  testing::temp_dir tmp;
  const auto ticks = make_ticks(500, 1, 5, false);
  write_ticks(tmp.path() / "in", ticks);
  // A row above 90 followed by one below 10 (in file order: one reader, one partition).
  std::vector<std::string> want;
  for (std::size_t i = 0; i + 1 < ticks.size(); ++i)
    if (ticks[i].price > 90 && ticks[i + 1].price < 10)
      want.push_back(std::to_string(ticks[i].price) + "," + std::to_string(ticks[i + 1].price));
  std::sort(want.begin(), want.end());
  const auto out = tmp.path() / "out";
  table::sql_session s;
  run_ok(s, ticker_ddl(tmp.path() / "in") + sink_ddl(out, "p_rows", "hi INT, lo INT"));
  run_ok(s,
         "INSERT INTO p_rows SELECT hi, lo FROM (SELECT *, PROCTIME() AS pt FROM Ticker)\n"
         "MATCH_RECOGNIZE (ORDER BY pt MEASURES H.price AS hi, L.price AS lo\n"
         "  PATTERN (H L) DEFINE H AS price > 90, L AS price < 10);");
  CHECK(difference(read_part_files(out / "p_rows"), want) == "");
}

TEST_CASE("MATCH_RECOGNIZE recovers from a failure exactly once with checkpoints",
          "[table][session][match][recovery]") {
  testing::temp_dir tmp;
  const auto walk = make_ticks(6000, 5, 31, true);
  write_ticks(tmp.path() / "in", walk);
  const auto want = v_reference(walk);
  std::atomic<int> calls{0};
  std::atomic<bool> failed{false};
  const auto out = tmp.path() / "out";
  table::sql_session s;
  s.register_function_implementation("test.FailOnce", fail_once_function(calls, failed, 3000));
  // The input through fail_once: one call fails once, mid-stream.
  const std::string query = std::string(v_query).replace(
      std::string(v_query).find("FROM Ticker"), 11,
      "FROM (SELECT symbol, rowtime, CAST(fail_once(price) AS INT) AS price FROM Ticker)");
  run_ok(s, recovery_settings() + ticker_ddl(tmp.path() / "in") + sink_ddl(out, "v_rows", v_sink));
  run_ok(s, query);
  CHECK(failed.load());
  CHECK(difference(read_part_files(out / "v_rows"), want) == "");
}

TEST_CASE("MATCH_RECOGNIZE refuses what Flink refuses, naming the spot",
          "[table][session][match]") {
  testing::temp_dir tmp;
  write_ticks(tmp.path() / "in", make_ticks(10, 1, 1, false));
  table::sql_session s;
  run_ok(s, ticker_ddl(tmp.path() / "in"));
  auto q = [](const std::string& body) {
    return "SELECT * FROM Ticker MATCH_RECOGNIZE (" + body + ");";
  };
  const std::string std_define = " DEFINE A AS A.price > 1";
  CHECK_THAT(error_of(s, q("ORDER BY price MEASURES A.price AS p PATTERN (A B)" + std_define)),
             Catch::Contains("must be ordered by a time attribute first"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime DESC PATTERN (A B)" + std_define)),
             Catch::Contains("must be ascending on time"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime PATTERN (A B+)" + std_define)),
             Catch::Contains("Greedy quantifiers are not allowed as the last element"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime PATTERN (A* B?)" + std_define)),
             Catch::Contains("can produce empty matches"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime PATTERN (A | B)" + std_define)),
             Catch::Contains("branching patterns"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime PATTERN ((A B)+ C)" + std_define)),
             Catch::Contains("Group patterns are not supported"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime PATTERN (A A)" + std_define)),
             Catch::Contains("Pattern variables must be unique"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime ALL ROWS PER MATCH PATTERN (A B)" + std_define)),
             Catch::Contains("ALL ROWS PER MATCH is not supported"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime PATTERN (A B) DEFINE X AS X.price > 1")),
             Catch::Contains("DEFINE names 'X'"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime PATTERN (A B) DEFINE A AS Z.price > 1")),
             Catch::Contains("'Z' is not a pattern variable"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime PATTERN (A B) DEFINE A AS A.price + 1")),
             Catch::Contains("must be BOOLEAN"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime PATTERN (A B) DEFINE A AS NEXT(A.price) > 1")),
             Catch::Contains("NEXT is not supported"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime MEASURES SUM(A.price + B.price) AS x PATTERN (A B)" +
                           std_define)),
             Catch::Contains("one pattern variable only"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime MEASURES COUNT(DISTINCT A.price) AS x PATTERN (A B)" +
                           std_define)),
             Catch::Contains("DISTINCT aggregations are not supported"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime PATTERN (A B?\?)" + std_define)),
             Catch::Contains("Reluctant optional variables are not supported"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime PATTERN (A B) DEFINE A AS MATCH_ROWTIME() > "
                           "rowtime")),
             Catch::Contains("may be used in MEASURES only"));
  CHECK_THAT(error_of(s, q("ORDER BY rowtime MEASURES A.nope AS x PATTERN (A B)" + std_define)),
             Catch::Contains("nope"));
  // EXPLAIN shows the operator.
  const auto plan = run_ok(s, "EXPLAIN " + q("PARTITION BY symbol ORDER BY rowtime MEASURES "
                                             "LAST(A.price) AS p PATTERN (A B)" +
                                             std_define));
  CHECK_THAT(plan.message, Catch::Contains("Match(partitionBy=[symbol], orderBy=[rowtime ASC]"));
  CHECK_THAT(plan.message, Catch::Contains("after=[SKIP TO NEXT ROW], pattern=[A B]"));
}
