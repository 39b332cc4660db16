#pragma once
/// The data generator source (Flink's datagen connector): records fn(index, random) for index in
/// [0, count) (or for ever), at most `rows_per_second` of them per second over all subtasks.
///
///     eddy::datagen::options o;
///     o.count = 1'000'000;
///     o.rows_per_second = 50'000;
///     o.seed = 42;
///     env.from_source(eddy::datagen::datagen_source<reading>(o, [](std::uint64_t i,
///                                                                  eddy::datagen::random& r) {
///       return reading{"d" + std::to_string(r.uniform(0, 99)), static_cast<std::int64_t>(i)};
///     }));
///
/// Deterministic: record i depends only on (seed, i), whatever the parallelism, so a restore
/// replays exactly the records it must. Subtask k of p emits k, k + p, ... (as from_generator);
/// the indices left are checkpointed as splits and redistributed on a restore at another
/// parallelism. The rate limit is a token bucket per subtask (rows_per_second / parallelism);
/// over the rate the source is idle and the subtask polls it again after a millisecond.
#include <chrono>
#include <cstdint>
#include <utility>

#include "eddy/connectors/rate_limiter.hpp"
#include "eddy/operators/connector.hpp"
#include "eddy/operators/sources.hpp"

namespace eddy::datagen {

struct options {
  std::uint64_t count = unbounded;  ///< records in all (eddy::unbounded: for ever)
  double rows_per_second = 0;       ///< over all subtasks; 0: as fast as the job takes them
  std::uint64_t seed = 0;
};

/// A small, fast random source (splitmix64), seeded per record from (seed, index).
class random {
 public:
  explicit random(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi] (hi >= lo).
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
    // In unsigned arithmetic: the whole int64 range (span 2^64 = 0) without overflow.
    const auto span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) +
                                     (span == 0 ? next() : next() % span));
  }
  /// Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t s_;
};

namespace detail {

template <class T, class Fn>
class reader final : public source_op<T> {
 public:
  reader(options o, Fn fn, input_op<T>* next) : source_op<T>(next), o_(o), fn_(std::move(fn)) {}
  void open(const subtask_info& info) override {
    source_op<T>::open(info);
    splits_.open(info, o_.count);
    if (o_.rows_per_second > 0) limiter_.set_rate(o_.rows_per_second / info.parallelism);
  }
  source_status produce(std::size_t max_records) override {
    max_records = limiter_.allowance(max_records);
    if (max_records == 0) return source_status::idle;
    std::uint64_t base = 0, step = 1;
    std::size_t n = 0;
    if (!splits_.take(max_records, base, step, n)) return source_status::end;
    limiter_.spend(n);
    this->guarded([&] {
      for (std::size_t k = 0; k < n; ++k) {
        const std::uint64_t i = base + k * step;
        random r(o_.seed * 0x2545F4914F6CDD1Dull + i);
        this->buffer_.push_back(fn_(i, r));
      }
    });
    this->emit_buffer();
    return splits_.done() ? source_status::end : source_status::more;
  }
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    splits_.snapshot(this->info_, out);
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    splits_.restore(this->info_, entries);
  }

 private:
  options o_;
  Fn fn_;
  eddy::detail::generator_splits splits_;
  eddy::detail::rate_limiter limiter_;
};

}  // namespace detail

/// A generator of fn(index, random&) -> T (see above).
template <class T, class Fn>
Source<T> datagen_source(options o, Fn fn) {
  return Source<T>{
      "datagen", o.count != unbounded,
      [o, fn](input_op<T>* next) { return std::make_unique<detail::reader<T, Fn>>(o, fn, next); },
      nullptr};
}

}  // namespace eddy::datagen
