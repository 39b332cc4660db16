// GROUP BY / HAVING / aggregate calls: planner::aggregate (see planner.hpp and
// aggregate_operators.hpp for the operators it builds).
//
// The plan, as Flink's: a Calc computes the group keys, the aggregates' arguments and FILTER
// conditions (and applies WHERE); the rows go by key to a WindowAggregate (GROUP BY
// window_start, window_end of a window TVF, ...) or a GroupAggregate; a Calc after it computes
// HAVING and the select list over the keys and the aggregates' results.
#include <memory>
#include <optional>
#include <utility>

#include "eddy/sql/printer.hpp"
#include "eddy/table/aggregate_operators.hpp"
#include "eddy/table/planner.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

namespace {

using planning::column_expr;
using planning::indent;

bool is_aggregate(const sql::function_call& f) {
  return !f.over && f.name.size() == 1 && find_aggregate(f.name.front().value).has_value();
}

/// Rewrites select items and HAVING over the aggregate's output: aggregate calls become
/// `$aggN`, group keys `$keyN`; any other column reference is an error (not grouped).
class aggregate_rewriter {
 public:
  aggregate_rewriter(const std::vector<sql::expr>& group, const sql::scope& input)
      : group_(group), input_(input) {}

  sql::result<sql::expr> rewrite(const sql::expr& e) {
    sql::expr out = e;
    if (auto err = walk(out, false)) return *err;
    return out;
  }
  [[nodiscard]] const std::vector<sql::function_call>& calls() const { return calls_; }

 private:
  std::optional<sql::parse_error> walk(sql::expr& e, bool in_aggregate) {
    for (std::size_t j = 0; j < group_.size(); ++j) {
      if (e == group_[j] || same_column(e, group_[j])) {
        replace(e, "$key" + std::to_string(j));
        return std::nullopt;
      }
    }
    if (e.as<sql::identifier>()) {
      return error_at(e.loc, "Expression '" + sql::to_sql(e) + "' is not being grouped");
    }
    if (auto* f = e.as<sql::function_call>(); f && is_aggregate(*f)) {
      if (in_aggregate) return error_at(e.loc, "Aggregate calls cannot be nested");
      std::size_t i = 0;
      while (i < calls_.size() && !(calls_[i] == *f)) ++i;
      if (i == calls_.size()) calls_.push_back(*f);
      replace(e, "$agg" + std::to_string(i));
      return std::nullopt;
    }
    return children(e, in_aggregate);
  }

  std::optional<sql::parse_error> sub(sql::box<sql::expr>& b, bool agg) {
    if (!b) return std::nullopt;
    return walk(*b, agg);
  }

  std::optional<sql::parse_error> children(sql::expr& e, bool agg) {
    std::optional<sql::parse_error> err;
    auto one = [&](sql::box<sql::expr>& b) {
      if (!err) err = sub(b, agg);
    };
    auto many = [&](std::vector<sql::expr>& v) {
      for (auto& x : v)
        if (!err) err = walk(x, agg);
    };
    std::visit(
        [&](auto& n) {
          using N = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<N, sql::unary>) {
            one(n.operand);
          } else if constexpr (std::is_same_v<N, sql::binary> ||
                               std::is_same_v<N, sql::is_distinct_from>) {
            one(n.left);
            one(n.right);
          } else if constexpr (std::is_same_v<N, sql::is_test> || std::is_same_v<N, sql::cast> ||
                               std::is_same_v<N, sql::extract>) {
            one(n.operand);
          } else if constexpr (std::is_same_v<N, sql::in_list>) {
            one(n.operand);
            many(n.list);
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
              if (!err) err = walk(w.condition, agg);
              if (!err) err = walk(w.result, agg);
            }
            one(n.else_result);
          } else if constexpr (std::is_same_v<N, sql::function_call>) {
            for (auto& a : n.args) one(a.value);
          } else if constexpr (std::is_same_v<N, sql::row_constructor>) {
            many(n.fields);
          }
        },
        e.node);
    return err;
  }

  /// Whether `e` and the group key `g` are plain references to the same input column.
  bool same_column(const sql::expr& e, const sql::expr& g) const {
    const auto* a = e.as<sql::identifier>();
    const auto* b = g.as<sql::identifier>();
    if (!a || !b) return false;
    const int i = planning::column_index(input_, *a);
    return i >= 0 && i == planning::column_index(input_, *b);
  }

  static void replace(sql::expr& e, const std::string& name) {
    const auto loc = e.loc;
    e = column_expr(name);
    e.loc = loc;
  }

  const std::vector<sql::expr>& group_;
  const sql::scope& input_;
  std::vector<sql::function_call> calls_;
};

sql::select_item value_item(sql::expr e, const std::string& alias) {
  sql::select_item item;
  item.what = sql::select_item::kind::value;
  item.value = std::move(e);
  sql::ident a;
  a.value = alias;
  item.alias = a;
  return item;
}

std::string select_item_name(const sql::select_item& item, std::size_t index) {
  if (item.alias) return item.alias->value;
  if (const auto* id = item.value->as<sql::identifier>()) return id->parts.back().value;
  return "EXPR$" + std::to_string(index);
}

}  // namespace

namespace planning {

bool has_aggregate_call(const std::vector<sql::select_item>& items) {
  // Any aggregate call anywhere in the select list: the rewriter finds them all; here a textual
  // look at the calls is enough (a group key cannot hide an aggregate).
  struct finder {
    bool found = false;
    void walk(const sql::expr& e) {
      if (found) return;
      if (const auto* f = e.as<sql::function_call>()) {
        if (is_aggregate(*f)) {
          found = true;
          return;
        }
      }
      // Re-use the printer-independent approach: look at direct children we know.
      std::visit(
          [&](const auto& n) {
            using N = std::decay_t<decltype(n)>;
            if constexpr (std::is_same_v<N, sql::unary>) {
              walk(*n.operand);
            } else if constexpr (std::is_same_v<N, sql::binary>) {
              walk(*n.left);
              walk(*n.right);
            } else if constexpr (std::is_same_v<N, sql::cast>) {
              walk(*n.operand);
            } else if constexpr (std::is_same_v<N, sql::case_expr>) {
              for (const auto& w : n.whens) {
                walk(w.condition);
                walk(w.result);
              }
              if (n.else_result) walk(*n.else_result);
            } else if constexpr (std::is_same_v<N, sql::function_call>) {
              for (const auto& a : n.args)
                if (a.value) walk(*a.value);
            }
          },
          e.node);
    }
  } f;
  for (const auto& item : items)
    if (item.value) f.walk(*item.value);
  return f.found;
}

}  // namespace planning

sql::result<relation> planner::aggregate(relation in, const sql::select_core& s, sql::location at) {
  if (in.updating)
    return error_at(at,
                    "Aggregating an updating input (the result of another GROUP BY) is not "
                    "supported yet");
  for (const auto& g : s.group_by)
    if (g.as<sql::grouping_sets>())
      return error_at(g.loc, "GROUPING SETS, ROLLUP and CUBE are not supported yet");

  // 1. Rewrite the select list and HAVING over the aggregate's output.
  aggregate_rewriter rw(s.group_by, in.columns);
  std::vector<sql::select_item> items;
  for (std::size_t i = 0; i < s.items.size(); ++i) {
    const auto& item = s.items[i];
    if (item.what != sql::select_item::kind::value)
      return error_at(at, "'*' in the select list of an aggregation is not supported");
    auto e = rw.rewrite(*item.value);
    if (!e) return e.error();
    items.push_back(value_item(std::move(*e), select_item_name(item, i)));
  }
  std::optional<sql::expr> having;
  if (s.having) {
    auto h = rw.rewrite(*s.having);
    if (!h) return h.error();
    having = std::move(*h);
  }

  // 2. The Calc before: keys, then per call its argument and FILTER condition.
  std::vector<sql::select_item> pre;
  for (std::size_t j = 0; j < s.group_by.size(); ++j)
    pre.push_back(value_item(s.group_by[j], "$k" + std::to_string(j)));
  auto plan = std::make_shared<aggregate_plan>();
  plan->key_count = s.group_by.size();
  for (const auto& f : rw.calls()) {
    aggregate_call c;
    c.kind = *find_aggregate(f.name.front().value);
    c.distinct = f.distinct;
    sql::expr call_expr;
    call_expr.node = f;
    c.text = sql::to_sql(call_expr);
    if (f.star) {
      c.kind = aggregate_kind::count_star;
    } else {
      if (f.args.size() != 1 || f.args.front().name)
        return error_at(at, c.text + ": aggregate functions take one argument here");
      c.argument = static_cast<int>(pre.size());
      pre.push_back(value_item(*f.args.front().value, "$a" + std::to_string(pre.size())));
    }
    if (f.filter) {
      c.filter = static_cast<int>(pre.size());
      pre.push_back(value_item(*f.filter, "$f" + std::to_string(pre.size())));
    }
    plan->calls.push_back(std::move(c));
  }
  const auto group_text = [&] {
    std::string t;
    for (const auto& g : s.group_by) t += (t.empty() ? "" : ", ") + sql::to_sql(g);
    return t;
  }();
  // Which keys are the window's bounds.
  int key_start = -1;
  int key_end = -1;
  for (std::size_t j = 0; j < s.group_by.size(); ++j) {
    const auto* id = s.group_by[j].as<sql::identifier>();
    if (!id) continue;
    const int col = planning::column_index(in.columns, *id);
    if (col >= 0 && col == in.window_start) key_start = static_cast<int>(j);
    if (col >= 0 && col == in.window_end) key_end = static_cast<int>(j);
  }
  const bool windowed = key_start >= 0 && key_end >= 0;
  plan->window_end = windowed ? key_end : -1;

  const sql::scope input_columns = in.columns;  // for the output's names and qualifiers
  auto before = calc(std::move(in), s.where ? &*s.where : nullptr, pre, at);
  if (!before) return before.error();
  for (auto& c : plan->calls) {
    if (c.argument >= 0) c.argument_type = before->columns[c.argument].type;
    if (c.filter >= 0 && before->columns[c.filter].type.id != rows::type_id::boolean)
      return error_at(at, "FILTER of " + c.text + " needs a BOOLEAN condition, not " +
                              before->columns[c.filter].type.to_string());
    std::string why;
    auto t = aggregate_result_type(c.kind, c.argument_type, why);
    if (!t) return error_at(at, c.text + ": " + why);
    c.result_type = *t;
  }

  // 3. The aggregate: rows by key to the keyed function, packed into batches again.
  relation agg;
  std::vector<rows::logical_type> out_types;
  std::string select_text;
  for (std::size_t j = 0; j < plan->key_count; ++j) {
    std::string table;
    if (const auto* id = s.group_by[j].as<sql::identifier>()) {
      const int col = planning::column_index(input_columns, *id);
      if (col >= 0) table = input_columns[col].table;
    }
    agg.columns.push_back(
        sql::scope_column{table, "$key" + std::to_string(j), before->columns[j].type});
    out_types.push_back(before->columns[j].type);
    select_text += (select_text.empty() ? "" : ", ") + sql::to_sql(s.group_by[j]);
  }
  for (std::size_t i = 0; i < plan->calls.size(); ++i) {
    const auto& c = plan->calls[i];
    agg.columns.push_back(sql::scope_column{"", "$agg" + std::to_string(i), c.result_type});
    out_types.push_back(c.result_type);
    select_text += (select_text.empty() ? "" : ", ") + c.text;
  }
  if (windowed) {
    agg.window_start = key_start;
    agg.window_end = key_end;
  }
  agg.updating = !windowed;
  const int id = next_id_++;
  const std::string kind = windowed ? "WindowAggregate" : "GroupAggregate";
  plan->name = kind + " #" + std::to_string(id);
  const std::size_t key_count = plan->key_count;
  auto keyed = before->stream
                   ->flat_map<aggregate_row>(
                       [key_count](rows::row_batch&& b, collector<aggregate_row>& out) {
                         std::vector<aggregate_row> rows;
                         explode_for_aggregate(b, key_count, rows);
                         for (auto& r : rows) out.collect(std::move(r));
                       })
                   .key_by([](const aggregate_row& r) { return r.key; });
  std::shared_ptr<const aggregate_plan> shared = plan;
  DataStream<changelog_row> results =
      windowed ? keyed.template process<changelog_row>(window_aggregate_fn(shared), plan->name)
               : keyed.template process<changelog_row>(group_aggregate_fn(shared), plan->name);
  agg.stream = results.add_op<rows::row_batch>(
      "rows " + std::to_string(id), [out_types](operator_base* next) {
        return std::make_unique<rows_to_batch_op>(out_types,
                                                  detail::as_input<rows::row_batch>(next));
      });
  agg.explain.push_back(kind + "(groupBy=[" + group_text + "], select=[" + select_text + "])");
  agg.explain.push_back("+- Exchange(distribution=[" +
                        (group_text.empty() ? std::string("single") : "hash[" + group_text + "]") +
                        "])");
  indent(before->explain);
  for (auto& line : before->explain) agg.explain.push_back("   " + line);

  // 4. The Calc after: HAVING and the select list.
  return calc(std::move(agg), having ? &*having : nullptr, items, at);
}

}  // namespace eddy::table
