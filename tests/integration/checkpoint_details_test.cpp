// Checkpoint details (Flink's checkpoint detail view): each completed checkpoint records, per
// subtask, when its acknowledgement arrived, its alignment, the synchronous and asynchronous
// parts of its snapshot and its size; a subtask that had finished stands in with its final
// snapshot (FINISHED). A running job keeps them for its newest kept_checkpoint_details
// checkpoints; they survive the job result's JSON (the cluster's form).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <utility>

#include "../../runtime/src/job_spec.hpp"
#include "eddy/operators/datastream.hpp"
#include "support/test_support.hpp"

namespace checkpoint_details_test {

using eddy::testing::temp_dir;
using std::chrono::milliseconds;

/// Records the short pipeline's sink received.
std::atomic<std::uint64_t> short_done{0};
constexpr std::uint64_t short_records = 200;

/// The checks every detailed checkpoint passes: one entry per subtask, by global subtask id;
/// durations that fit in the end-to-end one; sizes that add up to at most the checkpoint's.
void check_details(const eddy::checkpoint_stats& c, std::size_t subtasks) {
  INFO("checkpoint " << c.id);
  REQUIRE(c.subtasks.size() == subtasks);
  std::set<std::pair<int, int>> seen;
  std::uint64_t bytes = 0;
  for (const auto& d : c.subtasks) {
    INFO("vertex " << d.vertex << " subtask " << d.index);
    CHECK(seen.emplace(d.vertex, d.index).second);
    bytes += d.bytes;
    CHECK(d.alignment.count() >= 0);
    CHECK(d.sync.count() >= 0);
    CHECK(d.async.count() >= 0);
    if (d.finished) {
      CHECK(d.end_to_end.count() == 0);
      CHECK(d.sync.count() == 0);
    } else {
      // Trigger, first barrier, alignment, synchronous part, asynchronous part, acknowledgement:
      // one after the other (each truncated to microseconds).
      CHECK(d.end_to_end.count() + 3 >= (d.alignment + d.sync + d.async).count());
    }
  }
  CHECK(bytes <= c.bytes);
}

TEST_CASE("each completed checkpoint says how every subtask took part in it", "[checkpoint]") {
  temp_dir tmp{"eddy-chk-details"};
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.config().source_rate = 20000;
  env.enable_checkpointing(milliseconds(5)).set_checkpoint_dir((tmp.path() / "chk").string());
  short_done = 0;
  // A short pipeline that finishes early (its subtasks stand in with their final snapshots) and
  // a long keyed one (state in every checkpoint).
  env.from_generator(short_records, [](std::uint64_t i) { return i; })
      .uid("short source")
      .name("short source")
      .set_parallelism(1)
      .add_sink([](const std::uint64_t&) { short_done.fetch_add(1); })
      .uid("short sink")
      .name("short sink")
      .set_parallelism(1);
  env.from_generator(eddy::unbounded, [](std::uint64_t i) { return i; })
      .uid("long source")
      .key_by([](std::uint64_t i) { return static_cast<int>(i % 97); })
      .reduce([](std::uint64_t a, std::uint64_t b) { return a + b; })
      .uid("sums")
      .add_sink([](const std::uint64_t&) {});
  auto h = env.execute_async("checkpoint details");
  REQUIRE(h);
  const auto subtasks = h->metrics().size();
  // Until the short pipeline finished and more checkpoints than keep their details completed
  // after that.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto done = [&] {
    return std::chrono::steady_clock::now() > give_up || h->wait_for(milliseconds(1));
  };
  while (short_done.load() < short_records && !done()) {
  }
  const auto at = h->checkpoints().size();
  while (h->checkpoints().size() < at + eddy::kept_checkpoint_details + 2 && !done()) {
  }
  const auto cps = h->checkpoints();
  h->cancel();
  const auto r = h->wait();
  REQUIRE(cps.size() >= at + eddy::kept_checkpoint_details + 2);

  // Only the newest ones keep their details.
  for (std::size_t i = 0; i + eddy::kept_checkpoint_details < cps.size(); ++i)
    CHECK(cps[i].subtasks.empty());
  for (std::size_t i = cps.size() - eddy::kept_checkpoint_details; i < cps.size(); ++i)
    check_details(cps[i], subtasks);

  // The newest checkpoint: the short pipeline's subtasks had finished, the others acknowledged
  // (entries by global subtask id, as the metrics); the keyed sums' subtasks wrote state.
  const auto& last = cps.back();
  const auto metrics = h->metrics();
  std::uint64_t running_bytes = 0;
  int finished = 0;
  for (std::size_t sid = 0; sid < last.subtasks.size(); ++sid) {
    const auto& d = last.subtasks[sid];
    INFO("subtask " << metrics[sid].task << " (" << metrics[sid].index << ")");
    CHECK(d.index == metrics[sid].index);
    const bool short_one = metrics[sid].task.find("short") != std::string::npos;
    CHECK(d.finished == short_one);
    finished += d.finished;
    if (!d.finished) running_bytes += d.bytes;
  }
  CHECK(finished >= 1);
  CHECK(running_bytes > 0);

  // The job result's JSON (how a cluster's coordinator hands it to the client) keeps them.
  REQUIRE_FALSE(r.checkpoints.empty());
  auto back = eddy::detail::job_result_from_json(eddy::detail::to_json(r));
  REQUIRE(back);
  REQUIRE(back->checkpoints.size() == r.checkpoints.size());
  const auto& a = r.checkpoints.back();
  const auto& b = back->checkpoints.back();
  REQUIRE(a.subtasks.size() == b.subtasks.size());
  for (std::size_t i = 0; i < a.subtasks.size(); ++i) {
    CHECK(a.subtasks[i].vertex == b.subtasks[i].vertex);
    CHECK(a.subtasks[i].index == b.subtasks[i].index);
    CHECK(a.subtasks[i].finished == b.subtasks[i].finished);
    CHECK(a.subtasks[i].end_to_end == b.subtasks[i].end_to_end);
    CHECK(a.subtasks[i].alignment == b.subtasks[i].alignment);
    CHECK(a.subtasks[i].sync == b.subtasks[i].sync);
    CHECK(a.subtasks[i].async == b.subtasks[i].async);
    CHECK(a.subtasks[i].bytes == b.subtasks[i].bytes);
  }
}

}  // namespace checkpoint_details_test
