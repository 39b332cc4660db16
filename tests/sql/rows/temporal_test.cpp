// Dates, times and timestamps as text: against a day-by-day calendar walk (the brute-force
// reference), and Flink's text forms.
#include <catch2/catch.hpp>

#include <cstdio>
#include <random>

#include "eddy/rows/temporal.hpp"

using namespace eddy::rows;

namespace {

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
int month_days(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : d[m - 1];
}

}  // namespace

TEST_CASE("dates: every day from 1900 to 2100 against a calendar walk", "[rows][temporal]") {
  int y = 1970, m = 1, d = 1, days = 0;
  // Walk back to 1900-01-01 first.
  while (y > 1900 || m > 1 || d > 1) {
    if (--d == 0) {
      if (--m == 0) {
        m = 12;
        --y;
      }
      d = month_days(y, m);
    }
    --days;
  }
  for (; y < 2100; ++days) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    REQUIRE(parse_date(buf) == days);
    REQUIRE(format_date(days) == buf);
    if (++d > month_days(y, m)) {
      d = 1;
      if (++m > 12) {
        m = 1;
        ++y;
      }
    }
  }
}

TEST_CASE("dates and times that do not exist are not parsed", "[rows][temporal]") {
  for (const char* bad :
       {"2021-02-29", "2020-13-01", "2020-00-10", "2020-1-01", "2020-01-01 ", "20200101", ""})
    CHECK_FALSE(parse_date(bad));
  CHECK(parse_date("2020-02-29"));
  for (const char* bad :
       {"24:00:00", "12:60:00", "12:00:60", "12:00", "12:00:00.", "1:00:00", "12:00:00.1234567890"})
    CHECK_FALSE(parse_time(bad));
  for (const char* bad : {"2020-01-01", "2020-01-01 12:00", "2020-01-01X12:00:00",
                          "2020-01-01 12:00:00Z", "2020-01-01 12:00:00.123 "})
    CHECK_FALSE(parse_timestamp(bad));
  CHECK(parse_timestamp("2020-01-01 12:00:00Z", true) == parse_timestamp("2020-01-01 12:00:00"));
}

TEST_CASE("times and timestamps keep milliseconds and print Flink's fraction", "[rows][temporal]") {
  CHECK(parse_time("00:00:00") == 0);
  CHECK(parse_time("23:59:59.999") == 86'399'999);
  CHECK(parse_time("12:00:00.1239") == 43'200'123);  // truncated to ms
  CHECK(parse_time("12:00:00.123456789") == 43'200'123);
  CHECK(format_time(43'200'000) == "12:00:00");
  CHECK(format_time(43'200'500) == "12:00:00.5");
  CHECK(format_time(43'200'120) == "12:00:00.12");
  CHECK(format_time(43'200'001) == "12:00:00.001");
  CHECK(parse_timestamp("1970-01-01 00:00:00.000") == 0);
  CHECK(parse_timestamp("2015-07-15T00:00:01.5") == 1'436'918'401'500);
  CHECK(format_timestamp(1'436'918'401'500) == "2015-07-15 00:00:01.5");
  CHECK(format_timestamp(-1) == "1969-12-31 23:59:59.999");
  CHECK(format_timestamp(0, true) == "1970-01-01 00:00:00Z");
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const auto ms = static_cast<std::int64_t>(rng() % 8'000'000'000'000ULL) - 2'000'000'000'000LL;
    const auto text = format_timestamp(ms);
    REQUIRE(parse_timestamp(text) == ms);
  }
}
