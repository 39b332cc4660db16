// Reading a partitioned filesystem table (PARTITIONED BY): the partition columns come from the
// directory names, `'path'/k1=v1/k2=v2/`, as Flink's filesystem source reads what its sink
// (and Eddy's, partitioned_file_sink.hpp) writes.
//
// The partitions are listed when the statement is planned (a bounded read of what is there,
// as Flink's batch read; partitions added later are not seen). Each partition directory is one
// directory scan decoding the files' columns (the table's columns but the partition ones),
// then a Calc putting the partition values in as constants (cast from the directory name's
// text to the column's type: a value that does not convert is an error naming the directory;
// __DEFAULT_PARTITION__ is NULL) and the computed columns; the partitions' rows are a UNION ALL.
// Names starting with '.' or '_' are skipped (in-progress files, _SUCCESS), as directories that
// are not `key=value` of the expected key at their level are an error.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "eddy/connectors/files/directory_source.hpp"
#include "eddy/table/partitioned_file_sink.hpp"
#include "eddy/table/planner.hpp"
#include "eddy/table/row_operators.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_partitions = 1024;

struct partition_dir {
  fs::path path;
  std::vector<std::optional<std::string>> values;  ///< per partition key; nullopt: NULL
};

/// Lists the partition directories under `root` (depth = keys.size()), sorted by path; an
/// error message or "".
std::string list_partitions(const fs::path& root, const std::vector<std::string>& keys,
                            std::size_t level, partition_dir current,
                            std::vector<partition_dir>& out) {
  if (level == keys.size()) {
    out.push_back(std::move(current));
    return out.size() > max_partitions
               ? "more than " + std::to_string(max_partitions) + " partitions are not supported yet"
               : "";
  }
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (fs::directory_iterator it(current.path, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || name[0] == '_') continue;
    if (!it->is_directory(ec)) {
      return "'" + it->path().string() + "' is a file where the partition directories (" +
             keys[level] + "=...) are";
    }
    dirs.push_back(it->path());
  }
  if (ec) return "cannot list '" + current.path.string() + "': " + ec.message();
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    const auto name = d.filename().string();
    const auto eq = name.find('=');
    if (eq == std::string::npos || unescape_partition_value(name.substr(0, eq)) != keys[level])
      return "'" + d.string() + "' is not a partition directory '" + keys[level] + "=VALUE'";
    partition_dir next;
    next.path = d;
    next.values = current.values;
    const auto value = unescape_partition_value(name.substr(eq + 1));
    if (value == default_partition_name)
      next.values.emplace_back(std::nullopt);
    else
      next.values.emplace_back(value);
    if (auto e = list_partitions(root, keys, level + 1, std::move(next), out); !e.empty()) return e;
  }
  return "";
}

}  // namespace

sql::result<relation> planner::partitioned_scan(const table_def& t, const row_format& format,
                                                sql::location where) {
  const fs::path root = planning::file_path(t);
  // The columns the files hold: the table's, but the partition keys.
  rows::schema file_schema;
  std::vector<int> key_of(t.columns.size(), -1);  // per column: its partition key, or -1
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const auto& name = t.columns[i].name;
    const auto k = std::find(t.partition_keys.begin(), t.partition_keys.end(), name);
    if (k != t.partition_keys.end())
      key_of[i] = static_cast<int>(k - t.partition_keys.begin());
    else
      file_schema.add(name, t.columns[i].type);
  }
  std::vector<partition_dir> partitions;
  partition_dir top;
  top.path = root;
  if (auto e = list_partitions(root, t.partition_keys, 0, top, partitions); !e.empty())
    return error_at(where, "Table '" + t.name + "': " + e);

  // No partition yet: the root as one without files, its values NULL (no rows, same columns).
  const bool none = partitions.empty();
  if (none) {
    top.values.assign(t.partition_keys.size(), std::nullopt);
    partitions.push_back(top);
  }
  std::optional<relation> all;
  std::string listed;
  for (const auto& part : partitions) {
    // The files' rows.
    relation files;
    for (const auto& f : file_schema)
      files.columns.push_back(sql::scope_column{t.name, f.name, f.type});
    files::directory_options o;
    o.path = part.path.string();
    const int id = next_id_++;
    const auto name = t.name;
    files.stream = env_.from_source(files::directory_lines_source(o), "scan " + t.name)
                       .add_op<rows::row_batch>("decode " + t.name + " #" + std::to_string(id),
                                                [name, file_schema, format](operator_base* next) {
                                                  return std::make_unique<decode_op>(
                                                      name, file_schema, format, expr_list{},
                                                      detail::as_input<rows::row_batch>(next));
                                                });
    // The partition values as constants, in the table's column order.
    std::vector<sql::select_item> items;
    std::string part_text;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const auto& c = t.columns[i];
      if (key_of[i] < 0) {
        items.push_back(planning::aliased(planning::column_expr(c.name), c.name));
        continue;
      }
      const auto& v = part.values[static_cast<std::size_t>(key_of[i])];
      sql::expr value =
          v ? planning::cast_to(planning::literal_expr(sql::literal_kind::string, *v),
                                c.type.with_nullable(true))
            : planning::cast_to(sql::expr{sql::literal{}, {}}, c.type.with_nullable(true));
      if (v) {
        auto checked = planning::evaluate_constant(value, "the partition value");
        if (!checked)
          return error_at(where, "Table '" + t.name + "': the partition directory '" +
                                     part.path.string() + "' has a value of '" + c.name +
                                     "' that is not a " + c.type.to_string() + ": " +
                                     checked.error().message);
      }
      items.push_back(planning::aliased(std::move(value), c.name));
      part_text += (part_text.empty() ? "" : "/") + c.name + "=" + (v ? *v : "NULL");
    }
    if (!none) listed += (listed.empty() ? "" : ", ") + part_text;
    auto with_keys = calc(std::move(files), nullptr, items, where);
    if (!with_keys) return with_keys.error();
    if (!all) {
      all = std::move(*with_keys);
      continue;
    }
    auto u = union_all(std::move(*all), std::move(*with_keys), where);
    if (!u) return u.error();
    all = std::move(*u);
  }
  // The computed columns, over the table's columns.
  if (!t.computed.empty()) {
    std::vector<sql::select_item> items;
    for (const auto& c : t.columns)
      items.push_back(planning::aliased(planning::column_expr(c.name), c.name));
    for (const auto& c : t.computed) items.push_back(planning::aliased(c.expression, c.name));
    auto r = calc(std::move(*all), nullptr, items, where);
    if (!r) return r.error();
    all = std::move(*r);
  }
  for (auto& c : all->columns) c.table = t.name;
  all->explain = {"TableSourceScan(table=[" + t.name + "], fields=[" +
                  planning::join_names(all->columns) + "], path=[" + root.string() + "], format=[" +
                  format.name() + "], partitions=[" + listed + "])"};
  return std::move(*all);
}

}  // namespace eddy::table
