// Nexmark q4, q5, q9, q12 (on event time), q16 and q18 as the nexmark repository writes them (its
// DDL aside), run end to end by a session at parallelism 1 and 4: insert-only results into CSV
// sinks, updating ones as SELECT changelogs replayed, each against a reference computed here.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <tuple>

#include "nexmark_test_data.hpp"
#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

namespace {

/// The bids of `auctions` placed while the auction ran (q4's and q9's join condition).
std::map<std::int64_t, std::vector<const bid*>> bids_in_auctions(
    const std::vector<bid>& bids, const std::vector<auction>& auctions) {
  std::map<std::int64_t, const auction*> by_id;
  for (const auto& a : auctions) by_id[a.id] = &a;
  std::map<std::int64_t, std::vector<const bid*>> out;
  for (const auto& b : bids) {
    const auto it = by_id.find(b.auction);
    if (it != by_id.end() && b.ts >= it->second->ts && b.ts <= it->second->expires)
      out[b.auction].push_back(&b);
  }
  return out;
}

std::multiset<std::string> as_multiset(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

}  // namespace

TEST_CASE(
    "Nexmark q4, q9 and q18 (joins, aggregates of updates, Top-N, deduplication) end in the "
    "reference rows at parallelism 1 and 4",
    "[table][session][nexmark]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(6000, 83);
  const auto people = make_people(300, 89);
  const auto auctions = make_auctions(1000, people.size(), 97);
  write_bids(tmp.path() / "bid", bids, 2, true);
  write_people_and_auctions(tmp.path(), people, auctions);

  std::multiset<std::string> want4, want9, want18;
  {
    std::map<std::int64_t, const auction*> by_id;
    for (const auto& a : auctions) by_id[a.id] = &a;
    const auto running = bids_in_auctions(bids, auctions);
    // q4: per category the average (BIGINT, truncated) of the auctions' highest bids.
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> by_category;  // sum, n
    for (const auto& [id, v] : running) {
      std::int64_t final_price = 0;
      for (const auto* b : v) final_price = std::max(final_price, b->price);
      auto& [sum, n] = by_category[by_id[id]->category];
      sum += final_price;
      ++n;
    }
    for (const auto& [c, s] : by_category)
      want4.insert(std::to_string(c) + "," + std::to_string(s.first / s.second));
    // q9: per auction its highest bid, the earliest of equal prices (id, auction, bidder, price).
    for (const auto& [id, v] : running) {
      const bid* best = nullptr;
      for (const auto* b : v)
        if (!best || b->price > best->price || (b->price == best->price && b->ts < best->ts))
          best = b;
      want9.insert(std::to_string(id) + "," + std::to_string(best->auction) + "," +
                   std::to_string(best->bidder) + "," + std::to_string(best->price));
    }
    // q18: per (bidder, auction) the latest bid (auction, bidder, price).
    std::map<std::pair<std::int64_t, std::int64_t>, const bid*> last;
    for (const auto& b : bids) {
      auto& l = last[{b.bidder, b.auction}];
      if (!l || b.ts >= l->ts) l = &b;
    }
    for (const auto& [k, b] : last)
      want18.insert(std::to_string(b->auction) + "," + std::to_string(b->bidder) + "," +
                    std::to_string(b->price));
  }
  REQUIRE(want4.size() == 5);
  REQUIRE(want9.size() > 100);

  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    run_ok(s,
           "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" + nexmark_ddl(tmp.path()));
    const auto q4 = run_ok(s,
                           "SELECT\n"
                           "    Q.category,\n"
                           "    AVG(Q.final)\n"
                           "FROM (\n"
                           "    SELECT MAX(B.price) AS final, A.category\n"
                           "    FROM auction A, bid B\n"
                           "    WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND "
                           "A.expires\n"
                           "    GROUP BY A.id, A.category\n"
                           ") Q\n"
                           "GROUP BY Q.category;");
    CHECK(replay(q4) == want4);
    const auto q9 = run_ok(
        s,
        "SELECT\n"
        "    id, itemName, description, initialBid, reserve, dateTime, expires, seller, "
        "category, extra,\n"
        "    auction, bidder, price, bid_dateTime, bid_extra\n"
        "FROM (\n"
        "   SELECT A.*, B.auction, B.bidder, B.price, B.dateTime AS bid_dateTime, B.extra AS "
        "bid_extra,\n"
        "     ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.dateTime ASC) AS "
        "rownum\n"
        "   FROM auction A, bid B\n"
        "   WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires\n"
        ")\n"
        "WHERE rownum <= 1;");
    REQUIRE(q9.header.size() == 15);
    CHECK(replay(q9, {0, 10, 11, 12}) == want9);
    const auto q18 = run_ok(s,
                            "SELECT auction, bidder, price, channel, url, dateTime, extra\n"
                            " FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction "
                            "ORDER BY dateTime DESC) AS rank_number\n"
                            "       FROM bid)\n"
                            " WHERE rank_number <= 1;");
    CHECK(replay(q18, {0, 1, 2}) == want18);
  }
}

TEST_CASE(
    "Nexmark q5, q12 on event time and q16 (cascaded windows, a time attribute renamed by a "
    "view, distinct counts with filters) give the reference rows at parallelism 1 and 4",
    "[table][session][nexmark]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(5000, 101);
  write_bids(tmp.path() / "bid", bids, 2, true);

  std::vector<std::string> want5, want12;
  std::multiset<std::string> want16;
  {
    // q5: per 10 s window sliding by 2 s, the auctions with the most bids.
    std::map<std::int64_t, std::map<std::int64_t, std::int64_t>> counts;  // start -> auction -> n
    for (const auto& b : bids)
      for (std::int64_t start = b.ts - b.ts % 2000; start > b.ts - 10'000; start -= 2000)
        ++counts[start][b.auction];
    for (const auto& [start, per_auction] : counts) {
      std::int64_t most = 0;
      for (const auto& [a, n] : per_auction) most = std::max(most, n);
      for (const auto& [a, n] : per_auction)
        if (n == most) want5.push_back(std::to_string(a) + "," + std::to_string(n));
    }
    // q12: bids per bidder and 10 s tumbling window.
    std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> per_bidder;
    for (const auto& b : bids) ++per_bidder[{b.bidder, b.ts - b.ts % 10'000}];
    for (const auto& [k, n] : per_bidder)
      want12.push_back(std::to_string(k.first) + "," + std::to_string(n) + "," + stamp(k.second) +
                       "," + stamp(k.second + 10'000));
    // q16: per channel and day, the latest minute, counts and distinct counts by price rank.
    struct stats {
      std::string minute;
      std::int64_t bids[4] = {0, 0, 0, 0};
      std::set<std::int64_t> bidders[4], auctions[4];
    };
    std::map<std::pair<std::string, std::string>, stats> by_channel;
    for (const auto& b : bids) {
      const auto text = stamp(b.ts);  // yyyy-MM-dd HH:mm:ss...
      auto& st = by_channel[{b.channel, text.substr(0, 10)}];
      st.minute = std::max(st.minute, text.substr(11, 5));
      const int rank = b.price < 10'000 ? 1 : b.price < 1'000'000 ? 2 : 3;
      for (const int r : {0, rank}) {
        ++st.bids[r];
        st.bidders[r].insert(b.bidder);
        st.auctions[r].insert(b.auction);
      }
    }
    for (const auto& [k, st] : by_channel) {
      std::string row = k.first + "," + k.second + "," + st.minute;
      for (const auto& n : st.bids) row += "," + std::to_string(n);
      for (const auto& set : st.bidders) row += "," + std::to_string(set.size());
      for (const auto& set : st.auctions) row += "," + std::to_string(set.size());
      want16.insert(row);
    }
  }
  std::sort(want5.begin(), want5.end());
  std::sort(want12.begin(), want12.end());
  REQUIRE(want5.size() > 20);

  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    const auto out = tmp.path() / ("out-" + std::to_string(p));
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") +
                  sink_ddl(out, "nexmark_q5", "auction BIGINT, num BIGINT") +
                  sink_ddl(out, "discard_sink",
                           "bidder BIGINT, bid_count BIGINT, starttime TIMESTAMP(3), endtime "
                           "TIMESTAMP(3)") +
                  "CREATE VIEW B AS SELECT *, dateTime as p_time FROM bid;\n");
    run_ok(s,
           "INSERT INTO nexmark_q5\n"
           "SELECT AuctionBids.auction, AuctionBids.num\n"
           " FROM (\n"
           "   SELECT\n"
           "     auction,\n"
           "     count(*) AS num,\n"
           "     window_start AS starttime,\n"
           "     window_end AS endtime\n"
           "     FROM TABLE(\n"
           "             HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL "
           "'10' SECOND))\n"
           "     GROUP BY auction, window_start, window_end\n"
           " ) AS AuctionBids\n"
           " JOIN (\n"
           "   SELECT\n"
           "     max(CountBids.num) AS maxn,\n"
           "     CountBids.starttime,\n"
           "     CountBids.endtime\n"
           "   FROM (\n"
           "     SELECT\n"
           "       count(*) AS num,\n"
           "       window_start AS starttime,\n"
           "       window_end AS endtime\n"
           "     FROM TABLE(\n"
           "                HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL "
           "'10' SECOND))\n"
           "     GROUP BY auction, window_start, window_end\n"
           "     ) AS CountBids\n"
           "   GROUP BY CountBids.starttime, CountBids.endtime\n"
           " ) AS MaxBids\n"
           " ON AuctionBids.starttime = MaxBids.starttime AND\n"
           "    AuctionBids.endtime = MaxBids.endtime AND\n"
           "    AuctionBids.num >= MaxBids.maxn;");
    run_ok(s,
           "INSERT INTO discard_sink\n"
           "SELECT\n"
           "    bidder,\n"
           "    count(*) as bid_count,\n"
           "    window_start AS starttime,\n"
           "    window_end AS endtime\n"
           "FROM TABLE(\n"
           "        TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '10' SECOND))\n"
           "GROUP BY bidder, window_start, window_end;");
    CHECK(difference(read_part_files(out / "nexmark_q5"), want5) == "");
    CHECK(difference(read_part_files(out / "discard_sink"), want12) == "");
    const auto q16 =
        run_ok(s,
               "SELECT\n"
               "    channel,\n"
               "    DATE_FORMAT(dateTime, 'yyyy-MM-dd') as `day`,\n"
               "    max(DATE_FORMAT(dateTime, 'HH:mm')) as `minute`,\n"
               "    count(*) AS total_bids,\n"
               "    count(*) filter (where price < 10000) AS rank1_bids,\n"
               "    count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,\n"
               "    count(*) filter (where price >= 1000000) AS rank3_bids,\n"
               "    count(distinct bidder) AS total_bidders,\n"
               "    count(distinct bidder) filter (where price < 10000) AS rank1_bidders,\n"
               "    count(distinct bidder) filter (where price >= 10000 and price < 1000000) AS "
               "rank2_bidders,\n"
               "    count(distinct bidder) filter (where price >= 1000000) AS rank3_bidders,\n"
               "    count(distinct auction) AS total_auctions,\n"
               "    count(distinct auction) filter (where price < 10000) AS rank1_auctions,\n"
               "    count(distinct auction) filter (where price >= 10000 and price < 1000000) AS "
               "rank2_auctions,\n"
               "    count(distinct auction) filter (where price >= 1000000) AS rank3_auctions\n"
               "FROM bid\n"
               "GROUP BY channel, DATE_FORMAT(dateTime, 'yyyy-MM-dd');");
    CHECK(replay(q16) == want16);
  }
}
