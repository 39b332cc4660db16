// Checkpoints, a restart after a failure, and a savepoint resumed at another parallelism, used by
// docs/fault-tolerance.md. The program checks its own results (exactly-once sums per key) and
// exits non-zero if one is wrong.
#include <eddy/operators/datastream.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

using namespace std::chrono_literals;
using sum = std::pair<std::string, std::uint64_t>;  // (sensor, running sum)

constexpr std::uint64_t events = 200000;

// [job]
/// Event i of sensor "s<i % 5>" with value i; a map that fails once when `fail` is set; rolling
/// sums per sensor into `out`.
eddy::collected<sum> build(eddy::StreamEnvironment& env, std::shared_ptr<std::atomic<bool>> fail) {
  return env.from_generator(events, [](std::uint64_t i) { return i; })
      .uid("events")  // stable ids let a changed job still find its state
      .map([fail](std::uint64_t i) {
        if (fail->exchange(false)) throw std::runtime_error("injected failure");
        return sum("s" + std::to_string(i % 5), i);
      })
      .key_by([](const sum& s) { return s.first; })
      .reduce([](const sum& a, const sum& b) { return sum(a.first, a.second + b.second); })
      .uid("sums")
      .collect();
}
// [job]

/// The final sum per sensor of what `out` collected, and whether it is exactly right.
bool check(const char* what, const std::vector<sum>& out) {
  std::map<std::string, std::uint64_t> got, want;
  for (const auto& [k, v] : out) got[k] = std::max(got[k], v);
  for (std::uint64_t i = 0; i < events; ++i) want["s" + std::to_string(i % 5)] += i;
  const bool ok = got == want && out.size() == events;  // one update per event: none twice
  std::printf("%s: %zu updates, final sums %s\n", what, out.size(), ok ? "exact" : "WRONG");
  return ok;
}

int main() {
  const auto dir = std::filesystem::temp_directory_path() / "eddy-sample-checkpointing";
  std::filesystem::remove_all(dir);
  bool ok = true;

  {
    // [restart]
    eddy::StreamEnvironment env;
    env.set_parallelism(2);
    env.enable_checkpointing(20ms).set_checkpoint_dir((dir / "checkpoints").string());
    env.config().restart = eddy::restart_strategy::fixed_delay(3, 100ms);
    env.config().source_rate = 400000;  // paced, so that checkpoints complete while it runs
    auto fail = std::make_shared<std::atomic<bool>>(false);
    auto out = build(env, fail);
    auto job = env.execute_async("sums").value();
    while (job.checkpoints().empty() && !job.wait_for(1ms)) {
    }
    fail->store(true);  // the next record fails the map: the job restarts from the checkpoint
    const auto r = job.wait();
    std::printf("restarts: %d, restored checkpoint %llu\n", r.restarts,
                static_cast<unsigned long long>(r.restored_checkpoint));
    ok = check("after a restart", out.values()) && ok;
    // [restart]
  }

  {
    // [savepoint]
    std::string savepoint;
    {
      eddy::StreamEnvironment env;
      env.set_parallelism(2);
      env.config().source_rate = 400000;
      auto out = build(env, std::make_shared<std::atomic<bool>>(false));
      auto job = env.execute_async("sums").value();
      std::this_thread::sleep_for(100ms);
      auto sp = job.stop_with_savepoint((dir / "savepoints").string());
      if (!sp) throw std::runtime_error(sp.error().message);
      savepoint = *sp;
      std::printf("stopped with savepoint %s after %zu updates\n", savepoint.c_str(),
                  out.values().size());
    }
    eddy::StreamEnvironment env;
    env.set_parallelism(3);  // resumed at another parallelism: key groups are redistributed
    env.config().restore_from = savepoint;
    auto out = build(env, std::make_shared<std::atomic<bool>>(false));
    env.execute("sums");
    // [savepoint]
    // The resumed run emits the updates after the savepoint; their last values are the totals.
    std::map<std::string, std::uint64_t> got, want;
    for (const auto& [k, v] : out.values()) got[k] = std::max(got[k], v);
    for (std::uint64_t i = 0; i < events; ++i) want["s" + std::to_string(i % 5)] += i;
    const bool exact = got == want;
    std::printf("after resuming from the savepoint: final sums %s\n", exact ? "exact" : "WRONG");
    ok = exact && ok;
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
