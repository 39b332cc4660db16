// GROUP BY / HAVING / aggregate calls: planner::aggregate (see planner.hpp and
// aggregate_operators.hpp for the operators it builds).
//
// The plan, as Flink's: a Calc computes the group keys, the aggregates' arguments and FILTER
// conditions (and applies WHERE); the rows go by key to a WindowAggregate (GROUP BY
// window_start, window_end of a window TVF, ...) or a GroupAggregate; a Calc after it computes
// HAVING and the select list over the keys and the aggregates' results.
#include <algorithm>
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
  /// `passthrough`: names that stay as they are (a session window's bounds).
  aggregate_rewriter(const std::vector<sql::expr>& group, const sql::scope& input,
                     std::vector<std::string> passthrough)
      : group_(group), input_(input), passthrough_(std::move(passthrough)) {}

  sql::result<sql::expr> rewrite(const sql::expr& e) {
    sql::expr out = e;
    if (auto err = walk(out, false)) return *err;
    return out;
  }
  [[nodiscard]] const std::vector<sql::function_call>& calls() const { return calls_; }

 private:
  std::optional<sql::parse_error> walk(sql::expr& e, bool in_aggregate) {
    for (std::size_t j = 0; j < group_.size(); ++j) {
      if (planning::same_grouping_expression(e, group_[j], input_)) {
        replace(e, "$key" + std::to_string(j));
        return std::nullopt;
      }
    }
    if (const auto* id = e.as<sql::identifier>()) {
      for (const auto& name : passthrough_)
        if (id->parts.size() == 1 && id->parts.front().value == name) return std::nullopt;
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

  std::optional<sql::parse_error> children(sql::expr& e, bool agg) {
    std::optional<sql::parse_error> err;
    planning::for_each_child(e, [&](sql::expr& child) {
      if (!err) err = walk(child, agg);
    });
    return err;
  }

  static void replace(sql::expr& e, const std::string& name) {
    const auto loc = e.loc;
    e = column_expr(name);
    e.loc = loc;
  }

  const std::vector<sql::expr>& group_;
  const sql::scope& input_;
  std::vector<std::string> passthrough_;
  std::vector<sql::function_call> calls_;
};

/// A legacy group window in GROUP BY: `TUMBLE(ts, size)`, `HOP(ts, slide, size)`,
/// `SESSION(ts, gap)`.
struct group_window {
  std::string fn;
  std::size_t index = 0;  ///< its position in GROUP BY
  window_spec spec;       ///< TUMBLE / HOP
  std::int64_t gap = 0;   ///< SESSION
  std::string time_name;
  sql::expr time;                ///< the time attribute argument
  bool processing_time = false;  ///< over the processing-time attribute
};

const std::vector<std::string> window_bounds = {"$window_start", "$window_end", "$window_time"};

sql::result<std::optional<group_window>> find_group_window(const relation& in,
                                                           const std::vector<sql::expr>& group) {
  std::optional<group_window> found;
  for (std::size_t j = 0; j < group.size(); ++j) {
    const auto* f = group[j].as<sql::function_call>();
    if (!f || f->name.size() != 1) continue;
    const auto fn = planning::upper(f->name.front().value);
    if (fn != "TUMBLE" && fn != "HOP" && fn != "SESSION") continue;
    if (found) return error_at(group[j].loc, "GROUP BY holds more than one group window");
    const std::size_t intervals = fn == "HOP" ? 2 : 1;
    const bool offset = fn != "SESSION" && f->args.size() == 2 + intervals;
    if (f->args.size() != 1 + intervals && !offset)
      return error_at(group[j].loc, "Invalid number of arguments to " + fn);
    for (const auto& a : f->args)
      if (a.name) return error_at(a.name->loc, "Named arguments of " + fn + " are not supported");
    group_window g;
    g.fn = fn;
    g.index = j;
    g.time = *f->args[0].value;
    const auto* id = g.time.as<sql::identifier>();
    const int col = id ? planning::column_index(in.columns, *id) : -1;
    g.processing_time = col >= 0 && col == in.proctime;
    if (!in.is_rowtime(col) && !g.processing_time)
      return error_at(
          g.time.loc,
          "Window can only be defined on a time attribute column" +
              (col >= 0 ? ", but is type of " + in.columns[col].type.to_string() : std::string()) +
              " (a column with WATERMARK FOR in its table, or computed by PROCTIME())");
    g.time_name = in.columns[col].name;
    g.spec.time_column = col;
    std::vector<std::int64_t> ms;
    for (std::size_t a = 1; a < f->args.size(); ++a) {
      auto v = planning::constant_interval(*f->args[a].value, fn + "'s interval");
      if (!v) return v.error();
      if (*v <= 0 && a <= intervals)
        return error_at(f->args[a].value->loc, fn + ": the interval must be positive");
      ms.push_back(*v);
    }
    if (fn == "TUMBLE") {
      g.spec.kind = window_kind::tumble;
      g.spec.size = ms[0];
    } else if (fn == "HOP") {
      g.spec.kind = window_kind::hop;
      g.spec.step = ms[0];
      g.spec.size = ms[1];
      if (g.spec.size % g.spec.step != 0)
        return error_at(group[j].loc, "HOP: the size must be a multiple of the slide");
    } else {
      g.gap = ms[0];
    }
    if (offset) g.spec.offset = ms.back();
    found = std::move(g);
  }
  return found;
}

/// Replaces `FN_START(...)`, `FN_END(...)` and `FN_ROWTIME(...)` by the window's bounds.
std::optional<sql::parse_error> replace_auxiliary(sql::expr& e, const std::string& fn,
                                                  bool processing_time) {
  if (const auto* f = e.as<sql::function_call>(); f && f->name.size() == 1) {
    const auto name = planning::upper(f->name.front().value);
    const char* bound = name == fn + "_START"     ? "$window_start"
                        : name == fn + "_END"     ? "$window_end"
                        : name == fn + "_ROWTIME" ? "$window_time"
                                                  : nullptr;
    if (name == fn + "_PROCTIME") {
      // A processing-time attribute for what follows (as Flink's: its value is the clock's
      // when a row passes the Calc after the aggregate).
      if (!processing_time)
        return error_at(e.loc, name +
                                   " needs a group window in processing time (over a "
                                   "PROCTIME() attribute); use " +
                                   fn + "_ROWTIME for one in event time");
      sql::function_call proctime;
      proctime.name = {sql::ident{"PROCTIME", false, e.loc}};
      const auto loc = e.loc;
      e = sql::expr{};
      e.node = std::move(proctime);
      e.loc = loc;
      return std::nullopt;
    }
    if (bound) {
      const auto loc = e.loc;
      e = column_expr(bound);
      e.loc = loc;
      return std::nullopt;
    }
  }
  std::optional<sql::parse_error> err;
  planning::for_each_child(e, [&](sql::expr& child) {
    if (!err) err = replace_auxiliary(child, fn, processing_time);
  });
  return err;
}

/// Replaces the identifiers window_start, window_end and window_time by the session window's
/// bounds.
void replace_window_columns(sql::expr& e) {
  if (const auto* id = e.as<sql::identifier>(); id && id->parts.size() == 1) {
    const auto& n = id->parts.front().value;
    if (n == "window_start" || n == "window_end" || n == "window_time") {
      const auto loc = e.loc;
      e = column_expr("$" + n);
      e.loc = loc;
      return;
    }
  }
  planning::for_each_child(e, [](sql::expr& child) { replace_window_columns(child); });
}

/// The window aggregate of a SESSION window TVF: GROUP BY must hold window_start, window_end and
/// exactly the TVF's PARTITION BY columns (the sessions are per group). Removes the window
/// columns from `group_by` and points the select list and HAVING at the session's bounds.
sql::result<group_window> session_tvf_window(const relation& in, std::vector<sql::expr>& group_by,
                                             std::vector<sql::select_item>& items,
                                             std::optional<sql::expr>& having, sql::location at) {
  const auto& sw = *in.session;
  bool start = false, end = false;
  std::vector<sql::expr> keys;
  std::vector<std::string> names;
  for (const auto& g : group_by) {
    const auto* id = g.as<sql::identifier>();
    const int col = id ? planning::column_index(in.columns, *id) : -1;
    const std::string name = col >= 0 ? in.columns[col].name : std::string();
    if (name == "window_start") {
      start = true;
    } else if (name == "window_end") {
      end = true;
    } else {
      keys.push_back(g);
      names.push_back(name);
    }
  }
  std::vector<std::string> partition = sw.partition;
  std::sort(names.begin(), names.end());
  std::sort(partition.begin(), partition.end());
  if (!start || !end || names != partition) {
    std::string list;
    for (const auto& p : sw.partition) list += ", " + p;
    return error_at(at, "A SESSION window TVF is aggregated by GROUP BY window_start, window_end" +
                            list +
                            " (its PARTITION BY columns): other groupings are not supported");
  }
  group_by = std::move(keys);
  for (auto& item : items)
    if (item.value) replace_window_columns(*item.value);
  if (having) replace_window_columns(*having);
  group_window g;
  g.fn = "SESSION";
  g.gap = sw.gap;
  g.time_name = in.columns[static_cast<std::size_t>(sw.time_column)].name;
  g.time = planning::reference(in.columns[static_cast<std::size_t>(sw.time_column)]);
  g.spec.time_column = sw.time_column;
  g.processing_time = sw.processing_time;
  return g;
}

std::string select_item_name(const sql::select_item& item, std::size_t index) {
  if (item.alias) return item.alias->value;
  if (const auto* id = item.value->as<sql::identifier>()) return id->parts.back().value;
  return "EXPR$" + std::to_string(index);
}

}  // namespace

namespace planning {

bool has_aggregate_call(const std::vector<sql::select_item>& items) {
  return any_call(items, is_aggregate);
}

bool is_aggregate_call(const sql::function_call& f) {
  return is_aggregate(f);
}

bool same_grouping_expression(const sql::expr& a, const sql::expr& b, const sql::scope& input) {
  if (a == b) return true;
  const auto* x = a.as<sql::identifier>();
  const auto* y = b.as<sql::identifier>();
  if (!x || !y) return false;
  const int i = column_index(input, *x);
  return i >= 0 && i == column_index(input, *y);
}

std::string output_name(const sql::select_item& item, std::size_t index) {
  return select_item_name(item, index);
}

sql::result<aggregate_call> bind_aggregate_call(const sql::function_call& f,
                                                std::vector<sql::select_item>& pre,
                                                sql::location at) {
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
    pre.push_back(aliased(*f.args.front().value, "$a" + std::to_string(pre.size())));
  }
  if (f.filter) {
    c.filter = static_cast<int>(pre.size());
    pre.push_back(aliased(*f.filter, "$f" + std::to_string(pre.size())));
  }
  return c;
}

std::optional<sql::parse_error> type_aggregate_call(aggregate_call& c, const sql::scope& columns,
                                                    sql::location at) {
  if (c.argument >= 0) c.argument_type = columns[static_cast<std::size_t>(c.argument)].type;
  if (c.filter >= 0 &&
      columns[static_cast<std::size_t>(c.filter)].type.id != rows::type_id::boolean)
    return error_at(at, "FILTER of " + c.text + " needs a BOOLEAN condition, not " +
                            columns[static_cast<std::size_t>(c.filter)].type.to_string());
  std::string why;
  auto t = aggregate_result_type(c.kind, c.argument_type, why);
  if (!t) return error_at(at, c.text + ": " + why);
  c.result_type = *t;
  return std::nullopt;
}

sql::expr cast_to(sql::expr e, const rows::logical_type& t) {
  sql::cast c;
  c.operand = sql::box<sql::expr>(std::move(e));
  c.type = sql::box<sql::data_type>(to_data_type(t));
  sql::expr out;
  out.node = std::move(c);
  return out;
}

sql::expr conjunction(const std::vector<const sql::expr*>& parts) {
  sql::expr out = *parts.front();
  for (std::size_t i = 1; i < parts.size(); ++i) {
    sql::binary b;
    b.op = sql::binary_op::and_;
    b.left = sql::box<sql::expr>(std::move(out));
    b.right = sql::box<sql::expr>(*parts[i]);
    out = sql::expr{};
    out.node = std::move(b);
  }
  return out;
}

}  // namespace planning

sql::result<relation> planner::aggregate(relation in, const sql::select_core& s, sql::location at) {
  if (planning::uses_grouping_sets(s)) return grouping_sets_aggregate(std::move(in), s, at);
  const bool updating_input = in.updating;

  // 0. A legacy group window (GROUP BY TUMBLE(ts, size), HOP, SESSION): TUMBLE and HOP become
  // window columns grouped by (as a window TVF), SESSION a session window aggregate.
  std::vector<sql::expr> group_by = s.group_by;
  std::vector<sql::select_item> source_items = s.items;
  std::optional<sql::expr> source_having;
  if (s.having) source_having = *s.having;
  std::optional<group_window> session;
  std::vector<std::string> passthrough;
  if (in.session) {  // a SESSION window TVF: its window aggregate
    auto g = session_tvf_window(in, group_by, source_items, source_having, at);
    if (!g) return g.error();
    session = std::move(*g);
    passthrough = window_bounds;
    in.session.reset();
  }
  auto found = find_group_window(in, group_by);
  if (!found) return found.error();
  if (*found) {
    auto& g = **found;
    group_by.erase(group_by.begin() + static_cast<std::ptrdiff_t>(g.index));
    for (auto& item : source_items)
      if (item.value)
        if (auto err = replace_auxiliary(*item.value, g.fn, g.processing_time)) return *err;
    if (source_having)
      if (auto err = replace_auxiliary(*source_having, g.fn, g.processing_time)) return *err;
    if (g.fn == "SESSION") {
      session = g;
      passthrough = window_bounds;
    } else {
      in = add_windows(std::move(in), g.spec, g.fn, g.time_name, "$");
      if (g.processing_time) planning::proctime_windows(in);
      for (const auto& name : window_bounds) group_by.push_back(column_expr(name));
    }
  }

  // 1. Rewrite the select list and HAVING over the aggregate's output.
  aggregate_rewriter rw(group_by, in.columns, passthrough);
  std::vector<sql::select_item> items;
  for (std::size_t i = 0; i < source_items.size(); ++i) {
    const auto& item = source_items[i];
    if (item.what != sql::select_item::kind::value)
      return error_at(at, "'*' in the select list of an aggregation is not supported");
    auto e = rw.rewrite(*item.value);
    if (!e) return e.error();
    items.push_back(planning::aliased(std::move(*e), select_item_name(s.items[i], i)));
  }
  std::optional<sql::expr> having;
  if (source_having) {
    auto h = rw.rewrite(*source_having);
    if (!h) return h.error();
    having = std::move(*h);
  }

  // 2. The Calc before: keys, then per call its argument and FILTER condition.
  std::vector<sql::select_item> pre;
  for (std::size_t j = 0; j < group_by.size(); ++j)
    pre.push_back(planning::aliased(group_by[j], "$k" + std::to_string(j)));
  auto plan = std::make_shared<aggregate_plan>();
  plan->key_count = group_by.size();
  plan->ttl = o_.state_ttl;
  for (const auto& f : rw.calls()) {
    auto c = planning::bind_aggregate_call(f, pre, at);
    if (!c) return c.error();
    plan->calls.push_back(std::move(*c));
  }
  if (session) {
    plan->session_gap = session->gap;
    plan->time_value = static_cast<int>(pre.size());
    pre.push_back(planning::aliased(session->time, "$t"));
  }
  const auto group_text = [&] {
    std::string t;
    for (const auto& g : group_by) t += (t.empty() ? "" : ", ") + sql::to_sql(g);
    return t;
  }();
  // Which keys are the window's bounds.
  int key_start = -1;
  int key_end = -1;
  for (std::size_t j = 0; j < group_by.size(); ++j) {
    const auto* id = group_by[j].as<sql::identifier>();
    if (!id) continue;
    const int col = planning::column_index(in.columns, *id);
    if (col >= 0 && col == in.window_start) key_start = static_cast<int>(j);
    if (col >= 0 && col == in.window_end) key_end = static_cast<int>(j);
  }
  const bool windowed = key_start >= 0 && key_end >= 0;
  if (updating_input && (windowed || session))
    return error_at(at,
                    "A window aggregate over an updating input (a GROUP BY result or an outer "
                    "join) is not supported: Flink's windows need an insert-only input");
  plan->retracting = updating_input;
  plan->window_end = windowed ? key_end : -1;
  plan->processing_time =
      (windowed && in.processing_time_windows) || (session && session->processing_time);

  const sql::scope input_columns = in.columns;  // for the output's names and qualifiers
  auto before = calc(std::move(in), s.where ? &*s.where : nullptr, pre, at);
  if (!before) return before.error();
  for (auto& c : plan->calls)
    if (auto err = planning::type_aggregate_call(c, before->columns, at)) return *err;

  // 3. The aggregate: rows by key to the keyed function, packed into batches again.
  relation agg;
  std::vector<rows::logical_type> out_types;
  std::string select_text;
  for (std::size_t j = 0; j < plan->key_count; ++j) {
    std::string table;
    if (const auto* id = group_by[j].as<sql::identifier>()) {
      const int col = planning::column_index(input_columns, *id);
      if (col >= 0) table = input_columns[col].table;
    }
    agg.columns.push_back(
        sql::scope_column{table, "$key" + std::to_string(j), before->columns[j].type});
    out_types.push_back(before->columns[j].type);
    select_text += (select_text.empty() ? "" : ", ") + sql::to_sql(group_by[j]);
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
    agg.processing_time_windows = plan->processing_time;
  }
  if (session) {
    const auto stamp = rows::timestamp_type(3).with_nullable(false);
    agg.window_start = static_cast<int>(agg.columns.size());
    agg.window_end = agg.window_start + 1;
    for (const auto& name : window_bounds) {
      agg.columns.push_back(sql::scope_column{"", name, stamp});
      out_types.push_back(stamp);
    }
    select_text += ", start('w$), end('w$), rowtime('w$)";
  }
  // A group aggregate without aggregate calls (SELECT DISTINCT, GROUP BY without aggregates)
  // never updates a row it emitted, unless its input retracts rows.
  agg.updating = !windowed && !session && (!plan->calls.empty() || updating_input);
  const int id = next_id_++;
  const std::string kind = windowed  ? "WindowAggregate"
                           : session ? "GroupWindowAggregate"
                                     : "GroupAggregate";
  plan->name = kind + " #" + std::to_string(id);
  const std::size_t key_count = plan->key_count;
  std::shared_ptr<const aggregate_plan> shared = plan;
  // Window aggregates in two phases (Flink's local-global aggregation, on by default): each
  // batch's rows combined per group before the exchange, the partials merged after it.
  // (Event-time windows only, as Flink's: processing-time windows fire on each subtask's clock.)
  const bool two_phase = windowed && !plan->processing_time && o_.two_phase_window_aggregates;
  std::optional<DataStream<changelog_row>> results;
  if (two_phase) {
    results = before->stream->flat_map<partial_row>(local_window_aggregate(shared))
                  .name("LocalWindowAggregate #" + std::to_string(id))
                  .key_by(partial_key{})
                  .template process<changelog_row>(global_window_aggregate_fn(shared), plan->name);
  } else {
    auto keyed = before->stream->flat_map<aggregate_row>(explode_rows{key_count}).key_by(row_key{});
    results =
        windowed  ? keyed.template process<changelog_row>(window_aggregate_fn(shared), plan->name)
        : session ? keyed.template process<changelog_row>(session_aggregate_fn(shared), plan->name)
                  : keyed.template process<changelog_row>(group_aggregate_fn(shared), plan->name);
  }
  agg.stream = results->add_op<rows::row_batch>(
      "rows " + std::to_string(id), [out_types](operator_base* next) {
        return std::make_unique<rows_to_batch_op>(out_types,
                                                  detail::as_input<rows::row_batch>(next));
      });
  agg.explain.push_back((two_phase ? "Global" : "") + kind + "(groupBy=[" + group_text + "], " +
                        (session ? "window=[SessionGroupWindow('w$, " + session->time_name + ", " +
                                       std::to_string(session->gap) + ")], "
                                 : std::string()) +
                        "select=[" + select_text + "])");
  agg.explain.push_back("+- Exchange(distribution=[" +
                        (group_text.empty() ? std::string("single") : "hash[" + group_text + "]") +
                        "])");
  if (two_phase) {
    agg.explain.push_back("   +- LocalWindowAggregate(groupBy=[" + group_text + "], select=[" +
                          select_text + "])");
    indent(before->explain);
    for (auto& line : before->explain) agg.explain.push_back("      " + line);
  } else {
    indent(before->explain);
    for (auto& line : before->explain) agg.explain.push_back("   " + line);
  }

  // 4. The Calc after: HAVING and the select list.
  return calc(std::move(agg), having ? &*having : nullptr, items, at);
}

}  // namespace eddy::table
