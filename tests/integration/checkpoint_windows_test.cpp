// Checkpoints of the general window operator (session and count windows) and of broadcast state
// (keyed and non-keyed broadcast process functions) in whole jobs: a failure injected after a
// checkpoint completed, the job restarts from it in exactly-once mode, and the committed output
// equals the failure-free output exactly. Also: broadcast state resumed at another parallelism
// (every subtask gets the same copy), and resumed with other types (the job fails naming it).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/operators/datastream.hpp"
#include "support/failure_injection.hpp"
#include "support/test_support.hpp"

// A namespace of its own: test files are compiled in unity batches (tests/CMakeLists.txt).
namespace checkpoint_windows_test {

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

// ---- broadcast functions ----

using rule_t = std::pair<std::int64_t, std::uint64_t>;  // key, multiplier
using bout_t = std::tuple<int, std::uint64_t, std::uint64_t>;

rule_t rule(std::uint64_t i) {
  return {static_cast<std::int64_t>(i), 3 * i + 1};
}
/// The sum of the multipliers of rules 0..r.
std::uint64_t rules_total(std::uint64_t r) {
  return 3 * r * (r + 1) / 2 + (r + 1);
}

const eddy::map_state_descriptor<std::int64_t, std::uint64_t> multipliers("multipliers");

/// Non-keyed: the broadcast side keeps every rule and their running total (under key -1) in
/// broadcast state and emits (1, rule, total), so what each subtask emits depends only on the
/// broadcast records and the state (not on how the inputs interleave); the other side emits
/// (0, v, 0).
struct tally_rules {
  void process_element(const std::uint64_t& v,
                       eddy::broadcast_context<eddy::co_context<bout_t>, true>&,
                       eddy::collector<bout_t>& out) {
    out.collect(bout_t{0, v, 0});
  }
  void process_broadcast_element(const rule_t& r,
                                 eddy::broadcast_context<eddy::co_context<bout_t>, false>& ctx,
                                 eddy::collector<bout_t>& out) {
    auto st = ctx.broadcast_state(multipliers);
    st.put(r.first, r.second);
    const std::uint64_t* total = st.get(-1);
    const std::uint64_t t = (total ? *total : 0) + r.second;
    st.put(-1, t);
    out.collect(bout_t{1, static_cast<std::uint64_t>(r.first), t});
  }
};

/// Keyed: record v needs rule v; a record whose rule has not arrived waits in keyed list state
/// until an event-time timer at the end of the input. Emits (0, v, v * multiplier) per record
/// (or (2, v, 0) if its rule is missing at the end) and (1, key, records of the key).
struct keyed_rules {
  using read_ctx = eddy::keyed_broadcast_context<int, true>;
  static constexpr std::int64_t at_the_end = 1'000'000'000;
  void process_element(const std::uint64_t& v, read_ctx& ctx, eddy::collector<bout_t>& out) {
    auto n = ctx.value_state<std::uint64_t>("n");
    n.update(n.value().value_or(0) + 1);
    ctx.register_event_time_timer(at_the_end);
    if (const auto* m = ctx.broadcast_state(multipliers).get(static_cast<std::int64_t>(v)))
      out.collect(bout_t{0, v, v * *m});
    else
      ctx.list_state<std::uint64_t>("waiting").add(v);
  }
  void process_broadcast_element(const rule_t& r, eddy::keyed_broadcast_context<int, false>& ctx,
                                 eddy::collector<bout_t>&) {
    ctx.broadcast_state(multipliers).put(r.first, r.second);
  }
  void on_timer(std::int64_t, read_ctx& ctx, eddy::collector<bout_t>& out) {
    auto rules = ctx.broadcast_state(multipliers);
    auto waiting = ctx.list_state<std::uint64_t>("waiting");
    for (auto v : waiting.get()) {
      const auto* m = rules.get(static_cast<std::int64_t>(v));
      out.collect(m ? bout_t{0, v, v * *m} : bout_t{2, v, 0});
    }
    waiting.clear();
    out.collect(bout_t{1, static_cast<std::uint64_t>(ctx.current_key()),
                       *ctx.value_state<std::uint64_t>("n").value()});
  }
};

/// Uses the broadcast state "multipliers" with another value type.
const eddy::map_state_descriptor<std::int64_t, std::string> multipliers_as_text("multipliers");
struct text_rules {
  void process_element(const std::uint64_t& v,
                       eddy::broadcast_context<eddy::co_context<bout_t>, true>& ctx,
                       eddy::collector<bout_t>& out) {
    out.collect(bout_t{0, v, ctx.broadcast_state(multipliers_as_text).is_empty() ? 0u : 1u});
  }
  void process_broadcast_element(const rule_t& r,
                                 eddy::broadcast_context<eddy::co_context<bout_t>, false>& ctx,
                                 eddy::collector<bout_t>&) {
    ctx.broadcast_state(multipliers_as_text).put(r.first, std::to_string(r.second));
  }
};

}  // namespace

TEST_CASE("session windows are restored from a checkpoint after a failure",
          "[checkpoint][recovery][window]") {
  const int p = GENERATE(1, 2);
  INFO("parallelism " << p);
  temp_dir tmp{"eddy-chk-win"};
  auto sw = std::make_shared<failure_switch>();
  eddy::StreamEnvironment env;
  env.set_parallelism(p);
  env.set_batch_size(64);
  enable_checkpoints(env, tmp.path() / "chk");
  // Record i of key i % 7 at time i + 500 * (i / 1000): a key's records are 7 ms apart within a
  // block of 1000, so each key has one session (gap 100 ms) per block, growing by merges.
  using ev = std::tuple<int, std::uint64_t, std::int64_t>;  // key, value, first timestamp
  auto ts_of = [](std::uint64_t i) { return static_cast<std::int64_t>(i + 500 * (i / 1000)); };
  auto out =
      env.from_generator(records, [](std::uint64_t i) { return i; })
          .map(failing_map(sw))
          .map([ts_of](std::uint64_t i) { return ev(static_cast<int>(i % keys), i, ts_of(i)); })
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<ev>::for_monotonous_timestamps().with_timestamp_assigner(
                  [](const ev& v) { return std::get<2>(v); }))
          .key_by([](const ev& v) { return std::get<0>(v); })
          .window(eddy::EventTimeSessionWindows::with_gap(milliseconds(100)))
          .reduce([](const ev& a, const ev& b) {
            return ev(std::get<0>(a), std::get<1>(a) + std::get<1>(b),
                      std::min(std::get<2>(a), std::get<2>(b)));
          })
          .name("sessions")
          .collect();
  const auto result = run_with_failure(env, *sw);
  REQUIRE(result.ok());
  CHECK(result.late_records() == 0);
  std::map<std::pair<int, std::uint64_t>, ev> ref;  // (key, block) -> session
  for (std::uint64_t i = 0; i < records; ++i) {
    const int k = static_cast<int>(i % keys);
    auto [it, fresh] = ref.try_emplace({k, i / 1000}, ev(k, i, ts_of(i)));
    if (!fresh) std::get<1>(it->second) += i;
  }
  std::vector<ev> want;
  for (const auto& [k, s] : ref) want.push_back(s);
  CHECK(want.size() == keys * records / 1000);
  CHECK(sorted(out.values()) == sorted(want));
}

TEST_CASE("count windows are restored from a checkpoint after a failure",
          "[checkpoint][recovery][window]") {
  const bool sliding = GENERATE(false, true);
  INFO((sliding ? "count_window(10, 3)" : "count_window(10)"));
  temp_dir tmp{"eddy-chk-win"};
  auto sw = std::make_shared<failure_switch>();
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.set_batch_size(64);
  enable_checkpoints(env, tmp.path() / "chk");
  using kv = std::pair<int, std::uint64_t>;
  // One source, so that each key's records arrive in a fixed order (count windows depend on it).
  auto keyed = env.from_generator(records, [](std::uint64_t i) { return i; })
                   .set_parallelism(1)
                   .map(failing_map(sw))
                   .set_parallelism(1)
                   .map([](std::uint64_t i) { return kv(static_cast<int>(i % keys), i); })
                   .set_parallelism(1)
                   .key_by([](const kv& v) { return v.first; });
  std::map<int, std::vector<std::uint64_t>> per_key;
  for (std::uint64_t i = 0; i < records; ++i) per_key[static_cast<int>(i % keys)].push_back(i);
  if (!sliding) {
    auto out =
        keyed.count_window(10)
            .reduce([](const kv& a, const kv& b) { return kv(a.first, a.second + b.second); })
            .collect();
    const auto result = run_with_failure(env, *sw);
    REQUIRE(result.ok());
    std::vector<kv> want;  // full windows only: the last incomplete one is not emitted
    for (const auto& [k, s] : per_key)
      for (std::size_t j = 0; j + 10 <= s.size(); j += 10) {
        std::uint64_t sum = 0;
        for (std::size_t x = j; x < j + 10; ++x) sum += s[x];
        want.emplace_back(k, sum);
      }
    CHECK(want.size() > 1000);
    CHECK(sorted(out.values()) == sorted(want));
  } else {
    using win_t = std::tuple<int, std::uint64_t, std::uint64_t, std::size_t>;  // first, last, n
    auto out = keyed.count_window(10, 3)
                   .process([](const int& k, const eddy::global_window&,
                               const std::vector<kv>& recs, eddy::collector<win_t>& o) {
                     o.collect(win_t{k, recs.front().second, recs.back().second, recs.size()});
                   })
                   .collect();
    const auto result = run_with_failure(env, *sw);
    REQUIRE(result.ok());
    std::vector<win_t> want;  // every third record of a key: its last (up to) 10 records
    for (const auto& [k, s] : per_key)
      for (std::size_t j = 3; j <= s.size(); j += 3) {
        const std::size_t first = j > 10 ? j - 10 : 0;
        want.emplace_back(k, s[first], s[j - 1], j - first);
      }
    CHECK(want.size() > 1000);
    CHECK(sorted(out.values()) == sorted(want));
  }
}

TEST_CASE("broadcast state is restored from a checkpoint after a failure",
          "[checkpoint][recovery][broadcast]") {
  const bool keyed = GENERATE(false, true);
  INFO((keyed ? "keyed broadcast process function" : "broadcast process function"));
  constexpr int p = 2;
  temp_dir tmp{"eddy-chk-bc"};
  auto sw = std::make_shared<failure_switch>();
  eddy::StreamEnvironment env;
  env.set_parallelism(p);
  env.set_batch_size(64);
  enable_checkpoints(env, tmp.path() / "chk");
  // Both sources run about a second, so that checkpoints complete while both run (a rate limit,
  // not sleeps: three sleeping sources would hold up every scheduler thread). One source of
  // rules, so every subtask sees them in the same order.
  env.config().source_rate = 20000;
  auto rules = env.from_generator(records, [](std::uint64_t i) { return i; })
                   .set_parallelism(1)
                   .map(failing_map(sw))
                   .set_parallelism(1)
                   .map([](std::uint64_t i) { return rule(i); })
                   .set_parallelism(1)
                   .broadcast(multipliers);
  auto values = env.from_generator(records, [](std::uint64_t i) { return i; });
  std::vector<bout_t> want;
  eddy::collected<bout_t> out;
  if (keyed) {
    out = values.key_by([](std::uint64_t v) { return static_cast<int>(v % keys); })
              .connect(rules)
              .process(keyed_rules{})
              .collect();
    std::map<int, std::uint64_t> n;
    for (std::uint64_t v = 0; v < records; ++v) {
      want.emplace_back(0, v, v * (3 * v + 1));
      ++n[static_cast<int>(v % keys)];
    }
    for (const auto& [k, c] : n) want.emplace_back(1, static_cast<std::uint64_t>(k), c);
  } else {
    out = values.connect(rules).process(tally_rules{}).collect();
    for (std::uint64_t v = 0; v < records; ++v) want.emplace_back(0, v, 0);
    for (int s = 0; s < p; ++s)
      for (std::uint64_t r = 0; r < records; ++r) want.emplace_back(1, r, rules_total(r));
  }
  const auto result = run_with_failure(env, *sw, 5);  // with some rules in the state
  REQUIRE(result.ok());
  CHECK(sorted(out.values()) == sorted(want));
}

TEST_CASE(
    "broadcast state resumed at another parallelism is the same on every subtask, and resumed "
    "with other types fails naming it",
    "[checkpoint][broadcast]") {
  temp_dir tmp{"eddy-chk-bc"};
  const auto chk = tmp.path() / "chk";
  const std::string job = "rules at another parallelism";
  // Builds the job: unbounded sources (one subtask each, 20000 records/s), the broadcast
  // function at `p`.
  auto build = [](eddy::StreamEnvironment& env, int p, auto fn) {
    env.set_parallelism(p);
    env.config().source_rate = 20000;
    auto rules = env.from_generator(eddy::unbounded, [](std::uint64_t i) { return i; })
                     .set_parallelism(1)
                     .map([](std::uint64_t i) { return rule(i); })
                     .set_parallelism(1)
                     .broadcast(multipliers);
    return env.from_generator(eddy::unbounded, [](std::uint64_t i) { return i; })
        .set_parallelism(1)
        .connect(rules)
        .process(fn, "apply rules")
        .collect();
  };
  // Runs until `enough` says so (or 30 s passed), then cancels.
  auto run_until = [&](eddy::StreamEnvironment& env, auto enough) {
    auto started = env.execute_async(job);
    REQUIRE(started);
    auto handle = *started;
    for (int w = 0; w < 30000 && !enough(handle); ++w) std::this_thread::sleep_for(milliseconds(1));
    handle.cancel();
    return handle.wait();
  };
  {
    eddy::StreamEnvironment env;
    enable_checkpoints(env, chk);
    auto out = build(env, 2, tally_rules{});
    const auto r = run_until(env, [](auto& h) { return h.checkpoints().size() >= 3; });
    CHECK(r.state == eddy::job_state::canceled);
    REQUIRE(r.checkpoints.size() >= 3);
  }
  {
    eddy::StreamEnvironment env;
    enable_checkpoints(env, chk);
    env.config().restore_from = chk.string();
    auto out = build(env, 3, tally_rules{});
    // Rules seen by all three subtasks come from this run (the first ran two); the output may
    // also hold the first run's records of its last checkpoint, committed by the restore.
    auto copies_of_rules = [&out] {
      std::map<std::uint64_t, int> copies;
      for (const auto& v : out.values())
        if (std::get<0>(v) == 1) ++copies[std::get<1>(v)];
      return copies;
    };
    auto rules_in_all_three = [&] {
      std::size_t n = 0;
      for (const auto& [r_id, c] : copies_of_rules()) n += c == 3;
      return n;
    };
    const auto r = run_until(env, [&](auto&) { return rules_in_all_three() >= 100; });
    CHECK(r.restored_checkpoint > 0);
    CHECK(rules_in_all_three() >= 100);
    // Every subtask carries on from the restored rules: each total is the sum over all rules so
    // far, including those before the checkpoint, which this run never saw.
    std::uint64_t first_in_all_three = ~std::uint64_t{0};
    for (const auto& [r_id, c] : copies_of_rules()) {
      INFO("rule " << r_id);
      CHECK(c <= 3);
      if (c == 3) first_in_all_three = std::min(first_in_all_three, r_id);
    }
    for (const auto& [kind, r_id, total] : out.values())
      if (kind == 1 && total != rules_total(r_id)) {
        INFO("rule " << r_id);
        CHECK(total == rules_total(r_id));
        break;
      }
    CHECK(first_in_all_three > 0);  // the rules before it came from the restored state
  }
  {
    eddy::StreamEnvironment env;
    env.config().restore_from = chk.string();
    auto out = build(env, 2, text_rules{});
    const auto r = run_until(env, [](auto& h) { return h.wait_for(milliseconds(0)).has_value(); });
    CHECK(r.state == eddy::job_state::failed);
    REQUIRE(r.failure);
    CHECK(r.failure->message.find("incompatible state") != std::string::npos);
    CHECK(r.failure->message.find("'multipliers'") != std::string::npos);
    CHECK(r.failure->message.find("apply rules") != std::string::npos);
  }
}

}  // namespace checkpoint_windows_test
