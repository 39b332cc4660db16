// Two planner optimizations (issue 20): window aggregates in two phases (Flink's local-global
// aggregation, 'table.optimizer.agg-phase-strategy') and projection pruning (unused columns
// dropped after the scan, or not generated at all by a nexmark table). Each is checked against
// the plan without it: the same rows, and the plan shows what changed.
#include <catch2/catch.hpp>

#include <map>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace sql_plan_optimizations_test {

using namespace eddy;
using namespace eddy::testing::sql_data;

std::string explain(table::sql_session& s, const std::string& statement) {
  const auto plan = run_ok(s, "EXPLAIN " + statement);
  std::string text;
  for (const auto& row : plan.rows)
    for (const auto& cell : row) text += cell + "\n";
  return text + plan.message;
}

/// Every aggregate kind, DISTINCT and FILTER, over hopping windows (each row in 3 windows).
constexpr const char* window_query =
    "SELECT auction, window_start, COUNT(*) AS n, COUNT(DISTINCT bidder) AS bidders, "
    "SUM(price) AS total, MIN(price) AS low, MAX(price) AS high, AVG(price) AS mean, "
    "COUNT(*) FILTER (WHERE price > 500) AS dear FROM TABLE(HOP(TABLE bid, "
    "DESCRIPTOR(`dateTime`), INTERVAL '1' SECOND, INTERVAL '3' SECOND)) "
    "GROUP BY auction, window_start, window_end";

}  // namespace sql_plan_optimizations_test

using namespace sql_plan_optimizations_test;

TEST_CASE("window aggregates in two phases give the rows of one phase at parallelism 1 and 3",
          "[table][session][aggregate]") {
  testing::temp_dir tmp;
  write_bids(tmp.path() / "bid", make_bids(6000, 41), 2, true);
  std::vector<std::string> one_phase;
  for (const int p : {1, 3}) {
    for (const char* strategy : {"ONE_PHASE", "TWO_PHASE", "AUTO"}) {
      CAPTURE(p, strategy);
      table::sql_session s;
      const auto out = tmp.path() / (std::string(strategy) + std::to_string(p));
      run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                    "SET 'table.optimizer.agg-phase-strategy' = '" + strategy + "';\n" +
                    bid_ddl(tmp.path() / "bid") +
                    sink_ddl(out, "w",
                             "auction BIGINT, ws TIMESTAMP(3), n BIGINT, bidders BIGINT, total "
                             "BIGINT, low BIGINT, high BIGINT, mean BIGINT, dear BIGINT"));
      const auto plan = explain(s, std::string(window_query) + ";");
      if (std::string(strategy) == "ONE_PHASE") {
        CHECK_THAT(plan, !Catch::Contains("LocalWindowAggregate"));
      } else {
        CHECK_THAT(plan, Catch::Contains("GlobalWindowAggregate(groupBy=[auction, window_start, "
                                         "window_end]"));
        CHECK_THAT(plan, Catch::Contains("LocalWindowAggregate(groupBy=[auction, window_start, "
                                         "window_end]"));
      }
      run_ok(s, std::string("INSERT INTO w ") + window_query + ";");
      const auto rows = read_part_files(out / "w");
      REQUIRE(rows.size() > 100);
      if (one_phase.empty())
        one_phase = rows;
      else
        CHECK(difference(rows, one_phase).empty());
    }
  }
  table::sql_session s;
  CHECK_THAT(error_of(s, "SET 'table.optimizer.agg-phase-strategy' = 'THREE_PHASE';"),
             Catch::Contains("must be 'AUTO', 'ONE_PHASE' or 'TWO_PHASE'"));
}

TEST_CASE("columns a statement never names are not decoded, unless it selects *",
          "[table][session]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(3000, 43);
  write_bids(tmp.path() / "bid", bids, 2);
  table::sql_session s;
  run_ok(s, bid_ddl(tmp.path() / "bid") +
                "CREATE VIEW everything AS SELECT * FROM bid;\n"
                "CREATE VIEW cheap AS SELECT auction, price FROM bid WHERE price < 100;\n");
  // Only auction and price (and the event-time column) are decoded (projection push-down).
  const std::string pushed = "TableSourceScan(table=[bid], fields=[auction, price, dateTime]";
  CHECK_THAT(explain(s, "SELECT auction, price FROM bid WHERE price > 10;"),
             Catch::Contains(pushed));
  CHECK_THAT(explain(s, "SELECT auction FROM cheap;"), Catch::Contains(pushed));
  // A star, here or in a view, keeps every column; a multiplication's `*` does not.
  const std::string all = "TableSourceScan(table=[bid], fields=[auction, bidder, price";
  CHECK_THAT(explain(s, "SELECT * FROM bid;"), Catch::Contains(all));
  CHECK_THAT(explain(s, "SELECT auction FROM everything;"), Catch::Contains(all));
  CHECK_THAT(explain(s, "SELECT auction, 2 * price FROM bid;"), Catch::Contains(pushed));
  // The rows are those of the unpruned plan.
  const auto r = run_ok(s, "SELECT auction, price FROM cheap;");
  std::size_t want = 0;
  for (const auto& b : bids) want += b.price < 100 ? 1 : 0;
  CHECK(r.rows.size() == want);

  // A nexmark table generates only the columns used.
  run_ok(s,
         "CREATE TABLE nb (auction BIGINT, price BIGINT, extra VARCHAR, `dateTime` "
         "TIMESTAMP(3)) WITH ('connector' = 'nexmark', 'event.type' = 'bid', 'events.num' = "
         "'500');");
  CHECK_THAT(explain(s, "SELECT price FROM nb;"),
             Catch::Contains("TableSourceScan(table=[nb], fields=[price], connector=[nexmark])"));
  const auto prices = run_ok(s, "SELECT price FROM nb;");
  CHECK(prices.rows.size() == 460);
}

TEST_CASE("a table or subquery read twice in a statement is planned once and gives the same rows",
          "[table][session]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(2000, 47);
  write_bids(tmp.path() / "bid", bids, 2);
  table::sql_session s;
  run_ok(s, bid_ddl(tmp.path() / "bid"));
  const std::string self_join =
      "SELECT a.auction, a.price, b.price FROM (SELECT auction, price FROM bid WHERE price < "
      "300) a JOIN (SELECT auction, price FROM bid WHERE price < 300) b ON a.auction = "
      "b.auction";
  CHECK_THAT(explain(s, self_join + ";"), Catch::Contains("Reused("));
  std::map<std::int64_t, std::int64_t> per_auction;
  for (const auto& b : bids)
    if (b.price < 300) ++per_auction[b.auction];
  std::size_t want = 0;
  for (const auto& [auction, n] : per_auction) want += static_cast<std::size_t>(n * n);
  CHECK(run_ok(s, self_join + ";").rows.size() == want);
  // Different subqueries are not shared; the table under both is.
  const auto two = explain(s,
                           "SELECT a.auction FROM (SELECT auction FROM bid WHERE price < 10) a "
                           "JOIN (SELECT auction FROM bid WHERE price > 10) b ON a.auction = "
                           "b.auction;");
  CHECK_THAT(two, Catch::Contains("where=[price < 10]") && Catch::Contains("where=[price > 10]") &&
                      Catch::Contains("Reused(WatermarkAssigner(rowtime=[dateTime]"));
}
