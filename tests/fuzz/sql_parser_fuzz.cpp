// Fuzz target: the SQL parser (sql/include/eddy/sql/parser.hpp), which reads statements typed by
// users or sent to a cluster (untrusted text). The input is SQL text; checks: parsing returns
// statements or a parse_error and nothing else (no crash, no undefined behaviour, no stack
// overflow: nesting is limited); an error has a message and a position inside the text, and
// renders with a caret; every statement that parses prints to SQL that parses back to an equal
// tree and prints the same again. The same for the input read as one expression, which is
// then compiled (vector_expr.hpp) against a few columns: a compile error has a message and a
// position; a compiled expression evaluates over a small batch (one row all NULL) to a column
// of its type and size, or throws eval_error.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "eddy/rows/row_batch.hpp"
#include "eddy/sql/parser.hpp"
#include "eddy/sql/printer.hpp"
#include "eddy/sql/vector_expr.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "sql_parser_fuzz: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void check_error(std::string_view sql, const eddy::sql::parse_error& e) {
  if (e.message.empty()) fail("an error without a message", sql);
  if (e.where.line < 1 || e.where.column < 1 || e.where.offset > sql.size()) {
    fail("an error position outside the text", e.message);
  }
  const std::string shown = eddy::sql::render_error(sql, e);
  if (shown.find('^') == std::string::npos) fail("a rendered error without a caret", shown);
}

template <class T, class Parse>
void check_round_trip(const T& tree, Parse parse) {
  const std::string text = eddy::sql::to_sql(tree);
  auto again = parse(text);
  if (!again) fail("printed SQL does not parse", text + "\n" + again.error().message);
  if (!(again.value() == tree)) fail("printed SQL parses to another tree", text);
  if (eddy::sql::to_sql(again.value()) != text) fail("printing is not stable", text);
}

void check_compile(std::string_view sql, const eddy::sql::expr& e) {
  namespace rows = eddy::rows;
  using rows::value;
  static const eddy::sql::scope columns = {
      {"t", "a", rows::int_type()},        {"t", "b", rows::bigint_type()},
      {"t", "c", rows::double_type()},     {"t", "d", rows::decimal_type(10, 2)},
      {"t", "s", rows::string_type()},     {"t", "p", rows::boolean_type()},
      {"t", "ts", rows::timestamp_type(3)}};
  auto compiled = eddy::sql::compile_expression(e, columns);
  if (!compiled) {
    check_error(sql, compiled.error());
    return;
  }
  rows::row_batch batch(std::vector<rows::logical_type>{
      rows::int_type(), rows::bigint_type(), rows::double_type(), rows::decimal_type(10, 2),
      rows::string_type(), rows::boolean_type(), rows::timestamp_type(3)});
  batch.append_row({value(std::int32_t{7}), value(std::int64_t{-3}), value(2.5),
                    value(std::int64_t{1250}), value(std::string("a/b_c")), value(true),
                    value(std::int64_t{1'600'000'000'000})});
  batch.append_row({value(), value(), value(), value(), value(), value(), value()});
  batch.append_row({value(std::int32_t{0}), value(std::int64_t{0}), value(0.0),
                    value(std::int64_t{0}), value(std::string()), value(false),
                    value(std::int64_t{0})});
  rows::column_vector out;
  try {
    compiled.value()->eval(batch, out, eddy::sql::eval_context{});
  } catch (const eddy::sql::eval_error&) {
    return;
  }
  if (out.size() != batch.size()) fail("an expression's result has the wrong size", sql);
  if (!(out.type() == compiled.value()->type()))
    fail("an expression's result has another type than it declares", sql);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view sql(reinterpret_cast<const char*>(data), size);
  auto statements = eddy::sql::parse_statements(sql);
  if (!statements) {
    check_error(sql, statements.error());
  } else {
    for (const auto& s : statements.value()) {
      check_round_trip(s, [](const std::string& t) { return eddy::sql::parse_statement(t); });
    }
  }
  auto e = eddy::sql::parse_expression(sql);
  if (!e) {
    check_error(sql, e.error());
  } else {
    check_round_trip(e.value(),
                     [](const std::string& t) { return eddy::sql::parse_expression(t); });
    check_compile(sql, e.value());
  }
  return 0;
}
