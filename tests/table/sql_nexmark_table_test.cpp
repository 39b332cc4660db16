// The SQL table 'connector' = 'nexmark' (table/src/nexmark_table.cpp, issue 20): the generator's
// events of one type as rows, at parallelism 1 and 3, in an event-time window, and its errors.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "eddy/connectors/nexmark/generator.hpp"
#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace sql_nexmark_table_test {

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

constexpr const char* options =
    "'connector' = 'nexmark', 'events.num' = '20000', 'seed' = '5', 'first-event.rate' = '2000'";

std::string bid_table() {
  return std::string(
             "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, "
             "url VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR, "
             "WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND) WITH (") +
         options + ", 'event.type' = 'bid');\n";
}

std::string person_table() {
  return std::string(
             "CREATE TABLE person (`dateTime` TIMESTAMP(3), id BIGINT, name VARCHAR, "
             "emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR, state VARCHAR, "
             "extra VARCHAR) WITH (") +
         options + ", 'event.type' = 'person');\n";
}

}  // namespace sql_nexmark_table_test

using namespace sql_nexmark_table_test;

TEST_CASE(
    "a nexmark table holds the generator's events of its type at parallelism 1 and 3, and "
    "event-time windows over it close",
    "[table][session][nexmark]") {
  testing::temp_dir tmp;
  nexmark::config c;
  c.events = 20000;
  c.seed = 5;
  c.first_event_rate = 2000;  // 10 s of event time
  const nexmark::generator gen(c);
  std::vector<std::string> want_bids, want_people, want_windows;
  std::map<std::int64_t, std::int64_t> per_second;
  for (std::uint64_t g = 0; g < c.events; ++g) {
    const auto e = gen.make(g);
    if (e.type == nexmark::event_type::bid) {
      const auto& b = e.new_bid;
      want_bids.push_back(std::to_string(b.auction) + "," + std::to_string(b.bidder) + "," +
                          std::to_string(b.price) + "," + quoted(b.channel) + "," + quoted(b.url) +
                          "," + stamp(b.date_time) + "," + quoted(b.extra));
      ++per_second[b.date_time / 1000 * 1000];
    } else if (e.type == nexmark::event_type::person) {
      const auto& p = e.new_person;
      want_people.push_back(std::to_string(p.id) + "," + quoted(p.name) + "," +
                            quoted(p.email_address) + "," + p.credit_card + "," + p.city + "," +
                            p.state + "," + stamp(p.date_time));
    }
  }
  for (const auto& [start, n] : per_second)
    want_windows.push_back(stamp(start) + "," + stamp(start + 1000) + "," + std::to_string(n));
  for (auto* v : {&want_bids, &want_people, &want_windows}) std::sort(v->begin(), v->end());
  REQUIRE(want_people.size() == 400);

  for (const int p : {1, 3}) {
    CAPTURE(p);
    table::sql_session s;
    const auto out = tmp.path() / ("out-" + std::to_string(p));
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" + bid_table() +
                  person_table() +
                  sink_ddl(out, "bids",
                           "auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url "
                           "VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR") +
                  sink_ddl(out, "people",
                           "id BIGINT, name VARCHAR, email VARCHAR, card VARCHAR, city VARCHAR, "
                           "state VARCHAR, `dateTime` TIMESTAMP(3)") +
                  sink_ddl(out, "windows",
                           "window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT"));
    run_ok(s, "INSERT INTO bids SELECT * FROM bid;");
    run_ok(s,
           "INSERT INTO people SELECT id, name, emailAddress, creditCard, city, state, "
           "`dateTime` FROM person;");
    run_ok(s,
           "INSERT INTO windows SELECT window_start, window_end, COUNT(*) FROM TABLE("
           "TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '1' SECOND)) "
           "GROUP BY window_start, window_end;");
    CHECK(difference(read_part_files(out / "bids"), want_bids).empty());
    CHECK(difference(read_part_files(out / "people"), want_people).empty());
    CHECK(difference(read_part_files(out / "windows"), want_windows).empty());
  }
}

TEST_CASE("a nexmark table's errors name the table, the option or the column",
          "[table][session][nexmark]") {
  table::sql_session s;
  auto select_from = [&](const std::string& ddl) { return error_of(s, ddl + "SELECT * FROM t;"); };
  CHECK_THAT(select_from("CREATE TABLE t (price BIGINT) WITH ('connector' = 'nexmark');"),
             Catch::Contains("Table 't' needs the option 'event.type' (connector 'nexmark')"));
  CHECK_THAT(select_from("DROP TABLE t; CREATE TABLE t (price BIGINT) WITH ('connector' = "
                         "'nexmark', 'event.type' = 'bids');"),
             Catch::Contains("Invalid value 'bids' of option 'event.type' for table 't'"));
  CHECK_THAT(select_from("DROP TABLE t; CREATE TABLE t (cost BIGINT) WITH ('connector' = "
                         "'nexmark', 'event.type' = 'bid');"),
             Catch::Contains("the column 'cost' is not a field of a Nexmark bid"));
  CHECK_THAT(select_from("DROP TABLE t; CREATE TABLE t (price INT) WITH ('connector' = "
                         "'nexmark', 'event.type' = 'bid');"),
             Catch::Contains("the column 'price' is INT but the Nexmark field is BIGINT"));
  CHECK_THAT(select_from("DROP TABLE t; CREATE TABLE t (price BIGINT) WITH ('connector' = "
                         "'nexmark', 'event.type' = 'bid', 'events.num' = 'many');"),
             Catch::Contains("Invalid value 'many' of option 'events.num' (connector 'nexmark')"));
}

TEST_CASE("the nexmark_generator.sql sample runs: four 5 s windows of 46,000 bids",
          "[table][session][nexmark]") {
  std::ifstream in(std::string(EDDY_SOURCE_DIR) + "/samples/sql/nexmark_generator.sql");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  table::sql_session s;
  std::vector<table::statement_result> results;
  auto r =
      s.execute_script(text.str(), [&](const table::statement_result& x) { results.push_back(x); });
  if (!r) FAIL(sql::render_error(text.str(), r.error()));
  const auto select =
      std::find_if(results.begin(), results.end(), [](const auto& x) { return !x.header.empty(); });
  REQUIRE(select != results.end());
  REQUIRE(select->rows.size() == 4);
  for (const auto& row : select->rows) CHECK(row[1] == "46000");
}
