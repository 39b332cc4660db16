// Event-time jobs through the DataStream API (timestamps, watermarks, keyed windows), checked
// against a brute-force reference computed in the test.
//
// The input is out of order within a bound D (every record's timestamp is at least the largest
// timestamp before it minus D), so with for_bounded_out_of_orderness(D) no record is late however
// the periodic watermarks fall; the windows' results must then equal the reference exactly. Jobs
// run at parallelism 1, 2 and 4, with batches of 7 records and the default, and with a zero
// watermark interval so windows fire while the job runs, not only at the end of input.
#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/operators/datastream.hpp"

namespace {

using eddy::testing::lcg;
using eddy::testing::sorted;

using std::chrono::milliseconds;

/// An input record: key, value and event time (ms).
struct event {
  std::string key;
  std::int64_t value = 0;
  std::int64_t ts = 0;
  friend bool operator==(const event&, const event&) = default;
};

/// (key, window start, value): what the comparisons are made of.
using keyed_result = std::tuple<std::string, std::int64_t, std::int64_t>;

void configure(eddy::StreamEnvironment& env, int parallelism, std::size_t batch_size) {
  env.set_parallelism(parallelism);
  if (batch_size > 0) env.set_batch_size(batch_size);
  // Watermarks advance while the job runs (windows fire before the end of input): with a zero
  // interval the assigners emit one after every 16th batch and on every tick.
  env.config().auto_watermark_interval = milliseconds(0);
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
/// Start of the tumbling window of `size` (aligned to 0) containing ts.
std::int64_t tumbling_start(std::int64_t ts, std::int64_t size) {
  return floor_div(ts, size) * size;
}
/// Starts of the sliding windows of `size` every `slide` containing ts (brute force).
std::vector<std::int64_t> sliding_starts(std::int64_t ts, std::int64_t size, std::int64_t slide) {
  std::vector<std::int64_t> out;
  for (std::int64_t s = floor_div(ts - size, slide) * slide; s <= ts; s += slide)
    if (s <= ts && ts < s + size) out.push_back(s);
  return out;
}

/// `n` records over `keys` keys, out of order by at most `disorder` ms, starting near `t0`: record
/// i has timestamp base_i + jitter with base_i nondecreasing (steps of 0..max_step) and jitter in
/// 0..disorder. Records a few batches old are then well behind the watermark, so a record
/// overtaken by a watermark on its way to the window would be late.
std::vector<event> disordered_input(std::size_t n, int keys, std::int64_t disorder, std::int64_t t0,
                                    std::uint64_t seed, std::int64_t max_step = 12) {
  lcg rng(seed);
  std::vector<event> v;
  v.reserve(n);
  std::int64_t base = t0;
  for (std::size_t i = 0; i < n; ++i) {
    base += rng.below(max_step + 1);
    const std::int64_t ts = base + rng.below(disorder + 1);
    v.push_back(event{"k" + std::to_string(rng.below(keys)), rng.below(2001) - 1000, ts});
  }
  // The property the tests rely on, for the whole sequence and so for every contiguous part of
  // it (each source subtask reads a contiguous part) and every subsequence (rebalance).
  std::int64_t hi = std::numeric_limits<std::int64_t>::min();
  for (const auto& e : v) {
    if (hi != std::numeric_limits<std::int64_t>::min()) REQUIRE(e.ts >= hi - disorder);
    hi = std::max(hi, e.ts);
  }
  return v;
}

/// Per (key, window start): the values of the window's records, for tumbling windows.
std::map<std::pair<std::string, std::int64_t>, std::vector<std::int64_t>> tumbling_reference(
    const std::vector<event>& in, std::int64_t size) {
  std::map<std::pair<std::string, std::int64_t>, std::vector<std::int64_t>> ref;
  for (const auto& e : in) ref[{e.key, tumbling_start(e.ts, size)}].push_back(e.value);
  for (auto& [w, vals] : ref) std::sort(vals.begin(), vals.end());
  return ref;
}
std::map<std::pair<std::string, std::int64_t>, std::vector<std::int64_t>> sliding_reference(
    const std::vector<event>& in, std::int64_t size, std::int64_t slide) {
  std::map<std::pair<std::string, std::int64_t>, std::vector<std::int64_t>> ref;
  for (const auto& e : in)
    for (auto s : sliding_starts(e.ts, size, slide)) ref[{e.key, s}].push_back(e.value);
  for (auto& [w, vals] : ref) std::sort(vals.begin(), vals.end());
  return ref;
}

template <class Ref>
std::vector<keyed_result> sums_of(const Ref& ref) {
  std::vector<keyed_result> out;
  for (const auto& [w, vals] : ref) {
    std::int64_t s = 0;
    for (auto v : vals) s += v;
    out.emplace_back(w.first, w.second, s);
  }
  return sorted(out);
}

std::string render(const std::vector<keyed_result>& v) {
  std::ostringstream os;
  for (const auto& [k, s, x] : v) os << k << '@' << s << '=' << x << '\n';
  return os.str();
}

/// Reduce function used throughout: sums the values and keeps the smallest timestamp (which
/// identifies a tumbling window in the result).
const auto sum_events = [](const event& a, const event& b) {
  return event{a.key, a.value + b.value, std::min(a.ts, b.ts)};
};
const auto event_key = [](const event& e) { return e.key; };
const auto event_ts = [](const event& e) { return e.ts; };

/// An aggregate: sum, count and smallest timestamp per window.
struct sum_count {
  struct acc {
    std::string key;
    std::int64_t sum = 0;
    std::int64_t count = 0;
    std::int64_t min_ts = std::numeric_limits<std::int64_t>::max();
  };
  acc create_accumulator() const { return {}; }
  void add(acc& a, const event& e) const {
    a.key = e.key;
    a.sum += e.value;
    ++a.count;
    a.min_ts = std::min(a.min_ts, e.ts);
  }
  acc get_result(const acc& a) const { return a; }
};

/// What aggregate + window function and process emit: key, window bounds and contents.
struct window_summary {
  std::string key;
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::int64_t sum = 0;
  std::int64_t count = 0;
  std::vector<std::int64_t> values;  // sorted; process only
  friend bool operator==(const window_summary&, const window_summary&) = default;
  friend bool operator<(const window_summary& a, const window_summary& b) {
    return std::tie(a.key, a.start, a.end, a.sum, a.count, a.values) <
           std::tie(b.key, b.start, b.end, b.sum, b.count, b.values);
  }
};

std::ostream& operator<<(std::ostream& os, const window_summary& w) {
  os << w.key << "[" << w.start << "," << w.end << ") sum " << w.sum << " count " << w.count;
  if (!w.values.empty()) os << " values " << w.values.size();
  return os;
}

template <class Ref>
std::vector<window_summary> summaries_of(const Ref& ref, std::int64_t size, bool with_values) {
  std::vector<window_summary> out;
  for (const auto& [w, vals] : ref) {
    window_summary s{w.first, w.second, w.second + size, 0, std::int64_t(vals.size()), {}};
    for (auto v : vals) s.sum += v;
    if (with_values) s.values = vals;
    out.push_back(std::move(s));
  }
  return sorted(out);
}

std::uint64_t late_records_of(const eddy::job_result& r, const std::string& name) {
  const auto* op = r.find_operator(name);
  REQUIRE(op != nullptr);
  return op->late_records;
}

}  // namespace

// ---- tumbling windows -----------------------------------------------------------------------

TEST_CASE("tumbling event-time windows with reduce equal the reference", "[event-time]") {
  const int p = GENERATE(1, 2, 4);
  const std::size_t batch = GENERATE(std::size_t{7}, std::size_t{0});
  INFO("parallelism " << p << ", batch size " << batch);
  constexpr std::int64_t size = 100, disorder = 20;
  const auto in = disordered_input(4000, 7, disorder, -2500, 11);

  eddy::StreamEnvironment env;
  configure(env, p, batch);
  auto out =
      env.from_collection(in)
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<event>::for_bounded_out_of_orderness(milliseconds(disorder))
                  .with_timestamp_assigner(event_ts))
          .key_by(event_key)
          .window(eddy::TumblingEventTimeWindows::of(milliseconds(size)))
          .reduce(sum_events)
          .collect();
  auto r = env.execute("tumbling reduce");
  REQUIRE(r.ok());

  std::vector<keyed_result> got;
  for (const auto& e : out.values()) got.emplace_back(e.key, tumbling_start(e.ts, size), e.value);
  const auto expected = sums_of(tumbling_reference(in, size));
  CHECK(got.size() == expected.size());
  CHECK(render(sorted(got)) == render(expected));
  CHECK(late_records_of(r, "window reduce") == 0);
  const auto* op = r.find_operator("window reduce");
  CHECK(op->records_in == in.size());
  CHECK(op->records_out == expected.size());
}

TEST_CASE("tumbling event-time windows with aggregate equal the reference", "[event-time]") {
  const int p = GENERATE(1, 2, 4);
  const std::size_t batch = GENERATE(std::size_t{7}, std::size_t{0});
  INFO("parallelism " << p << ", batch size " << batch);
  constexpr std::int64_t size = 250, disorder = 50;
  const auto in = disordered_input(4000, 5, disorder, 0, 12);

  eddy::StreamEnvironment env;
  configure(env, p, batch);
  // A map between the timestamps and the window keeps the timestamps.
  auto out =
      env.from_collection(in)
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<event>::for_bounded_out_of_orderness(milliseconds(disorder))
                  .with_timestamp_assigner(event_ts))
          .map([](event e) {
            e.value *= 2;
            return e;
          })
          .key_by(event_key)
          .window(eddy::TumblingEventTimeWindows::of(milliseconds(size)))
          .aggregate(sum_count{})
          .name("window sum count")
          .collect();
  auto r = env.execute("tumbling aggregate");
  REQUIRE(r.ok());

  std::vector<keyed_result> got_sums, got_counts;
  for (const auto& a : out.values()) {
    got_sums.emplace_back(a.key, tumbling_start(a.min_ts, size), a.sum);
    got_counts.emplace_back(a.key, tumbling_start(a.min_ts, size), a.count);
  }
  auto doubled = in;
  for (auto& e : doubled) e.value *= 2;
  const auto ref = tumbling_reference(doubled, size);
  std::vector<keyed_result> counts;
  for (const auto& [w, vals] : ref) counts.emplace_back(w.first, w.second, vals.size());
  CHECK(render(sorted(got_sums)) == render(sums_of(ref)));
  CHECK(render(sorted(got_counts)) == render(sorted(counts)));
  CHECK(late_records_of(r, "window sum count") == 0);
}

TEST_CASE("tumbling windows with aggregate and a window function see each window's bounds",
          "[event-time]") {
  const int p = GENERATE(1, 2, 4);
  const std::size_t batch = GENERATE(std::size_t{7}, std::size_t{0});
  INFO("parallelism " << p << ", batch size " << batch);
  constexpr std::int64_t size = 60, disorder = 25;
  // Negative and positive timestamps.
  const auto in = disordered_input(3000, 6, disorder, -3000, 13);

  eddy::StreamEnvironment env;
  configure(env, p, batch);
  auto out =
      env.from_collection(in)
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<event>::for_bounded_out_of_orderness(milliseconds(disorder))
                  .with_timestamp_assigner(event_ts))
          .key_by(event_key)
          .window(eddy::TumblingEventTimeWindows::of(milliseconds(size)))
          .aggregate(sum_count{},
                     [](const std::string& key, const eddy::time_window& w, const sum_count::acc& a,
                        eddy::collector<window_summary>& c) {
                       c.collect(window_summary{key, w.start, w.end, a.sum, a.count, {}});
                     })
          .collect();
  auto r = env.execute("tumbling aggregate with window function");
  REQUIRE(r.ok());
  const auto expected = summaries_of(tumbling_reference(in, size), size, false);
  const auto got = sorted(out.values());
  CHECK(got.size() == expected.size());
  CHECK(got == expected);
  CHECK(late_records_of(r, "window aggregate") == 0);
}

TEST_CASE("tumbling windows with process see exactly each window's records", "[event-time]") {
  const int p = GENERATE(1, 2, 4);
  const std::size_t batch = GENERATE(std::size_t{7}, std::size_t{0});
  INFO("parallelism " << p << ", batch size " << batch);
  constexpr std::int64_t size = 100, disorder = 30;
  const auto in = disordered_input(3000, 4, disorder, 1000, 14);

  eddy::StreamEnvironment env;
  configure(env, p, batch);
  // A filter between the timestamps and the window keeps records and timestamps parallel.
  auto out =
      env.from_collection(in)
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<event>::for_bounded_out_of_orderness(milliseconds(disorder))
                  .with_timestamp_assigner(event_ts))
          .filter([](const event& e) { return e.value % 3 != 0; })
          .key_by(event_key)
          .window(eddy::TumblingEventTimeWindows::of(milliseconds(size)))
          .process([](const std::string& key, const eddy::time_window& w,
                      const std::vector<event>& records, eddy::collector<window_summary>& c) {
            window_summary s{key, w.start, w.end, 0, std::int64_t(records.size()), {}};
            for (const auto& e : records) {
              // Every record given to the window belongs to it.
              if (e.key != key || e.ts < w.start || e.ts >= w.end) s.count = -1000000;
              s.sum += e.value;
              s.values.push_back(e.value);
            }
            std::sort(s.values.begin(), s.values.end());
            c.collect(s);
          })
          .collect();
  auto r = env.execute("tumbling process");
  REQUIRE(r.ok());
  std::vector<event> kept;
  for (const auto& e : in)
    if (e.value % 3 != 0) kept.push_back(e);
  const auto expected = summaries_of(tumbling_reference(kept, size), size, true);
  const auto got = sorted(out.values());
  CHECK(got.size() == expected.size());
  CHECK(got == expected);
  CHECK(late_records_of(r, "window process") == 0);
}

// ---- sliding windows ------------------------------------------------------------------------

TEST_CASE("sliding event-time windows (size 3x slide) equal the reference", "[event-time]") {
  const int p = GENERATE(1, 2, 4);
  const std::size_t batch = GENERATE(std::size_t{7}, std::size_t{0});
  INFO("parallelism " << p << ", batch size " << batch);
  constexpr std::int64_t size = 150, slide = 50, disorder = 15;
  const auto in = disordered_input(3000, 5, disorder, -1000, 15);
  const auto ref = sliding_reference(in, size, slide);

  eddy::StreamEnvironment env;
  configure(env, p, batch);
  auto stream = env.from_collection(in).assign_timestamps_and_watermarks(
      eddy::WatermarkStrategy<event>::for_bounded_out_of_orderness(milliseconds(disorder))
          .with_timestamp_assigner(event_ts));
  auto windows = stream.key_by(event_key).window(
      eddy::SlidingEventTimeWindows::of(milliseconds(size), milliseconds(slide)));
  auto reduced = windows.reduce(sum_events).name("sliding reduce").collect();
  auto summaries =
      windows
          .aggregate(sum_count{},
                     [](const std::string& key, const eddy::time_window& w, const sum_count::acc& a,
                        eddy::collector<window_summary>& c) {
                       c.collect(window_summary{key, w.start, w.end, a.sum, a.count, {}});
                     })
          .name("sliding aggregate")
          .collect();
  auto listed =
      windows
          .process([](const std::string& key, const eddy::time_window& w,
                      const std::vector<event>& records, eddy::collector<window_summary>& c) {
            window_summary s{key, w.start, w.end, 0, std::int64_t(records.size()), {}};
            for (const auto& e : records) {
              s.sum += e.value;
              s.values.push_back(e.value);
            }
            std::sort(s.values.begin(), s.values.end());
            c.collect(s);
          })
          .name("sliding process")
          .collect();
  auto r = env.execute("sliding windows");
  REQUIRE(r.ok());

  // Each record is in size / slide windows.
  std::size_t memberships = 0;
  for (const auto& [w, vals] : ref) memberships += vals.size();
  CHECK(memberships == 3 * in.size());

  // reduce: the windows' sums per key (the result does not say which window it is).
  std::vector<std::pair<std::string, std::int64_t>> got_sums, expected_sums;
  for (const auto& e : reduced.values()) got_sums.emplace_back(e.key, e.value);
  for (const auto& [k, s, v] : sums_of(ref)) expected_sums.emplace_back(k, v);
  CHECK(sorted(got_sums) == sorted(expected_sums));

  CHECK(sorted(summaries.values()) == summaries_of(ref, size, false));
  CHECK(sorted(listed.values()) == summaries_of(ref, size, true));
  for (const char* name : {"sliding reduce", "sliding aggregate", "sliding process"}) {
    INFO(name);
    CHECK(late_records_of(r, name) == 0);
    CHECK(r.find_operator(name)->records_in == in.size());
  }
}

// ---- watermarks over several input channels ---------------------------------------------------

TEST_CASE(
    "windows after a rebalance from one source into three maps lose nothing (watermark is the "
    "minimum over channels)",
    "[event-time]") {
  const bool assign_after_rebalance = GENERATE(false, true);
  const int p = GENERATE(1, 2, 4);
  const std::size_t batch = GENERATE(std::size_t{7}, std::size_t{0});
  INFO("timestamps assigned " << (assign_after_rebalance ? "after" : "before")
                              << " the rebalance, window parallelism " << p << ", batch size "
                              << batch);
  constexpr std::int64_t size = 50, disorder = 20;
  const auto in = disordered_input(4000, 6, disorder, 0, 16);
  const auto strategy =
      eddy::WatermarkStrategy<event>::for_bounded_out_of_orderness(milliseconds(disorder))
          .with_timestamp_assigner(event_ts);

  eddy::StreamEnvironment env;
  configure(env, p, batch);
  auto source = env.from_collection(in);
  source.set_parallelism(1);
  eddy::DataStream<event> mapped = source;
  if (assign_after_rebalance) {
    // Three assigners, each seeing every third record: their watermarks differ, and the
    // windows must wait for the slowest.
    mapped = source.rebalance()
                 .map([](event e) {
                   e.value += 1;
                   return e;
                 })
                 .set_parallelism(3);
    mapped = mapped.assign_timestamps_and_watermarks(strategy).set_parallelism(3);
  } else {
    auto timed = source.assign_timestamps_and_watermarks(strategy).set_parallelism(1);
    mapped = timed.rebalance()
                 .map([](event e) {
                   e.value += 1;
                   return e;
                 })
                 .set_parallelism(3);
  }
  auto out = mapped.key_by(event_key)
                 .window(eddy::TumblingEventTimeWindows::of(milliseconds(size)))
                 .reduce(sum_events)
                 .collect();
  auto r = env.execute("rebalanced windows");
  REQUIRE(r.ok());

  auto plus_one = in;
  for (auto& e : plus_one) e.value += 1;
  std::vector<keyed_result> got;
  for (const auto& e : out.values()) got.emplace_back(e.key, tumbling_start(e.ts, size), e.value);
  const auto expected = sums_of(tumbling_reference(plus_one, size));
  CHECK(got.size() == expected.size());
  CHECK(render(sorted(got)) == render(expected));
  CHECK(late_records_of(r, "window reduce") == 0);
  CHECK(r.find_operator("window reduce")->records_in == in.size());
}

TEST_CASE(
    "windows fed by one source through a hash exchange get every record before the watermark "
    "that passes it",
    "[event-time]") {
  // One assigner, several window subtasks: each window subtask has a single input channel, so its
  // watermark is exactly the assigner's. Records still in a partially filled batch when a
  // watermark is emitted must reach the window before that watermark.
  const int p = GENERATE(2, 4);
  const std::size_t batch = GENERATE(std::size_t{7}, std::size_t{0});
  INFO("window parallelism " << p << ", batch size " << batch);
  constexpr std::int64_t size = 20, disorder = 5;
  const auto in = disordered_input(6000, 16, disorder, 0, 20, 8);

  eddy::StreamEnvironment env;
  configure(env, p, batch);
  auto source = env.from_collection(in);
  source.set_parallelism(1);
  auto timed =
      source
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<event>::for_bounded_out_of_orderness(milliseconds(disorder))
                  .with_timestamp_assigner(event_ts))
          .set_parallelism(1);
  auto out = timed.key_by(event_key)
                 .window(eddy::TumblingEventTimeWindows::of(milliseconds(size)))
                 .reduce(sum_events)
                 .collect();
  auto r = env.execute("one source, many windows");
  REQUIRE(r.ok());
  std::vector<keyed_result> got;
  for (const auto& e : out.values()) got.emplace_back(e.key, tumbling_start(e.ts, size), e.value);
  CHECK(late_records_of(r, "window reduce") == 0);
  CHECK(render(sorted(got)) == render(sums_of(tumbling_reference(in, size))));
}

// ---- late data ------------------------------------------------------------------------------

namespace {

/// An input with deliberately late records whose fate does not depend on when periodic
/// watermarks fall (parallelism 1, batches of one record, watermark interval 0 so the assigner
/// emits after every 16th batch). For record i the watermark at the window is at least
/// LB(i) = (largest timestamp among the first 16*floor(i/16) records) - D - 1 and at most
/// UB(i) = (largest timestamp among the first i records) - D - 1. A record is
/// - dropped (late) if its window's end - 1 + lateness <= LB(i),
/// - a late firing if end - 1 <= LB(i) and end - 1 + lateness > UB(i),
/// - on time if end - 1 > UB(i);
/// the generator makes every record one of these.
struct late_input {
  std::vector<event> records;
  std::size_t dropped = 0;
  std::size_t late_firings = 0;
  std::size_t on_time_windows = 0;                                         // (key, window) pairs
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> final_sum;  // on time + late firings
};

late_input make_late_input(std::size_t n, std::int64_t size, std::int64_t disorder,
                           std::int64_t lateness, std::uint64_t seed) {
  constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min();
  lcg rng(seed);
  late_input out;
  std::vector<std::int64_t> prefix_max{none};  // prefix_max[i]: largest ts of the first i
  std::map<std::int64_t, std::set<std::string>> on_time_keys;  // window start -> keys
  std::set<std::pair<std::string, std::int64_t>> on_time_pairs;
  std::int64_t base = 0;
  auto lb = [&](std::size_t i) {
    const std::size_t k = i / 16 * 16;
    return k == 0 ? none : prefix_max[k] - disorder - 1;
  };
  auto ub = [&](std::size_t i) {
    return prefix_max[i] == none ? none : prefix_max[i] - disorder - 1;
  };
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t lo = lb(i), hi = ub(i);
    event e{"k" + std::to_string(rng.below(4)), 1 + rng.below(100), 0};
    bool made = false;
    if (i >= 48 && rng.below(12) == 0) {
      if (lateness > 0 && rng.below(2) == 0) {
        // A late firing: the latest window that has fired for sure, if still kept for sure and
        // if it has state for the key (so the firing is one output).
        const std::int64_t start = floor_div(lo - size + 1, size) * size;
        if (start + size - 1 + lateness > hi && !on_time_keys[start].empty()) {
          const auto& keys = on_time_keys[start];
          auto it = keys.begin();
          std::advance(it, rng.below(static_cast<std::int64_t>(keys.size())));
          e.key = *it;
          e.ts = start + rng.below(size);
          made = true;
        }
      } else {
        e.ts = lo - lateness - size - rng.below(1000);  // far behind: dropped for sure
        made = true;
      }
    }
    if (!made) {
      base += rng.below(11);
      e.ts = base + rng.below(disorder + 1);
    }
    const std::int64_t start = tumbling_start(e.ts, size);
    const std::int64_t max_ts = start + size - 1;
    INFO("record " << i << " ts " << e.ts << " LB " << lo << " UB " << hi);
    if (lo != none && max_ts + lateness <= lo) {
      ++out.dropped;
    } else if (hi == none || max_ts > hi) {
      on_time_keys[start].insert(e.key);
      on_time_pairs.emplace(e.key, start);
      out.final_sum[{e.key, start}] += e.value;
    } else if (lo != none && max_ts <= lo && max_ts + lateness > hi) {
      REQUIRE(on_time_pairs.count({e.key, start}) == 1);
      ++out.late_firings;
      out.final_sum[{e.key, start}] += e.value;
    } else {
      FAIL("the generator made a record whose lateness depends on timing");
    }
    out.records.push_back(e);
    prefix_max.push_back(std::max(prefix_max.back(), e.ts));
  }
  out.on_time_windows = on_time_pairs.size();
  return out;
}

}  // namespace

TEST_CASE("late records are counted exactly as the reference classifies them", "[event-time]") {
  const std::int64_t lateness = GENERATE(std::int64_t{0}, std::int64_t{400});
  INFO("allowed lateness " << lateness);
  constexpr std::int64_t size = 100, disorder = 20;
  const auto in = make_late_input(3000, size, disorder, lateness, 17);
  REQUIRE(in.dropped > 50);
  if (lateness > 0) REQUIRE(in.late_firings > 50);

  eddy::StreamEnvironment env;
  env.set_parallelism(1).set_batch_size(1);
  env.config().auto_watermark_interval = milliseconds(0);
  auto out =
      env.from_collection(in.records)
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<event>::for_bounded_out_of_orderness(milliseconds(disorder))
                  .with_timestamp_assigner(event_ts))
          .key_by(event_key)
          .window(eddy::TumblingEventTimeWindows::of(milliseconds(size)))
          .allowed_lateness(milliseconds(lateness))
          .reduce(sum_events)
          .name("late windows")
          .collect();
  auto r = env.execute("late data");
  REQUIRE(r.ok());

  const auto* op = r.find_operator("late windows");
  REQUIRE(op != nullptr);
  CHECK(op->records_in == in.records.size());
  CHECK(op->late_records == in.dropped);
  // One firing per (key, window) when the watermark passes it, one more per late record within
  // the lateness; the last firing of each window has all its records that were not dropped.
  const auto v = out.values();
  CHECK(v.size() == in.on_time_windows + in.late_firings);
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> last;
  for (const auto& e : v) last[{e.key, tumbling_start(e.ts, size)}] = e.value;
  CHECK(last == in.final_sum);
}

TEST_CASE("a bounded job's last windows fire at the end of input", "[event-time]") {
  const int p = GENERATE(1, 2, 4);
  INFO("parallelism " << p);
  constexpr std::int64_t size = 1000;
  // With an out-of-orderness of an hour no periodic watermark fires any window: all fire on the
  // end-of-input watermark.
  const auto in = disordered_input(2000, 3, 500, 0, 18);
  eddy::StreamEnvironment env;
  configure(env, p, 7);
  auto out =
      env.from_collection(in)
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<event>::for_bounded_out_of_orderness(std::chrono::hours(1))
                  .with_timestamp_assigner(event_ts))
          .key_by(event_key)
          .window(eddy::TumblingEventTimeWindows::of(milliseconds(size)))
          .reduce(sum_events)
          .collect();
  // A single record far in the future and one in the past.
  auto single =
      env.from_collection(std::vector<event>{{"only", 5, 1'000'000'000'123}})
          .assign_timestamps_and_watermarks(
              eddy::WatermarkStrategy<event>::for_monotonous_timestamps().with_timestamp_assigner(
                  event_ts))
          .key_by(event_key)
          .window(eddy::TumblingEventTimeWindows::of(milliseconds(size)))
          .process([](const std::string& key, const eddy::time_window& w,
                      const std::vector<event>& records, eddy::collector<window_summary>& c) {
            c.collect(window_summary{key, w.start, w.end, 0, std::int64_t(records.size()), {}});
          })
          .collect();
  auto r = env.execute("end of input");
  REQUIRE(r.ok());
  std::vector<keyed_result> got;
  for (const auto& e : out.values()) got.emplace_back(e.key, tumbling_start(e.ts, size), e.value);
  CHECK(render(sorted(got)) == render(sums_of(tumbling_reference(in, size))));
  CHECK(single.values() ==
        std::vector<window_summary>{{"only", 1'000'000'000'000, 1'000'000'001'000, 0, 1, {}}});
}

TEST_CASE(
    "a window on records without timestamps fails the job naming "
    "assign_timestamps_and_watermarks",
    "[event-time]") {
  const int p = GENERATE(1, 2);
  eddy::StreamEnvironment env;
  env.set_parallelism(p);
  auto out = env.from_collection(disordered_input(100, 3, 5, 0, 19))
                 .key_by(event_key)
                 .window(eddy::TumblingEventTimeWindows::of(milliseconds(10)))
                 .reduce(sum_events)
                 .collect();
  std::string what;
  eddy::job_result r;
  try {
    env.execute("no timestamps");
    FAIL("execute did not throw");
  } catch (const eddy::job_execution_error& e) {
    what = e.what();
    r = e.result;
  }
  INFO("error: " << what);
  CHECK(r.state == eddy::job_state::failed);
  REQUIRE(r.failure.has_value());
  CHECK(r.failure->code == eddy::errc::job_failed);
  CHECK(r.failure->message == what);
  CHECK(what.find("assign_timestamps_and_watermarks") != std::string::npos);
  CHECK(what.find("window reduce") != std::string::npos);
  CHECK(out.size() == 0);
}
