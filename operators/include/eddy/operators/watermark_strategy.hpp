#pragma once
/// Timestamps and watermarks (Flink's WatermarkStrategy and assignTimestampsAndWatermarks).
///
/// `assign_timestamps_and_watermarks(strategy)` gives every record the event-time timestamp
/// (milliseconds) its timestamp assigner returns and emits watermarks: with bounded
/// out-of-orderness d, watermark = (largest timestamp seen) - d - 1, so records up to d late are
/// still on time; monotonous timestamps are the case d = 0. Watermarks are emitted periodically
/// (the job's auto-watermark interval, 200 ms by default) and whenever a batch advanced them past
/// that interval; at the end of a bounded input the watermark becomes max_watermark, so every
/// event-time window fires. Watermarks arriving from upstream are replaced by the new ones (the
/// end-of-input watermark passes).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

template <class T, class TsFn = std::nullptr_t>
class WatermarkStrategy {
 public:
  /// Timestamps never decrease: watermark = largest timestamp - 1.
  static WatermarkStrategy for_monotonous_timestamps() { return WatermarkStrategy{}; }
  /// Records may arrive up to `max_out_of_orderness` late.
  static WatermarkStrategy for_bounded_out_of_orderness(
      std::chrono::milliseconds max_out_of_orderness) {
    WatermarkStrategy s;
    s.out_of_orderness_ = max_out_of_orderness;
    return s;
  }
  /// fn(const T&) -> timestamp in milliseconds.
  template <class F>
  WatermarkStrategy<T, F> with_timestamp_assigner(F fn) const {
    WatermarkStrategy<T, F> s(fn);
    s.out_of_orderness_ = out_of_orderness_;
    s.per_record_ = per_record_;
    s.idleness_ = idleness_;
    return s;
  }
  /// Emits a watermark as soon as a record advances it (Flink's punctuated emission) instead of
  /// periodically: whether a record is late then depends only on the records before it, not on
  /// timing. Costs one control event per advancing record.
  WatermarkStrategy emit_on_every_record() const {
    WatermarkStrategy s = *this;
    s.per_record_ = true;
    return s;
  }
  [[nodiscard]] bool per_record() const { return per_record_; }
  /// Marks this input idle after `timeout` without records, so downstream event time does not
  /// wait for it (e.g. a partition without data); its next record makes it active again.
  WatermarkStrategy with_idleness(std::chrono::milliseconds timeout) const {
    WatermarkStrategy s = *this;
    s.idleness_ = timeout;
    return s;
  }
  [[nodiscard]] std::chrono::milliseconds idleness() const { return idleness_; }

  [[nodiscard]] std::chrono::milliseconds out_of_orderness() const { return out_of_orderness_; }
  [[nodiscard]] const TsFn& timestamp_assigner() const { return ts_fn_; }

  WatermarkStrategy() = default;
  explicit WatermarkStrategy(TsFn fn) : ts_fn_(std::move(fn)) {}

 private:
  template <class, class>
  friend class WatermarkStrategy;
  std::chrono::milliseconds out_of_orderness_{0};
  bool per_record_ = false;
  std::chrono::milliseconds idleness_{0};
  TsFn ts_fn_{};
};

/// Assigns timestamps with `TsFn` and generates bounded-out-of-orderness watermarks.
template <class T, class TsFn>
class timestamp_assigner_op final : public timed_input_op<T> {
 public:
  timestamp_assigner_op(TsFn fn, std::chrono::milliseconds out_of_orderness, input_op<T>* next,
                        bool per_record = false,
                        std::chrono::milliseconds idleness = std::chrono::milliseconds(0))
      : fn_(std::move(fn)),
        delay_(out_of_orderness.count()),
        next_(next),
        per_record_(per_record),
        idleness_(idleness) {
    this->downstream_ = next;
  }

  void open(const subtask_info& info) override {
    input_op<T>::open(info);
    interval_ = info.auto_watermark_interval;
  }

  using timed_input_op<T>::process;
  void process(std::vector<T>& records, std::vector<std::int64_t>& ts) override {
    const std::size_t n = records.size();
    this->counters_.records_in += n;
    this->counters_.records_out += n;
    if (n) {
      active_since_tick_ = true;
      idle_ = false;
    }
    if (per_record_) {
      process_per_record(records);
      return;
    }
    this->guarded([&] {
      ts.resize(n);
      std::int64_t hi = max_ts_;
      for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t t = static_cast<std::int64_t>(fn_(static_cast<const T&>(records[i])));
        ts[i] = t;
        hi = std::max(hi, t);
      }
      max_ts_ = hi;
      next_->process(records, ts);
    });
    if (++batches_since_check_ >= 16) {  // look at the clock every few batches only
      batches_since_check_ = 0;
      auto now = std::chrono::steady_clock::now();
      if (now - last_emit_ >= interval_) emit(now);
    }
  }

  void on_watermark(std::int64_t watermark) override {
    if (watermark == max_watermark) next_->on_watermark(watermark);  // end of input
  }
  void on_idle() override {}  // this operator decides idleness for its output itself
  [[nodiscard]] bool wants_ticks() const override { return true; }
  void on_tick(std::chrono::steady_clock::time_point now) override {
    if (now - last_emit_ >= interval_) emit(now);  // ticks may come more often when chained
    if (idleness_.count() <= 0) return;
    if (active_since_tick_ || last_active_ == std::chrono::steady_clock::time_point{}) {
      active_since_tick_ = false;
      last_active_ = now;
    } else if (!idle_ && now - last_active_ >= idleness_) {
      idle_ = true;
      next_->on_idle();
    }
  }
  void finish() override { next_->finish(); }

  /// Checkpoints: the largest timestamp seen and the watermark emitted, so that after a restore
  /// the same watermarks follow the same records (lateness downstream stays as it was).
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    put_watermark(out, "max_timestamp", max_ts_);
    put_watermark(out, "emitted_watermark", emitted_);
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    if (auto v = get_watermark(entries, "max_timestamp")) max_ts_ = *v;
    if (auto v = get_watermark(entries, "emitted_watermark")) emitted_ = *v;
  }

  /// The watermark this operator would emit now.
  [[nodiscard]] std::int64_t current_watermark() const noexcept {
    return max_ts_ == min_watermark ? min_watermark : max_ts_ - delay_ - 1;
  }

 private:
  /// Punctuated emission: the records before an advancing record go downstream, then the
  /// watermark, so each record is judged against the watermark of the records before it.
  void process_per_record(std::vector<T>& records) {
    this->guarded([&] {
      chunk_.clear();
      chunk_ts_.clear();
      for (auto& r : records) {
        const std::int64_t t = static_cast<std::int64_t>(fn_(static_cast<const T&>(r)));
        chunk_.push_back(std::move(r));
        chunk_ts_.push_back(t);
        if (t > max_ts_) {
          max_ts_ = t;
          const std::int64_t wm = current_watermark();
          if (wm > emitted_) {
            next_->process(chunk_, chunk_ts_);
            chunk_.clear();
            chunk_ts_.clear();
            emitted_ = wm;
            next_->on_watermark(wm);
          }
        }
      }
      if (!chunk_.empty()) next_->process(chunk_, chunk_ts_);
      chunk_.clear();
      chunk_ts_.clear();
    });
  }

  void emit(std::chrono::steady_clock::time_point now) {
    last_emit_ = now;
    const std::int64_t wm = current_watermark();
    if (wm > emitted_) {
      emitted_ = wm;
      next_->on_watermark(wm);
    }
  }

  TsFn fn_;
  std::int64_t delay_;
  std::chrono::milliseconds interval_{200};
  input_op<T>* next_;
  std::int64_t max_ts_ = min_watermark;
  std::int64_t emitted_ = min_watermark;
  std::chrono::steady_clock::time_point last_emit_{};
  int batches_since_check_ = 0;
  bool per_record_ = false;
  std::chrono::milliseconds idleness_{0};
  bool idle_ = false;
  bool active_since_tick_ = false;
  std::chrono::steady_clock::time_point last_active_{};
  std::vector<T> chunk_;
  std::vector<std::int64_t> chunk_ts_;
};

}  // namespace eddy
