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
  if (!t)
    return error_at(f.loc, "A temporal join on event time needs a versioned table: '" + *name +
                               "' is a view or a WITH table (versioned views are not supported "
                               "yet)");
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
  sql::table_factor plain = f;  // the table as a FROM item of its own
  std::get<sql::named_table>(plain.node).system_time = {};
  auto r = factor(plain, 1);
  if (!r) return r;
  if (r->rowtime < 0)
    return error_at(
        f.loc, "The versioned table '" + t->name + "' lost its event-time attribute (project it)");

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
  for (const auto& k : t->primary_key)
    if (std::find(key_columns.begin(), key_columns.end(), k) == key_columns.end())
      return error_at(on.loc,
                      "The join key of a temporal join must contain the versioned "
                      "table's primary key: ON has no equality with '" +
                          k + "'");
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
