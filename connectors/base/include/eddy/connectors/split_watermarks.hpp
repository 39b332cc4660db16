#pragma once
/// Per-split watermarks inside a source (Flink's per-split watermark generation): each split's
/// watermark is the largest timestamp it delivered minus the out-of-orderness minus 1; the
/// source's watermark is the minimum over its splits that are not idle. A split is idle after
/// `idleness` without records (0: never); a split that delivered nothing yet holds the watermark
/// back until it delivers or goes idle. When every split is idle, the watermark moves to the
/// largest any split reached and the output is idle; a source with no split to read (a Kafka
/// reader that owns no partition) is idle after `idleness` too. Used by a
/// source reader on its subtask's actor (not thread-safe).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

namespace eddy::connectors {

class split_watermarks {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min();

  split_watermarks(std::chrono::milliseconds out_of_orderness, std::chrono::milliseconds idleness)
      : delay_(out_of_orderness.count()), idleness_(idleness) {}

  /// A new split (read from `now` on); returns its handle.
  std::size_t add(time_point now) {
    empty_since_ = time_point{};
    splits_.push_back(split{none, now, true});
    return splits_.size() - 1;
  }
  /// The split ended (bounded): it no longer holds the watermark back.
  void finish(std::size_t h) { splits_[h].active = false; }
  void record(std::size_t h, std::int64_t ts, time_point now) {
    auto& s = splits_[h];
    s.max_ts = std::max(s.max_ts, ts);
    s.last = now;
  }
  /// The watermark to emit now, if it advanced; `all_idle` says whether every active split is
  /// idle (the output should then be marked idle, after emitting the watermark).
  std::optional<std::int64_t> advance(time_point now, bool& all_idle) {
    std::int64_t wm = std::numeric_limits<std::int64_t>::max();
    bool any = false;
    all_idle = true;
    for (const auto& s : splits_) {
      if (!s.active) continue;
      const bool idle = idleness_.count() > 0 && now - s.last >= idleness_;
      if (idle) continue;
      all_idle = false;
      any = true;
      const std::int64_t w = s.max_ts == none ? none : s.max_ts - delay_ - 1;
      wm = std::min(wm, w);
    }
    if (!any) {
      // Every split is idle (as the runtime does for inputs): event time moves to the largest
      // watermark any split reached, then the output goes idle.
      all_idle =
          std::any_of(splits_.begin(), splits_.end(), [](const split& s) { return s.active; });
      if (!all_idle && idleness_.count() > 0) {
        // No split to read (a reader that owns no partition): idle after `idleness`, as a
        // split without records would be, so that it does not hold event time back.
        if (empty_since_ == time_point{}) empty_since_ = now;
        all_idle = now - empty_since_ >= idleness_;
      }
      wm = none;
      for (const auto& s : splits_)
        if (s.active && s.max_ts != none) wm = std::max(wm, s.max_ts - delay_ - 1);
    }
    if (wm == none || wm <= emitted_) return std::nullopt;
    emitted_ = wm;
    return wm;
  }

 private:
  struct split {
    std::int64_t max_ts;
    time_point last;
    bool active;
  };
  std::int64_t delay_;
  std::chrono::milliseconds idleness_;
  std::vector<split> splits_;
  std::int64_t emitted_ = none;
  time_point empty_since_{};  // since when no split is active (with an idleness only)
};

}  // namespace eddy::connectors
