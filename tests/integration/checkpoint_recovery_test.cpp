// Checkpoints and recovery of whole jobs: a failure injected after a checkpoint completed, the
// job restarts from it (sources rewind, keyed state and windows restored, sinks commit in two
// phases), and the output equals the failure-free output exactly. Also: at-least-once mode, the
// restart strategies, resuming a finished or killed job from its checkpoint store, and a
// corrupted checkpoint falling back to the one before.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/operators/datastream.hpp"
#include "eddy/runtime/checkpoint_store.hpp"
#include "support/failure_injection.hpp"
#include "support/test_support.hpp"

namespace {

using eddy::testing::enable_checkpoints;
using eddy::testing::failing_map;
using eddy::testing::failure_switch;
using eddy::testing::run_with_failure;
using eddy::testing::sorted;
using eddy::testing::temp_dir;
using std::chrono::milliseconds;
namespace fs = std::filesystem;

constexpr std::uint64_t records = 20000;
constexpr int keys = 7;

/// Streaming rolling sums per key: the sequence of (key, running sum) the job emits.
std::vector<std::pair<int, std::uint64_t>> rolling_sums_reference() {
  std::vector<std::pair<int, std::uint64_t>> out;
  std::map<int, std::uint64_t> sums;
  for (std::uint64_t i = 0; i < records; ++i) {
    const int k = static_cast<int>(i % keys);
    sums[k] += i;
    out.emplace_back(k, sums[k]);
  }
  return out;
}

}  // namespace

TEST_CASE(
    "a keyed job restored from a checkpoint after a failure emits exactly the failure-free "
    "output",
    "[checkpoint][recovery]") {
  const int p = GENERATE(1, 2);
  INFO("parallelism " << p);
  temp_dir tmp{"eddy-chk"};
  auto sw = std::make_shared<failure_switch>();
  eddy::StreamEnvironment env;
  env.set_parallelism(p);
  env.set_batch_size(64);
  enable_checkpoints(env, tmp.path() / "chk");
  auto out = env.from_generator(records, [](std::uint64_t i) { return i; })
                 .map(failing_map(sw))
                 .map([](std::uint64_t i) { return std::pair<int, std::uint64_t>(i % keys, i); })
                 .key_by([](const std::pair<int, std::uint64_t>& v) { return v.first; })
                 .reduce([](const auto& a, const auto& b) {
                   return std::pair<int, std::uint64_t>(a.first, a.second + b.second);
                 })
                 .collect();
  const auto result = run_with_failure(env, *sw);
  REQUIRE(result.ok());
  CHECK_FALSE(result.checkpoints.empty());
  // At parallelism 1 the sequence of rolling sums is fixed; at 2 the two sources interleave, so
  // compare what exactly-once fixes: per key one output per record and the final sum.
  const auto got = sorted(out.values());
  CHECK(got.size() == records);
  if (p == 1) CHECK((got == sorted(rolling_sums_reference())));
  std::map<int, std::uint64_t> final_sum, want_sum;
  for (const auto& [k, v] : got) final_sum[k] = std::max(final_sum[k], v);
  for (std::uint64_t i = 0; i < records; ++i) want_sum[static_cast<int>(i % keys)] += i;
  CHECK(final_sum == want_sum);
  std::map<int, std::uint64_t> outputs, want_outputs;
  for (const auto& [k, v] : got) ++outputs[k];
  for (std::uint64_t i = 0; i < records; ++i) ++want_outputs[static_cast<int>(i % keys)];
  CHECK(outputs == want_outputs);
  // Counters are exact too: every generated record counted once.
  const auto* src = result.find_operator("generator");
  REQUIRE(src);
  CHECK(src->records_out == records);
}

TEST_CASE("a file sink commits exactly the failure-free output across a restart",
          "[checkpoint][recovery]") {
  temp_dir tmp{"eddy-chk"};
  auto sw = std::make_shared<failure_switch>();
  const auto out_dir = tmp.path() / "out";
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(2);
    env.set_batch_size(64);
    enable_checkpoints(env, tmp.path() / "chk");
    env.from_generator(records, [](std::uint64_t i) { return i; })
        .map(failing_map(sw))
        .write_text_file(out_dir.string());
    const auto result = run_with_failure(env, *sw);
    REQUIRE(result.ok());
  }
  std::vector<std::string> lines;
  for (const auto& e : fs::directory_iterator(out_dir)) {
    const auto name = e.path().filename().string();
    INFO(name);
    CHECK(name.front() != '.');  // no in-progress file is left
    std::istringstream in(eddy::testing::read_file(e.path()));
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  std::vector<std::string> want;
  for (std::uint64_t i = 0; i < records; ++i) want.push_back(std::to_string(i));
  CHECK(sorted(lines) == sorted(want));
}

TEST_CASE("event-time windows are restored from a checkpoint", "[checkpoint][recovery]") {
  temp_dir tmp{"eddy-chk"};
  auto sw = std::make_shared<failure_switch>();
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.set_batch_size(64);
  enable_checkpoints(env, tmp.path() / "chk");
  using kv = std::tuple<int, std::uint64_t, std::int64_t>;  // key, value, ts
  auto out =
      env.from_generator(records, [](std::uint64_t i) { return i; })
          .map(failing_map(sw))
          .map([](std::uint64_t i) {
            return kv(static_cast<int>(i % keys), i, static_cast<std::int64_t>(i / 10));
          })
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<kv>::for_monotonous_timestamps().with_timestamp_assigner(
                  [](const kv& v) { return std::get<2>(v); }))
          .key_by([](const kv& v) { return std::get<0>(v); })
          .window(eddy::TumblingEventTimeWindows::of(milliseconds(100)))
          .reduce([](const kv& a, const kv& b) {
            return kv(std::get<0>(a), std::get<1>(a) + std::get<1>(b),
                      std::min(std::get<2>(a), std::get<2>(b)) / 100 * 100);
          })
          .collect();
  const auto result = run_with_failure(env, *sw);
  REQUIRE(result.ok());
  std::map<std::pair<int, std::int64_t>, std::uint64_t> ref;
  for (std::uint64_t i = 0; i < records; ++i)
    ref[{static_cast<int>(i % keys), static_cast<std::int64_t>(i / 10) / 100 * 100}] += i;
  std::vector<kv> want;
  for (const auto& [k, v] : ref) want.emplace_back(k.first, v, k.second);
  auto got = out.values();
  for (auto& g : got) std::get<2>(g) = std::get<2>(g) / 100 * 100;
  CHECK(sorted(got) == sorted(want));
}

TEST_CASE("at-least-once checkpoints lose nothing across a restart", "[checkpoint][recovery]") {
  temp_dir tmp{"eddy-chk"};
  auto sw = std::make_shared<failure_switch>();
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.set_batch_size(64);
  enable_checkpoints(env, tmp.path() / "chk", eddy::checkpointing_mode::at_least_once);
  auto out = env.from_generator(records, [](std::uint64_t i) { return i; })
                 .map(failing_map(sw))
                 .rebalance()
                 .map([](std::uint64_t i) { return i * 2; })
                 .collect();
  const auto result = run_with_failure(env, *sw);
  REQUIRE(result.ok());
  std::vector<std::uint64_t> got = sorted(out.values());
  got.erase(std::unique(got.begin(), got.end()), got.end());
  REQUIRE(got.size() == records);
  for (std::uint64_t i = 0; i < records; ++i) REQUIRE(got[i] == 2 * i);
}

TEST_CASE("a job whose restart strategy is exhausted fails with the last error",
          "[checkpoint][recovery]") {
  temp_dir tmp{"eddy-chk"};
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.config().checkpoints.interval = milliseconds(10);
  env.config().checkpoints.directory = (tmp.path() / "chk").string();
  env.config().restart = eddy::restart_strategy::fixed_delay(2, milliseconds(1));
  env.from_generator(100, [](std::uint64_t i) { return i; })
      .map([](std::uint64_t i) {
        if (i == 50) throw std::runtime_error("always fails at 50");
        return i;
      })
      .name("bad map")
      .collect();
  auto started = env.execute_async("doomed");
  REQUIRE(started);
  auto handle = *started;
  const auto result = handle.wait();
  CHECK(result.state == eddy::job_state::failed);
  CHECK(result.restarts == 2);
  REQUIRE(result.failure);
  CHECK(result.failure->message.find("always fails at 50") != std::string::npos);
  CHECK(result.failure->message.find("bad map") != std::string::npos);
}

TEST_CASE("a job resumes from the newest completed checkpoint of its store", "[checkpoint]") {
  temp_dir tmp{"eddy-chk"};
  const auto chk = tmp.path() / "chk";
  // First run: an unbounded generator, canceled after some checkpoints.
  std::uint64_t seen_first = 0;
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(1);
    enable_checkpoints(env, chk);
    env.config().checkpoints.retained = 2;
    auto out = env.from_generator(eddy::unbounded, [](std::uint64_t i) { return i; })
                   .map([](std::uint64_t i) {
                     if (i % 200 == 0) std::this_thread::sleep_for(milliseconds(1));
                     return i;
                   })
                   .key_by([](std::uint64_t) { return 0; })
                   .reduce([](std::uint64_t a, std::uint64_t b) { return std::max(a, b); })
                   .collect();
    auto started = env.execute_async("resumable");
    REQUIRE(started);
    auto handle = *started;
    for (int w = 0; w < 30000 && handle.checkpoints().size() < 3; ++w)
      std::this_thread::sleep_for(milliseconds(1));
    handle.cancel();
    const auto r = handle.wait();
    CHECK(r.state == eddy::job_state::canceled);
    REQUIRE(r.checkpoints.size() >= 3);
    seen_first = out.size();
  }
  auto store = eddy::checkpoint_store::open(chk.string());
  REQUIRE(store);
  auto done = (*store)->completed("resumable");
  REQUIRE(done);
  CHECK(done->size() == 2);  // retained
  const auto last = done->back().id;
  store->reset();
  // Second run: a bounded job with the same operators resumes at the checkpointed position.
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.config().restore_from = chk.string();
  constexpr std::uint64_t total = 1u << 30;  // ends far later than the first run got
  (void)total;
  auto out = env.from_generator(eddy::unbounded, [](std::uint64_t i) { return i; })
                 .map([](std::uint64_t i) { return i; })
                 .key_by([](std::uint64_t) { return 0; })
                 .reduce([](std::uint64_t a, std::uint64_t b) { return std::max(a, b); })
                 .collect();
  auto started = env.execute_async("resumable");
  REQUIRE(started);
  auto handle = *started;
  for (int w = 0; w < 30000 && out.size() == 0; ++w) std::this_thread::sleep_for(milliseconds(1));
  handle.cancel();
  const auto r = handle.wait();
  CHECK(r.restored_checkpoint == last);
  // The first record after the restore continues where the checkpoint left off: it is not 0.
  REQUIRE(out.size() > 0);
  CHECK(out.values().front() > 0);
  CHECK(seen_first > 0);
}

TEST_CASE("state that cannot be checkpointed yet fails the job at once, not restarted",
          "[checkpoint]") {
  temp_dir tmp{"eddy-chk"};
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.config().checkpoints.interval = milliseconds(5);
  env.config().checkpoints.directory = (tmp.path() / "chk").string();
  // Session windows over records without a Serializer: their windows cannot be checkpointed.
  struct tv {
    int key;
    std::int64_t ts;
  };
  env.from_generator(eddy::unbounded,
                     [](std::uint64_t i) {
                       return tv{static_cast<int>(i % 3), static_cast<std::int64_t>(i / 100)};
                     })
      .assign_timestamps_and_watermarks(
          eddy::WatermarkStrategy<tv>::for_monotonous_timestamps().with_timestamp_assigner(
              [](const tv& v) { return v.ts; }))
      .key_by([](const tv& v) { return v.key; })
      .window(eddy::EventTimeSessionWindows::with_gap(milliseconds(1000000)))
      .reduce([](const tv& a, const tv&) { return a; })
      .name("sessions")
      .add_sink([](const tv&) {});
  auto started = env.execute_async("uncheckpointable");
  REQUIRE(started);
  const auto r = started->wait();
  CHECK(r.state == eddy::job_state::failed);
  CHECK(r.restarts == 0);
  REQUIRE(r.failure);
  CHECK(r.failure->message.find("sessions") != std::string::npos);
  CHECK(r.failure->message.find("cannot be checkpointed") != std::string::npos);
  CHECK(r.failure->message.find("Serializer") != std::string::npos);
}

namespace {
using kv_t = std::pair<int, std::uint64_t>;
using summary_t = std::tuple<int, std::uint64_t, std::uint64_t, std::size_t>;
/// Per key: a count, a sum and the last three values in state, and an event-time timer at the
/// end that emits them.
struct summer {
  using ctx_t = eddy::keyed_context<int, kv_t, summary_t>;
  static std::uint64_t plus(std::uint64_t a, std::uint64_t b) { return a + b; }
  void process_element(const kv_t& v, ctx_t& ctx, eddy::collector<summary_t>&) {
    auto n = ctx.value_state<std::uint64_t>("n");
    n.update(n.value().value_or(0) + 1);
    ctx.reducing_state<std::uint64_t>("sum", &summer::plus).add(v.second);
    auto l = ctx.list_state<std::uint64_t>("recent");
    l.add(v.second);
    if (l.get().size() > 3) {
      std::vector<std::uint64_t> last(l.get().end() - 3, l.get().end());
      l.update(std::move(last));
    }
    ctx.register_event_time_timer(std::numeric_limits<std::int64_t>::max() - 1);
  }
  void on_timer(std::int64_t, ctx_t& ctx, eddy::collector<summary_t>& out) {
    out.collect(summary_t{ctx.current_key(), *ctx.value_state<std::uint64_t>("n").value(),
                          *ctx.reducing_state<std::uint64_t>("sum", &summer::plus).get(),
                          ctx.list_state<std::uint64_t>("recent").get().size()});
  }
};
}  // namespace

TEST_CASE("keyed process function state and timers are restored from a checkpoint",
          "[checkpoint][recovery]") {
  const int p = GENERATE(1, 2);
  INFO("parallelism " << p);
  temp_dir tmp{"eddy-chk"};
  auto sw = std::make_shared<failure_switch>();
  eddy::StreamEnvironment env;
  env.set_parallelism(p);
  env.set_batch_size(64);
  enable_checkpoints(env, tmp.path() / "chk");
  auto out = env.from_generator(records, [](std::uint64_t i) { return i; })
                 .map(failing_map(sw))
                 .map([](std::uint64_t i) { return kv_t(static_cast<int>(i % keys), i); })
                 .key_by([](const kv_t& v) { return v.first; })
                 .process(summer{})
                 .collect();
  const auto result = run_with_failure(env, *sw);
  REQUIRE(result.ok());
  std::map<int, std::pair<std::uint64_t, std::uint64_t>> ref;
  for (std::uint64_t i = 0; i < records; ++i) {
    auto& r = ref[static_cast<int>(i % keys)];
    ++r.first;
    r.second += i;
  }
  std::vector<summary_t> want;
  for (const auto& [k, r] : ref) want.emplace_back(k, r.first, r.second, std::size_t{3});
  CHECK(sorted(out.values()) == want);
}

TEST_CASE(
    "without checkpoints a restart replays from the start and collect still sees each "
    "record once",
    "[checkpoint][recovery]") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.config().restart = eddy::restart_strategy::fixed_delay(1, milliseconds(1));
  auto armed = std::make_shared<std::atomic<bool>>(true);
  auto out = env.from_generator(1000, [](std::uint64_t i) { return i; })
                 .map([armed](std::uint64_t i) {
                   if (i == 700 && armed->exchange(false)) throw std::runtime_error("once");
                   return i;
                 })
                 .collect();
  const auto r = env.execute("restart from scratch");
  CHECK(r.restarts == 1);
  std::vector<std::uint64_t> want(1000);
  for (std::uint64_t i = 0; i < 1000; ++i) want[i] = i;
  CHECK(sorted(out.values()) == want);
}

TEST_CASE("an interval join's buffered records are restored from a checkpoint",
          "[checkpoint][recovery]") {
  temp_dir tmp{"eddy-chk"};
  auto sw = std::make_shared<failure_switch>();
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.set_batch_size(64);
  enable_checkpoints(env, tmp.path() / "chk");
  using ev = std::pair<int, std::uint64_t>;  // key, id (timestamp = id / 5)
  const auto strategy =
      eddy::WatermarkStrategy<ev>::for_monotonous_timestamps().with_timestamp_assigner(
          [](const ev& e) { return static_cast<std::int64_t>(e.second / 5); });
  auto key = [](const ev& e) { return e.first; };
  auto left = env.from_generator(records, [](std::uint64_t i) { return i; })
                  .set_parallelism(1)
                  .map(failing_map(sw))
                  .set_parallelism(1)
                  .map([](std::uint64_t i) { return ev(static_cast<int>(i % keys), i); })
                  .set_parallelism(1)
                  .assign_timestamps_and_watermarks(strategy)
                  .set_parallelism(1);
  auto right = env.from_generator(records / 10, [](std::uint64_t i) { return i * 10; })
                   .set_parallelism(1)
                   .map([](std::uint64_t i) {
                     if (i % 100 == 0) std::this_thread::sleep_for(milliseconds(1));
                     return ev(static_cast<int>(i % keys), i);
                   })
                   .set_parallelism(1)
                   .assign_timestamps_and_watermarks(strategy)
                   .set_parallelism(1);
  using pair_t = std::pair<std::uint64_t, std::uint64_t>;
  auto out = left.key_by(key)
                 .interval_join(right.key_by(key))
                 .between(milliseconds(-5), milliseconds(5))
                 .process([](const ev& a, const ev& b, eddy::interval_join_context&,
                             eddy::collector<pair_t>& o) {
                   o.collect({a.second, b.second});
                 })
                 .collect();
  const auto result = run_with_failure(env, *sw);
  REQUIRE(result.ok());
  CHECK(result.late_records() == 0);
  std::vector<pair_t> want;
  for (std::uint64_t a = 0; a < records; ++a)
    for (std::uint64_t b = 0; b < records; b += 10) {
      const auto ta = static_cast<std::int64_t>(a / 5), tb = static_cast<std::int64_t>(b / 5);
      if (a % keys == b % keys && tb >= ta - 5 && tb <= ta + 5) want.emplace_back(a, b);
    }
  CHECK(want.size() > 1000);
  CHECK(sorted(out.values()) == sorted(want));
}
