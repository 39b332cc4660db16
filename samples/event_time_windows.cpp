// Event time and windows, used by docs/time-and-windows.md. The program checks its own results
// and exits non-zero if one is wrong.
#include <eddy/operators/datastream.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

using namespace std::chrono_literals;

// [types]
struct reading {
  std::string sensor;
  std::int64_t ts_ms;  // event time
  double celsius;
};

/// Count, sum and maximum of a window's readings (an AggregateFunction).
struct stats {
  struct acc {
    std::int64_t count = 0;
    double sum = 0;
    double max = -1e300;
  };
  acc create_accumulator() const { return {}; }
  void add(acc& a, const reading& r) const {
    ++a.count;
    a.sum += r.celsius;
    a.max = std::max(a.max, r.celsius);
  }
  acc get_result(const acc& a) const { return a; }
};
// [types]

int main() {
  int failures = 0;
  // Out of order by up to 2 s; "b" has a reading that is 9 s late.
  std::vector<reading> readings = {
      {"a", 1000, 20.0},  {"b", 1500, 30.0},  {"a", 9000, 22.0}, {"a", 7000, 21.0},
      {"b", 12000, 31.0}, {"a", 15000, 25.0}, {"b", 3000, 35.0}, {"a", 21000, 26.0},
  };

  // [tumbling]
  using row = std::tuple<std::string, std::int64_t, std::int64_t, std::int64_t, double>;
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto windows = env.from_collection(readings)
                     .set_parallelism(1)  // one source and one assigner keep the readings' order
                     .assign_timestamps_and_watermarks(
                         eddy::WatermarkStrategy<reading>::for_bounded_out_of_orderness(2000ms)
                             .with_timestamp_assigner([](const reading& r) { return r.ts_ms; }))
                     .set_parallelism(1)
                     .key_by([](const reading& r) { return r.sensor; })
                     .window(eddy::TumblingEventTimeWindows::of(10s))
                     .aggregate(stats{},
                                [](const std::string& sensor, const eddy::time_window& w,
                                   const stats::acc& a, eddy::collector<row>& out) {
                                  out.collect({sensor, w.start, w.end, a.count, a.max});
                                })
                     .name("10 s stats")
                     .collect();
  auto result = env.execute("tumbling windows");
  // (a, 0, 10000, 3, 22.0) (a, 10000, 20000, 1, 25.0) (a, 20000, 30000, 1, 26.0)
  // (b, 0, 10000, 2, 35.0) (b, 10000, 20000, 1, 31.0)
  // [tumbling]
  std::vector<row> got = windows.values(), want = {{"a", 0, 10000, 3, 22.0},
                                                   {"a", 10000, 20000, 1, 25.0},
                                                   {"a", 20000, 30000, 1, 26.0},
                                                   {"b", 0, 10000, 2, 35.0},
                                                   {"b", 10000, 20000, 1, 31.0}};
  std::sort(got.begin(), got.end());
  if (got != want) {
    std::fprintf(stderr, "event_time_windows: unexpected tumbling window results\n");
    ++failures;
  }
  // {"b", 3000} is 12 s behind the latest reading: had a watermark (12999) already passed when it
  // arrived, b's first window would have fired without it and it would count as late. Watermarks
  // are emitted periodically (every 200 ms, or after a few batches), and these eight readings
  // travel in one batch, so here the watermark only advances at the end of the input.
  std::printf("%zu windows, %llu late readings\n", got.size(),
              static_cast<unsigned long long>(result.find_operator("10 s stats")->late_records));

  // [sliding]
  eddy::StreamEnvironment env2;
  env2.set_parallelism(1);
  auto sums =
      env2.from_generator(20, [](std::uint64_t i) { return static_cast<int>(i); })
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<int>::for_monotonous_timestamps().with_timestamp_assigner(
                  [](const int& i) { return i * 100; }))
          .key_by([](const int&) { return 0; })  // one key: all records
          .window(eddy::SlidingEventTimeWindows::of(1000ms, 500ms))
          .reduce([](int a, int b) { return a + b; })
          .collect();
  env2.execute("sliding windows");
  // windows [-500,500) [0,1000) [500,1500) [1000,2000) [1500,2500): sums 10 45 95 145 85
  // [sliding]
  std::vector<int> s = sums.values(), s_want = {10, 45, 85, 95, 145};
  std::sort(s.begin(), s.end());
  if (s != s_want) {
    std::fprintf(stderr, "event_time_windows: unexpected sliding window sums\n");
    ++failures;
  }
  if (failures == 0) std::printf("ok: event-time windows\n");
  return failures == 0 ? 0 : 1;
}
