// Stop --drain (Flink's stop-with-savepoint --drain): the sources advance event time to the end
// before their savepoint barrier, so every event-time window fires and its output is committed
// with the savepoint; a plain stop leaves the open windows in the savepoint instead.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <tuple>

#include "eddy/operators/datastream.hpp"
#include "support/test_support.hpp"

using std::chrono::milliseconds;

TEST_CASE("a draining stop fires every window before its savepoint and a plain stop does not",
          "[savepoint]") {
  const bool drain = GENERATE(false, true);
  INFO("drain " << drain);
  eddy::testing::temp_dir tmp{"eddy-drain"};
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.set_batch_size(16);
  env.config().source_rate = 4000;                          // runs for hours unless stopped
  using ev = std::tuple<int, std::int64_t, std::uint64_t>;  // key, timestamp (ms), count
  auto stamped =
      env.from_generator(10'000'000,
                         [](std::uint64_t i) {
                           return ev(static_cast<int>(i % 3), static_cast<std::int64_t>(i), 1);
                         })
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<ev>::for_monotonous_timestamps().with_timestamp_assigner(
                  [](const ev& e) { return std::get<1>(e); }));
  auto raw = stamped.collect();
  auto windows = stamped.key_by([](const ev& e) { return std::get<0>(e); })
                     .window(eddy::TumblingEventTimeWindows::of(milliseconds(100)))
                     .reduce([](const ev& a, const ev& b) {
                       return ev(std::get<0>(a), std::get<1>(a), std::get<2>(a) + std::get<2>(b));
                     })
                     .name("windows")
                     .collect();
  auto h = env.execute_async(drain ? "drained" : "stopped");
  REQUIRE(h);
  while (raw.size() < 1000 && !h->wait_for(milliseconds(1))) {
  }
  auto sp = h->stop_with_savepoint((tmp.path() / "sp").string(), drain, std::chrono::seconds(60));
  REQUIRE(sp);
  const auto r = h->wait();
  CHECK(r.ok());
  CHECK(r.savepoint_path == *sp);
  std::uint64_t windowed = 0;
  for (const auto& w : windows.values()) windowed += std::get<2>(w);
  // Everything read before the savepoint is committed in `raw`; the window holding the newest
  // record can only have fired if event time was advanced to the end.
  if (drain)
    CHECK(windowed == raw.size());
  else
    CHECK(windowed < raw.size());
  CHECK(raw.size() < 10'000'000);
}
