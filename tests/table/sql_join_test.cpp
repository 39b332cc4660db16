// SQL regular joins run end to end by a session: Nexmark q3, q7, q8 and q20 as the nexmark
// repository writes them, outer joins and their retractions, at parallelism 1 and 4, against
// references computed here; errors.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "nexmark_test_data.hpp"
#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

TEST_CASE(
    "Nexmark q3, q7, q8 and q20 as the nexmark repository writes them give the reference "
    "rows at parallelism 1 and 4",
    "[table][session][join][nexmark]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(6000, 53);
  const auto people = make_people(400, 59);
  const auto auctions = make_auctions(1000, people.size(), 61);
  write_bids(tmp.path() / "bid", bids, 2, true);
  write_people_and_auctions(tmp.path(), people, auctions);
  std::vector<std::string> want3, want7, want8, want20;
  {
    std::map<std::int64_t, const person*> by_id;
    for (const auto& p : people) by_id[p.id] = &p;
    std::map<std::int64_t, const auction*> auction_by_id;
    for (const auto& a : auctions) {
      auction_by_id[a.id] = &a;
      const auto* p = by_id[a.seller];
      if (a.category == 10 && (p->state == "OR" || p->state == "ID" || p->state == "CA"))
        want3.push_back(p->name + "," + p->city + "," + p->state + "," + std::to_string(a.id));
    }
    for (const auto& b : bids) {
      const auto it = auction_by_id.find(b.auction);
      if (it == auction_by_id.end() || it->second->category != 10) continue;
      const auto& a = *it->second;
      want20.push_back(std::to_string(b.auction) + "," + std::to_string(b.bidder) + "," +
                       std::to_string(b.price) + "," + quoted(b.channel) + "," + quoted(b.url) +
                       "," + stamp(b.ts) + "," + quoted(b.extra) + "," + a.item + "," +
                       a.description + "," + std::to_string(a.initial) + "," +
                       std::to_string(a.reserve) + "," + stamp(a.ts) + "," + stamp(a.expires) +
                       "," + std::to_string(a.seller) + "," + std::to_string(a.category) + ",");
    }
    // q7: the bids with the highest price of their 10 s window (and of the window before, as
    // the BETWEEN condition lets a bid at a window's end meet the next window's maximum).
    std::map<std::int64_t, std::int64_t> max_price;  // window end -> max
    for (const auto& b : bids) {
      const auto end = b.ts - b.ts % 10'000 + 10'000;
      max_price[end] = std::max(max_price[end], b.price);
    }
    for (const auto& b : bids)
      for (const auto& [end, m] : max_price)
        if (b.price == m && b.ts >= end - 10'000 && b.ts <= end)
          want7.push_back(std::to_string(b.auction) + "," + std::to_string(b.price) + "," +
                          std::to_string(b.bidder) + "," + stamp(b.ts) + "," + quoted(b.extra));
    // q8: people who joined and created an auction in the same 10 s window.
    std::set<std::tuple<std::int64_t, std::string, std::int64_t>> p_windows;
    std::set<std::pair<std::int64_t, std::int64_t>> a_windows;
    for (const auto& p : people) p_windows.insert({p.id, p.name, p.ts - p.ts % 10'000});
    for (const auto& a : auctions) a_windows.insert({a.seller, a.ts - a.ts % 10'000});
    for (const auto& [id, name, start] : p_windows)
      if (a_windows.count({id, start}))
        want8.push_back(std::to_string(id) + "," + name + "," + stamp(start));
  }
  for (auto* v : {&want3, &want7, &want8, &want20}) std::sort(v->begin(), v->end());
  REQUIRE(!want3.empty());
  REQUIRE(!want8.empty());
  REQUIRE(want7.size() >= 4);
  REQUIRE(want20.size() > 100);

  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    const auto out = tmp.path() / ("out-" + std::to_string(p));
    run_ok(s,
           "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" + nexmark_ddl(tmp.path()) +
               sink_ddl(out, "nexmark_q3", "name VARCHAR, city VARCHAR, state VARCHAR, id BIGINT") +
               sink_ddl(out, "nexmark_q7",
                        "auction BIGINT, price BIGINT, bidder BIGINT, `dateTime` TIMESTAMP(3), "
                        "extra VARCHAR") +
               sink_ddl(out, "nexmark_q8", "id BIGINT, name VARCHAR, stime TIMESTAMP(3)") +
               sink_ddl(out, "nexmark_q20",
                        "auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url "
                        "VARCHAR, bid_dateTime TIMESTAMP(3), bid_extra VARCHAR, itemName "
                        "VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT, "
                        "auction_dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, "
                        "category BIGINT, auction_extra VARCHAR"));
    run_ok(s,
           "INSERT INTO nexmark_q3\n"
           "SELECT\n"
           "    P.name, P.city, P.state, A.id\n"
           "FROM\n"
           "    auction AS A INNER JOIN person AS P on A.seller = P.id\n"
           "WHERE\n"
           "    A.category = 10 and (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');");
    run_ok(s,
           "INSERT INTO nexmark_q7\n"
           "SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra\n"
           "from bid B\n"
           "JOIN (\n"
           "  SELECT MAX(price) AS maxprice, window_end as dateTime\n"
           "  FROM TABLE(\n"
           "          TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))\n"
           "  GROUP BY window_start, window_end\n"
           ") B1\n"
           "ON B.price = B1.maxprice\n"
           "WHERE B.dateTime BETWEEN B1.dateTime  - INTERVAL '10' SECOND AND B1.dateTime;");
    run_ok(s,
           "INSERT INTO nexmark_q8\n"
           "SELECT P.id, P.name, P.starttime\n"
           "FROM (\n"
           "  SELECT id, name,\n"
           "         window_start AS starttime,\n"
           "         window_end AS endtime\n"
           "  FROM TABLE(\n"
           "            TUMBLE(TABLE person, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))\n"
           "  GROUP BY id, name, window_start, window_end\n"
           ") P\n"
           "JOIN (\n"
           "  SELECT seller,\n"
           "         window_start AS starttime,\n"
           "         window_end AS endtime\n"
           "  FROM TABLE(\n"
           "            TUMBLE(TABLE auction, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))\n"
           "  GROUP BY seller, window_start, window_end\n"
           ") A\n"
           "ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime;");
    run_ok(s,
           "INSERT INTO nexmark_q20\n"
           "SELECT\n"
           "    auction, bidder, price, channel, url, B.dateTime, B.extra,\n"
           "    itemName, description, initialBid, reserve, A.dateTime, expires, seller, "
           "category, A.extra\n"
           "FROM\n"
           "    bid AS B INNER JOIN auction AS A on B.auction = A.id\n"
           "WHERE A.category = 10;");
    CHECK(difference(read_part_files(out / "nexmark_q3"), want3) == "");
    CHECK(difference(read_part_files(out / "nexmark_q7"), want7) == "");
    CHECK(difference(read_part_files(out / "nexmark_q8"), want8) == "");
    CHECK(difference(read_part_files(out / "nexmark_q20"), want20) == "");
  }
}

TEST_CASE(
    "Outer joins retract their NULL-padded rows when a partner arrives and end in the "
    "reference rows at parallelism 1 and 4",
    "[table][session][join]") {
  testing::temp_dir tmp;
  const auto people = make_people(300, 67);
  const auto auctions = make_auctions(500, 400, 71);  // sellers beyond the people: no partner
  write_people_and_auctions(tmp.path(), people, auctions);
  write_lines(tmp.path() / "bid" / "none.csv", {});
  // Reference: person id, auction id (or "null") per joined row, for each join type.
  std::map<std::string, std::multiset<std::string>> want;
  {
    std::map<std::int64_t, std::vector<std::int64_t>> by_seller;
    for (const auto& a : auctions) by_seller[a.seller].push_back(a.id);
    std::set<std::int64_t> ids;
    for (const auto& p : people) ids.insert(p.id);
    for (const auto& p : people) {
      const auto it = by_seller.find(p.id);
      if (it == by_seller.end()) {
        want["LEFT"].insert(std::to_string(p.id) + ",null");
        want["FULL"].insert(std::to_string(p.id) + ",null");
        continue;
      }
      for (const auto a : it->second)
        for (const char* t : {"INNER", "LEFT", "RIGHT", "FULL"})
          want[t].insert(std::to_string(p.id) + "," + std::to_string(a));
    }
    for (const auto& a : auctions)
      if (!ids.count(a.seller))
        for (const char* t : {"RIGHT", "FULL"}) want[t].insert("null," + std::to_string(a.id));
  }
  for (const int p : {1, 4}) {
    for (const std::string type : {"INNER", "LEFT", "RIGHT", "FULL"}) {
      CAPTURE(p, type);
      table::sql_session s;
      run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                    nexmark_ddl(tmp.path()));
      const auto r = run_ok(
          s, "SELECT P.id, A.id FROM person P " + type + " JOIN auction A ON P.id = A.seller;");
      std::multiset<std::string> rows;
      for (std::size_t i = 0; i < r.rows.size(); ++i) {
        const auto row = r.rows[i][0] + "," + r.rows[i][1];
        if (r.kinds[i] == "+I") {
          rows.insert(row);
        } else {
          REQUIRE(r.kinds[i] == "-D");
          const auto it = rows.find(row);
          REQUIRE(it != rows.end());
          rows.erase(it);
        }
      }
      CHECK(rows == want[type]);
      if (type == "INNER")
        CHECK(std::all_of(r.kinds.begin(), r.kinds.end(), [](auto& k) { return k == "+I"; }));
    }
  }
}

TEST_CASE("Joins refuse what they cannot run, at its place", "[table][session][join]") {
  testing::temp_dir tmp;
  write_lines(tmp.path() / "person" / "p.csv", {});
  write_lines(tmp.path() / "auction" / "a.csv", {});
  write_lines(tmp.path() / "bid" / "b.csv", {});
  table::sql_session s;
  run_ok(s, nexmark_ddl(tmp.path()) + sink_ddl(tmp.path(), "out", "a BIGINT, b BIGINT"));
  CHECK_THAT(error_of(s, "SELECT * FROM person P JOIN auction A ON P.id < A.seller;"),
             Catch::Contains("needs an equality condition"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM person P LEFT JOIN auction A ON P.id = A.seller AND "
                      "A.category > 3;"),
             Catch::Contains("outer join are not supported yet"));
  CHECK_THAT(error_of(s, "SELECT * FROM person P JOIN auction A ON P.name = A.seller;"),
             Catch::Contains("Join keys of types"));
  CHECK_THAT(error_of(s, "SELECT * FROM person P CROSS JOIN auction A;"),
             Catch::Contains("cross join is not supported yet"));
  CHECK_THAT(error_of(s,
                      "INSERT INTO out SELECT P.id, A.id FROM person P LEFT JOIN auction A "
                      "ON P.id = A.seller;"),
             Catch::Contains("doesn't support consuming update changes"));
  CHECK_THAT(error_of(s,
                      "INSERT INTO out SELECT C.seller, P.id FROM (SELECT seller, COUNT(*) AS n "
                      "FROM auction GROUP BY seller) C JOIN person P ON C.seller = P.id;"),
             Catch::Contains("doesn't support consuming update changes"));
}
