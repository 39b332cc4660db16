// Flink's csv format over row batches: random rows written and read back (the reference is the
// rows themselves), Flink's NULL rules, options and errors.
#include <catch2/catch.hpp>

#include <random>

#include "eddy/table/csv_rows.hpp"

using namespace eddy;
using rows::value;

TEST_CASE("csv rows: random rows written then read give the same rows", "[table][csv]") {
  rows::schema s;
  s.add("id", rows::bigint_type())
      .add("name", rows::string_type())
      .add("price", rows::decimal_type(10, 2))
      .add("ok", rows::boolean_type())
      .add("ts", rows::timestamp_type(3))
      .add("x", rows::double_type());
  std::mt19937_64 rng(9);
  const std::string alphabet = "ab, \"'\t;x";
  for (const char delim : {',', ';', '\t'}) {
    table::csv_row_options o;
    o.delimiter = delim;
    o.null_literal = "\\N";
    o.has_null_literal = true;
    table::csv_row_encoder enc(s.types(), o);
    table::csv_row_decoder dec(s, o);
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
      REQUIRE(dec.decode(line, read, why));
      REQUIRE(why.empty());
      REQUIRE(read.row_values(read.size() - 1) == row);
    }
  }
}

TEST_CASE("csv rows: empty fields are NULL except for strings, errors name the field",
          "[table][csv]") {
  rows::schema s;
  s.add("a", rows::int_type()).add("b", rows::string_type());
  table::csv_row_decoder dec(s, {});
  rows::row_batch b(s);
  std::string why;
  REQUIRE(dec.decode(",", b, why));
  CHECK(b.row_values(0) == std::vector<value>{value{}, value(std::string())});
  CHECK_FALSE(dec.decode("x,y", b, why));
  CHECK(why == "field 1 (a): 'x' is not a INT");
  CHECK_FALSE(dec.decode("1", b, why));
  CHECK(why == "expected 2 fields, found 1");
  CHECK_FALSE(dec.decode("1,\"y", b, why));
  CHECK(b.size() == 1);  // nothing appended by the failed lines
  REQUIRE(dec.decode("7,\"a,\"\"b\"\"\"\r", b, why));
  CHECK(b.row_values(1) ==
        std::vector<value>{value(std::int32_t{7}), value(std::string("a,\"b\""))});

  table::csv_row_options lenient;
  lenient.ignore_parse_errors = true;
  lenient.allow_comments = true;
  table::csv_row_decoder dec2(s, lenient);
  rows::row_batch b2(s);
  REQUIRE(dec2.decode("x,y", b2, why));
  CHECK(b2.row_values(0) == std::vector<value>{value{}, value(std::string("y"))});
  CHECK(dec2.nulled_lines() == 1);
  REQUIRE(dec2.decode("# a comment", b2, why));
  CHECK(b2.size() == 1);
}

TEST_CASE("csv rows: a line failing at a later field leaves no part of it in the batch",
          "[table][csv]") {
  rows::schema s;
  s.add("name", rows::string_type())
      .add("n", rows::bigint_type())
      .add("d", rows::decimal_type(5, 2));
  table::csv_row_decoder dec(s, {});
  rows::row_batch b(s);
  std::string why;
  REQUIRE(dec.decode("a,1,2.5", b, why));
  CHECK_FALSE(dec.decode("b,,x", b, why));  // name and a NULL n appended, then d fails
  CHECK(why == "field 3 (d): 'x' is not a DECIMAL(5, 2)");
  CHECK_FALSE(dec.decode("c,+2,1000", b, why));  // +2 read by the general path, d too long
  CHECK(why == "field 3 (d): '1000' does not fit DECIMAL(5, 2)");
  REQUIRE(dec.decode("d,+3,", b, why));
  REQUIRE(b.size() == 2);
  for (std::size_t c = 0; c < 3; ++c) CHECK(b.column(c).size() == 2);
  CHECK(b.row_values(0) == std::vector<value>{value(std::string("a")), value(std::int64_t{1}),
                                              value(std::int64_t{250})});
  CHECK(b.row_values(1) ==
        std::vector<value>{value(std::string("d")), value(std::int64_t{3}), value{}});
}

TEST_CASE("csv rows: a projection decodes only its fields, in its order, and still checks the rest",
          "[table][csv]") {
  rows::schema s;
  s.add("name", rows::string_type())
      .add("n", rows::bigint_type())
      .add("d", rows::decimal_type(5, 2))
      .add("ts", rows::timestamp_type(3));
  // ts first, then n; name and d are not decoded.
  const std::vector<int> projection{-1, 1, -1, 0};
  table::csv_row_decoder dec(s, {}, projection);
  rows::schema kept;
  kept.add("ts", rows::timestamp_type(3)).add("n", rows::bigint_type());
  rows::row_batch b(kept);
  std::string why;
  REQUIRE(dec.decode("any \"text,7,1.5,1970-01-01 00:00:01", b, why) == false);  // bad quote
  REQUIRE(dec.decode("any text,7,1.5,1970-01-01 00:00:01", b, why));
  REQUIRE(dec.decode(",8,,1970-01-01 00:00:02.5", b, why));
  CHECK_FALSE(dec.decode("x,9,oops,1970-01-01 00:00:03", b, why));  // d is checked, not kept
  CHECK(why == "field 3 (d): 'oops' is not a DECIMAL(5, 2)");
  CHECK_FALSE(dec.decode("x,9", b, why));
  REQUIRE(b.size() == 2);
  CHECK(b.row_values(0) == std::vector<value>{value(std::int64_t{1000}), value(std::int64_t{7})});
  CHECK(b.row_values(1) == std::vector<value>{value(std::int64_t{2500}), value(std::int64_t{8})});
  // With csv.ignore-parse-errors a bad skipped field only counts the line.
  table::csv_row_options lenient;
  lenient.ignore_parse_errors = true;
  table::csv_row_decoder loose(s, lenient, projection);
  REQUIRE(loose.decode("x,9,oops,1970-01-01 00:00:03", b, why));
  CHECK(loose.nulled_lines() == 1);
  CHECK(b.row_values(2) == std::vector<value>{value(std::int64_t{3000}), value(std::int64_t{9})});
}

TEST_CASE("csv options: Flink's keys, bad values and unknown keys are errors", "[table][csv]") {
  table::csv_row_options o;
  CHECK(table::parse_csv_options(
            {{"csv.field-delimiter", "|"}, {"csv.allow-comments", "true"}, {"format", "csv"}}, o)
            .empty());
  CHECK(o.delimiter == '|');
  CHECK(o.allow_comments);
  CHECK(table::parse_csv_options({{"csv.field-delimiter", "\\t"}}, o).empty());
  CHECK(o.delimiter == '\t');
  CHECK(table::parse_csv_options({{"csv.field-delimiter", "ab"}}, o) ==
        "Option 'csv.field-delimiter' has an invalid value 'ab'");
  CHECK_THAT(table::parse_csv_options({{"csv.bogus", "1"}}, o),
             Catch::Contains("Unsupported option 'csv.bogus'"));
}
