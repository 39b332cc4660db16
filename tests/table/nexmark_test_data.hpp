#pragma once
// Nexmark-like people and auctions for the SQL session tests (bids: sql_test_data.hpp): generated
// from a seed, written as CSV files, and the DDL of the bid, person and auction tables (each with
// a 4 s watermark) as the nexmark repository declares their columns.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "sql_test_data.hpp"

namespace eddy::testing::sql_data {

struct person {
  std::int64_t id;
  std::string name, email, card, city, state;
  std::int64_t ts;
};

struct auction {
  std::int64_t id;
  std::string item, description;
  std::int64_t initial, reserve, ts, expires, seller, category;
};

inline const std::int64_t day_start = *rows::parse_timestamp("2015-07-15 00:00:00");

inline std::vector<person> make_people(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  static const char* const states[] = {"OR", "ID", "CA", "WA", "NY", "AZ"};
  std::vector<person> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(person{
        1000 + static_cast<std::int64_t>(i), "name" + std::to_string(rng() % 50),
        "e" + std::to_string(i) + "@x.com", std::to_string(rng() % 10000),
        "city" + std::to_string(rng() % 7), states[rng() % 6],
        day_start + static_cast<std::int64_t>(i) * 100 + static_cast<std::int64_t>(rng() % 3000)});
  return out;
}

inline std::vector<auction> make_auctions(std::size_t n, std::size_t people, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<auction> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t ts =
        day_start + static_cast<std::int64_t>(i) * 40 + static_cast<std::int64_t>(rng() % 3000);
    out.push_back(auction{1000 + static_cast<std::int64_t>(i), "item" + std::to_string(i),
                          "d" + std::to_string(rng() % 9), static_cast<std::int64_t>(rng() % 100),
                          static_cast<std::int64_t>(rng() % 1000), ts, ts + 10'000,
                          1000 + static_cast<std::int64_t>(rng() % people),
                          10 + static_cast<std::int64_t>(rng() % 5)});
  }
  return out;
}

inline void write_lines(const fs::path& file, const std::vector<std::string>& lines) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file);
  for (const auto& l : lines) out << l << '\n';
}

/// The people and auctions as CSV files under `dir`/person and `dir`/auction.
inline void write_people_and_auctions(const fs::path& dir, const std::vector<person>& people,
                                      const std::vector<auction>& auctions) {
  std::vector<std::string> p, a;
  for (const auto& x : people)
    p.push_back(std::to_string(x.id) + "," + x.name + "," + x.email + "," + x.card + "," + x.city +
                "," + x.state + "," + stamp(x.ts) + ",");
  for (const auto& x : auctions)
    a.push_back(std::to_string(x.id) + "," + x.item + "," + x.description + "," +
                std::to_string(x.initial) + "," + std::to_string(x.reserve) + "," + stamp(x.ts) +
                "," + stamp(x.expires) + "," + std::to_string(x.seller) + "," +
                std::to_string(x.category) + ",");
  write_lines(dir / "person" / "p.csv", p);
  write_lines(dir / "auction" / "a.csv", a);
}

inline std::string nexmark_ddl(const fs::path& tmp) {
  auto with = [&](const std::string& name) {
    return ") WITH ('connector' = 'filesystem', 'path' = '" + (tmp / name).string() +
           "', 'format' = 'csv');\n";
  };
  return bid_ddl(tmp / "bid") +
         "CREATE TABLE person (id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard "
         "VARCHAR, city VARCHAR, state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR, "
         "WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND" +
         with("person") +
         "CREATE TABLE auction (id BIGINT, itemName VARCHAR, description VARCHAR, initialBid "
         "BIGINT, reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, "
         "category BIGINT, extra VARCHAR, WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' "
         "SECOND" +
         with("auction");
}

}  // namespace eddy::testing::sql_data
