// Session, global, count, processing-time and non-keyed windows, triggers and evictors, used by
// docs/time-and-windows.md. The program checks its own results and exits non-zero if one is
// wrong.
#include <eddy/operators/datastream.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

using namespace std::chrono_literals;

namespace {
struct click {
  std::string user;
  std::int64_t ts_ms;
};
int failures = 0;
template <class T>
void expect(const char* what, std::vector<T> got, std::vector<T> want) {
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  if (got != want) {
    ++failures;
    std::fprintf(stderr, "%s: unexpected result\n", what);
  }
}

// [custom_trigger]
/// Fires (and purges) a global window when a record says "flush": a custom trigger.
struct flush_trigger {
  template <class W, class C>
  eddy::trigger_result on_element(const click& c, std::int64_t, const W&, C&) const {
    return c.user.ends_with("!") ? eddy::trigger_result::FIRE_AND_PURGE
                                 : eddy::trigger_result::CONTINUE;
  }
  template <class W, class C>
  eddy::trigger_result on_event_time(std::int64_t, const W&, C&) const {
    return eddy::trigger_result::CONTINUE;
  }
  template <class W, class C>
  eddy::trigger_result on_processing_time(std::int64_t, const W&, C&) const {
    return eddy::trigger_result::CONTINUE;
  }
  template <class W, class C>
  void clear(const W&, C&) const {}
};
// [custom_trigger]

struct counter {
  std::int64_t create_accumulator() const { return 0; }
  void add(std::int64_t& n, const click&) const { ++n; }
  std::int64_t get_result(const std::int64_t& n) const { return n; }
  std::int64_t merge(const std::int64_t& a, const std::int64_t& b) const { return a + b; }
};
}  // namespace

int main() {
  const std::vector<click> clicks = {{"ann", 1000}, {"ann", 2500}, {"bob", 3000},
                                     {"ann", 9000}, {"bob", 3500}, {"ann", 9800}};
  auto user = [](const click& c) { return c.user; };
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  // One source and one timestamp assigner keep each user's clicks in order.
  auto stream = env.from_collection(clicks).set_parallelism(1).assign_timestamps_and_watermarks(
      eddy::WatermarkStrategy<click>::for_bounded_out_of_orderness(1s).with_timestamp_assigner(
          [](const click& c) { return c.ts_ms; }));
  stream.set_parallelism(1);

  // [sessions]
  // Sessions: a user's clicks less than 5 s apart form one window (windows merge).
  using session = std::tuple<std::string, std::int64_t, std::int64_t, std::int64_t>;
  auto sessions = stream.key_by(user)
                      .window(eddy::EventTimeSessionWindows::with_gap(5s))
                      .aggregate(counter{},
                                 [](const std::string& u, const eddy::time_window& w,
                                    std::int64_t n, eddy::collector<session>& out) {
                                   out.collect({u, w.start, w.end, n});
                                 })
                      .collect();
  // ("ann", 1000, 7500, 2) ("ann", 9000, 14800, 2) ("bob", 3000, 8500, 2)
  // [sessions]

  // [count]
  // Every 2 clicks of a user (count windows: global windows with a purging count trigger), and
  // an evictor keeping only the last record of each firing window.
  auto pairs = stream.key_by(user).count_window(2).aggregate(counter{}).collect();
  auto last_of_three =
      stream.key_by(user)
          .window(eddy::TumblingEventTimeWindows::of(10s))
          .trigger(eddy::CountTrigger::of(3))
          .evictor(eddy::CountEvictor::of(1))
          .process([](const std::string& u, const eddy::time_window&, const std::vector<click>& r,
                      eddy::collector<std::string>& out) {
            out.collect(u + "@" + std::to_string(r.back().ts_ms));
          })
          .collect();
  // pairs: 2 2 2 (ann twice, bob once); last_of_three: "ann@9000" (ann's third click)
  // [count]

  // [global]
  // Clicks of everybody until one whose user ends with "!".
  auto flushed = env.from_collection(std::vector<click>{{"a", 1}, {"b", 2}, {"c!", 3}, {"d", 4}})
                     .set_parallelism(1)
                     .key_by([](const click&) { return 0; })
                     .window(eddy::GlobalWindows::create())
                     .trigger(flush_trigger{})
                     .aggregate(counter{})
                     .collect();
  // [global]

  // [window_all]
  // Non-keyed: all clicks, per 5-second window, in one subtask.
  auto per_window = stream.window_all(eddy::TumblingEventTimeWindows::of(5s))
                        .aggregate(counter{},
                                   [](const eddy::time_window& w, std::int64_t n,
                                      eddy::collector<std::pair<std::int64_t, std::int64_t>>& out) {
                                     out.collect({w.start, n});
                                   })
                        .collect();
  // (0, 4) (5000, 2)
  // [window_all]
  env.execute("window kinds");

  // [processing_time]
  // Processing-time windows use the job's clock (here a manual one; by default the system
  // clock): records fall into the window of the time they arrive.
  static std::atomic<std::int64_t> now{60000};
  eddy::StreamEnvironment env2;
  env2.set_parallelism(1);
  env2.config().clock = [] { return now.load(); };
  auto per_minute = env2.from_collection(clicks)
                        .key_by(user)
                        .window(eddy::TumblingProcessingTimeWindows::of(1min))
                        .aggregate(counter{})
                        .collect();
  env2.execute("processing time");
  // ann: 4, bob: 2 (all arrived in the minute starting at 60000; pending processing-time
  // windows fire when the input ends)
  // [processing_time]

  expect<session>("sessions", sessions.values(),
                  {{"ann", 1000, 7500, 2}, {"ann", 9000, 14800, 2}, {"bob", 3000, 8500, 2}});
  expect<std::int64_t>("count windows", pairs.values(), {2, 2, 2});
  expect<std::string>("count trigger + evictor", last_of_three.values(), {"ann@9000"});
  expect<std::int64_t>("global windows", flushed.values(), {3});  // "d" waits for a flush
  expect<std::pair<std::int64_t, std::int64_t>>("window_all", per_window.values(),
                                                {{0, 4}, {5000, 2}});
  expect<std::int64_t>("processing time", per_minute.values(), {4, 2});
  for (const auto& [u, s, e, n] : sessions.values())
    std::printf("%s session [%lld, %lld): %lld clicks\n", u.c_str(), static_cast<long long>(s),
                static_cast<long long>(e), static_cast<long long>(n));
  return failures == 0 ? 0 : 1;
}
