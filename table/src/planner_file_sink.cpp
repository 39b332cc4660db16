// Filesystem sinks' options and the partitioned filesystem sink: planner::partitioned_sink (see
// planner.hpp and partitioned_file_sink.hpp for the operator).
//
// Option keys are Flink's filesystem connector's: 'sink.rolling-policy.file-size',
// 'sink.rolling-policy.rollover-interval', 'sink.rolling-policy.check-interval' (accepted:
// Eddy checks the rollover interval as rows arrive), and for PARTITIONED BY tables
// 'sink.partition-commit.trigger', 'sink.partition-commit.delay',
// 'sink.partition-commit.policy.kind' (success-file), 'sink.partition-commit.success-file.name',
// 'partition.time-extractor.timestamp-pattern' (NULL or empty values: __DEFAULT_PARTITION__).
#include <algorithm>
#include <memory>

#include "duration_text.hpp"
#include "eddy/connectors/connector_uri.hpp"
#include "eddy/runtime/log.hpp"
#include "eddy/table/partitioned_file_sink.hpp"
#include "eddy/table/planner.hpp"
#include "planner_internal.hpp"

namespace eddy::table {

std::vector<std::string> planning::file_sink_keys(bool partitioned) {
  std::vector<std::string> keys = {"connector",
                                   "path",
                                   "format",
                                   "sink.rolling-policy.file-size",
                                   "sink.rolling-policy.rollover-interval",
                                   "sink.rolling-policy.check-interval"};
  if (partitioned)
    for (const char* k :
         {"sink.partition-commit.trigger", "sink.partition-commit.delay",
          "sink.partition-commit.policy.kind", "sink.partition-commit.success-file.name",
          "partition.time-extractor.timestamp-pattern"})
      keys.emplace_back(k);
  return keys;
}

std::string planning::file_path(const table_def& t) {
  auto path = t.option("path");
  if (path.rfind("file://", 0) == 0) path.erase(0, 7);  // Flink's URI form: file:///dir
  return path;
}

std::string planning::rolling_options(const table_def& t, rolling_policy& out) {
  if (const auto v = t.option("sink.rolling-policy.file-size"); !v.empty()) {
    const auto size = connectors::parse_size(v);
    if (!size || *size == 0)
      return "Table '" + t.name +
             "': 'sink.rolling-policy.file-size' must be a size like '128MB', "
             "not '" +
             v + "'";
    out.max_part_size = *size;
  }
  for (const char* key :
       {"sink.rolling-policy.rollover-interval", "sink.rolling-policy.check-interval"}) {
    const auto v = t.option(key);
    if (v.empty()) continue;
    const auto ms = parse_duration(v);
    if (!ms || *ms <= 0)
      return "Table '" + t.name + "': '" + key + "' must be a positive duration, not '" + v + "'";
    if (std::string_view(key) == "sink.rolling-policy.rollover-interval")
      out.rollover_interval = std::chrono::milliseconds(*ms);
  }
  return {};
}

sql::result<std::vector<std::string>> planner::partitioned_sink(relation& in, const table_def& t,
                                                                int id) {
  if (auto e = planning::file_option_error(t, planning::file_sink_keys(true)); !e.empty())
    return error_at(t.where, e);
  auto plan = std::make_shared<partitioned_sink_plan>();
  plan->table = t.name;
  plan->path = planning::file_path(t);
  if (plan->path.empty()) return error_at(t.where, "Table '" + t.name + "' has no 'path' option");
  row_format format;
  if (auto e = parse_row_format(t.option("format"), t.options, format); !e.empty())
    return error_at(t.where, "Table '" + t.name + "': " + e);
  if (auto e = planning::rolling_options(t, plan->rolling); !e.empty()) return error_at(t.where, e);
  const auto trigger = t.option("sink.partition-commit.trigger", "process-time");
  if (trigger != "process-time" && trigger != "partition-time")
    return error_at(t.where, "Table '" + t.name +
                                 "': 'sink.partition-commit.trigger' must be 'process-time' or "
                                 "'partition-time', not '" +
                                 trigger + "'");
  plan->partition_time_trigger = trigger == "partition-time";
  if (const auto v = t.option("sink.partition-commit.delay"); !v.empty()) {
    const auto ms = parse_duration(v);
    if (!ms || *ms < 0)
      return error_at(t.where, "Table '" + t.name +
                                   "': 'sink.partition-commit.delay' must be a duration, not '" +
                                   v + "'");
    plan->commit_delay_ms = *ms;
  }
  if (const auto v = t.option("sink.partition-commit.policy.kind"); !v.empty()) {
    if (v != "success-file")
      return error_at(t.where,
                      "Table '" + t.name + "': 'sink.partition-commit.policy.kind' '" + v +
                          "' is not supported (supported: 'success-file'; 'metastore' needs a "
                          "Hive metastore, 'custom' a Java class)");
    plan->success_file = t.option("sink.partition-commit.success-file.name", "_SUCCESS");
  }
  plan->timestamp_pattern = t.option("partition.time-extractor.timestamp-pattern");
  if (!plan->success_file && (t.options.count("sink.partition-commit.trigger") ||
                              t.options.count("sink.partition-commit.delay")))
    log().debug("table '{}': a partition commit trigger without a policy commits nothing", t.name);

  // The columns: partition columns by PARTITIONED BY order, the others into the files.
  std::vector<std::string> names;
  std::vector<rows::logical_type> types;
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    const auto& f = t.columns[c];
    const auto k = std::find(t.partition_keys.begin(), t.partition_keys.end(), f.name);
    if (k != t.partition_keys.end()) continue;
    plan->data_columns.push_back(c);
    names.push_back(f.name);
    types.push_back(f.type);
  }
  for (const auto& k : t.partition_keys) {
    plan->partition_columns.push_back(*t.columns.index_of(k));
    plan->partition_names.push_back(k);
  }
  plan->encoder = std::make_shared<const line_row_encoder>(names, types, format);
  if (!o_.job_tag.empty()) plan->part_prefix = o_.job_tag + "-";
  std::shared_ptr<const partitioned_sink_plan> shared = plan;
  in.stream->sink_to(
      Sink<rows::row_batch>{
          "partitioned file sink", delivery_guarantee::exactly_once,
          [shared](const sink_context& c) -> std::unique_ptr<input_op<rows::row_batch>> {
            return std::make_unique<partitioned_file_sink_op>(shared, c.node_id);
          }},
      "sink " + t.name + " #" + std::to_string(id));
  std::string partitions;
  for (const auto& k : t.partition_keys) partitions += (partitions.empty() ? "" : ", ") + k;
  return std::vector<std::string>{"Sink(table=[" + t.name + "], fields=[" +
                                  planning::join_names(in.columns) + "], partitionBy=[" +
                                  partitions + "], path=[" + plan->path + "], format=[" +
                                  format.name() + "])"};
}

}  // namespace eddy::table
