// The interval join operator driven directly: randomised inputs (in order, out of order, late
// records, several bounds) against a brute-force join; checkpoints in the middle restored at
// parallelism 1, 2 and 3; checkpoints written by the operator before its cleanup timers left
// the timer_service (interval_join_snapshots.hpp) restore the same way.
#include <catch2/catch.hpp>

#include "support/recording_sink.hpp"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/operators/collector.hpp"
#include "eddy/operators/interval_join_op.hpp"
#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/serializer.hpp"
#include "eddy/runtime/snapshot.hpp"
#include "unit/operators/interval_join_snapshots.hpp"

namespace {

using eddy::testing::recording_sink;
constexpr int max_par = 128;

/// A deterministic pseudo-random sequence.
struct lcg {
  std::uint64_t s;
  std::uint64_t next(std::uint64_t n) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (s >> 33) % n;
  }
};

using out_t = std::tuple<std::int64_t, std::int64_t, std::int64_t>;  // a id, b id, ctx timestamp

/// One step: records of one side with timestamps, or a watermark.
template <class R>
struct step {
  bool left = true;
  std::vector<R> records;
  std::vector<std::int64_t> ts;
  std::int64_t watermark = 0;  // a watermark step when records is empty
};

/// Steps with keys 0..keys-1 (as K), record ids from 1, timestamps base + [-jitter, jitter],
/// a watermark base - lag every fifth step (never decreasing).
template <class K>
std::vector<step<std::pair<K, std::int64_t>>> make_steps(std::uint64_t seed, int n, int keys,
                                                         std::int64_t jitter, std::int64_t lag,
                                                         K (*key_of)(std::uint64_t)) {
  lcg g{seed};
  std::vector<step<std::pair<K, std::int64_t>>> out;
  std::int64_t base = 1000, id = 0, wm = eddy::min_watermark;
  for (int i = 0; i < n; ++i) {
    base += static_cast<std::int64_t>(g.next(4));
    if (i % 5 == 4) {
      wm = std::max(wm, base - lag);
      out.push_back({true, {}, {}, wm});
      continue;
    }
    step<std::pair<K, std::int64_t>> s;
    s.left = g.next(2) == 0;
    const auto count = 1 + g.next(5);
    for (std::uint64_t j = 0; j < count; ++j) {
      s.records.emplace_back(key_of(g.next(static_cast<std::uint64_t>(keys))), ++id);
      s.ts.push_back(base +
                     static_cast<std::int64_t>(g.next(static_cast<std::uint64_t>(2 * jitter + 1))) -
                     jitter);
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::int64_t int_key(std::uint64_t k) {
  return static_cast<std::int64_t>(k);
}
std::string string_key(std::uint64_t k) {
  return "key-" + std::to_string(k);
}

const auto join_fn = [](const auto& a, const auto& b, eddy::interval_join_context& ctx,
                        eddy::collector<out_t>& out) {
  CHECK(ctx.timestamp() == std::max(ctx.left_timestamp(), ctx.right_timestamp()));
  out.collect(out_t{a.second, b.second, ctx.timestamp()});
};
const auto first_of = [](const auto& r) { return r.first; };

template <class K>
using rec_t = std::pair<K, std::int64_t>;
template <class K>
using op_t = eddy::interval_join_op<rec_t<K>, rec_t<K>, K, std::decay_t<decltype(first_of)>,
                                    std::decay_t<decltype(first_of)>, out_t,
                                    std::decay_t<decltype(join_fn)>>;

eddy::subtask_info info(int index, int parallelism) {
  eddy::subtask_info i;
  i.job_name = "interval join test job";
  i.task_name = "interval join test task";
  i.index = index;
  i.parallelism = parallelism;
  i.max_parallelism = max_par;
  i.batch_size = 16;
  i.clock = [] { return std::int64_t{0}; };
  return i;
}

template <class K>
std::unique_ptr<op_t<K>> make_op(eddy::interval_bounds b, eddy::input_op<out_t>* sink,
                                 int index = 0, int par = 1) {
  auto op = std::make_unique<op_t<K>>(first_of, first_of, b, join_fn, "", "", sink);
  op->set_name("interval join");
  op->open(info(index, par));
  return op;
}

/// Runs steps [from, to) on the subtasks `ops` (records routed by key group); ends the input
/// (max watermark, finish) if `to` is the end.
template <class K>
void run_steps(const std::vector<op_t<K>*>& ops, const std::vector<step<rec_t<K>>>& steps,
               std::size_t from, std::size_t to) {
  const int par = static_cast<int>(ops.size());
  for (std::size_t i = from; i < to; ++i) {
    const auto& s = steps[i];
    if (s.records.empty()) {
      for (auto* op : ops) op->on_watermark(s.watermark);
      continue;
    }
    for (int p = 0; p < par; ++p) {
      std::vector<rec_t<K>> rs;
      std::vector<std::int64_t> ts;
      for (std::size_t j = 0; j < s.records.size(); ++j)
        if (eddy::subtask_of_key_group(
                eddy::key_group_of(eddy::key_hash(s.records[j].first), max_par), max_par, par) ==
            p) {
          rs.push_back(s.records[j]);
          ts.push_back(s.ts[j]);
        }
      if (rs.empty()) continue;
      if (s.left)
        ops[p]->process1(rs, ts);
      else
        ops[p]->process2(rs, ts);
    }
  }
  if (to == steps.size())
    for (auto* op : ops) {
      op->on_watermark(eddy::max_watermark);
      op->finish();
    }
}

/// Every result with its timestamp, sorted.
std::vector<std::pair<out_t, std::int64_t>> results(const std::vector<recording_sink<out_t>*>& s) {
  std::vector<std::pair<out_t, std::int64_t>> out;
  for (auto* sink : s) {
    REQUIRE(sink->timestamps_parallel());
    const auto r = sink->records();
    const auto t = sink->timestamps();
    for (std::size_t i = 0; i < r.size(); ++i) out.emplace_back(r[i], t[i]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// The brute-force join: every pair of records that were not late (timestamp below the
/// watermark when they arrived) with equal keys and b.ts in [a.ts + lo, a.ts + hi].
template <class K>
std::vector<std::pair<out_t, std::int64_t>> reference(const std::vector<step<rec_t<K>>>& steps,
                                                      eddy::interval_bounds b,
                                                      std::uint64_t* late = nullptr) {
  struct kept {
    K key;
    std::int64_t id, ts;
  };
  std::vector<kept> as, bs;
  std::int64_t wm = eddy::min_watermark;
  std::uint64_t n_late = 0;
  for (const auto& s : steps) {
    if (s.records.empty()) {
      wm = s.watermark;
      continue;
    }
    for (std::size_t i = 0; i < s.records.size(); ++i) {
      if (wm != eddy::min_watermark && s.ts[i] < wm) {
        ++n_late;
        continue;
      }
      (s.left ? as : bs).push_back(kept{s.records[i].first, s.records[i].second, s.ts[i]});
    }
  }
  if (late) *late = n_late;
  std::vector<std::pair<out_t, std::int64_t>> out;
  for (const auto& a : as)
    for (const auto& x : bs)
      if (a.key == x.key && a.ts + b.lo() <= x.ts && x.ts <= a.ts + b.hi())
        out.emplace_back(out_t{a.id, x.id, std::max(a.ts, x.ts)}, std::max(a.ts, x.ts));
  std::sort(out.begin(), out.end());
  return out;
}

struct scenario {
  std::int64_t jitter, lag;
};

template <class K>
void check_against_reference(K (*key_of)(std::uint64_t)) {
  const auto bounds = GENERATE(
      eddy::interval_bounds{-10, 10, true, true}, eddy::interval_bounds{0, 25, false, true},
      eddy::interval_bounds{-30, -5, true, false}, eddy::interval_bounds{5, 5, true, true},
      eddy::interval_bounds{3, 40, true, true});
  // In order (the per-side queues), out of order within the lag (the heap), and out of order
  // beyond it (late records).
  const auto sc = GENERATE(scenario{0, 1}, scenario{15, 20}, scenario{30, 10});
  const std::uint64_t seed = GENERATE(1u, 7u, 23u);
  INFO("bounds [" << bounds.lower << ", " << bounds.upper << "] inclusive "
                  << bounds.lower_inclusive << bounds.upper_inclusive << ", jitter " << sc.jitter
                  << ", lag " << sc.lag << ", seed " << seed);
  const auto steps = make_steps<K>(seed, 600, 6, sc.jitter, sc.lag, key_of);
  recording_sink<out_t> sink;
  auto op = make_op<K>(bounds, &sink);
  run_steps<K>({op.get()}, steps, 0, steps.size());
  std::uint64_t late = 0;
  const auto want = reference<K>(steps, bounds, &late);
  CHECK(want.size() > 20);
  CHECK(results({&sink}) == want);
  CHECK(op->counters().late_records == late);
  if (sc.jitter > sc.lag) CHECK(late > 0);
  CHECK(op->buffered() == 0);  // the max watermark removed every record
}

}  // namespace

TEST_CASE("the interval join operator equals a brute-force join, integer keys",
          "[join][interval_join]") {
  check_against_reference<std::int64_t>(&int_key);
}

TEST_CASE("the interval join operator equals a brute-force join, string keys",
          "[join][interval_join]") {
  check_against_reference<std::string>(&string_key);
}

TEST_CASE("the interval join keeps only records a later record can still match",
          "[join][interval_join]") {
  // bounds [-10, 10]: a left record at t stays until the watermark passes t + 10, a right one
  // until it passes t + 10 too.
  recording_sink<out_t> sink;
  auto op = make_op<std::int64_t>(eddy::interval_bounds{-10, 10, true, true}, &sink);
  std::vector<rec_t<std::int64_t>> l{{1, 1}, {2, 2}, {1, 3}};
  std::vector<std::int64_t> lt{100, 105, 120};
  op->process1(l, lt);
  CHECK(op->buffered() == 3);
  op->on_watermark(110);  // 100 + 10 is not passed yet
  CHECK(op->buffered() == 3);
  op->on_watermark(111);
  CHECK(op->buffered() == 2);
  op->on_watermark(131);
  CHECK(op->buffered() == 0);
  std::vector<rec_t<std::int64_t>> r{{1, 4}};
  std::vector<std::int64_t> rt{130};  // behind the watermark: late
  op->process2(r, rt);
  CHECK(op->buffered() == 0);
  CHECK(op->counters().late_records == 1);
}

TEST_CASE("an interval join checkpointed in the middle restores at parallelism 1, 2 and 3",
          "[join][interval_join][checkpoint]") {
  const std::uint64_t seed = GENERATE(3u, 9u);
  const auto sc = GENERATE(scenario{0, 1}, scenario{20, 25});
  const eddy::interval_bounds bounds{-8, 12, true, false};
  const auto steps = make_steps<std::int64_t>(seed, 500, 9, sc.jitter, sc.lag, &int_key);
  const std::size_t cut = 250;
  recording_sink<out_t> whole_sink;
  auto whole = make_op<std::int64_t>(bounds, &whole_sink);
  run_steps<std::int64_t>({whole.get()}, steps, 0, cut);
  std::vector<eddy::state_entry> snap;
  whole->snapshot_state(1, snap);
  // The entries: the backend's state "join-buffers" and the timers, per key group.
  bool buffers = false, timers = false;
  for (const auto& e : snap) {
    CHECK(e.key_group >= 0);
    buffers = buffers || e.name == "join-buffers";
    timers = timers || e.name == "__timers";
    CHECK((e.name == "join-buffers" || e.name == "__timers"));
  }
  CHECK(buffers);
  CHECK(timers);
  whole_sink.events.clear();
  run_steps<std::int64_t>({whole.get()}, steps, cut, steps.size());
  const auto want = results({&whole_sink});
  REQUIRE(want.size() > 20);
  for (int par : {1, 2, 3}) {
    INFO("parallelism " << par);
    std::vector<std::unique_ptr<recording_sink<out_t>>> sinks;
    std::vector<recording_sink<out_t>*> sink_ptrs;
    std::vector<std::unique_ptr<op_t<std::int64_t>>> ops;
    std::vector<op_t<std::int64_t>*> op_ptrs;
    for (int p = 0; p < par; ++p) {
      sinks.push_back(std::make_unique<recording_sink<out_t>>());
      sink_ptrs.push_back(sinks.back().get());
      ops.push_back(make_op<std::int64_t>(bounds, sinks.back().get(), p, par));
      const auto r = eddy::key_group_range_of_subtask(p, max_par, par);
      std::vector<eddy::state_entry> mine;
      for (const auto& e : snap)
        if (r.contains(e.key_group)) mine.push_back(e);
      ops.back()->restore_state(mine);
      op_ptrs.push_back(ops.back().get());
    }
    // A restored operator writes the snapshot it restored from (same entries, same bytes).
    if (par == 1) {
      std::vector<eddy::state_entry> again;
      op_ptrs[0]->snapshot_state(2, again);
      REQUIRE(again.size() == snap.size());
      for (std::size_t i = 0; i < snap.size(); ++i) {
        CHECK(again[i].name == snap[i].name);
        CHECK(again[i].key_group == snap[i].key_group);
        CHECK(again[i].type == snap[i].type);
        if (again[i].name == "__timers") CHECK(again[i].data == snap[i].data);
      }
    }
    run_steps<std::int64_t>(op_ptrs, steps, cut, steps.size());
    CHECK(results(sink_ptrs) == want);
  }
}

// The bytes in interval_join_snapshots.hpp were printed by this test (run with its tag) with the
// operator of commit 811871a (cleanup timers in a timer_service<K, std::uint8_t>).
TEST_CASE("record interval join snapshots", "[.record]") {
  const auto steps = make_steps<std::int64_t>(5, 400, 9, 20, 25, &int_key);
  recording_sink<out_t> sink;
  auto op = make_op<std::int64_t>(eddy::interval_bounds{-8, 12, true, false}, &sink);
  run_steps<std::int64_t>({op.get()}, steps, 0, 200);
  std::vector<eddy::state_entry> snap;
  op->snapshot_state(1, snap);
  using entry_row = std::tuple<std::string, int, std::string, std::string>;
  std::vector<entry_row> rows;
  for (const auto& e : snap) rows.emplace_back(e.name, e.key_group, e.type, e.data);
  const auto bytes = eddy::serialize(rows);
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bytes) {
    hex += digits[c >> 4];
    hex += digits[c & 15];
  }
  std::cout << "timer_service_hex = \"" << hex << "\"\n";
}

TEST_CASE("an interval join restores checkpoints whose timers a timer_service wrote",
          "[join][interval_join][checkpoint][migration]") {
  const auto steps = make_steps<std::int64_t>(5, 400, 9, 20, 25, &int_key);
  const eddy::interval_bounds bounds{-8, 12, true, false};
  recording_sink<out_t> whole_sink;
  auto whole = make_op<std::int64_t>(bounds, &whole_sink);
  run_steps<std::int64_t>({whole.get()}, steps, 0, 200);
  std::vector<eddy::state_entry> current;
  whole->snapshot_state(1, current);
  whole_sink.events.clear();
  run_steps<std::int64_t>({whole.get()}, steps, 200, steps.size());
  const auto want = results({&whole_sink});
  REQUIRE(want.size() > 20);

  const std::string_view hex = eddy::testing::interval_join::timer_service_hex;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  std::vector<std::tuple<std::string, int, std::string, std::string>> rows;
  REQUIRE(eddy::deserialize(bytes, rows));
  std::vector<eddy::state_entry> recorded;
  for (auto& [n, kg, t, d] : rows) recorded.push_back(eddy::state_entry{n, kg, t, d});
  // Same entries as the current operator writes; the timers byte for byte.
  REQUIRE(recorded.size() == current.size());
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    CHECK(recorded[i].name == current[i].name);
    CHECK(recorded[i].key_group == current[i].key_group);
    CHECK(recorded[i].type == current[i].type);
    if (recorded[i].name == "__timers") CHECK(recorded[i].data == current[i].data);
  }
  for (int par : {1, 2}) {
    INFO("parallelism " << par);
    std::vector<std::unique_ptr<recording_sink<out_t>>> sinks;
    std::vector<recording_sink<out_t>*> sink_ptrs;
    std::vector<std::unique_ptr<op_t<std::int64_t>>> ops;
    std::vector<op_t<std::int64_t>*> op_ptrs;
    for (int p = 0; p < par; ++p) {
      sinks.push_back(std::make_unique<recording_sink<out_t>>());
      sink_ptrs.push_back(sinks.back().get());
      ops.push_back(make_op<std::int64_t>(bounds, sinks.back().get(), p, par));
      const auto r = eddy::key_group_range_of_subtask(p, max_par, par);
      std::vector<eddy::state_entry> mine;
      for (const auto& e : recorded)
        if (r.contains(e.key_group)) mine.push_back(e);
      ops.back()->restore_state(mine);
      op_ptrs.push_back(ops.back().get());
    }
    run_steps<std::int64_t>(op_ptrs, steps, 200, steps.size());
    CHECK(results(sink_ptrs) == want);
  }
}
