#pragma once
// The source rate limit of a subtask (execution_config::source_rate), used by subtask_actor.cpp
// on the actor's thread: a token bucket refilled at `rate` records per second, holding at most
// 10 ms worth (at least one record), starting with one token. Pure logic; the caller passes the
// time.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace eddy::detail {

class rate_limiter {
 public:
  using clock_type = std::chrono::steady_clock;
  /// `rate`: records per second; 0 or less: unlimited.
  explicit rate_limiter(double rate = 0) : rate_(rate) {}
  [[nodiscard]] bool limited() const noexcept { return rate_ > 0; }
  /// How many records may be produced at `now` (at most `wanted`); takes them.
  std::size_t take(std::size_t wanted, clock_type::time_point now) {
    if (last_ != clock_type::time_point{}) {
      const double burst = std::max(1.0, rate_ / 100.0);
      tokens_ =
          std::min(burst, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
    }
    last_ = now;
    const auto n = std::min(wanted, static_cast<std::size_t>(tokens_));
    tokens_ -= static_cast<double>(n);
    return n;
  }
  /// How long until the next record is allowed (at least 1 ms, the actor's timer resolution).
  [[nodiscard]] std::chrono::microseconds wait() const {
    const auto us =
        std::chrono::microseconds(static_cast<std::int64_t>((1.0 - tokens_) / rate_ * 1e6) + 1);
    return std::max<std::chrono::microseconds>(us, std::chrono::milliseconds(1));
  }

 private:
  double rate_;
  double tokens_ = 1;
  clock_type::time_point last_{};
};

}  // namespace eddy::detail
