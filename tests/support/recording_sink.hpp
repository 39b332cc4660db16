#pragma once
// A recording end of a test chain (test code only).
#include <cstdint>
#include <string>
#include <vector>

#include "eddy/runtime/operator.hpp"

namespace eddy::testing {

/// The end of a test chain: records batches (with their timestamps), watermarks and finish()
/// calls in the order they arrive.
template <class T>
class recording_sink final : public eddy::timed_input_op<T> {
 public:
  struct event {
    bool is_watermark = false;
    std::vector<T> records;
    std::vector<std::int64_t> timestamps;
    std::int64_t watermark = 0;
  };

  using eddy::timed_input_op<T>::process;
  void process(std::vector<T>& records, std::vector<std::int64_t>& timestamps) override {
    events.push_back(event{false, records, timestamps, 0});
  }
  void on_watermark(std::int64_t wm) override { events.push_back(event{true, {}, {}, wm}); }
  void finish() override { ++finished; }

  /// Every record received, in order.
  [[nodiscard]] std::vector<T> records() const {
    std::vector<T> out;
    for (const auto& e : events)
      if (!e.is_watermark) out.insert(out.end(), e.records.begin(), e.records.end());
    return out;
  }
  /// Every timestamp received, in order (parallel to records() when every batch had them).
  [[nodiscard]] std::vector<std::int64_t> timestamps() const {
    std::vector<std::int64_t> out;
    for (const auto& e : events)
      if (!e.is_watermark) out.insert(out.end(), e.timestamps.begin(), e.timestamps.end());
    return out;
  }
  [[nodiscard]] std::vector<std::int64_t> watermarks() const {
    std::vector<std::int64_t> out;
    for (const auto& e : events)
      if (e.is_watermark) out.push_back(e.watermark);
    return out;
  }
  /// "r" per record batch and "w" per watermark, e.g. "rrw".
  [[nodiscard]] std::string shape() const {
    std::string s;
    for (const auto& e : events) s += e.is_watermark ? 'w' : 'r';
    return s;
  }
  /// True if every batch had one timestamp per record.
  [[nodiscard]] bool timestamps_parallel() const {
    for (const auto& e : events)
      if (!e.is_watermark && e.records.size() != e.timestamps.size()) return false;
    return true;
  }
  void clear() { events.clear(); }

  std::vector<event> events;
  int finished = 0;
};

}  // namespace eddy::testing
