// Randomised whole-job tests of every window type, trigger and evictor, each compared with a
// brute-force reference computed in the test (the approach of event_time_jobs_test.cpp): session
// windows (fixed and dynamic gaps; aggregate with merge, reduce, process; allowed lateness and the
// late-data side output), tumbling and sliding windows with count and purging triggers, count
// windows, global windows with a custom trigger, the evictors, window_all, and processing-time
// windows on a manual clock. Jobs run at parallelism 1, 2 and 4 on out-of-order input.
//
// What makes each comparison deterministic:
// - Without late data (input out of order by at most D, for_bounded_out_of_orderness(D)) a time
//   window fires only after all its records arrived, whatever the timing of the watermarks. For
//   sessions the one exception is a record exactly at a session's end (adjacent windows merge, but
//   the session may have fired already): timestamps are even and gaps odd, so it never happens.
// - Results that depend on the order of a key's records (count triggers, count windows, count
//   and delta evictors, custom triggers) use one source (and one timestamp assigner): a key's
//   records then reach its window subtask in input order.
// - Late data: one source with per-record watermarks, so each record meets the watermark of the
//   records before it, and the reference replays exactly that.
// - Processing time: a source that moves a manual clock between groups of records and waits until
//   the windows have taken in the previous group (see proc_driver).
#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/operators/datastream.hpp"

namespace {

using eddy::testing::lcg;
using eddy::testing::sorted;
using std::chrono::milliseconds;

constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min();

/// An input record: key, value and event time (ms).
struct event {
  std::string key;
  std::int64_t value = 0;
  std::int64_t ts = 0;
  friend bool operator==(const event&, const event&) = default;
  friend bool operator<(const event& a, const event& b) {
    return std::tie(a.key, a.value, a.ts) < std::tie(b.key, b.value, b.ts);
  }
};

std::ostream& operator<<(std::ostream& os, const event& e) {
  return os << e.key << ":" << e.value << "@" << e.ts;
}

const auto event_key = [](const event& e) { return e.key; };
const auto event_ts = [](const event& e) { return e.ts; };
/// Sums the values and keeps the smallest timestamp.
const auto sum_events = [](const event& a, const event& b) {
  return event{a.key, a.value + b.value, std::min(a.ts, b.ts)};
};

/// One firing of a window: key ("*" for window_all), bounds (-1, -1: the global window), sum,
/// count and (when the window function sees the records) their values.
struct window_summary {
  std::string key;
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::int64_t sum = 0;
  std::int64_t count = 0;
  std::vector<std::int64_t> values;
  friend bool operator==(const window_summary&, const window_summary&) = default;
  friend bool operator<(const window_summary& a, const window_summary& b) {
    return std::tie(a.key, a.start, a.end, a.sum, a.count, a.values) <
           std::tie(b.key, b.start, b.end, b.sum, b.count, b.values);
  }
};

std::ostream& operator<<(std::ostream& os, const window_summary& w) {
  os << w.key << "[" << w.start << "," << w.end << ") sum " << w.sum << " count " << w.count;
  if (!w.values.empty()) {
    os << " {";
    for (auto v : w.values) os << v << ' ';
    os << '}';
  }
  return os;
}

/// A summary of values (sorted unless `keep_order`).
window_summary summarize(std::string key, std::int64_t start, std::int64_t end,
                         std::vector<std::int64_t> values, bool with_values = true,
                         bool keep_order = false) {
  window_summary s{std::move(key), start, end, 0, static_cast<std::int64_t>(values.size()), {}};
  for (auto v : values) s.sum += v;
  if (with_values) {
    if (!keep_order) std::sort(values.begin(), values.end());
    s.values = std::move(values);
  }
  return s;
}

template <class W>
std::pair<std::int64_t, std::int64_t> bounds(const W& w) {
  if constexpr (std::is_same_v<W, eddy::time_window>)
    return {w.start, w.end};
  else
    return {-1, -1};
}

/// process(): a summary with the values in window order (or sorted). (Window functions given to
/// the API have one signature, so the window type is a parameter.)
template <bool KeepOrder, class W>
struct summarize_records {
  void operator()(const std::string& key, const W& w, const std::vector<event>& records,
                  eddy::collector<window_summary>& out) const {
    std::vector<std::int64_t> values;
    for (const auto& e : records) {
      // Every record handed to the window belongs to its key (and time window).
      if (e.key != key && key != "*") values.push_back(1000000000);
      if constexpr (std::is_same_v<W, eddy::time_window>)
        if (e.ts < w.start || e.ts >= w.end) values.push_back(2000000000);
      values.push_back(e.value);
    }
    const auto [s, en] = bounds(w);
    out.collect(summarize(key, s, en, std::move(values), true, KeepOrder));
  }
};
using summarize_sorted = summarize_records<false, eddy::time_window>;
using summarize_in_order = summarize_records<true, eddy::time_window>;
using summarize_global = summarize_records<true, eddy::global_window>;

/// window_all process(): as summarize_records with key "*".
template <bool KeepOrder, class W>
struct summarize_all {
  void operator()(const W& w, const std::vector<event>& records,
                  eddy::collector<window_summary>& out) const {
    summarize_records<KeepOrder, W>{}(std::string("*"), w, records, out);
  }
};

/// Sum and count; merges (for sessions).
struct sum_count {
  struct acc {
    std::int64_t sum = 0;
    std::int64_t count = 0;
  };
  acc create_accumulator() const { return {}; }
  void add(acc& a, const event& e) const {
    a.sum += e.value;
    ++a.count;
  }
  acc get_result(const acc& a) const { return a; }
  acc merge(const acc& a, const acc& b) const { return {a.sum + b.sum, a.count + b.count}; }
};
/// aggregate(sum_count{}, fn): the summary without values.
const auto summarize_acc = [](const std::string& key, const eddy::time_window& w,
                              const sum_count::acc& a, eddy::collector<window_summary>& out) {
  out.collect(window_summary{key, w.start, w.end, a.sum, a.count, {}});
};

/// The first differences between two multisets ("" when equal).
template <class T>
std::string differences(std::vector<T> got, std::vector<T> expected) {
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  if (got == expected) return "";
  std::vector<T> missing, extra;
  std::set_difference(expected.begin(), expected.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), expected.begin(), expected.end(),
                      std::back_inserter(extra));
  std::ostringstream os;
  os << "got " << got.size() << ", expected " << expected.size() << "; " << missing.size()
     << " missing, " << extra.size() << " unexpected";
  for (std::size_t i = 0; i < missing.size() && i < 5; ++i) os << "\n  missing: " << missing[i];
  for (std::size_t i = 0; i < extra.size() && i < 5; ++i) os << "\n  unexpected: " << extra[i];
  return os.str();
}

std::vector<window_summary> without_values(std::vector<window_summary> v) {
  for (auto& s : v) s.values.clear();
  return v;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
/// Starts of the windows of `size` every `slide` (aligned to 0) containing ts; tumbling windows
/// have slide == size.
std::vector<std::int64_t> window_starts(std::int64_t ts, std::int64_t size, std::int64_t slide) {
  std::vector<std::int64_t> out;
  for (std::int64_t s = floor_div(ts - size, slide) * slide; s <= ts; s += slide)
    if (ts < s + size) out.push_back(s);
  return out;
}

void configure(eddy::StreamEnvironment& env, int parallelism, std::size_t batch_size = 0) {
  env.set_parallelism(parallelism);
  if (batch_size > 0) env.set_batch_size(batch_size);
  // Watermarks advance while the job runs (windows fire before the end of input).
  env.config().auto_watermark_interval = milliseconds(0);
}

auto bounded(std::int64_t disorder) {
  return eddy::WatermarkStrategy<event>::for_bounded_out_of_orderness(milliseconds(disorder))
      .with_timestamp_assigner(event_ts);
}

/// `n` records over `keys` keys, out of order by at most `disorder` ms: base_i nondecreasing in
/// steps of 0..max_step, plus jitter 0..disorder. With `even`, every timestamp is even.
std::vector<event> disordered_input(std::size_t n, int keys, std::int64_t disorder, std::int64_t t0,
                                    std::uint64_t seed, std::int64_t max_step = 12,
                                    bool even = false) {
  lcg rng(seed);
  std::vector<event> v;
  v.reserve(n);
  std::int64_t base = t0;
  for (std::size_t i = 0; i < n; ++i) {
    base += rng.below(max_step + 1);
    std::int64_t ts = base + rng.below(disorder + 1);
    if (even) ts -= ((ts % 2) + 2) % 2;  // rounding down keeps the disorder bound
    v.push_back(event{"k" + std::to_string(rng.below(keys)), rng.below(2001) - 1000, ts});
  }
  std::int64_t hi = none;
  for (const auto& e : v) {
    if (hi != none) REQUIRE(e.ts >= hi - disorder);
    hi = std::max(hi, e.ts);
  }
  return v;
}

std::uint64_t late_records_of(const eddy::job_result& r, const std::string& name) {
  const auto* op = r.find_operator(name);
  REQUIRE(op != nullptr);
  return op->late_records;
}

// ---- references ------------------------------------------------------------------------------

/// Sessions of each key (of all records under key "*" with `all`): the union of the records'
/// windows [ts, ts + gap(record)), overlapping or adjacent ones merged.
template <class GapFn>
std::vector<window_summary> session_reference(const std::vector<event>& in, GapFn gap,
                                              bool all = false) {
  std::map<std::string, std::vector<const event*>> by_key;
  for (const auto& e : in) by_key[all ? "*" : e.key].push_back(&e);
  std::vector<window_summary> out;
  for (auto& [key, recs] : by_key) {
    std::sort(recs.begin(), recs.end(), [](auto* a, auto* b) { return a->ts < b->ts; });
    std::int64_t start = 0, end = none;
    std::vector<std::int64_t> values;
    for (const event* e : recs) {
      if (end != none && e->ts > end) {
        out.push_back(summarize(key, start, end, values));
        values.clear();
        end = none;
      }
      if (end == none) start = e->ts;
      end = std::max(end, e->ts + gap(*e));
      values.push_back(e->value);
    }
    if (end != none) out.push_back(summarize(key, start, end, values));
  }
  return out;
}

/// Per (key, window start): the values in input order, for windows of `size` every `slide`.
std::map<std::pair<std::string, std::int64_t>, std::vector<std::int64_t>> time_windows(
    const std::vector<event>& in, std::int64_t size, std::int64_t slide, bool all = false) {
  std::map<std::pair<std::string, std::int64_t>, std::vector<std::int64_t>> w;
  for (const auto& e : in)
    for (auto s : window_starts(e.ts, size, slide)) w[{all ? "*" : e.key, s}].push_back(e.value);
  return w;
}

/// Values per key in input order.
std::map<std::string, std::vector<std::int64_t>> per_key(const std::vector<event>& in) {
  std::map<std::string, std::vector<std::int64_t>> m;
  for (const auto& e : in) m[e.key].push_back(e.value);
  return m;
}

/// Replays a count trigger of `n` over each window's values (in order): FIRE emits everything so
/// far, PURGE variants only what came since the last firing. `last` takes the last `keep` values
/// at each firing (a CountEvictor before the function; 0: all).
std::vector<window_summary> count_trigger_reference(
    const std::map<std::pair<std::string, std::int64_t>, std::vector<std::int64_t>>& windows,
    std::int64_t size, std::int64_t n, bool purging, bool global = false) {
  std::vector<window_summary> out;
  for (const auto& [w, values] : windows) {
    std::vector<std::int64_t> buf;
    std::int64_t since = 0;
    for (auto v : values) {
      buf.push_back(v);
      if (++since == n) {
        since = 0;
        out.push_back(global ? summarize(w.first, -1, -1, buf, true, true)
                             : summarize(w.first, w.second, w.second + size, buf, true, true));
        if (purging) buf.clear();
      }
    }
  }
  return out;
}

}  // namespace

// ---- session windows ---------------------------------------------------------------------------

TEST_CASE("event-time session windows equal the reference: fixed and dynamic gaps",
          "[window-types][session]") {
  const int p = GENERATE(1, 2, 4);
  const std::uint64_t seed = GENERATE(101, 102);
  const std::size_t batch = GENERATE(std::size_t{7}, std::size_t{0});
  INFO("parallelism " << p << ", seed " << seed << ", batch size " << batch);
  constexpr std::int64_t disorder = 30, gap = 41;  // even timestamps, odd gaps (see the top)
  const auto dynamic_gap = [](const event& e) {
    return milliseconds(11 + 2 * (((e.value % 20) + 20) % 20));  // odd, 11..49
  };
  const auto in = disordered_input(2500, 6, disorder, -3000, seed, 10, true);

  eddy::StreamEnvironment env;
  configure(env, p, batch);
  auto keyed =
      env.from_collection(in).assign_timestamps_and_watermarks(bounded(disorder)).key_by(event_key);
  auto fixed = eddy::EventTimeSessionWindows::with_gap(milliseconds(gap));
  auto dynamic = eddy::EventTimeSessionWindows::with_dynamic_gap(dynamic_gap);
  auto agg = keyed.window(fixed).aggregate(sum_count{}, summarize_acc).name("fixed agg").collect();
  auto red = keyed.window(fixed).reduce(sum_events).name("fixed reduce").collect();
  auto proc = keyed.window(fixed).process(summarize_sorted{}).name("fixed process").collect();
  auto dagg =
      keyed.window(dynamic).aggregate(sum_count{}, summarize_acc).name("dynamic agg").collect();
  auto dproc = keyed.window(dynamic).process(summarize_sorted{}).name("dynamic process").collect();
  auto r = env.execute("sessions");
  REQUIRE(r.ok());

  const auto ref = session_reference(in, [](const event&) { return gap; });
  const auto dref =
      session_reference(in, [&](const event& e) { return std::int64_t(dynamic_gap(e).count()); });
  REQUIRE(ref.size() > 100);
  REQUIRE(ref.size() < in.size() / 2);  // sessions do merge
  CHECK(differences(agg.values(), without_values(ref)) == "");
  CHECK(differences(proc.values(), ref) == "");
  CHECK(differences(dagg.values(), without_values(dref)) == "");
  CHECK(differences(dproc.values(), dref) == "");
  // reduce: (key, session start = smallest timestamp, sum)
  std::vector<window_summary> got_red, ref_red;
  for (const auto& e : red.values()) got_red.push_back({e.key, e.ts, 0, e.value, 0, {}});
  for (const auto& s : ref) ref_red.push_back({s.key, s.start, 0, s.sum, 0, {}});
  CHECK(differences(got_red, ref_red) == "");
  for (const char* name : {"fixed agg", "fixed reduce", "fixed process", "dynamic agg"})
    CHECK(late_records_of(r, name) == 0);
  CHECK(r.find_operator("fixed agg")->records_in == in.size());
  CHECK(r.find_operator("fixed agg")->records_out == ref.size());
}

namespace {

/// Late-data input for sessions: mostly in order within `disorder`, but every few records one far
/// behind the largest timestamp so far (by up to lateness + 4 gaps): on time into an open session,
/// merging into or bridging fired sessions kept for the lateness, or late.
std::vector<event> late_session_input(std::size_t n, int keys, std::int64_t disorder,
                                      std::int64_t gap, std::int64_t lateness, std::uint64_t seed) {
  lcg rng(seed);
  std::vector<event> v;
  std::int64_t base = 0, hi = none;
  for (std::size_t i = 0; i < n; ++i) {
    event e{"k" + std::to_string(rng.below(keys)), 1 + rng.below(1000), 0};
    if (i > 20 && rng.below(6) == 0) {
      e.ts = hi - disorder - 1 - rng.below(lateness + 4 * gap);
    } else {
      base += rng.below(9);
      e.ts = base + rng.below(disorder + 1);
    }
    hi = std::max(hi, e.ts);
    v.push_back(e);
  }
  return v;
}

struct late_session_result {
  std::vector<window_summary> firings;  // with sorted values
  std::vector<event> late;
  std::size_t firings_by_records = 0;  // fired at once by a record (late firings)
  std::size_t merges = 0;              // merges of two or more existing sessions
};

/// Replays the operator's semantics as Flink defines them, record by record, each record meeting
/// the watermark of the records before it (largest timestamp - disorder - 1): a session fires when
/// the watermark reaches end - 1, or at once when a record lands in (or merges into) a session
/// whose end - 1 the watermark has passed; sessions are dropped at end - 1 + lateness; a record
/// whose window [ts, ts + gap) joins no kept session and whose end - 1 + lateness the watermark
/// has reached is late.
late_session_result replay_sessions(const std::vector<event>& in, std::int64_t gap,
                                    std::int64_t disorder, std::int64_t lateness) {
  struct session {
    std::int64_t start, end;
    std::vector<std::int64_t> values;
    bool pending;  // its timer (end - 1) will fire it
  };
  late_session_result res;
  std::map<std::string, std::vector<session>> live;
  std::int64_t wm = none, hi = none;
  auto fire = [&](const std::string& key, const session& s) {
    res.firings.push_back(summarize(key, s.start, s.end, s.values));
  };
  auto advance = [&](std::int64_t to) {
    if (to <= wm) return;
    wm = to;
    for (auto& [key, list] : live) {
      for (auto& s : list)
        if (s.pending && s.end - 1 <= wm) {
          fire(key, s);
          s.pending = false;
        }
      std::erase_if(list, [&](const session& s) { return s.end - 1 + lateness <= wm; });
    }
  };
  for (const auto& e : in) {
    if (hi != none) advance(hi - disorder - 1);
    hi = std::max(hi, e.ts);
    auto& list = live[e.key];
    session s{e.ts, e.ts + gap, {}, false};
    std::vector<session> hits, rest;
    for (auto& x : list) (x.start <= s.end && x.end >= s.start ? hits : rest).push_back(x);
    if (hits.empty()) {
      if (wm != none && s.end - 1 + lateness <= wm) {
        res.late.push_back(e);
        continue;
      }
      s.values.push_back(e.value);
      s.pending = s.end - 1 > wm;
      if (!s.pending) {
        fire(e.key, s);
        ++res.firings_by_records;
      }
      list.push_back(s);
      continue;
    }
    session m = hits.front();
    for (std::size_t i = 1; i < hits.size(); ++i) {
      m.start = std::min(m.start, hits[i].start);
      m.end = std::max(m.end, hits[i].end);
      m.values.insert(m.values.end(), hits[i].values.begin(), hits[i].values.end());
    }
    const bool grew = hits.size() > 1 || s.end > m.end || s.start < m.start;
    if (hits.size() > 1) ++res.merges;
    m.start = std::min(m.start, s.start);
    m.end = std::max(m.end, s.end);
    m.values.push_back(e.value);
    if (grew) m.pending = m.end - 1 > wm;  // the merged window's timer (if not passed)
    if (m.end - 1 <= wm) {                 // EventTimeTrigger: fires at once
      fire(e.key, m);
      ++res.firings_by_records;
    } else {
      m.pending = true;
    }
    rest.push_back(m);
    list = std::move(rest);
  }
  advance(std::numeric_limits<std::int64_t>::max());
  return res;
}

}  // namespace

TEST_CASE(
    "event-time sessions with allowed lateness: late firings, merges and the late side output "
    "equal a replay of the input",
    "[window-types][session][late]") {
  const int p = GENERATE(1, 2, 4);
  const std::uint64_t seed = GENERATE(201, 202);
  const std::int64_t lateness = GENERATE(std::int64_t{0}, std::int64_t{60});
  INFO("window parallelism " << p << ", seed " << seed << ", lateness " << lateness);
  constexpr std::int64_t disorder = 20, gap = 25;
  const auto in = late_session_input(2500, 4, disorder, gap, lateness, seed);
  const auto ref = replay_sessions(in, gap, disorder, lateness);
  REQUIRE(ref.late.size() > 30);
  if (lateness > 0) {
    REQUIRE(ref.firings_by_records > 30);
    REQUIRE(ref.merges > 10);
  }

  eddy::StreamEnvironment env;
  configure(env, p);
  eddy::output_tag<event> late_tag("late sessions");
  // One source and one timestamp assigner with per-record watermarks: every window subtask sees
  // the records and watermarks in input order.
  auto timed = env.from_collection(in)
                   .set_parallelism(1)
                   .assign_timestamps_and_watermarks(bounded(disorder).emit_on_every_record())
                   .set_parallelism(1);
  auto sessions = eddy::EventTimeSessionWindows::with_gap(milliseconds(gap));
  auto agg = timed.key_by(event_key)
                 .window(sessions)
                 .allowed_lateness(milliseconds(lateness))
                 .side_output_late_data(late_tag)
                 .aggregate(sum_count{}, summarize_acc)
                 .name("late agg");
  auto agg_out = agg.collect();
  auto late_out = agg.get_side_output(late_tag).collect();
  auto proc_out = timed.key_by(event_key)
                      .window(sessions)
                      .allowed_lateness(milliseconds(lateness))
                      .process(summarize_sorted{})
                      .name("late process")
                      .collect();
  auto r = env.execute("late sessions");
  REQUIRE(r.ok());

  CHECK(differences(agg_out.values(), without_values(ref.firings)) == "");
  CHECK(differences(proc_out.values(), ref.firings) == "");
  CHECK(differences(late_out.values(), ref.late) == "");
  CHECK(late_records_of(r, "late agg") == ref.late.size());
  CHECK(late_records_of(r, "late process") == ref.late.size());
  CHECK(r.find_operator("late agg")->records_in == in.size());
}

// ---- count and purging triggers on time windows -------------------------------------------------

TEST_CASE("tumbling and sliding event-time windows with CountTrigger and PurgingTrigger",
          "[window-types][trigger]") {
  const int p = GENERATE(1, 2, 4);
  const std::uint64_t seed = GENERATE(301, 302);
  INFO("window parallelism " << p << ", seed " << seed);
  constexpr std::int64_t disorder = 20;
  const auto in = disordered_input(3000, 5, disorder, -500, seed, 6);

  eddy::StreamEnvironment env;
  configure(env, p);
  // One source: each key's records reach its window in input order (count triggers depend on it).
  auto keyed = env.from_collection(in)
                   .set_parallelism(1)
                   .assign_timestamps_and_watermarks(bounded(disorder))
                   .set_parallelism(1)
                   .key_by(event_key);
  auto tumbling = eddy::TumblingEventTimeWindows::of(milliseconds(100));
  auto sliding = eddy::SlidingEventTimeWindows::of(milliseconds(150), milliseconds(50));
  auto t_count = keyed.window(tumbling)
                     .trigger(eddy::CountTrigger::of(3))
                     .process(summarize_in_order{})
                     .name("tumbling count")
                     .collect();
  auto t_purge =
      keyed.window(tumbling)
          .trigger(eddy::PurgingTrigger<eddy::CountTrigger>::of(eddy::CountTrigger::of(4)))
          .process(summarize_in_order{})
          .collect();
  auto t_reduce =
      keyed.window(tumbling)
          .trigger(eddy::PurgingTrigger<eddy::CountTrigger>::of(eddy::CountTrigger::of(5)))
          .reduce(sum_events)
          .collect();
  auto s_count = keyed.window(sliding)
                     .trigger(eddy::CountTrigger::of(3))
                     .process(summarize_in_order{})
                     .name("sliding count")
                     .collect();
  auto s_purge =
      keyed.window(sliding)
          .trigger(eddy::PurgingTrigger<eddy::CountTrigger>::of(eddy::CountTrigger::of(2)))
          .aggregate(sum_count{}, summarize_acc)
          .collect();
  auto r = env.execute("count triggers");
  REQUIRE(r.ok());

  const auto tw = time_windows(in, 100, 100);
  const auto sw = time_windows(in, 150, 50);
  const auto t_count_ref = count_trigger_reference(tw, 100, 3, false);
  REQUIRE(t_count_ref.size() > 100);
  CHECK(differences(t_count.values(), t_count_ref) == "");
  CHECK(differences(t_purge.values(), count_trigger_reference(tw, 100, 4, true)) == "");
  std::vector<window_summary> got_red, ref_red;
  for (const auto& e : t_reduce.values())
    got_red.push_back({e.key, floor_div(e.ts, 100) * 100, 0, e.value, 0, {}});
  for (const auto& s : count_trigger_reference(tw, 100, 5, true))
    ref_red.push_back({s.key, s.start, 0, s.sum, 0, {}});
  CHECK(differences(got_red, ref_red) == "");
  CHECK(differences(s_count.values(), count_trigger_reference(sw, 150, 3, false)) == "");
  CHECK(differences(s_purge.values(), without_values(count_trigger_reference(sw, 150, 2, true))) ==
        "");
  CHECK(late_records_of(r, "tumbling count") == 0);
  CHECK(late_records_of(r, "sliding count") == 0);
}

TEST_CASE("purging count triggers with parallel sources: order-independent properties",
          "[window-types][trigger]") {
  const int p = GENERATE(2, 4);
  INFO("parallelism " << p);
  constexpr std::int64_t disorder = 20, size = 100, n = 4;
  const auto in = disordered_input(3000, 5, disorder, 0, 311, 6);
  eddy::StreamEnvironment env;
  configure(env, p, 7);
  auto out = env.from_collection(in)
                 .assign_timestamps_and_watermarks(bounded(disorder))
                 .key_by(event_key)
                 .window(eddy::TumblingEventTimeWindows::of(milliseconds(size)))
                 .trigger(eddy::PurgingTrigger<eddy::CountTrigger>::of(eddy::CountTrigger::of(n)))
                 .process(summarize_sorted{})
                 .collect();
  REQUIRE(env.execute("parallel count triggers").ok());
  // Each window of c records fires c / n times with n records each, all of them its own.
  std::map<std::pair<std::string, std::int64_t>, std::vector<std::int64_t>> fired;
  for (const auto& s : out.values()) {
    CHECK(s.count == n);
    CHECK(s.end - s.start == size);
    auto& f = fired[{s.key, s.start}];
    f.insert(f.end(), s.values.begin(), s.values.end());
  }
  std::size_t firings = 0;
  for (const auto& [w, values] : time_windows(in, size, size)) {
    INFO("window " << w.first << "@" << w.second);
    auto f = sorted(fired[w]);
    auto all = sorted(values);
    CHECK(f.size() == values.size() / n * n);
    CHECK(std::includes(all.begin(), all.end(), f.begin(), f.end()));
    firings += values.size() / n;
  }
  CHECK(out.size() == firings);
}

// ---- count windows ---------------------------------------------------------------------------

TEST_CASE("count windows (tumbling, sliding, and over all records) equal the reference",
          "[window-types][count]") {
  const int p = GENERATE(1, 2, 4);
  const std::uint64_t seed = GENERATE(401, 402);
  INFO("window parallelism " << p << ", seed " << seed);
  const auto in = disordered_input(2000, 7, 10, 0, seed);
  eddy::StreamEnvironment env;
  configure(env, p, 5);
  auto src = env.from_collection(in);
  src.set_parallelism(1);  // keeps each key's order (count windows depend on it)
  auto keyed = src.key_by(event_key);
  auto tum = keyed.count_window(4).process(summarize_global{}).name("count 4").collect();
  auto sli = keyed.count_window(5, 2).process(summarize_global{}).name("count 5/2").collect();
  auto red = keyed.count_window(3).reduce(sum_events).collect();
  auto all = src.count_window_all(9)
                 .process(summarize_all<true, eddy::global_window>{})
                 .name("all 9")
                 .collect();
  auto all_sliding =
      src.count_window_all(6, 4).process(summarize_all<true, eddy::global_window>{}).collect();
  auto r = env.execute("count windows");
  REQUIRE(r.ok());

  std::vector<window_summary> tum_ref, sli_ref, red_ref, all_ref, all_sliding_ref;
  for (const auto& [key, values] : per_key(in)) {
    for (std::size_t i = 4; i <= values.size(); i += 4)
      tum_ref.push_back(
          summarize(key, -1, -1, {values.begin() + i - 4, values.begin() + i}, true, true));
    for (std::size_t i = 3; i <= values.size(); i += 3)
      red_ref.push_back(
          summarize(key, -1, -1, {values.begin() + i - 3, values.begin() + i}, false));
    for (std::size_t i = 2; i <= values.size(); i += 2)
      sli_ref.push_back(summarize(
          key, -1, -1, {values.begin() + (i > 5 ? i - 5 : 0), values.begin() + i}, true, true));
  }
  std::vector<std::int64_t> every;
  for (const auto& e : in) every.push_back(e.value);
  for (std::size_t i = 9; i <= every.size(); i += 9)
    all_ref.push_back(
        summarize("*", -1, -1, {every.begin() + i - 9, every.begin() + i}, true, true));
  for (std::size_t i = 4; i <= every.size(); i += 4)
    all_sliding_ref.push_back(summarize(
        "*", -1, -1, {every.begin() + (i > 6 ? i - 6 : 0), every.begin() + i}, true, true));
  CHECK(differences(tum.values(), tum_ref) == "");
  CHECK(differences(sli.values(), sli_ref) == "");
  std::vector<window_summary> got_red;
  for (const auto& e : red.values()) got_red.push_back({e.key, -1, -1, e.value, 3, {}});
  CHECK(differences(got_red, red_ref) == "");
  CHECK(differences(all.values(), all_ref) == "");
  CHECK(differences(all_sliding.values(), all_sliding_ref) == "");
  CHECK(r.find_operator("all 9")->parallelism == 1);
  CHECK(r.find_operator("count 4")->records_out == tum_ref.size());
}

TEST_CASE("count windows over all records from parallel sources: every window has n records",
          "[window-types][count]") {
  const int p = GENERATE(2, 4);
  INFO("parallelism " << p);
  const auto in = disordered_input(2003, 3, 10, 0, 411);
  eddy::StreamEnvironment env;
  configure(env, p, 7);
  auto out = env.from_collection(in)
                 .count_window_all(10)
                 .process(summarize_all<false, eddy::global_window>{})
                 .collect();
  REQUIRE(env.execute("count_window_all").ok());
  const auto v = out.values();
  CHECK(v.size() == in.size() / 10);
  std::vector<std::int64_t> fired;
  for (const auto& s : v) {
    CHECK(s.count == 10);
    fired.insert(fired.end(), s.values.begin(), s.values.end());
  }
  std::vector<std::int64_t> all;
  for (const auto& e : in) all.push_back(e.value);
  std::sort(all.begin(), all.end());
  std::sort(fired.begin(), fired.end());
  CHECK(std::includes(all.begin(), all.end(), fired.begin(), fired.end()));
}

// ---- global windows with a custom trigger ------------------------------------------------------

namespace {

/// A custom trigger: a record whose value is a multiple of `every` is a marker; it fires the
/// window (FIRE, or FIRE_AND_PURGE with `purge`). No timers.
struct marker_trigger {
  std::int64_t every = 10;
  bool purge = true;
  template <class W, class C>
  eddy::trigger_result on_element(const event& e, std::int64_t, const W&, C&) const {
    if (e.value % every != 0) return eddy::trigger_result::CONTINUE;
    return purge ? eddy::trigger_result::FIRE_AND_PURGE : eddy::trigger_result::FIRE;
  }
  template <class W, class C>
  eddy::trigger_result on_event_time(std::int64_t, const W&, C&) const {
    return eddy::trigger_result::CONTINUE;
  }
  template <class W, class C>
  eddy::trigger_result on_processing_time(std::int64_t, const W&, C&) const {
    return eddy::trigger_result::CONTINUE;
  }
  template <class W, class C>
  void on_merge(const W&, C&) const {}
  template <class W, class C>
  void clear(const W&, C&) const {}
};

const auto abs_delta = [](const event& a, const event& b) {
  return static_cast<double>(a.value > b.value ? a.value - b.value : b.value - a.value);
};

/// What an evictor does to a buffer of values (in order).
enum class evict { none, count_before, count_after, delta_before, delta_after };

void apply_evictor(std::vector<std::int64_t>& buf, evict kind, std::size_t keep, double threshold) {
  switch (kind) {
    case evict::count_before:
    case evict::count_after:
      if (buf.size() > keep) buf.erase(buf.begin(), buf.end() - static_cast<std::ptrdiff_t>(keep));
      break;
    case evict::delta_before:
    case evict::delta_after: {
      const std::int64_t last = buf.back();
      std::erase_if(buf, [&](std::int64_t v) {
        return static_cast<double>(v > last ? v - last : last - v) >= threshold;
      });
      break;
    }
    case evict::none:
      break;
  }
}

/// Global windows per key fired by `fires(value, index in key)` with FIRE (or FIRE_AND_PURGE),
/// with an evictor.
template <class Fires>
std::vector<window_summary> global_reference(const std::vector<event>& in, Fires fires, bool purge,
                                             evict kind = evict::none, std::size_t keep = 0,
                                             double threshold = 0) {
  std::vector<window_summary> out;
  for (const auto& [key, values] : per_key(in)) {
    std::vector<std::int64_t> buf;
    for (std::size_t i = 0; i < values.size(); ++i) {
      buf.push_back(values[i]);
      if (!fires(values[i], i)) continue;
      const bool before = kind == evict::count_before || kind == evict::delta_before;
      if (before) apply_evictor(buf, kind, keep, threshold);
      if (!buf.empty()) out.push_back(summarize(key, -1, -1, buf, true, true));
      if (!before) apply_evictor(buf, kind, keep, threshold);
      if (purge) buf.clear();
    }
  }
  return out;
}

}  // namespace

TEST_CASE("global windows with a custom trigger (and evictors) equal the reference",
          "[window-types][global][evictor]") {
  const int p = GENERATE(1, 2, 4);
  const std::uint64_t seed = GENERATE(501, 502);
  INFO("window parallelism " << p << ", seed " << seed);
  const auto in = disordered_input(2500, 5, 10, 0, seed);
  eddy::StreamEnvironment env;
  configure(env, p, 11);
  auto src = env.from_collection(in);
  src.set_parallelism(1);
  auto keyed = src.key_by(event_key);
  auto global = eddy::GlobalWindows::create();
  auto delta = eddy::DeltaEvictor<std::decay_t<decltype(abs_delta)>>::of(400.0, abs_delta);
  auto delta_after =
      eddy::DeltaEvictor<std::decay_t<decltype(abs_delta)>>::of(400.0, abs_delta, true);
  auto purging =
      keyed.window(global).trigger(marker_trigger{10, true}).process(summarize_global{}).collect();
  auto firing = keyed.window(global)
                    .trigger(marker_trigger{10, false})
                    .evictor(eddy::CountEvictor::of(6))
                    .process(summarize_global{})
                    .name("marker count evictor")
                    .collect();
  auto reduced = keyed.window(global).trigger(marker_trigger{7, true}).reduce(sum_events).collect();
  auto count_after = keyed.window(global)
                         .trigger(eddy::CountTrigger::of(4))
                         .evictor(eddy::CountEvictor::of(2, true))
                         .process(summarize_global{})
                         .collect();
  auto delta_before = keyed.window(global)
                          .trigger(eddy::CountTrigger::of(5))
                          .evictor(delta)
                          .process(summarize_global{})
                          .collect();
  auto delta_after_out = keyed.window(global)
                             .evictor(delta_after)
                             .trigger(eddy::CountTrigger::of(3))
                             .process(summarize_global{})
                             .collect();
  auto r = env.execute("global windows");
  REQUIRE(r.ok());

  const auto marker10 = [](std::int64_t v, std::size_t) { return v % 10 == 0; };
  const auto every = [](std::size_t n) {
    return [n](std::int64_t, std::size_t i) { return (i + 1) % n == 0; };
  };
  const auto purging_ref = global_reference(in, marker10, true);
  REQUIRE(purging_ref.size() > 100);
  CHECK(differences(purging.values(), purging_ref) == "");
  CHECK(differences(firing.values(),
                    global_reference(in, marker10, false, evict::count_before, 6)) == "");
  std::vector<window_summary> got_red, ref_red;
  for (const auto& e : reduced.values()) got_red.push_back({e.key, 0, 0, e.value, 0, {}});
  for (const auto& s : global_reference(
           in, [](std::int64_t v, std::size_t) { return v % 7 == 0; }, true))
    ref_red.push_back({s.key, 0, 0, s.sum, 0, {}});
  CHECK(differences(got_red, ref_red) == "");
  CHECK(differences(count_after.values(),
                    global_reference(in, every(4), false, evict::count_after, 2)) == "");
  const auto delta_ref = global_reference(in, every(5), false, evict::delta_before, 0, 400.0);
  CHECK(differences(delta_before.values(), delta_ref) == "");
  CHECK(differences(delta_after_out.values(),
                    global_reference(in, every(3), false, evict::delta_after, 0, 400.0)) == "");
  // Results of global windows carry the largest timestamp; the job has none to check here, but
  // the operator saw every record.
  CHECK(r.find_operator("marker count evictor")->records_in == in.size());
}

// ---- evictors on time windows -------------------------------------------------------------------

TEST_CASE("evictors on event-time windows and sessions equal the reference",
          "[window-types][evictor]") {
  const int p = GENERATE(1, 2, 4);
  const std::uint64_t seed = GENERATE(601, 602);
  INFO("parallelism " << p << ", seed " << seed);
  constexpr std::int64_t disorder = 30, size = 100, keep_ms = 40, gap = 31;
  const auto in = disordered_input(2500, 5, disorder, -700, seed, 10, true);

  eddy::StreamEnvironment env;
  configure(env, p, 7);
  // Order-independent evictors (time) with parallel sources...
  auto keyed =
      env.from_collection(in).assign_timestamps_and_watermarks(bounded(disorder)).key_by(event_key);
  auto tumbling = eddy::TumblingEventTimeWindows::of(milliseconds(size));
  auto time_before = keyed.window(tumbling)
                         .evictor(eddy::TimeEvictor::of(milliseconds(keep_ms)))
                         .process(summarize_sorted{})
                         .name("time evictor")
                         .collect();
  auto time_after = keyed.window(tumbling)
                        .evictor(eddy::TimeEvictor::of(milliseconds(keep_ms), true))
                        .aggregate(sum_count{}, summarize_acc)
                        .collect();
  auto session_time = keyed.window(eddy::EventTimeSessionWindows::with_gap(milliseconds(gap)))
                          .evictor(eddy::TimeEvictor::of(milliseconds(keep_ms)))
                          .process(summarize_sorted{})
                          .collect();
  // ... and an order-dependent one (count) with one source.
  auto one = env.from_collection(in)
                 .set_parallelism(1)
                 .assign_timestamps_and_watermarks(bounded(disorder))
                 .set_parallelism(1);
  auto count_before = one.key_by(event_key)
                          .window(tumbling)
                          .evictor(eddy::CountEvictor::of(3))
                          .process(summarize_in_order{})
                          .collect();
  auto r = env.execute("evictors");
  REQUIRE(r.ok());

  // Keeps the records with ts > newest - keep_ms (values sorted).
  std::map<std::pair<std::string, std::int64_t>, std::vector<const event*>> tw;
  for (const auto& e : in) tw[{e.key, floor_div(e.ts, size) * size}].push_back(&e);
  std::vector<window_summary> time_ref, plain_ref, count_ref;
  for (const auto& [w, recs] : tw) {
    std::int64_t newest = none;
    for (auto* e : recs) newest = std::max(newest, e->ts);
    std::vector<std::int64_t> kept, all;
    for (auto* e : recs) {
      all.push_back(e->value);
      if (e->ts > newest - keep_ms) kept.push_back(e->value);
    }
    time_ref.push_back(summarize(w.first, w.second, w.second + size, kept));
    plain_ref.push_back(summarize(w.first, w.second, w.second + size, all, false));
    std::vector<std::int64_t> last3(all.size() > 3 ? all.end() - 3 : all.begin(), all.end());
    count_ref.push_back(summarize(w.first, w.second, w.second + size, last3, true, true));
  }
  CHECK(differences(time_before.values(), time_ref) == "");
  CHECK(differences(time_after.values(), plain_ref) == "");  // one firing: sees everything
  CHECK(differences(count_before.values(), count_ref) == "");
  // Sessions: the reference's sessions, each keeping its records within keep_ms of its newest.
  std::vector<window_summary> session_ref;
  for (const auto& s : session_reference(in, [](const event&) { return gap; })) {
    std::int64_t newest = none;
    std::vector<const event*> members;
    for (const auto& e : in)
      if (e.key == s.key && e.ts >= s.start && e.ts < s.end) {
        members.push_back(&e);
        newest = std::max(newest, e.ts);
      }
    std::vector<std::int64_t> kept;
    for (auto* e : members)
      if (e->ts > newest - keep_ms) kept.push_back(e->value);
    session_ref.push_back(summarize(s.key, s.start, s.end, kept));
  }
  CHECK(differences(session_time.values(), session_ref) == "");
  CHECK(late_records_of(r, "time evictor") == 0);
}

// ---- window_all
// ----------------------------------------------------------------------------------

TEST_CASE("window_all: tumbling event-time windows and sessions over all records",
          "[window-types][window-all]") {
  const int p = GENERATE(1, 2, 4);
  const std::uint64_t seed = GENERATE(701, 702);
  INFO("source parallelism " << p << ", seed " << seed);
  constexpr std::int64_t disorder = 20, size = 50, gap = 15;
  // Sparse input (steps up to 40 ms) so that sessions over all records break.
  const auto in = disordered_input(2000, 4, disorder, -2000, seed, 40, true);

  eddy::StreamEnvironment env;
  configure(env, p, 7);
  auto timed = env.from_collection(in).assign_timestamps_and_watermarks(bounded(disorder));
  auto tumbling =
      timed.window_all(eddy::TumblingEventTimeWindows::of(milliseconds(size)))
          .aggregate(sum_count{},
                     [](const eddy::time_window& w, const sum_count::acc& a,
                        eddy::collector<window_summary>& out) {
                       out.collect(window_summary{"*", w.start, w.end, a.sum, a.count, {}});
                     })
          .name("all tumbling")
          .collect();
  auto reduced = timed.window_all(eddy::TumblingEventTimeWindows::of(milliseconds(size)))
                     .reduce(sum_events)
                     .collect();
  auto sessions = timed.window_all(eddy::EventTimeSessionWindows::with_gap(milliseconds(gap)))
                      .process(summarize_all<false, eddy::time_window>{})
                      .name("all sessions")
                      .collect();
  auto r = env.execute("window_all");
  REQUIRE(r.ok());

  std::vector<window_summary> tumbling_ref, reduced_ref;
  for (const auto& [w, values] : time_windows(in, size, size, true)) {
    tumbling_ref.push_back(summarize("*", w.second, w.second + size, values, false));
    std::int64_t s = 0;
    for (auto v : values) s += v;
    reduced_ref.push_back({"*", w.second, 0, s, 0, {}});
  }
  CHECK(differences(tumbling.values(), tumbling_ref) == "");
  std::vector<window_summary> got_red;
  for (const auto& e : reduced.values())
    got_red.push_back({"*", floor_div(e.ts, size) * size, 0, e.value, 0, {}});
  CHECK(differences(got_red, reduced_ref) == "");
  const auto session_ref = session_reference(
      in, [](const event&) { return gap; }, true);
  REQUIRE(session_ref.size() > 20);
  CHECK(differences(sessions.values(), session_ref) == "");
  CHECK(r.find_operator("all tumbling")->parallelism == 1);
  CHECK(r.find_operator("all sessions")->parallelism == 1);
  CHECK(late_records_of(r, "all sessions") == 0);
}

// ---- processing time
// -----------------------------------------------------------------------------

namespace {

/// Drives processing time for a whole job: its source emits the records in groups ("phases"),
/// setting the manual clock to the phase's time first, and starts a phase only when the window
/// operators have taken in every record before it. It knows by counting key selector calls:
/// each window's exchange and each window operator call it once per record.
struct proc_driver {
  std::atomic<std::int64_t> clock{0};
  std::atomic<std::uint64_t> key_calls{0};
  std::uint64_t calls_per_record = 0;
  std::vector<std::int64_t> times;         // clock of each phase (nondecreasing)
  std::vector<std::vector<event>> phases;  // records of each phase
};

class phased_source final : public eddy::source_function<event> {
 public:
  explicit phased_source(std::shared_ptr<proc_driver> d) : d_(std::move(d)) {}
  eddy::source_status poll(std::vector<event>& out, std::size_t max) override {
    if (pos_ == 0) {
      if (phase_ == d_->phases.size()) return eddy::source_status::end;
      if (d_->key_calls.load() < d_->calls_per_record * emitted_) {
        // Not a timing assumption: only a guard so that a broken job fails instead of hanging.
        if (++waits_ > 200000)
          throw std::runtime_error("the windows never took in the records emitted");
        return eddy::source_status::idle;
      }
      waits_ = 0;
      d_->clock.store(d_->times[phase_]);
    }
    const auto& ph = d_->phases[phase_];
    while (pos_ < ph.size() && out.size() < max) {
      out.push_back(ph[pos_++]);
      ++emitted_;
    }
    if (pos_ == ph.size()) {
      ++phase_;
      pos_ = 0;
    }
    return eddy::source_status::more;
  }

 private:
  std::shared_ptr<proc_driver> d_;
  std::size_t phase_ = 0;
  std::size_t pos_ = 0;
  std::uint64_t emitted_ = 0;
  int waits_ = 0;
};

/// Phases at nondecreasing clock times that no window's firing can race with: no time is the
/// max_timestamp of a tumbling (size 100) or sliding (size 90, slide 30) window, nor the end or
/// end - 1 of a session (gap 25) still open for any key (such a session may fire on a tick just
/// before or after the phase's records arrive).
void make_phases(proc_driver& d, std::size_t n_phases, std::uint64_t seed) {
  lcg rng(seed);
  std::map<std::string, std::int64_t> session_end;  // key -> end of its current session
  std::int64_t t = 100000;
  for (std::size_t k = 0; k < n_phases; ++k) {
    t += rng.below(8) == 0 ? 100 + rng.below(200) : rng.below(30);
    for (bool ok = false; !ok;) {
      ok = t % 100 != 99 && t % 30 != 29;
      for (const auto& [key, e] : session_end) ok = ok && t != e && t != e - 1;
      if (!ok) ++t;
    }
    std::vector<event> ph;
    const auto n = 1 + rng.below(5);
    for (std::int64_t i = 0; i < n; ++i) {
      event e{"k" + std::to_string(rng.below(5)), rng.below(1000), t};
      auto it = session_end.find(e.key);
      if (it != session_end.end() && t <= it->second)
        it->second = std::max(it->second, t + 25);
      else
        session_end[e.key] = t + 25;
      ph.push_back(e);
    }
    d.times.push_back(t);
    d.phases.push_back(std::move(ph));
  }
}

}  // namespace

TEST_CASE("processing-time tumbling, sliding and session windows on a manual clock",
          "[window-types][processing]") {
  const int p = GENERATE(1, 2, 4);
  const std::uint64_t seed = GENERATE(801, 802);
  INFO("window parallelism " << p << ", seed " << seed);
  auto d = std::make_shared<proc_driver>();
  d->calls_per_record = 2 * 3;  // three keyed windows
  make_phases(*d, 120, seed);

  eddy::StreamEnvironment env;
  configure(env, p);
  env.config().clock = [d] { return d->clock.load(); };
  env.config().flush_interval = std::chrono::microseconds(100);
  auto src = env.add_source<event>(
      [d](const eddy::subtask_info&) { return std::make_unique<phased_source>(d); }, "phases");
  src.set_parallelism(1);
  auto counting_key = [d](const event& e) {
    d->key_calls.fetch_add(1);
    return e.key;
  };
  auto keyed = src.key_by(counting_key);
  auto tumbling = keyed.window(eddy::TumblingProcessingTimeWindows::of(milliseconds(100)))
                      .process(summarize_sorted{})
                      .name("processing tumbling")
                      .collect();
  auto sliding =
      keyed.window(eddy::SlidingProcessingTimeWindows::of(milliseconds(90), milliseconds(30)))
          .aggregate(sum_count{}, summarize_acc)
          .collect();
  auto sessions = keyed.window(eddy::ProcessingTimeSessionWindows::with_gap(milliseconds(25)))
                      .process(summarize_sorted{})
                      .collect();
  auto r = env.execute("processing time");
  REQUIRE(r.ok());

  // The records with their processing time as timestamp: then the references are the event-time
  // ones.
  std::vector<event> in;
  for (std::size_t k = 0; k < d->phases.size(); ++k)
    for (auto e : d->phases[k]) {
      e.ts = d->times[k];
      in.push_back(e);
    }
  std::vector<window_summary> tumbling_ref, sliding_ref;
  for (const auto& [w, values] : time_windows(in, 100, 100))
    tumbling_ref.push_back(summarize(w.first, w.second, w.second + 100, values));
  for (const auto& [w, values] : time_windows(in, 90, 30))
    sliding_ref.push_back(summarize(w.first, w.second, w.second + 90, values, false));
  const auto session_ref = session_reference(in, [](const event&) { return 25; });
  REQUIRE(session_ref.size() > 50);
  CHECK(differences(tumbling.values(), tumbling_ref) == "");
  CHECK(differences(sliding.values(), sliding_ref) == "");
  CHECK(differences(sessions.values(), session_ref) == "");
  CHECK(r.find_operator("processing tumbling")->records_in == in.size());
  CHECK(late_records_of(r, "processing tumbling") == 0);
}
