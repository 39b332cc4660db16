// Sources that wait for their waker (source_status::wait) instead of being polled, and the
// from_source / sink_to API of connector.hpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "eddy/operators/datastream.hpp"

namespace {

/// What a feeder thread and the reader share: a queue and counts.
struct feed {
  std::mutex mu;
  std::deque<int> queue;
  bool ended = false;
  std::atomic<int> produce_calls{0};
  std::atomic<int> wakes{0};
};

/// A reader over a "client" that delivers records on its own thread: it returns wait when the
/// queue is empty, and the feeder wakes it.
class fed_reader final : public eddy::source_op<int> {
 public:
  fed_reader(std::shared_ptr<feed> f, int count, eddy::input_op<int>* next)
      : source_op<int>(next), feed_(std::move(f)), count_(count) {}
  ~fed_reader() override {
    if (feeder_.joinable()) feeder_.join();
  }
  void open(const eddy::subtask_info& info) override {
    source_op<int>::open(info);
    feeder_ = std::thread([f = feed_, n = count_, w = waker()] {
      for (int i = 0; i < n; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(i % 10 == 0 ? 20 : 0));
        {
          std::lock_guard<std::mutex> lock(f->mu);
          f->queue.push_back(i);
          if (i + 1 == n) f->ended = true;
        }
        ++f->wakes;
        w.wake();
      }
    });
  }
  eddy::source_status produce(std::size_t max) override {
    ++feed_->produce_calls;
    std::lock_guard<std::mutex> lock(feed_->mu);
    while (!feed_->queue.empty() && buffer_.size() < max) {
      buffer_.push_back(feed_->queue.front());
      feed_->queue.pop_front();
    }
    const bool end = feed_->ended && feed_->queue.empty();
    emit_buffer();
    if (end) return eddy::source_status::end;
    return feed_->queue.empty() ? eddy::source_status::wait : eddy::source_status::more;
  }

 private:
  std::shared_ptr<feed> feed_;
  int count_;
  std::thread feeder_;
};

}  // namespace

TEST_CASE("a waiting source is produced again when its waker wakes it, not polled") {
  auto f = std::make_shared<feed>();
  static constexpr int n =
      200;  // 20 pauses of 20 ms: a 1 ms poll would call produce hundreds of times
  eddy::Source<int> src{"fed", true, [f](eddy::input_op<int>* next) {
                          return std::make_unique<fed_reader>(f, n, next);
                        }};
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  auto out = env.from_source(src).map([](int x) { return x + 1; }).collect();
  auto r = env.execute("waker");
  REQUIRE(r.ok());
  std::vector<int> expected(n);
  for (int i = 0; i < n; ++i) expected[static_cast<std::size_t>(i)] = i + 1;
  auto got = out.values();
  std::sort(got.begin(), got.end());
  CHECK(got == expected);
  // Every produce call but the first follows a wake (merged wakes call it at most once).
  CHECK(f->produce_calls.load() <= f->wakes.load() + 1);
}

TEST_CASE("from_source names the operator after the source unless given a name") {
  eddy::Source<int> src{"numbers", true, [](eddy::input_op<int>* next) {
                          auto f = std::make_shared<feed>();
                          return std::make_unique<fed_reader>(f, 3, next);
                        }};
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.from_source(src).collect();
  env.from_source(src, "renamed").collect();
  const auto plan = env.explain();
  CHECK(plan.find("numbers") != std::string::npos);
  CHECK(plan.find("renamed") != std::string::npos);
}

TEST_CASE("sink_to runs the sink's writer per subtask") {
  struct counting_writer final : eddy::input_op<int> {
    std::shared_ptr<std::atomic<int>> seen;
    void process(std::vector<int>& records) override { *seen += static_cast<int>(records.size()); }
    void finish() override {}
  };
  auto seen = std::make_shared<std::atomic<int>>(0);
  eddy::Sink<int> sink{"counter", eddy::delivery_guarantee::at_least_once,
                       [seen](const eddy::sink_context&) {
                         auto w = std::make_unique<counting_writer>();
                         w->seen = seen;
                         return w;
                       }};
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.from_generator(1000, [](std::uint64_t i) { return static_cast<int>(i); }).sink_to(sink);
  REQUIRE(env.execute("sink_to").ok());
  CHECK(seen->load() == 1000);
}
