// MATCH_RECOGNIZE: planner::match_recognize (see planner.hpp, and match_operators.hpp for what
// runs).
//
// The plan, as Flink's StreamExecMatch: a Calc puts the PARTITION BY columns before the input's
// columns; rows go by partition key (all to one subtask without PARTITION BY) to the CEP
// operator, whose pattern has one stage per variable, each `next` of the one before (rows of a
// match are consecutive), quantifiers mapped as Flink's PatternVisitor maps them (`*`:
// one_or_more().optional().consecutive(), `+`: one_or_more().consecutive(), `?`: optional(),
// `{n,m}`: times(n, m).consecutive(), `{n,}`: times_or_more(n).consecutive(); greedy unless
// reluctant, where that is not a fixed count), AFTER MATCH SKIP as its strategy (default TO NEXT
// ROW, as Calcite's), WITHIN as its window. Event time: rows are taken in rowtime order once the
// watermark passes them (the CEP operator's buffer), ties by the further ORDER BY columns.
#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "eddy/cep/cep.hpp"
#include "eddy/sql/printer.hpp"
#include "eddy/table/match_operators.hpp"
#include "eddy/table/planner.hpp"
#include "eddy/table/rank_operators.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

namespace {

/// One variable of the PATTERN and its quantifier (min, max: -1 unbounded).
struct pattern_variable {
  std::string name;
  sql::location at;
  std::int64_t min = 1;
  std::int64_t max = 1;
  bool reluctant = false;
  std::string text;  ///< as written, for EXPLAIN
};

std::string quantifier_text(const sql::pattern_quantifier& q) {
  using form = sql::pattern_quantifier::form;
  std::string s;
  switch (q.kind) {
    case form::star:
      s = "*";
      break;
    case form::plus:
      s = "+";
      break;
    case form::question:
      s = "?";
      break;
    case form::exact:
      s = "{" + std::to_string(q.min.value_or(0)) + "}";
      break;
    case form::range:
      s = "{" + (q.min ? std::to_string(*q.min) : std::string()) + "," +
          (q.max ? std::to_string(*q.max) : std::string()) + "}";
      break;
  }
  return q.reluctant ? s + "?" : s;
}

/// The PATTERN as a sequence of variables; Flink's errors for what its CEP cannot express.
std::optional<sql::parse_error> flatten(const sql::row_pattern& p, sql::location at,
                                        std::vector<pattern_variable>& out) {
  using kind = sql::row_pattern::kind;
  switch (p.what) {
    case kind::symbol:
      out.push_back(pattern_variable{p.symbol.value, p.symbol.loc, 1, 1, false, p.symbol.value});
      return std::nullopt;
    case kind::concat:
      for (const auto& item : p.items)
        if (auto err = flatten(item, at, out)) return err;
      return std::nullopt;
    case kind::repetition: {
      const auto& inner = p.items.front();
      if (inner.what != kind::symbol)
        return error_at(at,
                        "Group patterns are not supported yet (a quantifier applies to a "
                        "pattern variable only), as in Flink");
      using form = sql::pattern_quantifier::form;
      const auto& q = p.quantifier;
      pattern_variable v{inner.symbol.value, inner.symbol.loc, 0, -1, q.reluctant, ""};
      switch (q.kind) {
        case form::star:
          break;
        case form::plus:
          v.min = 1;
          break;
        case form::question:
          v.max = 1;
          break;
        case form::exact:
          v.min = v.max = q.min.value_or(0);
          break;
        case form::range:
          v.min = q.min.value_or(0);
          v.max = q.max.value_or(-1);
          break;
      }
      v.text = v.name + quantifier_text(q);
      out.push_back(std::move(v));
      return std::nullopt;
    }
    case kind::group:
      if (p.items.size() == 1 && p.items.front().what == kind::symbol)
        return flatten(p.items.front(), at, out);
      return error_at(at, "Group patterns are not supported yet, as in Flink");
    case kind::alternation:
      return error_at(at, "Currently, CEP doesn't support branching patterns ('|'), as in Flink");
    case kind::permute:
      return error_at(at, "Currently, CEP doesn't support PERMUTE patterns, as in Flink");
    case kind::exclude:
      return error_at(at, "Currently, CEP doesn't support '{- -}' patterns, as in Flink");
    case kind::start_anchor:
    case kind::end_anchor:
      return error_at(at,
                      "The anchors '^' and '$' are not supported in a streaming "
                      "MATCH_RECOGNIZE, as in Flink");
  }
  return std::nullopt;
}

bool is_named_call(const sql::function_call& f, const char* name) {
  return f.name.size() == 1 && planning::upper(f.name.front().value) == name;
}

/// Rewrites a DEFINE condition or a measure: navigations become columns `$navN` (collected in
/// `navs`), `X.col` of the variable being defined becomes `col`.
class match_rewriter {
 public:
  match_rewriter(const std::vector<pattern_variable>& vars, const sql::scope& input, int current,
                 const relation& in, const sql::function_registry* functions)
      : vars_(vars), input_(input), current_(current), in_(in), functions_(functions) {}

  std::optional<sql::parse_error> rewrite(sql::expr& e) {
    if (auto* id = e.as<sql::identifier>(); id && id->parts.size() == 2) {
      const int v = variable(id->parts.front().value);
      if (v < 0) return unknown_variable(id->parts.front());
      if (v == current_) {
        id->parts.erase(id->parts.begin());
        return std::nullopt;
      }
      match_nav n;
      n.kind = match_nav_kind::last;
      sql::expr arg = e;
      if (auto err = argument(arg, n, e.loc)) return err;
      return replace(e, std::move(n));
    }
    if (auto* f = e.as<sql::function_call>()) {
      if (f->over) return std::nullopt;  // refused by the binder
      if (is_named_call(*f, "FIRST") || is_named_call(*f, "LAST") || is_named_call(*f, "PREV"))
        return navigation(e, *f);
      if (is_named_call(*f, "NEXT"))
        return error_at(e.loc, "NEXT is not supported in MATCH_RECOGNIZE, as in Flink");
      if (is_named_call(*f, "CLASSIFIER") || is_named_call(*f, "MATCH_NUMBER"))
        return error_at(e.loc, planning::upper(f->name.front().value) +
                                   "() is not supported in MATCH_RECOGNIZE, as in Flink");
      if (is_named_call(*f, "MATCH_ROWTIME") || is_named_call(*f, "MATCH_PROCTIME"))
        return time_function(e, *f);
      if (f->name.size() == 1)
        if (const auto kind = find_aggregate(f->name.front().value)) return aggregate(e, *f, *kind);
    }
    std::optional<sql::parse_error> err;
    planning::for_each_child(e, [&](sql::expr& child) {
      if (!err) err = rewrite(child);
    });
    return err;
  }

  std::vector<match_nav>& navs() { return navs_; }

 private:
  int variable(const std::string& name) const {
    for (std::size_t i = 0; i < vars_.size(); ++i)
      if (vars_[i].name == name) return static_cast<int>(i);
    return -1;
  }

  sql::parse_error unknown_variable(const sql::ident& v) const {
    std::string names;
    for (const auto& x : vars_) names += (names.empty() ? "" : ", ") + x.name;
    return error_at(v.loc, "'" + v.value +
                               "' is not a pattern variable of the MATCH_RECOGNIZE (its "
                               "variables: " +
                               names + ")");
  }

  /// Which variable `e`'s qualified columns name (-1: none), their qualifiers removed; an error
  /// if it names more than one or a navigation is nested in it.
  std::optional<sql::parse_error> strip(sql::expr& e, int& v) {
    if (auto* id = e.as<sql::identifier>(); id && id->parts.size() == 2) {
      const int x = variable(id->parts.front().value);
      if (x < 0) return unknown_variable(id->parts.front());
      if (v >= 0 && v != x)
        return error_at(e.loc,
                        "A navigation or aggregate in MATCH_RECOGNIZE may refer to one pattern "
                        "variable only, as in Flink ('" +
                            vars_[static_cast<std::size_t>(v)].name + "' and '" + vars_[x].name +
                            "')");
      v = x;
      id->parts.erase(id->parts.begin());
      return std::nullopt;
    }
    if (const auto* f = e.as<sql::function_call>();
        f && (is_named_call(*f, "FIRST") || is_named_call(*f, "LAST") ||
              is_named_call(*f, "PREV") || is_named_call(*f, "NEXT") ||
              (f->name.size() == 1 && find_aggregate(f->name.front().value))))
      return error_at(e.loc, "Navigations and aggregates cannot be nested in MATCH_RECOGNIZE");
    std::optional<sql::parse_error> err;
    planning::for_each_child(e, [&](sql::expr& child) {
      if (!err) err = strip(child, v);
    });
    return err;
  }

  /// Binds `arg` (an expression over one variable's columns) into `n`.
  std::optional<sql::parse_error> argument(sql::expr& arg, match_nav& n, sql::location) {
    int v = -1;
    if (auto err = strip(arg, v)) return err;
    n.variable = v;
    auto compiled = sql::compile_expression(arg, input_, functions_);
    if (!compiled) return compiled.error();
    n.type = (*compiled)->type().with_nullable(true);
    n.argument = std::shared_ptr<const sql::vector_expr>(std::move(*compiled));
    return std::nullopt;
  }

  std::optional<sql::parse_error> navigation(sql::expr& e, const sql::function_call& f) {
    const std::string name = planning::upper(f.name.front().value);
    if (f.args.empty() || f.args.size() > 2 || f.star || f.distinct)
      return error_at(e.loc, name +
                                 " takes a column (or an expression over one pattern "
                                 "variable's columns) and an optional offset");
    match_nav n;
    n.kind = name == "FIRST"  ? match_nav_kind::first
             : name == "LAST" ? match_nav_kind::last
                              : match_nav_kind::prev;
    n.offset = n.kind == match_nav_kind::prev ? 1 : 0;
    if (f.args.size() == 2) {
      auto off = planning::constant_integer(*f.args[1].value, "The offset of " + name);
      if (!off) return off.error();
      if (*off < 0)
        return error_at(f.args[1].value->loc, "The offset of " + name + " must not be negative");
      n.offset = *off;
    }
    sql::expr arg = *f.args[0].value;
    if (auto err = argument(arg, n, e.loc)) return err;
    // PREV of the variable being defined, or of no variable: from the row being tested.
    if (n.kind == match_nav_kind::prev && n.variable < 0 && current_ >= 0) n.variable = current_;
    return replace(e, std::move(n));
  }

  std::optional<sql::parse_error> aggregate(sql::expr& e, const sql::function_call& f,
                                            aggregate_kind kind) {
    if (f.distinct)
      return error_at(e.loc,
                      "DISTINCT aggregations are not supported in MATCH_RECOGNIZE, as in "
                      "Flink");
    if (f.filter) return error_at(e.loc, "FILTER is not supported in MATCH_RECOGNIZE");
    match_nav n;
    n.kind = match_nav_kind::aggregate;
    n.call.kind = kind;
    n.call.text = sql::to_sql(e);
    if (f.star) {
      if (kind != aggregate_kind::count) return error_at(e.loc, "Only COUNT takes '*'");
      n.call.kind = aggregate_kind::count_star;
    } else {
      if (f.args.size() != 1)
        return error_at(e.loc, planning::upper(f.name.front().value) + " takes one argument");
      sql::expr arg = *f.args[0].value;
      if (auto err = argument(arg, n, e.loc)) return err;
      n.call.argument = 0;
      n.call.argument_type = n.argument->type();
    }
    std::string why;
    const auto t = n.call.kind == aggregate_kind::count_star
                       ? std::optional<rows::logical_type>(rows::bigint_type().with_nullable(false))
                       : aggregate_result_type(n.call.kind, n.call.argument_type, why);
    if (!t) return error_at(e.loc, why);
    n.call.result_type = *t;
    n.type = *t;
    return replace(e, std::move(n));
  }

  std::optional<sql::parse_error> time_function(sql::expr& e, const sql::function_call& f) {
    const std::string name = planning::upper(f.name.front().value);
    if (current_ >= 0) return error_at(e.loc, name + "() may be used in MEASURES only");
    if (!f.args.empty() && name == "MATCH_PROCTIME")
      return error_at(e.loc, "MATCH_PROCTIME() takes no arguments");
    match_nav n;
    if (name == "MATCH_ROWTIME") {
      if (in_.rowtime < 0)
        return error_at(e.loc, "MATCH_ROWTIME() needs an input with an event-time attribute");
      n.kind = match_nav_kind::rowtime;
      n.type = in_.columns[static_cast<std::size_t>(in_.rowtime)].type;
    } else {
      n.kind = match_nav_kind::proctime;
      n.type = rows::timestamp_ltz_type(3).with_nullable(false);
    }
    return replace(e, std::move(n));
  }

  std::optional<sql::parse_error> replace(sql::expr& e, match_nav n) {
    const auto loc = e.loc;
    e = planning::column_expr("$nav" + std::to_string(navs_.size()));
    e.loc = loc;
    navs_.push_back(std::move(n));
    return std::nullopt;
  }

  const std::vector<pattern_variable>& vars_;
  const sql::scope& input_;
  int current_;  ///< the variable being defined, -1 in MEASURES
  const relation& in_;
  const sql::function_registry* functions_;
  std::vector<match_nav> navs_;
};

/// Compiles `e` (a DEFINE condition of variable `current`, or a measure with `current` -1).
sql::result<match_expr> compile_match_expr(sql::expr e, const std::vector<pattern_variable>& vars,
                                           const sql::scope& input, int current, const relation& in,
                                           const sql::function_registry* functions) {
  match_rewriter rw(vars, input, current, in, functions);
  if (auto err = rw.rewrite(e)) return *err;
  match_expr out;
  sql::scope scope = input;
  for (std::size_t i = 0; i < rw.navs().size(); ++i)
    scope.push_back(sql::scope_column{"", "$nav" + std::to_string(i), rw.navs()[i].type});
  auto compiled = sql::compile_expression(e, scope, functions);
  if (!compiled) return compiled.error();
  out.expr = std::shared_ptr<const sql::vector_expr>(std::move(*compiled));
  out.navs = std::move(rw.navs());
  for (const auto& c : scope) out.types.push_back(c.type);
  return out;
}

/// Applies a variable's quantifier as Flink's PatternVisitor.applyQuantifier does.
void apply_quantifier(cep::pattern<aggregate_row>& p, const pattern_variable& v) {
  const bool optional = v.min == 0 && v.max == 1;
  if (v.min == 0 && v.max == -1)
    p.one_or_more().optional().consecutive();
  else if (v.min == 1 && v.max == -1)
    p.one_or_more().consecutive();
  else if (optional)
    p.optional();
  else if (v.max != -1)
    p.times(static_cast<int>(v.min), static_cast<int>(v.max)).consecutive();
  else
    p.times_or_more(static_cast<int>(v.min)).consecutive();
  if (v.reluctant) {
    if (optional)
      throw cep::malformed_pattern("Reluctant optional variables are not supported yet.");
    return;
  }
  if (!optional && v.min != v.max) p.greedy();
}

cep::skip skip_strategy(const std::optional<sql::after_match_skip>& s) {
  if (!s) return cep::skip::to_next();  // Calcite's default
  switch (s->kind) {
    case sql::skip_kind::past_last_row:
      return cep::skip::past_last_event();
    case sql::skip_kind::to_next_row:
      return cep::skip::to_next();
    case sql::skip_kind::to_first:
      return cep::skip::to_first(s->variable.value).throw_on_miss();
    case sql::skip_kind::to_last:
    case sql::skip_kind::to_variable:
      return cep::skip::to_last(s->variable.value).throw_on_miss();
  }
  return cep::skip::to_next();
}

std::string skip_text(const std::optional<sql::after_match_skip>& s) {
  if (!s) return "SKIP TO NEXT ROW";
  switch (s->kind) {
    case sql::skip_kind::past_last_row:
      return "SKIP PAST LAST ROW";
    case sql::skip_kind::to_next_row:
      return "SKIP TO NEXT ROW";
    case sql::skip_kind::to_first:
      return "SKIP TO FIRST " + s->variable.value;
    default:
      return "SKIP TO LAST " + s->variable.value;
  }
}

/// The further ORDER BY columns: ties of one time broken by them.
struct row_order {
  std::vector<sort_key> keys;
  bool operator()(const aggregate_row& a, const aggregate_row& b) const {
    for (const auto& k : keys) {
      const auto& x = a.values[k.position];
      const auto& y = b.values[k.position];
      if (x == y) continue;
      if (x.is_null() || y.is_null()) return x.is_null() == k.nulls_first;
      return k.ascending ? x.data < y.data : y.data < x.data;
    }
    return false;
  }
};

/// The CEP process function: one row per match.
struct emit_measures {
  match_measures measures;
  template <class K>
  void process_match(const cep::match<aggregate_row>& m, cep::match_context<K>& ctx,
                     collector<changelog_row>& out) {
    out.collect(measures.evaluate(m, ctx.current_processing_time()));
  }
};

}  // namespace

sql::result<relation> planner::match_recognize(const sql::match_recognize& mr, sql::location at,
                                               int depth) {
  auto planned = factor(*mr.input, depth + 1);
  if (!planned) return planned.error();
  relation in = std::move(*planned);
  const auto& spec = mr.spec;
  if (in.updating)
    return error_at(at,
                    "MATCH_RECOGNIZE over an updating input (a GROUP BY result or an outer join) "
                    "is not supported, as in Flink");
  if (in.session) return error_at(at, "MATCH_RECOGNIZE over a SESSION window TVF is not supported");
  if (spec.rows == sql::rows_per_match::all_rows)
    return error_at(at, "ALL ROWS PER MATCH is not supported, as in Flink: use ONE ROW PER MATCH");
  if (!spec.subsets.empty())
    return error_at(spec.subsets.front().name.loc, "SUBSET is not supported yet");

  // ORDER BY: a time attribute ascending first.
  if (spec.order_by.empty())
    return error_at(at,
                    "MATCH_RECOGNIZE needs ORDER BY a time attribute (rowtime or proctime) "
                    "first, as in Flink");
  const auto& first_order = spec.order_by.front();
  auto by_time = planning::order_by_time(
      in, first_order, "MATCH_RECOGNIZE must be ordered by a time attribute first ",
      "Primary sort order of a streaming table must be ascending on time");
  if (!by_time) return by_time.error();
  const int time_col = by_time->column;
  const bool processing_time = by_time->processing_time;

  // PATTERN and DEFINE.
  std::vector<pattern_variable> vars;
  if (auto err = flatten(spec.pattern, at, vars)) return *err;
  for (std::size_t i = 0; i < vars.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (vars[i].name == vars[j].name)
        return error_at(vars[i].at, "Pattern variables must be unique ('" + vars[i].name +
                                        "' appears twice). That might change in the future.");
  if (std::all_of(vars.begin(), vars.end(), [](const pattern_variable& v) { return v.min == 0; }))
    return error_at(at,
                    "Patterns that can produce empty matches are not supported. There must be at "
                    "least one non-optional state.");
  if (const auto& last = vars.back();
      !last.reluctant && last.min != last.max && !(last.min == 0 && last.max == 1))
    return error_at(last.at,
                    "Greedy quantifiers are not allowed as the last element of a Pattern yet. "
                    "Finish your pattern with either a simple variable or reluctant quantifier.");
  for (const auto& d : spec.definitions)
    if (std::none_of(vars.begin(), vars.end(),
                     [&](const pattern_variable& v) { return v.name == d.variable.value; }))
      return error_at(d.variable.loc,
                      "DEFINE names '" + d.variable.value + "', which the PATTERN does not use");

  // The Calc before: PARTITION BY columns, then the input's columns.
  auto plan = std::make_shared<match_plan>();
  std::vector<sql::select_item> pre;
  std::string partition_text;
  relation out;
  for (std::size_t k = 0; k < spec.partition_by.size(); ++k) {
    const auto& p = spec.partition_by[k];
    const auto* id = p.as<sql::identifier>();
    const int c = id ? planning::column_index(in.columns, *id) : -1;
    if (c < 0)
      return error_at(p.loc, "PARTITION BY of MATCH_RECOGNIZE takes columns of its input; '" +
                                 sql::to_sql(p) + "' is not one");
    pre.push_back(planning::aliased(planning::reference(in.columns[c]), "$p" + std::to_string(k)));
    out.columns.push_back(sql::scope_column{"", in.columns[c].name, in.columns[c].type});
    partition_text += (k ? ", " : "") + in.columns[c].name;
  }
  plan->key_count = pre.size();
  // The input's columns the expressions name (by name: over-keeping is harmless), the time
  // attribute and the ORDER BY columns: the rows the CEP operator buffers carry only those.
  std::set<std::string> named;
  for (const auto& d : spec.definitions) planning::column_names(d.condition, named);
  for (const auto& m : spec.measures) planning::column_names(m.value, named);
  for (const auto& o : spec.order_by) planning::column_names(*o.value, named);
  std::vector<int> position(in.columns.size(), -1);  // in a row, after the keys
  sql::scope input;  // the kept columns, unqualified (variables qualify them here)
  for (std::size_t c = 0; c < in.columns.size(); ++c) {
    if (static_cast<int>(c) != time_col && !named.contains(in.columns[c].name)) continue;
    position[c] = static_cast<int>(input.size());
    pre.push_back(planning::aliased(planning::reference(in.columns[c]), "$c" + std::to_string(c)));
    input.push_back(sql::scope_column{"", in.columns[c].name, in.columns[c].type});
    plan->input_types.push_back(in.columns[c].type);
  }
  if (!processing_time)
    plan->time_value =
        static_cast<int>(plan->key_count) + position[static_cast<std::size_t>(time_col)];
  row_order order;
  std::string order_text = sql::to_sql(*first_order.value) + " ASC";
  for (std::size_t i = 1; i < spec.order_by.size(); ++i) {
    const auto& o = spec.order_by[i];
    const auto* id = o.value->as<sql::identifier>();
    const int c = id ? planning::column_index(in.columns, *id) : -1;
    if (c < 0)
      return error_at(o.value->loc, "ORDER BY of MATCH_RECOGNIZE takes columns of its input; '" +
                                        sql::to_sql(*o.value) + "' is not one");
    const bool asc = o.ascending.value_or(true);
    order.keys.push_back(sort_key{plan->key_count + static_cast<std::size_t>(position[c]), asc,
                                  o.nulls_first.value_or(asc)});
    order_text += ", " + sql::to_sql(*o.value) + (asc ? " ASC" : " DESC");
  }

  for (const auto& v : vars) {
    plan->variables.push_back(v.name);
    plan->defines.emplace_back();
  }
  std::string define_text;
  for (const auto& d : spec.definitions) {
    std::size_t v = 0;
    while (vars[v].name != d.variable.value) ++v;
    auto c = compile_match_expr(d.condition, vars, input, static_cast<int>(v), in, o_.functions);
    if (!c) return c.error();
    if (c->expr->type().id != rows::type_id::boolean)
      return error_at(d.condition.loc, "The DEFINE condition of '" + d.variable.value +
                                           "' must be BOOLEAN, not " + c->expr->type().to_string());
    plan->defines[v] = std::move(*c);
    define_text +=
        (define_text.empty() ? "" : ", ") + d.variable.value + " AS " + sql::to_sql(d.condition);
  }
  std::string measures_text;
  for (const auto& m : spec.measures) {
    auto c = compile_match_expr(m.value, vars, input, -1, in, o_.functions);
    if (!c) return c.error();
    const auto* f = m.value.as<sql::function_call>();
    if (f && is_named_call(*f, "MATCH_ROWTIME")) out.rowtime = static_cast<int>(out.columns.size());
    if (f && is_named_call(*f, "MATCH_PROCTIME"))
      out.proctime = static_cast<int>(out.columns.size());
    out.columns.push_back(sql::scope_column{"", m.alias.value, c->expr->type()});
    plan->measures.push_back(std::move(*c));
    measures_text +=
        (measures_text.empty() ? "" : ", ") + sql::to_sql(m.value) + " AS " + m.alias.value;
  }
  for (const auto& c : out.columns) plan->out_types.push_back(c.type);

  // The pattern.
  const int id = next_id_++;
  plan->name = "Match #" + std::to_string(id);
  std::shared_ptr<const match_plan> shared = plan;
  std::optional<cep::pattern<aggregate_row>> pattern;
  std::string pattern_text;
  try {
    for (std::size_t i = 0; i < vars.size(); ++i) {
      if (i == 0)
        pattern = cep::pattern<aggregate_row>::begin(vars[i].name, skip_strategy(spec.skip));
      else
        pattern->next(vars[i].name);
      pattern->where(match_condition(shared, i));
      apply_quantifier(*pattern, vars[i]);
      pattern_text += (i ? " " : "") + vars[i].text;
    }
    if (spec.within) {
      auto ms = planning::constant_interval(*spec.within, "WITHIN");
      if (!ms) return ms.error();
      if (*ms <= 0) return error_at(spec.within->loc, "WITHIN takes a positive interval");
      pattern->within(std::chrono::milliseconds(*ms));
    }
    (void)cep::compile(*pattern);  // Flink's pattern errors here, not when the job starts
  } catch (const cep::malformed_pattern& e) {
    return error_at(at, std::string("Invalid MATCH_RECOGNIZE pattern: ") + e.what());
  }

  // The operator: rows by partition key to CEP, packed into batches again.
  const std::size_t key_count = plan->key_count;
  auto before = calc(std::move(in), nullptr, pre, at);
  if (!before) return before.error();
  DataStream<aggregate_row> exploded =
      before->stream->flat_map<aggregate_row>(explode_rows{key_count});
  if (!processing_time) {
    const auto t = static_cast<std::size_t>(plan->time_value);
    const std::string name = plan->name;
    exploded = exploded.add_op<aggregate_row>(
        "match time " + std::to_string(id), [t, name](operator_base* next) {
          return std::make_unique<row_time_op>(t, name, detail::as_input<aggregate_row>(next));
        });
  }
  auto ps = CEP::pattern(exploded.key_by(row_key{}), *pattern);
  if (processing_time) ps.in_processing_time();
  if (!order.keys.empty()) ps.with_comparator(order);
  auto matches = ps.process<changelog_row>(emit_measures{match_measures(shared)}, plan->name);
  if (key_count == 0) matches.set_parallelism(1);  // one partition: one subtask, as Flink
  const auto out_types = plan->out_types;
  out.stream = matches.add_op<rows::row_batch>(
      "rows " + std::to_string(id), [out_types](operator_base* next) {
        return std::make_unique<rows_to_batch_op>(out_types,
                                                  detail::as_input<rows::row_batch>(next));
      });
  out.explain.push_back(
      "Match(partitionBy=[" + partition_text + "], orderBy=[" + order_text + "], measures=[" +
      measures_text + "], rowsPerMatch=[ONE ROW PER MATCH], after=[" + skip_text(spec.skip) +
      "], pattern=[" + pattern_text + "]" +
      (spec.within ? ", within=[" + sql::to_sql(*spec.within) + "]" : std::string()) +
      ", define=[" + define_text + "])");
  planning::append_exchanged_input(out.explain, partition_text, std::move(before->explain));
  return out;
}

}  // namespace eddy::table
