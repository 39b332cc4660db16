#pragma once
/// What a job reports: its final state, wall time and metrics per operator and per subtask.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eddy/runtime/error.hpp"
#include "eddy/runtime/latency_histogram.hpp"

namespace eddy {

/// Flink's job states (only those reachable so far are produced).
enum class job_state {
  created,
  running,
  failing,
  failed,
  canceling,
  canceled,
  finished,
  restarting
};

[[nodiscard]] inline const char* to_string(job_state s) noexcept {
  switch (s) {
    case job_state::created:
      return "CREATED";
    case job_state::running:
      return "RUNNING";
    case job_state::failing:
      return "FAILING";
    case job_state::failed:
      return "FAILED";
    case job_state::canceling:
      return "CANCELING";
    case job_state::canceled:
      return "CANCELED";
    case job_state::finished:
      return "FINISHED";
    case job_state::restarting:
      return "RESTARTING";
  }
  return "?";
}

/// Counters of one subtask (one chain instance).
struct subtask_metrics {
  std::string task;               ///< chain name
  int index = 0;                  ///< subtask index
  std::uint64_t records_in = 0;   ///< records received from channels
  std::uint64_t records_out = 0;  ///< records sent to channels (counted per receiving subtask)
  std::uint64_t batches_in = 0;
  std::uint64_t batches_out = 0;
  std::uint64_t backpressure_ns = 0;      ///< time spent with output parked for lack of credit
  std::uint64_t backpressure_events = 0;  ///< times the subtask ran out of credit
  std::uint64_t max_queued_batches = 0;   ///< max batches buffered on one input channel
  /// Max batches in flight on one output channel: sent and not yet processed by the receiver
  /// (counted by sender and receiver together, independently of the credit arithmetic).
  std::uint64_t max_in_flight_batches = 0;
  std::uint64_t remote_bytes_out = 0;  ///< bytes of batches sent to subtasks on other nodes
  /// The subtask's event time (the minimum watermark over its inputs); INT64_MIN before the
  /// first watermark.
  std::int64_t watermark = INT64_MIN;
  /// CREATED, RUNNING, then FINISHED, FAILED or CANCELED (stopped by the supervisor).
  job_state state = job_state::created;
  int credits_per_channel = 0;  ///< credits granted to each input channel
  /// A source subtask reading a bounded input of known size: how much it read and has to read
  /// (source_base::progress: bytes of a file, messages of bounded Kafka partitions); 0 and 0
  /// otherwise.
  std::uint64_t input_read = 0;
  std::uint64_t input_size = 0;
  /// Records the chain's source operator emitted (0 for a chain without a source): what the
  /// job read, unlike records_out, which counts each record once per receiving channel.
  std::uint64_t source_records = 0;
  /// Records the chain's last operator received (a sink's input, for a chain ending in one).
  std::uint64_t tail_records_in = 0;
  /// Records the chain's dead-letter operators (graph_node::dead_letters) received: malformed
  /// or otherwise rejected records the job set aside.
  std::uint64_t dead_letters = 0;
  /// The chain's source's lag (source_base::lag), if it reports one.
  std::optional<std::uint64_t> source_lag;
  /// A subtask without output channels (a sink) with latency markers on
  /// (execution_config::latency_interval): the end-to-end latencies of the markers it received.
  latency_histogram latency;
};

/// One subtask's part in a completed checkpoint (Flink's checkpoint details per subtask).
struct subtask_checkpoint_stats {
  int vertex = 0;  ///< the subtask's chain (execution_plan; the REST API's vertex id)
  int index = 0;   ///< the subtask's index within it
  /// The subtask had finished before the checkpoint: its final snapshot stood in for an
  /// acknowledgement, and the durations are 0.
  bool finished = false;
  /// Trigger to the acknowledgement's arrival at the checkpoint coordinator (end to end).
  std::chrono::microseconds end_to_end{0};
  /// First barrier to last over the subtask's inputs (0 for a source or a single input).
  std::chrono::microseconds alignment{0};
  std::chrono::microseconds sync{0};   ///< the snapshot's synchronous part, on the subtask
  std::chrono::microseconds async{0};  ///< its deferred part, off the subtask (0: none)
  std::uint64_t bytes = 0;             ///< size of the subtask's snapshot blobs
};

/// One completed checkpoint.
struct checkpoint_stats {
  std::uint64_t id = 0;
  std::int64_t timestamp_ms = 0;          ///< when it was triggered
  std::chrono::milliseconds duration{0};  ///< trigger to completion
  std::uint64_t bytes = 0;                ///< size of its snapshot blobs
  std::string savepoint_path;             ///< a savepoint: where it was written (else empty)
  /// Per subtask, by global subtask id. A running job keeps them for its newest
  /// `kept_checkpoint_details` checkpoints only (empty for older ones).
  std::vector<subtask_checkpoint_stats> subtasks;
};

/// How many of a job's newest checkpoints keep their per-subtask details.
inline constexpr std::size_t kept_checkpoint_details = 10;

/// A failure of one attempt of a job (Flink's exception history): the attempt then restarted
/// or the job failed.
struct job_exception {
  std::int64_t timestamp_ms = 0;  ///< wall clock, epoch ms
  std::string message;
  int attempt = 0;  ///< restarts before this failure (0: the first attempt)
};

/// Counters of one operator, summed over its subtasks.
struct operator_metrics {
  std::string name;
  int node_id = 0;
  int parallelism = 1;
  std::uint64_t records_in = 0;
  std::uint64_t records_out = 0;
  std::uint64_t late_records = 0;  ///< records too late for their event-time window
};

struct job_result {
  std::string job_name;
  job_state state = job_state::created;
  std::chrono::nanoseconds wall_time{0};
  std::vector<operator_metrics> operators;
  std::vector<subtask_metrics> subtasks;
  std::optional<error> failure;               ///< set when state is failed (or canceled)
  std::vector<checkpoint_stats> checkpoints;  ///< completed checkpoints, oldest first
  std::uint64_t aborted_checkpoints = 0;
  int restarts = 0;                       ///< restarts from a checkpoint (after failures)
  std::uint64_t restored_checkpoint = 0;  ///< the checkpoint the job started from (0: none)
  /// Set when the job was stopped with a savepoint (job_handle::stop_with_savepoint): its path.
  /// The job's state is then `finished` (as in Flink), with its output up to the savepoint
  /// committed.
  std::string savepoint_path;

  [[nodiscard]] bool ok() const noexcept { return state == job_state::finished; }
  /// Late records over all operators (records too late for their window or join).
  [[nodiscard]] std::uint64_t late_records() const noexcept {
    std::uint64_t n = 0;
    for (const auto& o : operators) n += o.late_records;
    return n;
  }
  /// The end-to-end latency of the job's latency markers, over all its sink subtasks (empty
  /// without execution_config::latency_interval).
  [[nodiscard]] latency_histogram latency() const {
    latency_histogram h;
    for (const auto& s : subtasks) h.merge(s.latency);
    return h;
  }
  /// The operator with this name, or nullptr.
  [[nodiscard]] const operator_metrics* find_operator(const std::string& name) const {
    for (const auto& o : operators)
      if (o.name == name) return &o;
    return nullptr;
  }
};

}  // namespace eddy
