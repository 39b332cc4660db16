// Credit-based flow control, proven by counting (never by timing): a deliberately slow sink
// behind a fast source must keep every channel within its credits, keep the number of live
// batches flat, and pause the source.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "eddy/operators/datastream.hpp"

namespace {

struct probe {
  std::atomic<std::uint64_t> seen{0};
  std::atomic<std::int64_t> max_live_batches{0};
};

/// Sleeps per record and records the process-wide number of live batches.
struct slow_sink {
  std::shared_ptr<probe> p;
  std::chrono::microseconds delay;
  void operator()(const std::uint64_t&) {
    std::this_thread::sleep_for(delay);
    auto live = eddy::batch_base::live_count();
    auto cur = p->max_live_batches.load();
    while (live > cur && !p->max_live_batches.compare_exchange_weak(cur, live)) {
    }
    p->seen.fetch_add(1);
  }
};

bool wait_until(const std::function<bool()>& pred) {  // generous bound: the machine may be slow
  for (int i = 0; i < 6000 && !pred(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return pred();
}

}  // namespace

TEST_CASE("a slow sink keeps every channel within its credits and the live batches bounded") {
  constexpr int credits = 3;
  constexpr std::size_t batch = 16;
  eddy::StreamEnvironment env;
  env.set_parallelism(1).set_batch_size(batch).set_channel_credits(credits);
  auto p = std::make_shared<probe>();
  env.from_generator(eddy::unbounded, [](std::uint64_t i) { return i; })
      .map([](std::uint64_t x) { return x + 1; })
      .name("inc")
      .disable_chaining()  // source | map | sink: two channels in a row
      .rebalance()
      .add_sink(slow_sink{p, std::chrono::microseconds(20)}, "slow")
      .set_parallelism(2);
  auto h = env.execute_async("backpressure");
  REQUIRE(h);

  // Let the sink consume far more batches than the pipeline could ever buffer.
  const std::uint64_t target = 400 * batch;
  REQUIRE(wait_until([&] { return p->seen.load() >= target; }));
  auto metrics = h->metrics();
  h->cancel();
  auto r = h->wait();
  CHECK(r.state == eddy::job_state::canceled);

  std::uint64_t source_out = 0;
  std::uint64_t source_pauses = 0;
  for (const auto& m : metrics) {
    INFO(m.task << " #" << m.index << " max queued " << m.max_queued_batches);
    CHECK(m.max_queued_batches <= static_cast<std::uint64_t>(credits));
    CHECK(m.max_in_flight_batches <= static_cast<std::uint64_t>(credits));
    if (m.task.rfind("Source:", 0) == 0) {
      source_out += m.records_out;
      source_pauses += m.backpressure_events;
    }
  }
  // Every channel holds at most `credits` batches plus what one step parks as pending and the
  // partially filled buffers; a generous bound that does not grow with the run's length.
  const std::int64_t live_bound = 4 * (credits + 4);
  CHECK(p->max_live_batches.load() <= live_bound);
  CHECK(source_pauses > 0);  // the source ran out of credit and paused
  // The source produced only what the pipeline can hold beyond what the sink consumed.
  const std::uint64_t in_flight_capacity = 3 * (credits + 4) * batch;  // 3 channels
  CHECK(source_out <= p->seen.load() + in_flight_capacity);
}

TEST_CASE("a bounded source paused by backpressure resumes and delivers every record") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2).set_batch_size(8).set_channel_credits(1);
  auto p = std::make_shared<probe>();
  constexpr std::uint64_t n = 3000;
  env.from_generator(n, [](std::uint64_t i) { return i; })
      .set_parallelism(1)
      .rebalance()
      .add_sink(slow_sink{p, std::chrono::microseconds(5)}, "slow");
  auto r = env.execute("bounded backpressure");
  CHECK(p->seen.load() == n);
  std::uint64_t pauses = 0;
  for (const auto& m : r.subtasks) {
    CHECK(m.max_queued_batches <= 1);
    CHECK(m.max_in_flight_batches <= 1);
    if (m.task.rfind("Source:", 0) == 0) pauses += m.backpressure_events;
  }
  CHECK(pauses > 0);
  const auto* sink = r.find_operator("slow");
  REQUIRE(sink);
  CHECK(sink->records_in == n);
}

namespace {
/// Emits `count` records, then stays idle for ever (an unbounded source with thin traffic).
class trickle_source final : public eddy::source_function<std::uint64_t> {
 public:
  explicit trickle_source(int count) : left_(count) {}
  eddy::source_status poll(std::vector<std::uint64_t>& out, std::size_t) override {
    if (left_ == 0) return eddy::source_status::idle;
    out.push_back(static_cast<std::uint64_t>(left_--));
    return eddy::source_status::more;
  }

 private:
  int left_;
};
}  // namespace

TEST_CASE("thin traffic is flushed to the next subtask without waiting for a full batch") {
  eddy::StreamEnvironment env;
  env.set_parallelism(1).set_batch_size(1024);
  auto p = std::make_shared<probe>();
  env.add_source<std::uint64_t>(
         [](const eddy::subtask_info&) { return std::make_unique<trickle_source>(3); }, "trickle",
         false)
      .rebalance()
      .add_sink(slow_sink{p, std::chrono::microseconds(0)}, "sink")
      .disable_chaining();
  auto h = env.execute_async("trickle");
  REQUIRE(h);
  // Three records never fill a 1024-record batch: only the flush timer can deliver them.
  CHECK(wait_until([&] { return p->seen.load() == 3; }));
  h->cancel();
  CHECK(h->wait().state == eddy::job_state::canceled);
}
