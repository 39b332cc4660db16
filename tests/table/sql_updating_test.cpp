// Operators over updating inputs (Flink's retraction): joins of GROUP BY results (inner and
// outer), Top-N and ORDER BY ... LIMIT over a GROUP BY result, an aggregate of an outer join,
// SELECT DISTINCT over updates and together with GROUP BY, at parallelism 1 and 4, their changelogs
// replayed against references computed here.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

using namespace eddy;
using namespace eddy::testing::sql_data;

TEST_CASE("Joins, Top-N and aggregates over updating inputs end in the reference rows",
          "[table][session][updating]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(4000, 107);
  write_bids(tmp.path() / "bid", bids, 2);

  std::map<std::int64_t, std::int64_t> count_by_auction7, max_by_bidder5, count_by_auction50;
  for (const auto& b : bids) {
    ++count_by_auction7[b.auction % 7];
    auto& m = max_by_bidder5[b.bidder % 5];
    m = std::max(m, b.price);
    ++count_by_auction50[b.auction % 50];
  }
  std::multiset<std::string> want_inner, want_left, want_top, want_limit, want_agg, want_distinct;
  for (const auto& [k, n] : count_by_auction7) {
    const auto it = max_by_bidder5.find(k);
    const std::string left = std::to_string(k) + "," + std::to_string(n) + ",";
    if (it != max_by_bidder5.end()) want_inner.insert(left + std::to_string(it->second));
    want_left.insert(left + (it != max_by_bidder5.end() ? std::to_string(it->second) : "null"));
  }
  {  // the aggregate of the outer join: its rows per "has a partner"
    std::map<bool, std::int64_t> rows_by_partner;
    for (const auto& [k, n] : count_by_auction7) ++rows_by_partner[max_by_bidder5.count(k) > 0];
    for (const auto& [has, n] : rows_by_partner)
      want_agg.insert(std::string(has ? "true" : "false") + "," + std::to_string(n));
  }
  std::vector<std::int64_t> counts;
  for (const auto& [k, n] : count_by_auction50) counts.push_back(n);
  std::sort(counts.rbegin(), counts.rend());
  for (std::size_t i = 0; i < 3; ++i)
    want_top.insert(std::to_string(counts[i]) + "," + std::to_string(i + 1));
  for (std::size_t i = 1; i < 4; ++i) want_limit.insert(std::to_string(counts[i]));
  {
    std::set<std::int64_t> mods;
    for (const auto n : counts) mods.insert(n % 10);
    for (const auto m : mods) want_distinct.insert(std::to_string(m));
  }

  const std::string counts7 =
      "(SELECT MOD(auction, 7) AS k, COUNT(*) AS n FROM bid GROUP BY MOD(auction, 7))";
  const std::string max5 =
      "(SELECT MOD(bidder, 5) AS k2, MAX(price) AS price FROM bid GROUP BY MOD(bidder, 5))";
  const std::string counts50 =
      "(SELECT MOD(auction, 50) AS k, COUNT(*) AS n FROM bid GROUP BY MOD(auction, 50))";
  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid"));
    const auto inner = run_ok(
        s, "SELECT a.k, a.n, b.price FROM " + counts7 + " a JOIN " + max5 + " b ON a.k = b.k2;");
    CHECK(replay(inner) == want_inner);
    const auto left = run_ok(s, "SELECT a.k, a.n, b.price FROM " + counts7 + " a LEFT JOIN " +
                                    max5 + " b ON a.k = b.k2;");
    CHECK(replay(left) == want_left);
    const auto agg =
        run_ok(s, "SELECT b.price IS NOT NULL, COUNT(*) FROM " + counts7 + " a LEFT JOIN " + max5 +
                      " b ON a.k = b.k2 GROUP BY b.price IS NOT NULL;");
    CHECK(replay(agg) == want_agg);
    const auto top = run_ok(s,
                            "SELECT n, r FROM (SELECT k, n, ROW_NUMBER() OVER (ORDER BY n "
                            "DESC) AS r FROM " +
                                counts50 + ") WHERE r <= 3;");
    CHECK(replay(top) == want_top);
    const auto limit =
        run_ok(s, "SELECT n FROM " + counts50 + " ORDER BY n DESC LIMIT 3 OFFSET 1;");
    CHECK(replay(limit) == want_limit);
    const auto distinct = run_ok(s, "SELECT DISTINCT MOD(n, 10) FROM " + counts50 + ";");
    CHECK(replay(distinct) == want_distinct);
    // DISTINCT together with GROUP BY: the aggregate's rows, each once (its changelog counted).
    const auto grouped = run_ok(s,
                                "SELECT DISTINCT MOD(COUNT(*), 10) FROM bid GROUP BY MOD(auction, "
                                "50) HAVING COUNT(*) > 0;");
    CHECK(replay(grouped) == want_distinct);
  }
}
