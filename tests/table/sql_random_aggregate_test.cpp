// Randomised SQL aggregations against a brute-force evaluation in the test: random group keys,
// aggregate calls (COUNT, COUNT DISTINCT, SUM, MIN, MAX, AVG, each maybe with FILTER) and HAVING,
// as group aggregates (their changelog replayed) and as TUMBLE window aggregates, at parallelism
// 1 and 3, over seeded bids.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <set>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

using namespace eddy;
using namespace eddy::testing::sql_data;

namespace {

struct key_def {
  std::string sql;
  std::function<std::int64_t(const bid&)> eval;
};

struct agg_def {
  std::string sql;
  std::string kind;  // count_star, count_distinct, sum, min, max, avg
  std::function<std::int64_t(const bid&)> arg;
  std::string arg_sql;
};

/// The printed value of an aggregate over `values` (the filtered-in arguments).
std::string result(const std::string& kind, const std::vector<std::int64_t>& values) {
  if (kind == "count_star") return std::to_string(values.size());
  if (kind == "count_distinct")
    return std::to_string(std::set<std::int64_t>(values.begin(), values.end()).size());
  if (values.empty()) return "null";
  std::int64_t sum = 0;
  for (auto v : values) sum += v;
  if (kind == "sum") return std::to_string(sum);
  if (kind == "avg") return std::to_string(sum / static_cast<std::int64_t>(values.size()));
  if (kind == "min") return std::to_string(*std::min_element(values.begin(), values.end()));
  return std::to_string(*std::max_element(values.begin(), values.end()));
}

}  // namespace

TEST_CASE("Random GROUP BY and TUMBLE aggregations equal a brute-force evaluation",
          "[table][session][aggregate][random]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(1500, 79);
  write_bids(tmp.path() / "bid", bids, 2, true);
  const std::vector<key_def> keys = {
      {"MOD(auction, 5)", [](const bid& b) { return b.auction % 5; }},
      {"MOD(bidder, 3)", [](const bid& b) { return b.bidder % 3; }},
      {"CHAR_LENGTH(channel)",
       [](const bid& b) { return static_cast<std::int64_t>(b.channel.size()); }},
  };
  const std::vector<agg_def> aggs = {
      {"COUNT(*)", "count_star", nullptr, ""},
      {"COUNT(DISTINCT MOD(bidder, 40))", "count_distinct",
       [](const bid& b) { return b.bidder % 40; }, ""},
      {"SUM(price)", "sum", [](const bid& b) { return b.price; }, ""},
      {"MIN(price)", "min", [](const bid& b) { return b.price; }, ""},
      {"MAX(MOD(price, 1000))", "max", [](const bid& b) { return b.price % 1000; }, ""},
      {"AVG(price)", "avg", [](const bid& b) { return b.price; }, ""},
  };
  std::mt19937_64 rng(83);
  for (int round = 0; round < 24; ++round) {
    // The query.
    std::vector<const key_def*> ks;
    for (const auto& k : keys)
      if (rng() % 2 || (ks.empty() && &k == &keys.back())) ks.push_back(&k);
    struct call {
      const agg_def* def;
      std::int64_t below;  // FILTER (WHERE price < below), 0: none
    };
    std::vector<call> calls;
    const int n_calls = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n_calls; ++i)
      calls.push_back({&aggs[rng() % aggs.size()],
                       rng() % 3 == 0 ? static_cast<std::int64_t>(rng() % 10'000'000) : 0});
    const bool windowed = rng() % 3 == 0;
    const std::int64_t having = rng() % 3 == 0 ? static_cast<std::int64_t>(rng() % 40) : -1;
    std::string select, group;
    for (std::size_t i = 0; i < ks.size(); ++i) {
      select += (i ? ", " : "") + ks[i]->sql;
      group += (i ? ", " : "") + ks[i]->sql;
    }
    if (windowed) {
      select += ", window_start";
      group += ", window_start, window_end";
    }
    for (const auto& c : calls)
      select += ", " + c.def->sql +
                (c.below ? " FILTER (WHERE price < " + std::to_string(c.below) + ")" : "");
    const std::string from =
        windowed ? "TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))" : "bid";
    const std::string query = "SELECT " + select + " FROM " + from + " GROUP BY " + group +
                              (having >= 0 ? " HAVING COUNT(*) > " + std::to_string(having) : "") +
                              ";";
    // The reference: per group, each call's filtered-in arguments.
    std::map<std::vector<std::int64_t>,
             std::pair<std::int64_t, std::vector<std::vector<std::int64_t>>>>
        groups;
    for (const auto& b : bids) {
      std::vector<std::int64_t> key;
      for (const auto* k : ks) key.push_back(k->eval(b));
      if (windowed) key.push_back(b.ts - b.ts % 10'000);
      auto& g = groups[key];
      ++g.first;
      g.second.resize(calls.size());
      for (std::size_t i = 0; i < calls.size(); ++i) {
        if (calls[i].below && b.price >= calls[i].below) continue;
        g.second[i].push_back(calls[i].def->arg ? calls[i].def->arg(b) : 0);
      }
    }
    std::multiset<std::string> want;
    for (const auto& [key, g] : groups) {
      if (having >= 0 && g.first <= having) continue;
      std::string row;
      for (std::size_t i = 0; i < ks.size(); ++i) row += (i ? "," : "") + std::to_string(key[i]);
      if (windowed) row += "," + print_stamp(key.back());
      for (std::size_t i = 0; i < calls.size(); ++i)
        row += "," + result(calls[i].def->kind, g.second[i]);
      want.insert(row);
    }
    CAPTURE(round);
    check_bids_query(tmp.path() / "bid", query, want, windowed);
  }
}
