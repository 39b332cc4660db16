#pragma once
/// Knobs of one job's execution. Set on the StreamEnvironment; copied into the job at submission.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace eddy {

/// Flink's runtime modes. In `batch` mode every source must be bounded and keyed aggregations
/// (reduce, sum, min, max) emit only their final value per key at end of input instead of every
/// update.
enum class runtime_mode { streaming, batch };

/// Checkpointing guarantees (Flink's CheckpointingMode).
enum class checkpointing_mode {
  exactly_once,  ///< barriers are aligned: state reflects each record exactly once
  at_least_once  ///< no alignment: after a restore some records may be counted twice
};

/// Checkpoints of a job (Flink's CheckpointConfig). Enabled when `interval` is positive.
struct checkpoint_config {
  std::chrono::milliseconds interval{0};  ///< time between checkpoint triggers; 0: disabled
  checkpointing_mode mode = checkpointing_mode::exactly_once;
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};  ///< then the checkpoint aborts
  std::chrono::milliseconds min_pause{0};  ///< from one checkpoint's completion to the next
  int max_concurrent = 1;                  ///< checkpoints in progress at once
  int retained = 1;                        ///< completed checkpoints kept in the store
  std::string directory;                   ///< the LMDB checkpoint store (required)
};

/// What the job supervisor does when a subtask fails (Flink's restart strategies).
struct restart_strategy {
  enum class kind { no_restart, fixed_delay, failure_rate };
  kind type = kind::no_restart;
  int attempts = 0;                       ///< fixed_delay: restarts before the job fails
  std::chrono::milliseconds delay{0};     ///< before each restart
  int max_failures = 0;                   ///< failure_rate: failures allowed per interval
  std::chrono::milliseconds interval{0};  ///< failure_rate: the measuring interval
  /// The job fails at the first failure.
  static restart_strategy no_restart() { return {}; }
  /// Up to `attempts` restarts, `delay` apart.
  static restart_strategy fixed_delay(int attempts, std::chrono::milliseconds delay) {
    return {kind::fixed_delay, attempts, delay, 0, {}};
  }
  /// Restarts unless more than `max_failures` failures happened within `interval`.
  static restart_strategy failure_rate(int max_failures, std::chrono::milliseconds interval,
                                       std::chrono::milliseconds delay) {
    return {kind::failure_rate, 0, delay, max_failures, interval};
  }
};

struct execution_config {
  int default_parallelism = 1;    ///< for operators without set_parallelism
  int max_parallelism = 128;      ///< number of key groups; upper bound for parallelism
  std::size_t batch_size = 1024;  ///< records per batch before it is sent
  /// A partially filled batch is sent at the latest this long after its first record.
  std::chrono::microseconds flush_interval{2000};
  int channel_credits = 4;  ///< batches each input channel buffers (credits granted upstream)
  /// Credits of an input channel whose sender runs on another node (in a cluster): credits
  /// return over the network, so more batches in flight hide the round trip (W2 on two
  /// workers: 11 M events/s with 4, 18-20 M with 32; see docs/performance.md).
  int remote_channel_credits = 32;
  runtime_mode mode = runtime_mode::streaming;
  /// How often periodic watermarks are emitted (and operators' on_tick called).
  std::chrono::milliseconds auto_watermark_interval{200};
  bool chaining = true;  ///< operator chaining for the whole job
  /// Operator fusion: runs of chained per-record stateless operators (a generator, map, filter,
  /// flat_map, a function sink) execute as one loop (execution_plan.hpp). Results, names,
  /// counters and checkpoints are the same either way.
  bool fusion = true;
  /// How often operators with processing-time timers (processing-time windows, timers in process
  /// functions, state TTL cleanup) look at the clock: a timer fires at most this late.
  std::chrono::milliseconds timer_resolution{10};
  /// Processing time in milliseconds since the epoch. Null: the system clock. Tests set a manual
  /// clock here; it is called from every subtask's thread, so it must be thread-safe.
  std::function<std::int64_t()> clock;
  /// Limits every source to this many records per second in total, split evenly over its
  /// subtasks (0: unlimited). For demonstrations and failure tests (`eddy run --source-rate`).
  double source_rate = 0;
  /// Latency markers (Flink's `metrics.latency.interval`): every source subtask sends one this
  /// often, sinks measure how long it took to reach them (latency_histogram.hpp). 0: off.
  std::chrono::milliseconds latency_interval{0};
  checkpoint_config checkpoints;
  /// Unset: no restart without checkpoints; with checkpoints, as Flink: fixed_delay with
  /// unlimited attempts, 1 s apart.
  std::optional<restart_strategy> restart;
  /// Restore the job's state from the newest completed checkpoint of the job in this checkpoint
  /// store directory (its own checkpoint directory to resume, or a savepoint's), if not empty.
  std::string restore_from;
};

}  // namespace eddy
