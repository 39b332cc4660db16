#pragma once
// Helpers shared by the planner's files (planner.cpp, planner_aggregate.cpp,
// planner_window.cpp). Internal to eddy_table.
#include <set>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "eddy/operators/sinks.hpp"
#include "eddy/sql/ast.hpp"
#include "eddy/sql/vector_expr.hpp"
#include "eddy/table/aggregates.hpp"
#include "eddy/table/planner.hpp"
#include "eddy/table/table_connector.hpp"

namespace eddy::table::planning {

/// An identifier expression naming column `name`.
sql::expr column_expr(const std::string& name);
/// A literal: `kind` number (its text as written) or string (the value) (planner_values.cpp).
sql::expr literal_expr(sql::literal_kind kind, std::string text);
/// A reference to column `c`: `t.c` when it has a table, else `c`.
sql::expr reference(const sql::scope_column& c);
/// "a, b, c": the column names of a scope.
std::string join_names(const sql::scope& s);
/// The plan of an input below its consumer: "+- " before its first line, "   " before the rest.
void indent(std::vector<std::string>& lines);
/// The position in `s` of the column an identifier names (`c` or `t.c`), or -1 if none or more
/// than one match.
int column_index(const sql::scope& s, const sql::identifier& id);
/// The value in ms of a constant day-time INTERVAL expression (`what` names it in errors).
sql::result<std::int64_t> constant_interval(const sql::expr& e, const std::string& what);
/// The value of a constant integer expression (LIMIT, a rank bound).
sql::result<std::int64_t> constant_integer(const sql::expr& e, const std::string& what);
/// ASCII upper case.
std::string upper(const std::string& s);
/// `e AS alias` as a select item.
inline sql::select_item aliased(sql::expr e, const std::string& alias) {
  sql::select_item item;
  item.what = sql::select_item::kind::value;
  item.value = std::move(e);
  sql::ident a;
  a.value = alias;
  item.alias = a;
  return item;
}
/// The value of a constant expression (no columns), or an error at it naming `what`.
sql::result<rows::value> evaluate_constant(const sql::expr& e, const std::string& what,
                                           rows::logical_type* type = nullptr);
/// The operands of a chain of ANDs (`a AND b AND c` -> a, b, c; anything else -> itself).
inline void conjuncts(const sql::expr& e, std::vector<const sql::expr*>& out) {
  if (const auto* b = e.as<sql::binary>(); b && b->op == sql::binary_op::and_) {
    conjuncts(*b->left, out);
    conjuncts(*b->right, out);
    return;
  }
  out.push_back(&e);
}
/// Whether a select list calls an aggregate function (COUNT, SUM, AVG, MIN, MAX) outside OVER.
bool has_aggregate_call(const std::vector<sql::select_item>& items);
/// The aggregate call `f` (COUNT(*), SUM(x), ...; DISTINCT; FILTER), its argument and FILTER
/// condition appended to the items `pre` of the Calc before the aggregate (planner_aggregate.cpp).
sql::result<aggregate_call> bind_aggregate_call(const sql::function_call& f,
                                                std::vector<sql::select_item>& pre,
                                                sql::location at);
/// Sets the argument and result types of `c` from `columns`, those of the Calc computing `pre`;
/// an error at `at` if the aggregate does not take them.
std::optional<sql::parse_error> type_aggregate_call(aggregate_call& c, const sql::scope& columns,
                                                    sql::location at);
/// `CAST(e AS t)`.
sql::expr cast_to(sql::expr e, const rows::logical_type& t);
/// Appends the plans of a two-input operator's inputs, each below an Exchange(hash).
void append_hashed_inputs(std::vector<std::string>& explain, std::vector<std::string> left,
                          std::vector<std::string> right);
/// Appends the plan of a keyed operator's input below it: an Exchange by `partition` (its
/// columns as text; empty: to one subtask), then the input indented (planner_over.cpp).
void append_exchanged_input(std::vector<std::string>& explain, const std::string& partition,
                            std::vector<std::string> input);
/// The conditions joined by AND (at least one).
sql::expr conjunction(const std::vector<const sql::expr*>& parts);
/// Marks the windows add_windows appended to `r` as processing-time windows (their window_time a
/// processing-time attribute, not the event-time one).
void proctime_windows(relation& r);
/// "Unsupported option 'k' for table 't' (connector 'c' takes ...)" for an option of `t` not in
/// `allowed` (csv.* and json.* are the format's), or "" (planner.cpp).
std::string file_option_error(const table_def& t, const std::vector<std::string>& allowed);
/// The option keys of a filesystem table: connector, path, format, the rolling policy's, and
/// (`partitioned`) the partition commit's (planner_file_sink.cpp).
std::vector<std::string> file_sink_keys(bool partitioned);
/// A filesystem table's 'path' option, without the `file://` of Flink's URI form.
std::string file_path(const table_def& t);
/// The rolling policy of a filesystem sink from its 'sink.rolling-policy.*' options into `out`;
/// an error message, or "".
std::string rolling_options(const table_def& t, rolling_policy& out);
/// Whether `e` is a call of PROCTIME() (it makes its column the processing-time attribute).
bool is_proctime_call(const sql::expr& e);
/// Whether `k` is a lookup cache option ('lookup.cache*', 'lookup.partial-cache.*'), which the
/// planner reads for connectors that can be looked up (planner_connector.cpp).
bool is_lookup_cache_key(const std::string& k);
/// The WITH options that are connector `c`'s: all but 'connector', 'format', the format's and
/// (for a connector that can be looked up) the lookup cache's.
table_options connector_options(const table_def& t, const table_connector& c);
/// Adds the names of the columns `e` refers to (the last part of each identifier) to `out`
/// (planner_pruning.cpp).
void column_names(const sql::expr& e, std::set<std::string>& out);
/// An ORDER BY on a time attribute (OVER windows, MATCH_RECOGNIZE): its column in `in` and
/// whether it is the processing-time attribute.
struct time_order {
  int column = -1;
  bool processing_time = false;
};
/// `order` as a time attribute of `in`, ascending; else an error at it: `not_time` followed by
/// "(a column with WATERMARK FOR ...), not '<order>'", or `descending` (planner_over.cpp).
sql::result<time_order> order_by_time(const relation& in, const sql::order_item& order,
                                      const std::string& not_time, const std::string& descending);
/// Whether a select list calls an aggregate function with OVER (planner_over.cpp).
bool has_over_aggregate(const std::vector<sql::select_item>& items);
/// Whether `f` is an aggregate call (COUNT, SUM, ...) without OVER (planner_aggregate.cpp).
bool is_aggregate_call(const sql::function_call& f);
/// Whether `a` and `b` are the same grouping expression: equal, or references to the same
/// column of `input` (`a`, `t.a`) (planner_aggregate.cpp).
bool same_grouping_expression(const sql::expr& a, const sql::expr& b, const sql::scope& input);
/// The name of select item `index`: its alias, a column's name, or EXPR$index.
std::string output_name(const sql::select_item& item, std::size_t index);
/// Whether GROUP BY has grouping sets (GROUPING SETS, ROLLUP, CUBE) or the select list or
/// HAVING calls GROUPING / GROUPING_ID (planner_grouping_sets.cpp).
bool uses_grouping_sets(const sql::select_core& s);

}  // namespace eddy::table::planning

namespace eddy::table::planning {

/// Calls `fn(child)` for each direct sub-expression of `e` (operands, arguments, CASE arms),
/// as `E&` (sql::expr or const sql::expr). Subqueries, table arguments and descriptors are not
/// entered.
template <class E, class Fn>
void for_each_child(E& e, Fn&& fn) {
  auto one = [&](auto& b) {
    if (b) fn(*b);
  };
  std::visit(
      [&](auto& n) {
        using N = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<N, sql::unary> || std::is_same_v<N, sql::is_test> ||
                      std::is_same_v<N, sql::cast> || std::is_same_v<N, sql::extract>) {
          one(n.operand);
        } else if constexpr (std::is_same_v<N, sql::binary> ||
                             std::is_same_v<N, sql::is_distinct_from>) {
          one(n.left);
          one(n.right);
        } else if constexpr (std::is_same_v<N, sql::in_list>) {
          one(n.operand);
          for (auto& x : n.list) fn(x);
        } else if constexpr (std::is_same_v<N, sql::between>) {
          one(n.operand);
          one(n.low);
          one(n.high);
        } else if constexpr (std::is_same_v<N, sql::like>) {
          one(n.operand);
          one(n.pattern);
          one(n.escape);
        } else if constexpr (std::is_same_v<N, sql::case_expr>) {
          one(n.operand);
          for (auto& w : n.whens) {
            fn(w.condition);
            fn(w.result);
          }
          one(n.else_result);
        } else if constexpr (std::is_same_v<N, sql::function_call>) {
          for (auto& a : n.args) one(a.value);
        } else if constexpr (std::is_same_v<N, sql::row_constructor>) {
          for (auto& x : n.fields) fn(x);
        }
      },
      e.node);
}

/// Whether an expression of `items` holds a function call `pred` accepts (subqueries not
/// entered).
template <class Pred>
bool any_call(const std::vector<sql::select_item>& items, Pred pred) {
  bool found = false;
  auto walk = [&](const sql::expr& e, auto& self) -> void {
    if (found) return;
    if (const auto* f = e.as<sql::function_call>(); f && pred(*f)) {
      found = true;
      return;
    }
    for_each_child(e, [&](const sql::expr& child) { self(child, self); });
  };
  for (const auto& item : items)
    if (item.value) walk(*item.value, walk);
  return found;
}

}  // namespace eddy::table::planning
