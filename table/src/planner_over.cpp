// OVER aggregations: planner::over_aggregate (see planner.hpp and over_operators.hpp for the
// operator it builds).
//
// The plan, as Flink's: a Calc computes the partition keys, the input's columns, the time
// attribute and the aggregates' arguments and FILTER conditions (and applies WHERE); the rows go
// by partition key to an OverAggregate, which appends the aggregates' values to each row; the
// select list is then a Calc over the input's columns and those values (`$overN`).
//
// As in Flink's streaming mode: every OVER aggregate of a SELECT uses the same window; its
// ORDER BY is one time attribute, ascending; its frame ends at CURRENT ROW and starts at
// UNBOUNDED PRECEDING (the default), n PRECEDING (ROWS) or INTERVAL ... PRECEDING (RANGE), or
// CURRENT ROW.
#include <memory>
#include <optional>
#include <utility>

#include "eddy/sql/printer.hpp"
#include "eddy/table/over_operators.hpp"
#include "eddy/table/planner.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

namespace {

bool is_over_aggregate(const sql::function_call& f) {
  return f.over && f.name.size() == 1 && find_aggregate(f.name.front().value).has_value();
}

/// The window of `o`: a named window of the WINDOW clause, or an inline one (which may extend
/// a named one: `OVER (w ROWS 2 PRECEDING)`).
sql::result<sql::window_spec> resolve_window(const sql::over_clause& o,
                                             const std::vector<sql::named_window>& named,
                                             sql::location at, int depth = 0) {
  if (depth > static_cast<int>(named.size()))
    return error_at(at, "The WINDOW clause's windows refer to each other in a cycle");
  auto find = [&](const sql::ident& name) -> sql::result<sql::window_spec> {
    for (const auto& w : named)
      if (w.name == name) {
        sql::over_clause inner;
        inner.spec = w.spec;
        return resolve_window(inner, named, name.loc, depth + 1);
      }
    return error_at(name.loc, "Window '" + name.value + "' is not defined in the WINDOW clause");
  };
  if (o.window_name) return find(*o.window_name);
  sql::window_spec spec = *o.spec;
  if (!spec.base) return spec;
  auto base = find(*spec.base);
  if (!base) return base;
  if (!spec.partition_by.empty() && !base->partition_by.empty())
    return error_at(spec.base->loc, "A window extending '" + spec.base->value +
                                        "' cannot have a PARTITION BY of its own");
  if (!spec.order_by.empty() && !base->order_by.empty())
    return error_at(spec.base->loc, "A window extending '" + spec.base->value +
                                        "' cannot have an ORDER BY of its own");
  if (spec.frame && base->frame)
    return error_at(spec.base->loc, "A window extending '" + spec.base->value +
                                        "' cannot have a frame when '" + spec.base->value +
                                        "' has one");
  if (spec.partition_by.empty()) spec.partition_by = base->partition_by;
  if (spec.order_by.empty()) spec.order_by = base->order_by;
  if (!spec.frame) spec.frame = base->frame;
  spec.base.reset();
  return spec;
}

/// Replaces the OVER aggregate calls of select items by `$overN` (the same call, the same N),
/// collecting the calls and their windows.
class over_rewriter {
 public:
  explicit over_rewriter(const std::vector<sql::named_window>& named) : named_(named) {}

  std::optional<sql::parse_error> rewrite(sql::expr& e) {
    if (auto* f = e.as<sql::function_call>(); f && is_over_aggregate(*f)) {
      auto w = resolve_window(*f->over, named_, e.loc);
      if (!w) return w.error();
      if (!window_) {
        window_ = *w;
        window_at_ = e.loc;
      } else if (!(*window_ == *w)) {
        return error_at(e.loc,
                        "All OVER aggregates of a SELECT must use the same window (as in "
                        "Flink's streaming mode)");
      }
      sql::function_call call = *f;
      call.over = {};
      std::size_t i = 0;
      while (i < calls_.size() && !(calls_[i] == call)) ++i;
      if (i == calls_.size()) calls_.push_back(std::move(call));
      const auto loc = e.loc;
      e = planning::column_expr("$over" + std::to_string(i));
      e.loc = loc;
      return std::nullopt;
    }
    std::optional<sql::parse_error> err;
    planning::for_each_child(e, [&](sql::expr& child) {
      if (!err) err = rewrite(child);
    });
    return err;
  }

  [[nodiscard]] const std::vector<sql::function_call>& calls() const { return calls_; }
  [[nodiscard]] const sql::window_spec& window() const { return *window_; }
  [[nodiscard]] sql::location window_at() const { return window_at_; }

 private:
  const std::vector<sql::named_window>& named_;
  std::vector<sql::function_call> calls_;
  std::optional<sql::window_spec> window_;
  sql::location window_at_;
};

}  // namespace

namespace planning {

void append_exchanged_input(std::vector<std::string>& explain, const std::string& partition,
                            std::vector<std::string> input) {
  explain.push_back("+- Exchange(distribution=[" +
                    (partition.empty() ? std::string("single") : "hash[" + partition + "]") + "])");
  indent(input);
  for (auto& line : input) explain.push_back("   " + line);
}

sql::result<time_order> order_by_time(const relation& in, const sql::order_item& order,
                                      const std::string& not_time, const std::string& descending) {
  const auto* id = order.value->as<sql::identifier>();
  time_order t;
  t.column = id ? column_index(in.columns, *id) : -1;
  t.processing_time = t.column >= 0 && t.column == in.proctime;
  if (!in.is_rowtime(t.column) && !t.processing_time)
    return error_at(order.value->loc, not_time +
                                          "(a column with WATERMARK FOR in its table, or "
                                          "computed by PROCTIME()), not '" +
                                          sql::to_sql(*order.value) + "'");
  if (!order.ascending.value_or(true)) return error_at(order.value->loc, descending);
  return t;
}

bool has_over_aggregate(const std::vector<sql::select_item>& items) {
  return any_call(items, is_over_aggregate);
}

}  // namespace planning

sql::result<relation> planner::over_aggregate(relation in, const sql::select_core& s,
                                              std::vector<sql::select_item>& items,
                                              sql::location at) {
  if (in.updating)
    return error_at(at,
                    "OVER aggregates over an updating input (a GROUP BY result or an outer join) "
                    "are not supported, as in Flink");
  if (in.session)
    return error_at(at, "OVER aggregates over a SESSION window TVF are not supported");
  // 1. The calls and their one window.
  over_rewriter rw(s.windows);
  for (auto& item : items)
    if (item.value)
      if (auto err = rw.rewrite(*item.value)) return *err;
  const auto& w = rw.window();
  const auto wat = rw.window_at();
  if (w.order_by.size() != 1)
    return error_at(wat,
                    "OVER windows in stream mode must be ordered by one time attribute "
                    "(ORDER BY rowtime): " +
                        std::string(w.order_by.empty() ? "no ORDER BY" : "several ORDER BY keys"));
  const auto& order = w.order_by.front();
  auto by_time = planning::order_by_time(
      in, order, "OVER windows' ordering in stream mode must be defined on a time attribute ",
      "OVER windows in stream mode are ordered by their time attribute ascending");
  if (!by_time) return by_time.error();
  const int time_col = by_time->column;
  const bool processing_time = by_time->processing_time;

  auto plan = std::make_shared<over_plan>();
  plan->ttl = o_.state_ttl;
  plan->processing_time = processing_time;
  std::string frame_text = "RANG BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW";
  if (w.frame) {
    const auto& f = *w.frame;
    plan->frame = f.units == sql::frame_units::rows ? over_frame::rows : over_frame::range;
    const std::string units = f.units == sql::frame_units::rows ? "ROWS" : "RANG";
    if (f.end && f.end->kind != sql::bound_kind::current_row)
      return error_at(wat,
                      "OVER windows end at CURRENT ROW in stream mode: a frame ending elsewhere "
                      "(FOLLOWING, PRECEDING) is not supported, as in Flink");
    switch (f.start.kind) {
      case sql::bound_kind::unbounded_preceding:
        break;
      case sql::bound_kind::current_row:
        plan->unbounded = false;
        break;
      case sql::bound_kind::preceding: {
        plan->unbounded = false;
        if (plan->frame == over_frame::rows) {
          auto n = planning::constant_integer(*f.start.offset, "The ROWS frame's offset");
          if (!n) return n.error();
          if (*n < 0)
            return error_at(f.start.offset->loc, "The ROWS frame's offset must not be negative");
          plan->preceding = *n;
        } else {
          auto ms = planning::constant_interval(*f.start.offset, "The RANGE frame's offset");
          if (!ms) return ms.error();
          if (*ms < 0)
            return error_at(f.start.offset->loc, "The RANGE frame's interval must not be negative");
          plan->preceding = *ms;
        }
        break;
      }
      default:
        return error_at(wat, "An OVER window's frame cannot start at FOLLOWING");
    }
    frame_text = units + " BETWEEN " +
                 (plan->unbounded ? std::string("UNBOUNDED") : std::to_string(plan->preceding)) +
                 " PRECEDING AND CURRENT ROW";
  }

  // 2. The Calc before: partition keys, the input's columns, the time, then per call its
  // argument and FILTER condition.
  std::vector<sql::select_item> pre;
  std::string partition_text;
  for (std::size_t k = 0; k < w.partition_by.size(); ++k) {
    pre.push_back(planning::aliased(w.partition_by[k], "$p" + std::to_string(k)));
    partition_text += (k ? ", " : "") + sql::to_sql(w.partition_by[k]);
  }
  plan->key_count = pre.size();
  plan->width = in.columns.size();
  for (std::size_t c = 0; c < in.columns.size(); ++c)
    pre.push_back(planning::aliased(planning::reference(in.columns[c]), "$c" + std::to_string(c)));
  plan->time_value = static_cast<int>(pre.size());
  pre.push_back(planning::aliased(planning::reference(in.columns[time_col]), "$t"));
  std::string select_text = planning::join_names(in.columns);
  for (std::size_t i = 0; i < rw.calls().size(); ++i) {
    auto c = planning::bind_aggregate_call(rw.calls()[i], pre, at);
    if (!c) return c.error();
    select_text += ", " + c->text + " AS w0$o" + std::to_string(i);
    plan->calls.push_back(std::move(*c));
  }
  relation out;
  out.columns = in.columns;
  out.rowtime = in.rowtime;
  out.proctime = in.proctime;
  out.rowtime_copies = in.rowtime_copies;
  out.window_start = in.window_start;
  out.window_end = in.window_end;
  auto before = calc(std::move(in), s.where ? &*s.where : nullptr, pre, at);
  if (!before) return before.error();
  std::vector<rows::logical_type> out_types;
  for (std::size_t c = 0; c < plan->width; ++c) {
    out.columns[c].type = before->columns[plan->key_count + c].type;
    out_types.push_back(out.columns[c].type);
  }
  for (std::size_t i = 0; i < plan->calls.size(); ++i) {
    auto& c = plan->calls[i];
    if (auto err = planning::type_aggregate_call(c, before->columns, at)) return *err;
    out.columns.push_back(sql::scope_column{"", "$over" + std::to_string(i), c.result_type});
    out_types.push_back(c.result_type);
  }

  // 3. The aggregate: rows by partition key to the keyed function, packed into batches again.
  const int id = next_id_++;
  plan->name = "OverAggregate #" + std::to_string(id);
  std::shared_ptr<const over_plan> shared = plan;
  auto results = before->stream->flat_map<aggregate_row>(explode_rows{plan->key_count})
                     .key_by(row_key{})
                     .template process<changelog_row>(over_aggregate_fn(shared), plan->name);
  out.stream = results.add_op<rows::row_batch>(
      "rows " + std::to_string(id), [out_types](operator_base* next) {
        return std::make_unique<rows_to_batch_op>(out_types,
                                                  detail::as_input<rows::row_batch>(next));
      });
  out.explain.push_back("OverAggregate(partitionBy=[" + partition_text + "], orderBy=[" +
                        sql::to_sql(*order.value) + " ASC], window=[ " + frame_text +
                        "], select=[" + select_text + "])");
  planning::append_exchanged_input(out.explain, partition_text, std::move(before->explain));
  return out;
}

}  // namespace eddy::table
