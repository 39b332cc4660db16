#pragma once
/// Rolling aggregation on a keyed stream (reduce, sum, min, max).
///
/// Streaming mode: every input record updates its key's accumulator and the updated accumulator
/// is emitted (Flink's rolling reduce). Batch mode (`runtime_mode::batch`): nothing is emitted
/// until the end of input, then one final accumulator per key. The mode is the job's, read at
/// open(). State is held per subtask in an absl::flat_hash_map (the keys of this subtask's key
/// groups only). The reduce function must be associative; it is called as
/// `reduce(accumulator, value)`.
///
/// A `combiner` instance runs before the keyed exchange, chained to the upstream operator: in
/// batch mode it pre-aggregates per key and emits its partial results at the end of input (so
/// one record per key and upstream subtask crosses the exchange); in streaming mode it passes
/// records through unchanged.
#include <absl/container/flat_hash_map.h>

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

/// The state map's hash: key_hash() re-mixed, because key_hash() % max_parallelism is the key
/// group, so within one subtask its low bits are nearly constant, and absl's flat_hash_map uses
/// the low 7 bits as its per-slot tag.
template <class K>
struct state_key_hash {
  std::size_t operator()(const K& k) const noexcept {
    return detail::mix64(key_hash(k) + 0x632be59bd9b4e019ULL);
  }
};

enum class reduce_role { combiner, final };

template <class T, class K, class KeyFn, class ReduceFn>
class keyed_reduce_op final : public timed_input_op<T> {
 public:
  keyed_reduce_op(KeyFn key_fn, ReduceFn reduce_fn, reduce_role role, input_op<T>* next)
      : key_fn_(std::move(key_fn)), reduce_fn_(std::move(reduce_fn)), role_(role), next_(next) {
    this->downstream_ = next;
  }

  void open(const subtask_info& info) override {
    input_op<T>::open(info);
    final_only_ = info.mode == runtime_mode::batch;
    pass_through_ = role_ == reduce_role::combiner && !final_only_;
  }

  using timed_input_op<T>::process;
  /// Streaming: each emitted accumulator carries the timestamp of the record that updated it.
  /// Batch: final values carry no timestamp.
  void process(std::vector<T>& records, std::vector<std::int64_t>& ts) override {
    this->counters_.records_in += records.size();
    if (pass_through_) {
      this->counters_.records_out += records.size();
      next_->process(records, ts);
      return;
    }
    this->guarded([&] {
      if (!final_only_) out_.clear();
      for (auto& r : records) {
        auto [it, inserted] = state_.try_emplace(key_fn_(static_cast<const T&>(r)), r);
        if (!inserted)
          it->second = reduce_fn_(static_cast<const T&>(it->second), static_cast<const T&>(r));
        if (!final_only_) out_.push_back(it->second);
      }
      if (!final_only_ && !out_.empty()) {
        this->counters_.records_out += out_.size();
        next_->process(out_, ts);
        out_.clear();
      }
    });
  }

  void finish() override {
    this->guarded([&] {
      if (final_only_) {
        const std::size_t limit = this->info_.batch_size;
        out_.clear();
        for (auto& [k, v] : state_) {
          out_.push_back(std::move(v));
          if (out_.size() >= limit) pass();
        }
        pass();
        state_.clear();
      }
      next_->finish();
    });
  }

  /// Checkpoints: the accumulator of every key, by key group.
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    if (state_.empty()) return;
    if constexpr (checkpointable_v<K, T>)
      put_keyed_map<K, T>(out, "accumulators", state_, this->info_.max_parallelism);
    else
      throw_not_checkpointable<K, T>("the state of '" + this->name_ + "'");
  }
  /// Asynchronous: the accumulators are copied into a flat vector now and encoded later.
  std::function<void(std::vector<state_entry>&)> snapshot_state_async(
      std::uint64_t id, std::vector<state_entry>& out) override {
    if constexpr (checkpointable_v<K, T> && std::is_copy_constructible_v<K> &&
                  std::is_copy_constructible_v<T>) {
      if (state_.empty()) return {};
      auto rows = std::make_shared<std::vector<std::pair<K, T>>>(state_.begin(), state_.end());
      return [rows, maxp = this->info_.max_parallelism](std::vector<state_entry>& later) {
        put_keyed_map<K, T>(later, "accumulators", *rows, maxp);
      };
    } else {
      snapshot_state(id, out);
      return {};
    }
  }
  /// A combiner's partial accumulators of one key may come from several old subtasks (it runs
  /// before the exchange): they are reduced together.
  void restore_state(const std::vector<state_entry>& entries) override {
    if constexpr (checkpointable_v<K, T>) {
      const auto tag = state_type_tag<K, T>("keyed_map");
      this->guarded([&] {
        for (const auto& e : entries) {
          if (e.key_group < 0 || e.name != "accumulators") continue;
          detail::check_type(e, tag);
          for (auto& [k, v] : detail::decode_state<std::vector<std::pair<K, T>>>(e)) {
            auto [it, inserted] = state_.try_emplace(std::move(k), v);
            if (!inserted)
              it->second = reduce_fn_(static_cast<const T&>(it->second), static_cast<const T&>(v));
          }
        }
      });
    }
  }

  /// Number of keys held (tests, metrics).
  [[nodiscard]] std::size_t key_count() const noexcept { return state_.size(); }

 private:
  void pass() {
    if (out_.empty()) return;
    this->counters_.records_out += out_.size();
    next_->process(out_);
    out_.clear();
  }
  KeyFn key_fn_;
  ReduceFn reduce_fn_;
  reduce_role role_;
  bool final_only_ = false;
  bool pass_through_ = false;
  input_op<T>* next_;
  absl::flat_hash_map<K, T, state_key_hash<K>> state_;
  std::vector<T> out_;
};

}  // namespace eddy
