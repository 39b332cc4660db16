// A whole job with a keyed process function using processing-time timers and state TTL, driven
// by a manual processing-time clock (execution_config::clock). The test moves the clock only
// while the job is quiet (it waits, generously, for the outputs of each step before the next),
// so the result is exact; nothing asserts how long anything takes.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eddy/operators/datastream.hpp"
#include "support/test_support.hpp"

namespace {

using namespace std::chrono_literals;
using reading = std::pair<std::string, int>;  // (key, value)

/// What the test and the job share: the clock, how far the source may go, the outputs.
struct shared {
  std::atomic<std::int64_t> clock{1000};
  std::atomic<int> released{0};  // the source emits step i once released >= i
  std::mutex mtx;
  std::vector<std::string> out;

  std::size_t outputs() {
    std::lock_guard<std::mutex> lock(mtx);
    return out.size();
  }
};

/// Emits step 0 at once, step 1 once released, and ends once released twice.
class stepped_source final : public eddy::source_function<reading> {
 public:
  explicit stepped_source(std::shared_ptr<shared> s) : s_(std::move(s)) {}
  eddy::source_status poll(std::vector<reading>& out, std::size_t) override {
    if (step_ == 0) {
      out = {{"a", 1}, {"b", 1}, {"c", 1}};
      step_ = 1;
      return eddy::source_status::more;
    }
    if (step_ == 1 && s_->released.load() >= 1) {
      out = {{"a", 1}, {"b", 1}};
      step_ = 2;
      return eddy::source_status::more;
    }
    if (step_ == 2 && s_->released.load() >= 2) return eddy::source_status::end;
    return eddy::source_status::idle;
  }

 private:
  std::shared_ptr<shared> s_;
  int step_ = 0;
};

/// Counts records per key in a value state with a 500 ms TTL, emits "key:count", and 300 ms
/// (processing time) after each record emits "key:timer@t:count".
struct counting_with_timeout {
  eddy::state_ttl_config ttl =
      eddy::state_ttl_config::new_builder(500ms).update_ttl_on_create_and_write().build();

  void process_element(const reading& r,
                       eddy::keyed_context<std::string, reading, std::string>& ctx,
                       eddy::collector<std::string>& out) {
    auto count = ctx.value_state<int>("count", ttl);
    count.update(count.value().value_or(0) + r.second);
    out.collect(r.first + ":" + std::to_string(*count.value()));
    ctx.register_processing_time_timer(ctx.current_processing_time() + 300);
  }
  void on_timer(std::int64_t t, eddy::keyed_context<std::string, reading, std::string>& ctx,
                eddy::collector<std::string>& out) {
    if (ctx.time_domain() != eddy::time_domain::processing_time) out.collect("wrong domain");
    auto count = ctx.value_state<int>("count", ttl);
    out.collect(ctx.current_key() + ":timer@" + std::to_string(t) + ":" +
                std::to_string(count.value().value_or(0)));
  }
};

/// Waits until `n` outputs arrived (or a minute passed: the check after it then fails).
void wait_for_outputs(shared& s, std::size_t n) {
  for (int i = 0; i < 60000 && s.outputs() < n; ++i) std::this_thread::sleep_for(1ms);
  REQUIRE(s.outputs() == n);
}

}  // namespace

TEST_CASE("a keyed process function with processing-time timers and state TTL in a job",
          "[integration][state][processing-time]") {
  auto s = std::make_shared<shared>();
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.config().clock = [s] { return s->clock.load(); };
  env.config().timer_resolution = 1ms;
  env.add_source<reading>(
         [s](const eddy::subtask_info&) { return std::make_unique<stepped_source>(s); }, "steps")
      .set_parallelism(1)
      .key_by([](const reading& r) { return r.first; })
      .process(counting_with_timeout{}, "count with timeout")
      .add_sink([s](const std::string& line) {
        std::lock_guard<std::mutex> lock(s->mtx);
        s->out.push_back(line);
      });
  auto job = env.execute_async("keyed state job");
  REQUIRE(job.has_value());

  wait_for_outputs(*s, 3);  // a:1 b:1 c:1 at processing time 1000; timers at 1300
  s->clock = 1299;
  std::this_thread::sleep_for(20ms);  // a chance for a wrong early firing to show
  CHECK(s->outputs() == 3);
  s->clock = 1300;
  wait_for_outputs(*s, 6);  // the three timers
  s->clock = 1600;          // the counts (written at 1000) expired at 1500
  s->released = 1;
  wait_for_outputs(*s, 8);  // a:1 b:1 again: the expired counts are gone; timers at 1900
  s->released = 2;          // end of input: the pending timers fire although the clock is at 1600
  auto result = job->wait();
  CHECK(result.state == eddy::job_state::finished);
  CHECK(eddy::testing::sorted(s->out) ==
        eddy::testing::sorted(std::vector<std::string>{
            "a:1", "b:1", "c:1",                                   // step 0
            "a:timer@1300:1", "b:timer@1300:1", "c:timer@1300:1",  // clock at 1300
            "a:1", "b:1",                                          // step 1, after expiry
            "a:timer@1900:1", "b:timer@1900:1"}));                 // end of input
}
