// Fuzz target: the SQL parser (sql/include/eddy/sql/parser.hpp), which reads statements typed by
// users or sent to a cluster (untrusted text). The input is SQL text; checks: parsing returns
// statements or a parse_error and nothing else (no crash, no undefined behaviour, no stack
// overflow: nesting is limited); an error has a message and a position inside the text, and
// renders with a caret; every statement that parses prints to SQL that parses back to an equal
// tree and prints the same again. The same for the input read as one expression.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "eddy/sql/parser.hpp"
#include "eddy/sql/printer.hpp"

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
  }
  return 0;
}
