// SQL event-time temporal joins (FOR SYSTEM_TIME AS OF the left side's event time, against a
// versioned table: PRIMARY KEY and WATERMARK, or a versioned view): orders joined with the currency
// rate valid at each order's time, INNER and LEFT, at parallelism 1 and 4, against a brute-force
// reference computed here; errors for what Flink refuses or Eddy does not run yet.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace sql_temporal_join_test {

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

struct order {
  std::int64_t id;
  std::string currency;
  std::int64_t price;
  std::int64_t ts;
};
struct rate {
  std::string currency;
  std::int64_t rate;  ///< in hundredths
  std::int64_t ts;
};

const std::vector<std::string> currencies = {"EUR", "USD", "JPY", "GBP", "CHF"};

/// Rows in time order, at most 1.5 s out of order (the tables' watermarks allow 2 s), into
/// two files each (the first and second half).
void write_csv(const fs::path& dir, const std::vector<std::string>& lines) {
  fs::create_directories(dir);
  std::ofstream a(dir / "part-0.csv"), b(dir / "part-1.csv");
  for (std::size_t i = 0; i < lines.size(); ++i) (i < lines.size() / 2 ? a : b) << lines[i] << '\n';
}

std::string money(std::int64_t hundredths) {
  return std::to_string(hundredths / 100) + "." + (hundredths % 100 < 10 ? "0" : "") +
         std::to_string(hundredths % 100);
}

}  // namespace sql_temporal_join_test

using namespace sql_temporal_join_test;

TEST_CASE("Temporal joins on event time join each row with the version valid at its time",
          "[table][session][temporal]") {
  testing::temp_dir tmp;
  std::mt19937_64 rng(97);
  const std::int64_t start = *rows::parse_timestamp("2020-01-01 00:00:00");
  std::vector<order> orders;
  std::vector<rate> rates;
  std::vector<std::string> order_lines, rate_lines;
  // Rates: every currency but CHF gets a new version now and then (CHF never has one); each
  // currency's versions have distinct times.
  for (std::int64_t t = 0; t < 600'000; t += 1000) {
    const auto& c = currencies[rng() % 4];
    if (rng() % 3 != 0) continue;
    rates.push_back({c, 50 + static_cast<std::int64_t>(rng() % 200), start + t + 300});
  }
  for (std::int64_t i = 0; i < 3000; ++i) {
    const auto jitter = static_cast<std::int64_t>(rng() % 1500);
    orders.push_back({i, currencies[rng() % currencies.size()],
                      1 + static_cast<std::int64_t>(rng() % 1000), start + i * 200 + jitter});
  }
  for (const auto& o : orders)
    order_lines.push_back(std::to_string(o.id) + "," + o.currency + "," + std::to_string(o.price) +
                          "," + stamp(o.ts));
  for (const auto& r : rates)
    rate_lines.push_back(r.currency + "," + money(r.rate) + "," + stamp(r.ts));
  write_csv(tmp.path() / "orders", order_lines);
  write_csv(tmp.path() / "rates", rate_lines);

  std::multiset<std::string> want_inner, want_left;
  for (const auto& o : orders) {
    const rate* valid = nullptr;
    for (const auto& r : rates)
      if (r.currency == o.currency && r.ts <= o.ts && (!valid || r.ts > valid->ts)) valid = &r;
    if (valid) {
      want_inner.insert(std::to_string(o.id) + "," + money(valid->rate) + "," +
                        money(valid->rate * o.price));
      want_left.insert(std::to_string(o.id) + "," + money(valid->rate));
    } else {
      want_left.insert(std::to_string(o.id) + ",null");
    }
  }
  REQUIRE(want_inner.size() > 1000);
  REQUIRE(want_left.size() - want_inner.size() > 300);  // CHF and orders before a first rate

  const std::string ddl =
      "CREATE TABLE orders (id BIGINT, currency STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK "
      "FOR ts AS ts - INTERVAL '2' SECOND) WITH ('connector' = 'filesystem', 'path' = '" +
      (tmp.path() / "orders").string() +
      "', 'format' = 'csv');\n"
      "CREATE TABLE rates (currency STRING, rate DECIMAL(10, 2), ts TIMESTAMP(3), PRIMARY KEY "
      "(currency) NOT ENFORCED, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) WITH ("
      "'connector' = 'filesystem', 'path' = '" +
      (tmp.path() / "rates").string() +
      "', 'format' = 'csv');\n"
      // A versioned view (Flink's): the rates as an append-only log, deduplicated to each
      // currency's last row by event time.
      "CREATE TABLE rates_log (currency STRING, rate DECIMAL(10, 2), ts TIMESTAMP(3), WATERMARK "
      "FOR ts AS ts - INTERVAL '2' SECOND) WITH ('connector' = 'filesystem', 'path' = '" +
      (tmp.path() / "rates").string() +
      "', 'format' = 'csv');\n"
      "CREATE VIEW versioned_rates AS SELECT currency, rate, ts FROM (SELECT *, ROW_NUMBER() "
      "OVER (PARTITION BY currency ORDER BY ts DESC) AS rownum FROM rates_log) WHERE rownum = "
      "1;\n";
  for (const int p : {1, 4}) {
    CAPTURE(p);
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" + ddl);
    const auto inner = run_ok(s,
                              "SELECT o.id, r.rate, o.price * r.rate FROM orders AS o JOIN rates "
                              "FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency;");
    CHECK(std::all_of(inner.kinds.begin(), inner.kinds.end(), [](auto& k) { return k == "+I"; }));
    CHECK(replay(inner) == want_inner);
    const auto left = run_ok(s,
                             "SELECT o.id, r.rate FROM orders AS o LEFT JOIN rates FOR "
                             "SYSTEM_TIME AS OF o.ts AS r ON r.currency = o.currency;");
    CHECK(replay(left) == want_left);
    const auto view_inner = run_ok(s,
                                   "SELECT o.id, r.rate, o.price * r.rate FROM orders AS o JOIN "
                                   "versioned_rates FOR SYSTEM_TIME AS OF o.ts AS r ON "
                                   "o.currency = r.currency;");
    CHECK(replay(view_inner) == want_inner);
    const auto view_left = run_ok(s,
                                  "SELECT o.id, r.rate FROM orders AS o LEFT JOIN "
                                  "versioned_rates FOR SYSTEM_TIME AS OF o.ts AS r ON r.currency "
                                  "= o.currency;");
    CHECK(replay(view_left) == want_left);
  }
}

TEST_CASE("Temporal joins refuse what they cannot run, at its place",
          "[table][session][temporal]") {
  testing::temp_dir tmp;
  write_csv(tmp.path() / "d", {"EUR,1.00,2020-01-01 00:00:00"});
  const auto path = (tmp.path() / "d").string();
  table::sql_session s;
  run_ok(s,
         "CREATE TABLE o (id BIGINT, currency STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) "
         "WITH ('connector' = 'filesystem', 'path' = '" +
             path +
             "', 'format' = 'csv');\n"
             "CREATE TABLE no_key (currency STRING, rate DECIMAL(10, 2), ts TIMESTAMP(3), "
             "WATERMARK FOR ts AS ts) WITH ('connector' = 'filesystem', 'path' = '" +
             path +
             "', 'format' = 'csv');\n"
             "CREATE TABLE no_time (currency STRING, rate DECIMAL(10, 2), ts TIMESTAMP(3), "
             "PRIMARY KEY (currency) NOT ENFORCED) WITH ('connector' = 'filesystem', 'path' = '" +
             path +
             "', 'format' = 'csv');\n"
             "CREATE TABLE rates (currency STRING, rate DECIMAL(10, 2), ts TIMESTAMP(3), PRIMARY "
             "KEY (currency) NOT ENFORCED, WATERMARK FOR ts AS ts) WITH ('connector' = "
             "'filesystem', 'path' = '" +
             path +
             "', 'format' = 'csv');\n"
             "CREATE VIEW rates_view AS SELECT * FROM rates;\n"
             "CREATE VIEW first_rates AS SELECT currency, rate, ts FROM (SELECT *, ROW_NUMBER() "
             "OVER (PARTITION BY currency ORDER BY ts ASC) AS rn FROM rates) WHERE rn = 1;\n"
             "CREATE VIEW keyless AS SELECT rate, ts FROM (SELECT *, ROW_NUMBER() OVER "
             "(PARTITION BY currency ORDER BY ts DESC) AS rn FROM rates) WHERE rn = 1;\n");
  CHECK_THAT(error_of(s,
                      "SELECT * FROM o JOIN no_key FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency "
                      "= r.currency;"),
             Catch::Contains("requires primary key in versioned table"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM o JOIN no_time FOR SYSTEM_TIME AS OF o.ts AS r ON "
                      "o.currency = r.currency;"),
             Catch::Contains("no row time attribute can be found"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.id = "
                      "CAST(r.rate AS BIGINT);"),
             Catch::Contains("must contain the versioned table's primary key"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM o JOIN rates_view FOR SYSTEM_TIME AS OF o.ts AS r ON "
                      "o.currency = r.currency;"),
             Catch::Contains("'rates_view' is not one: its query is not a deduplication"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM o JOIN first_rates FOR SYSTEM_TIME AS OF o.ts AS r ON "
                      "o.currency = r.currency;"),
             Catch::Contains("must be ORDER BY the event-time attribute DESC"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM o JOIN keyless FOR SYSTEM_TIME AS OF o.ts AS r ON o.id = "
                      "CAST(r.rate AS BIGINT);"),
             Catch::Contains("must select its key 'currency'"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM o FULL JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON "
                      "o.currency = r.currency;"),
             Catch::Contains("INNER or a LEFT join"));
  CHECK_THAT(error_of(s,
                      "SELECT * FROM o LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON "
                      "o.currency = r.currency AND r.rate > 1;"),
             Catch::Contains("LEFT temporal join"));
}
