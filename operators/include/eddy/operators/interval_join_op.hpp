#pragma once
/// The interval join (Flink's IntervalJoinOperator): for two keyed streams A and B with event
/// time, every pair (a, b) of equal key with
///   a.ts + lower <= b.ts <= a.ts + upper
/// (bounds exclusive when asked) is passed to fn(const A&, const B&, interval_join_context&,
/// collector<Out>&). Each result carries max(a.ts, b.ts) as its timestamp.
///
/// State: the shared keyed state backend (runtime/state/) holds per key the records of both
/// sides by timestamp (value state "join-buffers", void namespace: one hash probe per record;
/// Flink keeps one MapState per side), and a timer_service<K, side> holds one cleanup timer per
/// (key, side, timestamp): a record of A is kept until the watermark passes a.ts + upper (no later
/// B can match it), a record of B until it passes b.ts - lower. A record whose timestamp is below
/// the current watermark is late: it is not joined, it is counted in late_records, and it goes to
/// the side output for late records of its side if one is consumed (Flink drops it silently).
/// Checkpoints are the backend's and the timers' entries, by key group; the entries "buffers" of
/// checkpoints written before the operator used the backend are read and converted. Owned and
/// called by one subtask actor. Its inputs must be partitioned by key group (key_by); a record of
/// a key group this subtask does not own fails the job (a routing bug).
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/operators/collector.hpp"
#include "eddy/operators/keyed_reduce_op.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/state/keyed_state_backend.hpp"
#include "eddy/runtime/state/timer_service.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

/// What an interval join function sees of the pair it is called for.
class interval_join_context {
 public:
  [[nodiscard]] std::int64_t left_timestamp() const { return left_ts_; }
  [[nodiscard]] std::int64_t right_timestamp() const { return right_ts_; }
  /// The result's timestamp: max(left, right).
  [[nodiscard]] std::int64_t timestamp() const { return std::max(left_ts_, right_ts_); }

 private:
  template <class, class, class, class, class, class, class>
  friend class interval_join_op;
  std::int64_t left_ts_ = 0;
  std::int64_t right_ts_ = 0;
};

/// Bounds of an interval join, in ms relative to the left record's timestamp.
struct interval_bounds {
  std::int64_t lower = 0;
  std::int64_t upper = 0;
  bool lower_inclusive = true;
  bool upper_inclusive = true;
  /// The effective inclusive bounds.
  [[nodiscard]] std::int64_t lo() const { return lower_inclusive ? lower : lower + 1; }
  [[nodiscard]] std::int64_t hi() const { return upper_inclusive ? upper : upper - 1; }
};

template <class A, class B, class K, class KeyA, class KeyB, class Out, class Fn>
class interval_join_op final : public two_input_op<A, B> {
 public:
  interval_join_op(KeyA key_a, KeyB key_b, interval_bounds bounds, Fn fn, std::string late_a,
                   std::string late_b, input_op<Out>* next)
      : key_a_(std::move(key_a)),
        key_b_(std::move(key_b)),
        bounds_(bounds),
        fn_(std::move(fn)),
        late_tag_a_(std::move(late_a)),
        late_tag_b_(std::move(late_b)),
        next_(next) {
    this->downstream_ = next;
  }

  void open(const subtask_info& info) override {
    two_input_op<A, B>::open(info);
    if (!late_tag_a_.empty())
      late_out_a_ = dynamic_cast<input_op<A>*>(this->side_output(late_tag_a_));
    if (!late_tag_b_.empty())
      late_out_b_ = dynamic_cast<input_op<B>*>(this->side_output(late_tag_b_));
    backend_ = std::make_unique<keyed_state_backend<K>>(
        info.max_parallelism, info.parallelism, info.index,
        [this] { return this->current_processing_time(); });
    buffers_ = backend_->template get_value_state<sides>(buffers_name);
  }

  void process1(std::vector<A>& records, std::vector<std::int64_t>& ts) override {
    run<true>(records, ts, key_a_, late_out_a_);
  }
  void process2(std::vector<B>& records, std::vector<std::int64_t>& ts) override {
    run<false>(records, ts, key_b_, late_out_b_);
  }

  void on_watermark(std::int64_t wm) override {
    this->guarded([&] {
      watermark_ = wm;
      // A record's cleanup timer fires once the watermark is past it.
      if (wm != min_watermark)
        timers_.fire_event_time_timers(
            wm - 1, [&](std::int64_t when, const K& key, const std::uint8_t& side) {
              backend_->set_current_key(key);
              if (!buffers_->value()) return;
              auto& s = buffers_->value_for_update();  // the cached cell: no second lookup
              if (side == 0)
                s.first.erase(bounds_.hi() > 0 ? when - bounds_.hi() : when);
              else
                s.second.erase(bounds_.lo() < 0 ? when + bounds_.lo() : when);
              if (s.first.empty() && s.second.empty()) buffers_->clear();
            });
      backend_->reset_current_key();
    });
    next_->on_watermark(wm);
  }
  void finish() override {
    pass();
    next_->finish();
  }

  /// Checkpoints: the buffers (keyed state "join-buffers") and the cleanup
  /// timers, one entry per state and key group.
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    if (backend_) backend_->snapshot(out);
    timers_.snapshot(this->info_.max_parallelism, out);
  }
  /// Restores the entries above, or the "buffers" entries of the earlier format (converted: the
  /// records go into the buffers and get their cleanup timers).
  void restore_state(const std::vector<state_entry>& entries) override {
    backend_->restore(entries);
    timers_.restore(entries);
    if constexpr (checkpointable_v<K, A, B>) {
      const auto tag = state_type_tag<K, A, B>("interval_join");
      for (const auto& e : entries) {
        if (e.name != "buffers" || e.key_group < 0) continue;
        detail::check_type(e, tag);
        for (auto& [k, left, right] : detail::decode_state<std::vector<legacy_row>>(e)) {
          backend_->set_current_key(k);
          for (const auto& [t, v] : left)
            timers_.register_event_time_timer(k, 0, bounds_.hi() > 0 ? t + bounds_.hi() : t);
          for (const auto& [t, v] : right)
            timers_.register_event_time_timer(k, 1, bounds_.lo() < 0 ? t - bounds_.lo() : t);
          auto& s = buffers_->value_for_update();
          s.first.merge(left);
          s.second.merge(right);
        }
        backend_->reset_current_key();
      }
    }
  }

  /// Records buffered on both sides (for tests).
  [[nodiscard]] std::size_t buffered() const {
    std::size_t n = 0;
    const auto* s = backend_->find_state(buffers_name);
    for (int kg = backend_->key_groups().start; kg < backend_->key_groups().end; ++kg)
      s->for_each_key(kg, [&](const K& k) {
        backend_->set_current_key(k);
        const auto& v = buffers_->value();
        for (const auto& [t, r] : v->first) n += r.size();
        for (const auto& [t, r] : v->second) n += r.size();
      });
    backend_->reset_current_key();
    return n;
  }

 private:
  static constexpr const char* buffers_name = "join-buffers";
  /// A key's buffered records by timestamp: left (A) and right (B).
  using sides =
      std::pair<std::map<std::int64_t, std::vector<A>>, std::map<std::int64_t, std::vector<B>>>;
  /// A key's row of the earlier format ("buffers"): key, left records, right records by time.
  using legacy_row =
      std::tuple<K, std::map<std::int64_t, std::vector<A>>, std::map<std::int64_t, std::vector<B>>>;

  template <bool Left, class X, class KF, class LateOut>
  void run(std::vector<X>& records, std::vector<std::int64_t>& ts, KF& key_fn, LateOut* late_out) {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      if (ts.empty() && !records.empty())
        throw std::runtime_error(
            "records have no event-time timestamps: call assign_timestamps_and_watermarks() "
            "before an interval join");
      collector<Out> c(out_);
      std::vector<X> late;
      std::vector<std::int64_t> late_ts;
      for (std::size_t i = 0; i < records.size(); ++i) {
        const X& r = records[i];
        const std::int64_t t = ts[i];
        if (watermark_ != min_watermark && t < watermark_) {
          ++this->counters_.late_records;
          if (late_out) {
            late.push_back(r);
            late_ts.push_back(t);
          }
          continue;
        }
        const K key = key_fn(r);
        backend_->set_current_key(key);
        if constexpr (Left) {
          // b.ts in [t + lo, t + hi]
          auto& s = buffers_->value_for_update();  // one hash probe per record
          const auto& right = s.second;
          for (auto it = right.lower_bound(t + bounds_.lo());
               it != right.end() && it->first <= t + bounds_.hi(); ++it)
            for (const B& b : it->second) emit(r, t, b, it->first, c);
          s.first[t].push_back(r);
          timers_.register_event_time_timer(key, 0, bounds_.hi() > 0 ? t + bounds_.hi() : t);
        } else {
          // a.ts in [t - hi, t - lo]
          auto& s = buffers_->value_for_update();
          const auto& left = s.first;
          for (auto it = left.lower_bound(t - bounds_.hi());
               it != left.end() && it->first <= t - bounds_.lo(); ++it)
            for (const A& a : it->second) emit(a, it->first, r, t, c);
          s.second[t].push_back(r);
          timers_.register_event_time_timer(key, 1, bounds_.lo() < 0 ? t - bounds_.lo() : t);
        }
        if (out_.size() >= this->info_.batch_size) pass();
      }
      backend_->reset_current_key();
      pass();
      if (!late.empty()) late_out->process(late, late_ts);
    });
  }

  void emit(const A& a, std::int64_t ta, const B& b, std::int64_t tb, collector<Out>& c) {
    ctx_.left_ts_ = ta;
    ctx_.right_ts_ = tb;
    const std::size_t before = out_.size();
    fn_(a, b, ctx_, c);
    if (out_.size() > before) out_ts_.resize(out_.size(), std::max(ta, tb));
  }

  void pass() {
    if (out_.empty()) return;
    this->counters_.records_out += out_.size();
    next_->process(out_, out_ts_);
    out_.clear();
    out_ts_.clear();
  }

  KeyA key_a_;
  KeyB key_b_;
  interval_bounds bounds_;
  Fn fn_;
  std::string late_tag_a_, late_tag_b_;
  input_op<A>* late_out_a_ = nullptr;
  input_op<B>* late_out_b_ = nullptr;
  input_op<Out>* next_;
  interval_join_context ctx_;
  std::unique_ptr<keyed_state_backend<K>> backend_;
  std::optional<value_state<sides>> buffers_;  // set by open()
  timer_service<K, std::uint8_t> timers_;      // cleanup timers; namespace: 0 left, 1 right
  std::int64_t watermark_ = min_watermark;
  std::vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

}  // namespace eddy
