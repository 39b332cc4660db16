#include "eddy/table/planner.hpp"

#include <filesystem>
#include <utility>

#include "eddy/connectors/files/directory_source.hpp"
#include "eddy/connectors/files/file_sink.hpp"
#include "eddy/connectors/files/file_source.hpp"
#include "eddy/sql/printer.hpp"
#include "eddy/table/csv_rows.hpp"
#include "eddy/table/datagen_source.hpp"
#include "eddy/table/nexmark_table.hpp"
#include "eddy/table/row_operators.hpp"
#include "eddy/table/row_text.hpp"
#include "eddy/table/table_connector.hpp"
#include "eddy/table/time_operators.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

namespace planning {

sql::expr column_expr(const std::string& name) {
  sql::expr e;
  sql::ident id;
  id.value = name;
  e.node = sql::identifier{{id}};
  return e;
}

sql::expr reference(const sql::scope_column& c) {
  sql::expr e;
  sql::identifier id;
  if (!c.table.empty()) {
    sql::ident t;
    t.value = c.table;
    id.parts.push_back(t);
  }
  sql::ident n;
  n.value = c.name;
  id.parts.push_back(n);
  e.node = std::move(id);
  return e;
}

std::string join_names(const sql::scope& s) {
  std::string out;
  for (const auto& c : s) out += (out.empty() ? "" : ", ") + c.name;
  return out;
}

void indent(std::vector<std::string>& lines) {
  for (std::size_t i = 0; i < lines.size(); ++i) lines[i] = (i == 0 ? "+- " : "   ") + lines[i];
}

int column_index(const sql::scope& s, const sql::identifier& id) {
  if (id.parts.empty() || id.parts.size() > 2) return -1;
  const auto& name = id.parts.back().value;
  const std::string* table = id.parts.size() == 2 ? &id.parts.front().value : nullptr;
  int found = -1;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i].name != name || (table && s[i].table != *table)) continue;
    if (found >= 0) return -1;
    found = static_cast<int>(i);
  }
  return found;
}

}  // namespace planning

namespace {

using planning::column_expr;
using planning::file_option_error;
using planning::indent;
using planning::join_names;

constexpr int max_depth = 64;  // views and subqueries nested deeper are refused

std::string item_name(const sql::select_item& item, std::size_t index) {
  if (item.alias) return item.alias->value;
  if (const auto* id = item.value->as<sql::identifier>()) return id->parts.back().value;
  return "EXPR$" + std::to_string(index);
}

std::string schema_text(const sql::scope& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i)
    out += (i ? ", " : "") + s[i].name + ": " + s[i].type.to_string();
  return out + "]";
}

std::string schema_text(const rows::schema& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i)
    out += (i ? ", " : "") + s[i].name + ": " + s[i].type.to_string();
  return out + "]";
}

/// Whether Flink casts `from` to `to` implicitly when inserting (same family: numbers,
/// character strings, binary strings, or the same temporal type).
bool insert_castable(const rows::logical_type& from, const rows::logical_type& to) {
  if (from.id == rows::type_id::null_) return true;
  if (from.is_numeric() && to.is_numeric()) return true;
  if (from.is_character_string() && to.is_character_string()) return true;
  if (from.is_binary_string() && to.is_binary_string()) return true;
  if (from.is_timestamp() && to.is_timestamp()) return true;
  return from.id == to.id;
}

/// "Table 't' cannot be read: connector 'x' is not supported (supported: ...)", with the
/// registered connectors and a hint for the ones this build left out.
std::string unknown_connector(const table_def& t, const std::string& connector, const char* verb) {
  std::string list =
      std::string("filesystem, ") + (verb[0] == 'r' ? "datagen, nexmark" : "print, blackhole");
  for (const auto& n : table_connector_names()) list += ", " + n;
  std::string msg = "Table '" + t.name + "' cannot be " + verb + ": connector '" + connector +
                    "' is not supported (supported: " + list + ")";
  if (connector == "kafka" || connector == "mqtt" || connector == "jdbc" ||
      connector == "postgresql")
    msg += "; this program was built without it or did not register the connector tables";
  return msg;
}

}  // namespace

std::string planning::file_option_error(const table_def& t,
                                        const std::vector<std::string>& allowed) {
  for (const auto& [k, v] : t.options) {
    if (k.rfind("csv.", 0) == 0 || k.rfind("json.", 0) == 0) continue;
    bool ok = false;
    for (const auto& a : allowed) ok = ok || a == k;
    if (!ok) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "'" : ", '") + a + "'";
      return "Unsupported option '" + k + "' for table '" + t.name + "' (connector '" +
             t.option("connector") + "' takes " + list + ")";
    }
  }
  return {};
}

sql::data_type to_data_type(const rows::logical_type& t) {
  sql::data_type d;
  d.name = std::string(rows::type_name(t.id));
  d.not_null = !t.nullable;
  switch (t.id) {
    case rows::type_id::decimal:
      d.params = {t.precision, t.scale};
      break;
    case rows::type_id::char_:
    case rows::type_id::varchar:
    case rows::type_id::binary:
    case rows::type_id::varbinary:
    case rows::type_id::time:
    case rows::type_id::timestamp:
    case rows::type_id::timestamp_ltz:
      d.params = {t.precision};
      break;
    default:
      break;
  }
  return d;
}

sql::result<relation> planner::plan_query(const sql::query& q) {
  used_names_ = used_names(q);
  reused_.clear();
  return query(q, 0);
}

sql::result<relation> planner::query(const sql::query& q, int depth) {
  if (depth > max_depth)
    return error_at(
        q.loc, "Views and subqueries are nested more than " + std::to_string(max_depth) + " deep");
  const auto ctes_before = ctes_.size();
  for (const auto& c : q.with) {
    if (!c.columns.empty()) {
      ctes_.resize(ctes_before);
      return error_at(c.name.loc, "Column lists in WITH are not supported yet");
    }
    ctes_.push_back(cte{c.name.value, &*c.body});
  }
  auto out = body(q.body, q.loc, depth);
  if (out && (q.limit || q.offset || !q.order_by.empty())) out = sort_limit(std::move(*out), q);
  ctes_.resize(ctes_before);
  return out;
}

sql::result<relation> planner::body(const sql::set_expr& e, sql::location loc, int depth) {
  if (depth > max_depth)
    return error_at(loc, "Queries are nested more than " + std::to_string(max_depth) + " deep");
  if (const auto* core = std::get_if<sql::select_core>(&e.node)) return select(*core, loc, depth);
  if (const auto* inner = std::get_if<sql::box<sql::query>>(&e.node))
    return query(**inner, depth + 1);
  if (const auto* op = std::get_if<sql::set_operation>(&e.node)) {
    if (op->op != sql::set_operator::union_ || !op->all)
      return error_at(loc, "UNION (without ALL), INTERSECT and EXCEPT are not supported yet");
    auto left = body(*op->left, loc, depth + 1);
    if (!left) return left;
    auto right = body(*op->right, loc, depth + 1);
    if (!right) return right;
    return union_all(std::move(*left), std::move(*right), loc);
  }
  return values(std::get<sql::values>(e.node), loc);
}

sql::result<relation> planner::union_all(relation left, relation right, sql::location loc) {
  if (left.columns.size() != right.columns.size())
    return error_at(loc, "UNION ALL of " + std::to_string(left.columns.size()) + " and " +
                             std::to_string(right.columns.size()) + " columns");
  // Columns of different types: both sides cast to their common type (Flink's implicit casts:
  // INT and BIGINT are BIGINT, CHAR(3) and VARCHAR(5) VARCHAR(5), ...).
  std::vector<std::optional<rows::logical_type>> target(left.columns.size());
  bool cast = false;
  for (std::size_t i = 0; i < left.columns.size(); ++i) {
    const auto& a = left.columns[i].type;
    const auto& b = right.columns[i].type;
    if (a.with_nullable(true) == b.with_nullable(true)) continue;
    const auto t = sql::common_value_type(a, b);
    if (t.id == rows::type_id::null_)
      return error_at(loc, "UNION ALL of column " + std::to_string(i + 1) + " ('" +
                               left.columns[i].name + "') with types " + a.to_string() + " and " +
                               b.to_string() + ", which have no common type: CAST one side");
    target[i] = t;
    cast = true;
  }
  if (cast) {
    for (auto* side : {&left, &right}) {
      std::vector<sql::select_item> items;
      for (std::size_t i = 0; i < side->columns.size(); ++i) {
        const auto name = side->columns[i].name;
        side->columns[i].name = "$u" + std::to_string(i);  // positional: names may repeat
        side->columns[i].table.clear();
        sql::expr e = planning::column_expr(side->columns[i].name);
        if (target[i])
          e = planning::cast_to(std::move(e),
                                target[i]->with_nullable(side->columns[i].type.nullable));
        items.push_back(planning::aliased(std::move(e), name));
      }
      auto c = calc(std::move(*side), nullptr, items, loc);
      if (!c) return c.error();
      *side = std::move(*c);
    }
  }
  relation out;
  for (std::size_t i = 0; i < left.columns.size(); ++i) {
    const auto& a = left.columns[i].type;
    const auto& b = right.columns[i].type;
    auto c = left.columns[i];
    c.type = a.with_nullable(a.nullable || b.nullable);
    c.table.clear();
    out.columns.push_back(std::move(c));
  }
  // A column that is the same kind of time attribute on both sides stays one (as in Flink);
  // the union's watermark is the smaller of its inputs'.
  const auto both = [&](int c, auto is) { return c >= 0 && is(left, c) && is(right, c); };
  const auto rowtime = [](const relation& r, int c) { return r.is_rowtime(c); };
  const auto proctime = [](const relation& r, int c) { return r.proctime == c; };
  for (int c = 0; c < static_cast<int>(out.columns.size()); ++c) {
    if (!both(c, rowtime)) continue;
    if (out.rowtime < 0)
      out.rowtime = c;
    else
      out.rowtime_copies.push_back(c);
  }
  if (both(left.proctime, proctime)) out.proctime = left.proctime;
  out.stream = left.stream->union_with(*right.stream);
  out.updating = left.updating || right.updating;
  out.explain.push_back("Union(all=[true], union=[" + join_names(out.columns) + "])");
  indent(left.explain);
  indent(right.explain);
  out.explain.insert(out.explain.end(), left.explain.begin(), left.explain.end());
  out.explain.insert(out.explain.end(), right.explain.begin(), right.explain.end());
  return out;
}

sql::result<relation> planner::select(const sql::select_core& s, sql::location where, int depth) {
  if (s.from.empty()) {  // one row of constants (Flink's Values with one tuple)
    if (!s.group_by.empty() || s.having || planning::has_aggregate_call(s.items) || s.distinct)
      return error_at(where,
                      "SELECT without FROM with GROUP BY, aggregates or DISTINCT is not "
                      "supported yet");
    return calc(constant_rows(1), s.where ? &*s.where : nullptr, s.items, where);
  }
  auto ranked = top_n(s, depth);
  if (!ranked) return ranked.error();
  auto in = *ranked ? sql::result<relation>(std::move(**ranked))
                    : from_clause(s.from, s.where ? &*s.where : nullptr, where, depth);
  if (!in) return in.error();
  const bool grouped = !s.group_by.empty() || s.having || planning::has_aggregate_call(s.items);
  const bool over = planning::has_over_aggregate(s.items);
  if (grouped && over)
    return error_at(where, "OVER aggregates together with GROUP BY are not supported yet");
  if (grouped) {
    auto aggregated = aggregate(std::move(*in), s, where);
    if (!aggregated || !s.distinct) return aggregated;
    return distinct(std::move(*aggregated), where);  // the aggregate's rows, each once
  }
  std::vector<sql::select_item> items = s.items;
  const sql::expr* filter = s.where ? &*s.where : nullptr;
  if (over) {  // the OVER aggregates' values appended to the rows (WHERE applied before)
    in = over_aggregate(std::move(*in), s, items, where);
    if (!in) return in.error();
    filter = nullptr;
  }
  auto projected = calc(std::move(*in), filter, items, where);
  if (!projected || !s.distinct) return projected;
  return distinct(std::move(*projected), where);
}

sql::result<relation> planner::distinct(relation projected, sql::location where) {
  // SELECT DISTINCT: a group aggregate over every selected column, without aggregate calls (it
  // emits a row the first time it is seen, nothing later: insert-only, as in Flink; over an
  // updating input it counts each row's copies and deletes it when none is left).
  sql::select_core d;
  for (std::size_t i = 0; i < projected.columns.size(); ++i) {
    auto& c = projected.columns[i];
    const std::string name = c.name;
    c.name = "$d" + std::to_string(i);
    c.table.clear();
    d.group_by.push_back(column_expr(c.name));
    sql::select_item item;
    item.what = sql::select_item::kind::value;
    item.value = column_expr(c.name);
    sql::ident alias;
    alias.value = name;
    item.alias = alias;
    d.items.push_back(std::move(item));
  }
  return aggregate(std::move(projected), d, where);
}

sql::result<relation> planner::factor(const sql::table_factor& f, int depth) {
  // Sub-plan reuse (Flink's table.optimizer.reuse-source-enabled and reuse-sub-plan-enabled,
  // on by default): a table, view, WITH table, subquery or window TVF read twice in a statement
  // is planned once and its stream feeds both readers.
  const std::string key = reuse_key(f);
  if (!key.empty()) {
    if (const auto it = reused_.find(key); it != reused_.end()) {
      relation r = it->second;
      // EXPLAIN shows the shared input once, as Flink marks a reused node.
      if (!r.explain.empty()) r.explain = {"Reused(" + r.explain.front() + ")"};
      return qualify(std::move(r), f);
    }
  }
  auto r = factor_planned(f, depth);
  if (!r) return r;
  if (!key.empty()) reused_.emplace(key, *r);
  return qualify(std::move(*r), f);
}

std::string planner::reuse_key(const sql::table_factor& f) const {
  std::string scope;  // the WITH tables a name or a subquery may refer to
  for (const auto& c : ctes_) scope += c.name + "=" + sql::to_sql(*c.body) + ";";
  if (const auto* named = std::get_if<sql::named_table>(&f.node)) {
    if (named->system_time) return {};
    std::string name;
    for (const auto& part : named->name) name += part.value + ".";
    return "named:" + name + "|" + scope;
  }
  if (const auto* d = std::get_if<sql::derived_table>(&f.node))
    return d->lateral ? std::string() : "query:" + sql::to_sql(*d->subquery) + "|" + scope;
  if (const auto* tf = std::get_if<sql::table_function>(&f.node))
    return tf->lateral ? std::string() : "function:" + sql::to_sql(tf->call) + "|" + scope;
  return {};
}

sql::result<relation> planner::factor_planned(const sql::table_factor& f, int depth) {
  sql::result<relation> r = error_at(f.loc, "");
  if (const auto* named = std::get_if<sql::named_table>(&f.node)) {
    if (named->system_time)
      return error_at(f.loc,
                      "FOR SYSTEM_TIME AS OF is supported on the right side of a JOIN ... ON "
                      "(a lookup join) only");
    auto name = simple_name(named->name, f.loc);
    if (!name) return name.error();
    const cte* with = nullptr;
    for (auto it = ctes_.rbegin(); it != ctes_.rend() && !with; ++it)
      if (it->name == *name) with = &*it;
    if (with) {
      // A WITH table sees the WITH tables declared before it only.
      const sql::query* body = with->body;  // `with` is erased below
      const auto saved = ctes_;
      ctes_.erase(ctes_.begin() + (with - ctes_.data()), ctes_.end());
      r = query(*body, depth + 1);
      ctes_ = saved;
    } else if (const auto* v = catalog_.find_view(*name)) {
      const auto saved = ctes_;
      ctes_.clear();  // a view sees the catalog, not the query's WITH tables
      r = query(v->body, depth + 1);
      ctes_ = saved;
      if (r && !v->column_names.empty()) {
        if (v->column_names.size() != r->columns.size())
          return error_at(f.loc,
                          "View '" + *name + "' names " + std::to_string(v->column_names.size()) +
                              " columns but its query has " + std::to_string(r->columns.size()));
        for (std::size_t i = 0; i < r->columns.size(); ++i) r->columns[i].name = v->column_names[i];
      }
    } else if (const auto* t = catalog_.find_table(*name)) {
      r = scan(*t, f.loc);
    } else {
      std::string msg = "Object '" + *name + "' not found";
      if (const auto near = catalog_.nearest_name(*name); !near.empty())
        msg += ". Did you mean '" + near + "'?";
      return error_at(named->name.front().loc, msg);
    }
  } else if (const auto* d = std::get_if<sql::derived_table>(&f.node)) {
    if (d->lateral) return error_at(f.loc, "LATERAL is not supported yet");
    r = query(*d->subquery, depth + 1);
  } else if (const auto* tf = std::get_if<sql::table_function>(&f.node)) {
    const auto* call = tf->call.as<sql::function_call>();
    if (tf->lateral || !call) return error_at(f.loc, "LATERAL TABLE(...) is not supported yet");
    r = window_tvf(*call, f.loc, depth + 1);
  } else if (const auto* m = std::get_if<sql::match_recognize>(&f.node)) {
    r = match_recognize(*m, f.loc, depth + 1);
  } else {
    return error_at(f.loc, "UNNEST and nested joins in FROM are not supported yet");
  }
  return r;
}

sql::result<relation> planner::qualify(relation r, const sql::table_factor& f) {
  std::string qualifier;
  if (const auto* named = std::get_if<sql::named_table>(&f.node); named && !named->name.empty())
    qualifier = named->name.back().value;
  if (f.alias) {
    qualifier = f.alias->name.value;
    if (!f.alias->columns.empty()) {
      if (f.alias->columns.size() != r.columns.size())
        return error_at(f.alias->name.loc,
                        "The alias names " + std::to_string(f.alias->columns.size()) +
                            " columns but the relation has " + std::to_string(r.columns.size()));
      for (std::size_t i = 0; i < r.columns.size(); ++i)
        r.columns[i].name = f.alias->columns[i].value;
    }
  }
  for (auto& c : r.columns) c.table = qualifier;
  return r;
}

sql::result<relation> planner::scan(const table_def& t, sql::location where) {
  const auto connector = t.option("connector");
  const bool datagen = connector == "datagen";  // datagen_source.hpp makes the rows
  const bool nexmark = connector == "nexmark";  // nexmark_table.hpp makes the rows
  const table_connector* registered = nullptr;  // kafka, mqtt, jdbc: table_connector.hpp
  datagen_config gen;
  nexmark_table_config nexmark_gen;
  if (datagen) {
    if (auto e = parse_datagen_options(t.name, t.columns, t.options, gen); !e.empty())
      return error_at(t.where, e);
  } else if (nexmark) {
    if (auto e = parse_nexmark_table(t.name, t.columns, t.options, nexmark_gen); !e.empty())
      return error_at(t.where, e);
    // The generator makes only the columns the statement uses (it maps them by name).
    if (t.computed.empty()) prune_nexmark_columns(nexmark_gen, t.rowtime.value_or(""));
  } else if (connector != "filesystem") {
    if (!t.partition_keys.empty())
      return error_at(where, "Table '" + t.name +
                                 "': PARTITIONED BY is supported for "
                                 "'filesystem' tables only, not '" +
                                 connector + "'");
    registered = find_table_connector(connector);
    if (!registered) return error_at(where, unknown_connector(t, connector, "read"));
  }
  const auto path = planning::file_path(t);
  row_format format;
  bool dir = false;
  const bool partitioned = !t.partition_keys.empty();
  if (!datagen && !nexmark && !registered) {
    auto keys = planning::file_sink_keys(partitioned);
    keys.push_back("lookup.join.cache.ttl");
    if (auto e = file_option_error(t, keys); !e.empty()) return error_at(t.where, e);
    if (auto e = parse_row_format(t.option("format"), t.options, format); !e.empty())
      return error_at(t.where, "Table '" + t.name + "': " + e);
    if (path.empty()) return error_at(t.where, "Table '" + t.name + "' has no 'path' option");
    std::error_code ec;
    dir = std::filesystem::is_directory(path, ec);
    if (!dir && !std::filesystem::exists(path, ec))
      return error_at(where, "Table '" + t.name + "': the path '" + path + "' does not exist");
  }

  relation r;
  const rows::schema& physical_columns = nexmark ? nexmark_gen.physical : t.columns;
  for (const auto& f : physical_columns)
    r.columns.push_back(sql::scope_column{t.name, f.name, f.type});
  expr_list computed;
  for (const auto& c : t.computed) {
    sql::scope physical(r.columns.begin(), r.columns.begin() + physical_columns.size());
    auto e = sql::compile_expression(c.expression, physical, o_.functions);
    if (!e) return e.error();
    if (planning::is_proctime_call(c.expression) && r.proctime < 0)
      r.proctime = static_cast<int>(r.columns.size());
    r.columns.push_back(sql::scope_column{t.name, c.name, (*e)->type()});
    computed.push_back(std::shared_ptr<const sql::vector_expr>(std::move(*e)));
  }
  if (registered) {
    auto s = connector_scan(t, *registered, computed, where, r.explain);
    if (!s) return s.error();
    r.stream = std::move(*s);
  } else if (datagen) {
    r.stream = env_.from_source(datagen_rows_source(gen, computed), "scan " + t.name);
    r.explain.push_back("TableSourceScan(table=[" + t.name + "], fields=[" + join_names(r.columns) +
                        "], connector=[datagen])");
  } else if (nexmark) {
    r.stream = env_.from_source(nexmark_rows_source(nexmark_gen, computed), "scan " + t.name);
    r.explain.push_back("TableSourceScan(table=[" + t.name + "], fields=[" + join_names(r.columns) +
                        "], connector=[nexmark])");
  } else if (partitioned) {  // planner_partitioned_scan.cpp
    auto p = partitioned_scan(t, format, where);
    if (!p) return p.error();
    r = std::move(*p);
  } else {
    const int id = next_id_++;
    DataStream<std::string> lines = [&] {
      if (dir) {
        files::directory_options o;
        o.path = path;
        return env_.from_source(files::directory_lines_source(o), "scan " + t.name);
      }
      return env_.from_source(files::text_file_lines_source(path), "scan " + t.name);
    }();
    const auto schema = t.columns;
    const auto name = t.name;
    const auto projection = scan_projection(t);
    if (!projection.empty()) {  // the columns the statement does not name are not decoded
      sql::scope kept(r.columns.size());
      std::size_t n = 0;
      for (std::size_t i = 0; i < projection.size(); ++i)
        if (projection[i] >= 0) {
          kept[static_cast<std::size_t>(projection[i])] = r.columns[i];
          ++n;
        }
      kept.resize(n);
      r.columns = std::move(kept);
    }
    auto decoded = lines.add_op<rows::row_batch>(
        "decode " + t.name + " #" + std::to_string(id),
        [name, schema, format, computed, projection](operator_base* next) {
          return std::make_unique<decode_op>(name, schema, format, computed,
                                             detail::as_input<rows::row_batch>(next), projection);
        });
    r.stream = decoded;
    r.explain.push_back("TableSourceScan(table=[" + t.name + "], fields=[" + join_names(r.columns) +
                        "], path=[" + path + "], format=[" + format.name() + "])");
  }
  if (t.rowtime && t.watermark) {
    for (std::size_t i = 0; i < r.columns.size(); ++i)
      if (r.columns[i].name == *t.rowtime) r.rowtime = static_cast<int>(i);
    if (r.rowtime < 0)
      return error_at(t.where, "Table '" + t.name + "': the WATERMARK column '" + *t.rowtime +
                                   "' is not a column of the table");
    auto wm = sql::compile_expression(*t.watermark, r.columns, o_.functions);
    if (!wm) return wm.error();
    if (!(*wm)->type().is_timestamp())
      return error_at(t.watermark->loc, "Table '" + t.name +
                                            "': the WATERMARK expression must be a TIMESTAMP(3) "
                                            "or TIMESTAMP_LTZ(3), not " +
                                            (*wm)->type().to_string());
    std::shared_ptr<const sql::vector_expr> wexpr(std::move(*wm));
    r.stream = r.stream->add_op<rows::row_batch>(
        "watermark " + t.name + " #" + std::to_string(next_id_++), [wexpr](operator_base* next) {
          return std::make_unique<row_watermark_op>(wexpr, detail::as_input<rows::row_batch>(next));
        });
    std::vector<std::string> below = std::move(r.explain);
    indent(below);
    r.explain = {"WatermarkAssigner(rowtime=[" + *t.rowtime + "], watermark=[" +
                 wexpr->to_string() + "])"};
    r.explain.insert(r.explain.end(), below.begin(), below.end());
  }
  prune_scan(r, t.name);
  return r;
}

sql::result<relation> planner::calc(relation in, const sql::expr* where,
                                    const std::vector<sql::select_item>& items, sql::location at) {
  std::shared_ptr<const sql::vector_expr> predicate;
  std::string where_text;
  if (where) {
    auto p = sql::compile_expression(*where, in.columns, o_.functions);
    if (!p) return p.error();
    if ((*p)->type().id != rows::type_id::boolean)
      return error_at(where->loc,
                      "WHERE needs a BOOLEAN condition, not " + (*p)->type().to_string());
    where_text = (*p)->to_string();
    predicate = std::move(*p);
  }
  if (in.session)
    return error_at(at,
                    "A SESSION window TVF needs its window aggregation (GROUP BY window_start, "
                    "window_end and its PARTITION BY columns) right over it, as in Flink");
  relation out;
  out.updating = in.updating;
  expr_list projections;
  std::string select_text;
  // Time attributes and window columns survive plain references (`ts`, `t.ts`, `*`).
  auto keep_roles = [&](int from) {
    const int to = static_cast<int>(out.columns.size()) - 1;
    if (from < 0) return;
    if (in.is_rowtime(from)) {
      if (out.rowtime < 0)
        out.rowtime = to;
      else
        out.rowtime_copies.push_back(to);
    }
    if (from == in.proctime && out.proctime < 0) out.proctime = to;
    if (from == in.window_start && out.window_start < 0) out.window_start = to;
    if (from == in.window_end && out.window_end < 0) out.window_end = to;
    if (from == in.window_start || from == in.window_end)
      out.processing_time_windows = in.processing_time_windows;
  };
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    if (item.what != sql::select_item::kind::value) {
      std::string qualifier;
      if (item.what == sql::select_item::kind::qualified_wildcard) {
        auto q = simple_name(item.qualifier, at);
        if (!q) return q.error();
        qualifier = *q;
      }
      bool any = false;
      for (const auto& c : in.columns) {
        if (!qualifier.empty() && c.table != qualifier) continue;
        if (!c.name.empty() && c.name[0] == '$') continue;  // the planner's own columns
        any = true;
        auto full = sql::compile_expression(planning::reference(c), in.columns, o_.functions);
        if (!full) return full.error();
        out.columns.push_back(sql::scope_column{"", c.name, (*full)->type()});
        keep_roles(static_cast<int>(&c - in.columns.data()));
        select_text += (select_text.empty() ? "" : ", ") + c.name;
        projections.push_back(std::shared_ptr<const sql::vector_expr>(std::move(*full)));
      }
      if (!any) return error_at(at, "'" + qualifier + ".*' matches no table in FROM");
      continue;
    }
    auto e = sql::compile_expression(*item.value, in.columns, o_.functions);
    if (!e) return e.error();
    const auto name = item_name(item, i);
    select_text += (select_text.empty() ? "" : ", ") + (*e)->to_string() +
                   ((*e)->to_string() == name ? "" : " AS " + name);
    out.columns.push_back(sql::scope_column{"", name, (*e)->type()});
    if (const auto* id = item.value->as<sql::identifier>())
      keep_roles(planning::column_index(in.columns, *id));
    else if (planning::is_proctime_call(*item.value) && out.proctime < 0)
      out.proctime = static_cast<int>(out.columns.size()) - 1;
    projections.push_back(std::shared_ptr<const sql::vector_expr>(std::move(*e)));
  }
  const int id = next_id_++;
  out.stream = in.stream->add_op<rows::row_batch>(
      "calc #" + std::to_string(id), [predicate, projections](operator_base* next) {
        return std::make_unique<calc_op>(predicate, projections,
                                         detail::as_input<rows::row_batch>(next));
      });
  out.explain.push_back("Calc(select=[" + select_text + "]" +
                        (predicate ? ", where=[" + where_text + "]" : std::string()) + ")");
  indent(in.explain);
  out.explain.insert(out.explain.end(), in.explain.begin(), in.explain.end());
  return out;
}

sql::result<relation> planner::target_columns(const table_def& sink, const sql::insert& ins,
                                              relation q) {
  const auto& target = sink.columns;
  std::vector<int> from(target.size(), -1);  // per sink column: its position in the list
  for (std::size_t p = 0; p < ins.columns.size(); ++p) {
    const auto& c = ins.columns[p];
    int t = -1;
    for (std::size_t i = 0; i < target.size(); ++i)
      if (target[i].name == c.value) t = static_cast<int>(i);
    if (t < 0) return error_at(c.loc, "Unknown target column '" + c.value + "'");
    if (from[t] >= 0)
      return error_at(c.loc, "Target column '" + c.value + "' is assigned more than once");
    from[t] = static_cast<int>(p);
  }
  if (q.columns.size() != ins.columns.size())
    return error_at(ins.source.loc, "Number of INSERT target columns (" +
                                        std::to_string(ins.columns.size()) +
                                        ") does not equal number of source items (" +
                                        std::to_string(q.columns.size()) + ")");
  std::vector<sql::select_item> items;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (from[i] >= 0) {
      items.push_back(
          planning::aliased(column_expr("$" + std::to_string(from[i])), target[i].name));
      continue;
    }
    if (!target[i].type.nullable)
      return error_at(ins.table.front().loc, "Column '" + target[i].name +
                                                 "' has no default value and does not allow "
                                                 "NULLs");
    sql::literal null;
    sql::expr null_expr;
    null_expr.node = null;
    sql::cast c;
    c.operand = sql::box<sql::expr>(std::move(null_expr));
    c.type = sql::box<sql::data_type>(to_data_type(target[i].type));
    sql::expr e;
    e.node = std::move(c);
    items.push_back(planning::aliased(std::move(e), target[i].name));
  }
  for (std::size_t p = 0; p < q.columns.size(); ++p) {
    q.columns[p].name = "$" + std::to_string(p);
    q.columns[p].table.clear();
  }
  return calc(std::move(q), nullptr, items, ins.source.loc);
}

sql::result<std::vector<std::string>> planner::plan_insert(const sql::insert& ins,
                                                           sql::location where) {
  if (ins.overwrite) return error_at(where, "INSERT OVERWRITE is not supported yet");
  auto name = simple_name(ins.table, where);
  if (!name) return name.error();
  const auto* sink = catalog_.find_table(*name);
  if (!sink) {
    std::string msg = "Table '" + *name + "' not found";
    if (const auto near = catalog_.nearest_name(*name); !near.empty())
      msg += ". Did you mean '" + near + "'?";
    return error_at(ins.table.front().loc, msg);
  }
  if (!sink->computed.empty())
    return error_at(where, "INSERT into a table with computed columns is not supported yet");
  auto q = plan_query(ins.source);
  if (!q) return q.error();
  if (!ins.columns.empty()) {
    auto listed = target_columns(*sink, ins, std::move(*q));
    if (!listed) return listed.error();
    q = std::move(listed);
  }
  const sql::scope cols = q->columns;  // a copy: the relation is moved below
  const auto& target = sink->columns;
  const std::string mismatch =
      "Column types of query result and sink for '" + *name + "' do not match.\nCause: ";
  if (cols.size() != target.size())
    return error_at(ins.source.loc, mismatch + "Different number of columns.\n\nQuery schema: " +
                                        schema_text(cols) +
                                        "\nSink schema:  " + schema_text(target));
  // Casts where the types differ (Flink's implicit casts on insert).
  bool needs_cast = false;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const auto& from = cols[i].type;
    const auto& to = target[i].type;
    if (!insert_castable(from, to))
      return error_at(ins.source.loc, mismatch + "Incompatible types for sink column '" +
                                          target[i].name + "' at position " + std::to_string(i) +
                                          ".\n\nQuery schema: " + schema_text(cols) +
                                          "\nSink schema:  " + schema_text(target));
    if (!(from.with_nullable(true) == to.with_nullable(true))) needs_cast = true;
  }
  relation in = std::move(*q);
  if (needs_cast) {
    sql::scope positional;
    std::vector<sql::select_item> items;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      positional.push_back(sql::scope_column{"", "$" + std::to_string(i), cols[i].type});
      sql::select_item item;
      item.what = sql::select_item::kind::value;
      sql::ident alias;
      alias.value = target[i].name;
      item.alias = alias;
      if (cols[i].type.with_nullable(true) == target[i].type.with_nullable(true)) {
        item.value = column_expr("$" + std::to_string(i));
      } else {
        sql::cast c;
        c.operand = sql::box<sql::expr>(column_expr("$" + std::to_string(i)));
        c.type = sql::box<sql::data_type>(to_data_type(target[i].type.with_nullable(true)));
        sql::expr e;
        e.node = std::move(c);
        item.value = std::move(e);
      }
      items.push_back(std::move(item));
    }
    in.columns = positional;
    auto cast = calc(std::move(in), nullptr, items, where);
    if (!cast) return cast.error();
    in = std::move(*cast);
  }

  const auto connector = sink->option("connector");
  const auto types = target.types();
  if (in.updating && connector == "filesystem")
    return error_at(where, "Table sink '" + *name +
                               "' doesn't support consuming update changes which is produced by "
                               "node " +
                               in.explain.front());
  if (!sink->partition_keys.empty() && connector != "filesystem")
    return error_at(where, "Table '" + *name +
                               "': PARTITIONED BY is supported for 'filesystem' "
                               "tables only, not '" +
                               connector + "'");
  const int id = next_id_++;
  std::vector<std::string> plan;
  if (connector == "filesystem" && !sink->partition_keys.empty()) {
    auto lines = partitioned_sink(in, *sink, id);
    if (!lines) return lines.error();
    plan = std::move(*lines);
  } else if (connector == "filesystem") {
    if (auto e = file_option_error(*sink, planning::file_sink_keys(false)); !e.empty())
      return error_at(sink->where, e);
    row_format format;
    if (auto e = parse_row_format(sink->option("format"), sink->options, format); !e.empty())
      return error_at(sink->where, "Table '" + *name + "': " + e);
    if (planning::file_path(*sink).empty())
      return error_at(sink->where, "Table '" + *name + "' has no 'path' option");
    std::vector<std::string> names;
    for (const auto& f : target) names.push_back(f.name);
    auto encoder = std::make_shared<const line_row_encoder>(names, types, format);
    files::file_sink_options o;
    o.path = planning::file_path(*sink);
    if (auto e = planning::rolling_options(*sink, o.rolling); !e.empty())
      return error_at(sink->where, e);
    if (!o_.job_tag.empty()) o.part_prefix = o_.job_tag + "-";
    in.stream
        ->flat_map<std::string>([encoder](rows::row_batch&& b, collector<std::string>& out) {
          for (std::size_t i = 0; i < b.size(); ++i) out.collect(encoder->encode(b, i));
        })
        .sink_to(files::file_sink<std::string>(o), "sink " + *name + " #" + std::to_string(id));
    plan.push_back("Sink(table=[" + *name + "], fields=[" + join_names(in.columns) + "], path=[" +
                   o.path + "], format=[" + format.name() + "])");
  } else if (connector == "print") {
    if (auto e = file_option_error(*sink, {"connector"}); !e.empty())
      return error_at(sink->where, e);
    in.stream
        ->flat_map<std::string>([types](rows::row_batch&& b, collector<std::string>& out) {
          for (std::size_t i = 0; i < b.size(); ++i) out.collect(print_row(b, i, types));
        })
        .print();
    plan.push_back("Sink(table=[" + *name + "], fields=[" + join_names(in.columns) +
                   "], connector=[print])");
  } else if (connector == "blackhole") {
    if (auto e = file_option_error(*sink, {"connector"}); !e.empty())
      return error_at(sink->where, e);
    in.stream->add_sink([](const rows::row_batch&) {}, "sink " + *name + " #" + std::to_string(id));
    plan.push_back("Sink(table=[" + *name + "], fields=[" + join_names(in.columns) +
                   "], connector=[blackhole])");
  } else if (const auto* c = find_table_connector(connector)) {
    auto lines = connector_sink(in, *sink, *c, where, id);
    if (!lines) return lines.error();
    plan = std::move(*lines);
  } else {
    return error_at(where, unknown_connector(*sink, connector, "written"));
  }
  indent(in.explain);
  plan.insert(plan.end(), in.explain.begin(), in.explain.end());
  return plan;
}

}  // namespace eddy::table
