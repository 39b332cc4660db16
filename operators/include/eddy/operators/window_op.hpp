#pragma once
/// The keyed event-time window operator for the common case: a non-merging event-time assigner
/// (tumbling, sliding), the default event-time trigger and no evictor. Windows with other
/// assigners, triggers or evictors run in triggered_window_op (triggered_window_op.hpp); both give
/// the same results for this case, this one faster (no per-record timers).
///
/// A window [start, end) fires once the watermark reaches end - 1 (its max_timestamp()); its
/// results carry that timestamp. With allowed lateness L the window's state is kept until the
/// watermark reaches end - 1 + L, and each record arriving in that time fires the window again with
/// the updated result (Flink's late firing). Records for windows already past their lateness are
/// late: they are counted in the operator's `late_records` and, with side_output_late_data(tag),
/// sent to that side output. State is per subtask: for each window end, a hash map from key to
/// accumulator.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "eddy/operators/collector.hpp"
#include "eddy/operators/keyed_reduce_op.hpp"
#include "eddy/operators/window_assigners.hpp"
#include "eddy/operators/window_functions.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

/// The keyed event-time window operator.
template <class T, class K, class KeyFn, class Assigner, class WinFn>
class window_op final : public timed_input_op<T> {
 public:
  using Out = typename WinFn::output;
  using Acc = typename WinFn::accumulator;

  window_op(KeyFn key_fn, Assigner assigner, WinFn win_fn, std::int64_t allowed_lateness,
            std::string late_tag, input_op<Out>* next)
      : key_fn_(std::move(key_fn)),
        assigner_(std::move(assigner)),
        win_fn_(std::move(win_fn)),
        lateness_(allowed_lateness),
        late_tag_(std::move(late_tag)),
        next_(next) {
    this->downstream_ = next;
  }

  /// Without a late-data side output (late records are only counted).
  window_op(KeyFn key_fn, Assigner assigner, WinFn win_fn, std::int64_t allowed_lateness,
            input_op<Out>* next)
      : window_op(std::move(key_fn), std::move(assigner), std::move(win_fn), allowed_lateness,
                  std::string(), next) {}

  void open(const subtask_info& info) override {
    input_op<T>::open(info);
    if (!late_tag_.empty()) late_out_ = dynamic_cast<input_op<T>*>(this->side_output(late_tag_));
  }

  using timed_input_op<T>::process;
  void process(std::vector<T>& records, std::vector<std::int64_t>& ts) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      if (ts.empty() && !records.empty())
        throw std::runtime_error(
            "records have no event-time timestamps: call assign_timestamps_and_watermarks() "
            "before an event-time window");
      for (std::size_t i = 0; i < records.size(); ++i) {
        const T& r = records[i];
        const std::int64_t t = ts[i];
        bool assigned = false;
        assigner_.assign(t, [&](const time_window& w) {
          if (w.max_timestamp() + lateness_ <= watermark_ && watermark_ != min_watermark) return;
          assigned = true;
          auto& keys = window_keys(w.end);
          auto [it, inserted] = keys.try_emplace(key_fn_(r), Acc{});
          if (inserted) it->second = win_fn_.create();
          win_fn_.add(it->second, r);
          // A window that already fired fires again for each late record (Flink's late firing).
          if (w.max_timestamp() <= watermark_) {
            emit(it->first, w, it->second);
            cached_->fired_up_to = w.end;  // the watermark must not fire it once more
          }
        });
        if (!assigned) {
          ++this->counters_.late_records;
          if (late_out_) {
            late_.push_back(r);
            late_ts_.push_back(t);
          }
        }
      }
      pass();
      if (!late_.empty()) {
        late_out_->process(late_, late_ts_);
        late_.clear();
        late_ts_.clear();
      }
    });
  }

  void on_watermark(std::int64_t wm) override {
    this->guarded([&] {
      watermark_ = wm;
      while (!windows_.empty()) {
        auto it = windows_.begin();
        const std::int64_t end = it->first;
        const time_window w{end - assigner_.window_size(), end};
        if (w.max_timestamp() > wm) break;
        if (it->second.fired_up_to < end) {
          for (auto& [key, acc] : it->second.keys) emit(key, w, acc);
          it->second.fired_up_to = end;
        }
        if (w.max_timestamp() + lateness_ <= wm || wm == max_watermark) {
          if (cached_end_ == end) cached_ = nullptr;
          windows_.erase(it);
        } else {
          break;  // kept for late firings; later windows fire on later watermarks
        }
      }
      // Windows kept for lateness whose successors are due: fire those too.
      for (auto& [end, win] : windows_) {
        if (end - 1 > wm) break;
        if (win.fired_up_to < end) {
          const time_window w{end - assigner_.window_size(), end};
          for (auto& [key, acc] : win.keys) emit(key, w, acc);
          win.fired_up_to = end;
        }
      }
      pass();
    });
    next_->on_watermark(wm);
  }

  void finish() override {
    pass();
    next_->finish();
  }

  /// Checkpoints: every (key, window end, accumulator, fired) by key group.
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    if constexpr (checkpointable_v<K, Acc>) {
      put_keyed_rows<K, std::int64_t, Acc, bool>(out, "windows", state_type_tag<K, Acc>("windows"),
                                                 this->info_.max_parallelism, [&](auto&& emit) {
                                                   for (const auto& [end, ws] : windows_) {
                                                     const bool fired = ws.fired_up_to >= end;
                                                     for (const auto& [k, acc] : ws.keys)
                                                       emit(key_hash(k), k, end, acc, fired);
                                                   }
                                                 });
      put_watermark(out, "watermark", watermark_);
    } else {
      if (!windows_.empty())
        throw_not_checkpointable<K, Acc>("the windows of '" + this->name_ + "'");
    }
  }
  /// Asynchronous: copies the rows into one flat vector now (no hashing), groups and encodes
  /// them later on the snapshot helper; the same entries as snapshot_state, in the same order.
  std::function<void(std::vector<state_entry>&)> snapshot_state_async(
      std::uint64_t id, std::vector<state_entry>& out) override {
    if constexpr (checkpointable_v<K, Acc> && std::is_copy_constructible_v<K> &&
                  std::is_copy_constructible_v<Acc>) {
      using row = std::tuple<K, std::int64_t, Acc, bool>;
      std::size_t n = 0;
      for (const auto& [end, ws] : windows_) n += ws.keys.size();
      auto rows = std::make_shared<std::vector<row>>();
      rows->reserve(n);
      for (const auto& [end, ws] : windows_) {
        const bool fired = ws.fired_up_to >= end;
        for (const auto& [k, acc] : ws.keys) rows->emplace_back(k, end, acc, fired);
      }
      return [rows, maxp = this->info_.max_parallelism,
              watermark = watermark_](std::vector<state_entry>& later) {
        put_keyed_rows<K, std::int64_t, Acc, bool>(
            later, "windows", state_type_tag<K, Acc>("windows"), maxp, [&](auto&& emit) {
              for (const auto& [k, end, acc, fired] : *rows) emit(key_hash(k), k, end, acc, fired);
            });
        put_watermark(later, "watermark", watermark);
      };
    } else {
      snapshot_state(id, out);
      return {};
    }
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    if constexpr (checkpointable_v<K, Acc>) {
      using row = std::tuple<K, std::int64_t, Acc, bool>;
      const auto tag = state_type_tag<K, Acc>("windows");
      for (const auto& e : entries) {
        if (e.name != "windows" || e.key_group < 0) continue;
        detail::check_type(e, tag);
        for (auto& [k, end, acc, fired] : detail::decode_state<std::vector<row>>(e)) {
          auto& ws = windows_[end];
          ws.keys.insert_or_assign(std::move(k), std::move(acc));
          if (fired) ws.fired_up_to = end;
        }
      }
      if (auto w = get_watermark(entries, "watermark")) watermark_ = *w;
      cached_ = nullptr;
    }
  }

 private:
  struct window_state {
    absl::flat_hash_map<K, Acc, state_key_hash<K>> keys;
    std::int64_t fired_up_to = min_watermark;  // == end once fired
  };

  absl::flat_hash_map<K, Acc, state_key_hash<K>>& window_keys(std::int64_t end) {
    if (cached_ && cached_end_ == end) return cached_->keys;
    auto& ws = windows_[end];
    cached_ = &ws;
    cached_end_ = end;
    return ws.keys;
  }

  void emit(const K& key, const time_window& w, const Acc& acc) {
    collector<Out> c(out_);
    win_fn_.emit(key, w, acc, c);
    out_ts_.resize(out_.size(), w.max_timestamp());
    if (out_.size() >= this->info_.batch_size) pass();
  }

  void pass() {
    if (out_.empty()) return;
    this->counters_.records_out += out_.size();
    next_->process(out_, out_ts_);
    out_.clear();
    out_ts_.clear();
  }

  KeyFn key_fn_;
  Assigner assigner_;
  WinFn win_fn_;
  std::int64_t lateness_;
  std::string late_tag_;
  input_op<T>* late_out_ = nullptr;  // side output for late records, if consumed
  std::vector<T> late_;
  std::vector<std::int64_t> late_ts_;
  input_op<Out>* next_;
  std::map<std::int64_t, window_state> windows_;  // by window end
  window_state* cached_ = nullptr;
  std::int64_t cached_end_ = 0;
  std::int64_t watermark_ = min_watermark;
  std::vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

}  // namespace eddy
