#pragma once
// Helpers of the SQL parser tests: parse or fail the test with the rendered error, and the
// round trip parse(print(parse(s))) == parse(s).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "eddy/sql/parser.hpp"
#include "eddy/sql/printer.hpp"

namespace eddy::sql::testing {

inline std::vector<statement> parse_ok(const std::string& sql) {
  auto r = parse_statements(sql);
  if (!r) FAIL("parse failed:\n" << render_error(sql, r.error()) << "\nin:\n" << sql);
  return std::move(r).value();
}

inline statement parse_one(const std::string& sql) {
  auto r = parse_statement(sql);
  if (!r) FAIL("parse failed:\n" << render_error(sql, r.error()) << "\nin:\n" << sql);
  return std::move(r).value();
}

inline expr parse_expr_ok(const std::string& sql) {
  auto r = parse_expression(sql);
  if (!r) FAIL("parse failed:\n" << render_error(sql, r.error()) << "\nin:\n" << sql);
  return std::move(r).value();
}

/// Prints each statement, parses the text again and requires the same tree; returns the texts.
inline std::vector<std::string> check_round_trip(const std::vector<statement>& statements) {
  std::vector<std::string> texts;
  for (const auto& s : statements) {
    const std::string text = to_sql(s);
    auto again = parse_statement(text);
    if (!again) FAIL("printed statement does not parse:\n" << render_error(text, again.error()));
    INFO("printed: " << text);
    CHECK(again.value() == s);
    // Printing is stable: the re-parsed tree prints to the same text.
    CHECK(to_sql(again.value()) == text);
    texts.push_back(text);
  }
  return texts;
}

/// parse + round trip, for one or more statements.
inline std::vector<statement> parse_and_round_trip(const std::string& sql) {
  INFO("sql: " << sql);
  auto statements = parse_ok(sql);
  check_round_trip(statements);
  return statements;
}

/// The error of a statement that must not parse.
inline parse_error parse_fails(const std::string& sql) {
  auto r = parse_statements(sql);
  if (r) FAIL("parsed, but should not have: " << sql);
  return r.error();
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace eddy::sql::testing
