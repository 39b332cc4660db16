#pragma once
// Job programs for the REST tests (test code only): "rest-test-ticks" runs until canceled,
// "rest-test-fail-once" fails its first attempt (both take -p N and --latency-interval MS;
// with --dead-letters, every tenth tick is also sent to a sink marked as dead letters; with
// --event-time, ticks are their own timestamps in ms, with monotonous watermarks; with --busy,
// "double" spends about 50 microseconds of CPU per tick in rest_test_busy_work, for flame graphs).
// Registered with job_registry::global().
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "eddy/operators/datastream.hpp"
#include "eddy/operators/stream_environment.hpp"
#include "eddy/operators/watermark_strategy.hpp"
#include "eddy/runtime/job_program.hpp"

namespace eddy::testing {

/// Emits 0, 1, 2, ... a few at a time, forever; replayable (its position is the count).
class ticking_source final : public source_function<long> {
 public:
  explicit ticking_source(bool fail_once) : fail_once_(fail_once) {}
  source_status poll(std::vector<long>& out, std::size_t max) override {
    if (fail_once_ && next_ >= 50 && !failed().exchange(true))
      throw std::runtime_error("rest test: the first attempt fails on purpose");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    for (std::size_t i = 0; i < std::min<std::size_t>(max, 10); ++i) out.push_back(next_++);
    return source_status::more;
  }
  std::optional<std::string> snapshot_position() override { return std::to_string(next_); }
  void restore_position(std::string_view p) override { next_ = std::stol(std::string(p)); }
  static std::atomic<bool>& failed() {
    static std::atomic<bool> f{false};
    return f;
  }

 private:
  bool fail_once_;
  long next_ = 0;
};

/// Burns CPU for a tick (the frame the flame graph test looks for).
[[gnu::noinline]] inline long rest_test_busy_work(long x) {
  volatile std::uint64_t h = static_cast<std::uint64_t>(x);
  for (int i = 0; i < 50000; ++i) h = h * 6364136223846793005ULL + 1442695040888963407ULL;
  return x + static_cast<long>(h & 0);
}

inline built_job build_ticks(const std::vector<std::string>& args, bool fail_once) {
  int p = 1;
  int latency_ms = 0;
  bool dead_letters = false, event_time = false, busy = false;
  for (const auto& a : args) {
    dead_letters = dead_letters || a == "--dead-letters";
    event_time = event_time || a == "--event-time";
    busy = busy || a == "--busy";
  }
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "-p") p = std::stoi(args[i + 1]);
    if (args[i] == "--latency-interval") latency_ms = std::stoi(args[i + 1]);
  }
  StreamEnvironment env;
  env.set_parallelism(1).set_latency_tracking_interval(std::chrono::milliseconds(latency_ms));
  auto ticks = env.add_source<long>(
      [fail_once](const subtask_info&) -> std::unique_ptr<source_function<long>> {
        return std::make_unique<ticking_source>(fail_once);
      },
      "ticks", false);
  if (dead_letters)
    ticks.filter([](long x) { return x % 10 == 0; })
        .name("rejected")
        .set_parallelism(p)
        .add_sink([](const long&) {}, "dead letters")
        .set_parallelism(p)
        .as_dead_letters();
  DataStream<long> timed =
      event_time ? ticks.assign_timestamps_and_watermarks(
                       WatermarkStrategy<long>::for_monotonous_timestamps().with_timestamp_assigner(
                           [](const long& x) { return x; }))
                 : ticks;
  timed.rebalance()
      .map([busy](long x) { return (busy ? rest_test_busy_work(x) : x) * 2; })
      .name("double")
      .set_parallelism(p)
      .add_sink([](const long&) {})
      .name("discard")
      .set_parallelism(p);
  auto built = env.take_job(fail_once ? "fail-once" : "ticks");
  if (fail_once)
    built.config.restart = restart_strategy::fixed_delay(3, std::chrono::milliseconds(10));
  return built;
}

inline void register_rest_test_programs() {
  static const bool once = [] {
    job_registry::global().add("rest-test-ticks", "ticks until canceled (-p N)",
                               [](const std::vector<std::string>& args, const job_build_context&) {
                                 return build_ticks(args, false);
                               });
    job_registry::global().add("rest-test-fail-once", "fails its first attempt, then ticks",
                               [](const std::vector<std::string>& args, const job_build_context&) {
                                 return build_ticks(args, true);
                               });
    return true;
  }();
  (void)once;
}

}  // namespace eddy::testing
