// The datagen SQL connector (Flink's): sequences emitted exactly once at parallelism 1 and 4,
// random values within their options, string lengths, NULL rates, bounded number-of-rows,
// computed columns and watermarks over generated rows, option errors naming the key.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "eddy/table/datagen_source.hpp"
#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

namespace {

/// The cells of column `c` of a SELECT's rows.
std::vector<std::string> column_of(const table::statement_result& r, std::size_t c) {
  std::vector<std::string> out;
  for (const auto& row : r.rows) out.push_back(row.at(c));
  return out;
}

/// Keeps the rows a datagen reader emits as "id,s" strings.
struct row_recorder final : input_op<rows::row_batch> {
  std::vector<std::string> rows;
  void process(std::vector<rows::row_batch>& batches) override {
    for (const auto& b : batches)
      for (std::size_t i = 0; i < b.size(); ++i)
        rows.push_back(std::to_string(b.column(0).data<std::int64_t>()[b.row(i)]) + "," +
                       b.column(1).data<std::string>()[b.row(i)]);
  }
  void finish() override {}
};

/// All subtasks' entries when the parallelism changes, else subtask `index`'s own.
std::vector<state_entry> entries_for(const std::vector<std::vector<state_entry>>& old, int index,
                                     int parallelism) {
  std::vector<state_entry> out;
  const bool same = static_cast<int>(old.size()) == parallelism;
  for (std::size_t i = 0; i < old.size(); ++i)
    if (!same || static_cast<int>(i) == index) out.insert(out.end(), old[i].begin(), old[i].end());
  return out;
}

}  // namespace

TEST_CASE("datagen sequences give every value exactly once at parallelism 1 and 4",
          "[table][session][datagen]") {
  for (int p : {1, 4}) {
    testing::temp_dir tmp;
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) +
                  "';\n"
                  "CREATE TABLE g (id BIGINT, n INT, name STRING) WITH ('connector' = 'datagen', "
                  "'rows-per-second' = '100000000', 'fields.id.kind' = 'sequence', "
                  "'fields.id.start' = '-5', 'fields.id.end' = '20004', "
                  "'fields.n.min' = '1', 'fields.n.max' = '3', 'fields.name.length' = '4');\n"
                  "CREATE TABLE out (id BIGINT, n INT, name STRING) WITH ('connector' = "
                  "'filesystem', 'path' = '" +
                  (tmp.path() / "out").string() +
                  "', 'format' = 'csv');\n"
                  "INSERT INTO out SELECT * FROM g;");
    const auto lines = read_part_files(tmp.path() / "out");
    INFO("parallelism " << p);
    REQUIRE(lines.size() == 20010);
    std::vector<std::int64_t> ids;
    for (const auto& l : lines) {
      const auto c1 = l.find(',');
      const auto c2 = l.find(',', c1 + 1);
      ids.push_back(std::stoll(l.substr(0, c1)));
      const auto n = std::stoll(l.substr(c1 + 1, c2 - c1 - 1));
      CHECK((n >= 1 && n <= 3));
      CHECK(l.size() - c2 - 1 == 4);
    }
    std::sort(ids.begin(), ids.end());
    for (std::size_t i = 0; i < ids.size(); ++i)
      REQUIRE(ids[i] == static_cast<std::int64_t>(i) - 5);
  }
}

TEST_CASE("datagen number-of-rows bounds the table, divided among the subtasks",
          "[table][session][datagen]") {
  for (int p : {1, 3}) {
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) +
                  "';\n"
                  "CREATE TABLE g (id INT, b BOOLEAN) WITH ('connector' = 'datagen', "
                  "'number-of-rows' = '101', 'rows-per-second' = '1000000', "
                  "'fields.id.kind' = 'sequence', 'fields.id.start' = '1', "
                  "'fields.id.end' = '1000');");
    const auto r = run_ok(s, "SELECT id, b FROM g;");
    INFO("parallelism " << p);
    REQUIRE(r.rows.size() == 101);
    std::set<std::string> ids;
    for (const auto& c : column_of(r, 0)) ids.insert(c);
    CHECK(ids.size() == 101);
    CHECK(ids.count("1") == 1);
    CHECK(ids.count("101") == 1);
    CHECK(ids.count("102") == 0);
  }
  // A random-only table with number-of-rows ends too.
  table::sql_session s;
  run_ok(s,
         "CREATE TABLE r (v DOUBLE) WITH ('connector' = 'datagen', 'number-of-rows' = '7', "
         "'rows-per-second' = '1000000');");
  CHECK(run_ok(s, "SELECT v FROM r;").rows.size() == 7);
}

TEST_CASE("datagen random values stay within min and max, strings have their length",
          "[table][session][datagen]") {
  table::sql_session s;
  run_ok(
      s,
      "SET 'parallelism.default' = '2';\n"
      "CREATE TABLE g (t TINYINT, i INT, b BIGINT, d DOUBLE, f FLOAT, m DECIMAL(6, 2), "
      "s STRING, c CHAR(5), v VARCHAR(8), dflt STRING, x BIGINT) WITH ("
      "'connector' = 'datagen', 'number-of-rows' = '500', 'rows-per-second' = '1000000', "
      "'fields.t.min' = '-3', 'fields.t.max' = '3', 'fields.i.min' = '10', "
      "'fields.i.max' = '20', 'fields.b.min' = '-1000000000000', 'fields.b.max' = '-999999999990', "
      "'fields.d.min' = '0.5', 'fields.d.max' = '1.5', 'fields.f.min' = '-2', "
      "'fields.f.max' = '2', 'fields.m.min' = '1.25', 'fields.m.max' = '3.75', "
      "'fields.s.length' = '33', 'fields.x.kind' = 'random');");
  const auto r = run_ok(s, "SELECT * FROM g;");
  REQUIRE(r.rows.size() == 500);
  std::set<std::int64_t> ints;
  for (const auto& row : r.rows) {
    const auto t = std::stoll(row[0]), i = std::stoll(row[1]), b = std::stoll(row[2]);
    CHECK((t >= -3 && t <= 3));
    CHECK((i >= 10 && i <= 20));
    CHECK((b >= -1000000000000 && b <= -999999999990));
    ints.insert(i);
    const double d = std::stod(row[3]), f = std::stod(row[4]), m = std::stod(row[5]);
    CHECK((d >= 0.5 && d <= 1.5));
    CHECK((f >= -2 && f <= 2));
    CHECK((m >= 1.25 && m <= 3.75));
    CHECK(row[6].size() == 33);
    CHECK(row[6].find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(row[7].size() == 5);
    CHECK(row[8].size() == 8);
    CHECK(row[9].size() == 100);
  }
  CHECK(ints.size() == 11);  // 500 draws over 11 values hit them all
}

TEST_CASE("datagen null-rate 1.0 gives NULLs, 0.5 some, 0 none", "[table][session][datagen]") {
  table::sql_session s;
  run_ok(s,
         "CREATE TABLE g (id INT, a STRING, b BIGINT, c TIMESTAMP(3)) WITH ('connector' = "
         "'datagen', 'rows-per-second' = '1000000', 'fields.id.kind' = 'sequence', "
         "'fields.id.start' = '1', 'fields.id.end' = '200', 'fields.a.null-rate' = '1.0', "
         "'fields.b.null-rate' = '0.5', 'fields.c.null-rate' = '0');");
  CHECK(run_ok(s, "SELECT id FROM g WHERE a IS NULL;").rows.size() == 200);
  const auto half = run_ok(s, "SELECT id FROM g WHERE b IS NULL;").rows.size();
  CHECK(half > 50);
  CHECK(half < 150);
  CHECK(run_ok(s, "SELECT id FROM g WHERE c IS NULL;").rows.empty());
}

TEST_CASE("datagen timestamps lie within max-past of now, computed columns and watermarks work",
          "[table][session][datagen]") {
  table::sql_session s;
  const std::int64_t now = *rows::parse_timestamp("2026-01-01 00:30:00");
  s.set_clock([now] { return now; });
  run_ok(s,
         "CREATE TABLE g (id BIGINT, ts TIMESTAMP(3), lt TIMESTAMP_LTZ(3), k AS id * 2, "
         "WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'datagen', "
         "'number-of-rows' = '300', 'rows-per-second' = '1000000', "
         "'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000', "
         "'fields.ts.max-past' = '30 min', 'fields.lt.max-past' = '10 s');");
  CHECK(run_ok(s,
               "SELECT id FROM g WHERE ts < TIMESTAMP '2026-01-01 00:00:00' OR ts > TIMESTAMP "
               "'2026-01-01 00:30:00';")
            .rows.empty());
  CHECK(run_ok(s, "SELECT id FROM g WHERE ts < TIMESTAMP '2026-01-01 00:20:00';").rows.size() > 0);
  const auto k = run_ok(s, "SELECT id, k FROM g;");
  REQUIRE(k.rows.size() == 300);
  for (const auto& row : k.rows) CHECK(std::stoll(row[1]) == 2 * std::stoll(row[0]));
  const auto w = run_ok(s,
                        "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE g, "
                        "DESCRIPTOR(ts), INTERVAL '1' HOUR)) GROUP BY window_start, window_end;");
  std::int64_t total = 0;
  for (const auto& row : w.rows) total += std::stoll(row.at(1));
  CHECK(total == 300);
  const auto plan = run_ok(s, "EXPLAIN SELECT id FROM g;");
  std::string text;
  for (const auto& row : plan.rows)
    for (const auto& cell : row) text += cell + "\n";
  text += plan.message;
  CHECK_THAT(text, Catch::Contains("connector=[datagen]"));
}

TEST_CASE("datagen option errors name the key", "[table][session][datagen]") {
  table::sql_session s;
  auto err = [&](const std::string& with) {
    table::sql_session t;
    run_ok(t,
           "CREATE TABLE g (id INT, s STRING, ts TIMESTAMP(3), nn INT NOT NULL) WITH "
           "('connector' = 'datagen', " +
               with + ");");
    return error_of(t, "SELECT id FROM g;");
  };
  CHECK_THAT(err("'rows-per-sec' = '1'"), Catch::Contains("'rows-per-sec'"));
  CHECK_THAT(err("'rows-per-second' = 'fast'"), Catch::Contains("'rows-per-second'"));
  CHECK_THAT(err("'number-of-rows' = '-1'"), Catch::Contains("'number-of-rows'"));
  CHECK_THAT(err("'fields.nope.kind' = 'random'"), Catch::Contains("'fields.nope.kind'"));
  CHECK_THAT(err("'fields.id.kind' = 'seq'"), Catch::Contains("'fields.id.kind'"));
  CHECK_THAT(err("'fields.id.colour' = 'red'"), Catch::Contains("'fields.id.colour'"));
  CHECK_THAT(err("'fields.id.kind' = 'sequence', 'fields.id.start' = '1'"),
             Catch::Contains("'fields.id.end'"));
  CHECK_THAT(err("'fields.id.kind' = 'sequence', 'fields.id.start' = '5', 'fields.id.end' = '1'"),
             Catch::Contains("'fields.id.end'"));
  CHECK_THAT(err("'fields.id.start' = '1'"), Catch::Contains("'fields.id.start'"));
  CHECK_THAT(err("'fields.id.min' = '5', 'fields.id.max' = '1'"), Catch::Contains("'fields.id.m"));
  CHECK_THAT(err("'fields.id.max' = '99999999999'"), Catch::Contains("'fields.id.max'"));
  CHECK_THAT(err("'fields.s.length' = 'long'"), Catch::Contains("'fields.s.length'"));
  CHECK_THAT(err("'fields.s.min' = '1'"), Catch::Contains("'fields.s.min'"));
  CHECK_THAT(err("'fields.ts.max-past' = 'ages'"), Catch::Contains("'fields.ts.max-past'"));
  CHECK_THAT(err("'fields.id.null-rate' = '2'"), Catch::Contains("'fields.id.null-rate'"));
  CHECK_THAT(err("'fields.nn.null-rate' = '0.5'"), Catch::Contains("'fields.nn.null-rate'"));
  CHECK_THAT(err("'path' = '/tmp'"), Catch::Contains("'path'"));
  run_ok(s, "CREATE TABLE k (id INT) WITH ('connector' = 'kafka');");
  CHECK_THAT(error_of(s, "SELECT id FROM k;"), Catch::Contains("supported: filesystem, datagen"));
}

TEST_CASE("a datagen source restored at another parallelism emits every row exactly once",
          "[table][datagen][checkpoint]") {
  rows::schema physical;
  physical.add("id", rows::bigint_type()).add("s", rows::string_type());
  table::datagen_config c;
  REQUIRE(table::parse_datagen_options("g", physical,
                                       {{"connector", "datagen"},
                                        {"rows-per-second", "1000000000"},
                                        {"fields.id.kind", "sequence"},
                                        {"fields.id.start", "1"},
                                        {"fields.id.end", "5000"},
                                        {"fields.s.length", "6"}},
                                       c)
              .empty());
  const auto source = table::datagen_rows_source(c, {});
  CHECK(source.bounded);
  auto run_to_end = [&](source_base& src) {
    int calls = 0;
    while (src.produce(97) != source_status::end) REQUIRE(++calls < 10'000'000);
  };
  // The rows of one uninterrupted run at parallelism 1.
  std::vector<std::string> expected;
  {
    row_recorder rec;
    auto src = source.make_reader(&rec);
    src->open(subtask_info{});
    run_to_end(*src);
    expected = rec.rows;
  }
  REQUIRE(expected.size() == 5000);
  for (const auto& [p1, p2] : {std::pair{1, 3}, std::pair{4, 2}, std::pair{3, 3}}) {
    INFO("parallelism " << p1 << " -> " << p2);
    std::vector<std::string> seen;
    std::vector<std::vector<state_entry>> snapshots(static_cast<std::size_t>(p1));
    for (int i = 0; i < p1; ++i) {
      row_recorder rec;
      auto src = source.make_reader(&rec);
      subtask_info info;
      info.index = i;
      info.parallelism = p1;
      src->open(info);
      for (int k = 0; k < 3 + i; ++k) (void)src->produce(50);
      src->snapshot_state(1, snapshots[static_cast<std::size_t>(i)]);
      seen.insert(seen.end(), rec.rows.begin(), rec.rows.end());
    }
    CHECK(seen.size() < 5000);
    for (int i = 0; i < p2; ++i) {
      row_recorder rec;
      auto src = source.make_reader(&rec);
      subtask_info info;
      info.index = i;
      info.parallelism = p2;
      src->open(info);
      src->restore_state(entries_for(snapshots, i, p2));
      run_to_end(*src);
      seen.insert(seen.end(), rec.rows.begin(), rec.rows.end());
    }
    std::sort(seen.begin(), seen.end());
    auto want = expected;
    std::sort(want.begin(), want.end());
    CHECK(seen == want);  // the same rows: sequence ids once, random strings reproduced
  }
}
