// Errors: line and column, what was found and expected, "did you mean", the caret rendering,
// lexical errors, and the depth limit on deep nesting.
#include <catch2/catch.hpp>

#include <string>

#include "sql/sql_test_support.hpp"

using namespace eddy::sql;
using namespace eddy::sql::testing;

TEST_CASE("errors: a misspelt keyword gives its position and the nearest keyword") {
  const auto e = parse_fails("SELECT * FORM bid");
  CHECK(e.where.line == 1);
  CHECK(e.where.column == 10);
  CHECK(e.found == "FORM");
  CHECK(e.suggestion == "FROM");
  CHECK(e.message.starts_with("Encountered \"FORM\" at line 1, column 10. Did you mean \"FROM\"?"));
  CHECK(e.message.find("Was expecting one of: ") != std::string::npos);
  CHECK(std::find(e.expected.begin(), e.expected.end(), "\"FROM\"") != e.expected.end());
  CHECK(render_error("SELECT * FORM bid", e) == e.message +
                                                    "\n  SELECT * FORM bid"
                                                    "\n           ^");
}

TEST_CASE("errors: a misspelt clause keyword read as an alias is pointed at") {
  const auto e = parse_fails("SELECT a FORM bid");
  CHECK(e.found == "FORM");
  CHECK(e.where.column == 10);
  CHECK(e.suggestion == "FROM");
}

TEST_CASE("errors: positions on later lines, tabs kept under the caret") {
  const std::string sql = "SELECT a,\n\tb\nFROM t\nWHERE a = = 1";
  const auto e = parse_fails(sql);
  CHECK(e.where.line == 4);
  CHECK(e.where.column == 11);
  CHECK(e.found == "=");
  CHECK(render_error(sql, e).ends_with("\n  WHERE a = = 1\n            ^"));
  const std::string tabbed = "SELECT\n\ta FROM t GROUP BYY a";
  const auto t = parse_fails(tabbed);
  CHECK(t.where.line == 2);
  CHECK(t.suggestion == "BY");
  CHECK(render_error(tabbed, t).ends_with("\n  \ta FROM t GROUP BYY a\n  \t               ^"));
}

TEST_CASE("errors: did you mean for statements, operators and types") {
  CHECK(parse_fails("SELEC a FROM t").suggestion == "SELECT");
  CHECK(parse_fails("SELECT a FROM t WHERE a NOT BETWEN 1 AND 2").suggestion == "BETWEEN");
  CHECK(parse_fails("CREATE TABEL t (a INT)").suggestion == "TABLE");
  CHECK(parse_fails("SELECT a FROM t ORDER BY a DESC LIMT 3").found == "LIMT");
  CHECK(parse_fails("INSERT INTO t SELECT a FROM s GROUP a").suggestion.empty());
}

TEST_CASE("errors: the end of input, unbalanced parentheses, reserved words as names") {
  auto e = parse_fails("SELECT a FROM");
  CHECK(e.found == "<EOF>");
  CHECK(e.where.column == 14);
  e = parse_fails("SELECT (a + b FROM t");
  CHECK(e.found == "FROM");
  e = parse_fails("SELECT a FROM t)");
  CHECK(e.found == ")");
  e = parse_fails("SELECT value FROM t");
  CHECK(e.found == "value");
  CHECK(parse_statement("SELECT `value` FROM t").ok());
  e = parse_fails("SELECT * FROM t AS WHERE x = 1");
  CHECK(e.found == "WHERE");
  CHECK(parse_statement("SELECT a AS `from` FROM t AS `where`").ok());
  e = parse_fails("SELECT a FROM t; garbage");
  CHECK(e.found == "garbage");
}

TEST_CASE("errors: lexical errors name the position") {
  auto e = parse_fails("SELECT 'abc FROM t");
  CHECK(e.where.column == 8);
  CHECK(e.message.find("unterminated string") != std::string::npos);
  e = parse_fails("SELECT \"a\" FROM t");
  CHECK(e.message.find("backticks") != std::string::npos);
  e = parse_fails("SELECT a FROM t /* open");
  CHECK(e.message.find("unterminated comment") != std::string::npos);
  e = parse_fails("SELECT a # b");
  CHECK(e.where.column == 10);
  e = parse_fails("SELECT `unclosed FROM t");
  CHECK(e.message.find("unterminated identifier") != std::string::npos);
  e = parse_fails("SELECT 'é' , # FROM t");  // columns count characters, not bytes
  CHECK(e.where.column == 14);
}

TEST_CASE("errors: deep nesting is refused with an error, not a stack overflow") {
  for (const std::string open : {"(", "- ", "NOT ", "ARRAY[", "f(", "CASE WHEN "}) {
    std::string sql = "SELECT ";
    for (int i = 0; i < 100000; ++i) sql += open;
    sql += "1";
    const auto e = parse_fails(sql);
    INFO(open);
    CHECK(e.message.find("Nesting too deep") != std::string::npos);
  }
  std::string subqueries;
  for (int i = 0; i < 50000; ++i) subqueries += "SELECT * FROM (";
  CHECK(parse_fails(subqueries).message.find("Nesting too deep") != std::string::npos);
  // Long flat chains build deep trees too: refused beyond the limit, accepted within it.
  std::string chain = "SELECT 1";
  for (int i = 0; i < 100000; ++i) chain += " + 1";
  CHECK(parse_fails(chain).message.find("Nesting too deep") != std::string::npos);
  std::string ok = "SELECT 1";
  for (int i = 0; i < 900; ++i) ok += " OR a = 1";
  const auto long_chain = parse_statement(ok);
  REQUIRE(long_chain.ok());
  check_round_trip({long_chain.value()});
  std::string unions = "SELECT 1";
  for (int i = 0; i < 900; ++i) unions += " UNION ALL SELECT 1";
  CHECK(parse_statement(unions).ok());
  for (int i = 0; i < 200; ++i) unions += " UNION ALL SELECT 1";
  CHECK(parse_fails(unions).message.find("Nesting too deep") != std::string::npos);
  std::string parens = "SELECT ";
  for (int i = 0; i < 60; ++i) parens += "(";
  parens += "1";
  for (int i = 0; i < 60; ++i) parens += ")";
  CHECK(parse_statement(parens).ok());
  parse_options small;
  small.max_depth = 10;
  CHECK_FALSE(parse_statement(parens, small).ok());
}
