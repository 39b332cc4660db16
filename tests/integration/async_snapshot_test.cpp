// Asynchronous snapshots (operator_base::snapshot_state_async): the operator copies its state at
// the barrier and a helper writes it later while records flow on. A job with such an operator
// recovers exactly from a failure (the restored state is the state at the barrier, not the
// state when the helper ran), windows (which snapshot asynchronously) recover exactly, and a
// helper that throws fails the job, naming the operator, without a restart.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eddy/operators/datastream.hpp"
#include "eddy/runtime/state_snapshot.hpp"
#include "support/failure_injection.hpp"
#include "support/test_support.hpp"

namespace {

using eddy::testing::checkpointed_env;
using eddy::testing::failing_map;
using eddy::testing::failure_switch;
using eddy::testing::run_with_failure;
using eddy::testing::sorted;
using eddy::testing::temp_dir;
using std::chrono::milliseconds;

constexpr std::uint64_t records = 20000;
using out_t = std::pair<int, std::uint64_t>;  // (0, record) per record, (1, count) at the end

/// Forwards records as (0, i) and counts them; at the end emits (1, count). The count is
/// operator state, snapshotted asynchronously: copied at the barrier, written by the helper
/// after a pause (records keep flowing meanwhile), or the helper throws if `fail`.
class async_counter final : public eddy::input_op<std::uint64_t> {
 public:
  async_counter(eddy::input_op<out_t>* next, std::shared_ptr<std::atomic<int>> helper_runs,
                bool fail)
      : next_(next), helper_runs_(std::move(helper_runs)), fail_(fail) {
    downstream_ = next;
  }
  void process(std::vector<std::uint64_t>& in) override {
    std::vector<std::int64_t> none;
    process(in, none);
  }
  void process(std::vector<std::uint64_t>& in, std::vector<std::int64_t>& ts) override {
    counters_.records_in += in.size();
    out_.clear();
    for (auto i : in) out_.emplace_back(0, i);
    count_ += in.size();
    counters_.records_out += out_.size();
    next_->process(out_, ts);
  }
  void finish() override {
    std::vector<out_t> last{{1, count_}};
    std::vector<std::int64_t> none;
    next_->process(last, none);
    next_->finish();
  }
  void snapshot_state(std::uint64_t, std::vector<eddy::state_entry>& out) override {
    eddy::put_operator_value(out, "count", count_);
  }
  std::function<void(std::vector<eddy::state_entry>&)> snapshot_state_async(
      std::uint64_t, std::vector<eddy::state_entry>&) override {
    const std::uint64_t at_barrier = count_;
    return [at_barrier, runs = helper_runs_, fail = fail_](std::vector<eddy::state_entry>& out) {
      std::this_thread::sleep_for(milliseconds(5));
      if (fail) throw std::runtime_error("disk full");
      eddy::put_operator_value(out, "count", at_barrier);
      ++*runs;
    };
  }
  void restore_state(const std::vector<eddy::state_entry>& entries) override {
    if (auto v = eddy::get_operator_value<std::uint64_t>(entries, "count")) count_ = *v;
  }

 private:
  eddy::input_op<out_t>* next_;
  std::shared_ptr<std::atomic<int>> helper_runs_;
  bool fail_;
  std::uint64_t count_ = 0;
  std::vector<out_t> out_;
};

eddy::collected<out_t> build(eddy::StreamEnvironment& env, std::shared_ptr<failure_switch> sw,
                             std::shared_ptr<std::atomic<int>> runs, bool fail) {
  return env.from_generator(records, [](std::uint64_t i) { return i; })
      .map(failing_map(std::move(sw)))
      .add_op<out_t>("async counter",
                     [runs, fail](eddy::operator_base* next) {
                       return std::make_unique<async_counter>(
                           static_cast<eddy::input_op<out_t>*>(next), runs, fail);
                     })
      .collect();
}

}  // namespace

TEST_CASE("an asynchronously snapshotted count is restored as it was at the barrier",
          "[checkpoint][recovery]") {
  temp_dir tmp{"eddy-async"};
  auto sw = std::make_shared<failure_switch>();
  auto runs = std::make_shared<std::atomic<int>>(0);
  eddy::StreamEnvironment env;
  checkpointed_env(env, 1, tmp.path() / "chk");
  auto out = build(env, sw, runs, false);
  const auto result = run_with_failure(env, *sw);
  REQUIRE(result.ok());
  CHECK(*runs > 0);
  std::vector<out_t> want;
  for (std::uint64_t i = 0; i < records; ++i) want.emplace_back(0, i);
  want.emplace_back(1, records);  // exactly once: the restored count plus the replayed records
  CHECK(sorted(out.values()) == want);
}

TEST_CASE("event-time windows snapshot asynchronously and recover exactly",
          "[checkpoint][recovery][window]") {
  const int p = GENERATE(1, 2);
  INFO("parallelism " << p);
  temp_dir tmp{"eddy-async-win"};
  auto sw = std::make_shared<failure_switch>();
  eddy::StreamEnvironment env;
  checkpointed_env(env, p, tmp.path() / "chk");
  using ev = std::pair<int, std::uint64_t>;
  auto out =
      env.from_generator(records, [](std::uint64_t i) { return i; })
          .map(failing_map(sw))
          .map([](std::uint64_t i) { return ev(static_cast<int>(i % 5), i); })
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<ev>::for_monotonous_timestamps().with_timestamp_assigner(
                  [](const ev& v) { return static_cast<std::int64_t>(v.second); }))
          .key_by([](const ev& v) { return v.first; })
          .window(eddy::TumblingEventTimeWindows::of(milliseconds(1000)))
          .reduce([](const ev& a, const ev& b) { return ev(a.first, a.second + b.second); })
          .collect();
  const auto result = run_with_failure(env, *sw);
  REQUIRE(result.ok());
  std::map<std::pair<int, std::uint64_t>, std::uint64_t> sums;  // (key, window) -> sum
  for (std::uint64_t i = 0; i < records; ++i) sums[{static_cast<int>(i % 5), i / 1000}] += i;
  std::vector<ev> want;
  for (const auto& [kw, s] : sums) want.emplace_back(kw.first, s);
  CHECK(sorted(out.values()) == sorted(want));
}

TEST_CASE("an asynchronous snapshot that throws fails the job naming the operator",
          "[checkpoint][failure]") {
  temp_dir tmp{"eddy-async-fail"};
  auto sw = std::make_shared<failure_switch>();
  sw->armed = false;  // no injected failure: the snapshot fails
  auto runs = std::make_shared<std::atomic<int>>(0);
  eddy::StreamEnvironment env;
  checkpointed_env(env, 1, tmp.path() / "chk");
  auto out = build(env, sw, runs, true);
  auto started = env.execute_async("failing snapshots");
  REQUIRE(started);
  const auto result = started->wait();
  REQUIRE_FALSE(result.ok());
  REQUIRE(result.failure.has_value());
  const auto& what = result.failure->message;
  INFO(what);
  CHECK(what.find("async counter") != std::string::npos);
  CHECK(what.find("snapshot for checkpoint") != std::string::npos);
  CHECK(what.find("disk full") != std::string::npos);
  CHECK(result.restarts == 0);  // a snapshot that cannot be taken is not retried
  CHECK(result.checkpoints.empty());
}
