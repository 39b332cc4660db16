#include "eddy/table/catalog.hpp"

#include <algorithm>
#include <stdexcept>

#include "eddy/sql/keywords.hpp"

namespace eddy::table {

sql::parse_error error_at(sql::location where, std::string message) {
  sql::parse_error e;
  e.message = std::move(message);
  e.where = where;
  return e;
}

std::string table_def::option(const std::string& key, const std::string& fallback) const {
  const auto it = options.find(key);
  return it == options.end() ? fallback : it->second;
}

sql::result<std::string> simple_name(const sql::object_name& name, sql::location where) {
  if (name.size() != 1) {
    std::string full;
    for (const auto& p : name) full += (full.empty() ? "" : ".") + p.value;
    return error_at(
        name.empty() ? where : name.front().loc,
        "Catalogs and databases are not supported: use a one-part name instead of '" + full + "'");
  }
  return name.front().value;
}

sql::result<rows::logical_type> to_logical_type(const sql::data_type& t, sql::location where) {
  using namespace rows;
  const auto p = [&](std::size_t i, std::int64_t fallback) {
    return static_cast<std::int32_t>(i < t.params.size() ? t.params[i] : fallback);
  };
  logical_type out;
  try {
    const auto& n = t.name;
    if (n == "BOOLEAN")
      out = boolean_type();
    else if (n == "TINYINT")
      out = tinyint_type();
    else if (n == "SMALLINT")
      out = smallint_type();
    else if (n == "INT")
      out = int_type();
    else if (n == "BIGINT")
      out = bigint_type();
    else if (n == "FLOAT")
      out = float_type();
    else if (n == "DOUBLE")
      out = double_type();
    else if (n == "DECIMAL")
      out = decimal_type(p(0, 10), p(1, 0));
    else if (n == "CHAR")
      out = char_type(p(0, 1));
    else if (n == "VARCHAR")
      out = varchar_type(p(0, max_length));
    else if (n == "STRING")
      out = string_type();
    else if (n == "BINARY")
      out = binary_type(p(0, 1));
    else if (n == "VARBINARY")
      out = varbinary_type(p(0, max_length));
    else if (n == "BYTES")
      out = bytes_type();
    else if (n == "DATE")
      out = date_type();
    else if (n == "TIME")
      out = time_type(p(0, 0));
    else if (n == "TIMESTAMP")
      out = timestamp_type(p(0, 6));
    else if (n == "TIMESTAMP_LTZ")
      out = timestamp_ltz_type(p(0, 6));
    else
      return error_at(where, "Type " + n +
                                 " is not supported yet (supported: BOOLEAN, TINYINT, "
                                 "SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL(p <= 18, "
                                 "s), CHAR, VARCHAR, STRING, BINARY, VARBINARY, BYTES, "
                                 "DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ)");
  } catch (const std::invalid_argument& e) {
    return error_at(where, e.what());
  }
  return out.with_nullable(!t.not_null);
}

sql::result<bool> catalog::create_table(const sql::create_table& stmt, sql::location where) {
  auto name = simple_name(stmt.name, where);
  if (!name) return name.error();
  if (stmt.as_query) return error_at(where, "CREATE TABLE ... AS SELECT is not supported yet");
  if (tables_.count(*name) || views_.count(*name)) {
    if (stmt.if_not_exists) return false;
    return error_at(stmt.name.front().loc, "Table or view '" + *name + "' already exists");
  }
  table_def t;
  t.name = *name;
  t.where = where;
  for (const auto& c : stmt.columns) {
    if (c.what == sql::column_def::kind::metadata)
      return error_at(c.name.loc,
                      "Metadata columns are not supported yet ('" + c.name.value + "')");
    const bool taken = t.columns.index_of(c.name.value).has_value() ||
                       std::any_of(t.computed.begin(), t.computed.end(),
                                   [&](const auto& k) { return k.name == c.name.value; });
    if (taken) return error_at(c.name.loc, "Column '" + c.name.value + "' is defined twice");
    if (c.what == sql::column_def::kind::computed) {
      t.computed.push_back(computed_column{c.name.value, *c.computed});
      continue;
    }
    auto type = to_logical_type(c.type, c.name.loc);
    if (!type) return type.error();
    if (c.primary_key) t.primary_key.push_back(c.name.value);
    t.columns.add(c.name.value, *type);
  }
  if (stmt.primary_key) {
    if (!t.primary_key.empty())
      return error_at(where, "Table '" + *name + "' has two primary keys");
    if (!stmt.primary_key->not_enforced)
      return error_at(where,
                      "Flink does not enforce primary keys: write PRIMARY KEY (...) NOT ENFORCED");
    for (const auto& k : stmt.primary_key->columns) {
      if (!t.columns.index_of(k.value))
        return error_at(k.loc, "Primary key column '" + k.value + "' is not a physical column");
      t.primary_key.push_back(k.value);
    }
  }
  for (const auto& k : stmt.partitioned_by) {
    if (!t.columns.index_of(k.value))
      return error_at(k.loc, "Partition column '" + k.value + "' is not a physical column");
    if (std::find(t.partition_keys.begin(), t.partition_keys.end(), k.value) !=
        t.partition_keys.end())
      return error_at(k.loc, "Partition column '" + k.value + "' is named twice");
    t.partition_keys.push_back(k.value);
  }
  if (!t.partition_keys.empty() && t.partition_keys.size() == t.columns.size())
    return error_at(where, "Table '" + *name + "': every column is a partition column");
  if (stmt.watermark) {
    auto col = simple_name(stmt.watermark->column, where);
    if (!col) return col.error();
    const auto at = stmt.watermark->column.front().loc;
    const auto i = t.columns.index_of(*col);
    const bool computed = std::any_of(t.computed.begin(), t.computed.end(),
                                      [&](const auto& k) { return k.name == *col; });
    if (!i && !computed)
      return error_at(at, "The rowtime column '" + *col + "' of the watermark is not a column");
    if (i && !(t.columns[*i].type.is_timestamp() && t.columns[*i].type.precision <= 3))
      return error_at(at, "The rowtime column '" + *col + "' must be TIMESTAMP(3) or " +
                              "TIMESTAMP_LTZ(3), not " + t.columns[*i].type.to_string());
    t.rowtime = *col;
    t.watermark = stmt.watermark->strategy;
  }
  for (const auto& o : stmt.options) {
    if (t.options.count(o.key))
      return error_at(where, "Option '" + o.key + "' is given twice in WITH");
    t.options[o.key] = o.value;
  }
  tables_.emplace(*name, std::move(t));
  return true;
}

sql::result<bool> catalog::create_view(const sql::create_view& stmt, sql::location where) {
  auto name = simple_name(stmt.name, where);
  if (!name) return name.error();
  if (tables_.count(*name) || views_.count(*name)) {
    if (stmt.if_not_exists) return false;
    return error_at(stmt.name.front().loc, "Table or view '" + *name + "' already exists");
  }
  view_def v;
  v.name = *name;
  for (const auto& c : stmt.columns) v.column_names.push_back(c.value);
  v.body = stmt.body;
  views_.emplace(*name, std::move(v));
  return true;
}

sql::result<bool> catalog::drop(const sql::drop& stmt, sql::location where) {
  auto name = simple_name(stmt.name, where);
  if (!name) return name.error();
  const bool is_table = stmt.what == sql::object_kind::table;
  if (stmt.what == sql::object_kind::function)
    return error_at(where, "DROP FUNCTION is not supported yet");
  auto erased = is_table ? tables_.erase(*name) : views_.erase(*name);
  if (erased == 0 && !stmt.if_exists) {
    std::string msg = std::string(is_table ? "Table" : "View") + " '" + *name + "' does not exist";
    if (const auto near = nearest_name(*name); !near.empty())
      msg += ". Did you mean '" + near + "'?";
    return error_at(stmt.name.front().loc, msg);
  }
  return erased > 0;
}

const table_def* catalog::find_table(const std::string& name) const {
  const auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

const view_def* catalog::find_view(const std::string& name) const {
  const auto it = views_.find(name);
  return it == views_.end() ? nullptr : &it->second;
}

std::vector<std::string> catalog::table_names() const {
  std::vector<std::string> out;
  for (const auto& [n, t] : tables_) out.push_back(n);
  return out;
}

std::vector<std::string> catalog::view_names() const {
  std::vector<std::string> out;
  for (const auto& [n, v] : views_) out.push_back(n);
  return out;
}

std::string catalog::nearest_name(const std::string& name) const {
  std::string best;
  std::size_t best_d = name.size() / 2 + 1;  // farther than half the word: no suggestion
  auto consider = [&](const std::string& c) {
    const auto d = sql::edit_distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  };
  for (const auto& [n, t] : tables_) consider(n);
  for (const auto& [n, v] : views_) consider(n);
  return best;
}

}  // namespace eddy::table
