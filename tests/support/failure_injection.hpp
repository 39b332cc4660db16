#pragma once
// Failure injection for checkpoint tests (test code only): a map that paces the job and throws
// once when told to, and a driver that tells it once checkpoints have completed.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>

#include "eddy/operators/datastream.hpp"

namespace eddy::testing {

/// Shared between the test thread and the job: once the test saw a completed checkpoint it sets
/// `fail_now`, and the job's failing map throws once at its next record.
struct failure_switch {
  std::atomic<bool> armed{true};
  std::atomic<bool> fail_now{false};
};

/// A map over std::uint64_t that paces the job (so that checkpoints complete while it runs) and
/// fails once when told to.
inline auto failing_map(std::shared_ptr<failure_switch> sw) {
  return [sw](std::uint64_t i) {
    if (i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (sw->fail_now.load() && sw->armed.exchange(false))
      throw std::runtime_error("injected failure");
    return i;
  };
}

/// Runs `env`'s job asynchronously and injects the failure once `after` checkpoints have
/// completed. On a machine so slow that the job ends first there is no failure; the caller's
/// output checks hold either way, and `failed` says which case it was.
inline job_result run_with_failure(StreamEnvironment& env, failure_switch& sw,
                                   std::size_t after = 1, bool* failed = nullptr) {
  auto started = env.execute_async("checkpointed");
  REQUIRE(started);
  auto handle = *started;
  while (handle.checkpoints().size() < after && !handle.wait_for(std::chrono::milliseconds(1))) {
  }
  sw.fail_now = true;
  auto r = handle.wait();
  const bool did = !sw.armed.load();
  if (failed) *failed = did;
  if (did) {
    CHECK(r.restarts == 1);
    CHECK(r.restored_checkpoint > 0);
  } else {
    WARN("the job ended before the failure could be injected");
  }
  return r;
}

/// Checkpoints every 15 ms into `dir`, up to 3 restarts 10 ms apart.
inline void enable_checkpoints(StreamEnvironment& env, const std::filesystem::path& dir,
                               checkpointing_mode mode = checkpointing_mode::exactly_once) {
  env.config().checkpoints.interval = std::chrono::milliseconds(15);
  env.config().checkpoints.mode = mode;
  env.config().checkpoints.directory = dir.string();
  env.config().restart = restart_strategy::fixed_delay(3, std::chrono::milliseconds(10));
}

/// The usual set-up of a failure test: parallelism `p`, batches of 64 records (many batches,
/// so checkpoints fall between them) and enable_checkpoints into `dir`.
inline void checkpointed_env(StreamEnvironment& env, int p, const std::filesystem::path& dir) {
  env.set_parallelism(p);
  env.set_batch_size(64);
  enable_checkpoints(env, dir);
}

}  // namespace eddy::testing
