#pragma once
// Internal: the recursive-descent parser behind eddy/sql/parser.hpp, split by concern:
//   parser.cpp                   tokens, expectations, errors, depth limit, entry points
//   parser_expr.cpp              expressions (Pratt), function calls, windows, literals
//   parser_type.cpp              data types
//   parser_query.cpp             queries, SELECT, FROM items, joins
//   parser_statement.cpp         statements: DDL, INSERT, statement sets, client statements
//   parser_match_recognize.cpp   MATCH_RECOGNIZE
// Failures throw parse_failure (parse_failure.hpp); the entry points catch it.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/sql/ast.hpp"
#include "eddy/sql/lexer.hpp"
#include "eddy/sql/parser.hpp"
#include "parse_failure.hpp"

namespace eddy::sql {

// Operator precedences (higher binds tighter); shared with the printer (printer_expr.cpp).
namespace prec {
inline constexpr int lowest = 0;
inline constexpr int or_ = 5;
inline constexpr int and_ = 10;
inline constexpr int not_ = 15;
inline constexpr int is = 17;
inline constexpr int comparison = 20;  // = <> < <= > >=, [NOT] IN / BETWEEN / LIKE / SIMILAR TO
inline constexpr int concat = 25;
inline constexpr int additive = 30;
inline constexpr int multiplicative = 40;
inline constexpr int unary = 50;
inline constexpr int postfix = 60;  // a[i], f(x).field
inline constexpr int atom = 100;
}  // namespace prec

class parser {
 public:
  parser(std::string_view sql, const parse_options& options);

  // Entry points (parser.cpp).
  std::vector<statement> statements();
  statement single_statement();
  query single_query();
  expr single_expression();
  data_type single_type();

  // ---- tokens (parser.cpp) ----
  [[nodiscard]] const token& peek(std::size_t ahead = 0) const;
  const token& next();
  /// The current token is keyword `kw`; records it as expected if not.
  bool peek_keyword(std::string_view kw);
  bool accept_keyword(std::string_view kw);
  void expect_keyword(std::string_view kw);
  /// Accepts the sequence of keywords if the first one is there; the others must then follow
  /// (`GROUP BYY` is an error at BYY).
  bool accept_keywords(std::initializer_list<std::string_view> kws);
  bool peek_symbol(std::string_view s);
  bool accept_symbol(std::string_view s);
  void expect_symbol(std::string_view s);
  /// A word or a quoted identifier that may name something here (not a reserved word).
  [[nodiscard]] bool peek_ident(std::size_t ahead = 0) const;
  ident expect_ident();
  /// A field name (after `.`, in ROW<...>): any word, reserved ones too, or a quoted identifier.
  ident expect_field_name();
  object_name expect_object_name();
  std::vector<ident> parse_ident_list();  // ( a, b, ... )
  std::string expect_string();
  std::int64_t expect_integer();
  void expected(std::string what);  // records `what` as expected at the current token
  [[noreturn]] void unexpected();
  [[noreturn]] void fail_here(std::string message);
  /// The token just read was an alias without AS (for "did you mean" on `SELECT a FORM t`).
  void mark_implicit_alias() { implicit_alias_ = pos_ - 1; }
  [[nodiscard]] std::size_t position() const { return pos_; }
  void rewind(std::size_t pos) { pos_ = pos; }  // backtracking, to a position() read before

  // ---- depth limit ----
  class depth_guard {
   public:
    explicit depth_guard(parser& p) : p_(p) { p_.enter(); }
    depth_guard(const depth_guard&) = delete;
    depth_guard& operator=(const depth_guard&) = delete;
    ~depth_guard() { --p_.depth_; }

   private:
    parser& p_;
  };
  void enter();
  /// An operator applied in a chain (`a + b + c`, `q UNION q UNION q`): the tree grows one
  /// level without recursion. Undone by end_chain(n) when the chain's function returns.
  void extend_chain();
  void end_chain(std::uint32_t n) { chain_ -= n; }
  [[noreturn]] void fail_too_tall();

  // ---- expressions (parser_expr.cpp) ----
  expr parse_expr();
  expr parse_subexpr(int min_precedence);
  expr parse_prefix();
  expr parse_infix(expr left, int precedence);
  int next_precedence();
  expr parse_function_call(object_name name, location loc);
  expr parse_case(location loc);
  /// POSITION(a IN b), TRIM(... FROM s), SUBSTRING(s FROM a [FOR b]), OVERLAY(s PLACING r FROM a
  /// [FOR b]) at the name; nothing (and the position unchanged) if the call uses commas.
  std::optional<expr> parse_keyword_call(const std::string& name, location loc);
  expr parse_interval(location loc);
  std::vector<expr> parse_expr_list();  // a, b, ... (no parentheses)
  std::vector<order_item> parse_order_by_list();
  window_spec parse_window_spec();  // ( ... )
  frame_bound parse_frame_bound();
  [[nodiscard]] bool peek_query_start(std::size_t ahead = 0) const;

  // ---- types (parser_type.cpp) ----
  data_type parse_data_type();

  // ---- queries (parser_query.cpp) ----
  query parse_query();
  set_expr parse_set_expr(int min_precedence);
  select_core parse_select();
  select_item parse_select_item();
  /// One element of GROUP BY: `GROUPING SETS (...)`, `ROLLUP (...)` or `CUBE (...)` as a
  /// grouping_sets expression (ROLLUP and CUBE expanded), or an expression.
  expr parse_group_by_element();
  /// Appends the grouping sets of one element inside GROUPING SETS (...): ROLLUP / CUBE (their
  /// sets), a parenthesized list (maybe empty), or an expression (a set of one).
  void parse_grouping_set_element(std::vector<std::vector<expr>>& sets);
  /// ROLLUP / CUBE at the keyword: their grouping sets.
  std::vector<std::vector<expr>> parse_rollup_or_cube();
  table_with_joins parse_table_with_joins();
  table_factor parse_table_factor();
  std::optional<table_alias> parse_optional_alias();

  // ---- statements (parser_statement.cpp) ----
  statement parse_statement();
  insert parse_insert();
  create_table parse_create_table(bool temporary);
  column_def parse_column(ident name);
  std::vector<table_option> parse_options_list();  // ( 'k' = 'v', ... )

  // ---- MATCH_RECOGNIZE (parser_match_recognize.cpp) ----
  match_recognize_spec parse_match_recognize();
  row_pattern parse_row_pattern();

 private:
  std::string describe_token(const token& t) const;

  std::vector<token> tokens_;
  std::size_t pos_ = 0;
  parse_options options_;
  std::uint32_t depth_ = 0;  // recursion depth
  std::uint32_t chain_ = 0;  // operators applied in the chains being read
  std::size_t expected_pos_ = 0;
  std::vector<std::string> expected_;
  // The index of the last token read as an alias without AS (for "did you mean FROM" on
  // `SELECT a FORM t`), or npos.
  std::size_t implicit_alias_ = static_cast<std::size_t>(-1);
};

}  // namespace eddy::sql
