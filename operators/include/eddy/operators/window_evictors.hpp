#pragma once
/// Window evictors: remove records from a window before and/or after its function runs (Flink's
/// Evictor). A window with an evictor keeps all its records (with their timestamps) instead of an
/// incremental accumulator; at each firing the evictor's evict_before runs, the window function
/// folds the remaining records, then evict_after runs. Removed records are gone from the window.
///
/// An evictor is a value copied into every subtask with
///   template <class T, class W>
///   void evict_before(std::vector<timestamped_value<T>>& records, const W& w,
///                     const evictor_context& ctx) const;
///   ... evict_after(same) const;
/// Records are in arrival order.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace eddy {

/// A record and its event timestamp (has_timestamp false when the stream has none).
template <class T>
struct timestamped_value {
  T value;
  std::int64_t timestamp = 0;
  bool has_timestamp = false;
};

struct evictor_context {
  std::int64_t current_watermark = 0;
  std::int64_t current_processing_time = 0;
};

/// No evictor: windows accumulate incrementally.
struct no_evictor {};

namespace detail {
/// evict_before / evict_after for evictors that evict one way, before or `after` the function:
/// Derived has `bool after` and `evict(records)`.
template <class Derived>
struct evict_once {
  template <class T, class W>
  void evict_before(std::vector<timestamped_value<T>>& r, const W&, const evictor_context&) const {
    const auto& self = static_cast<const Derived&>(*this);
    if (!self.after) self.evict(r);
  }
  template <class T, class W>
  void evict_after(std::vector<timestamped_value<T>>& r, const W&, const evictor_context&) const {
    const auto& self = static_cast<const Derived&>(*this);
    if (self.after) self.evict(r);
  }
};
}  // namespace detail

/// Keeps the last `max_count` records (before the function, or after it with do_evict_after).
struct CountEvictor : detail::evict_once<CountEvictor> {
  std::size_t max_count = 1;
  bool after = false;
  static CountEvictor of(std::size_t max_count, bool do_evict_after = false) {
    if (max_count == 0) throw std::invalid_argument("CountEvictor count must be positive");
    return {{}, max_count, do_evict_after};
  }

  template <class T>
  void evict(std::vector<timestamped_value<T>>& r) const {
    if (r.size() > max_count) r.erase(r.begin(), r.end() - static_cast<std::ptrdiff_t>(max_count));
  }
};

/// Keeps the records whose timestamp is within `window_size` ms of the newest record's
/// (timestamp > newest - window_size). Records without timestamps are kept.
struct TimeEvictor : detail::evict_once<TimeEvictor> {
  std::int64_t window_size = 0;
  bool after = false;
  static TimeEvictor of(std::chrono::milliseconds size, bool do_evict_after = false) {
    if (size.count() < 0) throw std::invalid_argument("TimeEvictor size must not be negative");
    return {{}, size.count(), do_evict_after};
  }

  template <class T>
  void evict(std::vector<timestamped_value<T>>& r) const {
    bool any = false;
    std::int64_t newest = 0;
    for (const auto& e : r)
      if (e.has_timestamp && (!any || e.timestamp > newest)) {
        newest = e.timestamp;
        any = true;
      }
    if (!any) return;
    const std::int64_t cutoff = newest - window_size;
    std::erase_if(r, [&](const auto& e) { return e.has_timestamp && e.timestamp <= cutoff; });
  }
};

/// Keeps the records whose delta_fn(record, newest record) is below `threshold`.
template <class F>
struct DeltaEvictor : detail::evict_once<DeltaEvictor<F>> {
  double threshold = 0;
  F delta_fn;
  bool after = false;
  static DeltaEvictor of(double threshold, F delta_fn, bool do_evict_after = false) {
    return {{}, threshold, std::move(delta_fn), do_evict_after};
  }

  template <class T>
  void evict(std::vector<timestamped_value<T>>& r) const {
    if (r.empty()) return;
    const T last = r.back().value;
    std::erase_if(r, [&](const auto& e) {
      return static_cast<double>(delta_fn(e.value, last)) >= threshold;
    });
  }
};

}  // namespace eddy
