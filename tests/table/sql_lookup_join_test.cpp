// SQL lookup joins (FOR SYSTEM_TIME AS OF a PROCTIME() column) against filesystem tables: Nexmark
// q13 as the nexmark repository writes it (its side input's legacy DDL aside), LEFT joins, a
// composite key with a cast and a residual condition, at parallelism 1 and 4 against references
// computed here; the operator's cache read again after lookup.join.cache.ttl; errors. Also
// COUNT(*) over a lookup join and over a table (a Calc of no columns still counts its rows).
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "eddy/table/lookup_join.hpp"
#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace sql_lookup_join_test {

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

/// The side input: keys 0, 3, 6, ... below 10,000 with one value each, key 1000 + 3 * 7 twice.
std::multimap<std::int64_t, std::string> side_rows() {
  std::multimap<std::int64_t, std::string> m;
  for (std::int64_t k = 0; k < 10'000; k += 3) m.emplace(k, "v" + std::to_string(k * 7 % 1000));
  m.emplace(1021, "second");
  return m;
}

void write_side(const fs::path& dir, const std::multimap<std::int64_t, std::string>& m) {
  fs::create_directories(dir);
  std::ofstream f(dir / "side.csv");
  for (const auto& [k, v] : m) f << k << ',' << v << ',' << (k % 2) << '\n';
}

std::string side_ddl(const fs::path& dir, const std::string& extra = "") {
  return "CREATE TABLE side_input (key BIGINT, `value` VARCHAR, parity INT) WITH ('connector' = "
         "'filesystem', 'path' = '" +
         dir.string() + "', 'format' = 'csv'" + extra + ");\n";
}

}  // namespace sql_lookup_join_test

using namespace sql_lookup_join_test;

TEST_CASE("Lookup joins against a filesystem table give the reference rows at parallelism 1 and 4",
          "[table][session][lookup][nexmark]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(3000, 41);
  write_bids(tmp.path() / "bid", bids, 2);
  const auto side = side_rows();
  write_side(tmp.path() / "side", side);

  std::vector<std::string> want13;
  std::multiset<std::string> want_left, want_composite;
  std::int64_t matched = 0;
  for (const auto& b : bids) {
    const auto [first, last] = side.equal_range(b.auction % 10'000);
    for (auto it = first; it != last; ++it)
      want13.push_back(std::to_string(b.auction) + "," + std::to_string(b.bidder) + "," +
                       std::to_string(b.price) + "," + stamp(b.ts) + "," + it->second);
    std::size_t n = 0;
    for (auto it = first; it != last; ++it, ++n)
      if (it->first % 2 == b.bidder % 2 && it->second != "second")
        want_composite.insert(std::to_string(b.auction) + "," + it->second);
    const auto [lf, ll] = side.equal_range(b.auction - 1000);
    if (lf == ll) want_left.insert(std::to_string(b.auction) + ",null");
    for (auto it = lf; it != ll; ++it)
      want_left.insert(std::to_string(b.auction) + "," + it->second);
    matched += static_cast<std::int64_t>(n);
  }
  std::sort(want13.begin(), want13.end());
  // The data has matches, rows without one, and rows the composite key's parity drops.
  REQUIRE(matched > 500);
  REQUIRE(want_composite.size() > 100);
  REQUIRE(static_cast<std::int64_t>(want_composite.size()) < matched);
  REQUIRE(std::count_if(want_left.begin(), want_left.end(),
                        [](const std::string& r) { return r.ends_with(",null"); }) > 100);

  for (const int p : {1, 4}) {
    CAPTURE(p);
    const auto out = tmp.path() / ("out-" + std::to_string(p));
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") + side_ddl(tmp.path() / "side") +
                  sink_ddl(out, "nexmark_q13",
                           "auction BIGINT, bidder BIGINT, price BIGINT, `dateTime` TIMESTAMP(3), "
                           "`value` VARCHAR"));
    // Nexmark q13 as the nexmark repository writes it (its blackhole sink a CSV directory).
    run_ok(s,
           "INSERT INTO nexmark_q13\n"
           "SELECT\n"
           "    B.auction,\n"
           "    B.bidder,\n"
           "    B.price,\n"
           "    B.`dateTime`,\n"
           "    S.`value`\n"
           "FROM (SELECT *, PROCTIME() as p_time FROM bid) B\n"
           "JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S\n"
           "ON mod(B.auction, 10000) = S.key;");
    CHECK(difference(read_part_files(out / "nexmark_q13"), want13) == "");
    // LEFT: a bid without a side row comes out padded with NULLs.
    const auto left = run_ok(s,
                             "SELECT B.auction, S.`value` FROM (SELECT *, PROCTIME() AS pt FROM "
                             "bid) B LEFT JOIN side_input FOR SYSTEM_TIME AS OF B.pt AS S ON "
                             "B.auction - 1000 = S.key;");
    CHECK(std::all_of(left.kinds.begin(), left.kinds.end(), [](auto& k) { return k == "+I"; }));
    CHECK(replay(left) == want_left);
    // A composite key (an INT column compared with a BIGINT expression: cast) and a condition
    // on the table's columns.
    const auto composite =
        run_ok(s,
               "SELECT B.auction, S.`value` FROM (SELECT *, PROCTIME() AS pt FROM bid) B JOIN "
               "side_input FOR SYSTEM_TIME AS OF B.pt AS S ON S.key = MOD(B.auction, 10000) AND "
               "MOD(B.bidder, 2) = S.parity AND S.`value` <> 'second';");
    CHECK(replay(composite) == want_composite);
    // COUNT(*) needs no column of the join (a Calc of no columns counts rows).
    const auto count = run_ok(s,
                              "SELECT COUNT(*) FROM (SELECT *, PROCTIME() AS pt FROM bid) B JOIN "
                              "side_input FOR SYSTEM_TIME AS OF B.pt AS S ON MOD(B.auction, 10000) "
                              "= S.key;");
    CHECK(replay(count) == std::multiset<std::string>{std::to_string(want13.size())});
  }
}

TEST_CASE("COUNT(*) without GROUP BY counts a table's rows", "[table][session][aggregate]") {
  testing::temp_dir tmp;
  write_bids(tmp.path() / "bid", make_bids(250, 5), 2);
  table::sql_session s;
  run_ok(s, bid_ddl(tmp.path() / "bid"));
  CHECK(replay(run_ok(s, "SELECT COUNT(*) FROM bid;")) == std::multiset<std::string>{"250"});
  CHECK(replay(run_ok(s, "SELECT COUNT(*) AS n FROM bid WHERE price > 0;")) ==
        std::multiset<std::string>{"250"});
}

TEST_CASE("A lookup join reads its table again after lookup.join.cache.ttl", "[table][lookup]") {
  testing::temp_dir tmp;
  const auto dir = tmp.path() / "side";
  write_side(dir, {{1, "old"}});
  auto plan = std::make_shared<table::lookup_plan>();
  plan->table = "side_input";
  plan->path = dir.string();
  plan->columns = rows::schema(std::vector<rows::field>{
      {"key", rows::bigint_type()}, {"value", rows::varchar_type()}, {"parity", rows::int_type()}});
  plan->key_columns = {0};
  plan->left_width = 1;
  plan->cache_ttl_ms = 50;
  plan->out_types = {rows::bigint_type(), rows::bigint_type(), rows::varchar_type(),
                     rows::int_type()};
  table::lookup_join_fn fn(plan);
  auto probe = [&] {
    rows::row_batch in(std::vector<rows::logical_type>{rows::bigint_type(), rows::bigint_type()});
    in.append_row({rows::value(std::int64_t{7}), rows::value(std::int64_t{1})});
    std::vector<rows::row_batch> got;
    collector<rows::row_batch> out(got);
    fn(std::move(in), out);
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].size() == 1);
    return got[0].column(2).get(got[0].row(0)).as_string();
  };
  CHECK(probe() == "old");
  write_side(dir, {{1, "new"}});
  CHECK(probe() == "old");  // within the TTL: the cache
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  CHECK(probe() == "new");
  // A line that does not decode fails with the table, file and line.
  {
    std::ofstream f(dir / "side.csv", std::ios::app);
    f << "not-a-number,x,1\n";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  CHECK_THROWS_WITH(probe(), Catch::Contains("lookup table 'side_input'") &&
                                 Catch::Contains("line 2 of") && Catch::Contains("side.csv"));
}

TEST_CASE("Lookup joins refuse what they cannot run, at its place", "[table][session][lookup]") {
  testing::temp_dir tmp;
  write_bids(tmp.path() / "bid", make_bids(5, 3), 1);
  write_side(tmp.path() / "side", side_rows());
  table::sql_session s;
  run_ok(s, bid_ddl(tmp.path() / "bid") + side_ddl(tmp.path() / "side") +
                "CREATE TABLE bad_ttl (key BIGINT) WITH ('connector' = 'filesystem', 'path' = '" +
                (tmp.path() / "side").string() +
                "', 'format' = 'csv', 'lookup.join.cache.ttl' = 'soon');\n"
                "CREATE VIEW P AS SELECT *, PROCTIME() AS pt FROM bid;\n"
                "CREATE VIEW side_view AS SELECT * FROM side_input;\n");
  CHECK_THAT(error_of(s,
                      "SELECT * FROM P JOIN side_input FOR SYSTEM_TIME AS OF P.`dateTime` AS S "
                      "ON P.auction = S.key;"),
             Catch::Contains("requires primary key in versioned table"));  // event time
  CHECK_THAT(error_of(s,
                      "SELECT * FROM P JOIN side_input FOR SYSTEM_TIME AS OF P.price AS S ON "
                      "P.auction = S.key;"),
             Catch::Contains("needs a time attribute of the join's left side"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM P FULL JOIN side_input FOR SYSTEM_TIME AS OF P.pt AS S ON "
                      "P.auction = S.key;"),
             Catch::Contains("INNER or a LEFT join"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM P JOIN side_input FOR SYSTEM_TIME AS OF P.pt AS S ON "
                      "P.auction > S.key;"),
             Catch::Contains("needs an equality between a column of 'S'"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM P JOIN side_view FOR SYSTEM_TIME AS OF P.pt AS S ON "
                      "P.auction = S.key;"),
             Catch::Contains("is a view"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM P JOIN bad_ttl FOR SYSTEM_TIME AS OF P.pt AS S ON "
                      "P.auction = S.key;"),
             Catch::Contains("'lookup.join.cache.ttl' must be a positive duration"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM P LEFT JOIN side_input FOR SYSTEM_TIME AS OF P.pt AS S ON "
                      "P.auction = S.key AND S.parity > 0;"),
             Catch::Contains("LEFT lookup join"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM P JOIN side_input FOR SYSTEM_TIME AS OF P.pt AS S ON "
                      "P.channel = S.key;"),
             Catch::Contains("cannot be compared with"));
  CHECK_THAT(error_of(s, "SELECT * FROM side_input FOR SYSTEM_TIME AS OF TIMESTAMP '2020-01-01';"),
             Catch::Contains("JOIN ... ON (a lookup join) only"));
}
