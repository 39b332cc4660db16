// Unit tests of the event-time operators: the window assigners, eddy::window_op (firing,
// allowed lateness, late records, end of event time) and eddy::timestamp_assigner_op (timestamps
// and bounded-out-of-orderness watermarks), driven directly without a runtime.
#include <catch2/catch.hpp>

#include "support/expect_operator_error.hpp"

#include "support/recording_sink.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/operators/collector.hpp"
#include "eddy/operators/watermark_strategy.hpp"
#include "eddy/operators/windows.hpp"
#include "eddy/runtime/operator.hpp"

// A namespace of its own: test files are compiled in unity batches (tests/CMakeLists.txt).
namespace window_op_test {

namespace {

using std::chrono::milliseconds;
using kv = std::pair<std::string, std::int64_t>;
using ts_vec = std::vector<std::int64_t>;

using eddy::testing::recording_sink;

eddy::subtask_info info(std::size_t batch_size = 1024, int index = 0, int parallelism = 1,
                        milliseconds interval = milliseconds(200)) {
  eddy::subtask_info i;
  i.job_name = "window test job";
  i.task_name = "window test task";
  i.index = index;
  i.parallelism = parallelism;
  i.batch_size = batch_size;
  i.auto_watermark_interval = interval;
  return i;
}

/// A window_op over records of type T keyed by `key`, named "test window" and opened.
template <class T, class KeyFn, class Assigner, class WinFn>
auto make_window(KeyFn key, Assigner assigner, WinFn win_fn, std::int64_t lateness,
                 eddy::input_op<typename WinFn::output>* next,
                 const eddy::subtask_info& i = info()) {
  using K = std::decay_t<std::invoke_result_t<KeyFn&, const T&>>;
  auto op = std::make_unique<eddy::window_op<T, K, KeyFn, Assigner, WinFn>>(
      std::move(key), std::move(assigner), std::move(win_fn), lateness, next);
  op->set_name("test window");
  op->open(i);
  return op;
}

const auto key_of = [](const kv& r) { return r.first; };
const auto add_values = [](const kv& a, const kv& b) { return kv{a.first, a.second + b.second}; };

template <class F>
auto reduce_fn(F f) {
  return eddy::reduce_window_fn<kv, F>{f};
}

/// A window function's output that shows which window fired with which records.
struct fired {
  std::string key;
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::vector<std::int64_t> values;  // sorted
  friend bool operator==(const fired&, const fired&) = default;
  friend bool operator<(const fired& a, const fired& b) {
    return std::tie(a.key, a.start, a.end, a.values) < std::tie(b.key, b.start, b.end, b.values);
  }
};

std::ostream& operator<<(std::ostream& os, const fired& f) {
  os << f.key << "[" << f.start << "," << f.end << "){";
  for (auto v : f.values) os << v << ' ';
  return os << '}';
}

auto listing_fn() {
  auto fn = [](const std::string& key, const eddy::time_window& w, const std::vector<kv>& records,
               eddy::collector<fired>& out) {
    fired f{key, w.start, w.end, {}};
    for (const auto& r : records) f.values.push_back(r.second);
    std::sort(f.values.begin(), f.values.end());
    out.collect(f);
  };
  return eddy::process_window_fn<kv, fired, decltype(fn)>{fn};
}

/// Feeds records with explicit timestamps.
template <class Op>
void feed(Op& op, std::vector<kv> records, ts_vec ts) {
  REQUIRE(records.size() == ts.size());
  op.process(records, ts);
}

/// Brute-force start of the window of `size` aligned to `offset` that contains `ts`.
std::int64_t reference_start(std::int64_t ts, std::int64_t offset, std::int64_t size) {
  // The largest s <= ts with s == offset (mod size), by walking from a far-away aligned value.
  std::int64_t s = offset % size - 1000 * size;
  while (s + size <= ts) s += size;
  return s;
}

using eddy::testing::expect_operator_error;

}  // namespace

// ---- assigners ------------------------------------------------------------------------------

TEST_CASE("tumbling windows contain their timestamp, including negative ones and offsets",
          "[window]") {
  struct spec {
    std::int64_t size, offset, effective_offset;
  };
  for (const auto& s : {spec{10, 0, 0}, spec{10, 3, 3}, spec{10, 13, 3}, spec{10, -3, -3},
                        spec{7, 0, 0}, spec{1, 0, 0}, spec{1000, 250, 250}}) {
    const auto a = eddy::TumblingEventTimeWindows::of(milliseconds(s.size), milliseconds(s.offset));
    CHECK(a.window_size() == s.size);
    for (std::int64_t ts = -3 * s.size - 5; ts <= 3 * s.size + 5; ++ts) {
      INFO("size " << s.size << " offset " << s.offset << " ts " << ts);
      std::vector<eddy::time_window> ws;
      a.assign(ts, [&](const eddy::time_window& w) { ws.push_back(w); });
      REQUIRE(ws.size() == 1);
      const std::int64_t start = reference_start(ts, s.effective_offset, s.size);
      CHECK(ws[0].start == start);
      CHECK(ws[0].end == start + s.size);
      CHECK(ws[0].max_timestamp() == start + s.size - 1);
      CHECK(ws[0].start <= ts);
      CHECK(ts < ws[0].end);
    }
  }
  // Spot checks written out.
  const auto t = eddy::TumblingEventTimeWindows::of(milliseconds(10));
  auto one = [&](std::int64_t ts) {
    eddy::time_window out;
    t.assign(ts, [&](const eddy::time_window& w) { out = w; });
    return out;
  };
  CHECK(one(0) == eddy::time_window{0, 10});
  CHECK(one(9) == eddy::time_window{0, 10});
  CHECK(one(10) == eddy::time_window{10, 20});
  CHECK(one(-1) == eddy::time_window{-10, 0});
  CHECK(one(-10) == eddy::time_window{-10, 0});
  CHECK(one(-11) == eddy::time_window{-20, -10});
  const auto o = eddy::TumblingEventTimeWindows::of(milliseconds(10), milliseconds(3));
  eddy::time_window w;
  o.assign(2, [&](const eddy::time_window& x) { w = x; });
  CHECK(w == eddy::time_window{-7, 3});
  o.assign(-8, [&](const eddy::time_window& x) { w = x; });
  CHECK(w == eddy::time_window{-17, -7});
}

TEST_CASE("invalid window sizes are rejected", "[window]") {
  CHECK_THROWS_AS(eddy::TumblingEventTimeWindows::of(milliseconds(0)), std::invalid_argument);
  CHECK_THROWS_AS(eddy::TumblingEventTimeWindows::of(milliseconds(-5)), std::invalid_argument);
  CHECK_THROWS_AS(eddy::SlidingEventTimeWindows::of(milliseconds(10), milliseconds(0)),
                  std::invalid_argument);
  CHECK_THROWS_AS(eddy::SlidingEventTimeWindows::of(milliseconds(0), milliseconds(5)),
                  std::invalid_argument);
}

TEST_CASE("sliding windows assign each timestamp to every window of size/slide containing it",
          "[window]") {
  struct spec {
    std::int64_t size, slide, offset;
  };
  for (const auto& s : {spec{30, 10, 0}, spec{30, 10, 4}, spec{30, 10, -4}, spec{25, 10, 0},
                        spec{10, 10, 0}, spec{12, 3, 1}}) {
    const auto a = eddy::SlidingEventTimeWindows::of(milliseconds(s.size), milliseconds(s.slide),
                                                     milliseconds(s.offset));
    CHECK(a.window_size() == s.size);
    for (std::int64_t ts = -3 * s.size; ts <= 3 * s.size; ++ts) {
      INFO("size " << s.size << " slide " << s.slide << " offset " << s.offset << " ts " << ts);
      std::set<std::int64_t> starts;
      std::size_t calls = 0;
      a.assign(ts, [&](const eddy::time_window& w) {
        ++calls;
        CHECK(w.end == w.start + s.size);
        starts.insert(w.start);
      });
      // Reference: every start aligned to the slide (and offset) with start <= ts < start+size.
      std::set<std::int64_t> expected;
      for (std::int64_t st = reference_start(ts, s.offset, s.slide); st > ts - s.size;
           st -= s.slide)
        expected.insert(st);
      CHECK(calls == starts.size());  // no window twice
      CHECK(starts == expected);
      if (s.size % s.slide == 0) CHECK(starts.size() == std::size_t(s.size / s.slide));
    }
  }
}

// ---- window_op: on-time firing --------------------------------------------------------------

TEST_CASE("a tumbling window fires exactly once when the watermark reaches end - 1", "[window]") {
  recording_sink<kv> sink;
  auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10)),
                            reduce_fn(add_values), 0, &sink);
  feed(*op, {{"a", 1}, {"a", 2}, {"b", 5}, {"a", 4}}, {0, 9, 3, 12});
  CHECK(sink.records().empty());

  op->on_watermark(7);
  op->on_watermark(8);  // end - 2: not yet
  CHECK(sink.records().empty());
  CHECK(sink.watermarks() == ts_vec{7, 8});

  sink.clear();
  op->on_watermark(9);          // end - 1 of [0, 10)
  CHECK(sink.shape() == "rw");  // the results, then the watermark
  auto got = sink.records();
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<kv>{{"a", 3}, {"b", 5}});
  CHECK(sink.timestamps() == ts_vec{9, 9});  // results carry the window's max timestamp
  CHECK(sink.watermarks() == ts_vec{9});

  sink.clear();
  op->on_watermark(10);
  op->on_watermark(18);
  CHECK(sink.records().empty());  // [0, 10) does not fire again; [10, 20) not yet
  op->on_watermark(19);
  CHECK(sink.records() == std::vector<kv>{{"a", 4}});
  CHECK(sink.timestamps() == ts_vec{19});
  CHECK(sink.watermarks() == ts_vec{10, 18, 19});
  CHECK(sink.shape() == "wwrw");

  sink.clear();
  op->on_watermark(100);
  CHECK(sink.records().empty());
  CHECK(op->counters().records_in == 4);
  CHECK(op->counters().records_out == 3);
  CHECK(op->counters().late_records == 0);
  op->finish();
  CHECK(sink.finished == 1);
}

TEST_CASE("a watermark past several windows fires them all, in window order, before itself",
          "[window]") {
  recording_sink<fired> sink;
  auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10)),
                            listing_fn(), 0, &sink);
  feed(*op, {{"a", 35}, {"a", 5}, {"b", 15}, {"a", 16}, {"a", 41}}, {35, 5, 15, 16, 41});
  op->on_watermark(39);
  CHECK(sink.shape() == "rw");
  std::vector<fired> got = sink.records();
  REQUIRE(got.size() == 4);
  // Windows fire in the order of their ends (keys within a window in any order).
  CHECK(got[0] == fired{"a", 0, 10, {5}});
  std::vector<fired> middle{got[1], got[2]};
  std::sort(middle.begin(), middle.end());
  CHECK(middle == std::vector<fired>{{"a", 10, 20, {16}}, {"b", 10, 20, {15}}});
  CHECK(got[3] == fired{"a", 30, 40, {35}});
  CHECK(sink.timestamps() == ts_vec{9, 19, 19, 39});
  sink.clear();
  op->on_watermark(eddy::max_watermark);
  CHECK(sink.records() == std::vector<fired>{{"a", 40, 50, {41}}});
  CHECK(sink.timestamps() == ts_vec{49});
  CHECK(sink.watermarks() == ts_vec{eddy::max_watermark});
}

TEST_CASE("windows with negative timestamps and an offset fire at end - 1 with their bounds",
          "[window]") {
  recording_sink<fired> sink;
  auto op =
      make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10), milliseconds(3)),
                      listing_fn(), 0, &sink);
  // Windows [-17, -7), [-7, 3), [3, 13).
  feed(*op, {{"k", -17}, {"k", -8}, {"k", -7}, {"k", 2}, {"k", 3}, {"k", -12}},
       {-17, -8, -7, 2, 3, -12});
  op->on_watermark(-9);
  CHECK(sink.records().empty());
  op->on_watermark(-8);
  CHECK(sink.records() == std::vector<fired>{{"k", -17, -7, {-17, -12, -8}}});
  CHECK(sink.timestamps() == ts_vec{-8});
  sink.clear();
  op->on_watermark(2);
  CHECK(sink.records() == std::vector<fired>{{"k", -7, 3, {-7, 2}}});
  CHECK(sink.timestamps() == ts_vec{2});
  sink.clear();
  op->on_watermark(12);
  CHECK(sink.records() == std::vector<fired>{{"k", 3, 13, {3}}});
}

TEST_CASE("sliding windows put each record into size/slide windows, each firing once", "[window]") {
  recording_sink<fired> sink;
  auto op =
      make_window<kv>(key_of, eddy::SlidingEventTimeWindows::of(milliseconds(30), milliseconds(10)),
                      listing_fn(), 0, &sink);
  feed(*op, {{"a", 5}, {"a", 14}, {"a", -3}, {"b", 25}}, {5, 14, -3, 25});
  op->on_watermark(eddy::max_watermark);
  auto got = sink.records();
  std::sort(got.begin(), got.end());
  const std::vector<fired> expected{
      {"a", -20, 10, {-3, 5}}, {"a", -10, 20, {-3, 5, 14}}, {"a", 0, 30, {5, 14}},
      {"a", 10, 40, {14}},     {"b", 0, 30, {25}},          {"b", 10, 40, {25}},
      {"b", 20, 50, {25}},     {"a", -30, 0, {-3}},
  };
  auto exp_sorted = expected;
  std::sort(exp_sorted.begin(), exp_sorted.end());
  CHECK(got == exp_sorted);
  // Each window's results carry its own end - 1.
  auto recs = sink.records();
  auto ts = sink.timestamps();
  REQUIRE(ts.size() == recs.size());
  for (std::size_t i = 0; i < recs.size(); ++i) CHECK(ts[i] == recs[i].end - 1);
  CHECK(op->counters().records_out == expected.size());
}

TEST_CASE("sliding windows fire one by one as the watermark passes each end - 1", "[window]") {
  recording_sink<kv> sink;
  auto op =
      make_window<kv>(key_of, eddy::SlidingEventTimeWindows::of(milliseconds(30), milliseconds(10)),
                      reduce_fn(add_values), 0, &sink);
  feed(*op, {{"a", 1}, {"a", 10}, {"a", 100}}, {1, 11, 21});
  // Windows: [-20,10) {1}, [-10,20) {1,10}, [0,30) {1,10,100}, [10,40) {10,100}, [20,50) {100}.
  const std::vector<std::pair<std::int64_t, std::int64_t>> steps{
      {8, -1}, {9, 1}, {18, -1}, {19, 11}, {29, 111}, {39, 110}, {48, -1}, {49, 100}};
  for (auto [wm, expect] : steps) {
    INFO("watermark " << wm);
    sink.clear();
    op->on_watermark(wm);
    if (expect < 0) {
      CHECK(sink.records().empty());
    } else {
      CHECK(sink.records() == std::vector<kv>{{"a", expect}});
      CHECK(sink.timestamps() == ts_vec{wm});
    }
  }
}

TEST_CASE("window results are passed on in batches of at most the batch size", "[window]") {
  recording_sink<kv> sink;
  auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10)),
                            reduce_fn(add_values), 0, &sink, info(2));
  std::vector<kv> in;
  ts_vec ts;
  for (int k = 0; k < 5; ++k) {
    in.emplace_back("k" + std::to_string(k), k);
    ts.push_back(k);
  }
  feed(*op, in, ts);
  op->on_watermark(9);
  CHECK(sink.records().size() == 5);
  CHECK(sink.timestamps_parallel());
  for (const auto& e : sink.events)
    if (!e.is_watermark) CHECK(e.records.size() <= 2);
  CHECK(sink.shape().back() == 'w');
  CHECK(sink.watermarks() == ts_vec{9});
}

TEST_CASE("aggregate and aggregate with a window function see the window's key and bounds",
          "[window]") {
  struct avg {
    std::pair<std::int64_t, std::int64_t> create_accumulator() const { return {0, 0}; }
    void add(std::pair<std::int64_t, std::int64_t>& acc, const kv& r) const {
      acc.first += r.second;
      ++acc.second;
    }
    double get_result(const std::pair<std::int64_t, std::int64_t>& acc) const {
      return double(acc.first) / double(acc.second);
    }
  };
  SECTION("aggregate") {
    recording_sink<double> sink;
    auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(100)),
                              eddy::aggregate_window_fn<kv, avg>{avg{}}, 0, &sink);
    feed(*op, {{"a", 1}, {"a", 2}, {"a", 7}}, {10, 20, 150});
    op->on_watermark(eddy::max_watermark);
    CHECK(sink.records() == std::vector<double>{1.5, 7.0});
    CHECK(sink.timestamps() == ts_vec{99, 199});
  }
  SECTION("aggregate with a window function") {
    using out_t = std::tuple<std::string, std::int64_t, std::int64_t, double>;
    auto fn = [](const std::string& key, const eddy::time_window& w, double result,
                 eddy::collector<out_t>& out) {
      out.collect(out_t{key, w.start, w.end, result});
    };
    recording_sink<out_t> sink;
    auto op = make_window<kv>(
        key_of, eddy::TumblingEventTimeWindows::of(milliseconds(100)),
        eddy::aggregate_process_window_fn<kv, avg, out_t, decltype(fn)>{avg{}, fn}, 0, &sink);
    feed(*op, {{"a", 1}, {"b", 4}, {"a", 2}, {"a", 7}}, {10, -20, 20, 150});
    op->on_watermark(eddy::max_watermark);
    auto got = sink.records();
    std::sort(got.begin(), got.end());
    CHECK(got == std::vector<out_t>{{"a", 0, 100, 1.5}, {"a", 100, 200, 7.0}, {"b", -100, 0, 4.0}});
  }
}

TEST_CASE("a window function emitting several or no records per firing", "[window]") {
  auto fn = [](const std::string& key, const eddy::time_window& w, const std::vector<kv>& records,
               eddy::collector<kv>& out) {
    if (key == "silent") return;
    for (const auto& r : records) out.collect(kv{key + "@" + std::to_string(w.start), r.second});
  };
  recording_sink<kv> sink;
  auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10)),
                            eddy::process_window_fn<kv, kv, decltype(fn)>{fn}, 0, &sink);
  feed(*op, {{"x", 1}, {"silent", 2}, {"x", 3}}, {1, 2, 3});
  op->on_watermark(9);
  auto got = sink.records();
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<kv>{{"x@0", 1}, {"x@0", 3}});
  CHECK(sink.timestamps() == ts_vec{9, 9});
  CHECK(op->counters().records_out == 2);
}

// ---- window_op: lateness --------------------------------------------------------------------

TEST_CASE("without allowed lateness, records for fired windows are late and dropped", "[window]") {
  recording_sink<kv> sink;
  auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10)),
                            reduce_fn(add_values), 0, &sink);
  feed(*op, {{"a", 1}}, {5});
  op->on_watermark(9);
  sink.clear();
  feed(*op, {{"a", 2}, {"a", 4}, {"b", 8}}, {9, 0, 3});  // all for [0, 10): late
  CHECK(sink.events.empty());
  CHECK(op->counters().late_records == 3);
  feed(*op, {{"a", 16}}, {10});  // on time for [10, 20)
  CHECK(op->counters().late_records == 3);
  op->on_watermark(eddy::max_watermark);
  CHECK(sink.records() == std::vector<kv>{{"a", 16}});
  CHECK(op->counters().records_in == 5);
}

TEST_CASE("a window turns late when the watermark reaches its end - 1, not before", "[window]") {
  recording_sink<kv> sink;
  auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10)),
                            reduce_fn(add_values), 0, &sink);
  op->on_watermark(8);
  feed(*op, {{"a", 1}}, {9});  // window [0, 10): end - 1 = 9 > 8, on time
  CHECK(op->counters().late_records == 0);
  op->on_watermark(9);
  CHECK(sink.records() == std::vector<kv>{{"a", 1}});
  feed(*op, {{"a", 2}}, {9});
  CHECK(op->counters().late_records == 1);
}

TEST_CASE("allowed lateness: each late record fires the updated window until end - 1 + lateness",
          "[window]") {
  recording_sink<kv> sink;
  const std::int64_t lateness = 5;
  auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10)),
                            reduce_fn(add_values), lateness, &sink);
  feed(*op, {{"a", 1}, {"a", 2}, {"b", 100}}, {1, 2, 3});
  op->on_watermark(9);
  {
    auto got = sink.records();
    std::sort(got.begin(), got.end());
    CHECK(got == std::vector<kv>{{"a", 3}, {"b", 100}});
  }

  SECTION("one firing per late record, immediately, only for the record's key") {
    sink.clear();
    feed(*op, {{"a", 10}}, {4});
    CHECK(sink.shape() == "r");  // no watermark needed
    CHECK(sink.records() == std::vector<kv>{{"a", 13}});
    CHECK(sink.timestamps() == ts_vec{9});
    sink.clear();
    feed(*op, {{"a", 100}, {"a", 1000}}, {0, 9});  // two late records in one batch
    CHECK(sink.records() == std::vector<kv>{{"a", 113}, {"a", 1113}});
    CHECK(sink.timestamps() == ts_vec{9, 9});
    sink.clear();
    feed(*op, {{"c", 7}}, {8});  // a key without earlier state in the window
    CHECK(sink.records() == std::vector<kv>{{"c", 7}});
    CHECK(op->counters().late_records == 0);
  }

  SECTION("watermarks within the lateness do not fire the window again") {
    sink.clear();
    op->on_watermark(12);
    op->on_watermark(13);
    CHECK(sink.records().empty());
    CHECK(sink.watermarks() == ts_vec{12, 13});
    feed(*op, {{"b", 1}}, {0});  // end - 1 + lateness = 14 > 13: still a late firing
    CHECK(sink.records() == std::vector<kv>{{"b", 101}});
    CHECK(op->counters().late_records == 0);
  }

  SECTION("state is dropped once the watermark reaches end - 1 + lateness") {
    sink.clear();
    op->on_watermark(14);        // 9 + 5
    CHECK(sink.shape() == "w");  // dropping fires nothing
    sink.clear();
    feed(*op, {{"a", 50}, {"b", 60}}, {3, 9});
    CHECK(sink.events.empty());
    CHECK(op->counters().late_records == 2);
    // A later window is unaffected.
    feed(*op, {{"a", 7}}, {15});
    CHECK(op->counters().late_records == 2);
    op->on_watermark(19);
    CHECK(sink.records() == std::vector<kv>{{"a", 7}});
  }

  SECTION("windows kept for lateness do not hold back later windows") {
    feed(*op, {{"a", 20}, {"a", 30}}, {12, 25});
    sink.clear();
    op->on_watermark(19);  // [0,10) kept until 14 -> dropped; [10,20) fires
    CHECK(sink.records() == std::vector<kv>{{"a", 20}});
    sink.clear();
    op->on_watermark(29);  // [10,20) kept until 24 -> dropped; [20,30) fires
    CHECK(sink.records() == std::vector<kv>{{"a", 30}});
  }
}

TEST_CASE("with a long lateness, several fired windows are kept and later ones still fire",
          "[window]") {
  recording_sink<kv> sink;
  auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10)),
                            reduce_fn(add_values), 100, &sink);
  feed(*op, {{"a", 1}, {"a", 2}, {"a", 3}}, {1, 11, 21});
  op->on_watermark(9);
  CHECK(sink.records() == std::vector<kv>{{"a", 1}});
  sink.clear();
  op->on_watermark(19);  // [0,10) is kept (until 109) and must not block [10,20)
  CHECK(sink.records() == std::vector<kv>{{"a", 2}});
  sink.clear();
  op->on_watermark(29);
  CHECK(sink.records() == std::vector<kv>{{"a", 3}});
  sink.clear();
  feed(*op, {{"a", 10}, {"a", 20}}, {5, 15});  // late firings of [0,10) and [10,20)
  CHECK(sink.records() == std::vector<kv>{{"a", 11}, {"a", 22}});
  sink.clear();
  op->on_watermark(109);  // [0,10) dropped, nothing fires
  CHECK(sink.records().empty());
  feed(*op, {{"a", 1}}, {0});
  CHECK(op->counters().late_records == 1);
  feed(*op, {{"a", 1}}, {10});  // [10,20) kept until 119
  CHECK(sink.records() == std::vector<kv>{{"a", 23}});
  CHECK(op->counters().late_records == 1);
}

TEST_CASE("a late record within the lateness for a window without state fires exactly once",
          "[window]") {
  // The window [0, 10) has no state when the watermark passes 9; a record for it arrives within
  // the allowed lateness, which fires it at once (a late firing). A later watermark (still within
  // the lateness) must not fire it a second time: no new record arrived for it.
  recording_sink<kv> sink;
  auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10)),
                            reduce_fn(add_values), 20, &sink);
  op->on_watermark(9);
  sink.clear();
  feed(*op, {{"a", 5}}, {5});
  CHECK(sink.records() == std::vector<kv>{{"a", 5}});
  sink.clear();
  op->on_watermark(12);
  CHECK(sink.records().empty());  // fails: the window fires again with {"a", 5}
  sink.clear();
  op->on_watermark(eddy::max_watermark);
  CHECK(sink.records().empty());
}

TEST_CASE("a sliding-window record late for some of its windows goes into the others only",
          "[window]") {
  recording_sink<kv> sink;
  auto op =
      make_window<kv>(key_of, eddy::SlidingEventTimeWindows::of(milliseconds(30), milliseconds(10)),
                      reduce_fn(add_values), 0, &sink);
  op->on_watermark(25);
  sink.clear();
  // ts 5: [0,30) on time; [-10,20) and [-20,10) already past. Not a late record.
  feed(*op, {{"a", 1}}, {5});
  // ts 15: [10,40) and [0,30) on time; [-10,20) past.
  feed(*op, {{"a", 2}}, {15});
  CHECK(sink.events.empty());
  CHECK(op->counters().late_records == 0);
  // ts -5: [-10,20), [-20,10) and [-30,0) all past: a late record.
  feed(*op, {{"a", 100}}, {-5});
  CHECK(op->counters().late_records == 1);
  CHECK(sink.events.empty());
  op->on_watermark(eddy::max_watermark);
  CHECK(sink.records() == std::vector<kv>{{"a", 3}, {"a", 2}});
  CHECK(sink.timestamps() == ts_vec{29, 39});
}

TEST_CASE("max_watermark fires every window and ends event time", "[window]") {
  const std::int64_t lateness = GENERATE(std::int64_t{0}, std::int64_t{1000});
  INFO("lateness " << lateness);
  recording_sink<fired> sink;
  auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10)),
                            listing_fn(), lateness, &sink);
  feed(*op, {{"a", 1}, {"b", 2}, {"a", 3}}, {-1000000000000, 5, 1000000000000});
  op->on_watermark(9);  // fires the first two windows (kept for the lateness, if any)
  CHECK(sink.records() ==
        std::vector<fired>{{"a", -1000000000000, -999999999990, {1}}, {"b", 0, 10, {2}}});
  sink.clear();
  op->on_watermark(eddy::max_watermark);  // fires the rest, not the fired ones again
  CHECK(sink.records() == std::vector<fired>{{"a", 1000000000000, 1000000000010, {3}}});
  CHECK(sink.timestamps() == ts_vec{1000000000009});
  CHECK(sink.shape() == "rw");
  CHECK(sink.watermarks() == ts_vec{eddy::max_watermark});
  // After the end of event time everything is late.
  sink.clear();
  feed(*op, {{"a", 1}}, {2000000000000});
  CHECK(sink.events.empty());
  CHECK(op->counters().late_records == 1);
  op->finish();
  CHECK(sink.finished == 1);
  CHECK(sink.records().empty());
}

// ---- window_op: errors ----------------------------------------------------------------------

TEST_CASE("records without timestamps make the window operator throw an operator_error",
          "[window]") {
  recording_sink<kv> sink;
  auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10)),
                            reduce_fn(add_values), 0, &sink, info(1024, 1, 3));
  std::vector<kv> empty;
  op->process(empty);  // an empty batch without timestamps is fine
  std::vector<kv> in{{"a", 1}};
  auto e = expect_operator_error([&] { op->process(in); });
  CHECK(e.operator_name == "test window");
  CHECK(e.subtask_index == 1);
  const std::string what = e.what();
  CHECK(what.find("operator 'test window' (subtask 2/3)") != std::string::npos);
  CHECK(what.find("assign_timestamps_and_watermarks") != std::string::npos);
  CHECK(sink.events.empty());
}

TEST_CASE("an exception in a window function becomes an operator_error naming the window",
          "[window]") {
  recording_sink<kv> sink;
  auto op = make_window<kv>(key_of, eddy::TumblingEventTimeWindows::of(milliseconds(10)),
                            reduce_fn([](const kv& a, const kv& b) -> kv {
                              if (b.second < 0) throw std::runtime_error("negative value");
                              return kv{a.first, a.second + b.second};
                            }),
                            0, &sink);
  auto e = expect_operator_error([&] { feed(*op, {{"a", 1}, {"a", -1}}, {1, 2}); });
  CHECK(e.operator_name == "test window");
  CHECK(std::string(e.what()).find("negative value") != std::string::npos);
}

// ---- timestamp_assigner_op ------------------------------------------------------------------

namespace {
const auto ts_of = [](const kv& r) { return r.second; };
template <class F>
auto make_assigner(F fn, std::int64_t delay, eddy::input_op<kv>* next,
                   const eddy::subtask_info& i = info()) {
  auto op = std::make_unique<eddy::timestamp_assigner_op<kv, F>>(fn, milliseconds(delay), next);
  op->set_name("timestamps");
  op->open(i);
  return op;
}
// Each tick one auto-watermark interval (and more) after the previous one.
std::chrono::steady_clock::time_point now() {
  static auto t = std::chrono::steady_clock::now();
  t += std::chrono::seconds(1);
  return t;
}
}  // namespace

TEST_CASE("the timestamp assigner gives every record its timestamp and keeps the records",
          "[window]") {
  recording_sink<kv> sink;
  auto op = make_assigner(ts_of, 5, &sink);
  CHECK(op->wants_ticks());
  std::vector<kv> in{{"a", 10}, {"b", -3}, {"c", 7}};
  op->process(in);  // without timestamps
  CHECK(sink.records() == std::vector<kv>{{"a", 10}, {"b", -3}, {"c", 7}});
  CHECK(sink.timestamps() == ts_vec{10, -3, 7});
  std::vector<kv> in2{{"d", 4}};
  ts_vec old_ts{999};
  op->process(in2, old_ts);  // upstream timestamps are replaced
  CHECK(sink.timestamps() == ts_vec{10, -3, 7, 4});
  CHECK(sink.watermarks().empty());  // only periodically
  CHECK(op->counters().records_in == 4);
  CHECK(op->counters().records_out == 4);
  op->finish();
  CHECK(sink.finished == 1);
}

TEST_CASE(
    "the timestamp assigner emits max timestamp - out-of-orderness - 1 on a tick, never "
    "decreasing or repeated",
    "[window]") {
  const std::int64_t delay = GENERATE(std::int64_t{0}, std::int64_t{5});
  INFO("out of orderness " << delay);
  recording_sink<kv> sink;
  auto op = make_assigner(ts_of, delay, &sink);
  op->on_tick(now());
  CHECK(sink.events.empty());  // nothing seen yet: no watermark
  CHECK(op->current_watermark() == eddy::min_watermark);

  std::vector<kv> in{{"a", 100}, {"b", 120}, {"c", 90}};
  op->process(in);
  CHECK(op->current_watermark() == 120 - delay - 1);
  sink.clear();
  op->on_tick(now());
  CHECK(sink.shape() == "w");
  CHECK(sink.watermarks() == ts_vec{120 - delay - 1});

  sink.clear();
  op->on_tick(now());  // nothing new: no repeated watermark
  std::vector<kv> older{{"d", 50}, {"e", 119}};
  op->process(older);
  op->on_tick(now());  // the maximum did not grow: no watermark either
  CHECK(sink.watermarks().empty());
  CHECK(op->current_watermark() == 120 - delay - 1);

  std::vector<kv> newer{{"f", 121}};
  op->process(newer);
  sink.clear();
  op->on_tick(now());
  CHECK(sink.watermarks() == ts_vec{121 - delay - 1});

  // Negative timestamps.
  recording_sink<kv> neg_sink;
  auto neg = make_assigner(ts_of, delay, &neg_sink);
  std::vector<kv> negs{{"x", -500}, {"y", -700}};
  neg->process(negs);
  neg->on_tick(now());
  CHECK(neg_sink.watermarks() == ts_vec{-500 - delay - 1});
}

TEST_CASE("the timestamp assigner swallows upstream watermarks except the end of event time",
          "[window]") {
  recording_sink<kv> sink;
  auto op = make_assigner(ts_of, 0, &sink);
  std::vector<kv> in{{"a", 10}};
  op->process(in);
  sink.clear();
  op->on_watermark(5);
  op->on_watermark(1000);
  CHECK(sink.events.empty());
  op->on_watermark(eddy::max_watermark);
  CHECK(sink.watermarks() == ts_vec{eddy::max_watermark});
}

TEST_CASE("with a zero watermark interval the timestamp assigner emits every 16 batches",
          "[window]") {
  recording_sink<kv> sink;
  auto op = make_assigner(ts_of, 2, &sink, info(1024, 0, 1, milliseconds(0)));
  std::vector<std::size_t> emitted_after;  // batch numbers after which a watermark came
  std::size_t seen = 0;
  for (std::int64_t i = 1; i <= 40; ++i) {
    std::vector<kv> one{{"k", i * 10}};
    op->process(one);
    const auto wms = sink.watermarks();
    if (wms.size() > seen) {
      CHECK(wms.size() == seen + 1);
      CHECK(wms.back() == i * 10 - 2 - 1);
      emitted_after.push_back(static_cast<std::size_t>(i));
      seen = wms.size();
    }
  }
  CHECK(emitted_after == std::vector<std::size_t>{16, 32});
  // The watermark follows its batch.
  CHECK(sink.shape().substr(0, 17) == std::string(16, 'r') + "w");
}

}  // namespace window_op_test
