#pragma once
// Test data and helpers shared by the SQL session tests: Nexmark-like bids (auction, bidder,
// price, channel, url, dateTime, extra) generated from a seed, written as CSV files, the
// `bid` table's DDL (with a 4 s watermark), and running statements in a session.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "eddy/rows/temporal.hpp"
#include "eddy/rows/value_text.hpp"
#include "eddy/table/sql_session.hpp"

namespace eddy::testing::sql_data {

namespace fs = std::filesystem;

struct bid {
  std::int64_t auction, bidder, price;
  std::string channel, url;
  std::int64_t ts;
  std::string extra;
};

inline std::vector<bid> make_bids(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<bid> out;
  const std::int64_t start = *rows::parse_timestamp("2015-07-15 00:00:00");
  for (std::size_t i = 0; i < n; ++i) {
    bid b;
    b.auction = 1000 + static_cast<std::int64_t>(rng() % 5000);
    b.bidder = 2000 + static_cast<std::int64_t>(rng() % 3000);
    b.price = 1 + static_cast<std::int64_t>(rng() % 10'000'000);
    static const char* const channels[] = {"Apple", "Google", "Facebook", "Baidu", "apple"};
    b.channel = rng() % 2 == 0 ? std::string(channels[rng() % 5])
                               : std::string("channel-") + std::to_string(rng() % 10);
    const auto dirs = std::to_string(rng() % 3) + "/" + std::to_string(rng() % 4);
    b.url = rng() % 5 == 0 ? "https://www.nexmark.com/" + dirs
                           : "https://www.nexmark.com/" + dirs +
                                 "/item.htm?query=1&channel_id=" + std::to_string(rng() % 50);
    b.ts = start + static_cast<std::int64_t>(i) * 7 + static_cast<std::int64_t>(rng() % 4000);
    b.extra = rng() % 3 == 0 ? std::string("x,\"y\"c") : std::string(rng() % 5, "ec"[rng() % 2]);
    out.push_back(std::move(b));
  }
  return out;
}

inline std::string quoted(const std::string& s) {
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

/// Writes the bids into `files` CSV files: round robin, or (`in_time_order`) the first third
/// into the first file and so on, so that a reader of the files in name order sees them in
/// event-time order up to the generator's 4 s disorder (what event-time tests need at p1).
inline void write_bids(const fs::path& dir, const std::vector<bid>& bids, int files,
                       bool in_time_order = false) {
  fs::create_directories(dir);
  std::vector<std::ofstream> out;
  for (int f = 0; f < files; ++f) out.emplace_back(dir / ("bids-" + std::to_string(f) + ".csv"));
  for (std::size_t i = 0; i < bids.size(); ++i) {
    const auto& b = bids[i];
    const std::size_t f = in_time_order ? i * out.size() / bids.size() : i % out.size();
    out[f] << b.auction << ',' << b.bidder << ',' << b.price << ',' << b.channel << ',' << b.url
           << ',' << rows::format_timestamp(b.ts) << ',' << quoted(b.extra) << '\n';
  }
}

inline std::vector<std::string> read_part_files(const fs::path& dir) {
  std::vector<std::string> lines;
  if (!fs::exists(dir)) return lines;
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

inline std::string bid_ddl(const fs::path& dir) {
  return "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, "
         "url VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR, "
         "WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND) WITH ("
         "'connector' = 'filesystem', 'path' = '" +
         dir.string() + "', 'format' = 'csv');\n";
}

inline table::statement_result run_ok(table::sql_session& s, const std::string& text) {
  table::statement_result last;
  auto r = s.execute_script(text, [&](const table::statement_result& x) { last = x; });
  if (!r) FAIL(sql::render_error(text, r.error()));
  return last;
}

inline std::string error_of(table::sql_session& s, const std::string& text) {
  auto r = s.execute_script(text, [](const table::statement_result&) {});
  REQUIRE_FALSE(r.ok());
  return r.error().where.line == 0 ? r.error().message : sql::render_error(text, r.error());
}

/// A timestamp in the CSV form (`2015-07-15 00:00:01.5`).
inline std::string stamp(std::int64_t ms) {
  return rows::format_timestamp(ms);
}

/// A timestamp of whole seconds as SELECT results print it (Java's LocalDateTime form:
/// `2015-07-15T00:00:10`, and `2015-07-15T00:01` without :00 seconds).
inline std::string print_stamp(std::int64_t ms) {
  auto s = rows::format_timestamp(ms);
  std::replace(s.begin(), s.end(), ' ', 'T');
  if (s.size() > 16 && s.compare(s.size() - 3, 3, ":00") == 0) s.resize(s.size() - 3);
  return s;
}

/// CREATE TABLE `name` (`cols`) as a CSV directory `out`/`name`.
inline std::string sink_ddl(const fs::path& out, const std::string& name, const std::string& cols) {
  return "CREATE TABLE " + name + " (" + cols + ") WITH ('connector' = 'filesystem', 'path' = '" +
         (out / name).string() + "', 'format' = 'csv');\n";
}

/// "" if equal, else the sizes and the first line only one of them has.
inline std::string difference(const std::vector<std::string>& got,
                              const std::vector<std::string>& want) {
  if (got == want) return {};
  std::vector<std::string> only_got, only_want;
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(),
                      std::back_inserter(only_got));
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                      std::back_inserter(only_want));
  return std::to_string(got.size()) + " rows, want " + std::to_string(want.size()) +
         "; first unexpected: " + (only_got.empty() ? "-" : only_got.front()) +
         "; first missing: " + (only_want.empty() ? "-" : only_want.front());
}

/// The rows a changelog ends with (+I/+U add a row, -U/-D remove an equal one), as text; with
/// `columns`, only those cells of each row.
inline std::multiset<std::string> replay(const table::statement_result& r,
                                         const std::vector<std::size_t>& columns = {}) {
  std::multiset<std::string> rows;
  REQUIRE(r.kinds.size() == r.rows.size());
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    std::string row;
    for (std::size_t c = 0; c < r.rows[i].size(); ++c)
      if (columns.empty() || std::count(columns.begin(), columns.end(), c))
        row += (row.empty() ? "" : ",") + r.rows[i][c];
    if (r.kinds[i] == "+I" || r.kinds[i] == "+U") {
      rows.insert(row);
    } else {
      const auto it = rows.find(row);
      INFO("retracted row not present: " << r.kinds[i] << " " << row);
      REQUIRE(it != rows.end());
      rows.erase(it);
    }
  }
  return rows;
}

/// Runs `query` over the bids table of `bid_dir` at parallelism 1 and 3: its changelog replayed
/// must give `want`, and with `insert_only` every row must be +I.
inline void check_bids_query(const fs::path& bid_dir, const std::string& query,
                             const std::multiset<std::string>& want, bool insert_only) {
  for (const int p : {1, 3}) {
    CAPTURE(query, p);
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" + bid_ddl(bid_dir));
    const auto r = run_ok(s, query);
    CHECK(replay(r) == want);
    if (insert_only)
      CHECK(std::all_of(r.kinds.begin(), r.kinds.end(), [](auto& k) { return k == "+I"; }));
  }
}

/// `fail_once(BIGINT) -> BIGINT` for failure tests (register it with
/// register_function_implementation): its argument, but call number `at` in this process throws
/// "fail_once: the injected failure" once (then `failed` is set); every call sleeps 20 us so
/// that checkpoints complete before the failure. Reset `calls` and `failed` before each job.
inline std::vector<sql::scalar_function> fail_once_function(std::atomic<int>& calls,
                                                            std::atomic<bool>& failed, int at) {
  sql::scalar_function f;
  f.name = "fail_once";
  f.parameters = {rows::bigint_type()};
  f.result = rows::bigint_type();
  f.per_row = [&calls, &failed, at](std::span<const rows::value> args) {
    std::this_thread::sleep_for(std::chrono::microseconds(20));
    if (++calls == at && !failed.exchange(true))
      throw std::runtime_error("fail_once: the injected failure");
    return args[0];
  };
  return {f};
}

/// What the failure tests run with: parallelism 2, checkpoints every 20 ms, three restarts 10 ms
/// apart, and `fail_once` (registered as 'test.FailOnce').
inline std::string recovery_settings() {
  return "SET 'parallelism.default' = '2';\n"
         "SET 'execution.checkpointing.interval' = '20 ms';\n"
         "SET 'restart-strategy.type' = 'fixed-delay';\n"
         "SET 'restart-strategy.fixed-delay.attempts' = '3';\n"
         "SET 'restart-strategy.fixed-delay.delay' = '10 ms';\n"
         "CREATE FUNCTION fail_once AS 'test.FailOnce';\n";
}

}  // namespace eddy::testing::sql_data
