// Built-in scalar functions (values from Flink's "System (Built-in) Functions" docs), the
// Nexmark queries' expressions over bid rows, user-defined functions through function_registry,
// and temporal functions against the C library (gmtime/strftime) on random timestamps.
#include <algorithm>
#include <ctime>
#include <random>

#include "eddy/rows/temporal.hpp"

#include "expr_test_support.hpp"

using namespace eddy;
using namespace eddy::sql;
using namespace eddy::sql::testing;
using rows::value;

TEST_CASE("expr: string functions", "[sql][expr]") {
  CHECK(eval_text("LOWER('HeLLo')") == "hello");
  CHECK(eval_text("UPPER('HeLLo')") == "HELLO");
  CHECK(eval_text("INITCAP('hello wORLD')") == "Hello World");
  CHECK(eval_text("CHAR_LENGTH('héllo')") == "5");
  CHECK(eval_text("CHARACTER_LENGTH('')") == "0");
  CHECK(eval_text("SUBSTRING('Hello World', 7)") == "World");
  CHECK(eval_text("SUBSTRING('Hello World' FROM 1 FOR 5)") == "Hello");
  CHECK(eval_text("SUBSTRING('Hello World', -5, 3)") == "Wor");
  CHECK(eval_text("SUBSTRING('héllo', 2, 2)") == "él");
  CHECK(eval_text("TRIM('  hi  ')") == "hi");
  CHECK(eval_text("TRIM(LEADING 'x' FROM 'xxhixx')") == "hixx");
  CHECK(eval_text("TRIM(TRAILING FROM '  hi  ')") == "  hi");
  CHECK(eval_text("TRIM(BOTH 'ab' FROM 'abhiba')") == "hi");
  CHECK(eval_text("LTRIM('  hi ')") == "hi ");
  CHECK(eval_text("RTRIM(' hi  ')") == " hi");
  CHECK(eval_text("CONCAT('a', 'b', 'c')") == "abc");
  CHECK(eval_text("CONCAT('a', NULL)") == "NULL");
  CHECK(eval_text("CONCAT_WS('-', 'a', NULL, 'c')") == "a-c");
  CHECK(eval_text("CONCAT_WS(NULL, 'a')") == "NULL");
  CHECK(eval_text("'a' || 'b'") == "ab");
  CHECK(eval_text("REPLACE('hello world', 'o', '0')") == "hell0 w0rld");
  CHECK(eval_text("POSITION('lo' IN 'hello')") == "4");
  CHECK(eval_text("POSITION('x' IN 'hello')") == "0");
  CHECK(eval_text("SPLIT_INDEX('a/b/c', '/', 1)") == "b");
  CHECK(eval_text("SPLIT_INDEX('a/b/c', '/', 3)") == "NULL");
  CHECK(eval_text("SPLIT_INDEX('a//c', '/', 1)") == "");
  CHECK(eval_text("SPLIT_INDEX('', '/', 0)") == "NULL");  // Commons: no tokens
  CHECK(eval_text("REGEXP_EXTRACT('foothebar', 'foo(.*?)(bar)', 2)") == "bar");
  CHECK(eval_text("REGEXP_EXTRACT('foothebar', 'foo(.*?)(bar)')") == "foothebar");  // group 0
  CHECK(eval_text("REGEXP_EXTRACT('foothebar', 'x(.*)', 1)") == "NULL");
  CHECK(eval_text("REGEXP_REPLACE('foobar', 'oo|ar', '')") == "fb");
  CHECK(eval_text("REGEXP('abc', 'b+')") == "true");
  CHECK(eval_text("LPAD('hi', 4, '**')") == "**hi");
  CHECK(eval_text("LPAD('hi', 1, '**')") == "h");
  CHECK(eval_text("RPAD('hi', 5, 'ab')") == "hiaba");
  CHECK(eval_text("REPEAT('ab', 3)") == "ababab");
  CHECK(eval_text("REVERSE('abc')") == "cba");
  CHECK(eval_text("LEFT('hello', 2)") == "he");
  CHECK(eval_text("RIGHT('hello', 2)") == "lo");
}

TEST_CASE("expr: LIKE and SIMILAR TO", "[sql][expr]") {
  CHECK(eval_text("'hello' LIKE 'h%o'") == "true");
  CHECK(eval_text("'hello' LIKE 'h_llo'") == "true");
  CHECK(eval_text("'hello' LIKE 'H%'") == "false");
  CHECK(eval_text("'hello' NOT LIKE '%x%'") == "true");
  CHECK(eval_text("'héllo' LIKE 'h_llo'") == "true");
  CHECK(eval_text("'100%' LIKE '100!%' ESCAPE '!'") == "true");
  CHECK(eval_text("'1000' LIKE '100!%' ESCAPE '!'") == "false");
  CHECK(eval_text("'a_c' LIKE 'a\\_c' ESCAPE '\\'") == "true");
  CHECK(eval_text("'abc' LIKE 'a.c'") == "false");
  CHECK(eval_text("CAST(NULL AS STRING) LIKE 'a'") == "NULL");
  CHECK(eval_text("'abc' SIMILAR TO 'a(b|x)c'") == "true");
  CHECK(eval_text("'abc' SIMILAR TO '%(b|x)_'") == "true");
  CHECK(eval_text("'abd' SIMILAR TO 'a(b|x)c'") == "false");
  CHECK(eval_text("'a.c' SIMILAR TO 'a.c'") == "true");
  CHECK(eval_text("'abc' SIMILAR TO 'a.c'") == "false");
}

TEST_CASE("expr: math and conditional functions", "[sql][expr]") {
  CHECK(eval_text("MOD(10, 3)") == "1");
  CHECK(eval_text("ABS(-5)") == "5");
  CHECK(eval_text("ABS(-5.25)") == "5.25");
  CHECK(eval_text("ABS(-2.5E0)") == "2.5");
  CHECK(eval_text("FLOOR(2.7E0)") == "2.0");
  CHECK(eval_text("CEIL(2.1E0)") == "3.0");
  CHECK(eval_text("FLOOR(-2.25)") == "-3");
  CHECK(eval_text("CEIL(-2.25)") == "-2");
  CHECK(eval_text("ROUND(125.315, 2)") == "125.32");
  CHECK(eval_text("ROUND(-125.315, 2)") == "-125.32");
  CHECK(eval_text("ROUND(125.315)") == "125");
  CHECK(eval_text("ROUND(125.315, -1)") == "130");
  CHECK(eval_text("POWER(2, 10)") == "1024.0");
  CHECK(eval_text("SQRT(16)") == "4.0");
  CHECK(eval_text("SIGN(-3.5)") == "-1.0");
  CHECK(eval_text("LN(1)") == "0.0");
  CHECK(eval_text("LOG10(1000)") == "3.0");
  CHECK(eval_text("GREATEST(1, 5, 3)") == "5");
  CHECK(eval_text("LEAST(1.5, 0.5, 3)") == "0.5");
  CHECK(eval_text("GREATEST('a', 'b')") == "b");
  CHECK(eval_text("GREATEST(1, NULL)") == "NULL");
  CHECK(eval_text("COALESCE(NULL, NULL, 'x')") == "x");
  CHECK(eval_text("IFNULL(NULL, 3)") == "3");
  CHECK(eval_text("IF(NULL, 1, 2)") == "2");
  CHECK(eval_text("NULLIF('a', 'b')") == "a");
}

TEST_CASE("expr: temporal functions", "[sql][expr]") {
  const std::string ts = "TIMESTAMP '2021-03-07 14:05:09.042'";
  CHECK(eval_text("YEAR(" + ts + ")") == "2021");
  CHECK(eval_text("QUARTER(" + ts + ")") == "1");
  CHECK(eval_text("MONTH(" + ts + ")") == "3");
  CHECK(eval_text("DAYOFMONTH(" + ts + ")") == "7");
  CHECK(eval_text("DAYOFWEEK(" + ts + ")") == "1");  // a Sunday
  CHECK(eval_text("DAYOFYEAR(" + ts + ")") == "66");
  CHECK(eval_text("WEEK(" + ts + ")") == "9");
  CHECK(eval_text("HOUR(" + ts + ")") == "14");
  CHECK(eval_text("MINUTE(" + ts + ")") == "5");
  CHECK(eval_text("SECOND(" + ts + ")") == "9");
  CHECK(eval_text("EXTRACT(YEAR FROM DATE '2006-06-05')") == "2006");
  CHECK(eval_text("EXTRACT(DAY FROM " + ts + ")") == "7");
  CHECK(eval_text("EXTRACT(HOUR FROM TIME '12:30:00')") == "12");
  CHECK(eval_text("DATE_FORMAT(" + ts + ", 'yyyy-MM-dd')") == "2021-03-07");
  CHECK(eval_text("DATE_FORMAT(" + ts + ", 'HH:mm')") == "14:05");
  CHECK(eval_text("DATE_FORMAT(" + ts + ", 'yyyy-MM-dd HH:mm:ss.SSS')") ==
        "2021-03-07 14:05:09.042");
  CHECK(eval_text("DATE_FORMAT(" + ts + ", 'EEE, d MMM yy h:mm a ''at'' D')") ==
        "Sun, 7 Mar 21 2:05 PM at 66");
  CHECK(eval_text("DATE_FORMAT('2021-03-07 14:05:09', 'yyyyMMdd')") == "20210307");
  CHECK(eval_text("DATE_FORMAT('not a time', 'yyyyMMdd')") == "NULL");
  CHECK(eval_text("TO_TIMESTAMP('2021-03-07 14:05:09')") == "2021-03-07 14:05:09");
  CHECK(eval_text("TO_TIMESTAMP('07/03/2021 14.05', 'dd/MM/yyyy HH.mm')") == "2021-03-07 14:05:00");
  CHECK(eval_text("TO_TIMESTAMP('20210307140509', 'yyyyMMddHHmmss')") == "2021-03-07 14:05:09");
  CHECK(eval_text("TO_TIMESTAMP('2021-02-30 00:00:00')") == "NULL");
  CHECK(eval_text("TO_DATE('2021-03-07')") == "2021-03-07");
  CHECK(eval_text("UNIX_TIMESTAMP('1970-01-01 00:01:40')") == "100");
  CHECK(eval_text("FROM_UNIXTIME(100)") == "1970-01-01 00:01:40");
  CHECK(eval_text("TO_TIMESTAMP_LTZ(1615125909042, 3)") == "2021-03-07 14:05:09.042Z");
  CHECK(eval_text("TO_TIMESTAMP_LTZ(1615125909042)") == "2021-03-07 14:05:09.042Z");
  CHECK(eval_text("TO_TIMESTAMP_LTZ(1615125909, 0)") == "2021-03-07 14:05:09Z");
  CHECK(eval_text("TO_TIMESTAMP_LTZ(CAST(NULL AS BIGINT), 3)") == "NULL");
  CHECK(
      compile_error("TO_TIMESTAMP_LTZ(1, 6)", {})
          .find(
              "Function TO_TIMESTAMP_LTZ: the precision must be the literal 0 (epoch seconds) or 3 "
              "(epoch milliseconds) at line 1, column 1.") == 0);
  const std::int64_t now = 1'615'125'909'042;  // 2021-03-07 14:05:09.042 UTC
  CHECK(eval_text("CURRENT_TIMESTAMP", now) == "2021-03-07 14:05:09.042Z");
  CHECK(eval_text("NOW()", now) == "2021-03-07 14:05:09.042Z");
  CHECK(eval_text("LOCALTIMESTAMP", now) == "2021-03-07 14:05:09.042");
  CHECK(eval_text("CURRENT_DATE", now) == "2021-03-07");
  CHECK(eval_text("UNIX_TIMESTAMP()", now) == "1615125909");
}

TEST_CASE("expr: temporal functions match gmtime and strftime on random timestamps",
          "[sql][expr]") {
  const scope s = {{"", "ts", rows::timestamp_type(3)}};
  const char* sql[] = {"YEAR(ts)",
                       "MONTH(ts)",
                       "DAYOFMONTH(ts)",
                       "HOUR(ts)",
                       "MINUTE(ts)",
                       "SECOND(ts)",
                       "DAYOFWEEK(ts)",
                       "DAYOFYEAR(ts)",
                       "EXTRACT(WEEK FROM ts)",
                       "DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss')",
                       "QUARTER(ts)"};
  std::vector<std::unique_ptr<vector_expr>> compiled;
  for (const char* e : sql) compiled.push_back(compile_ok(e, s));
  std::mt19937_64 rng(7);
  rows::row_batch batch(std::vector<rows::logical_type>{rows::timestamp_type(3)});
  std::vector<std::int64_t> values;
  for (int i = 0; i < 500; ++i) {
    // 1901 .. 2099
    const std::int64_t ms =
        std::uniform_int_distribution<std::int64_t>(-2'145'916'800'000LL, 4'102'444'799'999LL)(rng);
    values.push_back(ms);
    if (i % 7 == 0)
      batch.append_row({value()});
    else
      batch.append_row({value(ms)});
  }
  std::vector<rows::column_vector> outs(compiled.size());
  for (std::size_t k = 0; k < compiled.size(); ++k)
    compiled[k]->eval(batch, outs[k], eval_context{});
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i % 7 == 0) {
      for (const auto& o : outs) CHECK(o.is_null(i));
      continue;
    }
    const std::int64_t ms = values[i];
    const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char week[8];
    std::strftime(week, sizeof week, "%V", &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
    INFO("ms " << ms << " = " << text);
    CHECK(outs[0].get(i) == value(std::int64_t{tm.tm_year + 1900}));
    CHECK(outs[1].get(i) == value(std::int64_t{tm.tm_mon + 1}));
    CHECK(outs[2].get(i) == value(std::int64_t{tm.tm_mday}));
    CHECK(outs[3].get(i) == value(std::int64_t{tm.tm_hour}));
    CHECK(outs[4].get(i) == value(std::int64_t{tm.tm_min}));
    CHECK(outs[5].get(i) == value(std::int64_t{tm.tm_sec}));
    CHECK(outs[6].get(i) == value(std::int64_t{tm.tm_wday + 1}));
    CHECK(outs[7].get(i) == value(std::int64_t{tm.tm_yday + 1}));
    CHECK(outs[8].get(i) == value(std::int64_t{std::stoi(week)}));
    CHECK(outs[9].get(i) == value(std::string(text)));
    CHECK(outs[10].get(i) == value(std::int64_t{tm.tm_mon / 3 + 1}));
  }
}

namespace {

scope nexmark_bid() {
  return {{"", "auction", rows::bigint_type()}, {"", "bidder", rows::bigint_type()},
          {"", "price", rows::bigint_type()},   {"", "channel", rows::string_type()},
          {"", "url", rows::string_type()},     {"", "dateTime", rows::timestamp_type(3)},
          {"", "extra", rows::string_type()}};
}

rows::row_batch bid_rows() {
  rows::row_batch b(nexmark_bid().size() == 7
                        ? std::vector<rows::logical_type>{rows::bigint_type(), rows::bigint_type(),
                                                          rows::bigint_type(), rows::string_type(),
                                                          rows::string_type(),
                                                          rows::timestamp_type(3),
                                                          rows::string_type()}
                        : std::vector<rows::logical_type>{});
  auto ts = [](const char* t) { return value(*rows::parse_timestamp(t)); };
  b.append_row({value(std::int64_t{1000}), value(std::int64_t{7}), value(std::int64_t{2000000}),
                value(std::string("Apple")),
                value(std::string("https://www.nexmark.com/a/b/c/item.htm?query=1")),
                ts("2015-07-15 09:30:00"), value(std::string("xcc"))});
  b.append_row({value(std::int64_t{123}), value(std::int64_t{8}), value(std::int64_t{50}),
                value(std::string("channel-42")),
                value(std::string("https://www.nexmark.com/x/y/item.htm?query=1&channel_id=42")),
                ts("2015-07-15 22:05:00"), value()});
  b.append_row({value(std::int64_t{246}), value(), value(), value(), value(),
                ts("2015-07-16 07:00:00"), value(std::string(""))});
  return b;
}

std::vector<std::string> eval_bid(const std::string& sql) {
  auto e = compile_ok(sql, nexmark_bid());
  auto batch = bid_rows();
  rows::column_vector out;
  e->eval(batch, out, eval_context{});
  std::vector<std::string> r;
  for (std::size_t i = 0; i < out.size(); ++i)
    r.push_back(out.is_null(i) ? "NULL" : rows::format_value(out.get(i), e->type()));
  return r;
}

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE("expr: the Nexmark queries' scalar expressions over bid rows", "[sql][expr]") {
  // q1
  CHECK(eval_bid("0.908 * price") == strings{"1816000.000", "45.400", "NULL"});
  // q2
  CHECK(eval_bid("MOD(auction, 123) = 0") == strings{"false", "true", "true"});
  // q3-ish and q11-q12: HOUR, BETWEEN, CASE
  CHECK(eval_bid("CASE WHEN HOUR(`dateTime`) >= 8 AND HOUR(`dateTime`) <= 18 THEN 'dayTime' "
                 "WHEN HOUR(`dateTime`) <= 6 OR HOUR(`dateTime`) >= 20 THEN 'nightTime' ELSE "
                 "'otherTime' END") == strings{"dayTime", "nightTime", "otherTime"});
  CHECK(eval_bid("0.908 * price > 1000000 AND 0.908 * price < 50000000") ==
        strings{"true", "false", "NULL"});
  // q10
  CHECK(eval_bid("DATE_FORMAT(`dateTime`, 'yyyy-MM-dd')") ==
        strings{"2015-07-15", "2015-07-15", "2015-07-16"});
  CHECK(eval_bid("DATE_FORMAT(`dateTime`, 'HH:mm')") == strings{"09:30", "22:05", "07:00"});
  // q21
  CHECK(eval_bid("CASE WHEN lower(channel) = 'apple' THEN '0' WHEN lower(channel) = 'google' "
                 "THEN '1' WHEN lower(channel) = 'facebook' THEN '2' WHEN lower(channel) = "
                 "'baidu' THEN '3' ELSE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) END") ==
        strings{"0", "42", "NULL"});
  CHECK(eval_bid("REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) is not null or "
                 "lower(channel) in ('apple', 'google', 'facebook', 'baidu')") ==
        strings{"true", "true", "NULL"});
  // q22
  CHECK(eval_bid("SPLIT_INDEX(url, '/', 3)") == strings{"a", "x", "NULL"});
  CHECK(eval_bid("SPLIT_INDEX(url, '/', 5)") ==
        strings{"c", "item.htm?query=1&channel_id=42", "NULL"});
  // q7/q9-ish: timestamp arithmetic and BETWEEN
  CHECK(eval_bid("`dateTime` BETWEEN `dateTime` - INTERVAL '10' SECOND AND `dateTime`") ==
        strings{"true", "true", "true"});
  CHECK(eval_bid("`dateTime` + INTERVAL '1' DAY > TIMESTAMP '2015-07-16 08:00:00'") ==
        strings{"true", "true", "true"});
}

TEST_CASE("expr: user-defined scalar functions through function_registry", "[sql][expr]") {
  function_registry reg;
  // Nexmark's count_char(extra, 'c'), per row.
  scalar_function count_char;
  count_char.name = "count_char";
  count_char.parameters = {rows::string_type(), rows::string_type()};
  count_char.result = rows::bigint_type();
  count_char.per_row = [](std::span<const value> a) {
    return value(static_cast<std::int64_t>(
        std::count(a[0].as_string().begin(), a[0].as_string().end(), a[1].as_string().at(0))));
  };
  reg.add(count_char);
  // A vectorised one, with an overload.
  scalar_function twice;
  twice.name = "TWICE";
  twice.parameters = {rows::bigint_type()};
  twice.result = rows::bigint_type();
  twice.vectorised = [](std::span<const rows::column_vector* const> a, std::size_t n,
                        rows::column_vector& out) {
    const auto& x = a[0]->data<std::int64_t>();
    auto& r = out.data<std::int64_t>();
    for (std::size_t i = 0; i < n; ++i) {
      r[i] = 2 * x[i];
      if (a[0]->is_null(i)) out.set_null(i, true);
    }
  };
  reg.add(twice);
  scalar_function twice_s;
  twice_s.name = "twice";
  twice_s.parameters = {rows::string_type()};
  twice_s.result = rows::string_type();
  twice_s.per_row = [](std::span<const value> a) {
    return value(a[0].as_string() + a[0].as_string());
  };
  reg.add(twice_s);
  CHECK_THROWS_AS(reg.add(twice_s), std::invalid_argument);
  scalar_function bad;
  bad.name = "bad name";
  bad.per_row = twice_s.per_row;
  CHECK_THROWS_AS(reg.add(bad), std::invalid_argument);

  auto run = [&](const std::string& sql) {
    auto e = compile_ok(sql, nexmark_bid(), &reg);
    auto batch = bid_rows();
    rows::column_vector out;
    e->eval(batch, out, eval_context{});
    strings r;
    for (std::size_t i = 0; i < out.size(); ++i)
      r.push_back(out.is_null(i) ? "NULL" : rows::format_value(out.get(i), e->type()));
    return r;
  };
  CHECK(run("count_char(extra, 'c')") == strings{"2", "NULL", "0"});
  CHECK(run("COUNT_CHAR(extra, 'c') + 1") == strings{"3", "NULL", "1"});
  CHECK(run("twice(bidder)") == strings{"14", "16", "NULL"});
  CHECK(run("twice(CAST(bidder AS INT))") == strings{"14", "16", "NULL"});  // INT -> BIGINT
  CHECK(run("twice(channel)") == strings{"AppleApple", "channel-42channel-42", "NULL"});
  CHECK(compile_error("twice(`dateTime`)", nexmark_bid(), &reg)
            .find("No overload of function 'twice' takes arguments (TIMESTAMP(3))") == 0);
  CHECK(compile_error("count_chr(extra, 'c')", nexmark_bid(), &reg)
            .find("Did you mean 'COUNT_CHAR'?") != std::string::npos);
}
