// GROUP BY GROUPING SETS / ROLLUP / CUBE and GROUPING / GROUPING_ID: random queries against a
// brute-force evaluation in the test (the sets expanded here, independently of the parser), as
// group aggregates (their changelog replayed) and as TUMBLE window aggregates, at parallelism 1
// and 3; the errors; EXPLAIN.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <set>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

using namespace eddy;
using namespace eddy::testing::sql_data;

namespace sql_grouping_sets_test {

struct grouping_key {
  std::string sql;
  std::function<std::int64_t(const bid&)> eval;
};

// The grouping sets of `ROLLUP (ks)` or `CUBE (ks)` as bit masks over ks (bit i: ks[i] grouped).
std::vector<unsigned> rollup_sets(std::size_t n) {
  std::vector<unsigned> out;
  for (std::size_t k = n + 1; k-- > 0;) out.push_back((1u << k) - 1);
  return out;
}
std::vector<unsigned> cube_sets(std::size_t n) {
  std::vector<unsigned> out;
  for (unsigned m = 0; m < (1u << n); ++m) out.push_back(m);
  return out;
}

}  // namespace sql_grouping_sets_test

TEST_CASE("Random GROUPING SETS, ROLLUP and CUBE aggregations equal a brute-force evaluation",
          "[table][session][aggregate][random]") {
  using namespace sql_grouping_sets_test;
  testing::temp_dir tmp;
  const auto bids = make_bids(1200, 97);
  write_bids(tmp.path() / "bid", bids, 2, true);
  const std::vector<grouping_key> keys = {
      {"MOD(auction, 5)", [](const bid& b) { return b.auction % 5; }},
      {"MOD(bidder, 3)", [](const bid& b) { return b.bidder % 3; }},
      {"CHAR_LENGTH(channel)",
       [](const bid& b) { return static_cast<std::int64_t>(b.channel.size()); }},
  };
  std::mt19937_64 rng(101);
  for (int round = 0; round < 16; ++round) {
    const std::size_t n = keys.size();
    // The grouping: ROLLUP, CUBE or GROUPING SETS over all keys, maybe crossed with a plain key
    // (the first one then grouped in every set).
    const int form = static_cast<int>(rng() % 3);
    const bool plain_first = rng() % 3 == 0;
    const std::size_t first = plain_first ? 1 : 0;
    std::vector<unsigned> sets;  // over keys[first..n)
    std::string grouping;
    const auto key_list = [&](unsigned mask) {
      std::string t;
      for (std::size_t i = first; i < n; ++i)
        if (mask >> (i - first) & 1) t += (t.empty() ? "" : ", ") + keys[i].sql;
      return t;
    };
    if (form == 0) {
      sets = rollup_sets(n - first);
      grouping = "ROLLUP (" + key_list((1u << (n - first)) - 1) + ")";
    } else if (form == 1) {
      sets = cube_sets(n - first);
      grouping = "CUBE (" + key_list((1u << (n - first)) - 1) + ")";
    } else {
      const std::size_t count = 1 + rng() % 4;  // maybe the same set twice: rows twice
      for (std::size_t i = 0; i < count; ++i)
        sets.push_back(static_cast<unsigned>(rng() % (1u << (n - first))));
      // Every key selected must be grouped by in some set.
      unsigned covered = 0;
      for (const auto m : sets) covered |= m;
      if (covered != (1u << (n - first)) - 1) sets.push_back((1u << (n - first)) - 1);
      for (const auto m : sets)
        grouping += (grouping.empty() ? "" : ", ") + ("(" + key_list(m) + ")");
      grouping = "GROUPING SETS (" + grouping + ")";
    }
    if (plain_first) grouping = keys[0].sql + ", " + grouping;
    const bool windowed = rng() % 3 == 0;
    if (windowed) grouping = "window_start, window_end, " + grouping;
    const std::int64_t having = rng() % 3 == 0 ? static_cast<std::int64_t>(rng() % 30) : -1;
    std::string select;
    for (const auto& k : keys) select += k.sql + ", ";
    if (windowed) select += "window_start, ";
    const std::size_t probe = rng() % n;  // GROUPING(probe)
    select += "COUNT(*), SUM(price), MAX(MOD(price, 1000)), GROUPING(" + keys[probe].sql +
              "), GROUPING_ID(" + keys[0].sql + ", " + keys[1].sql + ", " + keys[2].sql + ")";
    const std::string from =
        windowed ? "TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))" : "bid";
    const std::string query = "SELECT " + select + " FROM " + from + " GROUP BY " + grouping +
                              (having >= 0 ? " HAVING COUNT(*) > " + std::to_string(having) : "") +
                              ";";
    // The reference: per set, per group of its keys (the others NULL).
    std::multiset<std::string> want;
    for (const auto set : sets) {
      const unsigned grouped = (set << first) | (plain_first ? 1u : 0u);  // over all keys
      struct group {
        std::int64_t count = 0, sum = 0, max = -1;
      };
      std::map<std::vector<std::int64_t>, group> groups;
      for (const auto& b : bids) {
        std::vector<std::int64_t> key;
        for (std::size_t i = 0; i < n; ++i)
          if (grouped >> i & 1) key.push_back(keys[i].eval(b));
        if (windowed) key.push_back(b.ts - b.ts % 10'000);
        auto& g = groups[key];
        ++g.count;
        g.sum += b.price;
        g.max = std::max(g.max, b.price % 1000);
      }
      for (const auto& [key, g] : groups) {
        if (having >= 0 && g.count <= having) continue;
        std::string row;
        std::size_t j = 0;
        for (std::size_t i = 0; i < n; ++i)
          row += (i ? "," : "") + ((grouped >> i & 1) ? std::to_string(key[j++]) : "null");
        if (windowed) row += "," + print_stamp(key.back());
        unsigned id = 0;
        for (std::size_t i = 0; i < n; ++i) id = id << 1 | ((grouped >> i & 1) ? 0 : 1);
        row += "," + std::to_string(g.count) + "," + std::to_string(g.sum) + "," +
               std::to_string(g.max) + "," + ((grouped >> probe & 1) ? "0" : "1") + "," +
               std::to_string(id);
        want.insert(row);
      }
    }
    CAPTURE(round);
    check_bids_query(tmp.path() / "bid", query, want, windowed);
  }
}

TEST_CASE("Grouping sets with a legacy group window, GROUPING without them, and the errors",
          "[table][session][aggregate]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(300, 5);
  write_bids(tmp.path() / "bid", bids, 1, true);
  table::sql_session s;
  run_ok(s, bid_ddl(tmp.path() / "bid"));
  // GROUP BY TUMBLE(...), ROLLUP (...): the window in every set; the rows are insert-only.
  const auto r = run_ok(s,
                        "SELECT TUMBLE_START(`dateTime`, INTERVAL '20' SECOND) AS ws, MOD(auction, "
                        "2) AS a, COUNT(*) AS c, GROUPING(MOD(auction, 2)) AS g FROM bid GROUP BY "
                        "TUMBLE(`dateTime`, INTERVAL '20' SECOND), ROLLUP (MOD(auction, 2));");
  std::map<std::int64_t, std::array<std::int64_t, 3>> want;  // window -> counts (a=0, a=1, all)
  for (const auto& b : bids) {
    auto& w = want[b.ts - b.ts % 20'000];
    ++w[static_cast<std::size_t>(b.auction % 2)];
    ++w[2];
  }
  std::multiset<std::string> rows;
  for (const auto& [ws, c] : want) {
    const auto t = print_stamp(ws);
    for (int a = 0; a < 2; ++a)
      if (c[static_cast<std::size_t>(a)] > 0)
        rows.insert(t + "," + std::to_string(a) + "," +
                    std::to_string(c[static_cast<std::size_t>(a)]) + ",0");
    rows.insert(t + ",null," + std::to_string(c[2]) + ",1");
  }
  CHECK(replay(r) == rows);
  CHECK(std::all_of(r.kinds.begin(), r.kinds.end(), [](auto& k) { return k == "+I"; }));
  // GROUPING without grouping sets is 0.
  const auto plain = run_ok(s, "SELECT COUNT(*), GROUPING(channel) FROM bid GROUP BY channel;");
  for (const auto& row : plain.rows) CHECK(row.back() == "0");

  CHECK_THAT(error_of(s, "SELECT GROUPING(price) FROM bid GROUP BY ROLLUP (auction);"),
             Catch::Contains("The arguments of GROUPING must be grouping expressions: 'price'"));
  CHECK_THAT(
      error_of(s, "SELECT COUNT(*) FROM bid GROUP BY CUBE (a, b, c, d, e, f, g, h, i, j, k);"),
      Catch::Contains("CUBE over more than 10 elements"));
  CHECK_THAT(error_of(s,
                      "SELECT COUNT(*) FROM bid GROUP BY GROUPING SETS ((TUMBLE(`dateTime`, "
                      "INTERVAL '20' SECOND)), (auction));"),
             Catch::Contains("must be in every grouping set"));
  CHECK_THAT(error_of(s, "SELECT price, COUNT(*) FROM bid GROUP BY ROLLUP (auction);"),
             Catch::Contains("'price' is not being grouped"));
  // EXPLAIN: a Union of one aggregate per set, the input shown once.
  const auto e = run_ok(s, "EXPLAIN SELECT auction, COUNT(*) FROM bid GROUP BY ROLLUP (auction);");
  const auto& plan = e.message;
  CHECK_THAT(plan, Catch::Contains("Union(all=[true], union=[auction, EXPR$1])"));
  CHECK_THAT(plan, Catch::Contains("GroupAggregate(groupBy=[auction]"));
  CHECK_THAT(plan, Catch::Contains("GroupAggregate(groupBy=[], select=[COUNT(*)])"));
  CHECK_THAT(plan, Catch::Contains("Reused("));
}
