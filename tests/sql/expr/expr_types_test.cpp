// Expression typing (Flink's rules, DECIMAL capped at precision 18), literals, operators and
// errors with positions.
#include "expr_test_support.hpp"

using namespace eddy;
using namespace eddy::sql;
using namespace eddy::sql::testing;

namespace {

scope bid_scope() {
  return {
      {"B", "auction", rows::bigint_type()},
      {"B", "bidder", rows::bigint_type()},
      {"B", "price", rows::bigint_type()},
      {"B", "channel", rows::string_type()},
      {"B", "dateTime", rows::timestamp_type(3)},
      {"A", "id", rows::bigint_type().with_nullable(false)},
      {"A", "reserve", rows::bigint_type()},
      {"A", "price", rows::decimal_type(10, 2)},
      {"A", "qty", rows::int_type()},
      {"A", "ratio", rows::double_type()},
      {"A", "ok", rows::boolean_type()},
  };
}

}  // namespace

TEST_CASE("expr: literals are typed as Flink types them", "[sql][expr]") {
  const auto s = no_columns();
  CHECK(type_of("1", s) == "INT NOT NULL");
  CHECK(type_of("3000000000", s) == "BIGINT NOT NULL");
  CHECK(type_of("0.908", s) == "DECIMAL(3, 3) NOT NULL");
  CHECK(type_of("12.50", s) == "DECIMAL(4, 2) NOT NULL");
  CHECK(type_of("1.5E3", s) == "DOUBLE NOT NULL");
  CHECK(type_of("'abc'", s) == "CHAR(3) NOT NULL");
  CHECK(type_of("TRUE", s) == "BOOLEAN NOT NULL");
  CHECK(type_of("NULL", s) == "NULL");
  CHECK(type_of("DATE '2020-01-31'", s) == "DATE NOT NULL");
  CHECK(type_of("TIMESTAMP '2020-01-31 12:00:00'", s) == "TIMESTAMP(0) NOT NULL");
  CHECK(type_of("TIMESTAMP '2020-01-31 12:00:00.123'", s) == "TIMESTAMP(3) NOT NULL");
  CHECK(type_of("INTERVAL '10' SECOND", s).find("INTERVAL") == 0);
  CHECK(eval_text("INTERVAL '10' SECOND") == "10000");
  CHECK(eval_text("INTERVAL '1 02:03' DAY TO MINUTE") == "93780000");
  CHECK(eval_text("INTERVAL '2-3' YEAR TO MONTH") == "27");
  CHECK(eval_text("INTERVAL '1.5' SECOND") == "1500");
  CHECK(eval_text("INTERVAL '-2' HOUR") == "-7200000");
  CHECK(eval_text("0.908") == "0.908");
  CHECK(eval_text("1.5E3") == "1500.0");
  CHECK(eval_text("X'4142'") == "AB");
}

TEST_CASE("expr: arithmetic result types follow LogicalTypeMerging", "[sql][expr]") {
  const auto s = bid_scope();
  // BIGINT is DECIMAL(19, 0): 19 + 3 + 1 = 23 digits, scale 3.
  CHECK(type_of("B.price * 0.908", s) == "DECIMAL(23, 3)");
  CHECK(type_of("qty * 0.5", s) == "DECIMAL(12, 1)");       // INT(10,0) * (1,1): 10+1+1, 1
  CHECK(type_of("A.price + 1.25", s) == "DECIMAL(11, 2)");  // max(8, 1) + 2 + 1
  CHECK(type_of("A.price / qty", s) == "DECIMAL(21, 13)");  // s = 2 + 10 + 1, p = 8 + 13
  CHECK(type_of("A.price / 2.0", s) == "DECIMAL(15, 6)");   // s = max(6, 2 + 2 + 1), 8 + 1 + 6
  CHECK(type_of("B.price * A.price * 0.908", s) == "DECIMAL(34, 5)");  // (30, 2) * (3, 3)
  // (38, 10) / INT: scale 21, precision 49 > 38: adjusted to keep 28 integer digits.
  CHECK(type_of("CAST(1 AS DECIMAL(38, 10)) / 3", s) == "DECIMAL(38, 10) NOT NULL");
  CHECK(type_of("A.price % 3", s) == "DECIMAL(10, 2)");
  CHECK(type_of("qty + 1", s) == "INT");
  CHECK(type_of("qty + reserve", s) == "BIGINT");
  CHECK(type_of("qty / 2", s) == "INT");
  CHECK(type_of("auction % 10", s) == "INT");  // Calcite's MOD: the divisor's type
  CHECK(type_of("MOD(auction, 10)", s) == "INT");
  CHECK(type_of("ratio * qty", s) == "DOUBLE");
  CHECK(type_of("id + 1", s) == "BIGINT NOT NULL");
  CHECK(type_of("-qty", s) == "INT");
  CHECK(type_of("dateTime + INTERVAL '1' HOUR", s) == "TIMESTAMP(3)");
  CHECK(type_of("channel || 'x'", s) == "STRING");
  CHECK(type_of("'ab' || 'c'", no_columns()) == "CHAR(3) NOT NULL");
  CHECK(type_of("B.price > 1", s) == "BOOLEAN");
  CHECK(type_of("id > 1", s) == "BOOLEAN NOT NULL");
  CHECK(type_of("qty IS NULL", s) == "BOOLEAN NOT NULL");
  CHECK(type_of("CASE WHEN ok THEN qty ELSE 1.5 END", s) == "DECIMAL(11, 1)");
  CHECK(type_of("CASE WHEN ok THEN id END", s) == "BIGINT");
  CHECK(type_of("COALESCE(qty, 0)", s) == "INT NOT NULL");
  CHECK(type_of("CAST(qty AS STRING)", s) == "STRING");
  CHECK(type_of("TRY_CAST(channel AS INT)", s) == "INT");
  CHECK(type_of("CAST(id AS DECIMAL(10, 2))", s) == "DECIMAL(10, 2) NOT NULL");
  CHECK(type_of("HOUR(dateTime)", s) == "BIGINT");
  CHECK(type_of("DATE_FORMAT(dateTime, 'HH:mm')", s) == "STRING");
  CHECK(type_of("CURRENT_TIMESTAMP", s) == "TIMESTAMP_LTZ(3) NOT NULL");
  CHECK(type_of("CHAR_LENGTH(channel)", s) == "INT");
}

TEST_CASE("expr: decimal arithmetic is exact, rounds half up and fails when it overflows",
          "[sql][expr]") {
  CHECK(eval_text("1.25 + 0.5") == "1.75");
  CHECK(eval_text("100 * 0.908") == "90.800");
  // DECIMAL(2, 1) / INT: scale max(6, 1 + 10 + 1) = 12.
  CHECK(eval_text("1.0 / 3") == "0.333333333333");
  CHECK(eval_text("2.0 / 3") == "0.666666666667");
  CHECK(eval_text("-2.0 / 3") == "-0.666666666667");
  CHECK(eval_text("1.0 / 3.0") == "0.333333");  // scale max(6, 1 + 2 + 1)
  CHECK(eval_text("CAST(100 AS DECIMAL(18, 0)) * 0.908") == "90.800");
  CHECK(eval_text("7.5 % 2") == "1.5");
  CHECK(eval_text("-7.5 % 2") == "-1.5");
  CHECK(eval_text("0.1 * 0.1") == "0.01");
  CHECK(eval_text("CAST(1.005 AS DECIMAL(3, 2))") == "1.01");
  CHECK(eval_text("CAST(-1.005 AS DECIMAL(3, 2))") == "-1.01");
  CHECK(eval_text("ROUND(2.345, 2)") == "2.35");
  CHECK(eval_text("ROUND(2.5E0)") == "3.0");
  CHECK(eval_text("FLOOR(-1.5)") == "-2");
  CHECK(eval_text("CEIL(1.2)") == "2");
  CHECK_THROWS_AS(eval_text("CAST(123.4 AS DECIMAL(3, 1))"), eval_error);
  CHECK(eval_text("TRY_CAST(123.4 AS DECIMAL(3, 1))") == "NULL");
  // 999999999999999999 (18 nines) * 10 does not fit DECIMAL(18, 0).
  CHECK_THROWS_AS(eval_text("CAST(999999999999999999 AS DECIMAL(18, 0)) * 10.0"), eval_error);
  CHECK_THROWS_AS(eval_text("1.0 / 0"), eval_error);
}

TEST_CASE("expr: integer arithmetic wraps as Java and fails on division by zero", "[sql][expr]") {
  CHECK(eval_text("2147483647 + 1") == "-2147483648");
  CHECK(eval_text("7 / 2") == "3");
  CHECK(eval_text("-7 / 2") == "-3");
  CHECK(eval_text("-7 % 3") == "-1");
  CHECK(eval_text("MOD(7, -3)") == "1");
  CHECK(eval_text("7 / 2.0E0") == "3.5");
  CHECK_THROWS_AS(eval_text("1 / 0"), eval_error);
  CHECK_THROWS_AS(eval_text("1 % 0"), eval_error);
  CHECK(eval_text("1 / 0.0E0") == "Infinity");
  CHECK(eval_text("-(3)") == "-3");
  CHECK(eval_text("1 + NULL") == "NULL");
}

TEST_CASE("expr: three-valued logic and comparisons", "[sql][expr]") {
  CHECK(eval_text("TRUE AND NULL") == "NULL");
  CHECK(eval_text("FALSE AND NULL") == "false");
  CHECK(eval_text("TRUE OR NULL") == "true");
  CHECK(eval_text("FALSE OR NULL") == "NULL");
  CHECK(eval_text("NOT CAST(NULL AS BOOLEAN)") == "NULL");
  CHECK(eval_text("1 = NULL") == "NULL");
  CHECK(eval_text("NULL IS NULL") == "true");
  CHECK(eval_text("1 IS NOT NULL") == "true");
  CHECK(eval_text("CAST(NULL AS BOOLEAN) IS NOT TRUE") == "true");
  CHECK(eval_text("FALSE IS FALSE") == "true");
  CHECK(eval_text("1 IS DISTINCT FROM NULL") == "true");
  CHECK(eval_text("NULL IS NOT DISTINCT FROM NULL") == "true");
  CHECK(eval_text("2 IN (1, 2, NULL)") == "true");
  CHECK(eval_text("3 IN (1, 2, NULL)") == "NULL");
  CHECK(eval_text("3 NOT IN (1, 2)") == "true");
  CHECK(eval_text("2 BETWEEN 1 AND 3") == "true");
  CHECK(eval_text("2 NOT BETWEEN 1 AND 3") == "false");
  CHECK(eval_text("2 BETWEEN SYMMETRIC 3 AND 1") == "true");
  CHECK(eval_text("1 < 1.5") == "true");
  CHECK(eval_text("1.50 = 1.5") == "true");
  CHECK(eval_text("3000000000 > 1") == "true");
  CHECK(eval_text("'abc' < 'abd'") == "true");
  CHECK(eval_text("'B' < 'a'") == "true");  // bytewise
  CHECK(eval_text("DATE '2020-01-02' > DATE '2020-01-01'") == "true");
  CHECK(eval_text("TIMESTAMP '2020-01-01 00:00:00' = DATE '2020-01-01'") == "true");
  CHECK(eval_text("CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'many' END") == "two");
  CHECK(eval_text("CASE WHEN 1 > 2 THEN 'x' END") == "NULL");
  // Lazy evaluation: the division is not evaluated where the condition is false.
  CHECK(eval_text("CASE WHEN 0 <> 0 THEN 1 / 0 ELSE 5 END") == "5");
  CHECK(eval_text("FALSE AND 1 / 0 > 0") == "false");
  CHECK(eval_text("TRUE OR 1 / 0 > 0") == "true");
  CHECK(eval_text("COALESCE(NULL, 2, 1 / 0)") == "2");
  CHECK(eval_text("IF(1 > 0, 'yes', 'no')") == "yes");
  CHECK(eval_text("NULLIF(1, 1)") == "NULL");
  CHECK(eval_text("NULLIF(1, 2)") == "1");
}

TEST_CASE("expr: casts", "[sql][expr]") {
  CHECK(eval_text("CAST('42' AS INT)") == "42");
  CHECK(eval_text("CAST(' 42 ' AS BIGINT)") == "42");
  CHECK_THROWS_AS(eval_text("CAST('4x2' AS INT)"), eval_error);
  CHECK(eval_text("TRY_CAST('4x2' AS INT)") == "NULL");
  CHECK(eval_text("CAST(42 AS STRING)") == "42");
  CHECK(eval_text("CAST(TRUE AS STRING)") == "TRUE");
  CHECK(eval_text("CAST(1.5E0 AS STRING)") == "1.5");
  CHECK(eval_text("CAST(2.75 AS INT)") == "2");
  CHECK(eval_text("CAST(-2.75 AS INT)") == "-2");
  CHECK(eval_text("CAST(2.75E0 AS INT)") == "2");
  CHECK(eval_text("CAST(3000000000 AS INT)") == "-1294967296");
  CHECK(eval_text("CAST(0 AS BOOLEAN)") == "false");
  CHECK(eval_text("CAST('true' AS BOOLEAN)") == "true");
  CHECK(eval_text("CAST('2020-01-31' AS DATE)") == "2020-01-31");
  CHECK(eval_text("CAST('2020-01-31 12:03:04.5' AS TIMESTAMP(3))") == "2020-01-31 12:03:04.5");
  CHECK(eval_text("CAST(TIMESTAMP '2020-01-31 12:03:04' AS DATE)") == "2020-01-31");
  CHECK(eval_text("CAST(DATE '2020-01-31' AS TIMESTAMP)") == "2020-01-31 00:00:00");
  CHECK(eval_text("CAST(TIMESTAMP '2020-01-31 12:03:04.123' AS STRING)") ==
        "2020-01-31 12:03:04.123");
  CHECK(eval_text("CAST('abcdef' AS VARCHAR(3))") == "abc");
  CHECK(eval_text("CAST(12.5 AS DOUBLE)") == "12.5");
  CHECK(eval_text("CAST(1.5E0 AS DECIMAL(4, 2))") == "1.50");
  CHECK(eval_text("CAST(1.005E0 AS DECIMAL(4, 2))") == "1.01");  // BigDecimal.valueOf(double)
  CHECK(eval_text("CAST(12 AS VARCHAR)") == "12");               // VARCHAR: the largest length
}

TEST_CASE("expr: timestamps plus and minus intervals", "[sql][expr]") {
  CHECK(eval_text("TIMESTAMP '2020-01-31 12:00:00' + INTERVAL '1' HOUR") == "2020-01-31 13:00:00");
  CHECK(eval_text("TIMESTAMP '2020-01-31 12:00:00' - INTERVAL '10' SECOND") ==
        "2020-01-31 11:59:50");
  CHECK(eval_text("TIMESTAMP '2020-01-31 12:00:00' + INTERVAL '1' MONTH") == "2020-02-29 12:00:00");
  CHECK(eval_text("INTERVAL '1' DAY + DATE '2020-12-31'") == "2021-01-01");
  CHECK(eval_text("DATE '2020-03-31' - INTERVAL '1' MONTH") == "2020-02-29");
  CHECK(eval_text("INTERVAL '1' HOUR + INTERVAL '30' MINUTE") == "5400000");
  CHECK(eval_text("INTERVAL '1' YEAR - INTERVAL '2' MONTH") == "10");
  CHECK(eval_text("3 * INTERVAL '10' SECOND") == "30000");
  CHECK(eval_text("INTERVAL '10' SECOND / 4") == "2500");
  CHECK(eval_text("TIMESTAMP '2020-01-31 12:00:00' + 2 * INTERVAL '1' HOUR") ==
        "2020-01-31 14:00:00");
  CHECK(compile_error("INTERVAL '1' HOUR + INTERVAL '1' MONTH", no_columns())
            .find("Cannot apply '+' to arguments of type INTERVAL") == 0);
}

TEST_CASE("expr: column references qualified, unqualified, ambiguous, unknown", "[sql][expr]") {
  const auto s = bid_scope();
  CHECK(compile_ok("B.price", s)->type() == rows::bigint_type());
  CHECK(compile_ok("A.price", s)->type() == rows::decimal_type(10, 2));
  CHECK(compile_ok("bidder", s)->to_string() == "bidder");

  const std::string ambiguous = compile_error("price + 1", s);
  CHECK(ambiguous.find("Column 'price' is ambiguous at line 1, column 1.") == 0);

  const std::string unknown = compile_error("auction + pric", s);
  CHECK(unknown.find("Column 'pric' not found in any table at line 1, column 11. Did you mean "
                     "'price'?") == 0);
  CHECK(unknown.find("\n  auction + pric\n            ^") != std::string::npos);

  CHECK(compile_error("B.reserve", s).find("Column 'reserve' not found in table 'B'") == 0);
  CHECK(compile_error("C.price", s).find("Table 'C' not found at line 1, column 1.") == 0);
  CHECK(compile_error("bidderr", s).find("Did you mean 'bidder'?") != std::string::npos);
  CHECK(compile_error("DATETIME", s).find("Did you mean 'dateTime'?") != std::string::npos);
}

TEST_CASE("expr: type errors and unknown functions name the spot", "[sql][expr]") {
  const auto s = bid_scope();
  CHECK(compile_error("channel + 1", s)
            .find("Cannot apply '+' to arguments of type STRING and "
                  "INT at line 1, column 1.") == 0);
  CHECK(compile_error("auction = 'x'", s)
            .find("Cannot apply '=' to arguments of type BIGINT "
                  "and CHAR(1)") == 0);
  CHECK(compile_error("ok AND qty", s)
            .find("Operand of AND must be BOOLEAN, not INT at line 1, "
                  "column 8.") == 0);
  CHECK(compile_error("COUNT(*) + 1", s).find("aggregate function COUNT is not allowed here") == 0);
  CHECK(compile_error("1 + SUM(price)", s)
            .find("aggregate function SUM is not allowed here at "
                  "line 1, column 5.") == 0);
  CHECK(compile_error("ROW_NUMBER() OVER (ORDER BY price)", s).find("not allowed here") !=
        std::string::npos);
  CHECK(compile_error("LOWR(channel)", s)
            .find("No match found for function 'LOWR' at line 1, "
                  "column 1. Did you mean 'LOWER'?") == 0);
  CHECK(compile_error("LOWER(channel, 1)", s).find("Function LOWER takes 1 argument, not 2") == 0);
  CHECK(compile_error("CAST(dateTime AS BOOLEAN)", s)
            .find("Cannot cast TIMESTAMP(3) to "
                  "BOOLEAN") == 0);
  CHECK(compile_error("CAST(qty AS DECIMAL(40, 2))", s).find("DECIMAL precision") !=
        std::string::npos);
  CHECK(compile_error("12345678901234567890", s).find("out of range") != std::string::npos);
}
