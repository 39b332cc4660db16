#pragma once
/// Rolling aggregation on a keyed stream (reduce, sum, min, max).
///
/// Streaming mode: every input record updates its key's accumulator and the updated accumulator
/// is emitted (Flink's rolling reduce). Batch mode (`runtime_mode::batch`): nothing is emitted
/// until the end of input, then one final accumulator per key. State is held per subtask in an
/// absl::flat_hash_map (the keys of this subtask's key groups only). The reduce function must be
/// associative; it is called as `reduce(accumulator, value)`.
#include <absl/container/flat_hash_map.h>

#include <vector>

#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/operator.hpp"

namespace eddy {

/// absl's hash for the state map (process-local, fine here); key_hash() decides the partitioning.
template <class K>
struct state_key_hash {
  std::size_t operator()(const K& k) const noexcept { return key_hash(k); }
};

template <class T, class K, class KeyFn, class ReduceFn>
class keyed_reduce_op final : public input_op<T> {
 public:
  keyed_reduce_op(KeyFn key_fn, ReduceFn reduce_fn, bool final_only, input_op<T>* next)
      : key_fn_(std::move(key_fn)),
        reduce_fn_(std::move(reduce_fn)),
        final_only_(final_only),
        next_(next) {}

  void process(std::vector<T>& records) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      if (!final_only_) out_.clear();
      for (auto& r : records) {
        auto [it, inserted] = state_.try_emplace(key_fn_(static_cast<const T&>(r)), r);
        if (!inserted) it->second = reduce_fn_(static_cast<const T&>(it->second), static_cast<const T&>(r));
        if (!final_only_) out_.push_back(it->second);
      }
      if (!final_only_ && !out_.empty()) {
        this->counters_.records_out += out_.size();
        next_->process(out_);
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
  bool final_only_;
  input_op<T>* next_;
  absl::flat_hash_map<K, T, state_key_hash<K>> state_;
  std::vector<T> out_;
};

}  // namespace eddy
