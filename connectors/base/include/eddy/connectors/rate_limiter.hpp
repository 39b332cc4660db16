#pragma once
/// A token bucket for generator sources (`rows-per-second`): a subtask's records per second,
/// with bursts of at most 10 ms worth (and at least one record). Owned and called by one source
/// subtask on its actor; never blocks (a source with no allowance reports itself idle).
#include <algorithm>
#include <chrono>
#include <cstddef>

namespace eddy::detail {

class rate_limiter {
 public:
  /// Records per second; 0 or less: unlimited.
  void set_rate(double per_second) { rate_ = per_second; }

  /// How many of `wanted` records may go now (0: none yet; `wanted` when unlimited).
  std::size_t allowance(std::size_t wanted) {
    if (rate_ <= 0) return wanted;
    const auto now = std::chrono::steady_clock::now();
    if (last_ != std::chrono::steady_clock::time_point{}) {
      const double burst = std::max(1.0, rate_ / 100.0);
      tokens_ =
          std::min(burst, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
    } else {
      tokens_ = 1;
    }
    last_ = now;
    if (tokens_ < 1) return 0;
    return std::min(wanted, static_cast<std::size_t>(tokens_));
  }

  /// Records that went (at most the allowance).
  void spend(std::size_t n) {
    if (rate_ > 0) tokens_ -= static_cast<double>(n);
  }

 private:
  double rate_ = 0;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace eddy::detail
