#pragma once
/// Knobs of one job's execution. Set on the StreamEnvironment; copied into the job at submission.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace eddy {

/// Flink's runtime modes. In `batch` mode every source must be bounded and keyed aggregations
/// (reduce, sum, min, max) emit only their final value per key at end of input instead of every
/// update.
enum class runtime_mode { streaming, batch };

struct execution_config {
  int default_parallelism = 1;    ///< for operators without set_parallelism
  int max_parallelism = 128;      ///< number of key groups; upper bound for parallelism
  std::size_t batch_size = 1024;  ///< records per batch before it is sent
  /// A partially filled batch is sent at the latest this long after its first record.
  std::chrono::microseconds flush_interval{2000};
  int channel_credits = 4;  ///< batches each input channel buffers (credits granted upstream)
  runtime_mode mode = runtime_mode::streaming;
  /// How often periodic watermarks are emitted (and operators' on_tick called).
  std::chrono::milliseconds auto_watermark_interval{200};
  bool chaining = true;  ///< operator chaining for the whole job
  /// How often operators with processing-time timers (processing-time windows, timers in process
  /// functions, state TTL cleanup) look at the clock: a timer fires at most this late.
  std::chrono::milliseconds timer_resolution{10};
  /// Processing time in milliseconds since the epoch. Null: the system clock. Tests set a manual
  /// clock here; it is called from every subtask's thread, so it must be thread-safe.
  std::function<std::int64_t()> clock;
};

}  // namespace eddy
