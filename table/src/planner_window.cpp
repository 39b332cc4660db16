// The window table functions: planner::window_tvf (see planner.hpp, time_operators.hpp).
//
// `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset]))`, `HOP(TABLE t, DESCRIPTOR(ts),
// slide, size [, offset])`, `CUMULATE(TABLE t, DESCRIPTOR(ts), step, size [, offset])`, with
// Flink's argument order and checks: `ts` must be a time attribute (event time: a WATERMARK
// column; processing time: a PROCTIME() column, then TUMBLE, HOP and CUMULATE windows fire on
// the clock; SESSION is event time only here), the sizes
// positive constant day-time intervals, HOP's size a multiple of its slide and CUMULATE's size
// a multiple of its step.
#include <cctype>
#include <memory>
#include <string>

#include "eddy/table/planner.hpp"
#include "eddy/table/time_operators.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

namespace {

std::string duration_text(std::int64_t ms) {
  if (ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + " d";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + " h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + " min";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

/// The position of a window TVF's DESCRIPTOR column in `in`, which must be its time attribute.
sql::result<int> time_attribute(const relation& in, const sql::ident& col,
                                const std::string& signature) {
  int time = -1;
  for (std::size_t i = 0; i < in.columns.size(); ++i)
    if (in.columns[i].name == col.value) time = static_cast<int>(i);
  if (time < 0)
    return error_at(col.loc, "Column '" + col.value + "' not found in table '" +
                                 planning::join_names(in.columns) + "'");
  if (!in.is_rowtime(time) && time != in.proctime)
    return error_at(col.loc, "The window function " + signature +
                                 " requires the timecol to be a time attribute type, but is " +
                                 in.columns[time].type.to_string() + " (declare WATERMARK FOR " +
                                 col.value + " AS ... in its table, or compute it by PROCTIME())");
  return time;
}

}  // namespace

bool planning::is_proctime_call(const sql::expr& e) {
  const auto* f = e.as<sql::function_call>();
  return f && f->name.size() == 1 && upper(f->name.front().value) == "PROCTIME" && f->args.empty();
}

std::string planning::upper(const std::string& s) {
  std::string u;
  for (char c : s) u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

sql::result<rows::value> planning::evaluate_constant(const sql::expr& e, const std::string& what,
                                                     rows::logical_type* type) {
  auto c = sql::compile_expression(e, sql::scope{});
  if (!c) return c.error();
  if (type) *type = (*c)->type();
  rows::row_batch one;
  one.append_row(std::span<const rows::value>{});
  rows::column_vector out;
  try {
    (*c)->eval(one, out, sql::eval_context{});
  } catch (const std::exception& ex) {
    return error_at(e.loc, what + ": " + ex.what());
  }
  if (out.size() != 1 || out.is_null(0)) return error_at(e.loc, what + " must not be NULL");
  return out.get(0);
}

/// The value in ms of a constant INTERVAL ... (DAY TO SECOND) expression.
sql::result<std::int64_t> planning::constant_interval(const sql::expr& e, const std::string& what) {
  rows::logical_type t;
  auto v = evaluate_constant(e, what, &t);
  if (!v) return v.error();
  if (t.id != rows::type_id::interval_day_time)
    return error_at(e.loc, what +
                               " must be a day-time INTERVAL (such as INTERVAL '10' SECOND), "
                               "not " +
                               t.to_string());
  return v->as_int64();
}

sql::result<relation> planner::window_tvf(const sql::function_call& call, sql::location at,
                                          int depth) {
  const std::string fn =
      call.name.size() == 1 ? planning::upper(call.name.front().value) : std::string();
  window_spec w;
  if (fn == "TUMBLE") {
    w.kind = window_kind::tumble;
  } else if (fn == "HOP") {
    w.kind = window_kind::hop;
  } else if (fn == "CUMULATE") {
    w.kind = window_kind::cumulate;
  } else if (fn == "SESSION") {
    return session_tvf(call, at, depth);
  } else {
    return error_at(at, "Table function '" +
                            (call.name.empty() ? std::string() : call.name.back().value) +
                            "' is not supported (supported: TUMBLE, HOP, CUMULATE)");
  }
  const std::string signature =
      fn + (w.kind == window_kind::tumble
                ? "(TABLE table_name, DESCRIPTOR(timecol), datetime interval[, datetime interval])"
                : "(TABLE table_name, DESCRIPTOR(timecol), datetime interval, datetime "
                  "interval[, datetime interval])");
  const std::size_t intervals = w.kind == window_kind::tumble ? 1 : 2;
  if (call.args.size() != 2 + intervals && call.args.size() != 3 + intervals)
    return error_at(
        at, "Invalid number of arguments to function '" + fn + "'. Was expecting: " + signature);
  for (const auto& a : call.args)
    if (a.name) return error_at(a.name->loc, "Named arguments of " + fn + " are not supported yet");
  const auto* table = call.args[0].value->as<sql::table_arg>();
  if (!table)
    return error_at(call.args[0].value->loc, fn + " expects TABLE name first: " + signature);
  if (!table->partition_by.empty())
    return error_at(call.args[0].value->loc, "PARTITION BY is only for SESSION windows");
  const auto* desc = call.args[1].value->as<sql::descriptor>();
  if (!desc || desc->columns.size() != 1)
    return error_at(call.args[1].value->loc,
                    fn + " expects DESCRIPTOR(timecol) second: " + signature);

  // The input table.
  sql::table_factor input;
  input.node = sql::named_table{table->name, {}};
  input.loc = call.args[0].value->loc;
  auto in = factor(input, depth + 1);
  if (!in) return in;
  if (in->updating)
    return error_at(at, fn + " over an updating input (a GROUP BY result) is not supported");
  const auto& col_name = desc->columns.front().value;
  auto time_col = time_attribute(*in, desc->columns.front(), signature);
  if (!time_col) return time_col.error();
  const int time = *time_col;
  w.time_column = time;

  // Sizes.
  std::int64_t first = 0;
  std::int64_t second = 0;
  if (auto v = planning::constant_interval(*call.args[2].value, fn + "'s size"); v)
    first = *v;
  else
    return v.error();
  if (intervals == 2) {
    if (auto v = planning::constant_interval(*call.args[3].value, fn + "'s size"); v)
      second = *v;
    else
      return v.error();
  }
  if (call.args.size() == 3 + intervals) {
    if (auto v = planning::constant_interval(*call.args[2 + intervals].value, fn + "'s offset"); v)
      w.offset = *v;
    else
      return v.error();
  }
  if (w.kind == window_kind::tumble) {
    w.size = first;
  } else {
    w.step = first;
    w.size = second;
  }
  if (w.size <= 0 || (w.kind != window_kind::tumble && w.step <= 0))
    return error_at(at, fn + ": window size and slide/step must be positive");
  if (w.kind == window_kind::hop && w.size % w.step != 0)
    return error_at(at,
                    "HOP table function based aggregate requires size must be an integral "
                    "multiple of slide, but got size " +
                        std::to_string(w.size) + " ms and slide " + std::to_string(w.step) +
                        " ms.");
  if (w.kind == window_kind::cumulate && w.size % w.step != 0)
    return error_at(at,
                    "CUMULATE table function based aggregate requires maxSize must be an "
                    "integral multiple of step, but got maxSize " +
                        std::to_string(w.size) + " ms and step " + std::to_string(w.step) + " ms.");

  const bool processing_time = time == in->proctime;
  auto out = add_windows(std::move(*in), w, fn, col_name, "");
  if (processing_time) planning::proctime_windows(out);
  return out;
}

void planning::proctime_windows(relation& r) {
  // Processing-time windows: window_time is a processing-time attribute, as in Flink, and the
  // aggregate over the windows fires on the clock.
  r.processing_time_windows = true;
  r.proctime = r.rowtime;
  r.rowtime = -1;
  r.rowtime_copies.clear();
}

sql::result<relation> planner::session_tvf(const sql::function_call& call, sql::location at,
                                           int depth) {
  const std::string signature =
      "SESSION(TABLE table_name [PARTITION BY col, ...], DESCRIPTOR(timecol), datetime interval)";
  if (call.args.size() != 3)
    return error_at(
        at, "Invalid number of arguments to function 'SESSION'. Was expecting: " + signature);
  for (const auto& a : call.args)
    if (a.name) return error_at(a.name->loc, "Named arguments of SESSION are not supported yet");
  const auto* table = call.args[0].value->as<sql::table_arg>();
  if (!table)
    return error_at(call.args[0].value->loc, "SESSION expects TABLE name first: " + signature);
  const auto* desc = call.args[1].value->as<sql::descriptor>();
  if (!desc || desc->columns.size() != 1)
    return error_at(call.args[1].value->loc,
                    "SESSION expects DESCRIPTOR(timecol) second: " + signature);
  sql::table_factor input;
  input.node = sql::named_table{table->name, {}};
  input.loc = call.args[0].value->loc;
  auto in = factor(input, depth + 1);
  if (!in) return in;
  if (in->updating)
    return error_at(at, "SESSION over an updating input (a GROUP BY result) is not supported");
  relation::session_windows sw;
  for (const auto& p : table->partition_by) {
    const auto* id = p.as<sql::identifier>();
    const int col = id ? planning::column_index(in->columns, *id) : -1;
    if (col < 0)
      return error_at(p.loc, "PARTITION BY of SESSION takes columns of '" +
                                 planning::join_names(in->columns) + "'");
    sw.partition.push_back(in->columns[col].name);
  }
  auto time_col = time_attribute(*in, desc->columns.front(), signature);
  if (!time_col) return time_col.error();
  const int time = *time_col;
  sw.processing_time = time == in->proctime;
  auto gap = planning::constant_interval(*call.args[2].value, "SESSION's gap");
  if (!gap) return gap.error();
  if (*gap <= 0) return error_at(call.args[2].value->loc, "SESSION: the gap must be positive");
  sw.gap = *gap;
  // The window columns hold the row's time until the window aggregate replaces them.
  std::vector<sql::select_item> items(1);
  items[0].what = sql::select_item::kind::wildcard;
  for (const char* c : {"window_start", "window_end", "window_time"})
    items.push_back(planning::aliased(planning::reference(in->columns[time]), c));
  const auto time_name = in->columns[time].name;
  auto out = calc(std::move(*in), nullptr, items, at);
  if (!out) return out;
  for (std::size_t i = 0; i < out->columns.size() && sw.time_column < 0; ++i)
    if (out->columns[i].name == time_name) sw.time_column = static_cast<int>(i);
  out->session = sw;
  out->window_start = out->window_end = -1;
  return out;
}

relation planner::add_windows(relation in, const window_spec& w, const std::string& fn,
                              const std::string& col_name, const std::string& prefix) {
  relation out;
  out.columns = in.columns;
  const auto stamp = rows::timestamp_type(3).with_nullable(false);
  const int base = static_cast<int>(out.columns.size());
  out.columns.push_back(sql::scope_column{"", prefix + "window_start", stamp});
  out.columns.push_back(sql::scope_column{"", prefix + "window_end", stamp});
  out.columns.push_back(sql::scope_column{"", prefix + "window_time", stamp});
  out.window_start = base;
  out.window_end = base + 1;
  out.rowtime = base + 2;
  const int id = next_id_++;
  const std::string name = fn + " #" + std::to_string(id);
  out.stream = in.stream->add_op<rows::row_batch>(name, [w, name](operator_base* next) {
    return std::make_unique<window_tvf_op>(w, name, detail::as_input<rows::row_batch>(next));
  });
  std::string window = fn + "(time_col=[" + col_name + "], ";
  if (w.kind == window_kind::tumble)
    window += "size=[" + duration_text(w.size) + "]";
  else if (w.kind == window_kind::hop)
    window += "size=[" + duration_text(w.size) + "], slide=[" + duration_text(w.step) + "]";
  else
    window += "max_size=[" + duration_text(w.size) + "], step=[" + duration_text(w.step) + "]";
  if (w.offset != 0) window += ", offset=[" + duration_text(w.offset) + "]";
  out.explain.push_back("WindowTableFunction(window=[" + window + ")])");
  planning::indent(in.explain);
  out.explain.insert(out.explain.end(), in.explain.begin(), in.explain.end());
  return out;
}

}  // namespace eddy::table
