// Failure injection by killing a subtask's actor (job_handle::kill_subtask), as a crash would:
// no exception, no clean-up inside the actor. The supervisor restarts the job from the last
// completed checkpoint and the output equals the failure-free output; without a restart strategy
// the job fails naming the ended actor; no actor is left behind.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "eddy/operators/datastream.hpp"
#include "support/test_support.hpp"

namespace subtask_kill_test {

namespace {

using eddy::testing::sorted;
using eddy::testing::temp_dir;
using std::chrono::milliseconds;

constexpr std::uint64_t records = 30000;
constexpr int keys = 11;

/// Builds the job: a paced generator, keyed rolling sums (at `p`), collected.
eddy::collected<std::pair<int, std::uint64_t>> build(eddy::StreamEnvironment& env, int p) {
  env.set_parallelism(p);
  env.set_batch_size(64);
  return env
      .from_generator(records,
                      [](std::uint64_t i) {
                        // Every generator subtask (k of p emits i % p == k) pauses now and then.
                        if (i % 200 < 2) std::this_thread::sleep_for(milliseconds(1));
                        return std::pair<int, std::uint64_t>(static_cast<int>(i % keys), i);
                      })
      .key_by([](const std::pair<int, std::uint64_t>& v) { return v.first; })
      .reduce([](const auto& a, const auto& b) {
        return std::pair<int, std::uint64_t>(a.first, a.second + b.second);
      })
      .name("sums")
      .collect();
}

/// Asserts that no actor of the environment's runtime is left (polls up to 10 s: actors end
/// asynchronously after the result; the time is never asserted).
void require_no_actors(eddy::StreamEnvironment& env) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (env.runtime().running_actors() != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(10));
  CHECK(env.runtime().running_actors() == 0);
}

}  // namespace

TEST_CASE("a killed subtask actor is restarted from the last checkpoint and nothing is lost",
          "[checkpoint][recovery]") {
  const int p = GENERATE(1, 2);
  const char* victim = GENERATE("sums", "generator");
  INFO("parallelism " << p << ", killing " << victim);
  temp_dir tmp{"eddy-kill"};
  eddy::StreamEnvironment env;
  auto out = build(env, p);
  env.config().checkpoints.interval = milliseconds(20);
  env.config().checkpoints.directory = (tmp.path() / "chk").string();
  env.config().restart = eddy::restart_strategy::fixed_delay(3, milliseconds(10));
  auto handle = env.execute_async("killed");
  REQUIRE(handle);
  while (handle->checkpoints().empty() && !handle->wait_for(milliseconds(1))) {
  }
  const bool killed = handle->kill_subtask(victim, p - 1);
  const auto r = handle->wait();
  REQUIRE(r.ok());
  if (!killed) {
    WARN("the job ended before a subtask could be killed");
  } else {
    CHECK(r.restarts == 1);
    CHECK(r.restored_checkpoint > 0);
  }
  // Exactly once: per key one output per record, and the final sums.
  std::map<int, std::uint64_t> final_sum, want_sum, outputs, want_outputs;
  for (const auto& [k, v] : out.values()) {
    final_sum[k] = std::max(final_sum[k], v);
    ++outputs[k];
  }
  for (std::uint64_t i = 0; i < records; ++i) {
    want_sum[static_cast<int>(i % keys)] += i;
    ++want_outputs[static_cast<int>(i % keys)];
  }
  CHECK(final_sum == want_sum);
  CHECK(outputs == want_outputs);
  require_no_actors(env);
}

TEST_CASE("a killed subtask actor fails a job without a restart strategy, naming the actor's end",
          "[recovery]") {
  eddy::StreamEnvironment env;
  auto out = build(env, 2);
  auto handle = env.execute_async("killed for good");
  REQUIRE(handle);
  while (handle->metrics().at(0).records_out == 0 && !handle->wait_for(milliseconds(1))) {
  }
  if (!handle->kill_subtask("sums", 0)) {
    WARN("the job ended before a subtask could be killed");
    return;
  }
  const auto r = handle->wait();
  CHECK(r.state == eddy::job_state::failed);
  REQUIRE(r.failure);
  CHECK(r.failure->message.find("ended abnormally") != std::string::npos);
  CHECK(handle->kill_subtask("sums", 0) == false);  // the job is over
  require_no_actors(env);
}

}  // namespace subtask_kill_test
