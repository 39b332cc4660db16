#pragma once
// Internal: the latency markers of one subtask (execution_config::latency_interval,
// latency_histogram.hpp). A source subtask stamps a new marker once per interval; a subtask with
// output channels holds a marker it received (or stamped) until its next batch goes out, and
// sends it right behind that batch, or after the flush interval on a channel of its own choice
// if no batch goes out before (an operator holding records back, a window, does not hold the
// marker). A subtask without output channels records the marker's latency.
// Used by the subtask's actor only; never blocks.
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace eddy::detail {

class latency_marks {
 public:
  using clock = std::chrono::steady_clock;

  void configure(std::chrono::milliseconds interval) noexcept { interval_ = interval; }
  [[nodiscard]] bool enabled() const noexcept { return interval_.count() > 0; }

  /// A source subtask about to produce at `now`: the stamp of a new marker if one is due, else 0.
  [[nodiscard]] std::int64_t stamp_due(clock::time_point now) noexcept {
    if (!enabled() || now < next_) return 0;
    next_ = now + interval_;
    return wall_ns();
  }

  /// Holds a marker until the next output; of two, the older one is kept.
  void hold(std::int64_t stamp) noexcept {
    if (held_ == 0 || stamp < held_) held_ = stamp;
  }
  [[nodiscard]] bool holding() const noexcept { return held_ != 0; }
  /// The held marker (0: none); holds nothing afterwards.
  [[nodiscard]] std::int64_t take() noexcept {
    const auto s = held_;
    held_ = 0;
    return s;
  }
  /// Round robin over `n` output channels, for a marker sent on its own.
  [[nodiscard]] std::size_t next_channel(std::size_t n) noexcept { return rr_++ % n; }

  /// Nanoseconds since the epoch (markers cross processes).
  [[nodiscard]] static std::int64_t wall_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

 private:
  std::chrono::milliseconds interval_{0};
  clock::time_point next_{};
  std::int64_t held_ = 0;
  std::size_t rr_ = 0;
};

}  // namespace eddy::detail
