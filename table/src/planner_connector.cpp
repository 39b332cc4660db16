// Tables of the registered connectors (table_connector.hpp: kafka, mqtt, jdbc / postgresql):
// their sources decoded into rows and their sinks fed from rows.
#include <stdexcept>
#include <utility>

#include "eddy/rows/value_text.hpp"
#include "eddy/table/planner.hpp"
#include "eddy/table/row_operators.hpp"
#include "eddy/table/table_connector.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

using namespace planning;

bool planning::is_lookup_cache_key(const std::string& k) {
  return k.rfind("lookup.cache", 0) == 0 || k.rfind("lookup.partial-cache.", 0) == 0;
}

table_options planning::connector_options(const table_def& t, const table_connector& c) {
  table_options out;
  for (const auto& [k, v] : t.options)
    if (k != "connector" && k != "format" && k.rfind("csv.", 0) != 0 && k.rfind("json.", 0) != 0 &&
        !(c.lookup && is_lookup_cache_key(k)))
      out.emplace_back(k, v);
  return out;
}

namespace {

/// The table's line format (an error message, or empty and `out` set).
std::string table_format(const table_def& t, const table_connector& c, row_format& out) {
  const auto connector = t.option("connector");
  if (c.text_rows || c.row_batches) {
    for (const auto& [k, v] : t.options)
      if (k == "format" || k.rfind("csv.", 0) == 0 || k.rfind("json.", 0) == 0)
        return "Table '" + t.name + "': connector '" + connector +
               (c.text_rows ? "' reads and writes database rows" : "' takes row batches") +
               " and takes no '" + k + "' option";
    return {};
  }
  const auto format = t.option("format", c.default_format);
  if (format.empty())
    return "Table '" + t.name + "': connector '" + connector +
           "' needs a 'format' option ('csv' or 'json')";
  if (auto e = parse_row_format(format, t.options, out); !e.empty())
    return "Table '" + t.name + "': " + e;
  return {};
}

std::string with_description(const std::string& d) {
  return d.empty() ? "" : ", " + d;
}

std::string column_names(const rows::schema& s) {
  std::string out;
  for (const auto& f : s) out += (out.empty() ? "" : ", ") + f.name;
  return out;
}

}  // namespace

sql::result<DataStream<rows::row_batch>> planner::connector_scan(
    const table_def& t, const table_connector& c,
    const std::vector<std::shared_ptr<const sql::vector_expr>>& computed, sql::location where,
    std::vector<std::string>& explain) {
  const auto connector = t.option("connector");
  if (!c.source)
    return error_at(where, "Table '" + t.name + "' cannot be read: connector '" + connector +
                               "' is a sink only");
  row_format format;
  if (auto e = table_format(t, c, format); !e.empty()) return error_at(t.where, e);
  auto s = c.source(t, connector_options(t, c));
  if (!s) return error_at(t.where, s.error().message);
  const auto name = t.name;
  const auto schema = t.columns;
  const std::string op = "decode " + t.name + " #" + std::to_string(next_id_++);
  std::optional<DataStream<rows::row_batch>> out;
  if (s->lines) {
    auto lines = env_.from_source(*s->lines, "scan " + t.name);
    out = lines.add_op<rows::row_batch>(op, [name, schema, format, computed](operator_base* next) {
      return std::make_unique<decode_op>(name, schema, format, computed,
                                         detail::as_input<rows::row_batch>(next));
    });
  } else if (s->rows) {
    auto rows_in = env_.from_source(*s->rows, "scan " + t.name);
    out = rows_in.add_op<rows::row_batch>(op, [name, schema, computed](operator_base* next) {
      return std::make_unique<text_row_decode_op>(name, schema, computed,
                                                  detail::as_input<rows::row_batch>(next));
    });
  } else {
    return error_at(t.where, "Table '" + t.name + "': connector '" + connector +
                                 "' gave no source (a bug in its binding)");
  }
  explain.push_back("TableSourceScan(table=[" + t.name + "], fields=[" + column_names(t.columns) +
                    "], connector=[" + connector + "]" + with_description(s->description) +
                    (c.text_rows ? "" : std::string(", format=[") + format.name() + "]") + ")");
  return *out;
}

sql::result<std::vector<std::string>> planner::connector_sink(relation& in, const table_def& sink,
                                                              const table_connector& c,
                                                              sql::location where, int id) {
  const auto connector = sink.option("connector");
  if (!c.sink)
    return error_at(where, "Table '" + sink.name + "' cannot be written: connector '" + connector +
                               "' is a source only");
  row_format format;
  if (auto e = table_format(sink, c, format); !e.empty()) return error_at(sink.where, e);
  if (in.updating && !c.text_rows && !c.row_batches)
    return error_at(where, "Table sink '" + sink.name +
                               "' doesn't support consuming update changes which is produced by "
                               "node " +
                               in.explain.front());
  if (in.updating && c.text_rows && sink.primary_key.empty())
    return error_at(where, "Table sink '" + sink.name +
                               "': please declare a primary key for the sink table when the "
                               "query contains update/delete records (the rows are upserted by "
                               "it)");
  auto s = c.sink(sink, connector_options(sink, c), in.updating);
  if (!s) return error_at(sink.where, s.error().message);
  const auto types = sink.columns.types();
  const std::string name = "sink " + sink.name + " #" + std::to_string(id);
  if (s->lines) {
    std::vector<std::string> names;
    for (const auto& f : sink.columns) names.push_back(f.name);
    auto encoder = std::make_shared<const line_row_encoder>(names, types, format);
    in.stream
        ->flat_map<std::string>([encoder](rows::row_batch&& b, collector<std::string>& out) {
          for (std::size_t i = 0; i < b.size(); ++i) out.collect(encoder->encode(b, i));
        })
        .sink_to(*s->lines, name);
  } else if (s->batches) {
    in.stream->sink_to(*s->batches, name);
  } else if (s->rows) {
    in.stream
        ->flat_map<text_change>([types](rows::row_batch&& b, collector<text_change>& out) {
          for (std::size_t i = 0; i < b.size(); ++i) {
            const auto kind = b.kind(i);
            if (kind == rows::row_kind::update_before) continue;  // the +U that follows upserts
            text_change c;
            c.remove = kind == rows::row_kind::delete_;
            c.row.resize(types.size());
            const auto row = b.row(i);
            for (std::size_t col = 0; col < types.size(); ++col) {
              const auto v = b.column(col).get(row);
              if (!v.is_null()) c.row[col] = rows::format_value(v, types[col]);
            }
            out.collect(std::move(c));
          }
        })
        .sink_to(*s->rows, name);
  } else {
    return error_at(sink.where, "Table '" + sink.name + "': connector '" + connector +
                                    "' gave no sink (a bug in its binding)");
  }
  return std::vector<std::string>{
      "Sink(table=[" + sink.name + "], fields=[" + join_names(in.columns) + "], connector=[" +
      connector + "]" + with_description(s->description) +
      (c.text_rows || c.row_batches ? "" : std::string(", format=[") + format.name() + "]") + ")"};
}

}  // namespace eddy::table
