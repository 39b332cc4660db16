#pragma once
/// The SQL AST, part 1: names, data types and scalar expressions (Flink's dialect), as the
/// parser (eddy/sql/parser.hpp) produces them. Modelled on sqlparser-rs's `ast::Expr`.
///
/// Plain values: every node owns its children (`box<T>`, `std::vector<T>`), copies deeply and
/// compares structurally with `==`. Positions (`location`) are carried for error messages and
/// never take part in `==` (as sqlparser-rs's `Span`), so a statement and its re-parsed printout
/// compare equal. Parentheses are not nodes: the tree is the grouping, and the printer
/// (eddy/sql/printer.hpp) writes the parentheses it needs.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "eddy/sql/box.hpp"
#include "eddy/sql/fwd.hpp"

namespace eddy::sql {

/// Where a token starts: byte offset, 1-based line, 1-based column (in characters; a tab counts
/// as one). Always equal under `==`.
struct location {
  std::uint32_t offset = 0;
  std::uint32_t line = 1;
  std::uint32_t column = 1;
  friend bool operator==(const location&, const location&) { return true; }
};

/// An identifier as written: case kept, backquotes removed (`quoted` says there were some).
/// Flink's identifiers are case-sensitive, so `==` compares `value` only (`a` equals `` `a` ``).
struct ident {
  std::string value;
  bool quoted = false;
  location loc;
  friend bool operator==(const ident& a, const ident& b) { return a.value == b.value; }
};

/// A possibly qualified name: `catalog.db.table`, `t.col`, `person.id` (one part or more).
using object_name = std::vector<ident>;

/// A field of a ROW type: `name TYPE ['description']`.
struct row_field {
  ident name;
  box<data_type> type;
  std::optional<std::string> description;
  bool operator==(const row_field&) const = default;
};

/// A data type. `name` is canonical upper case: BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, FLOAT,
/// DOUBLE, DECIMAL, CHAR, VARCHAR, STRING, BINARY, VARBINARY, BYTES, DATE, TIME, TIMESTAMP,
/// TIMESTAMP_LTZ, INTERVAL, ARRAY, MAP, MULTISET, ROW, RAW, or a user-defined type's name as
/// written. Aliases are normalised (INTEGER -> INT, DEC/NUMERIC -> DECIMAL, DOUBLE PRECISION ->
/// DOUBLE, TIMESTAMP WITHOUT TIME ZONE -> TIMESTAMP, TIMESTAMP WITH LOCAL TIME ZONE ->
/// TIMESTAMP_LTZ, `T ARRAY` -> ARRAY<T>, `T MULTISET` -> MULTISET<T>).
struct data_type {
  std::string name;
  std::vector<std::int64_t> params;  ///< length, precision [, scale] as written in ( )
  std::vector<data_type> children;   ///< ARRAY/MULTISET: the element; MAP: key, value
  std::vector<row_field> fields;     ///< ROW
  std::string interval_from;         ///< INTERVAL: leading unit (DAY, YEAR, ...)
  std::string interval_to;           ///< INTERVAL: trailing unit, empty if none
  bool not_null = false;
  bool operator==(const data_type&) const = default;
};

enum class unary_op { minus, plus, not_ };

enum class binary_op {
  or_,
  and_,
  eq,
  neq,  ///< `<>` (`!=` is read as `<>`)
  lt,
  le,
  gt,
  ge,
  concat,  ///< `||`
  plus,
  minus,
  multiply,
  divide,
  modulo,  ///< `%`
};

enum class literal_kind { number, string, binary, boolean, null };

/// A literal. number: the text as written (`1`, `0.908`, `1.5E-3`); string: the value with
/// `''` unescaped; binary: the hex digits of X'...'; boolean: "TRUE" or "FALSE"; null: empty.
struct literal {
  literal_kind kind = literal_kind::null;
  std::string text;
  bool operator==(const literal&) const = default;
};

/// `DATE '2020-01-01'`, `TIME '12:00:00'`, `TIMESTAMP '2020-01-01 12:00:00.000'`,
/// `TIMESTAMP_LTZ '...'`: `type` is the keyword in upper case, `value` the string.
struct typed_literal {
  std::string type;
  std::string value;
  bool operator==(const typed_literal&) const = default;
};

/// `INTERVAL '10' SECOND`, `INTERVAL '1 02:00' DAY TO MINUTE`, `INTERVAL '100' DAY(3)`.
/// Units are upper case: YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND.
struct interval_literal {
  std::string value;
  std::string unit;
  std::optional<std::int64_t> precision;
  std::string to_unit;  ///< empty if none
  bool operator==(const interval_literal&) const = default;
};

/// An identifier in an expression: a column (`price`), a qualified column (`B.price`), a field of
/// a ROW column (`person.id`): which part is which is decided by the planner, not the parser.
struct identifier {
  object_name parts;
  bool operator==(const identifier&) const = default;
};

struct unary {
  unary_op op = unary_op::minus;
  box<expr> operand;
  bool operator==(const unary&) const = default;
};

struct binary {
  binary_op op = binary_op::eq;
  box<expr> left;
  box<expr> right;
  bool operator==(const binary&) const = default;
};

enum class is_kind { null, true_, false_, unknown };

/// `x IS [NOT] NULL | TRUE | FALSE | UNKNOWN`.
struct is_test {
  box<expr> operand;
  is_kind what = is_kind::null;
  bool negated = false;
  bool operator==(const is_test&) const = default;
};

/// `a IS [NOT] DISTINCT FROM b`.
struct is_distinct_from {
  box<expr> left;
  box<expr> right;
  bool negated = false;
  bool operator==(const is_distinct_from&) const = default;
};

/// `x [NOT] IN (a, b, ...)`.
struct in_list {
  box<expr> operand;
  std::vector<expr> list;
  bool negated = false;
  bool operator==(const in_list&) const = default;
};

/// `x [NOT] IN (SELECT ...)`.
struct in_subquery {
  box<expr> operand;
  box<query> subquery;
  bool negated = false;
  bool operator==(const in_subquery&) const = default;
};

/// `x [NOT] BETWEEN [SYMMETRIC] low AND high` (ASYMMETRIC, the default, is not recorded).
struct between {
  box<expr> operand;
  box<expr> low;
  box<expr> high;
  bool negated = false;
  bool symmetric = false;
  bool operator==(const between&) const = default;
};

/// `x [NOT] LIKE pattern [ESCAPE e]`, `x [NOT] SIMILAR TO pattern [ESCAPE e]`.
struct like {
  box<expr> operand;
  box<expr> pattern;
  box<expr> escape;  ///< empty if none
  bool negated = false;
  bool similar = false;
  bool operator==(const like&) const = default;
};

/// `EXISTS (query)`; NOT EXISTS is `unary{not_, exists}`.
struct exists {
  box<query> subquery;
  bool operator==(const exists&) const = default;
};

/// A scalar subquery `(SELECT ...)`.
struct subquery {
  box<query> body;
  bool operator==(const subquery&) const = default;
};

struct when_clause;

/// `CASE [operand] WHEN ... THEN ... [ELSE ...] END`.
struct case_expr {
  box<expr> operand;  ///< empty for a searched CASE
  std::vector<when_clause> whens;
  box<expr> else_result;  ///< empty if none
  bool operator==(const case_expr&) const = default;
};

/// `CAST(x AS type)`, `TRY_CAST(x AS type)`.
struct cast {
  box<expr> operand;
  box<data_type> type;  ///< boxed to keep `expr` small (stack use per nesting level)
  bool try_cast = false;
  bool operator==(const cast&) const = default;
};

/// `EXTRACT(unit FROM x)`; unit upper case (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, DOW, ...).
struct extract {
  std::string unit;
  box<expr> operand;
  bool operator==(const extract&) const = default;
};

/// One argument of a function call, positional or named (`SIZE => INTERVAL '10' SECOND`).
struct function_arg {
  std::optional<ident> name;
  box<expr> value;
  bool operator==(const function_arg&) const = default;
};

enum class frame_units { rows, range };
enum class bound_kind {
  unbounded_preceding,
  preceding,
  current_row,
  following,
  unbounded_following
};

/// One end of a window frame; `offset` is set for `n PRECEDING` / `n FOLLOWING`.
struct frame_bound {
  bound_kind kind = bound_kind::current_row;
  box<expr> offset;
  bool operator==(const frame_bound&) const = default;
};

/// `ROWS|RANGE start` or `ROWS|RANGE BETWEEN start AND end`.
struct window_frame {
  frame_units units = frame_units::rows;
  frame_bound start;
  std::optional<frame_bound> end;
  bool operator==(const window_frame&) const = default;
};

/// `expr [ASC|DESC] [NULLS FIRST|LAST]` in ORDER BY.
struct order_item {
  box<expr> value;
  std::optional<bool> ascending;    ///< unset when neither ASC nor DESC was written
  std::optional<bool> nulls_first;  ///< unset when no NULLS clause was written
  bool operator==(const order_item&) const = default;
};

/// A window: `[base_window] [PARTITION BY ...] [ORDER BY ...] [frame]`, in OVER (...) and in
/// a WINDOW clause.
struct window_spec {
  std::optional<ident> base;
  std::vector<expr> partition_by;
  std::vector<order_item> order_by;
  std::optional<window_frame> frame;
  bool operator==(const window_spec&) const = default;
};

/// `OVER w` (a named window) or `OVER (spec)`.
struct over_clause {
  std::optional<ident> window_name;
  std::optional<window_spec> spec;
  bool operator==(const over_clause&) const = default;
};

/// The argument syntax of a call: commas, or one of SQL's keyword forms (arguments in `args`):
/// - position_in: `POSITION(needle IN haystack)`, args {needle, haystack}
/// - trim: `TRIM([BOTH | LEADING | TRAILING] [chars] FROM source)`, args {[chars,] source},
///   the mode in `trim_mode` (empty if not written)
/// - substring_from: `SUBSTRING(s FROM start [FOR length])`, args {s, start [, length]}
/// - overlay: `OVERLAY(s PLACING r FROM start [FOR length])`, args {s, r, start [, length]}
enum class call_syntax { commas, position_in, trim, substring_from, overlay };

/// A function call: `f(a, b)`, `COUNT(*)`, `COUNT(DISTINCT x) FILTER (WHERE ...)`,
/// `ROW_NUMBER() OVER (...)`, `TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND)`, and the
/// niladic `CURRENT_TIMESTAMP` (no parentheses). Names keep the case they were written in.
struct function_call {
  object_name name;
  std::vector<function_arg> args;
  bool distinct = false;
  bool star = false;       ///< COUNT(*)
  bool no_parens = false;  ///< CURRENT_TIMESTAMP, CURRENT_DATE, LOCALTIMESTAMP, ...
  call_syntax syntax = call_syntax::commas;
  std::string trim_mode;  ///< BOTH, LEADING, TRAILING or empty (call_syntax::trim)
  box<expr> filter;       ///< FILTER (WHERE ...), empty if none
  box<over_clause> over;  ///< OVER ..., empty if none
  bool operator==(const function_call&) const = default;
};

/// `GROUPING SETS ((a, b), (a), ())` in GROUP BY: each set a list of expressions (maybe empty).
struct grouping_sets {
  std::vector<std::vector<expr>> sets;
  bool operator==(const grouping_sets&) const = default;
};

/// `TABLE name [PARTITION BY col, ...]` as a table function's argument (the PARTITION BY of
/// Flink's SESSION window TVF).
struct table_arg {
  object_name name;
  std::vector<expr> partition_by;
  bool operator==(const table_arg&) const = default;
};

/// `DESCRIPTOR(col, ...)` as a table function's argument.
struct descriptor {
  std::vector<ident> columns;
  bool operator==(const descriptor&) const = default;
};

/// `ROW(a, b, ...)`.
struct row_constructor {
  std::vector<expr> fields;
  bool operator==(const row_constructor&) const = default;
};

/// `ARRAY[a, b, ...]`.
struct array_constructor {
  std::vector<expr> items;
  bool operator==(const array_constructor&) const = default;
};

/// `MAP[k1, v1, k2, v2, ...]` (items alternate keys and values).
struct map_constructor {
  std::vector<expr> items;
  bool operator==(const map_constructor&) const = default;
};

/// `base[index]`: an array element (from 1) or a map value.
struct subscript {
  box<expr> base;
  box<expr> index;
  bool operator==(const subscript&) const = default;
};

/// `base.field` where base is not a plain name (`f(x).a`, `arr[1].b`, `(row_expr).c`);
/// `a.b.c` is an `identifier` with three parts instead.
struct field_access {
  box<expr> base;
  ident field;
  bool operator==(const field_access&) const = default;
};

using expr_node =
    std::variant<identifier, literal, typed_literal, interval_literal, unary, binary, is_test,
                 is_distinct_from, in_list, in_subquery, between, like, exists, subquery, case_expr,
                 cast, extract, function_call, table_arg, descriptor, row_constructor,
                 array_constructor, map_constructor, subscript, field_access, grouping_sets>;

/// A scalar expression: one of the nodes above, and where it starts in the text.
struct expr {
  expr_node node;
  location loc;
  bool operator==(const expr&) const = default;

  template <class T>
  [[nodiscard]] const T* as() const {
    return std::get_if<T>(&node);
  }
  template <class T>
  [[nodiscard]] T* as() {
    return std::get_if<T>(&node);
  }
};

struct when_clause {
  expr condition;
  expr result;
  bool operator==(const when_clause&) const = default;
};

}  // namespace eddy::sql
