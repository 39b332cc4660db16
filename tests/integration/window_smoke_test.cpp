// Smoke tests of every window kind through the DataStream API (the randomised comparisons
// against brute-force references are in window_types_test.cpp).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/operators/datastream.hpp"
#include "support/test_support.hpp"

namespace {
using std::chrono::milliseconds;
using ev = std::pair<std::string, std::int64_t>;  // key, ts (value = 1)
auto key_of = [](const ev& e) { return e.first; };

struct count_agg {
  std::int64_t create_accumulator() const { return 0; }
  void add(std::int64_t& a, const ev&) const { ++a; }
  std::int64_t get_result(const std::int64_t& a) const { return a; }
  std::int64_t merge(const std::int64_t& a, const std::int64_t& b) const { return a + b; }
};

template <class Stream>
auto with_ts(Stream s) {
  return s.assign_timestamps_and_watermarks(
      eddy::WatermarkStrategy<ev>::for_bounded_out_of_orderness(milliseconds(100))
          .with_timestamp_assigner([](const ev& e) { return e.second; }));
}
}  // namespace

TEST_CASE("event-time session windows merge records closer than the gap", "[window][session]") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  std::vector<ev> in{{"a", 0}, {"a", 5}, {"b", 3}, {"a", 30}, {"a", 12}, {"b", 40}, {"a", 21}};
  auto out = with_ts(env.from_collection(in))
                 .key_by(key_of)
                 .window(eddy::EventTimeSessionWindows::with_gap(milliseconds(10)))
                 .aggregate(count_agg{},
                            [](const std::string& k, const eddy::time_window& w, std::int64_t n,
                               eddy::collector<std::string>& o) {
                              o.collect(k + ":" + std::to_string(w.start) + "-" +
                                        std::to_string(w.end) + "=" + std::to_string(n));
                            })
                 .collect();
  env.execute("sessions");
  // a: 0,5,12,21,30 chain with gaps <= 10 (adjacent windows merge): one session [0, 40)
  CHECK(eddy::testing::sorted(out.values()) ==
        std::vector<std::string>{"a:0-40=5", "b:3-13=1", "b:40-50=1"});
}

TEST_CASE("count windows, global windows with purging count triggers and window_all",
          "[window][count]") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  std::vector<ev> in;
  for (int i = 0; i < 10; ++i) in.push_back({i % 2 ? "odd" : "even", i});
  auto tumbling = env.from_collection(in).key_by(key_of).count_window(2).aggregate(count_agg{});
  auto sliding = env.from_collection(in)
                     .set_parallelism(1)  // records in order per key
                     .key_by(key_of)
                     .count_window(3, 2)
                     .process([](const std::string& k, const eddy::global_window&,
                                 const std::vector<ev>& r, eddy::collector<std::string>& o) {
                       std::string s = k + ":";
                       for (auto& e : r) s += std::to_string(e.second) + ",";
                       o.collect(s);
                     });
  auto all = env.from_collection(in).count_window_all(4).aggregate(count_agg{});
  auto t = tumbling.collect();
  auto s = sliding.collect();
  auto a = all.collect();
  env.execute("count windows");
  CHECK(t.values() == std::vector<std::int64_t>{2, 2, 2, 2});  // 5 per key: one left over each
  CHECK(eddy::testing::sorted(s.values()) ==
        std::vector<std::string>{"even:0,2,", "even:2,4,6,", "odd:1,3,", "odd:3,5,7,"});
  CHECK(a.values() == std::vector<std::int64_t>{4, 4});
}

TEST_CASE("processing-time tumbling windows follow the job's clock", "[window][processing]") {
  static std::atomic<std::int64_t> clock{1000};
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.config().clock = [] { return clock.load(); };
  std::vector<ev> in{{"a", 0}, {"a", 0}, {"b", 0}};
  auto out =
      env.from_collection(in)
          .key_by(key_of)
          .window(eddy::TumblingProcessingTimeWindows::of(milliseconds(100)))
          .aggregate(count_agg{},
                     [](const std::string& k, const eddy::time_window& w, std::int64_t n,
                        eddy::collector<std::string>& o) {
                       o.collect(k + "@" + std::to_string(w.start) + "=" + std::to_string(n));
                     })
          .collect();
  env.execute("processing time");
  CHECK(eddy::testing::sorted(out.values()) == std::vector<std::string>{"a@1000=2", "b@1000=1"});
}
