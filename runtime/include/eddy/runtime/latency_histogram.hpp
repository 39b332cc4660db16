#pragma once
/// End-to-end latency as measured by latency markers (Flink's `metrics.latency.interval`).
///
/// With `execution_config::latency_interval` set, every source subtask stamps a marker with the
/// wall clock (nanoseconds since the epoch) once per interval. Markers travel on the data
/// channels in order with the batches before them (they wait behind queued batches, in a
/// partially filled batch's flush interval and under backpressure, but not inside operators: an
/// operator that holds records back, a window, forwards them at once, as in Flink). A subtask
/// with no output channels, a sink, records `now - stamp` into its `latency_histogram`.
/// Across machines the figure includes the difference of their clocks, as in Flink.
///
/// The histogram has log-linear buckets: one below 1024 ns, then 8 per power of two up to 2^35 ns
/// (34 s), and one above: a quantile read off it lies in the exact value's bucket, so it is off
/// by at most that bucket's width (12.5 % of the value; less than 1024 ns below 1024 ns).
/// `latency_histogram` is a plain value (a snapshot): copied, merged and read by anyone; the live,
/// concurrently updated counts are the runtime's (job_control).
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace eddy {

struct latency_buckets {
  static constexpr int sub = 8;            ///< buckets per power of two
  static constexpr int first_octave = 10;  ///< bucket 0 holds everything below 2^10 ns
  static constexpr int last_octave = 34;   ///< the last finite bucket ends at 2^35 ns
  static constexpr int count = 1 + (last_octave - first_octave + 1) * sub + 1;

  /// The bucket of a latency of `ns` nanoseconds (negative: clock skew, counted as 0).
  [[nodiscard]] static int index_of(std::int64_t ns) noexcept;
  /// The bucket's range [lower, upper) in nanoseconds; the last bucket's upper bound is its
  /// lower bound times two (it has no end; used for interpolation only).
  [[nodiscard]] static double lower_ns(int index) noexcept;
  [[nodiscard]] static double upper_ns(int index) noexcept;
};

/// Counts of latencies per bucket (a snapshot). Empty `counts`: nothing recorded.
struct latency_histogram {
  std::vector<std::uint64_t> counts;  ///< latency_buckets::count entries, or none
  std::uint64_t sum_ns = 0;           ///< sum of the recorded latencies

  [[nodiscard]] bool empty() const noexcept { return total() == 0; }
  [[nodiscard]] std::uint64_t total() const noexcept;
  /// Adds one latency (used by tests and by merging code; the runtime records into its live
  /// counts instead).
  void record(std::int64_t ns);
  /// Adds another histogram's counts (e.g. of all sink subtasks of a job).
  void merge(const latency_histogram& other);
  /// The latency (nanoseconds) at quantile q in [0, 1], interpolated linearly inside its
  /// bucket; 0 when empty.
  [[nodiscard]] double quantile(double q) const noexcept;
  /// The mean latency (nanoseconds); 0 when empty.
  [[nodiscard]] double mean() const noexcept;
};

}  // namespace eddy
