// Top-N: planner::rank, planner::top_n and planner::sort_limit (see planner.hpp and
// rank_operators.hpp).
//
// - `SELECT ... FROM (SELECT ..., ROW_NUMBER() OVER (PARTITION BY p ORDER BY o) AS rownum
//   FROM t [WHERE ...]) [alias] WHERE rownum <= N` (also `< N`, `= N`, `BETWEEN a AND b`):
//   Flink's Rank with the rank number as a column;
// - `query ORDER BY o LIMIT n [OFFSET m]`: Flink's SortLimit (one partition, no rank column);
//   `query LIMIT n` without ORDER BY: the first n rows (insert-only).
#include <memory>
#include <utility>

#include "eddy/sql/printer.hpp"
#include "eddy/table/planner.hpp"
#include "eddy/table/rank_operators.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

namespace {

bool is_row_number(const sql::expr& e) {
  const auto* f = e.as<sql::function_call>();
  return f && f->over && f->name.size() == 1 &&
         planning::upper(f->name.front().value) == "ROW_NUMBER";
}

std::string item_name(const sql::select_item& item, std::size_t index) {
  if (item.alias) return item.alias->value;
  if (const auto* id = item.value->as<sql::identifier>()) return id->parts.back().value;
  return "EXPR$" + std::to_string(index);
}

/// Whether `e` names the column `name` (unqualified or qualified).
bool names(const sql::expr& e, const std::string& name) {
  const auto* id = e.as<sql::identifier>();
  return id && !id->parts.empty() && id->parts.back().value == name;
}

}  // namespace

sql::result<std::int64_t> planning::constant_integer(const sql::expr& e, const std::string& what) {
  rows::logical_type t;
  auto v = evaluate_constant(e, what, &t);
  if (!v) return v.error();
  if (!t.is_integer()) return error_at(e.loc, what + " must be a constant integer");
  return std::holds_alternative<std::int32_t>(v->data) ? v->as_int32() : v->as_int64();
}

sql::result<relation> planner::rank(relation in, const std::vector<sql::expr>& partition,
                                    const std::vector<sql::order_item>& order, std::int64_t first,
                                    std::int64_t last, bool rank_number, sql::location at) {
  auto plan = std::make_shared<rank_plan>();
  plan->retracting = in.updating;
  const bool updating_input = in.updating;
  plan->key_count = partition.size();
  plan->width = in.columns.size();
  plan->first = first;
  plan->last = last;
  plan->rank_number = rank_number;
  plan->ttl = o_.state_ttl;
  std::vector<sql::select_item> items;
  std::string partition_text, order_text;
  for (std::size_t k = 0; k < partition.size(); ++k) {
    items.push_back(planning::aliased(partition[k], "$p" + std::to_string(k)));
    partition_text += (k ? ", " : "") + sql::to_sql(partition[k]);
  }
  for (std::size_t c = 0; c < in.columns.size(); ++c)
    items.push_back(
        planning::aliased(planning::reference(in.columns[c]), "$c" + std::to_string(c)));
  for (std::size_t o = 0; o < order.size(); ++o) {
    const auto& item = order[o];
    sort_key k;
    k.position = items.size();
    k.ascending = item.ascending.value_or(true);
    k.nulls_first = item.nulls_first.value_or(k.ascending);
    plan->order.push_back(k);
    items.push_back(planning::aliased(*item.value, "$o" + std::to_string(o)));
    order_text += (o ? ", " : "") + sql::to_sql(*item.value) + (k.ascending ? " ASC" : " DESC");
  }
  if (first == 1 && last == 1 && order.size() == 1 && !plan->order.front().ascending)
    if (const auto* id = order.front().value->as<sql::identifier>())
      plan->keep_last = in.is_rowtime(planning::column_index(in.columns, *id));
  // Window Top-N: PARTITION BY holds the window's bounds (of an insert-only input).
  int key_start = -1;
  for (std::size_t k = 0; k < partition.size(); ++k) {
    const auto* id = partition[k].as<sql::identifier>();
    const int col = id ? planning::column_index(in.columns, *id) : -1;
    if (col >= 0 && col == in.window_start) key_start = static_cast<int>(k);
    if (col >= 0 && col == in.window_end) plan->window_end = static_cast<int>(k);
  }
  if (key_start < 0 || updating_input) plan->window_end = -1;
  plan->processing_time = plan->window_end >= 0 && in.processing_time_windows;
  const bool windowed = plan->window_end >= 0;
  const int window_start = in.window_start, window_end = in.window_end;
  const bool processing_time_windows = in.processing_time_windows;
  const sql::scope columns = in.columns;
  auto pre = calc(std::move(in), nullptr, items, at);
  if (!pre) return pre;
  const std::size_t key_count = plan->key_count;
  auto keyed = pre->stream->flat_map<aggregate_row>(explode_rows{key_count}).key_by(row_key{});
  const int id = next_id_++;
  const std::string name = (windowed ? "WindowRank #" : "Rank #") + std::to_string(id);
  plan->name = name;
  std::shared_ptr<const rank_plan> shared = plan;
  auto ranked = keyed.template process<changelog_row>(rank_fn(shared), name);
  relation out;
  out.columns = columns;
  std::vector<rows::logical_type> types;
  for (const auto& c : columns) types.push_back(c.type);
  if (rank_number) {
    out.columns.push_back(sql::scope_column{"", "$rank", rows::bigint_type().with_nullable(false)});
    types.push_back(rows::bigint_type().with_nullable(false));
  }
  out.updating = !windowed && (!order.empty() || updating_input);
  if (windowed) {  // the window's bounds keep their roles (a window join or aggregate may follow)
    out.window_start = window_start;
    out.window_end = window_end;
    out.processing_time_windows = processing_time_windows;
  }
  out.stream =
      ranked.add_op<rows::row_batch>("rows " + std::to_string(id), [types](operator_base* next) {
        return std::make_unique<rows_to_batch_op>(types, detail::as_input<rows::row_batch>(next));
      });
  if (partition.empty() && !rank_number)
    out.explain.push_back("SortLimit(orderBy=[" + order_text + "], offset=[" +
                          std::to_string(first - 1) + "], fetch=[" +
                          std::to_string(last - first + 1) + "])");
  else
    out.explain.push_back(std::string(windowed ? "WindowRank" : "Rank") +
                          "(rankType=[ROW_NUMBER], rankRange=[rankStart=" + std::to_string(first) +
                          ", rankEnd=" + std::to_string(last) + "], partitionBy=[" +
                          partition_text + "], orderBy=[" + order_text + "])");
  out.explain.push_back(
      "+- Exchange(distribution=[" +
      (partition.empty() ? std::string("single") : "hash[" + partition_text + "]") + "])");
  planning::indent(pre->explain);
  for (auto& line : pre->explain) out.explain.push_back("   " + line);
  return out;
}

sql::result<std::optional<relation>> planner::top_n(const sql::select_core& s, int depth) {
  // The shape: FROM one derived table whose SELECT has a ROW_NUMBER() OVER item.
  if (s.from.size() != 1 || !s.from[0].joins.empty()) return std::optional<relation>{};
  const auto& f = s.from[0].relation;
  const auto* derived = std::get_if<sql::derived_table>(&f.node);
  if (!derived || derived->lateral) return std::optional<relation>{};
  const auto& sub = *derived->subquery;
  const auto* inner = std::get_if<sql::select_core>(&sub.body.node);
  if (!inner) return std::optional<relation>{};
  std::size_t row_number = inner->items.size();
  for (std::size_t i = 0; i < inner->items.size(); ++i)
    if (inner->items[i].value && is_row_number(*inner->items[i].value)) row_number = i;
  if (row_number == inner->items.size()) return std::optional<relation>{};
  const auto& call = *inner->items[row_number].value->as<sql::function_call>();
  const auto rank_name = item_name(inner->items[row_number], row_number);
  const auto at = inner->items[row_number].value->loc;
  if (!sub.with.empty() || !sub.order_by.empty() || sub.limit || inner->distinct ||
      !inner->group_by.empty() || inner->having || !call.args.empty() || !call.over->spec ||
      call.over->spec->frame || call.over->spec->order_by.empty())
    return error_at(at,
                    "ROW_NUMBER() is supported as Flink's Top-N: ROW_NUMBER() OVER "
                    "(PARTITION BY ... ORDER BY ...) in a subquery without GROUP BY, "
                    "filtered by the query around it (WHERE rownum <= N)");
  // The range from the outer WHERE: rownum <= N, < N, = N, BETWEEN a AND b.
  std::int64_t first = 1;
  std::optional<std::int64_t> last;
  if (s.where) {
    std::vector<const sql::expr*> parts;
    planning::conjuncts(*s.where, parts);
    for (const auto* c : parts) {
      if (const auto* b = c->as<sql::binary>(); b && names(*b->left, rank_name)) {
        auto n = planning::constant_integer(*b->right, "The bound of " + rank_name);
        if (b->op == sql::binary_op::le || b->op == sql::binary_op::lt ||
            b->op == sql::binary_op::eq) {
          if (!n) return n.error();
          last = *n - (b->op == sql::binary_op::lt ? 1 : 0);
          if (b->op == sql::binary_op::eq) first = *n;
        }
      } else if (const auto* bt = c->as<sql::between>();
                 bt && !bt->negated && names(*bt->operand, rank_name)) {
        auto lo = planning::constant_integer(*bt->low, "The bound of " + rank_name);
        if (!lo) return lo.error();
        auto hi = planning::constant_integer(*bt->high, "The bound of " + rank_name);
        if (!hi) return hi.error();
        first = *lo;
        last = *hi;
      }
    }
  }
  if (!last)
    return error_at(at, "ROW_NUMBER() needs a filter on '" + rank_name +
                            "' around its query (WHERE " + rank_name +
                            " <= N: Flink's Top-N); an unbounded ROW_NUMBER is not supported");
  if (first < 1 || *last < first)
    return error_at(s.where->loc, "The range of " + rank_name + " is empty or starts below 1");

  auto in = from_clause(inner->from, inner->where ? &*inner->where : nullptr, f.loc, depth + 1);
  if (!in) return in.error();
  if (inner->where) {
    std::vector<sql::select_item> all(1);
    all[0].what = sql::select_item::kind::wildcard;
    const sql::scope keep = in->columns;
    auto filtered = calc(std::move(*in), &*inner->where, all, f.loc);
    if (!filtered) return filtered.error();
    filtered->columns = keep;
    in = std::move(filtered);
  }
  auto ranked = rank(std::move(*in), call.over->spec->partition_by, call.over->spec->order_by,
                     first, *last, true, at);
  if (!ranked) return ranked.error();
  // The subquery's select list, ROW_NUMBER() being the rank column.
  std::vector<sql::select_item> items = inner->items;
  items[row_number] = planning::aliased(planning::column_expr("$rank"), rank_name);
  auto selected = calc(std::move(*ranked), nullptr, items, f.loc);
  if (!selected) return selected.error();
  const std::string qualifier = f.alias ? f.alias->name.value : std::string();
  if (f.alias && !f.alias->columns.empty()) {
    if (f.alias->columns.size() != selected->columns.size())
      return error_at(f.alias->name.loc, "The alias names " +
                                             std::to_string(f.alias->columns.size()) +
                                             " columns but the relation has " +
                                             std::to_string(selected->columns.size()));
    for (std::size_t i = 0; i < selected->columns.size(); ++i)
      selected->columns[i].name = f.alias->columns[i].value;
  }
  for (auto& c : selected->columns) c.table = qualifier;
  return std::optional<relation>(std::move(*selected));
}

sql::result<relation> planner::sort_limit(relation in, const sql::query& q) {
  std::int64_t offset = 0;
  if (q.offset) {
    auto o = planning::constant_integer(*q.offset, "OFFSET");
    if (!o) return o.error();
    if (*o < 0) return error_at(q.offset->loc, "OFFSET must not be negative");
    offset = *o;
  }
  if (!q.limit)
    return error_at(q.loc, q.order_by.empty()
                               ? "OFFSET without LIMIT is not supported yet"
                               : "ORDER BY without LIMIT is not supported yet (Flink sorts a "
                                 "stream only on a time attribute)");
  auto n = planning::constant_integer(*q.limit, "LIMIT");
  if (!n) return n.error();
  if (*n < 1) return error_at(q.limit->loc, "LIMIT must be at least 1");
  return rank(std::move(in), {}, q.order_by, offset + 1, offset + *n, false, q.loc);
}

}  // namespace eddy::table
