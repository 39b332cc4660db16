// SQL window joins (Flink's WindowJoin: two window TVFs joined on their window_start and
// window_end and keys): inner and outer joins of TUMBLE and HOP windows over random rows against
// every pair computed here, written to a CSV sink (insert-only: outer sides padded once, at the
// window's end, never retracted), at parallelism 1 and 3; a window aggregate over the join; the
// plan.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace sql_window_join_test {

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

constexpr std::int64_t window_join_base = 1'436'918'400'000;  // 2015-07-15 00:00:00

struct wj_row {
  std::int64_t id, ts, v;
};

std::vector<wj_row> make_wj_rows(std::size_t n, int keys, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<wj_row> v;
  for (std::size_t i = 0; i < n; ++i) {
    const auto ts = window_join_base + static_cast<std::int64_t>(i) * 50 +
                    static_cast<std::int64_t>(rng() % 1500);  // disorder under the 2 s delay
    v.push_back(wj_row{static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(keys)), ts,
                       static_cast<std::int64_t>(rng() % 1000)});
  }
  return v;
}

void write_wj_rows(const fs::path& dir, const std::vector<wj_row>& rows) {
  fs::create_directories(dir);
  std::ofstream out(dir / "rows.csv");
  for (const auto& r : rows) out << r.id << ',' << stamp(r.ts) << ',' << r.v << '\n';
}

std::string wj_ddl(const std::string& name, const fs::path& dir) {
  return "CREATE TABLE " + name +
         " (id BIGINT, ts TIMESTAMP(3), v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) "
         "WITH ('connector' = 'filesystem', 'path' = '" +
         dir.string() + "', 'format' = 'csv');\n";
}

/// The window starts a row at `ts` falls in: TUMBLE of `size`, or HOP of `slide` and `size`.
std::vector<std::int64_t> window_starts(std::int64_t ts, std::int64_t slide, std::int64_t size) {
  std::vector<std::int64_t> out;
  for (std::int64_t s = ts - ts % slide; s > ts - size; s -= slide) out.push_back(s);
  return out;
}

/// `l.v,r.v,window_start` per joined pair of equal id and window; outer sides' rows without a
/// partner in their window padded (empty cells).
std::vector<std::string> wj_reference(const std::vector<wj_row>& left,
                                      const std::vector<wj_row>& right, const std::string& type,
                                      std::int64_t slide, std::int64_t size) {
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<const wj_row*>> l, r;
  for (const auto& x : left)
    for (const auto s : window_starts(x.ts, slide, size)) l[{x.id, s}].push_back(&x);
  for (const auto& x : right)
    for (const auto s : window_starts(x.ts, slide, size)) r[{x.id, s}].push_back(&x);
  std::vector<std::string> out;
  for (const auto& [k, ls] : l) {
    const auto it = r.find(k);
    if (it == r.end()) {
      if (type == "LEFT" || type == "FULL")
        for (const auto* x : ls) out.push_back(std::to_string(x->v) + ",," + stamp(k.second));
      continue;
    }
    for (const auto* x : ls)
      for (const auto* y : it->second)
        out.push_back(std::to_string(x->v) + "," + std::to_string(y->v) + "," + stamp(k.second));
  }
  if (type == "RIGHT" || type == "FULL")
    for (const auto& [k, rs] : r)
      if (!l.count(k))
        for (const auto* y : rs) out.push_back("," + std::to_string(y->v) + "," + stamp(k.second));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace sql_window_join_test

TEST_CASE("Window joins give each window's pairs once, outer sides padded at the window's end",
          "[table][session][join]") {
  using namespace sql_window_join_test;
  testing::temp_dir tmp;
  const auto left = make_wj_rows(1200, 25, 11);
  const auto right = make_wj_rows(1200, 25, 12);
  write_wj_rows(tmp.path() / "l", left);
  write_wj_rows(tmp.path() / "r", right);
  struct window_case {
    std::string tvf;  // with {T} for the table
    std::int64_t slide, size;
  };
  const std::vector<window_case> windows = {
      {"TUMBLE(TABLE {T}, DESCRIPTOR(ts), INTERVAL '10' SECOND)", 10'000, 10'000},
      {"HOP(TABLE {T}, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND)", 5'000, 10'000},
  };
  int n = 0;
  for (const auto& w : windows) {
    const auto tvf = [&](const std::string& t) {
      auto s = w.tvf;
      s.replace(s.find("{T}"), 3, t);
      return "(SELECT * FROM TABLE(" + s + "))";
    };
    for (const std::string type : {"INNER", "LEFT", "RIGHT", "FULL"}) {
      const auto want = wj_reference(left, right, type, w.slide, w.size);
      REQUIRE(want.size() > 500);
      if (type != "INNER")  // some rows have no partner in their window
        CHECK(std::any_of(want.begin(), want.end(), [](const std::string& l) {
          return l.find(",,") != std::string::npos || l[0] == ',';
        }));
      for (const int p : {1, 3}) {
        CAPTURE(w.tvf, type, p);
        table::sql_session s;
        const auto out = tmp.path() / ("out" + std::to_string(n++));
        run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                      wj_ddl("L", tmp.path() / "l") + wj_ddl("R", tmp.path() / "r") +
                      sink_ddl(out, "o", "lv BIGINT, rv BIGINT, ws TIMESTAMP(3)") +
                      "INSERT INTO o SELECT L.v, R.v, COALESCE(L.window_start, R.window_start) "
                      "FROM " +
                      tvf("L") + " L " + type + " JOIN " + tvf("R") +
                      " R ON L.id = R.id AND L.window_start = R.window_start AND "
                      "L.window_end = R.window_end;");
        const auto got = read_part_files(out / "o");
        INFO(difference(got, want));
        CHECK(got == want);
      }
    }
  }

  // A window aggregate over an inner window join: the join keeps the window columns and the
  // window_time time attribute, so the aggregate is a window aggregate (insert-only).
  table::sql_session s;
  run_ok(s, "SET 'parallelism.default' = '2';\n" + wj_ddl("L", tmp.path() / "l") +
                wj_ddl("R", tmp.path() / "r"));
  const auto tumble = [](const std::string& t) {
    return "(SELECT * FROM TABLE(TUMBLE(TABLE " + t + ", DESCRIPTOR(ts), INTERVAL '10' SECOND)))";
  };
  const auto joined = "SELECT L.window_start, L.window_end, L.v FROM " + tumble("L") + " L JOIN " +
                      tumble("R") +
                      " R ON L.id = R.id AND L.window_start = R.window_start AND L.window_end = "
                      "R.window_end";
  const auto r = run_ok(
      s, "SELECT window_start, COUNT(*) FROM (" + joined + ") GROUP BY window_start, window_end;");
  std::map<std::string, std::int64_t> want_counts;
  for (const auto& line : wj_reference(left, right, "INNER", 10'000, 10'000))
    ++want_counts[line.substr(line.rfind(',') + 1)];
  std::multiset<std::string> want;
  for (const auto& [ws, c] : want_counts)
    want.insert(print_stamp(*rows::parse_timestamp(ws)) + "," + std::to_string(c));
  CHECK(replay(r) == want);
  CHECK(std::all_of(r.kinds.begin(), r.kinds.end(), [](auto& k) { return k == "+I"; }));

  const auto plan = run_ok(s, "EXPLAIN " + joined + ";");
  CHECK_THAT(plan.message,
             Catch::Contains("WindowJoin(joinType=[InnerJoin], where=[=(L.id, R.id) AND "
                             "=(L.window_start, R.window_start) AND =(L.window_end, "
                             "R.window_end)]"));
}
