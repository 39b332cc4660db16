// SQL OVER aggregations run end to end by a session: ROWS and RANGE frames (bounded, unbounded,
// CURRENT ROW), a named WINDOW, several aggregates over one window, rows out of order within the
// watermark's delay, equal times (RANGE peers), no PARTITION BY; at parallelism 1 and 4, against
// a brute-force reference computed here; and the errors for what Flink's streaming mode refuses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace sql_over_test {

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

struct row {
  std::int64_t id;
  std::int64_t k;
  std::optional<std::int64_t> v;
  std::int64_t ts;
};

/// `n` rows over 5 keys. `peers`: three rows per timestamp (RANGE frames see them as peers);
/// else every row its own timestamp. Rows are written shuffled within blocks of 3 timestamps
/// (at most 2 s out of order: within the table's 4 s watermark delay, so none is late).
std::vector<row> make_rows(std::size_t n, std::uint64_t seed, bool peers) {
  std::mt19937_64 rng(seed);
  const std::int64_t start = *rows::parse_timestamp("2020-01-01 00:00:00");
  std::vector<row> out;
  for (std::size_t i = 0; i < n; ++i) {
    row r;
    r.id = static_cast<std::int64_t>(i);
    r.k = static_cast<std::int64_t>(rng() % 5);
    if (rng() % 10 != 0) r.v = static_cast<std::int64_t>(rng() % 2000) - 500;
    const auto slot = static_cast<std::int64_t>(peers ? i / 3 : i);
    r.ts = start + slot * 700 + (peers ? 0 : static_cast<std::int64_t>(rng() % 600));
    out.push_back(r);
  }
  const std::size_t block = peers ? 9 : 3;
  for (std::size_t b = 0; b < out.size(); b += block)
    std::shuffle(out.begin() + static_cast<std::ptrdiff_t>(b),
                 out.begin() + static_cast<std::ptrdiff_t>(std::min(out.size(), b + block)), rng);
  return out;
}

/// The rows as CSV, round robin into `files` files.
void write_rows(const fs::path& dir, const std::vector<row>& rs, int files = 1) {
  fs::create_directories(dir);
  std::vector<std::ofstream> out;
  for (int f = 0; f < files; ++f) out.emplace_back(dir / ("rows-" + std::to_string(f) + ".csv"));
  for (std::size_t i = 0; i < rs.size(); ++i) {
    const auto& r = rs[i];
    out[i % out.size()] << r.id << ',' << r.k << ',' << (r.v ? std::to_string(*r.v) : std::string())
                        << ',' << stamp(r.ts) << '\n';
  }
}

std::string ddl(const std::string& name, const fs::path& dir) {
  return "CREATE TABLE " + name +
         " (id BIGINT, k BIGINT, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL "
         "'4' SECOND) WITH ('connector' = 'filesystem', 'path' = '" +
         dir.string() + "', 'format' = 'csv');\n";
}

/// A frame of the reference: ROWS (the current row and `preceding` rows before it) or RANGE
/// (rows at most `preceding` ms older, peers included); preceding < 0: unbounded.
struct frame {
  bool rows;
  std::int64_t preceding;
};

/// NULL as the print sink shows it, or (`csv`) as the CSV sink writes it.
std::string text(const std::optional<std::int64_t>& v, bool csv = false) {
  return v ? std::to_string(*v) : std::string(csv ? "" : "null");
}

/// "id,SUM,COUNT(*),COUNT(v),MIN,MAX,AVG" per row, by brute force over each row's frame.
/// Partitions by k (or none), rows in time order, equal times in arrival (file) order.
std::multiset<std::string> reference(const std::vector<row>& rs, const frame& f, bool partition,
                                     bool csv = false) {
  std::map<std::int64_t, std::vector<const row*>> parts;
  for (const auto& r : rs) parts[partition ? r.k : 0].push_back(&r);
  std::multiset<std::string> out;
  for (auto& [k, v] : parts) {
    std::stable_sort(v.begin(), v.end(), [](const row* a, const row* b) { return a->ts < b->ts; });
    for (std::size_t i = 0; i < v.size(); ++i) {
      std::vector<const row*> in;
      for (std::size_t j = 0; j < v.size(); ++j) {
        bool take;
        if (f.rows)
          take = j <= i && (f.preceding < 0 || i - j <= static_cast<std::size_t>(f.preceding));
        else
          take = v[j]->ts <= v[i]->ts && (f.preceding < 0 || v[i]->ts - v[j]->ts <= f.preceding);
        if (take) in.push_back(v[j]);
      }
      std::optional<std::int64_t> sum, mn, mx;
      std::int64_t count = 0;
      for (const auto* r : in) {
        if (!r->v) continue;
        ++count;
        sum = sum.value_or(0) + *r->v;
        mn = std::min(mn.value_or(*r->v), *r->v);
        mx = std::max(mx.value_or(*r->v), *r->v);
      }
      std::optional<std::int64_t> avg;
      if (count > 0) avg = *sum / count;  // BIGINT AVG truncates, as Flink's
      out.insert(std::to_string(v[i]->id) + "," + text(sum, csv) + "," + std::to_string(in.size()) +
                 "," + std::to_string(count) + "," + text(mn, csv) + "," + text(mx, csv) + "," +
                 text(avg, csv));
    }
  }
  return out;
}

std::atomic<int> calls{0};
std::atomic<bool> failed{false};

std::vector<sql::scalar_function> fail_once() {
  return fail_once_function(calls, failed, 4000);
}

const char* const aggregates =
    "SUM(v) OVER w, COUNT(*) OVER w, COUNT(v) OVER w, MIN(v) OVER w, MAX(v) OVER w, AVG(v) OVER w";

}  // namespace sql_over_test

using namespace sql_over_test;

TEST_CASE(
    "OVER aggregations with ROWS and RANGE frames end in the reference rows at parallelism 1 and 4",
    "[table][session][over]") {
  testing::temp_dir tmp;
  const auto distinct = make_rows(1500, 11, false);
  const auto peers = make_rows(1500, 12, true);
  write_rows(tmp.path() / "t", distinct);
  write_rows(tmp.path() / "u", peers);
  struct query {
    std::string table;
    std::string window;
    frame f;
    bool partition = true;
  };
  const std::vector<query> queries = {
      {"t", "PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW", {true, 2}},
      {"t",
       "PARTITION BY k ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
       {true, -1}},
      {"t", "PARTITION BY k ORDER BY ts ROWS BETWEEN CURRENT ROW AND CURRENT ROW", {true, 0}},
      {"t", "ORDER BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW", {true, 10}, false},
      {"u",
       "PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '5' SECOND PRECEDING AND CURRENT ROW",
       {false, 5000}},
      {"u", "PARTITION BY k ORDER BY ts", {false, -1}},  // RANGE UNBOUNDED PRECEDING, the default
      {"u", "PARTITION BY k ORDER BY ts RANGE BETWEEN CURRENT ROW AND CURRENT ROW", {false, 0}},
      {"t", "PARTITION BY k ORDER BY ts RANGE INTERVAL '2' SECOND PRECEDING", {false, 2000}},
  };
  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  ddl("t", tmp.path() / "t") + ddl("u", tmp.path() / "u"));
    for (const auto& q : queries) {
      CAPTURE(q.window);
      const auto r = run_ok(s, std::string("SELECT id, ") + aggregates + " FROM " + q.table +
                                   " WINDOW w AS (" + q.window + ");");
      CHECK(std::all_of(r.kinds.begin(), r.kinds.end(), [](auto& k) { return k == "+I"; }));
      const auto want = reference(q.table == "t" ? distinct : peers, q.f, q.partition);
      const auto got = replay(r);
      CHECK(got.size() == want.size());
      CHECK(got == want);
    }
    // Inline windows, expressions around and inside the calls, WHERE before the aggregation.
    const auto r = run_ok(
        s,
        "SELECT id, k * 10 AS kk, 1 + COUNT(*) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 "
        "PRECEDING AND CURRENT ROW) AS c, SUM(v * 2) OVER (PARTITION BY k ORDER BY ts ROWS "
        "BETWEEN 1 PRECEDING AND CURRENT ROW) AS s2 FROM t WHERE v > 0;");
    CHECK(r.header == std::vector<std::string>{"id", "kk", "c", "s2"});
    std::vector<row> positive;
    for (const auto& x : distinct)
      if (x.v && *x.v > 0) positive.push_back(x);
    std::map<std::int64_t, std::int64_t> key_of;
    for (const auto& x : distinct) key_of[x.id] = x.k;
    std::multiset<std::string> want;
    for (const auto& line : reference(positive, {true, 1}, true)) {
      // "id,SUM,COUNT(*),..." -> "id,k * 10,1 + COUNT(*),SUM(v * 2)"
      std::vector<std::string> cells;
      std::stringstream in(line);
      for (std::string c; std::getline(in, c, ',');) cells.push_back(c);
      const auto id = std::stoll(cells[0]);
      want.insert(cells[0] + "," + std::to_string(key_of[id] * 10) + "," +
                  std::to_string(1 + std::stoll(cells[2])) + "," +
                  std::to_string(2 * std::stoll(cells[1])));
    }
    CHECK(replay(r) == want);
  }
}

TEST_CASE("An OVER aggregation with checkpoints recovers from a failure and writes each row once",
          "[table][session][over][checkpoint]") {
  testing::temp_dir tmp;
  const auto rs = make_rows(6000, 21, false);
  write_rows(tmp.path() / "t", rs, 2);
  const auto want_set = reference(rs, {true, 2}, true, true);
  const std::vector<std::string> want(want_set.begin(), want_set.end());
  calls = 0;
  failed = false;
  table::sql_session s;
  s.register_function_implementation("test.FailOnce", fail_once());
  const auto out = tmp.path() / "out";
  run_ok(s,
         recovery_settings() + ddl("t", tmp.path() / "t") +
             sink_ddl(out, "o",
                      "id BIGINT, s BIGINT, c BIGINT, cv BIGINT, mn BIGINT, mx BIGINT, a BIGINT"));
  CHECK(run_ok(s, std::string("INSERT INTO o SELECT id, ") + aggregates +
                      " FROM t WHERE fail_once(id) >= 0 WINDOW w AS (PARTITION BY k ORDER BY ts "
                      "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);")
            .message == "[INFO] Job 'insert-into_o' finished.");
  CHECK(failed);
  CHECK(difference(read_part_files(out / "o"), want) == "");
}

TEST_CASE("OVER aggregations refuse what Flink's streaming mode refuses, at its place",
          "[table][session][over]") {
  testing::temp_dir tmp;
  write_rows(tmp.path() / "t", make_rows(5, 3, false));
  table::sql_session s;
  run_ok(s, ddl("t", tmp.path() / "t") +
                "CREATE TABLE plain (id BIGINT, ts TIMESTAMP(3)) WITH ('connector' = "
                "'filesystem', 'path' = '" +
                (tmp.path() / "t").string() + "', 'format' = 'csv');\n");
  CHECK_THAT(
      error_of(s, "SELECT SUM(v) OVER (PARTITION BY k ORDER BY v) FROM t;"),
      Catch::Contains("must be defined on a time attribute") && Catch::Contains("ORDER BY v)"));
  CHECK_THAT(error_of(s, "SELECT SUM(v) OVER (PARTITION BY k) FROM t;"),
             Catch::Contains("ordered by one time attribute"));
  CHECK_THAT(error_of(s, "SELECT SUM(v) OVER (ORDER BY ts DESC) FROM t;"),
             Catch::Contains("ascending"));
  CHECK_THAT(
      error_of(s,
               "SELECT SUM(v) OVER (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t;"),
      Catch::Contains("end at CURRENT ROW"));
  CHECK_THAT(error_of(s,
                      "SELECT SUM(v) OVER (ORDER BY ts ROWS 2 PRECEDING), COUNT(*) OVER (ORDER BY "
                      "ts ROWS 3 PRECEDING) FROM t;"),
             Catch::Contains("same window"));
  CHECK_THAT(error_of(s, "SELECT SUM(v) OVER w FROM t WINDOW x AS (ORDER BY ts);"),
             Catch::Contains("Window 'w' is not defined"));
  CHECK_THAT(error_of(s, "SELECT COUNT(*) OVER (ORDER BY ts) FROM plain;"),
             Catch::Contains("time attribute"));
  CHECK_THAT(error_of(s, "SELECT k, SUM(v) OVER (ORDER BY ts), COUNT(*) FROM t GROUP BY k;"),
             Catch::Contains("together with GROUP BY"));
  CHECK_THAT(error_of(s,
                      "SELECT SUM(v) OVER (ORDER BY ts RANGE BETWEEN 3 PRECEDING AND CURRENT "
                      "ROW) FROM t;"),
             Catch::Contains("RANGE frame's offset"));
}
