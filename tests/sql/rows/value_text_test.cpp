// Values as text (Flink's CSV forms): integers in range, decimals rounded half up, Java's
// double strings, and every error naming the type.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>

#include "eddy/rows/value_text.hpp"

using namespace eddy::rows;

namespace {

value parsed(std::string_view text, const logical_type& t) {
  value v;
  std::string error;
  if (!parse_value(text, t, v, &error)) FAIL(error);
  return v;
}

std::string error_of(std::string_view text, const logical_type& t) {
  value v;
  std::string error;
  CHECK_FALSE(parse_value(text, t, v, &error));
  return error;
}

}  // namespace

TEST_CASE("integers and booleans parse in range and print back", "[rows][text]") {
  CHECK(parsed("127", tinyint_type()) == value(std::int32_t{127}));
  CHECK(error_of("128", tinyint_type()) == "'128' is not a TINYINT");
  CHECK(parsed("-32768", smallint_type()) == value(std::int32_t{-32768}));
  CHECK(parsed("+42", int_type()) == value(std::int32_t{42}));
  CHECK(error_of("2147483648", int_type()) == "'2147483648' is not a INT");
  CHECK(parsed("-9223372036854775808", bigint_type()) ==
        value(std::numeric_limits<std::int64_t>::min()));
  CHECK(error_of("12x", bigint_type()) == "'12x' is not a BIGINT");
  CHECK(error_of("", bigint_type()) == "'' is not a BIGINT");
  CHECK(error_of(" 1", bigint_type()) == "' 1' is not a BIGINT");
  CHECK(parsed("TRUE", boolean_type()) == value(true));
  CHECK(parsed("false", boolean_type()) == value(false));
  CHECK(error_of("yes", boolean_type()) == "'yes' is not a BOOLEAN");
  CHECK(format_value(value(std::int64_t{-5}), bigint_type()) == "-5");
  CHECK(format_value(value(true), boolean_type()) == "true");
  CHECK(format_value(value{}, bigint_type()).empty());
  CHECK(error_of("x", array_type(int_type())) == "ARRAY<INT> values cannot be read from text");
}

TEST_CASE("decimals round half up to their scale and refuse what does not fit", "[rows][text]") {
  const auto t = decimal_type(5, 2);
  CHECK(parsed("123.45", t) == value(std::int64_t{12345}));
  CHECK(parsed("123.455", t) == value(std::int64_t{12346}));
  CHECK(parsed("-123.455", t) == value(std::int64_t{-12346}));
  CHECK(parsed("123.454", t) == value(std::int64_t{12345}));
  CHECK(parsed(".5", t) == value(std::int64_t{50}));
  CHECK(parsed("1e2", t) == value(std::int64_t{10000}));
  CHECK(parsed("0.004", t) == value(std::int64_t{0}));
  CHECK(parsed("0.005", t) == value(std::int64_t{1}));
  CHECK(parsed("999.994", t) == value(std::int64_t{99999}));
  CHECK(error_of("999.995", t) == "'999.995' does not fit DECIMAL(5, 2)");
  CHECK(error_of("1000", t) == "'1000' does not fit DECIMAL(5, 2)");
  CHECK(error_of("1.2.3", t) == "'1.2.3' is not a DECIMAL(5, 2)");
  CHECK(error_of("-", t) == "'-' is not a DECIMAL(5, 2)");
  // Precision above 18 is a type Flink has; values still hold at most 18 digits.
  const auto wide = decimal_type(23, 3);
  CHECK(parsed("123456789012345.678", wide) == value(std::int64_t{123456789012345678}));
  CHECK(error_of("1234567890123456.789", wide) ==
        "'1234567890123456.789' does not fit DECIMAL(23, 3)");
  CHECK(format_decimal(12345, 2) == "123.45");
  CHECK(format_decimal(-5, 2) == "-0.05");
  CHECK(format_decimal(7, 0) == "7");
  CHECK(format_decimal(std::numeric_limits<std::int64_t>::min(), 18) == "-9.223372036854775808");
  // Random round trips: print then parse gives the value back.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    const int scale = static_cast<int>(rng() % 10);
    const std::int64_t x =
        static_cast<std::int64_t>(rng() % 2'000'000'000'000'000ULL) - 1'000'000'000'000'000LL;
    std::int64_t back = 0;
    REQUIRE(parse_decimal(format_decimal(x, scale), 18, scale, back));
    REQUIRE(back == x);
  }
}

TEST_CASE("doubles print as Java's Double.toString and read back exactly", "[rows][text]") {
  CHECK(java_double_string(1.0) == "1.0");
  CHECK(java_double_string(-0.5) == "-0.5");
  CHECK(java_double_string(100.0) == "100.0");
  CHECK(java_double_string(0.001) == "0.001");
  CHECK(java_double_string(0.0001) == "1.0E-4");
  CHECK(java_double_string(1234567.0) == "1234567.0");
  CHECK(java_double_string(12345678.0) == "1.2345678E7");
  CHECK(java_double_string(1e10) == "1.0E10");
  CHECK(java_double_string(0.1 + 0.2) == "0.30000000000000004");
  CHECK(java_double_string(0.0) == "0.0");
  CHECK(java_double_string(-0.0) == "-0.0");
  CHECK(java_double_string(std::nan("")) == "NaN");
  CHECK(java_double_string(-std::numeric_limits<double>::infinity()) == "-Infinity");
  CHECK(java_float_string(0.1f) == "0.1");
  CHECK(parsed("1.5E3", double_type()) == value(1500.0));
  CHECK(error_of("1.5x", double_type()) == "'1.5x' is not a DOUBLE");
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    const double d =
        std::ldexp(static_cast<double>(rng() % (1ULL << 53)), static_cast<int>(rng() % 200) - 100);
    const auto text = java_double_string(d);
    REQUIRE(std::strtod(text.c_str(), nullptr) == d);
  }
}

TEST_CASE("temporal and string values go through text as Flink's CSV writes them", "[rows][text]") {
  CHECK(parsed("2020-01-31", date_type()) == value(std::int32_t{18292}));
  CHECK(format_value(value(std::int32_t{18292}), date_type()) == "2020-01-31");
  const auto ts = parsed("2020-01-31 12:03:04.120", timestamp_type());
  CHECK(format_value(ts, timestamp_type()) == "2020-01-31 12:03:04.12");
  CHECK(format_value(ts, timestamp_ltz_type()) == "2020-01-31 12:03:04.12Z");
  CHECK(error_of("2020-01-31", timestamp_type()) == "'2020-01-31' is not a TIMESTAMP(3)");
  CHECK(parsed("a,b", string_type()) == value(std::string("a,b")));
  CHECK(format_value(value(std::string("x")), string_type()) == "x");
}
