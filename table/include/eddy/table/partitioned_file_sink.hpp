#pragma once
/// The sink of a partitioned filesystem table (Flink's filesystem connector with PARTITIONED BY):
///
///   CREATE TABLE t (..., dt STRING, hm STRING) PARTITIONED BY (dt, hm) WITH (
///     'connector' = 'filesystem', 'path' = '/out', 'format' = 'csv',
///     'sink.partition-commit.trigger' = 'partition-time',
///     'sink.partition-commit.delay' = '1 min',
///     'sink.partition-commit.policy.kind' = 'success-file',
///     'partition.time-extractor.timestamp-pattern' = '$dt $hm:00')
///
/// Each row goes to the directory of its partition values, `/out/dt=2015-07-15/hm=00%3A01/`
/// (Flink's layout: values escaped as PartitionPathUtils does, NULL or empty as
/// `__DEFAULT_PARTITION__`); the files hold the other columns only. Every partition directory
/// has its own part files committed in two phases (detail::part_files: exactly once with
/// checkpoints, all committed when a bounded job finishes).
///
/// Partition commit (the success-file policy): a partition gets its success file (`_SUCCESS`,
/// or 'sink.partition-commit.success-file.name') when a checkpoint that committed files of it
/// completes and its trigger holds: 'process-time' (the default) once the clock has passed the
/// partition's creation (its first row in this subtask) + 'sink.partition-commit.delay';
/// 'partition-time' once the watermark of that checkpoint has passed the partition's time (its
/// values put into 'partition.time-extractor.timestamp-pattern', default the first partition
/// value, read as `yyyy-MM-dd HH:mm:ss[.SSS]`) + the delay. When a bounded job finishes, every
/// partition it wrote gets its success file. Without a policy no success file is written.
///
/// State (operator state, rescalable): each partition's part-file state under a name prefixed by
/// its directory; on restore every existing partition directory of the table is opened, so that
/// its files after the checkpoint (in progress, or committed by a run that finished) are
/// removed before the replay writes them again. Runs on its subtask's actor; errors (an
/// uncreatable directory, a full disk, a partition time that does not parse) fail the job
/// naming the path or the value.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eddy/operators/sinks.hpp"
#include "eddy/rows/row_batch.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/table/row_format.hpp"

namespace eddy::table {

struct partitioned_sink_plan {
  std::string table;                           ///< in errors
  std::string path;                            ///< the table's directory
  std::string part_prefix;                     ///< after "part-" in file names (the job's tag)
  std::vector<std::size_t> partition_columns;  ///< positions in a row, in PARTITIONED BY order
  std::vector<std::string> partition_names;
  std::vector<std::size_t> data_columns;            ///< the other columns, written to the files
  std::shared_ptr<const line_row_encoder> encoder;  ///< of the data columns
  rolling_policy rolling;
  bool partition_time_trigger = false;  ///< 'partition-time' (else 'process-time')
  std::int64_t commit_delay_ms = 0;
  std::optional<std::string> success_file;  ///< the success-file policy's file name
  std::string timestamp_pattern;            ///< empty: the first partition value
};

/// `name=value` with `value` escaped as Flink's PartitionPathUtils.escapePathName does.
[[nodiscard]] std::string partition_path_segment(const std::string& name, const std::string& value);
/// The value of an escaped path segment's value (`00%3A01` -> `00:01`), as Flink's
/// PartitionPathUtils.unescapePathName.
[[nodiscard]] std::string unescape_partition_value(const std::string& escaped);
/// The directory name's value for NULL or empty partition values.
inline constexpr const char* default_partition_name = "__DEFAULT_PARTITION__";

class partitioned_file_sink_op final : public input_op<rows::row_batch> {
 public:
  partitioned_file_sink_op(std::shared_ptr<const partitioned_sink_plan> p, int node_id);
  ~partitioned_file_sink_op() override;

  void open(const subtask_info& info) override;
  using input_op<rows::row_batch>::process;
  void process(std::vector<rows::row_batch>& batches) override;
  void on_watermark(std::int64_t watermark) override;
  void snapshot_state(std::uint64_t id, std::vector<state_entry>& out) override;
  void restore_state(const std::vector<state_entry>& entries) override;
  void notify_checkpoint_complete(std::uint64_t id) override;
  std::function<void(bool)> take_job_finished_action() override { return std::move(action_); }
  void finish() override;

 private:
  struct partition;
  partition& partition_of(const std::string& dir);
  /// The partition directories under the table's path (relative), by their `name=` levels.
  [[nodiscard]] std::vector<std::string> existing_partitions() const;
  [[nodiscard]] bool trigger_holds(const partition& p, std::int64_t watermark) const;
  void write_success_file(const std::string& dir) const;

  std::shared_ptr<const partitioned_sink_plan> plan_;
  int node_id_;
  std::map<std::string, std::unique_ptr<partition>> partitions_;  ///< by relative directory
  std::int64_t watermark_;
  std::map<std::uint64_t, std::int64_t> snapshot_watermarks_;  ///< checkpoint -> its watermark
  std::function<void(bool)> action_;
  std::string text_;
};

}  // namespace eddy::table
