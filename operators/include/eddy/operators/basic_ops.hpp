#pragma once
/// The stateless per-record operators: map, filter, flat_map and the union pass-through.
/// Each processes a whole batch in one virtual call, with the user's function inlined in the
/// loop. Every subtask owns its own copy of the function object (as Flink copies functions per
/// subtask), so functions may keep per-subtask state without locking; state that must survive a
/// restore is declared with snapshot_state/restore_state (checkpointed_function.hpp). Exceptions
/// thrown by user functions become `operator_error`s naming the operator and subtask.
#include <cstdint>
#include <type_traits>
#include <vector>

#include "eddy/operators/checkpointed_function.hpp"
#include "eddy/operators/collector.hpp"
#include "eddy/runtime/operator.hpp"

namespace eddy {

template <class In, class Out, class F>
class map_op final : public timed_input_op<In> {
 public:
  map_op(F f, input_op<Out>* next) : f_(std::move(f)), next_(next) { this->downstream_ = next; }

  using timed_input_op<In>::process;
  void process(std::vector<In>& records, std::vector<std::int64_t>& ts) override {
    const auto n = records.size();
    this->counters_.records_in += n;
    this->counters_.records_out += n;
    this->guarded([&] {
      if constexpr (std::is_same_v<In, Out>) {  // in place: no allocation, no copy
        if constexpr (std::is_reference_v<std::invoke_result_t<F&, In&&>>) {
          for (auto& r : records) {  // the result may be `r` itself: never move onto itself
            Out v = f_(std::move(r));
            r = std::move(v);
          }
        } else {
          for (auto& r : records) r = f_(std::move(r));
        }
        next_->process(records, ts);
      } else {
        out_.clear();
        out_.reserve(n);
        for (auto& r : records) out_.push_back(f_(std::move(r)));
        next_->process(out_, ts);  // one output per input: the timestamps stay parallel
        out_.clear();
      }
    });
  }
  void finish() override { next_->finish(); }
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    this->guarded([&] { detail::snapshot_function(f_, out); });
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    this->guarded([&] { detail::restore_function(f_, entries); });
  }

 private:
  F f_;
  input_op<Out>* next_;
  std::vector<Out> out_;
};

template <class T, class F>
class filter_op final : public timed_input_op<T> {
 public:
  filter_op(F f, input_op<T>* next) : f_(std::move(f)), next_(next) { this->downstream_ = next; }

  using timed_input_op<T>::process;
  void process(std::vector<T>& records, std::vector<std::int64_t>& ts) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      std::size_t w = 0;  // compact in place
      const std::size_t n = records.size();
      const bool timed = !ts.empty();
      if constexpr (std::is_trivially_copyable_v<T>) {
        T* r = records.data();  // branch-free: copy always, advance when kept
        if (timed) {
          std::int64_t* t = ts.data();
          for (std::size_t i = 0; i < n; ++i) {
            const bool keep = f_(static_cast<const T&>(r[i]));
            r[w] = r[i];
            t[w] = t[i];
            w += keep ? 1 : 0;
          }
        } else {
          for (std::size_t i = 0; i < n; ++i) {
            const bool keep = f_(static_cast<const T&>(r[i]));
            r[w] = r[i];
            w += keep ? 1 : 0;
          }
        }
      } else {
        for (std::size_t i = 0; i < n; ++i) {
          if (f_(static_cast<const T&>(records[i]))) {
            if (w != i) {
              records[w] = std::move(records[i]);
              if (timed) ts[w] = ts[i];
            }
            ++w;
          }
        }
      }
      records.erase(records.begin() + static_cast<std::ptrdiff_t>(w), records.end());
      if (timed) ts.resize(w);
      this->counters_.records_out += w;
      if (w) next_->process(records, ts);
    });
  }
  void finish() override { next_->finish(); }
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    this->guarded([&] { detail::snapshot_function(f_, out); });
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    this->guarded([&] { detail::restore_function(f_, entries); });
  }

 private:
  F f_;
  input_op<T>* next_;
};

template <class In, class Out, class F>
class flat_map_op final : public timed_input_op<In> {
 public:
  flat_map_op(F f, input_op<Out>* next) : f_(std::move(f)), next_(next) {
    this->downstream_ = next;
  }

  void open(const subtask_info& info) override {
    input_op<In>::open(info);
    out_.reserve(info.batch_size);
  }

  using timed_input_op<In>::process;
  void process(std::vector<In>& records, std::vector<std::int64_t>& ts) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      collector<Out> c(out_);
      const std::size_t limit = this->info_.batch_size;
      const bool timed = !ts.empty();
      for (std::size_t i = 0; i < records.size(); ++i) {
        f_(std::move(records[i]), c);
        if (timed) out_ts_.resize(out_.size(), ts[i]);  // outputs inherit the input's timestamp
        if (out_.size() >= limit) pass();               // keeps output batches bounded
      }
      pass();
    });
  }
  void finish() override { next_->finish(); }
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    this->guarded([&] { detail::snapshot_function(f_, out); });
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    this->guarded([&] { detail::restore_function(f_, entries); });
  }

 private:
  void pass() {
    if (out_.empty()) return;
    this->counters_.records_out += out_.size();
    next_->process(out_, out_ts_);
    out_.clear();
    out_ts_.clear();
  }
  F f_;
  input_op<Out>* next_;
  std::vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

/// Merges several inputs of the same type (union_with).
template <class T>
class union_op final : public timed_input_op<T> {
 public:
  explicit union_op(input_op<T>* next) : next_(next) { this->downstream_ = next; }
  using timed_input_op<T>::process;
  void process(std::vector<T>& records, std::vector<std::int64_t>& ts) override {
    this->counters_.records_in += records.size();
    this->counters_.records_out += records.size();
    next_->process(records, ts);
  }
  void finish() override { next_->finish(); }

 private:
  input_op<T>* next_;
};

}  // namespace eddy
