// Lookup joins: planner::lookup_join (see planner.hpp and lookup_join.hpp for the operator).
//
// `l [LEFT] JOIN t FOR SYSTEM_TIME AS OF l.proc AS s ON l.x = s.k [AND ...]`, as Flink's
// processing-time temporal join against a lookup table: `l.proc` must be the left side's
// processing-time attribute (a PROCTIME() column), `t` a table of a lookup connector (here:
// `filesystem`), and ON must hold an equality between a column of `t` and an expression of the
// left side (the lookup key; several make a composite key). Other conditions of an INNER join
// filter the joined rows.
#include <filesystem>
#include <limits>
#include <memory>
#include <utility>

#include "duration_text.hpp"
#include "eddy/sql/printer.hpp"
#include "eddy/table/lookup_join.hpp"
#include "eddy/table/planner.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

namespace {

bool same_type(const rows::logical_type& a, const rows::logical_type& b) {
  return a.with_nullable(true) == b.with_nullable(true);
}

/// A connector table's lookup cache (Flink's 'lookup.cache' = 'NONE' | 'PARTIAL' with the
/// 'lookup.partial-cache.*' keys, or the older 'lookup.cache.max-rows' and 'lookup.cache.ttl')
/// into `p`: an error message, or "".
std::string lookup_cache_options(const table_def& t, lookup_plan& p) {
  const std::string table = "Table '" + t.name + "': ";
  std::string mode;
  std::optional<std::int64_t> max_rows, ttl;
  for (const auto& [k, v] : t.options) {
    if (!planning::is_lookup_cache_key(k)) continue;
    if (k == "lookup.cache") {
      mode = planning::upper(v);
      if (mode != "NONE" && mode != "PARTIAL")
        return table + "'lookup.cache' is 'NONE' or 'PARTIAL', not '" + v + "'";
    } else if (k == "lookup.partial-cache.max-rows" || k == "lookup.cache.max-rows") {
      try {
        max_rows = std::stoll(v);
      } catch (const std::exception&) {
        max_rows = -1;
      }
      if (*max_rows <= 0) return table + "'" + k + "' must be a positive number, not '" + v + "'";
    } else if (k == "lookup.partial-cache.expire-after-write" || k == "lookup.cache.ttl") {
      ttl = parse_duration(v);
      if (!ttl || *ttl <= 0)
        return table + "'" + k + "' must be a positive duration, not '" + v + "'";
    } else if (k == "lookup.partial-cache.cache-missing-key" ||
               k == "lookup.cache.caching-missing-key") {
      if (v != "true" && v != "false") return table + "'" + k + "' is 'true' or 'false'";
      p.cache_missing_keys = v == "true";
    } else {
      return table + "unsupported option '" + k +
             "' (the lookup cache takes 'lookup.cache', 'lookup.partial-cache.max-rows', "
             "'lookup.partial-cache.expire-after-write', 'lookup.partial-cache.cache-missing-key')";
    }
  }
  if (mode == "NONE") return {};
  if (mode == "PARTIAL") {  // Flink's: max-rows required, no expiry unless given
    if (!max_rows)
      return table + "'lookup.cache' = 'PARTIAL' needs 'lookup.partial-cache.max-rows'";
  } else if (max_rows || ttl) {  // the older keys: a cache only with both
    if (!max_rows || !ttl)
      return table + "the lookup cache needs both 'lookup.cache.max-rows' and 'lookup.cache.ttl'";
  } else {
    return {};  // Flink's default: no cache
  }
  p.cache_max_rows = static_cast<std::size_t>(*max_rows);
  p.cache_ttl_ms = ttl.value_or(std::numeric_limits<std::int64_t>::max());
  return {};
}

}  // namespace

sql::result<relation> planner::lookup_join(relation l, const sql::table_factor& f,
                                           sql::join_kind kind, const sql::expr& on,
                                           sql::location at) {
  const auto& named = std::get<sql::named_table>(f.node);
  if (kind != sql::join_kind::inner && kind != sql::join_kind::left)
    return error_at(at, "A lookup join (FOR SYSTEM_TIME AS OF) is an INNER or a LEFT join");
  if (l.updating) return error_at(at, "A lookup join of an updating input is not supported yet");
  // FOR SYSTEM_TIME AS OF: the left side's processing-time attribute.
  const auto& time = *named.system_time;
  const auto* time_id = time.as<sql::identifier>();
  const int time_col = time_id ? planning::column_index(l.columns, *time_id) : -1;
  if (time_col >= 0 && l.is_rowtime(time_col))  // a versioned table (planner_temporal.cpp)
    return temporal_join(std::move(l), f, kind, on, time_col, at);
  if (time_col < 0 || time_col != l.proctime) {
    return error_at(time.loc,
                    "FOR SYSTEM_TIME AS OF needs a time attribute of the join's left side (its "
                    "event-time attribute, or a column computed by PROCTIME()), not '" +
                        sql::to_sql(time) + "'");
  }
  // The looked-up table.
  auto name = simple_name(named.name, f.loc);
  if (!name) return name.error();
  const table_def* t = catalog_table(*name);
  if (!t)
    return error_at(f.loc, "A lookup join reads a table of a lookup connector: '" + *name +
                               "' is a view or a WITH table");
  const auto connector = t->option("connector");
  const table_connector* registered =
      connector == "filesystem" ? nullptr : find_table_connector(connector);
  if (connector != "filesystem" && (!registered || !registered->lookup))
    return error_at(f.loc, "Table '" + t->name + "' (connector '" + connector +
                               "') cannot be looked up: lookup joins read 'filesystem', 'jdbc' "
                               "and 'postgresql' tables");
  if (!t->computed.empty())
    return error_at(f.loc, "A lookup join of table '" + t->name +
                               "', which has computed columns, is not supported yet");
  auto plan = std::make_shared<lookup_plan>();
  plan->table = t->name;
  plan->columns = t->columns;
  plan->left_outer = kind == sql::join_kind::left;
  if (registered) {
    if (auto e = lookup_cache_options(*t, *plan); !e.empty()) return error_at(t->where, e);
  } else {
    plan->path = planning::file_path(*t);
    if (auto e = planning::file_option_error(
            *t, {"connector", "path", "format", "lookup.join.cache.ttl"});
        !e.empty())
      return error_at(t->where, e);
    if (auto e = parse_row_format(t->option("format"), t->options, plan->format); !e.empty())
      return error_at(t->where, "Table '" + t->name + "': " + e);
    if (plan->path.empty())
      return error_at(t->where, "Table '" + t->name + "' has no 'path' option");
    std::error_code ec;
    if (!std::filesystem::exists(plan->path, ec))
      return error_at(f.loc,
                      "Table '" + t->name + "': the path '" + plan->path + "' does not exist");
    if (const auto ttl = t->option("lookup.join.cache.ttl"); !ttl.empty()) {
      const auto ms = parse_duration(ttl);
      if (!ms || *ms <= 0)
        return error_at(t->where, "Table '" + t->name +
                                      "': 'lookup.join.cache.ttl' must be a positive duration, "
                                      "not '" +
                                      ttl + "'");
      plan->cache_ttl_ms = *ms;
    }
  }
  const std::string qualifier = f.alias ? f.alias->name.value : *name;
  if (f.alias && !f.alias->columns.empty())
    return error_at(f.alias->name.loc, "Column aliases of a lookup table are not supported");
  sql::scope right;
  for (const auto& c : t->columns) right.push_back(sql::scope_column{qualifier, c.name, c.type});

  // ON: lookup keys (a table column = an expression of the left side) and the rest.
  std::vector<const sql::expr*> parts;
  planning::conjuncts(on, parts);
  std::vector<sql::select_item> items;
  for (std::size_t c = 0; c < l.columns.size(); ++c)
    items.push_back(planning::aliased(planning::reference(l.columns[c]), "$c" + std::to_string(c)));
  std::vector<const sql::expr*> residual;
  std::string key_text;
  for (const auto* c : parts) {
    const auto* eq = c->as<sql::binary>();
    bool is_key = false;
    for (int swap = 0; eq && eq->op == sql::binary_op::eq && swap < 2 && !is_key; ++swap) {
      const sql::expr& a = swap ? *eq->right : *eq->left;  // the left side's
      const sql::expr& b = swap ? *eq->left : *eq->right;  // the table's column
      const auto* id = b.as<sql::identifier>();
      const int col = id ? planning::column_index(right, *id) : -1;
      if (col < 0 || planning::column_index(l.columns, *id) >= 0) continue;
      auto left_expr = sql::compile_expression(a, l.columns, o_.functions);
      if (!left_expr) continue;
      const auto& want = right[static_cast<std::size_t>(col)].type;
      const auto got = (*left_expr)->type();
      sql::expr key = a;
      if (!same_type(got, want)) {
        const bool castable = (got.is_numeric() && want.is_numeric()) ||
                              (got.is_character_string() && want.is_character_string());
        if (!castable)
          return error_at(c->loc, "The lookup key " + sql::to_sql(a) + " (" + got.to_string() +
                                      ") cannot be compared with " + sql::to_sql(b) + " (" +
                                      want.to_string() + ")");
        key = planning::cast_to(std::move(key), want.with_nullable(true));
      }
      is_key = true;
      plan->key_columns.push_back(static_cast<std::size_t>(col));
      items.push_back(
          planning::aliased(std::move(key), "$k" + std::to_string(plan->key_columns.size())));
      key_text += (key_text.empty() ? "" : ", ") + right[static_cast<std::size_t>(col)].name + "=" +
                  sql::to_sql(a);
    }
    if (!is_key) residual.push_back(c);
  }
  if (plan->key_columns.empty())
    return error_at(on.loc, "A lookup join needs an equality between a column of '" + qualifier +
                                "' and an expression of the left side in its ON");
  if (!residual.empty() && plan->left_outer)
    return error_at(residual.front()->loc,
                    "Conditions other than the lookup keys' equalities in a LEFT lookup join's "
                    "ON are not supported yet");

  std::string looked_up;  // the connector's description, for EXPLAIN
  if (registered) {
    auto s =
        registered->lookup(*t, planning::connector_options(*t, *registered), plan->key_columns);
    if (!s) return error_at(f.loc, s.error().message);
    looked_up = ", " + s->description;
    plan->connector = std::make_shared<const table_lookup_source>(std::move(*s));
  }

  relation out;
  out.columns = l.columns;
  out.rowtime = l.rowtime;
  out.rowtime_copies = l.rowtime_copies;
  out.proctime = l.proctime;
  for (auto c : right) {
    if (plan->left_outer) c.type = c.type.with_nullable(true);
    out.columns.push_back(std::move(c));
  }
  for (const auto& c : out.columns) plan->out_types.push_back(c.type);
  auto before = calc(std::move(l), nullptr, items, at);
  if (!before) return before;
  plan->left_width = out.columns.size() - right.size();
  for (std::size_t c = 0; c < plan->left_width; ++c) plan->out_types[c] = before->columns[c].type;
  const int id = next_id_++;
  std::shared_ptr<const lookup_plan> shared = plan;
  out.stream = before->stream->flat_map<rows::row_batch>(lookup_join_fn(shared))
                   .name("LookupJoin #" + std::to_string(id));
  out.explain.push_back("LookupJoin(table=[" + t->name + "]" + looked_up + ", joinType=[" +
                        (plan->left_outer ? "LeftOuterJoin" : "InnerJoin") + "], lookup=[" +
                        key_text + "], select=[" + planning::join_names(out.columns) + "])");
  planning::indent(before->explain);
  out.explain.insert(out.explain.end(), before->explain.begin(), before->explain.end());
  if (residual.empty()) return out;

  // The other conditions of an inner lookup join: a filter over the joined rows.
  const sql::expr filter = planning::conjunction(residual);
  std::vector<sql::select_item> all(1);
  all[0].what = sql::select_item::kind::wildcard;
  const sql::scope keep = out.columns;
  const int rowtime = out.rowtime, proctime = out.proctime;
  auto filtered = calc(std::move(out), &filter, all, at);
  if (!filtered) return filtered;
  filtered->columns = keep;  // the qualifiers stay for the query above
  filtered->rowtime = rowtime;
  filtered->proctime = proctime;
  return filtered;
}

}  // namespace eddy::table
