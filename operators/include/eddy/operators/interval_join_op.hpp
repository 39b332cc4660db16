#pragma once
/// The interval join (Flink's IntervalJoinOperator): for two keyed streams A and B with event
/// time, every pair (a, b) of equal key with
///   a.ts + lower <= b.ts <= a.ts + upper
/// (bounds exclusive when asked) is passed to fn(const A&, const B&, interval_join_context&,
/// collector<Out>&). Each result carries max(a.ts, b.ts) as its timestamp.
///
/// State: the shared keyed state backend (runtime/state/) holds per key the records of both
/// sides by timestamp (value state "join-buffers", void namespace: one hash probe per record;
/// Flink keeps one MapState per side), and one cleanup timer per (key, side, timestamp): a record
/// of A is kept until the watermark passes a.ts + upper (no later B can match it), a record of B
/// until it passes b.ts - lower. The timers (time, key, side) are kept by the operator: per side a
/// queue of timers in time order (records in event-time order append there, and fire in O(1)),
/// and a binary heap for the others (a record earlier than the last of its side); a duplicate is
/// harmless (its second firing finds nothing to remove);
/// checkpoints write them as a timer_service<K, side> does ("__timers", namespaced timers, side 0
/// left, 1 right). The hot path uses the state's table directly (typed, no virtual call) and sets
/// the backend's current key only when the key changes. A record whose timestamp is below the
/// current watermark is late: it is not joined, it is counted in late_records, and it goes to the
/// side output for late records of its side if one is consumed (Flink drops it silently).
/// Checkpoints are the backend's and the timers' entries, by key group; the entries "buffers" of
/// checkpoints written before the operator used the backend are read and converted. Owned and
/// called by one subtask actor. Its inputs must be partitioned by key group (key_by); a record of
/// a key group this subtask does not own fails the job (a routing bug).
#include <algorithm>
#include <cstdint>
#include <deque>
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
    (void)backend_->template get_value_state<sides>(buffers_name);  // creates the state
    // The typed table of that state (get_value_state created it with exactly this type).
    table_ = static_cast<table_type*>(backend_->find_state(buffers_name));
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
      // A record's cleanup timer fires once the watermark is past it (time < wm), earliest
      // first; consecutive timers of one key set it current once.
      has_key_ = false;
      for (;;) {
        // The earliest timer: the front of a side's queue or the top of the heap.
        std::int64_t when = wm;
        int from = -1;  // 0, 1: that side's queue; 2: the heap
        for (int q = 0; q < 2; ++q)
          if (!in_order_[q].empty() && in_order_[q].front().time < when) {
            when = in_order_[q].front().time;
            from = q;
          }
        if (!heap_.empty() && heap_.front().time < when) {
          when = heap_.front().time;
          from = 2;
          std::pop_heap(heap_.begin(), heap_.end(), later{});
        }
        if (from < 0) break;
        cleanup_timer& next = from == 2 ? heap_.back() : in_order_[from].front();
        const std::uint8_t side = next.side;
        if (!has_key_ || !(next.key == *timer_key_)) {
          has_key_ = false;
          timer_key_ = std::move(next.key);  // alive and unchanged while current
          set_key(*timer_key_);
        }
        if (from == 2)
          heap_.pop_back();
        else
          in_order_[from].pop_front();
        auto* c = table_->find();
        if (!c || !c->value) continue;
        auto& s = *c->value;
        if (side == 0)
          s.first.erase(bounds_.hi() > 0 ? when - bounds_.hi() : when);
        else
          s.second.erase(bounds_.lo() < 0 ? when + bounds_.lo() : when);
        if (s.first.empty() && s.second.empty()) table_->erase_current();
      }
      release_key();
    });
    next_->on_watermark(wm);
  }
  void finish() override {
    pass();
    next_->finish();
  }

  /// Checkpoints: the buffers (keyed state "join-buffers") and the cleanup timers ("__timers",
  /// as timer_service<K, std::uint8_t> writes them), one entry per state and key group.
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    if (backend_) backend_->snapshot(out);
    timer_service<K, std::uint8_t> timers;  // sorted, without duplicates: today's format
    for_each_timer(
        [&](const cleanup_timer& e) { timers.register_event_time_timer(e.key, e.side, e.time); });
    timers.snapshot(this->info_.max_parallelism, out);
  }
  /// Restores the entries above, or the "buffers" entries of the earlier format (converted: the
  /// records go into the buffers and get their cleanup timers).
  void restore_state(const std::vector<state_entry>& entries) override {
    backend_->restore(entries);
    timer_service<K, std::uint8_t> timers;
    timers.restore(entries);
    timers.for_each_timer([&](time_domain, std::int64_t t, const K& k, const std::uint8_t& side) {
      if (side > 1)
        throw std::runtime_error("interval join '" + this->name_ +
                                 "': the checkpoint holds a cleanup timer of side " +
                                 std::to_string(side) + " (0 or 1 expected)");
      add_timer(k, side, t);
    });
    if constexpr (checkpointable_v<K, A, B>) {
      const auto tag = state_type_tag<K, A, B>("interval_join");
      for (const auto& e : entries) {
        if (e.name != "buffers" || e.key_group < 0) continue;
        detail::check_type(e, tag);
        for (auto& [k, left, right] : detail::decode_state<std::vector<legacy_row>>(e)) {
          for (const auto& [t, v] : left) add_timer(k, 0, bounds_.hi() > 0 ? t + bounds_.hi() : t);
          for (const auto& [t, v] : right) add_timer(k, 1, bounds_.lo() < 0 ? t - bounds_.lo() : t);
          set_key(k);
          auto& s = cell_for_update();
          s.first.merge(left);
          s.second.merge(right);
        }
        release_key();
      }
    }
  }

  /// Records buffered on both sides (for tests).
  [[nodiscard]] std::size_t buffered() const {
    std::size_t n = 0;
    const auto* s = backend_->find_state(buffers_name);
    for (int kg = backend_->key_groups().start; kg < backend_->key_groups().end; ++kg)
      static_cast<const table_type*>(s)->for_each(kg, [&](const K&, const cell_type& c) {
        for (const auto& [t, r] : c.value->first) n += r.size();
        for (const auto& [t, r] : c.value->second) n += r.size();
      });
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
  using cell_type = detail::value_cell<sides>;
  using table_type = state_table<K, cell_type>;
  /// A cleanup timer: at `time`, the records of `key` on `side` (0 left, 1 right) it was set for
  /// are removed.
  struct cleanup_timer {
    std::int64_t time;
    K key;
    std::uint8_t side;
  };
  /// Heap order: the earliest timer on top.
  struct later {
    bool operator()(const cleanup_timer& a, const cleanup_timer& b) const {
      return a.time > b.time;
    }
  };

  void add_timer(const K& key, std::uint8_t side, std::int64_t time) {
    auto& q = in_order_[side];
    if (q.empty() || q.back().time <= time) {
      q.push_back(cleanup_timer{time, key, side});
    } else {
      heap_.push_back(cleanup_timer{time, key, side});
      std::push_heap(heap_.begin(), heap_.end(), later{});
    }
  }
  template <class F>
  void for_each_timer(F&& f) const {
    for (const auto& q : in_order_)
      for (const auto& e : q) f(e);
    for (const auto& e : heap_) f(e);
  }
  /// Makes `key` current: it must stay alive and unchanged while current (*key_ in run(),
  /// *timer_key_ in on_watermark, a decoded row in restore_state).
  void set_key(const K& key) {
    has_key_ = false;  // until set_current_key returned (it throws for a wrong key group)
    backend_->set_current_key(key);
    has_key_ = true;
  }
  void release_key() {
    has_key_ = false;
    backend_->reset_current_key();
  }
  /// The current key's buffers, inserted empty if missing (typed: no virtual call).
  sides& cell_for_update() {
    auto& c = table_->find_or_insert();
    if (!c.value) c.value.emplace();
    return *c.value;
  }

  template <bool Left, class X, class KF, class LateOut>
  void run(std::vector<X>& records, std::vector<std::int64_t>& ts, KF& key_fn, LateOut* late_out) {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      if (ts.empty() && !records.empty())
        throw std::runtime_error(
            "records have no event-time timestamps: call assign_timestamps_and_watermarks() "
            "before an interval join");
      collector<Out> c(out_);
      has_key_ = false;
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
        // The current key: set again only when the record's key differs from the last one.
        if (K k = key_fn(r); !has_key_ || !(k == *key_)) {
          has_key_ = false;  // key_ changes: it is not the current key until set again
          key_ = std::move(k);
          set_key(*key_);
        }
        const K& key = *key_;
        auto& s = cell_for_update();  // one hash probe per key change (typed, not virtual)
        if constexpr (Left) {
          // b.ts in [t + lo, t + hi]
          const auto& right = s.second;
          for (auto it = right.lower_bound(t + bounds_.lo());
               it != right.end() && it->first <= t + bounds_.hi(); ++it)
            for (const B& b : it->second) emit(r, t, b, it->first, c);
          s.first[t].push_back(r);
          add_timer(key, 0, bounds_.hi() > 0 ? t + bounds_.hi() : t);
        } else {
          // a.ts in [t - hi, t - lo]
          const auto& left = s.first;
          for (auto it = left.lower_bound(t - bounds_.hi());
               it != left.end() && it->first <= t - bounds_.lo(); ++it)
            for (const A& a : it->second) emit(a, it->first, r, t, c);
          s.second[t].push_back(r);
          add_timer(key, 1, bounds_.lo() < 0 ? t - bounds_.lo() : t);
        }
        if (out_.size() >= this->info_.batch_size) pass();
      }
      release_key();
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
  table_type* table_ = nullptr;            // the state "join-buffers", set by open()
  std::deque<cleanup_timer> in_order_[2];  // per side: timers in time order
  std::vector<cleanup_timer> heap_;        // the other timers, a heap (later)
  std::optional<K> key_;                   // the last record's key (current in run())
  std::optional<K> timer_key_;             // the key of the timer firing (current in on_watermark)
  bool has_key_ = false;  // the backend's current key is *key_ (run()) or *timer_key_
  std::int64_t watermark_ = min_watermark;
  std::vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

}  // namespace eddy
