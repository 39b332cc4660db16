#pragma once
/// The interval join (Flink's IntervalJoinOperator): for two keyed streams A and B with event
/// time, every pair (a, b) of equal key with
///   a.ts + lower <= b.ts <= a.ts + upper
/// (bounds exclusive when asked) is passed to fn(const A&, const B&, interval_join_context&,
/// collector<Out>&). Each result carries max(a.ts, b.ts) as its timestamp.
///
/// State: per key, the records of each side by timestamp. A record of A is kept until the
/// watermark passes a.ts + upper (no later B can match it), a record of B until it passes
/// b.ts - lower. A record whose timestamp is below the current watermark is late: it is not
/// joined, it is counted in late_records, and it goes to the side output for late records of its
/// side if one is consumed (Flink drops it silently). Owned and called by one subtask actor.
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/operators/collector.hpp"
#include "eddy/operators/keyed_reduce_op.hpp"
#include "eddy/runtime/operator.hpp"
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
      cleanup(cleanup_a_, wm, true);
      cleanup(cleanup_b_, wm, false);
    });
    next_->on_watermark(wm);
  }
  void finish() override {
    pass();
    next_->finish();
  }

  /// Checkpoints: the buffered records of both sides, per key group (cleanup times are derived
  /// from them on restore).
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    if (state_.empty()) return;
    if constexpr (checkpointable_v<K, A, B>) {
      using left_t = std::tuple_element_t<1, row>;
      using right_t = std::tuple_element_t<2, row>;
      put_keyed_rows<K, left_t, right_t>(out, "buffers", state_type_tag<K, A, B>("interval_join"),
                                         this->info_.max_parallelism, [&](auto&& emit) {
                                           for (const auto& [k, s] : state_)
                                             emit(key_hash(k), k, s.left, s.right);
                                         });
    } else {
      throw_not_checkpointable<K, A, B>("the buffered records of '" + this->name_ + "'");
    }
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    if constexpr (checkpointable_v<K, A, B>) {
      const auto tag = state_type_tag<K, A, B>("interval_join");
      for (const auto& e : entries) {
        if (e.name != "buffers" || e.key_group < 0) continue;
        detail::check_type(e, tag);
        for (auto& [k, left, right] : detail::decode_state<std::vector<row>>(e)) {
          for (const auto& [t, v] : left)
            cleanup_a_.emplace(bounds_.hi() > 0 ? t + bounds_.hi() : t, k);
          for (const auto& [t, v] : right)
            cleanup_b_.emplace(bounds_.lo() < 0 ? t - bounds_.lo() : t, k);
          auto& s = state_[k];
          s.left = std::move(left);
          s.right = std::move(right);
        }
      }
    }
  }

  /// Records buffered on both sides (for tests).
  [[nodiscard]] std::size_t buffered() const {
    std::size_t n = 0;
    for (const auto& [k, s] : state_) {
      for (const auto& [t, v] : s.left) n += v.size();
      for (const auto& [t, v] : s.right) n += v.size();
    }
    return n;
  }

 private:
  struct sides {
    std::map<std::int64_t, std::vector<A>> left;
    std::map<std::int64_t, std::vector<B>> right;
  };
  using row =
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
        auto& s = state_[key];
        if constexpr (Left) {
          // b.ts in [t + lo, t + hi]
          for (auto it = s.right.lower_bound(t + bounds_.lo());
               it != s.right.end() && it->first <= t + bounds_.hi(); ++it)
            for (const B& b : it->second) emit(r, t, b, it->first, c);
          s.left[t].push_back(r);
          cleanup_a_.emplace(bounds_.hi() > 0 ? t + bounds_.hi() : t, key);
        } else {
          // a.ts in [t - hi, t - lo]
          for (auto it = s.left.lower_bound(t - bounds_.hi());
               it != s.left.end() && it->first <= t - bounds_.lo(); ++it)
            for (const A& a : it->second) emit(a, it->first, r, t, c);
          s.right[t].push_back(r);
          cleanup_b_.emplace(bounds_.lo() < 0 ? t - bounds_.lo() : t, key);
        }
        if (out_.size() >= this->info_.batch_size) pass();
      }
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

  /// Drops the records whose cleanup time the watermark has passed.
  void cleanup(std::set<std::pair<std::int64_t, K>>& index, std::int64_t wm, bool left) {
    while (!index.empty() && index.begin()->first < wm) {
      auto node = index.extract(index.begin());
      const auto& [when, key] = node.value();
      auto it = state_.find(key);
      if (it == state_.end()) continue;
      auto& s = it->second;
      // Records of this side whose cleanup time is <= `when`.
      if (left) {
        const std::int64_t max_ts = bounds_.hi() > 0 ? when - bounds_.hi() : when;
        s.left.erase(s.left.begin(), s.left.upper_bound(max_ts));
      } else {
        const std::int64_t max_ts = bounds_.lo() < 0 ? when + bounds_.lo() : when;
        s.right.erase(s.right.begin(), s.right.upper_bound(max_ts));
      }
      if (s.left.empty() && s.right.empty()) state_.erase(it);
    }
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
  absl::flat_hash_map<K, sides, state_key_hash<K>> state_;
  std::set<std::pair<std::int64_t, K>> cleanup_a_, cleanup_b_;  // (cleanup time, key)
  std::int64_t watermark_ = min_watermark;
  std::vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

}  // namespace eddy
