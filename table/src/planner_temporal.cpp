// Event-time temporal joins: planner::temporal_join (see planner.hpp and temporal_join.hpp for
// the operator).
//
// `l [LEFT] JOIN t FOR SYSTEM_TIME AS OF l.rowtime AS r ON l.k = r.k [AND ...]`, as Flink's
// temporal join with a versioned table: `l.rowtime` is the left side's event-time attribute, `t`
// a table with a PRIMARY KEY and a WATERMARK (each row a version of its key from its event time
// on), and the equalities of ON between the two sides (the join key) hold the primary key. Other
// conditions of an INNER join filter the joined rows.
#include <algorithm>
#include <memory>
#include <utility>

#include "eddy/sql/printer.hpp"
#include "eddy/table/planner.hpp"
#include "eddy/table/temporal_join.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

namespace {

/// A versioned view (Flink's): a deduplication keeping each key's last row by event time,
///   SELECT ... FROM (SELECT ..., ROW_NUMBER() OVER (PARTITION BY k ORDER BY t DESC) AS rn
///                    FROM x ...) WHERE rn = 1
/// `versions` is the view's query without the deduplication (each row of x a version of its
/// key from its time on), `key` the PARTITION BY columns, `time` the ORDER BY column.
struct versioned_view {
  sql::query versions;
  std::vector<std::string> key;
  std::string time;
};

bool names_column(const sql::expr& e, const std::string& name) {
  const auto* id = e.as<sql::identifier>();
  return id && id->parts.size() == 1 && id->parts.front().value == name;
}

/// The view as a versioned view, or why it is not one.
std::optional<versioned_view> as_versioned_view(const view_def& v, std::string& why) {
  why =
      "its query is not a deduplication keeping each key's last row (SELECT ... FROM (SELECT "
      "..., ROW_NUMBER() OVER (PARTITION BY key ORDER BY time DESC) AS rownum FROM ...) WHERE "
      "rownum = 1)";
  const auto& q = v.body;
  const auto* outer = std::get_if<sql::select_core>(&q.body.node);
  if (!v.column_names.empty() || !q.with.empty() || !q.order_by.empty() || q.limit || q.offset ||
      !outer || outer->from.size() != 1 || !outer->from[0].joins.empty() ||
      !outer->group_by.empty() || outer->having || outer->distinct || !outer->where)
    return std::nullopt;
  const auto* derived = std::get_if<sql::derived_table>(&outer->from[0].relation.node);
  if (!derived || derived->lateral) return std::nullopt;
  const auto* inner = std::get_if<sql::select_core>(&derived->subquery->body.node);
  if (!inner || !derived->subquery->with.empty() || !derived->subquery->order_by.empty() ||
      derived->subquery->limit || !inner->group_by.empty() || inner->having || inner->distinct)
    return std::nullopt;
  std::size_t rn = inner->items.size();
  for (std::size_t i = 0; i < inner->items.size(); ++i)
    if (const auto* f =
            inner->items[i].value ? inner->items[i].value->as<sql::function_call>() : nullptr;
        f && f->over && f->name.size() == 1 &&
        planning::upper(f->name.front().value) == "ROW_NUMBER")
      rn = i;
  if (rn == inner->items.size() || !inner->items[rn].alias) return std::nullopt;
  const auto& call = *inner->items[rn].value->as<sql::function_call>();
  const auto& spec = call.over->spec;
  if (!spec || spec->frame || spec->partition_by.empty() || spec->order_by.size() != 1)
    return std::nullopt;
  versioned_view out;
  for (const auto& k : spec->partition_by) {
    const auto* id = k.as<sql::identifier>();
    if (!id) return std::nullopt;
    out.key.push_back(id->parts.back().value);
  }
  const auto& order = spec->order_by.front();
  const auto* time = order.value->as<sql::identifier>();
  if (!time || order.ascending.value_or(true)) {
    why = "its ROW_NUMBER() must be ORDER BY the event-time attribute DESC (each key's last row)";
    return std::nullopt;
  }
  out.time = time->parts.back().value;
  // The outer WHERE: rownum = 1 (or <= 1, < 2) and maybe other conditions, which stay.
  const std::string rn_name = inner->items[rn].alias->value;
  std::vector<const sql::expr*> parts;
  planning::conjuncts(*outer->where, parts);
  std::vector<const sql::expr*> rest;
  bool first_only = false;
  for (const auto* c : parts) {
    const auto* b = c->as<sql::binary>();
    if (b && names_column(*b->left, rn_name)) {
      auto n = planning::constant_integer(*b->right, "The bound of " + rn_name);
      if (n &&
          ((b->op == sql::binary_op::eq && *n == 1) || (b->op == sql::binary_op::le && *n == 1) ||
           (b->op == sql::binary_op::lt && *n == 2))) {
        first_only = true;
        continue;
      }
      return std::nullopt;
    }
    rest.push_back(c);
  }
  if (!first_only) return std::nullopt;
  out.versions = q;
  auto& o = std::get<sql::select_core>(out.versions.body.node);
  if (rest.empty())
    o.where = {};
  else
    o.where = planning::conjunction(rest);
  auto& d = std::get<sql::derived_table>(o.from[0].relation.node);
  auto& i = std::get<sql::select_core>(d.subquery->body.node);
  i.items.erase(i.items.begin() + static_cast<std::ptrdiff_t>(rn));
  for (const auto& item : o.items)  // the view's rows must not use the row number
    if (item.what == sql::select_item::kind::value && names_column(*item.value, rn_name))
      return std::nullopt;
  return out;
}

}  // namespace

sql::result<relation> planner::temporal_join(relation l, const sql::table_factor& f,
                                             sql::join_kind kind, const sql::expr& on, int time_col,
                                             sql::location at) {
  const auto& named = std::get<sql::named_table>(f.node);
  if (kind != sql::join_kind::inner && kind != sql::join_kind::left)
    return error_at(at, "A temporal join (FOR SYSTEM_TIME AS OF) is an INNER or a LEFT join");
  if (l.updating) return error_at(at, "A temporal join of an updating input is not supported yet");
  auto name = simple_name(named.name, f.loc);
  if (!name) return name.error();
  const table_def* t = catalog_table(*name);
  std::vector<std::string> primary_key;  // the versioned table's, or the view's PARTITION BY
  std::optional<sql::result<relation>> planned;
  std::string kind_text = "versioned table";
  if (!t) {
    const view_def* v = catalog_.find_view(*name);
    std::string why = "a WITH table cannot be one";
    std::optional<versioned_view> vv;
    if (v) vv = as_versioned_view(*v, why);
    if (!vv)
      return error_at(f.loc, "A temporal join on event time needs a versioned table or view: '" +
                                 *name + "' is not one: " + why);
    kind_text = "versioned view";
    primary_key = vv->key;
    auto r = query(vv->versions, 1);
    if (!r) return r;
    for (const auto& k : primary_key)
      if (std::none_of(r->columns.begin(), r->columns.end(),
                       [&](const auto& c) { return c.name == k; }))
        return error_at(f.loc, "The versioned view '" + *name + "' must select its key '" + k +
                                   "' (its ROW_NUMBER's PARTITION BY column)");
    if (r->rowtime < 0 || r->columns[static_cast<std::size_t>(r->rowtime)].name != vv->time)
      return error_at(f.loc, "The versioned view '" + *name + "' must select '" + vv->time +
                                 "', the event-time attribute its ROW_NUMBER orders by");
    planned = qualify(std::move(*r), f);
  } else {
    if (t->primary_key.empty())
      return error_at(f.loc,
                      "Temporal Table Join requires primary key in versioned table, but no "
                      "primary key can be found in table '" +
                          t->name + "'");
    if (!t->rowtime || !t->watermark)
      return error_at(f.loc,
                      "Event-Time Temporal Table Join requires both primary key and row time "
                      "attribute in versioned table, but no row time attribute can be found "
                      "in table '" +
                          t->name + "' (declare WATERMARK FOR ...)");
    primary_key = t->primary_key;
    sql::table_factor plain = f;  // the table as a FROM item of its own
    std::get<sql::named_table>(plain.node).system_time = {};
    planned = factor(plain, 1);
  }
  auto& r = *planned;
  if (!r) return r;
  if (r->rowtime < 0)
    return error_at(
        f.loc, "The " + kind_text + " '" + *name + "' lost its event-time attribute (project it)");

  // ON: key pairs (left expression = right expression) and the rest.
  std::vector<const sql::expr*> parts;
  planning::conjuncts(on, parts);
  std::vector<sql::expr> left_keys, right_keys;
  std::vector<const sql::expr*> residual;
  std::vector<std::string> key_columns;  // right keys that name a column of the table
  std::string where_text;
  for (const auto* c : parts) {
    const auto* eq = c->as<sql::binary>();
    bool is_key = false;
    for (int swap = 0; eq && eq->op == sql::binary_op::eq && swap < 2 && !is_key; ++swap) {
      const sql::expr& a = swap ? *eq->right : *eq->left;
      const sql::expr& b = swap ? *eq->left : *eq->right;
      auto la = sql::compile_expression(a, l.columns, o_.functions);
      auto rb = sql::compile_expression(b, r->columns, o_.functions);
      if (!la || !rb) continue;
      const auto lt = (*la)->type(), rt = (*rb)->type();
      sql::expr ka = a, kb = b;
      if (!(lt.with_nullable(true) == rt.with_nullable(true)) &&
          !(lt.is_character_string() && rt.is_character_string())) {
        if (!lt.is_integer() || !rt.is_integer())
          return error_at(c->loc, "Join keys of types " + lt.to_string() + " and " +
                                      rt.to_string() +
                                      " are not supported yet: CAST one side to the other's type");
        ka = planning::cast_to(std::move(ka), rows::bigint_type());
        kb = planning::cast_to(std::move(kb), rows::bigint_type());
      }
      is_key = true;
      if (const auto* id = b.as<sql::identifier>()) {
        const int col = planning::column_index(r->columns, *id);
        if (col >= 0) key_columns.push_back(r->columns[static_cast<std::size_t>(col)].name);
      }
      left_keys.push_back(std::move(ka));
      right_keys.push_back(std::move(kb));
      where_text += (where_text.empty() ? "" : " AND ") + std::string("=(") + sql::to_sql(a) +
                    ", " + sql::to_sql(b) + ")";
    }
    if (!is_key) residual.push_back(c);
  }
  for (const auto& k : primary_key)
    if (std::find(key_columns.begin(), key_columns.end(), k) == key_columns.end())
      return error_at(on.loc, "The join key of a temporal join must contain the " + kind_text +
                                  "'s primary key: ON has no equality with '" + k + "'");
  if (!residual.empty() && kind == sql::join_kind::left)
    return error_at(residual.front()->loc,
                    "Conditions other than the join key's equalities in a LEFT temporal join's "
                    "ON are not supported yet");

  auto plan = std::make_shared<temporal_join_plan>();
  plan->key_count = left_keys.size();
  plan->left_width = l.columns.size();
  plan->right_width = r->columns.size();
  plan->left_time = plan->key_count + static_cast<std::size_t>(time_col);
  plan->right_time = plan->key_count + static_cast<std::size_t>(r->rowtime);
  plan->left_outer = kind == sql::join_kind::left;
  // Each side: its keys, then its columns; by key to the join.
  auto side = [&](relation& in, std::vector<sql::expr>& keys) { return keyed_side(in, keys, at); };
  relation out;
  out.columns = l.columns;
  out.rowtime = l.rowtime;
  out.rowtime_copies = l.rowtime_copies;
  for (auto c : r->columns) {
    if (plan->left_outer) c.type = c.type.with_nullable(true);
    out.columns.push_back(std::move(c));
  }
  const std::string condition = where_text + " AND __TEMPORAL_JOIN_CONDITION(" +
                                l.columns[static_cast<std::size_t>(time_col)].name + ", " +
                                r->columns[static_cast<std::size_t>(r->rowtime)].name + ")";
  auto lp = side(l, left_keys);
  if (!lp) return lp;
  auto rp = side(*r, right_keys);
  if (!rp) return rp;
  std::vector<rows::logical_type> types;
  for (std::size_t c = 0; c < out.columns.size(); ++c) {
    const auto& from = c < plan->left_width ? lp->columns[plan->key_count + c]
                                            : rp->columns[plan->key_count + c - plan->left_width];
    out.columns[c].type =
        plan->left_outer && c >= plan->left_width ? from.type.with_nullable(true) : from.type;
    types.push_back(out.columns[c].type);
  }
  const int id = next_id_++;
  plan->name = "TemporalJoin #" + std::to_string(id);
  const std::size_t key_count = plan->key_count;
  auto lk = lp->stream->flat_map<aggregate_row>(explode_rows{key_count}).key_by(row_key{});
  auto rk = rp->stream->flat_map<aggregate_row>(explode_rows{key_count}).key_by(row_key{});
  std::shared_ptr<const temporal_join_plan> shared = plan;
  auto joined =
      lk.connect(rk).template process<changelog_row>(temporal_join_fn(shared), plan->name);
  out.stream =
      joined.add_op<rows::row_batch>("rows " + std::to_string(id), [types](operator_base* next) {
        return std::make_unique<rows_to_batch_op>(types, detail::as_input<rows::row_batch>(next));
      });
  out.explain.push_back(std::string("TemporalJoin(joinType=[") +
                        (plan->left_outer ? "LeftOuterJoin" : "InnerJoin") + "], where=[" +
                        condition + "], select=[" + planning::join_names(out.columns) + "])");
  planning::append_hashed_inputs(out.explain, lp->explain, rp->explain);
  if (residual.empty()) return out;
  const sql::expr filter = planning::conjunction(residual);
  std::vector<sql::select_item> all(1);
  all[0].what = sql::select_item::kind::wildcard;
  const sql::scope keep = out.columns;
  const int rowtime = out.rowtime;
  auto filtered = calc(std::move(out), &filter, all, at);
  if (!filtered) return filtered;
  filtered->columns = keep;
  filtered->rowtime = rowtime;
  return filtered;
}

}  // namespace eddy::table
