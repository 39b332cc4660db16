// Regular joins: planner::from_clause (see planner.hpp and join_operators.hpp).
//
// `a [INNER | LEFT | RIGHT | FULL] JOIN b ON a.k = b.k [AND ...]` and the comma join
// `FROM a, b WHERE a.k = b.k ...`: the equality conditions between the two sides are the join
// key (hashed, as Flink's Exchange(hash[...])); the other conditions of an inner join filter the
// joined rows (a Calc after the join); an outer join takes only equality conditions for now.
#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "eddy/sql/printer.hpp"
#include "eddy/table/interval_join.hpp"
#include "eddy/table/join_operators.hpp"
#include "eddy/table/planner.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

namespace {

bool compiles(const sql::expr& e, const sql::scope& s, const sql::function_registry* f,
              rows::logical_type* type = nullptr) {
  auto c = sql::compile_expression(e, s, f);
  if (c && type) *type = (*c)->type();
  return c.ok();
}

const char* join_name(join_type t) {
  switch (t) {
    case join_type::inner:
      return "InnerJoin";
    case join_type::left:
      return "LeftOuterJoin";
    case join_type::right:
      return "RightOuterJoin";
    case join_type::full:
      return "FullOuterJoin";
  }
  return "?";
}

/// `col`, `col + INTERVAL ...` or `col - INTERVAL ...` over a time attribute of `r`.
struct time_term {
  int column = -1;
  std::int64_t offset = 0;
};

std::optional<time_term> time_term_of(const sql::expr& e, const relation& r) {
  if (const auto* id = e.as<sql::identifier>()) {
    const int c = planning::column_index(r.columns, *id);
    if (!r.is_rowtime(c)) return std::nullopt;
    return time_term{c, 0};
  }
  const auto* b = e.as<sql::binary>();
  if (!b || (b->op != sql::binary_op::plus && b->op != sql::binary_op::minus)) return std::nullopt;
  auto t = time_term_of(*b->left, r);
  if (!t) return std::nullopt;
  auto ms = planning::constant_interval(*b->right, "the bound");
  if (!ms) return std::nullopt;
  t->offset += b->op == sql::binary_op::plus ? *ms : -*ms;
  return t;
}

/// The time bounds of an interval join: left.ts - right.ts in [lower, upper].
struct time_bounds {
  std::optional<std::int64_t> lower, upper;
  int left_column = -1, right_column = -1;
  std::string text;

  /// Takes `x op y` if it bounds the two sides' time attributes.
  bool take(const sql::expr& x, sql::binary_op op, const sql::expr& y, const relation& l,
            const relation& r) {
    auto tx = time_term_of(x, l), ty = time_term_of(y, r);
    if (!tx || !ty) {  // right side first: flip the comparison
      tx = time_term_of(y, l);
      ty = time_term_of(x, r);
      if (!tx || !ty) return false;
      op = op == sql::binary_op::lt   ? sql::binary_op::gt
           : op == sql::binary_op::le ? sql::binary_op::ge
           : op == sql::binary_op::gt ? sql::binary_op::lt
                                      : sql::binary_op::le;
    }
    if ((left_column >= 0 && left_column != tx->column) ||
        (right_column >= 0 && right_column != ty->column))
      return false;
    left_column = tx->column;
    right_column = ty->column;
    const std::int64_t d = ty->offset - tx->offset;  // L + a op R + b  <=>  L - R op b - a
    switch (op) {
      case sql::binary_op::ge:
        lower = std::max(lower.value_or(d), d);
        break;
      case sql::binary_op::gt:
        lower = std::max(lower.value_or(d + 1), d + 1);
        break;
      case sql::binary_op::le:
        upper = std::min(upper.value_or(d), d);
        break;
      default:
        upper = std::min(upper.value_or(d - 1), d - 1);
        break;
    }
    return true;
  }
};

/// Moves the conditions of `residual` bounding the sides' time attributes into `b`.
void take_time_bounds(std::vector<const sql::expr*>& residual, const relation& l, const relation& r,
                      time_bounds& b) {
  if (l.updating || r.updating || l.rowtime < 0 || r.rowtime < 0) return;
  std::vector<const sql::expr*> rest;
  for (const auto* c : residual) {
    bool taken = false;
    if (const auto* bt = c->as<sql::between>(); bt && !bt->negated && !bt->symmetric) {
      time_bounds tried = b;
      if (tried.take(*bt->operand, sql::binary_op::ge, *bt->low, l, r) &&
          tried.take(*bt->operand, sql::binary_op::le, *bt->high, l, r)) {
        b = tried;
        taken = true;
      }
    } else if (const auto* cmp = c->as<sql::binary>();
               cmp && (cmp->op == sql::binary_op::lt || cmp->op == sql::binary_op::le ||
                       cmp->op == sql::binary_op::gt || cmp->op == sql::binary_op::ge)) {
      taken = b.take(*cmp->left, cmp->op, *cmp->right, l, r);
    }
    if (taken)
      b.text += (b.text.empty() ? "" : " AND ") + sql::to_sql(*c);
    else
      rest.push_back(c);
  }
  if (b.lower && b.upper) residual = std::move(rest);
}

}  // namespace

sql::result<relation> planner::keyed_side(relation& in, std::vector<sql::expr>& keys,
                                          sql::location at) {
  std::vector<sql::select_item> items;
  for (std::size_t k = 0; k < keys.size(); ++k)
    items.push_back(planning::aliased(std::move(keys[k]), "$k" + std::to_string(k)));
  for (std::size_t c = 0; c < in.columns.size(); ++c)
    items.push_back(
        planning::aliased(planning::reference(in.columns[c]), "$c" + std::to_string(c)));
  return calc(std::move(in), nullptr, items, at);
}

void planning::append_hashed_inputs(std::vector<std::string>& explain,
                                    std::vector<std::string> left, std::vector<std::string> right) {
  for (auto* in : {&left, &right}) {
    std::vector<std::string> below = {"Exchange(distribution=[hash])"};
    indent(*in);
    below.insert(below.end(), in->begin(), in->end());
    indent(below);
    explain.insert(explain.end(), below.begin(), below.end());
  }
}

const table_def* planner::catalog_table(const std::string& name) const {
  for (const auto& c : ctes_)
    if (c.name == name) return nullptr;  // a WITH table hides it
  return catalog_.find_table(name);
}

sql::result<relation> planner::from_clause(const std::vector<sql::table_with_joins>& from,
                                           const sql::expr* where, sql::location at, int depth) {
  if (from.size() > 2 || (from.size() == 2 && (!from[0].joins.empty() || !from[1].joins.empty())))
    return error_at(at,
                    "Joins of more than two comma-separated tables are not supported yet: "
                    "write JOIN ... ON");
  auto left = factor(from[0].relation, depth + 1);
  if (!left) return left;
  if (from.size() == 2) {
    if (!where)
      return error_at(at,
                      "A join needs an equality condition between its two sides (a cross "
                      "join is not supported yet)");
    auto right = factor(from[1].relation, depth + 1);
    if (!right) return right;
    return join(std::move(*left), std::move(*right), sql::join_kind::inner, where, false, at);
  }
  for (const auto& j : from[0].joins) {
    if (!j.using_columns.empty()) return error_at(at, "JOIN ... USING is not supported yet");
    if (j.kind == sql::join_kind::cross || !j.on)
      return error_at(j.relation.loc,
                      "A join needs ON with an equality condition between its "
                      "two sides (a cross join is not supported yet)");
    if (const auto* named = std::get_if<sql::named_table>(&j.relation.node);
        named && named->system_time) {
      auto looked_up = lookup_join(std::move(*left), j.relation, j.kind, *j.on, j.relation.loc);
      if (!looked_up) return looked_up;
      left = std::move(looked_up);
      continue;
    }
    auto right = factor(j.relation, depth + 1);
    if (!right) return right;
    auto joined = join(std::move(*left), std::move(*right), j.kind, &*j.on, true, j.relation.loc);
    if (!joined) return joined;
    left = std::move(joined);
  }
  return left;
}

sql::result<relation> planner::join(relation l, relation r, sql::join_kind kind,
                                    const sql::expr* condition, bool residual_here,
                                    sql::location at) {
  const bool updating_input = l.updating || r.updating;
  auto plan = std::make_shared<join_plan>();
  plan->type = kind == sql::join_kind::left    ? join_type::left
               : kind == sql::join_kind::right ? join_type::right
               : kind == sql::join_kind::full  ? join_type::full
                                               : join_type::inner;
  plan->ttl = o_.state_ttl;
  // Split the condition: key pairs (left expression = right expression) and the rest.
  std::vector<const sql::expr*> parts;
  planning::conjuncts(*condition, parts);
  std::vector<sql::expr> left_keys, right_keys;
  std::vector<const sql::expr*> residual;
  std::string where_text;
  // Window join (Flink's WindowJoin): both sides' window_start and window_end are keys.
  const auto column_of = [](const sql::expr& e, const relation& rel) {
    const auto* id = e.as<sql::identifier>();
    return id ? planning::column_index(rel.columns, *id) : -1;
  };
  bool starts_equal = false, ends_equal = false;
  for (const auto* c : parts) {
    const auto* eq = c->as<sql::binary>();
    bool is_key = false;
    if (eq && eq->op == sql::binary_op::eq) {
      rows::logical_type lt, rt;
      for (int swap = 0; swap < 2 && !is_key; ++swap) {
        const sql::expr& a = swap ? *eq->right : *eq->left;
        const sql::expr& b = swap ? *eq->left : *eq->right;
        if (!compiles(a, l.columns, o_.functions, &lt) ||
            !compiles(b, r.columns, o_.functions, &rt))
          continue;
        is_key = true;
        sql::expr ka = a, kb = b;
        const bool same = lt.with_nullable(true) == rt.with_nullable(true) ||
                          (lt.is_character_string() && rt.is_character_string());
        if (!same) {
          if (lt.is_integer() && rt.is_integer()) {
            ka = planning::cast_to(std::move(ka), rows::bigint_type());
            kb = planning::cast_to(std::move(kb), rows::bigint_type());
          } else {
            return error_at(c->loc, "Join keys of types " + lt.to_string() + " and " +
                                        rt.to_string() +
                                        " are not supported yet: CAST one side to the other's "
                                        "type");
          }
        }
        if (l.window_start >= 0 && r.window_start >= 0 && column_of(a, l) == l.window_start &&
            column_of(b, r) == r.window_start)
          starts_equal = true;
        if (l.window_end >= 0 && r.window_end >= 0 && column_of(a, l) == l.window_end &&
            column_of(b, r) == r.window_end)
          ends_equal = true;
        left_keys.push_back(std::move(ka));
        right_keys.push_back(std::move(kb));
        where_text += (where_text.empty() ? "" : " AND ") + std::string("=(") + sql::to_sql(a) +
                      ", " + sql::to_sql(b) + ")";
      }
    }
    if (!is_key) residual.push_back(c);
  }
  if (left_keys.empty())
    return error_at(condition->loc,
                    "A join needs an equality condition between its two sides "
                    "(a join without one is not supported yet)");
  // Bounds on the two sides' event times make it an interval join (Flink's IntervalJoin).
  time_bounds bounds;
  take_time_bounds(residual, l, r, bounds);
  bool interval = bounds.lower && bounds.upper;
  // A window join runs as an interval join of the windows' window_time (their rowtime after the
  // window TVF) with bounds [0, 0]: a window's rows are kept until the watermark passes its
  // end, outer sides padded then. Event-time windows only (processing-time ones join as a
  // regular join).
  const bool window_join = !interval && starts_equal && ends_equal && l.rowtime >= 0 &&
                           r.rowtime >= 0 && !l.processing_time_windows &&
                           !r.processing_time_windows && !updating_input;
  if (window_join) {
    bounds.left_column = l.rowtime;
    bounds.right_column = r.rowtime;
    bounds.lower = bounds.upper = 0;
    interval = true;
  }
  // The output's window columns: the side that is never padded (none for a FULL join).
  int out_window_start = -1, out_window_end = -1;
  if (window_join && plan->type != join_type::full) {
    const bool right_side = plan->type == join_type::right;
    const int base = right_side ? static_cast<int>(l.columns.size()) : 0;
    out_window_start = base + (right_side ? r.window_start : l.window_start);
    out_window_end = base + (right_side ? r.window_end : l.window_end);
  }
  if (interval && *bounds.lower > *bounds.upper)
    return error_at(condition->loc,
                    "The join's time bounds leave no interval: left time - right "
                    "time between " +
                        std::to_string(*bounds.lower) + " and " + std::to_string(*bounds.upper) +
                        " ms");
  if (!residual.empty() && residual_here && plan->type != join_type::inner)
    return error_at(residual.front()->loc,
                    "Conditions other than equalities between the two "
                    "sides of an outer join are not supported yet");
  plan->key_count = left_keys.size();
  plan->left_width = l.columns.size();
  plan->right_width = r.columns.size();

  // Each side: its keys, then its columns; by key to the join.
  auto side = [&](relation& in, std::vector<sql::expr>& keys) { return keyed_side(in, keys, at); };
  const sql::scope lcols = l.columns, rcols = r.columns;
  std::vector<int> ltimes = l.rowtime_copies, rtimes = r.rowtime_copies;  // time attributes
  ltimes.push_back(l.rowtime);
  rtimes.push_back(r.rowtime);
  auto lp = side(l, left_keys);
  if (!lp) return lp;
  auto rp = side(r, right_keys);
  if (!rp) return rp;
  const std::size_t key_count = plan->key_count;
  auto lk = lp->stream->flat_map<aggregate_row>(explode_rows{key_count}).key_by(row_key{});
  auto rk = rp->stream->flat_map<aggregate_row>(explode_rows{key_count}).key_by(row_key{});
  const int id = next_id_++;
  const std::string name = std::string("Join #") + std::to_string(id);
  std::shared_ptr<const join_plan> shared = plan;
  std::optional<DataStream<changelog_row>> joined;
  std::int64_t delay = 0;
  if (interval) {
    auto ip = std::make_shared<interval_join_plan>();
    ip->type = plan->type;
    ip->key_count = plan->key_count;
    ip->left_width = plan->left_width;
    ip->right_width = plan->right_width;
    ip->left_time = plan->key_count + static_cast<std::size_t>(bounds.left_column);
    ip->right_time = plan->key_count + static_cast<std::size_t>(bounds.right_column);
    ip->lower = *bounds.lower;
    ip->upper = *bounds.upper;
    ip->name = std::string(window_join ? "WindowJoin #" : "IntervalJoin #") + std::to_string(id);
    delay = ip->output_delay();
    std::shared_ptr<const interval_join_plan> is = ip;
    joined = lk.connect(rk).template process<changelog_row>(interval_join_fn(is), ip->name);
    joined = joined->add_op<changelog_row>(
        "watermark delay " + std::to_string(id), [delay](operator_base* next) {
          return std::make_unique<watermark_delay_op<changelog_row>>(
              delay, detail::as_input<changelog_row>(next));
        });
  } else {
    joined = lk.connect(rk).template process<changelog_row>(regular_join_fn(shared), name);
  }

  relation out;
  std::vector<rows::logical_type> types;
  const bool left_nullable = plan->type == join_type::right || plan->type == join_type::full;
  const bool right_nullable = plan->type == join_type::left || plan->type == join_type::full;
  for (auto c : lcols) {
    if (left_nullable) c.type = c.type.with_nullable(true);
    types.push_back(c.type);
    out.columns.push_back(std::move(c));
  }
  for (auto c : rcols) {
    if (right_nullable) c.type = c.type.with_nullable(true);
    types.push_back(c.type);
    out.columns.push_back(std::move(c));
  }
  out.updating = (plan->type != join_type::inner && !interval) || updating_input;
  if (interval) {  // both sides' time columns stay time attributes (the watermark held back)
    out.rowtime = bounds.left_column;
    for (const int c : ltimes)
      if (c != bounds.left_column) out.rowtime_copies.push_back(c);
    for (const int c : rtimes) out.rowtime_copies.push_back(static_cast<int>(lcols.size()) + c);
    out.window_start = out_window_start;
    out.window_end = out_window_end;
  }
  out.stream =
      joined->add_op<rows::row_batch>("rows " + std::to_string(id), [types](operator_base* next) {
        return std::make_unique<rows_to_batch_op>(types, detail::as_input<rows::row_batch>(next));
      });
  if (window_join)
    out.explain.push_back(std::string("WindowJoin(joinType=[") + join_name(plan->type) +
                          "], where=[" + where_text + "], select=[" +
                          planning::join_names(out.columns) + "])");
  else if (interval)
    out.explain.push_back(
        std::string("IntervalJoin(joinType=[") + join_name(plan->type) +
        "], windowBounds=[isRowTime=true, leftLowerBound=" + std::to_string(*bounds.lower) +
        ", leftUpperBound=" + std::to_string(*bounds.upper) + "], where=[" + where_text + " AND " +
        bounds.text + "], select=[" + planning::join_names(out.columns) + "])");
  else
    out.explain.push_back(std::string("Join(joinType=[") + join_name(plan->type) + "], where=[" +
                          where_text + "], select=[" + planning::join_names(out.columns) + "])");
  planning::append_hashed_inputs(out.explain, lp->explain, rp->explain);
  if (residual.empty() || !residual_here) return out;

  // The other conditions of an inner join: a filter over the joined rows.
  const sql::expr filter = planning::conjunction(residual);
  std::vector<sql::select_item> all;
  sql::select_item star;
  star.what = sql::select_item::kind::wildcard;
  all.push_back(star);
  const sql::scope keep = out.columns;
  auto filtered = calc(std::move(out), &filter, all, at);
  if (!filtered) return filtered;
  filtered->columns = keep;  // the qualifiers stay for the query above
  return filtered;
}

}  // namespace eddy::table
