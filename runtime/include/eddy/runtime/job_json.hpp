#pragma once
/// JSON forms of a job's live figures, one format for the coordinator's job status
/// (cluster_client::job_status) and the REST API of an embedded run (web/local_jobs.hpp).
/// Pure functions, any thread.
#include <string>
#include <string_view>
#include <vector>

#include "eddy/runtime/job_result.hpp"

namespace eddy {

/// [{"task", "index", "records_in", "records_out", "batches_in", "batches_out",
/// "backpressure_ns", "backpressure_events", "watermark", "input_read", "input_size",
/// "source_records", "tail_records_in", "dead_letters", "source_lag" (null: none),
/// "state"}...]; a sink with latency markers also has
/// "latency": latency_json of its histogram.
[[nodiscard]] std::string subtasks_json(const std::vector<subtask_metrics>& subtasks);
/// {"count", "mean_us", "p50_us", "p99_us", "p999_us", "sum_ns", "buckets": [[bucket, count]...]}
/// (the non-empty buckets of latency_histogram.hpp, so that histograms can be merged again).
[[nodiscard]] std::string latency_json(const latency_histogram& h);
/// The histogram of latency_json's "buckets" and "sum_ns" (nothing for anything else).
[[nodiscard]] latency_histogram latency_from_json(std::string_view json);
/// [{"id", "timestamp_ms", "duration_ms", "bytes", "savepoint_path"}...], with "subtasks":
/// [{"vertex", "index", "status" (COMPLETED, or FINISHED for a finished subtask's final
/// snapshot), "end_to_end_duration_us", "alignment_duration_us", "sync_duration_us",
/// "async_duration_us", "bytes"}...] on a checkpoint that kept its details.
[[nodiscard]] std::string checkpoints_json(const std::vector<checkpoint_stats>& checkpoints);
/// [{"timestamp_ms", "message", "attempt"}...]
[[nodiscard]] std::string exceptions_json(const std::vector<job_exception>& exceptions);

}  // namespace eddy
