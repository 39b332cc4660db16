// eddy-bench's operator workloads: see operator_bench.hpp. Definitions in docs/performance.md
// ("Interval join and session windows").
#include "operator_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "eddy/operators/interval_join_op.hpp"
#include "eddy/operators/windows.hpp"
#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/operator.hpp"

namespace eddy::bench {
namespace {

/// Counts results and sums a value of each.
template <class T, class Value>
class counting_op final : public timed_input_op<T> {
 public:
  explicit counting_op(Value value) : value_(std::move(value)) {}
  using timed_input_op<T>::process;
  void process(std::vector<T>& records, std::vector<std::int64_t>&) override {
    count += records.size();
    for (const auto& r : records) sum += value_(r);
  }
  void on_watermark(std::int64_t) override {}
  void finish() override {}
  std::uint64_t count = 0;
  std::int64_t sum = 0;

 private:
  Value value_;
};

struct rec {
  std::uint64_t key;
  std::int64_t value;
};

subtask_info bench_info() {
  subtask_info i;
  i.job_name = "operator bench";
  i.task_name = "operator bench";
  i.batch_size = 1024;
  i.clock = [] { return std::int64_t{0}; };
  return i;
}

struct result {
  double seconds = 0;
  std::string checksum;
};

/// Interval join: keys i*mix % 1000, sides alternate, 10 events per ms of event time, bounds
/// [-100, 100] ms (about one match per record); a watermark (last timestamp - 1) per batch.
result interval_join_run(std::uint64_t n) {
  const auto key = [](const rec& r) { return r.key; };
  const auto fn = [](const rec& a, const rec& b, interval_join_context&,
                     collector<std::int64_t>& out) { out.collect(a.value + b.value); };
  const auto value = [](std::int64_t v) { return v; };
  counting_op<std::int64_t, decltype(value)> sink(value);
  interval_join_op<rec, rec, std::uint64_t, decltype(key), decltype(key), std::int64_t,
                   decltype(fn)>
      op(key, key, interval_bounds{-100, 100, true, true}, fn, "", "", &sink);
  op.set_name("interval join");
  op.open(bench_info());
  std::vector<rec> left, right;
  std::vector<std::int64_t> lts, rts;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < n;) {
    left.clear();
    right.clear();
    lts.clear();
    rts.clear();
    std::int64_t last = 0;
    for (std::uint64_t j = 0; j < 1024 && i < n; ++j, ++i) {
      const rec r{detail::mix64(i) % 1000, static_cast<std::int64_t>(i % 97)};
      last = static_cast<std::int64_t>(i / 10);
      if (i % 2 == 0) {
        left.push_back(r);
        lts.push_back(last);
      } else {
        right.push_back(r);
        rts.push_back(last);
      }
    }
    op.process1(left, lts);
    op.process2(right, rts);
    op.on_watermark(last - 1);
  }
  op.on_watermark(max_watermark);
  op.finish();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {s, std::to_string(sink.count) + ":" + std::to_string(sink.sum)};
}

/// Event-time session windows (gap 300 ms) summing values: keys i*mix % 10000, 20 events per ms
/// of event time (a key's records about 500 ms apart, so about half of them merge sessions); a
/// watermark (last timestamp - 1) per batch.
result session_run(std::uint64_t n) {
  using kv = std::pair<std::uint64_t, std::int64_t>;
  const auto key = [](const kv& r) { return r.first; };
  const auto add = [](const kv& a, const kv& b) { return kv{a.first, a.second + b.second}; };
  const auto value = [](const kv& r) { return r.second; };
  counting_op<kv, decltype(value)> sink(value);
  using fn_t = reduce_window_fn<kv, decltype(add)>;
  using assigner_t = decltype(EventTimeSessionWindows::with_gap(std::chrono::milliseconds(300)));
  triggered_window_op<kv, std::uint64_t, decltype(key), assigner_t, EventTimeTrigger, no_evictor,
                      fn_t>
      op(key, EventTimeSessionWindows::with_gap(std::chrono::milliseconds(300)),
         EventTimeTrigger::create(), no_evictor{}, fn_t{add}, 0, "", &sink);
  op.set_name("session window");
  op.open(bench_info());
  std::vector<kv> batch;
  std::vector<std::int64_t> ts;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < n;) {
    batch.clear();
    ts.clear();
    for (std::uint64_t j = 0; j < 1024 && i < n; ++j, ++i) {
      batch.emplace_back(detail::mix64(i) % 10000, static_cast<std::int64_t>(i % 97));
      ts.push_back(static_cast<std::int64_t>(i / 20));
    }
    const std::int64_t last = ts.back();
    op.process(batch, ts);
    op.on_watermark(last - 1);
  }
  op.on_watermark(max_watermark);
  op.finish();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {s, std::to_string(sink.count) + ":" + std::to_string(sink.sum)};
}

bool run(const char* workload, result (*fn)(std::uint64_t), const operator_options& o) {
  std::vector<result> rs;
  for (int r = 0; r < o.repeat; ++r) rs.push_back(fn(o.events));
  for (const auto& r : rs)
    if (r.checksum != rs.front().checksum) {
      std::printf("{\"workload\":\"%s\",\"error\":\"runs disagree: %s vs %s\"}\n", workload,
                  rs.front().checksum.c_str(), r.checksum.c_str());
      return false;
    }
  std::sort(rs.begin(), rs.end(),
            [](const result& a, const result& b) { return a.seconds < b.seconds; });
  const auto& m = rs[rs.size() / 2];
  std::printf(
      "{\"workload\":\"%s\",\"impl\":\"eddy-operator\",\"parallelism\":1,\"events\":%llu,"
      "\"seconds\":%g,\"events_per_sec\":%.0f,\"checksum\":\"%s\"}\n",
      workload, static_cast<unsigned long long>(o.events), m.seconds,
      static_cast<double>(o.events) / m.seconds, m.checksum.c_str());
  std::fflush(stdout);
  return true;
}

}  // namespace

bool operator_bench(const operator_options& opts) {
  return run("interval_join", &interval_join_run, opts) &&
         run("session_window", &session_run, opts);
}

}  // namespace eddy::bench
