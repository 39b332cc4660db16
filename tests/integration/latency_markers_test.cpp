// Latency markers (execution_config::latency_interval, latency_histogram.hpp) through whole
// embedded jobs: they reach the sinks past a keyed exchange and a window that holds its records
// until the end of input, only sinks record them, and nothing records them when they are off.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "eddy/operators/datastream.hpp"
#include "support/test_support.hpp"

namespace {

using std::chrono::milliseconds;
using keyed_event = std::pair<std::string, std::int64_t>;  // key, event time (ms)

struct count_events {
  std::int64_t create_accumulator() const { return 0; }
  void add(std::int64_t& a, const keyed_event&) const { ++a; }
  std::int64_t get_result(const std::int64_t& a) const { return a; }
  std::int64_t merge(const std::int64_t& a, const std::int64_t& b) const { return a + b; }
};

/// 40,000 events of 8 keys, all in the event-time window [0, 1000): the window emits nothing
/// before the end of input. The source is slowed to 100,000 records/s (about 0.4 s). Source
/// (1) -> window (2) -> forward (1) -> collect (2): markers cross three exchanges.
eddy::job_result run_window_job(eddy::StreamEnvironment& env, std::vector<std::int64_t>& out) {
  env.set_parallelism(2);
  env.config().source_rate = 100000;
  std::vector<keyed_event> in;
  for (int i = 0; i < 40000; ++i) in.emplace_back("k" + std::to_string(i % 8), i % 1000);
  auto counts = env.from_collection(in)
                    .assign_timestamps_and_watermarks(
                        eddy::WatermarkStrategy<keyed_event>::for_monotonous_timestamps()
                            .with_timestamp_assigner([](const keyed_event& e) { return e.second; }))
                    .key_by([](const keyed_event& e) { return e.first; })
                    .window(eddy::TumblingEventTimeWindows::of(milliseconds(1000)))
                    .aggregate(count_events{})
                    .name("count")
                    .map([](std::int64_t n) { return n; })
                    .name("forward")
                    .set_parallelism(1)
                    .collect();
  auto r = env.execute("latency-markers");
  out = counts.values();
  return r;
}

}  // namespace

TEST_CASE("latency markers pass a keyed window that holds its records and reach the sink",
          "[latency]") {
  eddy::StreamEnvironment env;
  env.set_latency_tracking_interval(milliseconds(5));
  std::vector<std::int64_t> counts;
  const auto r = run_window_job(env, counts);
  REQUIRE(r.ok());
  CHECK(eddy::testing::sorted(counts) == std::vector<std::int64_t>(8, 5000));

  // Only the sink's subtasks (no output channels) record markers.
  std::uint64_t at_sinks = 0;
  for (const auto& s : r.subtasks) {
    INFO(s.task << " #" << s.index);
    if (s.task.rfind("Sink: ", 0) == 0)
      at_sinks += s.latency.total();
    else
      CHECK(s.latency.empty());
  }
  CHECK(at_sinks == r.latency().total());
  // The window subtasks hold at most one marker each until they emit: that many markers got
  // through only because a held marker goes on after the flush interval.
  const auto latency = r.latency();
  CHECK(latency.total() >= 10);
  CHECK(latency.quantile(0.5) > 0);
  CHECK(latency.quantile(0.5) <= latency.quantile(0.99));
  CHECK(latency.quantile(0.99) <= latency.quantile(1.0));
  CHECK(latency.mean() > 0);
}

TEST_CASE("without a latency interval no marker is sent", "[latency]") {
  eddy::StreamEnvironment env;
  std::vector<std::int64_t> counts;
  const auto r = run_window_job(env, counts);
  REQUIRE(r.ok());
  CHECK(eddy::testing::sorted(counts) == std::vector<std::int64_t>(8, 5000));
  CHECK(r.latency().empty());
}

TEST_CASE("latency markers of a source chained to its sink measure the chain", "[latency]") {
  eddy::StreamEnvironment env;
  env.set_parallelism(1).set_latency_tracking_interval(milliseconds(1));
  env.config().source_rate = 100000;
  std::vector<std::int64_t> in(20000, 1);
  auto out = env.from_collection(in).map([](std::int64_t x) { return x + 1; }).collect();
  const auto r = env.execute("chained-latency");
  REQUIRE(r.ok());
  CHECK(out.values().size() == in.size());
  REQUIRE(r.subtasks.size() == 1);  // one chain: the source's subtask is the sink
  CHECK(r.latency().total() > 0);
}
