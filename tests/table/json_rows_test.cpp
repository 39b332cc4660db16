// Flink's json format over row batches: random rows written and read back (the reference is the
// rows themselves, with control characters and quotes in strings), Flink's rules for missing
// keys, nulls, numbers in strings and nested values, the options and the errors; a session
// writing a json table and reading it back.
#include <catch2/catch.hpp>

#include <random>

#include "eddy/table/row_format.hpp"
#include "sql_test_data.hpp"
#include "support/test_support.hpp"

using namespace eddy;
using rows::value;

TEST_CASE("json rows: random rows written then read give the same rows", "[table][json]") {
  rows::schema s;
  s.add("id", rows::bigint_type())
      .add("name", rows::string_type())
      .add("price", rows::decimal_type(10, 2))
      .add("ok", rows::boolean_type())
      .add("ts", rows::timestamp_type(3))
      .add("x", rows::double_type());
  std::mt19937_64 rng(13);
  const std::string alphabet = "ab, \"\\'\t\n;x{}\x01";
  for (const bool iso : {false, true}) {
    table::json_row_options o;
    o.iso_timestamps = iso;
    std::vector<std::string> names;
    for (const auto& f : s) names.push_back(f.name);
    table::json_row_encoder enc(names, s.types(), o);
    table::json_row_decoder dec(s, o);
    rows::row_batch written(s), read(s);
    for (int i = 0; i < 500; ++i) {
      std::string name;
      for (auto n = rng() % 6; n > 0; --n) name += alphabet[rng() % alphabet.size()];
      const auto null = [&] { return rng() % 6 == 0; };
      std::vector<value> row{
          null() ? value{} : value(static_cast<std::int64_t>(rng()) / 7),
          null() ? value{} : value(name),
          null() ? value{}
                 : value(static_cast<std::int64_t>(rng() % 2'000'000'000) - 1'000'000'000),
          null() ? value{} : value(rng() % 2 == 0),
          null() ? value{} : value(static_cast<std::int64_t>(rng() % 4'000'000'000'000ULL)),
          null() ? value{} : value(static_cast<double>(rng() % 100000) / 64.0)};
      written.append_row(row);
      std::string why;
      const auto line = enc.encode(written, written.size() - 1);
      CAPTURE(line);
      REQUIRE(line.find('\n') == std::string::npos);
      REQUIRE(dec.decode(line, read, why));
      REQUIRE(why.empty());
      REQUIRE(read.row_values(read.size() - 1) == row);
    }
  }
}

TEST_CASE("json rows: missing keys and nulls are NULL, numbers may be strings, errors name the key",
          "[table][json]") {
  rows::schema s;
  s.add("a", rows::int_type()).add("b", rows::string_type()).add("t", rows::timestamp_type(3));
  table::json_row_decoder dec(s, {});
  rows::row_batch b(s);
  std::string why;
  REQUIRE(dec.decode(R"({"b": {"n": [1, 2]}, "other": 1})", b, why));
  CHECK(b.row_values(0) ==
        std::vector<value>{value{}, value(std::string(R"({"n":[1,2]})")), value{}});
  REQUIRE(dec.decode(R"({"a": "12", "b": null, "t": "2015-07-15T00:00:01.5"})", b, why));
  CHECK(b.row_values(1)[0] == value(std::int32_t{12}));
  CHECK(b.row_values(1)[2] == value(*rows::parse_timestamp("2015-07-15 00:00:01.500")));
  REQUIRE(dec.decode("  ", b, why));  // a blank line is skipped
  CHECK(b.size() == 2);
  CHECK_FALSE(dec.decode(R"({"a": "x"})", b, why));
  CHECK(why == "key 'a': 'x' is not a INT");
  CHECK_FALSE(dec.decode(R"({"a": [1]})", b, why));
  CHECK_THAT(why, Catch::StartsWith("key 'a': [1] is not a INT"));
  CHECK_FALSE(dec.decode(R"({"a": true})", b, why));
  CHECK_FALSE(dec.decode("[1, 2]", b, why));
  CHECK_FALSE(why.empty());
  CHECK(b.size() == 2);

  table::json_row_options strict;
  strict.fail_on_missing_field = true;
  table::json_row_decoder strict_dec(s, strict);
  CHECK_FALSE(strict_dec.decode(R"({"a": 1, "b": "x"})", b, why));
  CHECK(why == "key 't': missing");

  table::json_row_options lenient;
  lenient.ignore_parse_errors = true;
  table::json_row_decoder lenient_dec(s, lenient);
  REQUIRE(lenient_dec.decode(R"({"a": "x", "b": "y"})", b, why));
  CHECK(b.row_values(2) == std::vector<value>{value{}, value(std::string("y")), value{}});
  REQUIRE(lenient_dec.decode("not json", b, why));
  CHECK(b.size() == 3);

  table::row_format f;
  CHECK(table::parse_row_format("json", {{"json.fail-on-missing-field", "true"}}, f).empty());
  CHECK(f.json.fail_on_missing_field);
  CHECK(table::parse_row_format("json", {{"json.bogus", "1"}}, f) ==
        "unsupported option 'json.bogus' (json supports json.fail-on-missing-field, "
        "json.ignore-parse-errors, json.timestamp-format.standard)");
  CHECK(table::parse_row_format("json", {{"csv.field-delimiter", ";"}}, f) ==
        "option 'csv.field-delimiter' does not apply to format 'json'");
  CHECK(table::parse_row_format("avro", {}, f) ==
        "format 'avro' is not supported yet (supported: csv, json)");
}

TEST_CASE("A session writes a json table and reads it back", "[table][session][json]") {
  using namespace eddy::testing::sql_data;
  testing::temp_dir tmp;
  const auto bids = make_bids(300, 17);
  write_bids(tmp.path() / "bid", bids, 2);
  std::vector<std::string> want;
  for (const auto& b : bids)
    want.push_back(std::to_string(b.auction) + "," + b.channel + "," + std::to_string(b.price));
  std::sort(want.begin(), want.end());
  for (const int p : {1, 3}) {
    CAPTURE(p);
    table::sql_session s;
    const auto dir = tmp.path() / ("json-" + std::to_string(p));
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") +
                  "CREATE TABLE j (auction BIGINT, channel STRING, price BIGINT, `dateTime` "
                  "TIMESTAMP(3)) WITH ('connector' = 'filesystem', 'path' = '" +
                  dir.string() + "', 'format' = 'json');\n");
    run_ok(s, "INSERT INTO j SELECT auction, channel, price, `dateTime` FROM bid;");
    const auto lines = read_part_files(dir);
    REQUIRE(lines.size() == bids.size());
    CHECK(lines.front().front() == '{');
    const auto back = run_ok(s, "SELECT auction, channel, price FROM j;");
    std::vector<std::string> got;
    for (const auto& r : back.rows) got.push_back(r[0] + "," + r[1] + "," + r[2]);
    std::sort(got.begin(), got.end());
    CHECK(got == want);
  }
}
