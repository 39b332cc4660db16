#pragma once
/// Window assigners: which windows a record belongs to (Flink's WindowAssigner).
///
/// Every assigner has
///   using window_type = ...;                 // time_window or global_window
///   static constexpr bool is_event_time;     // windows on record timestamps (else processing
///   time) static constexpr bool is_merging;        // windows merge (sessions) template <class T,
///   class Fn> void assign(const T& record, std::int64_t time, Fn&& fn) const;
/// calling fn(window) for every window of a record whose time (its event timestamp, or the
/// processing time when it arrived) is `time`. Merging assigners assign exactly one window; the
/// window operator merges it with the key's overlapping windows. Assigners are plain values,
/// copied into every subtask; they hold no state.
///
/// Each assigner has a default trigger (see window_triggers.hpp): event-time assigners fire when
/// the watermark passes the window's end, processing-time ones when the clock does, and global
/// windows never (give them a trigger).
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <tuple>

#include "eddy/runtime/serializer.hpp"

namespace eddy {

/// A time window [start, end) in milliseconds.
struct time_window {
  std::int64_t start = 0;
  std::int64_t end = 0;
  [[nodiscard]] std::int64_t max_timestamp() const noexcept { return end - 1; }
  /// Flink's TimeWindow.intersects: overlapping or adjacent windows (sessions merge these).
  [[nodiscard]] bool intersects(const time_window& o) const noexcept {
    return start <= o.end && end >= o.start;
  }
  /// The smallest window covering both.
  [[nodiscard]] time_window cover(const time_window& o) const noexcept {
    return {start < o.start ? start : o.start, end > o.end ? end : o.end};
  }
  friend bool operator==(const time_window&, const time_window&) = default;
  friend bool operator<(const time_window& a, const time_window& b) {
    return std::tie(a.start, a.end) < std::tie(b.start, b.end);
  }
};

/// The one window of GlobalWindows: holds every record of a key; only a trigger ends it.
struct global_window {
  [[nodiscard]] std::int64_t max_timestamp() const noexcept {
    return std::numeric_limits<std::int64_t>::max();
  }
  friend bool operator==(const global_window&, const global_window&) = default;
  friend bool operator<(const global_window&, const global_window&) { return false; }
};

// Serializable (checkpoints of window state; records that carry a window): a time window is its
// start and end, the global window has no bytes.
EDDY_FIELDS(time_window, start, end)
EDDY_FIELDS(global_window)

namespace detail {
/// Start of the window of size `size` (aligned to `offset`) containing `ts`.
inline std::int64_t window_start(std::int64_t ts, std::int64_t offset, std::int64_t size) {
  std::int64_t r = (ts - offset) % size;
  if (r < 0) r += size;
  return ts - r;
}

template <bool EventTime>
struct tumbling_windows {
  using window_type = time_window;
  static constexpr bool is_event_time = EventTime;
  static constexpr bool is_merging = false;
  std::int64_t size;
  std::int64_t offset = 0;
  static tumbling_windows of(std::chrono::milliseconds size,
                             std::chrono::milliseconds offset = std::chrono::milliseconds(0)) {
    if (size.count() <= 0) throw std::invalid_argument("tumbling window size must be positive");
    return {size.count(), offset.count() % size.count()};
  }
  /// Calls fn(window) for the window containing ts.
  template <class Fn>
  void assign(std::int64_t ts, Fn&& fn) const {
    const std::int64_t start = window_start(ts, offset, size);
    fn(time_window{start, start + size});
  }
  template <class T, class Fn>
  void assign(const T&, std::int64_t ts, Fn&& fn) const {
    assign(ts, fn);
  }
  [[nodiscard]] std::int64_t window_size() const noexcept { return size; }
};

template <bool EventTime>
struct sliding_windows {
  using window_type = time_window;
  static constexpr bool is_event_time = EventTime;
  static constexpr bool is_merging = false;
  std::int64_t size;
  std::int64_t slide;
  std::int64_t offset = 0;
  static sliding_windows of(std::chrono::milliseconds size, std::chrono::milliseconds slide,
                            std::chrono::milliseconds offset = std::chrono::milliseconds(0)) {
    if (size.count() <= 0 || slide.count() <= 0)
      throw std::invalid_argument("sliding window size and slide must be positive");
    return {size.count(), slide.count(), offset.count() % slide.count()};
  }
  /// Calls fn(window) for each of the size / slide windows containing ts (latest first).
  template <class Fn>
  void assign(std::int64_t ts, Fn&& fn) const {
    const std::int64_t last_start = window_start(ts, offset, slide);
    for (std::int64_t start = last_start; start > ts - size; start -= slide)
      fn(time_window{start, start + size});
  }
  template <class T, class Fn>
  void assign(const T&, std::int64_t ts, Fn&& fn) const {
    assign(ts, fn);
  }
  [[nodiscard]] std::int64_t window_size() const noexcept { return size; }
};

/// Sessions: a record at time t opens [t, t + gap); overlapping or adjacent windows of a key
/// merge. With a dynamic gap, gap_fn(record) gives each record's gap in ms.
template <bool EventTime, class GapFn = std::nullptr_t>
struct session_windows {
  using window_type = time_window;
  static constexpr bool is_event_time = EventTime;
  static constexpr bool is_merging = true;
  std::int64_t gap = 0;
  GapFn gap_fn{};
  template <class T, class Fn>
  void assign(const T& record, std::int64_t ts, Fn&& fn) const {
    std::int64_t g = gap;
    if constexpr (!std::is_same_v<GapFn, std::nullptr_t>) {
      g = static_cast<std::int64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(gap_fn(record)).count());
      if (g <= 0) throw std::invalid_argument("session gap must be positive");
    }
    fn(time_window{ts, ts + g});
  }
};

template <bool EventTime>
struct session_windows_factory {
  static session_windows<EventTime> with_gap(std::chrono::milliseconds gap) {
    if (gap.count() <= 0) throw std::invalid_argument("session gap must be positive");
    return {gap.count()};
  }
  /// gap_fn(const T&) -> std::chrono::milliseconds, evaluated per record.
  template <class F>
  static session_windows<EventTime, F> with_dynamic_gap(F gap_fn) {
    return {0, std::move(gap_fn)};
  }
};
}  // namespace detail

/// Fixed-size, non-overlapping event-time windows aligned to the epoch (plus an optional offset).
using TumblingEventTimeWindows = detail::tumbling_windows<true>;
/// Windows of `size` starting every `slide` (a record belongs to size / slide windows).
using SlidingEventTimeWindows = detail::sliding_windows<true>;
/// Tumbling windows on the processing time at which records arrive.
using TumblingProcessingTimeWindows = detail::tumbling_windows<false>;
/// Sliding windows on the processing time at which records arrive.
using SlidingProcessingTimeWindows = detail::sliding_windows<false>;
/// Event-time sessions: EventTimeSessionWindows::with_gap(g) or with_dynamic_gap(fn).
using EventTimeSessionWindows = detail::session_windows_factory<true>;
/// Processing-time sessions: ProcessingTimeSessionWindows::with_gap(g) or with_dynamic_gap(fn).
using ProcessingTimeSessionWindows = detail::session_windows_factory<false>;

/// One window per key holding all its records; needs a trigger (GlobalWindows::create()).
/// Not an event-time assigner (as in Flink): it needs no timestamps, and no record is ever late.
struct GlobalWindows {
  using window_type = global_window;
  static constexpr bool is_event_time = false;
  static constexpr bool is_merging = false;
  static GlobalWindows create() { return {}; }
  template <class T, class Fn>
  void assign(const T&, std::int64_t, Fn&& fn) const {
    fn(global_window{});
  }
};

}  // namespace eddy
