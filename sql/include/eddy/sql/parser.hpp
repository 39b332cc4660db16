#pragma once
/// The SQL parser: Flink SQL text -> AST (eddy/sql/ast.hpp). Hand-written recursive descent with
/// Pratt parsing for expressions, modelled on sqlparser-rs (the parser of DataFusion and Arroyo).
/// Hand-written because no parser at hand reads Flink's dialect: Debian's libpg-query
/// (PostgreSQL's grammar) rejects `TABLE(TUMBLE(TABLE bid, ...))`, `WATERMARK FOR ...`, a
/// subquery without alias and MATCH_RECOGNIZE (issue #18), and Flink's own grammar is Calcite's
/// JavaCC one. What it reads is listed in docs/sql.md "Parser".
///
/// Only the front end exists: nothing here plans or runs SQL.
///
/// Contract: pure functions, callable from any thread; no exceptions escape (every failure is a
/// `parse_error` with a position); input of any bytes is safe (the parser is fuzzed, target
/// `sql_parser`); nesting deeper than `parse_options::max_depth` (parentheses, subqueries,
/// operators' operands) or trees taller than `max_height` (long chains of operators) are refused
/// with an error rather than overflowing the stack.
#include <cstdint>
#include <string_view>
#include <vector>

#include "eddy/sql/ast.hpp"
#include "eddy/sql/error.hpp"

namespace eddy::sql {

struct parse_options {
  /// Deepest nesting accepted: parentheses, subqueries, operands of prefix operators, types
  /// (each level is a recursive call of the parser, about 2 KB of stack).
  std::uint32_t max_depth = 200;
  /// Tallest tree accepted, counting also the operators of a chain (`a OR b OR c ...` is a tree
  /// as tall as it is long, read without recursion, but printed, compared and destroyed
  /// recursively, with small frames).
  std::uint32_t max_height = 1000;
};

/// Statements separated by `;` (a trailing `;` is optional; empty statements are skipped).
[[nodiscard]] result<std::vector<statement>> parse_statements(std::string_view sql,
                                                              const parse_options& options = {});

/// Exactly one statement, optionally followed by `;`.
[[nodiscard]] result<statement> parse_statement(std::string_view sql,
                                                const parse_options& options = {});

/// One query (WITH / SELECT / VALUES / set operations) and nothing else.
[[nodiscard]] result<query> parse_query(std::string_view sql, const parse_options& options = {});

/// One scalar expression and nothing else.
[[nodiscard]] result<expr> parse_expression(std::string_view sql,
                                            const parse_options& options = {});

/// One data type (`DECIMAL(10, 2)`, `ROW<a INT, b ARRAY<STRING>> NOT NULL`) and nothing else.
[[nodiscard]] result<data_type> parse_data_type(std::string_view sql,
                                                const parse_options& options = {});

}  // namespace eddy::sql
