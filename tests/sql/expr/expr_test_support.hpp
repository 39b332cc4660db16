#pragma once
// Helpers of the expression tests: compile SQL text against a scope (failing the test with the
// rendered error), evaluate over a batch, read results as values or text.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "eddy/rows/row_batch.hpp"
#include "eddy/rows/value_text.hpp"
#include "eddy/sql/function_registry.hpp"
#include "eddy/sql/parser.hpp"
#include "eddy/sql/vector_expr.hpp"

namespace eddy::sql::testing {

inline std::unique_ptr<vector_expr> compile_ok(const std::string& sql, const scope& columns,
                                               const function_registry* functions = nullptr) {
  auto parsed = parse_expression(sql);
  if (!parsed) FAIL("parse failed:\n" << render_error(sql, parsed.error()));
  auto compiled = compile_expression(parsed.value(), columns, functions);
  if (!compiled) FAIL("compile failed:\n" << render_error(sql, compiled.error()));
  return std::move(compiled).value();
}

/// The error compile_expression gives for `sql`, rendered (fails the test if it compiles).
inline std::string compile_error(const std::string& sql, const scope& columns,
                                 const function_registry* functions = nullptr) {
  auto parsed = parse_expression(sql);
  if (!parsed) FAIL("parse failed:\n" << render_error(sql, parsed.error()));
  auto compiled = compile_expression(parsed.value(), columns, functions);
  if (compiled) FAIL("compiled, to " << compiled.value()->type().to_string() << ": " << sql);
  return render_error(sql, compiled.error());
}

/// The scope of a single dummy column `z INT` (constant expressions).
inline scope no_columns() {
  return {{"", "z", rows::int_type()}};
}

/// Evaluates a constant expression (over one row) and returns its result as text: "NULL" or
/// rows' text form of the value.
inline std::string eval_text(const std::string& sql, std::int64_t now_ms = 0) {
  auto e = compile_ok(sql, no_columns());
  rows::row_batch b(std::vector<rows::logical_type>{rows::int_type()});
  b.append_row({rows::value(std::int32_t{0})});
  rows::column_vector out;
  eval_context ctx;
  ctx.now_ms = now_ms;
  e->eval(b, out, ctx);
  REQUIRE(out.size() == 1);
  const auto v = out.get(0);
  if (v.is_null()) return "NULL";
  return rows::format_value(v, e->type());
}

/// The result type of `sql` over `columns`, as Flink prints it.
inline std::string type_of(const std::string& sql, const scope& columns) {
  return compile_ok(sql, columns)->type().to_string();
}

}  // namespace eddy::sql::testing
