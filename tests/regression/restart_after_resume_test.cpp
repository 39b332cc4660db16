// Regression: a job resumed from a savepoint that failed before its own first checkpoint was
// restarted from the newest checkpoint of its name in its checkpoint store: an earlier run's,
// older than the savepoint (a SQL job resumed on a cluster replayed input and so wrote rows
// twice). A restart now takes only its own run's checkpoints, else the savepoint it started from.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "eddy/operators/datastream.hpp"
#include "support/test_support.hpp"

using eddy::testing::temp_dir;
using std::chrono::milliseconds;

TEST_CASE("a job resumed from a savepoint restarts from it, not from an older checkpoint",
          "[checkpoint][savepoint]") {
  temp_dir tmp{"eddy-restart-resume"};
  const auto chk = tmp.path() / "chk";
  auto build = [&](eddy::StreamEnvironment& env, std::shared_ptr<std::atomic<bool>> fail) {
    env.set_parallelism(1);
    env.config().checkpoints.directory = chk.string();
    return env.from_generator(eddy::unbounded, [](std::uint64_t i) { return i; })
        .map([fail](std::uint64_t i) {
          if (i % 200 == 0) std::this_thread::sleep_for(milliseconds(1));
          if (fail && fail->exchange(false)) throw std::runtime_error("injected failure");
          return i;
        })
        .key_by([](std::uint64_t) { return 0; })
        .reduce([](std::uint64_t a, std::uint64_t b) { return std::max(a, b); })
        .collect();
  };
  // First run: checkpoints into `chk`, then a savepoint that stops it.
  std::string savepoint;
  {
    eddy::StreamEnvironment env;
    env.config().checkpoints.interval = milliseconds(20);
    auto out = build(env, nullptr);
    auto started = env.execute_async("resumed");
    REQUIRE(started);
    for (int w = 0; w < 30000 && started->checkpoints().size() < 3; ++w)
      std::this_thread::sleep_for(milliseconds(1));
    auto sp = started->stop_with_savepoint((tmp.path() / "sp").string());
    REQUIRE(sp);
    savepoint = *sp;
    CHECK(started->wait().state == eddy::job_state::finished);
  }
  const auto savepoint_id = std::stoull(savepoint.substr(savepoint.rfind('-') + 1));
  // Second run: from the savepoint, same store, no checkpoint of its own before it fails once.
  eddy::StreamEnvironment env;
  env.config().checkpoints.interval = std::chrono::minutes(10);
  env.config().restore_from = savepoint;
  env.config().restart = eddy::restart_strategy::fixed_delay(1, milliseconds(0));
  auto fail = std::make_shared<std::atomic<bool>>(true);
  auto out = build(env, fail);
  auto started = env.execute_async("resumed");
  REQUIRE(started);
  for (int w = 0; w < 30000 && (started->restarts() == 0 || out.size() == 0); ++w)
    std::this_thread::sleep_for(milliseconds(1));
  started->cancel();
  const auto r = started->wait();
  CHECK(r.restarts == 1);
  CHECK(r.restored_checkpoint == savepoint_id);
}
