// SQL Top-N run end to end by a session: Nexmark q19 as the nexmark repository writes it,
// ROW_NUMBER ranges and deduplication, ORDER BY ... LIMIT / OFFSET and LIMIT alone, at
// parallelism 1 and 4, their changelogs replayed against references computed here; errors.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

TEST_CASE(
    "Nexmark q19, ROW_NUMBER ranges and ORDER BY LIMIT end in the reference rows at "
    "parallelism 1 and 4",
    "[table][session][rank][nexmark]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(3000, 73);
  write_bids(tmp.path() / "bid", bids, 2);
  auto row_of = [](const bid& b) {  // auction, bidder, price (the columns compared)
    return std::to_string(b.auction) + "," + std::to_string(b.bidder) + "," +
           std::to_string(b.price);
  };
  std::multiset<std::string> want19, want_range, want_limit;
  {
    std::map<std::int64_t, std::vector<const bid*>> by_auction, by_mod;
    for (const auto& b : bids) {
      by_auction[b.auction].push_back(&b);
      by_mod[b.auction % 7].push_back(&b);
    }
    auto by_price = [](const bid* a, const bid* b) { return a->price > b->price; };
    for (auto& [a, v] : by_auction) {
      std::stable_sort(v.begin(), v.end(), by_price);
      for (std::size_t i = 0; i < v.size() && i < 10; ++i)
        want19.insert(row_of(*v[i]) + "," + std::to_string(i + 1));
    }
    for (auto& [k, v] : by_mod) {
      std::stable_sort(v.begin(), v.end(), by_price);
      for (std::size_t i = 2; i < 5; ++i)
        want_range.insert(std::to_string(k) + "," + std::to_string(v[i]->price) + "," +
                          std::to_string(i + 1));
    }
    std::vector<std::int64_t> prices;
    for (const auto& b : bids) prices.push_back(b.price);
    std::sort(prices.rbegin(), prices.rend());
    for (std::size_t i = 1; i < 6; ++i) want_limit.insert(std::to_string(prices[i]));
  }
  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid"));
    const auto q19 = run_ok(s,
                            "SELECT * FROM\n"
                            "(SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price "
                            "DESC) AS rank_number FROM bid)\n"
                            "WHERE rank_number <= 10;");
    CHECK(q19.header.back() == "rank_number");
    CHECK(replay(q19, {0, 1, 2, 7}) == want19);
    const auto range = run_ok(s,
                              "SELECT k, price, r FROM (SELECT MOD(auction, 7) AS k, price, "
                              "ROW_NUMBER() OVER (PARTITION BY MOD(auction, 7) ORDER BY price "
                              "DESC) AS r FROM bid WHERE price > 0) T WHERE r BETWEEN 3 AND 5;");
    CHECK(replay(range) == want_range);
    const auto limit = run_ok(s, "SELECT price FROM bid ORDER BY price DESC LIMIT 5 OFFSET 1;");
    CHECK(replay(limit) == want_limit);
    const auto first = run_ok(s, "SELECT auction FROM bid LIMIT 3;");
    CHECK(first.rows.size() == 3);
    CHECK(std::all_of(first.kinds.begin(), first.kinds.end(), [](auto& k) { return k == "+I"; }));
  }
}

TEST_CASE("Top-N refuses what it cannot run, at its place", "[table][session][rank]") {
  testing::temp_dir tmp;
  write_bids(tmp.path() / "bid", make_bids(5, 3), 1);
  table::sql_session s;
  run_ok(s, bid_ddl(tmp.path() / "bid"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM (SELECT auction, ROW_NUMBER() OVER (PARTITION BY auction "
                      "ORDER BY price) AS r FROM bid);"),
             Catch::Contains("needs a filter on 'r'"));
  CHECK_THAT(error_of(s, "SELECT auction FROM bid ORDER BY price;"),
             Catch::Contains("ORDER BY without LIMIT is not supported yet"));
  CHECK_THAT(error_of(s, "SELECT auction FROM bid ORDER BY price LIMIT 0;"),
             Catch::Contains("LIMIT must be at least 1"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM (SELECT auction, ROW_NUMBER() OVER (ORDER BY price) AS r "
                      "FROM bid GROUP BY auction, price) WHERE r <= 3;"),
             Catch::Contains("Flink's Top-N"));
}
