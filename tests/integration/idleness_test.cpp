// Watermark idleness: an input that has no data must not hold event time back once it is
// marked idle. Asserted on results only (the test waits, generously, for them to appear).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "eddy/operators/datastream.hpp"
#include "support/test_support.hpp"

namespace {

using namespace std::chrono_literals;

struct reading {
  int key;
  std::int64_t ts;
};

/// Emits timestamps 0, 10, ..., (n-1)*10 once, then stays idle for ever (an unbounded source).
class emit_then_idle final : public eddy::source_function<reading> {
 public:
  explicit emit_then_idle(int n) : n_(n) {}
  eddy::source_status poll(std::vector<reading>& out, std::size_t max) override {
    while (i_ < n_ && out.size() < max) {
      out.push_back({i_ % 3, static_cast<std::int64_t>(i_) * 10});
      ++i_;
    }
    return i_ < n_ ? eddy::source_status::more : eddy::source_status::idle;
  }

 private:
  int n_;
  int i_ = 0;
};

struct results {
  std::mutex mtx;
  std::vector<std::pair<int, int>> windows;  // (key, count)
};

}  // namespace

TEST_CASE("an idle input does not hold back the windows of a union", "[event-time]") {
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.config().auto_watermark_interval = 10ms;
  auto strategy = eddy::WatermarkStrategy<reading>::for_monotonous_timestamps()
                      .with_timestamp_assigner([](const reading& r) { return r.ts; })
                      .with_idleness(50ms);
  auto busy =
      env.add_source<reading>(
             [](const eddy::subtask_info&) { return std::make_unique<emit_then_idle>(1000); },
             "busy", false)
          .assign_timestamps_and_watermarks(strategy);
  auto silent =
      env.add_source<reading>(
             [](const eddy::subtask_info&) { return std::make_unique<emit_then_idle>(0); },
             "silent", false)
          .assign_timestamps_and_watermarks(strategy);
  auto out = std::make_shared<results>();
  busy.union_with(silent)
      .key_by([](const reading& r) { return r.key; })
      .window(eddy::TumblingEventTimeWindows::of(1000ms))
      .process([](const int& key, const eddy::time_window&, const std::vector<reading>& rs,
                  eddy::collector<std::pair<int, int>>& c) {
        c.collect({key, static_cast<int>(rs.size())});
      })
      .add_sink([out](const std::pair<int, int>& w) {
        std::lock_guard<std::mutex> g(out->mtx);
        out->windows.push_back(w);
      });
  auto h = env.execute_async("idleness");
  REQUIRE(h);
  // Timestamps 0..9990: the watermark of "busy" reaches 9989, so windows [0,1000) .. [8000,9000)
  // fire (3 keys each) once "silent" is idle; [9000,10000) cannot fire while the job runs.
  auto fired = [&] {
    std::lock_guard<std::mutex> g(out->mtx);
    return out->windows.size();
  };
  for (int i = 0; i < 3000 && fired() < 27; ++i) std::this_thread::sleep_for(10ms);
  h->cancel();
  CHECK(h->wait().state == eddy::job_state::canceled);
  std::lock_guard<std::mutex> g(out->mtx);
  REQUIRE(out->windows.size() == 27);
  int total = 0;
  for (const auto& [key, count] : out->windows) total += count;
  CHECK(total == 900);  // the 100 readings per window of the first nine windows
}
