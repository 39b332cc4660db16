// Logical types: Flink's summary strings, the factories' checks, the physical storage per type.
#include <catch2/catch.hpp>

#include "eddy/rows/logical_type.hpp"
#include "eddy/rows/schema.hpp"

using namespace eddy::rows;

TEST_CASE("logical types print as Flink's summary strings", "[rows][types]") {
  CHECK(bigint_type().to_string() == "BIGINT");
  CHECK(int_type().with_nullable(false).to_string() == "INT NOT NULL");
  CHECK(decimal_type(10, 2).to_string() == "DECIMAL(10, 2)");
  CHECK(string_type().to_string() == "STRING");
  CHECK(varchar_type(20).to_string() == "VARCHAR(20)");
  CHECK(bytes_type().to_string() == "BYTES");
  CHECK(char_type(3).to_string() == "CHAR(3)");
  CHECK(timestamp_type(3).to_string() == "TIMESTAMP(3)");
  CHECK(timestamp_ltz_type(3).to_string() == "TIMESTAMP_LTZ(3)");
  CHECK(time_type().to_string() == "TIME(0)");
  CHECK(array_type(int_type()).to_string() == "ARRAY<INT>");
  CHECK(map_type(string_type(), bigint_type()).to_string() == "MAP<STRING, BIGINT>");
  CHECK(row_type({"a", "b`c"}, {int_type(), string_type().with_nullable(false)}).to_string() ==
        "ROW<`a` INT, `b``c` STRING NOT NULL>");
}

TEST_CASE("logical type factories refuse what Flink refuses and what is not stored yet",
          "[rows][types]") {
  CHECK_THROWS_WITH(decimal_type(39, 2), Catch::Contains("between 1 and 38"));
  CHECK(decimal_type(23, 3).to_string() == "DECIMAL(23, 3)");
  CHECK_THROWS_WITH(decimal_type(5, 6), Catch::Contains("scale"));
  CHECK_THROWS_WITH(varchar_type(0), Catch::Contains("VARCHAR length"));
  CHECK_THROWS_WITH(timestamp_type(10), Catch::Contains("TIMESTAMP precision"));
  CHECK_THROWS_WITH(row_type({"a", "a"}, {int_type(), int_type()}),
                    Catch::Contains("'a' appears twice"));
  CHECK_THROWS(row_type({"a"}, {}));
}

TEST_CASE("each logical type has one physical representation", "[rows][types]") {
  CHECK(boolean_type().physical() == physical_kind::boolean);
  for (const auto& t : {tinyint_type(), smallint_type(), int_type(), date_type(), time_type(),
                        interval_year_month_type()})
    CHECK(t.physical() == physical_kind::int32);
  for (const auto& t : {bigint_type(), decimal_type(18, 4), timestamp_type(), timestamp_ltz_type(),
                        interval_day_time_type()})
    CHECK(t.physical() == physical_kind::int64);
  CHECK(float_type().physical() == physical_kind::float64);
  CHECK(double_type().physical() == physical_kind::float64);
  CHECK(string_type().physical() == physical_kind::string);
  CHECK(bytes_type().physical() == physical_kind::string);
  CHECK(array_type(int_type()).physical() == physical_kind::nested);
  CHECK(bigint_type() != bigint_type().with_nullable(false));
  CHECK(bigint_type().is_integer());
  CHECK(decimal_type(3, 1).is_numeric());
  CHECK_FALSE(string_type().is_numeric());
  CHECK(timestamp_ltz_type().is_timestamp());
}

TEST_CASE("a schema finds columns by exact name and refuses a name twice", "[rows][schema]") {
  schema s;
  s.add("id", bigint_type()).add("name", string_type());
  CHECK(s.size() == 2);
  CHECK(s.index_of("name") == 1);
  CHECK_FALSE(s.index_of("Name"));  // case-sensitive, as Flink
  CHECK_THROWS_WITH(s.add("id", int_type()), Catch::Contains("column 'id' is defined twice"));
  CHECK(s.to_string() == "(`id` BIGINT, `name` STRING)");
  CHECK(schema({{"a", int_type()}}).types() == std::vector<logical_type>{int_type()});
}
