// SQL interval joins (Flink's IntervalJoin: equal keys and bounds on the two sides' event
// times): inner and outer joins over random rows against every pair computed here, at
// parallelism 1 and 4, a window aggregate over the join's result (its time attributes and held
// back watermark: no row is late), and the plan.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace sql_interval_join_test {

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

constexpr std::int64_t base_ms = 1'436'918'400'000;  // 2015-07-15 00:00:00

struct row {
  std::int64_t id, ts, v;
};

/// `n` rows on `keys` keys, times advancing `step` ms per row with up to `disorder` ms of
/// disorder.
std::vector<row> make_rows(std::size_t n, int keys, std::uint64_t seed, std::int64_t step = 100,
                           std::uint64_t disorder = 1500) {
  std::mt19937_64 rng(seed);
  std::vector<row> v;
  for (std::size_t i = 0; i < n; ++i) {
    const auto ts = base_ms + static_cast<std::int64_t>(i) * step +
                    static_cast<std::int64_t>(disorder ? rng() % disorder : 0);
    v.push_back(row{static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(keys)), ts,
                    static_cast<std::int64_t>(rng() % 1000)});
  }
  return v;
}

void write_rows(const fs::path& dir, const std::vector<row>& rows) {
  fs::create_directories(dir);
  std::ofstream out(dir / "rows.csv");
  for (const auto& r : rows) out << r.id << ',' << stamp(r.ts) << ',' << r.v << '\n';
}

std::string ddl(const std::string& name, const fs::path& dir, const char* delay = "2") {
  return "CREATE TABLE " + name +
         " (id BIGINT, ts TIMESTAMP(3), v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '" + delay +
         "' SECOND) WITH ('connector' = 'filesystem', 'path' = '" + dir.string() +
         "', 'format' = 'csv');\n";
}

std::string cell(const row* r, bool time) {
  if (!r) return time ? "" : ",";
  return std::to_string(r->v) + "," + stamp(r->ts);
}

/// Joined rows `l.v,l.ts,r.v,r.ts` of pairs with equal ids and lower <= l.ts - r.ts <= upper;
/// outer sides' rows without a partner padded (empty cells).
std::vector<std::string> reference(const std::vector<row>& left, const std::vector<row>& right,
                                   std::int64_t lower, std::int64_t upper, bool left_outer,
                                   bool right_outer) {
  std::vector<std::string> out;
  std::vector<bool> right_matched(right.size(), false);
  for (const auto& l : left) {
    bool matched = false;
    for (std::size_t j = 0; j < right.size(); ++j) {
      const auto& r = right[j];
      const auto d = l.ts - r.ts;
      if (l.id != r.id || d < lower || d > upper) continue;
      matched = true;
      right_matched[j] = true;
      out.push_back(cell(&l, true) + "," + cell(&r, true));
    }
    if (left_outer && !matched) out.push_back(cell(&l, true) + ",,");
  }
  if (right_outer)
    for (std::size_t j = 0; j < right.size(); ++j)
      if (!right_matched[j]) out.push_back(",," + cell(&right[j], true));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace sql_interval_join_test

using namespace sql_interval_join_test;

TEST_CASE("Interval joins give every pair within the bounds, outer sides padded once",
          "[table][session][join]") {
  testing::temp_dir tmp;
  const auto left = make_rows(1500, 40, 3);
  const auto right = make_rows(1500, 40, 4);
  write_rows(tmp.path() / "l", left);
  write_rows(tmp.path() / "r", right);
  const std::string cols = "lv BIGINT, lts TIMESTAMP(3), rv BIGINT, rts TIMESTAMP(3)";
  struct variant {
    const char* join;
    const char* bounds;
    std::int64_t lower, upper;
    bool left_outer, right_outer;
  };
  const std::vector<variant> variants = {
      {"JOIN", "L.ts BETWEEN R.ts - INTERVAL '2' SECOND AND R.ts + INTERVAL '1' SECOND", -2000,
       1000, false, false},
      {"LEFT JOIN", "L.ts > R.ts - INTERVAL '1' SECOND AND L.ts <= R.ts", -999, 0, true, false},
      {"RIGHT JOIN", "R.ts >= L.ts AND R.ts < L.ts + INTERVAL '0.5' SECOND", -499, 0, false, true},
      {"FULL JOIN", "L.ts BETWEEN R.ts + INTERVAL '0.1' SECOND AND R.ts + INTERVAL '3' SECOND", 100,
       3000, true, true},
  };
  for (const auto& v : variants) {
    CAPTURE(v.join, v.bounds);
    const auto want = reference(left, right, v.lower, v.upper, v.left_outer, v.right_outer);
    REQUIRE(want.size() > 200);
    for (const int p : {1, 4}) {
      CAPTURE(p);
      const auto out =
          tmp.path() / ("out-" + std::to_string(&v - variants.data()) + "-" + std::to_string(p));
      table::sql_session s;
      run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                    ddl("L", tmp.path() / "l") + ddl("R", tmp.path() / "r") +
                    sink_ddl(out, "j", cols));
      const std::string query = std::string("SELECT L.v, L.ts, R.v, R.ts FROM L ") + v.join +
                                " R ON L.id = R.id AND " + v.bounds;
      // Insert-only (an outer interval join never retracts): a CSV sink takes it.
      run_ok(s, "INSERT INTO j " + query + ";");
      CHECK(difference(read_part_files(out / "j"), want) == "");
      if (p == 1)
        CHECK_THAT(run_ok(s, "EXPLAIN " + query + ";").message,
                   Catch::Contains("IntervalJoin(joinType=[") &&
                       Catch::Contains("leftLowerBound=" + std::to_string(v.lower) +
                                       ", leftUpperBound=" + std::to_string(v.upper)));
    }
  }
}

TEST_CASE("A window aggregate over an interval join counts every joined row",
          "[table][session][join][window]") {
  // Rows in time order and watermarks at their time (no delay), enough of them that watermarks
  // pass while the join runs: a joined row up to 1.5 s older than the watermark the join has
  // seen would be late downstream if the join did not hold its output watermark back.
  testing::temp_dir tmp;
  const auto left = make_rows(150'000, 50, 8, 2, 0);
  const auto right = make_rows(150'000, 50, 9, 2, 0);
  write_rows(tmp.path() / "l", left);
  write_rows(tmp.path() / "r", right);
  // Joined rows per 1 s window of the right side's time (rows of each key in time order).
  std::map<std::int64_t, std::vector<std::int64_t>> left_times;
  for (const auto& l : left) left_times[l.id].push_back(l.ts);
  std::map<std::int64_t, std::int64_t> per_window;
  for (const auto& r : right) {
    const auto& ts = left_times[r.id];
    const auto from = std::lower_bound(ts.begin(), ts.end(), r.ts - 1500);
    const auto to = std::upper_bound(ts.begin(), ts.end(), r.ts + 1500);
    if (to > from) per_window[r.ts - r.ts % 1000] += to - from;
  }
  std::vector<std::string> want;
  for (const auto& [start, n] : per_window) want.push_back(stamp(start) + "," + std::to_string(n));
  for (const int p : {1, 3}) {
    CAPTURE(p);
    const auto out = tmp.path() / ("w-" + std::to_string(p));
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  ddl("L", tmp.path() / "l", "0") + ddl("R", tmp.path() / "r", "0") +
                  sink_ddl(out, "w", "window_start TIMESTAMP(3), cnt BIGINT") +
                  "CREATE VIEW j AS SELECT L.v AS lv, R.ts AS rts FROM L JOIN R ON L.id = R.id "
                  "AND L.ts BETWEEN R.ts - INTERVAL '1.5' SECOND AND R.ts + INTERVAL '1.5' "
                  "SECOND;\n");
    run_ok(s,
           "INSERT INTO w SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE j, "
           "DESCRIPTOR(rts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;");
    CHECK(difference(read_part_files(out / "w"), want) == "");
  }
}
