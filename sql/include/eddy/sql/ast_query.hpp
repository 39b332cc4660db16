#pragma once
/// The SQL AST, part 2: queries (WITH, SELECT, set operations, VALUES), FROM items (tables,
/// subqueries, table functions, UNNEST, joins, FOR SYSTEM_TIME AS OF) and MATCH_RECOGNIZE.
/// Modelled on sqlparser-rs's `ast::Query` / `SetExpr` / `TableFactor`. Same conventions as
/// ast_expr.hpp: plain values, structural `==`, positions outside `==`.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "eddy/sql/ast_expr.hpp"

namespace eddy::sql {

/// `[AS] name [(col, ...)]` after a FROM item.
struct table_alias {
  ident name;
  std::vector<ident> columns;
  bool operator==(const table_alias&) const = default;
};

// ---- MATCH_RECOGNIZE ----

/// A quantifier of a row pattern: `*`, `+`, `?`, `{n}`, `{n,}`, `{,m}`, `{n,m}`, each optionally
/// reluctant (followed by `?`).
struct pattern_quantifier {
  enum class form { star, plus, question, exact, range };
  form kind = form::star;
  std::optional<std::int64_t> min;  ///< exact: n; range: n (unset in `{,m}`)
  std::optional<std::int64_t> max;  ///< range: m (unset in `{n,}`)
  bool reluctant = false;
  bool operator==(const pattern_quantifier&) const = default;
};

/// A row pattern, as sqlparser-rs's `MatchRecognizePattern`: a variable, `^`, `$`,
/// `{- p -}` (exclusion), `PERMUTE(a, b)`, a concatenation `a b`, an alternation `a | b`, a
/// parenthesised group `(p)`, or a repetition (`items[0]` with a quantifier).
struct row_pattern {
  enum class kind {
    symbol,
    start_anchor,
    end_anchor,
    exclude,
    permute,
    concat,
    alternation,
    group,
    repetition
  };
  kind what = kind::symbol;
  ident symbol;                    ///< symbol
  std::vector<row_pattern> items;  ///< the operands of every other kind
  pattern_quantifier quantifier;   ///< repetition
  bool operator==(const row_pattern&) const = default;
};

/// `expr AS name` in MEASURES.
struct measure {
  expr value;
  ident alias;
  bool operator==(const measure&) const = default;
};

/// `var AS condition` in DEFINE.
struct pattern_definition {
  ident variable;
  expr condition;
  bool operator==(const pattern_definition&) const = default;
};

/// `name = (var, ...)` in SUBSET.
struct pattern_subset {
  ident name;
  std::vector<ident> variables;
  bool operator==(const pattern_subset&) const = default;
};

enum class rows_per_match { one_row, all_rows };

/// AFTER MATCH SKIP TO NEXT ROW | PAST LAST ROW | TO FIRST var | TO LAST var | TO var.
enum class skip_kind { to_next_row, past_last_row, to_first, to_last, to_variable };

struct after_match_skip {
  skip_kind kind = skip_kind::past_last_row;
  ident variable;  ///< to_first, to_last, to_variable
  bool operator==(const after_match_skip&) const = default;
};

struct match_recognize_spec {
  std::vector<expr> partition_by;
  std::vector<order_item> order_by;
  std::vector<measure> measures;
  std::optional<rows_per_match> rows;
  std::optional<after_match_skip> skip;
  row_pattern pattern;
  box<expr> within;  ///< WITHIN INTERVAL ..., empty if none
  std::vector<pattern_subset> subsets;
  std::vector<pattern_definition> definitions;
  bool operator==(const match_recognize_spec&) const = default;
};

// ---- FROM items ----

struct table_with_joins;

/// A table or view by name, optionally `FOR SYSTEM_TIME AS OF expr` (a temporal join's
/// versioned side).
struct named_table {
  object_name name;
  box<expr> system_time;  ///< empty if none
  bool operator==(const named_table&) const = default;
};

/// `[LATERAL] (query)`.
struct derived_table {
  box<query> subquery;
  bool lateral = false;
  bool operator==(const derived_table&) const = default;
};

/// `[LATERAL] TABLE(f(...))`: a table function (window TVFs TUMBLE/HOP/CUMULATE/SESSION, UDTFs).
struct table_function {
  expr call;  ///< a function_call
  bool lateral = false;
  bool operator==(const table_function&) const = default;
};

/// `UNNEST(a, ...) [WITH ORDINALITY]`.
struct unnest {
  std::vector<expr> arrays;
  bool with_ordinality = false;
  bool operator==(const unnest&) const = default;
};

/// A parenthesised join: `(a JOIN b ON ...)`.
struct nested_join {
  box<table_with_joins> inner;
  bool operator==(const nested_join&) const = default;
};

/// `input MATCH_RECOGNIZE (spec)`.
struct match_recognize {
  box<table_factor> input;
  match_recognize_spec spec;
  bool operator==(const match_recognize&) const = default;
};

using table_factor_node =
    std::variant<named_table, derived_table, table_function, unnest, nested_join, match_recognize>;

/// One FROM item and its alias.
struct table_factor {
  table_factor_node node;
  std::optional<table_alias> alias;
  location loc;
  bool operator==(const table_factor&) const = default;
};

/// INNER and OUTER are not recorded: `JOIN` = `INNER JOIN`, `LEFT JOIN` = `LEFT OUTER JOIN`.
enum class join_kind { inner, left, right, full, cross };

struct join {
  join_kind kind = join_kind::inner;
  table_factor relation;
  box<expr> on;                      ///< ON condition, empty if none
  std::vector<ident> using_columns;  ///< USING (...)
  bool operator==(const join&) const = default;
};

/// A FROM item followed by its joins; a FROM clause is a list of these (the comma join).
struct table_with_joins {
  table_factor relation;
  std::vector<join> joins;
  bool operator==(const table_with_joins&) const = default;
};

// ---- SELECT and queries ----

/// One item of the select list: `expr [[AS] alias]`, `*` or `t.*`.
struct select_item {
  enum class kind { value, wildcard, qualified_wildcard };
  kind what = kind::value;
  std::optional<expr> value;  ///< kind::value
  std::optional<ident> alias;
  object_name qualifier;  ///< kind::qualified_wildcard: the `t` of `t.*`
  bool operator==(const select_item&) const = default;
};

/// `name AS (spec)` in a WINDOW clause.
struct named_window {
  ident name;
  window_spec spec;
  bool operator==(const named_window&) const = default;
};

struct select_core {
  bool distinct = false;
  std::vector<select_item> items;
  std::vector<table_with_joins> from;
  box<expr> where;  ///< empty if none
  std::vector<expr> group_by;
  box<expr> having;  ///< empty if none
  std::vector<named_window> windows;
  bool operator==(const select_core&) const = default;
};

enum class set_operator { union_, intersect, except };

struct set_operation {
  set_operator op = set_operator::union_;
  bool all = false;
  box<set_expr> left;
  box<set_expr> right;
  bool operator==(const set_operation&) const = default;
};

/// `VALUES (a, b), (c, d)`.
struct values {
  std::vector<std::vector<expr>> rows;
  bool operator==(const values&) const = default;
};

/// The body of a query: a SELECT, a parenthesised query, a set operation or VALUES.
/// (INTERSECT binds tighter than UNION and EXCEPT; all are left-associative.)
struct set_expr {
  std::variant<select_core, box<query>, set_operation, values> node;
  bool operator==(const set_expr&) const = default;
};

/// `name [(cols)] AS (query)` in WITH.
struct common_table {
  ident name;
  std::vector<ident> columns;
  box<query> body;
  bool operator==(const common_table&) const = default;
};

/// A whole query: `[WITH ...] body [ORDER BY ...] [LIMIT n] [OFFSET n]`
/// (`FETCH FIRST n ROWS ONLY` is read as LIMIT n).
struct query {
  std::vector<common_table> with;
  set_expr body;
  std::vector<order_item> order_by;
  box<expr> limit;   ///< empty if none
  box<expr> offset;  ///< empty if none
  location loc;
  bool operator==(const query&) const = default;
};

}  // namespace eddy::sql
