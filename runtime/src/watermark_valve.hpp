#pragma once
// A subtask's event time over its input channels (Flink's StatusWatermarkValve), used by
// subtask_actor.cpp on the actor's thread:
// - the subtask's watermark is the minimum over the channels that are neither ended nor idle;
// - a channel that sent the idle marker (a min_watermark watermark) is left out until it sends
//   records or a watermark again; an ended channel counts as the maximum;
// - when the last active channel goes idle, event time moves to the largest watermark any open
//   channel reached, then the idleness passes on (once, until a channel is active again).
// The watermark never goes back. Pure logic, no I/O.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "eddy/runtime/operator.hpp"

namespace eddy::detail {

class watermark_valve {
 public:
  /// What to pass to the chain, in this order: a new watermark, then the idleness.
  struct output {
    std::optional<std::int64_t> watermark;
    bool idle = false;
  };

  explicit watermark_valve(std::size_t channels = 0) : ins_(channels) {}

  /// Channel `i` sent watermark `wm` (min_watermark: the idle marker).
  output on_watermark(std::size_t i, std::int64_t wm) {
    auto& in = ins_[i];
    if (wm == min_watermark) {
      in.idle = true;
    } else {
      in.idle = false;
      in.watermark = std::max(in.watermark, wm);
    }
    return advance();
  }
  /// Channel `i` delivered records: it is active again.
  void on_records(std::size_t i) {
    if (!ins_[i].idle) return;
    ins_[i].idle = false;
    idle_sent_ = false;
  }
  /// Channel `i` ended: it no longer holds event time back.
  output on_end(std::size_t i) {
    ins_[i].ended = true;
    ins_[i].watermark = max_watermark;
    return advance();
  }
  /// Event time ends (every input, or the source, ended): true if it was not at the end yet.
  bool finish() {
    if (watermark_ == max_watermark) return false;
    watermark_ = max_watermark;
    return true;
  }
  [[nodiscard]] std::int64_t current() const noexcept { return watermark_; }

 private:
  struct channel {
    std::int64_t watermark = min_watermark;
    bool idle = false;
    bool ended = false;
  };

  output advance() {
    output out;
    std::int64_t low = max_watermark;
    bool any_active = false;
    bool any_idle = false;
    for (const auto& in : ins_) {
      if (in.ended) continue;
      if (in.idle) {
        any_idle = true;
        continue;
      }
      any_active = true;
      low = std::min(low, in.watermark);
    }
    if (!any_active && any_idle) {
      std::int64_t high = min_watermark;
      for (const auto& in : ins_)
        if (!in.ended) high = std::max(high, in.watermark);
      if (high > watermark_) out.watermark = watermark_ = high;
      if (!idle_sent_) out.idle = idle_sent_ = true;
      return out;
    }
    if (any_active) idle_sent_ = false;
    if (low > watermark_) out.watermark = watermark_ = low;
    return out;
  }

  std::vector<channel> ins_;
  std::int64_t watermark_ = min_watermark;
  bool idle_sent_ = false;
};

}  // namespace eddy::detail
