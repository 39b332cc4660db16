// Checkpoints after some sources finished (Flink's FLIP-147): a subtask that finished stands in
// with its final snapshot, so checkpoints go on completing while other sources run; a job
// restored from such a checkpoint deploys the finished subtasks as finished (they emit nothing
// again) and commits what their sinks had pending.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "eddy/operators/datastream.hpp"
#include "support/test_support.hpp"

namespace {

using eddy::testing::committed_lines;
using eddy::testing::sorted;
using eddy::testing::temp_dir;
using std::chrono::milliseconds;
namespace fs = std::filesystem;

constexpr std::uint64_t long_records = 40000;
constexpr std::uint64_t short_records = 500;

/// Records the short pipeline has passed to its sink.
std::atomic<std::uint64_t> short_written{0};
std::uint64_t written(const eddy::job_handle&) {
  return short_written.load();
}

/// A short bounded pipeline (its own file sink) and a long paced one (keyed sums, collected)
/// in one job; the long one's map fails once when told to.
eddy::collected<std::pair<int, std::uint64_t>> build(eddy::StreamEnvironment& env,
                                                     const fs::path& out,
                                                     std::shared_ptr<std::atomic<int>> fail,
                                                     int parallelism = 2) {
  env.set_parallelism(parallelism);
  env.config().source_rate = 60000;
  short_written = 0;
  env.from_generator(short_records, [](std::uint64_t i) { return i; })
      .uid("short source")
      .map([](std::uint64_t i) {
        short_written.fetch_add(1);
        return "short " + std::to_string(i);
      })
      .write_text_file(out.string())
      .uid("short sink");
  return env.from_generator(long_records, [](std::uint64_t i) { return i; })
      .uid("long source")
      .map([fail](std::uint64_t i) {
        int one = 1;
        if (fail->compare_exchange_strong(one, 2)) throw std::runtime_error("injected failure");
        return std::pair<int, std::uint64_t>(static_cast<int>(i % 7), i);
      })
      .key_by([](const std::pair<int, std::uint64_t>& p) { return p.first; })
      .reduce([](const auto& a, const auto& b) {
        return std::pair<int, std::uint64_t>(a.first, a.second + b.second);
      })
      .uid("sums")
      .collect();
}

void check_sums(const std::vector<std::pair<int, std::uint64_t>>& got) {
  std::map<int, std::uint64_t> final_sum, want, n, want_n;
  for (const auto& [k, v] : got) {
    final_sum[k] = std::max(final_sum[k], v);
    ++n[k];
  }
  for (std::uint64_t i = 0; i < long_records; ++i) {
    want[static_cast<int>(i % 7)] += i;
    ++want_n[static_cast<int>(i % 7)];
  }
  CHECK(final_sum == want);
  CHECK(n == want_n);  // one update per record: nothing twice
}

std::vector<std::string> short_expected() {
  std::vector<std::string> v;
  for (std::uint64_t i = 0; i < short_records; ++i) v.push_back("short " + std::to_string(i));
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("checkpoints complete after a source finished and a restore from one loses nothing",
          "[checkpoint][recovery]") {
  temp_dir tmp{"eddy-finished"};
  auto fail = std::make_shared<std::atomic<int>>(0);
  eddy::StreamEnvironment env;
  auto out = build(env, tmp.path() / "short", fail);
  env.enable_checkpointing(milliseconds(20)).set_checkpoint_dir((tmp.path() / "chk").string());
  env.config().restart = eddy::restart_strategy::fixed_delay(2, milliseconds(10));
  auto h = env.execute_async("finished sources");
  REQUIRE(h);
  // Wait until the short pipeline has finished (its sink wrote everything), then for two more
  // completed checkpoints: they complete although its subtasks are gone.
  while (written(*h) < short_records && !h->wait_for(milliseconds(1))) {
  }
  const auto before = h->checkpoints().size();
  while (h->checkpoints().size() < before + 2 && !h->wait_for(milliseconds(1))) {
  }
  // The long pipeline runs for a while after the short one finished: checkpoints went on.
  CHECK(h->checkpoints().size() >= before + 2);
  const bool ran = !h->wait_for(milliseconds(0));
  fail->store(1);
  const auto r = h->wait();
  REQUIRE(r.ok());
  if (!ran || fail->load() != 2) {
    WARN("the job ended before the failure could be injected");
  } else {
    CHECK(r.restarts == 1);
  }
  check_sums(out.values());
  CHECK(committed_lines(tmp.path() / "short") == short_expected());
}

TEST_CASE("a job resumed from a checkpoint taken after part of it finished runs only the rest",
          "[checkpoint]") {
  const int resume_parallelism = GENERATE(2, 3);
  INFO("resumed at parallelism " << resume_parallelism);
  temp_dir tmp{"eddy-finished-resume"};
  const auto chk = (tmp.path() / "chk").string();
  std::uint64_t restored = 0;
  {
    eddy::StreamEnvironment env;
    auto never = std::make_shared<std::atomic<int>>(0);
    auto out = build(env, tmp.path() / "short", never);
    env.enable_checkpointing(milliseconds(20)).set_checkpoint_dir(chk);
    auto h = env.execute_async("finished sources");
    REQUIRE(h);
    // Cancel once a checkpoint completed after the short source's records were all written.
    while (written(*h) < short_records && !h->wait_for(milliseconds(1))) {
    }
    const auto at = h->checkpoints().size();
    while (h->checkpoints().size() < at + 2 && !h->wait_for(milliseconds(1))) {
    }
    h->cancel();
    const auto r = h->wait();
    if (r.ok()) {
      WARN("the job finished before it could be canceled");
      return;
    }
    REQUIRE_FALSE(r.checkpoints.empty());
    restored = r.checkpoints.back().id;
  }
  eddy::StreamEnvironment env;
  auto never = std::make_shared<std::atomic<int>>(0);
  auto out = build(env, tmp.path() / "short", never, resume_parallelism);
  env.enable_checkpointing(milliseconds(20)).set_checkpoint_dir(chk);
  env.config().restore_from = chk;
  const auto r = env.execute("finished sources");
  CHECK(r.restored_checkpoint == restored);
  // Checkpoints went on after the restore (the finished subtasks stood in at once).
  CHECK_FALSE(r.checkpoints.empty());
  // The short pipeline had finished: it wrote nothing again, and its output is committed once.
  const auto* sink = r.find_operator("write_text_file");
  REQUIRE(sink);
  CHECK(sink->records_in == short_records);  // restored counters, nothing new
  CHECK(committed_lines(tmp.path() / "short") == short_expected());
  // The long one went on from its checkpointed position: its last sums are the totals.
  std::map<int, std::uint64_t> final_sum, want;
  for (const auto& [k, v] : out.values()) final_sum[k] = std::max(final_sum[k], v);
  for (std::uint64_t i = 0; i < long_records; ++i) want[static_cast<int>(i % 7)] += i;
  CHECK(final_sum == want);
}
