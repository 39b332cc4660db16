// SQL window Top-N and window deduplication (ROW_NUMBER partitioned by a window TVF's
// window_start and window_end): Flink's example of the top auctions by price per window after a
// window aggregation, the last bid per bidder and window, into a CSV sink (insert-only) at
// parallelism 1 and 4, against references computed here.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace sql_window_rank_test {

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

constexpr std::int64_t window = 10'000;

std::int64_t window_of(std::int64_t ts) {
  return ts - ts % window;
}

}  // namespace sql_window_rank_test

using namespace sql_window_rank_test;

TEST_CASE("Window Top-N and window deduplication emit each window's rows once at its end",
          "[table][session][rank][window]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(4000, 83);
  write_bids(tmp.path() / "bid", bids, 2, true);

  // Top 3 auctions by summed price per 10 s window (rank, window start, auction, sum, count).
  std::vector<std::string> want_top, want_last;
  {
    std::map<std::int64_t, std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>>> sums;
    for (const auto& b : bids) {
      auto& s = sums[window_of(b.ts)][b.auction];
      s.first += b.price;
      ++s.second;
    }
    for (const auto& [start, per_auction] : sums) {
      std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> v;  // sum, auction, count
      for (const auto& [a, s] : per_auction) v.emplace_back(s.first, a, s.second);
      std::sort(v.rbegin(), v.rend());
      for (std::size_t i = 0; i < v.size() && i < 3; ++i) {
        if (i + 1 < v.size()) REQUIRE(std::get<0>(v[i]) != std::get<0>(v[i + 1]));  // no ties
        want_top.push_back(stamp(start) + "," + stamp(start + window) + "," +
                           std::to_string(std::get<1>(v[i])) + "," +
                           std::to_string(std::get<0>(v[i])) + "," +
                           std::to_string(std::get<2>(v[i])) + "," + std::to_string(i + 1));
      }
    }
    // The last bid (by dateTime) of each bidder in each window.
    std::map<std::pair<std::int64_t, std::int64_t>, const bid*> last;
    std::set<std::pair<std::int64_t, std::int64_t>> tied;
    for (const auto& b : bids) {
      auto& l = last[{window_of(b.ts), b.bidder}];
      if (l && l->ts == b.ts) tied.insert({window_of(b.ts), b.bidder});
      if (!l || l->ts <= b.ts) l = &b;
    }
    REQUIRE(tied.empty());  // the data has no ties (so the result does not depend on arrival)
    for (const auto& [k, b] : last)
      want_last.push_back(std::to_string(b->bidder) + "," + std::to_string(b->price) + "," +
                          stamp(b->ts) + "," + stamp(k.first));
  }
  std::sort(want_top.begin(), want_top.end());
  std::sort(want_last.begin(), want_last.end());

  for (const int p : {1, 4}) {
    CAPTURE(p);
    const auto out = tmp.path() / ("out-" + std::to_string(p));
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") +
                  sink_ddl(out, "top",
                           "window_start TIMESTAMP(3), window_end TIMESTAMP(3), auction BIGINT, "
                           "price BIGINT, cnt BIGINT, rownum BIGINT") +
                  sink_ddl(out, "last_bid",
                           "bidder BIGINT, price BIGINT, `dateTime` TIMESTAMP(3), window_start "
                           "TIMESTAMP(3)"));
    // Flink's window Top-N example: after a window aggregation.
    CHECK(run_ok(s,
                 "INSERT INTO top\n"
                 "SELECT *\n"
                 "  FROM (\n"
                 "    SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY "
                 "price DESC) as rownum\n"
                 "    FROM (\n"
                 "      SELECT window_start, window_end, auction, SUM(price) as price, COUNT(*) "
                 "as cnt\n"
                 "      FROM TABLE(\n"
                 "        TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECONDS))\n"
                 "      GROUP BY window_start, window_end, auction\n"
                 "    )\n"
                 "  ) WHERE rownum <= 3;")
              .message == "[INFO] Job 'insert-into_top' finished.");
    CHECK(difference(read_part_files(out / "top"), want_top) == "");
    // Window deduplication: the last row per bidder and window.
    run_ok(s,
           "INSERT INTO last_bid SELECT bidder, price, `dateTime`, window_start FROM (\n"
           "  SELECT bidder, price, `dateTime`, window_start, ROW_NUMBER() OVER (PARTITION BY "
           "window_start, window_end, bidder ORDER BY `dateTime` DESC) AS rownum\n"
           "  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))\n"
           ") WHERE rownum = 1;");
    CHECK(difference(read_part_files(out / "last_bid"), want_last) == "");
    const auto plan = run_ok(s,
                             "EXPLAIN SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "
                             "window_start, window_end ORDER BY price DESC) AS r FROM "
                             "TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' "
                             "SECOND))) WHERE r <= 2;");
    CHECK_THAT(plan.message, Catch::Contains("WindowRank(rankType=[ROW_NUMBER]"));
  }
}
