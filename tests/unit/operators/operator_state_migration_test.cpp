// Checkpoints of the interval join and the general window operator written before they moved onto
// the shared keyed state backend (the "buffers" and "windows" entries, recorded as hex in
// legacy_operator_snapshots.hpp with the code of commit 7c707e7) still restore: a restored
// operator, at parallelism 1 and rescaled to 2, emits what the operator that wrote the snapshot
// emits when it carries on. The hidden test "record legacy operator snapshots" printed the bytes.
#include <catch2/catch.hpp>

#include "support/recording_sink.hpp"

#include <algorithm>
#include <chrono>
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
#include "eddy/operators/windows.hpp"
#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/serializer.hpp"
#include "eddy/runtime/snapshot.hpp"
#include "unit/operators/legacy_operator_snapshots.hpp"

namespace {

using eddy::testing::recording_sink;
using std::chrono::milliseconds;
constexpr int max_par = 128;

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}
std::string from_hex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  return out;
}

using entry_row = std::tuple<std::string, int, std::string, std::string>;
std::string encode_entries(const std::vector<eddy::state_entry>& es) {
  std::vector<entry_row> rows;
  for (const auto& e : es) rows.emplace_back(e.name, e.key_group, e.type, e.data);
  return to_hex(eddy::serialize(rows));
}
std::vector<eddy::state_entry> decode_entries(std::string_view hex) {
  std::vector<entry_row> rows;
  REQUIRE(eddy::deserialize(from_hex(hex), rows));
  std::vector<eddy::state_entry> out;
  for (auto& [n, kg, t, d] : rows) out.push_back(eddy::state_entry{n, kg, t, d});
  return out;
}
/// The entries a subtask of `parallelism` restores: its key groups' ones and operator state.
std::vector<eddy::state_entry> entries_of(const std::vector<eddy::state_entry>& all, int index,
                                          int parallelism) {
  const auto r = eddy::key_group_range_of_subtask(index, max_par, parallelism);
  std::vector<eddy::state_entry> out;
  for (const auto& e : all)
    if (e.key_group < 0 || r.contains(e.key_group)) out.push_back(e);
  return out;
}

eddy::subtask_info info(int index = 0, int parallelism = 1) {
  eddy::subtask_info i;
  i.job_name = "migration test job";
  i.task_name = "migration test task";
  i.index = index;
  i.parallelism = parallelism;
  i.max_parallelism = max_par;
  i.batch_size = 64;
  i.clock = [] { return std::int64_t{0}; };
  return i;
}

/// A deterministic pseudo-random sequence.
struct lcg {
  std::uint64_t s;
  std::uint64_t next(std::uint64_t n) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (s >> 33) % n;
  }
};

/// One step of a scenario: records of one side (or input) with timestamps, or a watermark.
template <class R>
struct step {
  bool left = true;
  std::vector<R> records;
  std::vector<std::int64_t> ts;
  std::int64_t watermark = 0;  // used when records is empty
};

// ---- interval join ----

using rec = std::pair<std::int64_t, std::int64_t>;  // key, value
using joined = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
const auto rec_key = [](const rec& r) { return r.first; };
const auto join_fn = [](const rec& a, const rec& b, eddy::interval_join_context& ctx,
                        eddy::collector<joined>& out) {
  out.collect(joined{a.first, a.second, b.second, ctx.timestamp()});
};
using join_op = eddy::interval_join_op<rec, rec, std::int64_t, std::decay_t<decltype(rec_key)>,
                                       std::decay_t<decltype(rec_key)>, joined,
                                       std::decay_t<decltype(join_fn)>>;

std::vector<step<rec>> join_steps() {
  lcg g{7};
  std::vector<step<rec>> out;
  std::int64_t base = 0, v = 0;
  for (int i = 0; i < 400; ++i) {
    base += 3;
    if (i % 6 == 5) {
      out.push_back(step<rec>{true, {}, {}, base - 12});
      continue;
    }
    step<rec> s;
    s.left = g.next(2) == 0;
    const auto n = 1 + g.next(4);
    for (std::uint64_t j = 0; j < n; ++j) {
      s.records.push_back(rec{static_cast<std::int64_t>(g.next(9)), ++v});
      s.ts.push_back(base + static_cast<std::int64_t>(g.next(17)) - 8);
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::unique_ptr<join_op> make_join(eddy::input_op<joined>* sink, int index = 0, int par = 1) {
  auto op = std::make_unique<join_op>(rec_key, rec_key, eddy::interval_bounds{-5, 10, true, false},
                                      join_fn, "", "", sink);
  op->set_name("migration join");
  op->open(info(index, par));
  return op;
}

/// Runs steps [from, to) on the subtasks `ops` (records routed by key group).
template <class Op, class R, class KeyFn>
void run_steps(std::vector<Op*> ops, const std::vector<step<R>>& steps, std::size_t from,
               std::size_t to, KeyFn key, bool two_inputs) {
  const int par = static_cast<int>(ops.size());
  for (std::size_t i = from; i < to; ++i) {
    const auto& s = steps[i];
    if (s.records.empty()) {
      for (auto* op : ops) op->on_watermark(s.watermark);
      continue;
    }
    for (int p = 0; p < par; ++p) {
      std::vector<R> rs;
      std::vector<std::int64_t> ts;
      for (std::size_t j = 0; j < s.records.size(); ++j)
        if (eddy::subtask_of_key_group(
                eddy::key_group_of(eddy::key_hash(key(s.records[j])), max_par), max_par, par) ==
            p) {
          rs.push_back(s.records[j]);
          ts.push_back(s.ts[j]);
        }
      if (rs.empty()) continue;
      if constexpr (requires(Op & o) { o.process1(rs, ts); }) {
        if (two_inputs && !s.left)
          ops[p]->process2(rs, ts);
        else
          ops[p]->process1(rs, ts);
      } else {
        ops[p]->process(rs, ts);
      }
    }
  }
  if (to == steps.size())
    for (auto* op : ops) op->on_watermark(eddy::max_watermark);
}

template <class T>
std::vector<std::pair<T, std::int64_t>> sorted_output(
    const std::vector<recording_sink<T>*>& sinks) {
  std::vector<std::pair<T, std::int64_t>> out;
  for (auto* s : sinks) {
    auto r = s->records();
    auto t = s->timestamps();
    for (std::size_t i = 0; i < r.size(); ++i) out.emplace_back(r[i], t[i]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---- windows ----

using kv = std::pair<std::string, std::int64_t>;
const auto kv_key = [](const kv& r) { return r.first; };
using KvKey = std::decay_t<decltype(kv_key)>;
const auto add_values = [](const kv& a, const kv& b) { return kv{a.first, a.second + b.second}; };
using summing = eddy::reduce_window_fn<kv, std::decay_t<decltype(add_values)>>;

/// What the listing window function emits: key, window, sorted values.
using listed = std::tuple<std::string, std::int64_t, std::int64_t, std::vector<std::int64_t>>;
struct list_values {
  template <class W>
  void operator()(const std::string& key, const W& w, const std::vector<kv>& records,
                  eddy::collector<listed>& out) const {
    listed f{key, w.start, w.end, {}};
    for (const auto& r : records) std::get<3>(f).push_back(r.second);
    std::sort(std::get<3>(f).begin(), std::get<3>(f).end());
    out.collect(f);
  }
};
using lister = eddy::process_window_fn<kv, listed, list_values>;

std::vector<step<kv>> window_steps() {
  lcg g{11};
  std::vector<step<kv>> out;
  std::int64_t base = 0, v = 0;
  for (int i = 0; i < 400; ++i) {
    base += 2;
    if (i % 5 == 4) {
      out.push_back(step<kv>{true, {}, {}, base - 15});
      continue;
    }
    step<kv> s;
    const auto n = 1 + g.next(3);
    for (std::uint64_t j = 0; j < n; ++j) {
      s.records.push_back(kv{"k" + std::to_string(g.next(6)), ++v});
      s.ts.push_back(base + static_cast<std::int64_t>(g.next(21)) - 10);
    }
    out.push_back(std::move(s));
  }
  return out;
}

template <class Assigner, class Trigger, class Evictor, class WinFn>
auto make_window(Assigner a, Trigger t, Evictor e, WinFn f, std::int64_t lateness,
                 eddy::input_op<typename WinFn::output>* sink, int index = 0, int par = 1) {
  using op_type =
      eddy::triggered_window_op<kv, std::string, KvKey, Assigner, Trigger, Evictor, WinFn>;
  auto op = std::make_unique<op_type>(kv_key, std::move(a), std::move(t), std::move(e),
                                      std::move(f), lateness, "", sink);
  op->set_name("migration window");
  op->open(info(index, par));
  return op;
}

/// The window scenarios: each makes an operator for (sink, index, parallelism).
auto session_count_reduce() {
  return [](eddy::input_op<kv>* sink, int index, int par) {
    return make_window(eddy::EventTimeSessionWindows::with_gap(milliseconds(6)),
                       eddy::PurgingTrigger<eddy::CountTrigger>::of(eddy::CountTrigger::of(3)),
                       eddy::no_evictor{}, summing{add_values}, 10, sink, index, par);
  };
}
auto sliding_listing() {
  return [](eddy::input_op<listed>* sink, int index, int par) {
    return make_window(eddy::SlidingEventTimeWindows::of(milliseconds(20), milliseconds(5)),
                       eddy::EventTimeTrigger::create(), eddy::no_evictor{}, lister{}, 15, sink,
                       index, par);
  };
}
auto session_evicting() {
  return [](eddy::input_op<listed>* sink, int index, int par) {
    return make_window(eddy::EventTimeSessionWindows::with_gap(milliseconds(5)),
                       eddy::EventTimeTrigger::create(), eddy::CountEvictor::of(2), lister{}, 0,
                       sink, index, par);
  };
}

constexpr std::size_t cut = 200;  // the snapshot is taken after this many steps

/// The scenario's snapshot after `cut` steps (what the recorder prints).
template <class Out, class Make, class R, class KeyFn>
std::vector<eddy::state_entry> snapshot_at_cut(Make make, const std::vector<step<R>>& steps,
                                               KeyFn key, bool two_inputs) {
  recording_sink<Out> sink;
  auto op = make(&sink, 0, 1);
  run_steps(std::vector{op.get()}, steps, 0, cut, key, two_inputs);
  std::vector<eddy::state_entry> snap;
  op->snapshot_state(1, snap);
  return snap;
}

/// Checks that restoring `legacy_hex` at parallelism 1 and 2 and running the rest of the steps
/// emits what the uninterrupted operator emits after the cut; also that the current code writes
/// a snapshot that restores the same way.
template <class Out, class Make, class R, class KeyFn>
void check_restores(Make make, const std::vector<step<R>>& steps, KeyFn key, bool two_inputs,
                    std::string_view legacy_hex) {
  recording_sink<Out> whole_sink;
  auto whole = make(&whole_sink, 0, 1);
  run_steps(std::vector{whole.get()}, steps, 0, cut, key, two_inputs);
  std::vector<eddy::state_entry> current;
  whole->snapshot_state(1, current);
  whole_sink.events.clear();
  run_steps(std::vector{whole.get()}, steps, cut, steps.size(), key, two_inputs);
  const auto want = sorted_output<Out>({&whole_sink});
  REQUIRE(want.size() > 20);

  const auto legacy = decode_entries(legacy_hex);
  REQUIRE(!legacy.empty());
  for (const auto* snap : std::vector<const std::vector<eddy::state_entry>*>{&legacy, &current}) {
    for (int par : {1, 2}) {
      INFO((snap == &legacy ? "legacy" : "current") << " snapshot, parallelism " << par);
      std::vector<std::unique_ptr<recording_sink<Out>>> sinks;
      std::vector<recording_sink<Out>*> sink_ptrs;
      std::vector<decltype(make(nullptr, 0, 1))> ops;
      std::vector<decltype(ops.front().get())> op_ptrs;
      for (int p = 0; p < par; ++p) {
        sinks.push_back(std::make_unique<recording_sink<Out>>());
        sink_ptrs.push_back(sinks.back().get());
        ops.push_back(make(sinks.back().get(), p, par));
        ops.back()->restore_state(entries_of(*snap, p, par));
        op_ptrs.push_back(ops.back().get());
      }
      run_steps(op_ptrs, steps, cut, steps.size(), key, two_inputs);
      CHECK(sorted_output<Out>(sink_ptrs) == want);
    }
  }
}

}  // namespace

TEST_CASE("record legacy operator snapshots", "[.record]") {
  std::cout << "interval_join_hex = \""
            << encode_entries(snapshot_at_cut<joined>(
                   [](eddy::input_op<joined>* s, int i, int p) { return make_join(s, i, p); },
                   join_steps(), rec_key, true))
            << "\"\n";
  std::cout << "session_count_reduce_hex = \""
            << encode_entries(
                   snapshot_at_cut<kv>(session_count_reduce(), window_steps(), kv_key, false))
            << "\"\n";
  std::cout << "sliding_listing_hex = \""
            << encode_entries(
                   snapshot_at_cut<listed>(sliding_listing(), window_steps(), kv_key, false))
            << "\"\n";
  std::cout << "session_evicting_hex = \""
            << encode_entries(
                   snapshot_at_cut<listed>(session_evicting(), window_steps(), kv_key, false))
            << "\"\n";
}

TEST_CASE("an interval join restores checkpoints written before the shared state backend",
          "[join][checkpoint][migration]") {
  check_restores<joined>([](eddy::input_op<joined>* s, int i, int p) { return make_join(s, i, p); },
                         join_steps(), rec_key, true, eddy::testing::legacy::interval_join_hex);
}

TEST_CASE(
    "session windows with a purging count trigger restore checkpoints written before the "
    "shared state backend",
    "[window][checkpoint][migration]") {
  check_restores<kv>(session_count_reduce(), window_steps(), kv_key, false,
                     eddy::testing::legacy::session_count_reduce_hex);
}

TEST_CASE(
    "sliding windows with lateness restore checkpoints written before the shared state "
    "backend",
    "[window][checkpoint][migration]") {
  check_restores<listed>(sliding_listing(), window_steps(), kv_key, false,
                         eddy::testing::legacy::sliding_listing_hex);
}

TEST_CASE("evicting session windows restore checkpoints written before the shared state backend",
          "[window][checkpoint][migration]") {
  check_restores<listed>(session_evicting(), window_steps(), kv_key, false,
                         eddy::testing::legacy::session_evicting_hex);
}
