#include "eddy/operators/to_text.hpp"

#include <catch2/catch.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

namespace geo {
/// A user type with a to_text overload found by ADL.
struct point {
  int x;
  int y;
};
inline std::string to_text(const point& p) {
  return "(" + std::to_string(p.x) + " " + std::to_string(p.y) + ")";
}

/// A user type with both to_text and operator<<: to_text wins.
struct both {};
inline std::string to_text(const both&) {
  return "via to_text";
}
inline std::ostream& operator<<(std::ostream& os, const both&) {
  return os << "via ostream";
}
}  // namespace geo

namespace money {
/// A user type with only operator<<.
struct amount {
  long cents;
};
inline std::ostream& operator<<(std::ostream& os, const amount& a) {
  return os << a.cents / 100 << '.' << (a.cents % 100 < 10 ? "0" : "") << a.cents % 100;
}
}  // namespace money

TEST_CASE("strings are written as they are") {
  CHECK(eddy::format_text(std::string("hello world")) == "hello world");
  CHECK(eddy::format_text(std::string()) == "");
  CHECK(eddy::format_text(std::string_view("view")) == "view");
  CHECK(eddy::format_text("literal") == "literal");
  const char* p = "pointer";
  CHECK(eddy::format_text(p) == "pointer");
  CHECK(eddy::format_text(std::string("a,b\tc")) == "a,b\tc");  // no quoting or escaping
  CHECK(eddy::format_text('x') == "x");
}

TEST_CASE("append_text appends to the existing content") {
  std::string out = "n=";
  eddy::append_text(out, 42);
  out += "; s=";
  eddy::append_text(out, std::string("abc"));
  out += "; b=";
  eddy::append_text(out, false);
  CHECK(out == "n=42; s=abc; b=false");
}

TEST_CASE("integers are written in decimal") {
  CHECK(eddy::format_text(0) == "0");
  CHECK(eddy::format_text(-17) == "-17");
  CHECK(eddy::format_text(std::numeric_limits<std::int64_t>::max()) == "9223372036854775807");
  CHECK(eddy::format_text(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
  CHECK(eddy::format_text(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
  CHECK(eddy::format_text(std::uint8_t{65}) == "65");  // a number, not the character 'A'
  CHECK(eddy::format_text(std::int8_t{-5}) == "-5");
  CHECK(eddy::format_text(static_cast<short>(300)) == "300");
}

TEST_CASE("doubles are written in their shortest round-trip form") {
  CHECK(eddy::format_text(0.1) == "0.1");
  CHECK(eddy::format_text(1.0) == "1");
  CHECK(eddy::format_text(2.5) == "2.5");
  CHECK(eddy::format_text(-0.375) == "-0.375");
  CHECK(eddy::format_text(0.1 + 0.2) == "0.30000000000000004");
  CHECK(eddy::format_text(1e21) == "1e+21");
  CHECK(eddy::format_text(1.5e-10) == "1.5e-10");
  CHECK(eddy::format_text(123456.789) == "123456.789");
  CHECK(eddy::format_text(0.0) == "0");
  CHECK(eddy::format_text(-0.0) == "-0");
  CHECK(eddy::format_text(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(eddy::format_text(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(eddy::format_text(std::nan("")) == "nan");
  CHECK(eddy::format_text(0.1f) == "0.1");  // floats too: shortest for float, not double
}

TEST_CASE("doubles written as text parse back to the same value") {
  for (double d :
       {0.1, 1.0 / 3.0, 2.0 / 3.0, 1e-300, 1.7976931348623157e308, 4.9e-324, 3.14159, -123.456e7}) {
    const std::string s = eddy::format_text(d);
    INFO(s);
    double back = 0;
    const auto res = std::from_chars(s.data(), s.data() + s.size(), back);
    CHECK(res.ec == std::errc());
    CHECK(res.ptr == s.data() + s.size());
    CHECK(back == d);
  }
}

TEST_CASE("booleans are written as true and false") {
  CHECK(eddy::format_text(true) == "true");
  CHECK(eddy::format_text(false) == "false");
}

TEST_CASE("pairs and tuples are written as comma-joined fields") {
  CHECK(eddy::format_text(std::make_pair(std::string("word"), 3)) == "word,3");
  CHECK(eddy::format_text(std::make_pair(1.5, true)) == "1.5,true");
  CHECK(eddy::format_text(std::make_tuple(1, std::string("two"), 3.5, false)) == "1,two,3.5,false");
  CHECK(eddy::format_text(std::make_tuple(7)) == "7");
  CHECK(eddy::format_text(std::tuple<>()) == "");
}

TEST_CASE("nested pairs and tuples are flattened with commas") {
  CHECK(eddy::format_text(std::make_pair(std::make_pair(1, 2), 3)) == "1,2,3");
  CHECK(eddy::format_text(std::make_tuple(std::string("k"), std::make_tuple(1, 2), 3)) ==
        "k,1,2,3");
}

TEST_CASE("optionals are written as their value or nothing") {
  CHECK(eddy::format_text(std::optional<int>(5)) == "5");
  CHECK(eddy::format_text(std::optional<int>()) == "");
  CHECK(eddy::format_text(std::optional<std::string>("s")) == "s");
  CHECK(eddy::format_text(std::make_pair(1, std::optional<double>())) == "1,");
  CHECK(eddy::format_text(std::make_tuple(std::optional<int>(), std::optional<int>(2))) == ",2");
}

TEST_CASE("a type with an ADL to_text uses it") {
  CHECK(eddy::format_text(geo::point{1, -2}) == "(1 -2)");
  CHECK(eddy::format_text(std::make_pair(std::string("at"), geo::point{3, 4})) == "at,(3 4)");
  CHECK(eddy::format_text(std::optional<geo::point>(geo::point{0, 0})) == "(0 0)");
}

TEST_CASE("to_text takes precedence over operator<<") {
  CHECK(eddy::format_text(geo::both{}) == "via to_text");
}

TEST_CASE("a type with only operator<< is written through the stream operator") {
  CHECK(eddy::format_text(money::amount{1205}) == "12.05");
  CHECK(eddy::format_text(std::make_tuple(money::amount{300}, 1)) == "3.00,1");
}
