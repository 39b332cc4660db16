// Unit tests of eddy::triggered_window_op (the general window operator: any assigner, trigger and
// evictor), driven directly without a runtime: timers fire exactly once at the right watermark or
// clock, session merging (bridging records, adjacent windows, trigger state, late merges), FIRE vs
// PURGE vs FIRE_AND_PURGE, cleanup after the allowed lateness, processing-time timers on ticks and
// at finish(), the evictors, user-code errors and the results' timestamps. Flink's WindowOperator
// and EvictingWindowOperator are the reference for the semantics. Checkpoints: operators
// snapshotted mid-way and restored into fresh ones (also at another parallelism) emit what an
// uninterrupted run emits.
#include <catch2/catch.hpp>

#include "support/expect_operator_error.hpp"

#include "support/recording_sink.hpp"

#include "support/test_support.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
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
#include "eddy/operators/windows.hpp"
#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/snapshot.hpp"

namespace {

using std::chrono::milliseconds;
using kv = std::pair<std::string, std::int64_t>;
using ts_vec = std::vector<std::int64_t>;
using eddy::trigger_result;
using eddy::testing::expect_operator_error;
using eddy::testing::recording_sink;

constexpr std::int64_t no_lateness = 0;

eddy::subtask_info info(std::size_t batch_size = 1024, int index = 0, int parallelism = 1) {
  eddy::subtask_info i;
  i.job_name = "triggered window test job";
  i.task_name = "triggered window test task";
  i.index = index;
  i.parallelism = parallelism;
  i.batch_size = batch_size;
  return i;
}

/// A manual processing-time clock for subtask_info::clock.
struct manual_clock {
  std::shared_ptr<std::int64_t> now = std::make_shared<std::int64_t>(0);
  void set(std::int64_t t) { *now = t; }
  eddy::subtask_info info(std::size_t batch_size = 1024) const {
    auto i = ::info(batch_size);
    i.clock = [n = now] { return *n; };
    return i;
  }
};

const auto key_of = [](const kv& r) { return r.first; };

/// A triggered_window_op over kv records, named "test window", with an optional late-data side
/// output, opened.
template <class Assigner, class Trigger, class Evictor, class WinFn, class KeyFn = decltype(key_of)>
auto make_op(Assigner assigner, Trigger trigger, Evictor evictor, WinFn win_fn,
             std::int64_t lateness, eddy::input_op<typename WinFn::output>* next,
             eddy::input_op<kv>* late = nullptr, const eddy::subtask_info& i = info(),
             KeyFn key = key_of) {
  using K = std::decay_t<std::invoke_result_t<KeyFn&, const kv&>>;
  using op_type = eddy::triggered_window_op<kv, K, KeyFn, Assigner, Trigger, Evictor, WinFn>;
  auto op = std::make_unique<op_type>(std::move(key), std::move(assigner), std::move(trigger),
                                      std::move(evictor), std::move(win_fn), lateness,
                                      late ? "late" : "", next);
  op->set_name("test window");
  if (late) op->set_side_output("late", late);
  op->open(i);
  return op;
}

/// What the listing window function emits: the key, the window and its records' values.
struct fired {
  std::string key;
  std::int64_t start = 0;  // -1, -1 for the global window
  std::int64_t end = 0;
  std::vector<std::int64_t> values;
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

/// Lists each window's values (sorted, or in the order the window holds them).
struct list_values {
  bool keep_order = false;
  template <class W>
  void operator()(const std::string& key, const W& w, const std::vector<kv>& records,
                  eddy::collector<fired>& out) const {
    fired f{key, -1, -1, {}};
    if constexpr (std::is_same_v<W, eddy::time_window>) {
      f.start = w.start;
      f.end = w.end;
    }
    for (const auto& r : records) f.values.push_back(r.second);
    if (!keep_order) std::sort(f.values.begin(), f.values.end());
    out.collect(f);
  }
};
using lister = eddy::process_window_fn<kv, fired, list_values>;
lister listing() {
  return lister{list_values{false}};
}
lister listing_in_order() {
  return lister{list_values{true}};
}

const auto add_values = [](const kv& a, const kv& b) { return kv{a.first, a.second + b.second}; };
using summing = eddy::reduce_window_fn<kv, std::decay_t<decltype(add_values)>>;
summing sum_fn() {
  return summing{add_values};
}

/// Count of a window's records; merges for sessions.
struct count_agg {
  std::int64_t create_accumulator() const { return 0; }
  void add(std::int64_t& a, const kv&) const { ++a; }
  std::int64_t get_result(const std::int64_t& a) const { return a; }
  std::int64_t merge(const std::int64_t& a, const std::int64_t& b) const { return a + b; }
};

template <class Op>
void tick(Op& op) {
  op.on_tick(std::chrono::steady_clock::now());
}

template <class Op>
void feed(Op& op, std::vector<kv> records, ts_vec ts) {
  REQUIRE(records.size() == ts.size());
  op.process(records, ts);
}
/// Feeds records without timestamps (processing time, global windows).
template <class Op>
void feed(Op& op, std::vector<kv> records) {
  op.process(records);
}

std::vector<fired> sorted_fired(std::vector<fired> v) {
  std::sort(v.begin(), v.end());
  return v;
}

/// A trigger that does what each record's value says (value % 10): 1 FIRE, 2 PURGE,
/// 3 FIRE_AND_PURGE, anything else CONTINUE. Timers are not used.
struct scripted_trigger {
  template <class W, class C>
  trigger_result on_element(const kv& r, std::int64_t, const W&, C&) const {
    switch (r.second % 10) {
      case 1:
        return trigger_result::FIRE;
      case 2:
        return trigger_result::PURGE;
      case 3:
        return trigger_result::FIRE_AND_PURGE;
      default:
        return trigger_result::CONTINUE;
    }
  }
  template <class W, class C>
  trigger_result on_event_time(std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_processing_time(std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  void on_merge(const W&, C&) const {}
  template <class W, class C>
  void clear(const W&, C&) const {}
};

/// A trigger whose records schedule timers: value v > 0 registers a timer at v, v < 0 deletes
/// the timer at -v (in the event-time domain, or processing time with `processing`). Every call
/// of on_event_time / on_processing_time is recorded in `calls` as (time, domain) and answered
/// with `on_timer` (FIRE by default).
struct timer_trigger {
  struct call {
    std::int64_t time;
    bool event_time;
    friend bool operator==(const call&, const call&) = default;
  };
  bool processing = false;
  trigger_result on_timer = trigger_result::FIRE;
  std::shared_ptr<std::vector<call>> calls = std::make_shared<std::vector<call>>();

  template <class W, class C>
  trigger_result on_element(const kv& r, std::int64_t, const W&, C& ctx) const {
    const std::int64_t v = r.second;
    if (processing) {
      if (v > 0) ctx.register_processing_time_timer(v);
      if (v < 0) ctx.delete_processing_time_timer(-v);
    } else {
      if (v > 0) ctx.register_event_time_timer(v);
      if (v < 0) ctx.delete_event_time_timer(-v);
    }
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_event_time(std::int64_t t, const W&, C&) const {
    calls->push_back({t, true});
    return on_timer;
  }
  template <class W, class C>
  trigger_result on_processing_time(std::int64_t t, const W&, C&) const {
    calls->push_back({t, false});
    return on_timer;
  }
  template <class W, class C>
  void on_merge(const W&, C&) const {}
  template <class W, class C>
  void clear(const W&, C&) const {}
};

std::ostream& operator<<(std::ostream& os, const timer_trigger::call& c) {
  return os << (c.event_time ? "event@" : "processing@") << c.time;
}
using calls_vec = std::vector<timer_trigger::call>;

/// Throws from the member chosen by `where` ("element", "event", "processing", "merge", "clear")
/// with message "trigger failed in <where>"; otherwise behaves like EventTimeTrigger.
struct throwing_trigger {
  std::string where;
  void maybe_throw(const char* w) const {
    if (where == w) throw std::runtime_error(std::string("trigger failed in ") + w);
  }
  template <class W, class C>
  trigger_result on_element(const kv& r, std::int64_t ts, const W& w, C& ctx) const {
    maybe_throw("element");
    if (where == "processing") ctx.register_processing_time_timer(w.max_timestamp());
    return eddy::EventTimeTrigger{}.on_element(r, ts, w, ctx);
  }
  template <class W, class C>
  trigger_result on_event_time(std::int64_t t, const W& w, C& ctx) const {
    maybe_throw("event");
    return eddy::EventTimeTrigger{}.on_event_time(t, w, ctx);
  }
  template <class W, class C>
  trigger_result on_processing_time(std::int64_t, const W&, C&) const {
    maybe_throw("processing");
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  void on_merge(const W& w, C& ctx) const {
    maybe_throw("merge");
    eddy::EventTimeTrigger{}.on_merge(w, ctx);
  }
  template <class W, class C>
  void clear(const W& w, C& ctx) const {
    maybe_throw("clear");
    eddy::EventTimeTrigger{}.clear(w, ctx);
  }
};

/// Fires and purges 10 ms (processing time) after a window's first record.
struct after_10ms {
  using state = std::int64_t;  // first record's processing time + 1 (0: none)
  template <class W, class C>
  trigger_result on_element(const kv&, std::int64_t, const W&, C& ctx) const {
    if (ctx.state() == 0) {
      ctx.state() = ctx.current_processing_time() + 1;
      ctx.register_processing_time_timer(ctx.current_processing_time() + 10);
    }
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_event_time(std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_processing_time(std::int64_t, const W&, C& ctx) const {
    ctx.state() = 0;
    return trigger_result::FIRE_AND_PURGE;
  }
  template <class W, class C>
  void on_merge(const W&, C&) const {}
  template <class W, class C>
  void clear(const W&, C&) const {}
};

/// A periodic trigger (like Flink's ContinuousProcessingTimeTrigger): registers its next timer
/// whenever one fires. Throws after 1000 firings, so a test of it fails rather than hangs.
struct periodic {
  std::shared_ptr<int> firings = std::make_shared<int>(0);
  template <class W, class C>
  trigger_result on_element(const kv&, std::int64_t, const W&, C& ctx) const {
    ctx.register_processing_time_timer(ctx.current_processing_time() + 10);
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_event_time(std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_processing_time(std::int64_t t, const W&, C& ctx) const {
    if (++*firings > 1000) throw std::runtime_error("finish() keeps firing new timers");
    ctx.register_processing_time_timer(t + 10);
    return trigger_result::FIRE;
  }
  template <class W, class C>
  void on_merge(const W&, C&) const {}
  template <class W, class C>
  void clear(const W&, C&) const {}
};

struct bad_evictor {
  template <class T, class W>
  void evict_before(std::vector<eddy::timestamped_value<T>>&, const W&,
                    const eddy::evictor_context&) const {
    throw std::runtime_error("evictor failed");
  }
  template <class T, class W>
  void evict_after(std::vector<eddy::timestamped_value<T>>&, const W&,
                   const eddy::evictor_context&) const {}
};

const auto tumbling10 = eddy::TumblingEventTimeWindows::of(milliseconds(10));
const auto sessions10 = eddy::EventTimeSessionWindows::with_gap(milliseconds(10));

}  // namespace

// ---- timers --------------------------------------------------------------------------------

TEST_CASE("event-time windows fire exactly once when the watermark reaches max_timestamp",
          "[window][triggered]") {
  recording_sink<fired> sink;
  auto op = make_op(tumbling10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(),
                    no_lateness, &sink);
  feed(*op, {{"a", 1}, {"a", 2}, {"b", 5}, {"a", 4}}, {0, 9, 3, 12});
  CHECK(op->pane_count() == 3);
  CHECK(op->timer_count() == 3);  // trigger and cleanup timers coincide: one per window
  op->on_watermark(7);
  op->on_watermark(8);
  CHECK(sink.records().empty());
  sink.clear();
  op->on_watermark(9);
  CHECK(sink.shape() == "rw");  // results before the watermark
  CHECK(sorted_fired(sink.records()) ==
        std::vector<fired>{{"a", 0, 10, {1, 2}}, {"b", 0, 10, {5}}});
  CHECK(sink.timestamps() == ts_vec{9, 9});  // each result carries max_timestamp()
  CHECK(op->pane_count() == 1);
  CHECK(op->timer_count() == 1);
  sink.clear();
  op->on_watermark(9);
  op->on_watermark(18);
  CHECK(sink.records().empty());
  op->on_watermark(19);
  CHECK(sink.records() == std::vector<fired>{{"a", 10, 20, {4}}});
  CHECK(sink.timestamps() == ts_vec{19});
  CHECK(op->pane_count() == 0);
  CHECK(op->timer_count() == 0);
  sink.clear();
  op->on_watermark(eddy::max_watermark);
  CHECK(sink.records().empty());
  op->finish();
  CHECK(sink.finished == 1);
  CHECK(op->counters().records_in == 4);
  CHECK(op->counters().records_out == 3);
}

TEST_CASE("trigger timers fire once per key, window and time, in time order, and can be deleted",
          "[window][triggered]") {
  recording_sink<fired> sink;
  timer_trigger trigger;
  auto calls = trigger.calls;
  auto op = make_op(eddy::GlobalWindows::create(), trigger, eddy::no_evictor{}, listing(),
                    no_lateness, &sink);
  // a registers 30, 10 (twice) and 20; b registers 10; then a deletes 20.
  feed(*op, {{"a", 30}, {"a", 10}, {"b", 10}, {"a", 10}, {"a", 20}});
  CHECK(op->timer_count() == 4);  // (10,a) (10,b) (20,a) (30,a); global windows: no cleanup
  feed(*op, {{"a", -20}});
  CHECK(op->timer_count() == 3);
  op->on_watermark(9);
  CHECK(calls->empty());
  CHECK(sink.records().empty());
  op->on_watermark(10);
  CHECK(*calls == calls_vec{{10, true}, {10, true}});
  CHECK(sorted_fired(sink.records()) ==
        std::vector<fired>{{"a", -1, -1, {-20, 10, 10, 20, 30}}, {"b", -1, -1, {10}}});
  // Global windows' results carry the largest timestamp.
  CHECK(sink.timestamps() ==
        ts_vec{std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max()});
  sink.clear();
  op->on_watermark(10);
  op->on_watermark(25);  // 20 was deleted
  CHECK(calls->size() == 2);
  CHECK(sink.records().empty());
  op->on_watermark(40);
  CHECK(*calls == calls_vec{{10, true}, {10, true}, {30, true}});
  CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {-20, 10, 10, 20, 30}}});  // FIRE keeps
  CHECK(op->timer_count() == 0);
  CHECK(op->pane_count() == 2);  // global windows are never cleaned up
  op->on_watermark(eddy::max_watermark);
  op->finish();
  CHECK(calls->size() == 3);
}

TEST_CASE("a timer registered at a time the watermark already passed fires at the next watermark",
          "[window][triggered]") {
  recording_sink<fired> sink;
  timer_trigger trigger;
  auto calls = trigger.calls;
  auto op = make_op(eddy::GlobalWindows::create(), trigger, eddy::no_evictor{}, listing(),
                    no_lateness, &sink);
  op->on_watermark(100);
  feed(*op, {{"a", 50}});
  CHECK(calls->empty());
  op->on_watermark(101);
  CHECK(*calls == calls_vec{{50, true}});
  CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {50}}});
}

// ---- FIRE / PURGE / FIRE_AND_PURGE -----------------------------------------------------------

TEST_CASE("FIRE emits and keeps, PURGE drops, FIRE_AND_PURGE emits and drops",
          "[window][triggered]") {
  SECTION("with a window function over the whole window") {
    recording_sink<fired> sink;
    auto op = make_op(eddy::GlobalWindows::create(), scripted_trigger{}, eddy::no_evictor{},
                      listing_in_order(), no_lateness, &sink);
    feed(*op, {{"a", 10}, {"a", 21}});  // CONTINUE, FIRE
    CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {10, 21}}});
    feed(*op, {{"a", 30}, {"a", 41}});  // FIRE keeps the contents
    CHECK(sink.records() ==
          std::vector<fired>{{"a", -1, -1, {10, 21}}, {"a", -1, -1, {10, 21, 30, 41}}});
    sink.clear();
    feed(*op, {{"a", 52}});  // PURGE: emits nothing, drops everything including itself
    CHECK(sink.events.empty());
    feed(*op, {{"a", 60}, {"a", 73}});  // FIRE_AND_PURGE
    CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {60, 73}}});
    sink.clear();
    feed(*op, {{"a", 81}});  // FIRE with only this record
    CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {81}}});
    sink.clear();
    feed(*op, {{"a", 92}, {"b", 12}});  // PURGE both keys' windows
    CHECK(op->pane_count() == 2);       // purged windows stay (with their trigger state)
    op->on_watermark(eddy::max_watermark);
    op->finish();
    CHECK(sink.records().empty());
    CHECK(op->counters().records_out == 4);
  }
  SECTION("with an incremental reduce") {
    recording_sink<kv> sink;
    auto op = make_op(eddy::GlobalWindows::create(), scripted_trigger{}, eddy::no_evictor{},
                      sum_fn(), no_lateness, &sink);
    feed(*op, {{"a", 10}, {"a", 21}, {"a", 30}, {"a", 41}, {"a", 52}, {"a", 60}, {"a", 73}});
    CHECK(sink.records() == std::vector<kv>{{"a", 31}, {"a", 102}, {"a", 133}});
  }
}

TEST_CASE("a FIRE of an empty (purged) window emits nothing", "[window][triggered]") {
  // Flink: "FIRE with nothing in the window emits nothing" — the timer of a purged window fires
  // without output, for incremental and buffering window functions.
  recording_sink<kv> sink;
  timer_trigger trigger;  // FIRE on every timer
  auto op = make_op(eddy::GlobalWindows::create(), eddy::PurgingTrigger<timer_trigger>::of(trigger),
                    eddy::no_evictor{}, sum_fn(), no_lateness, &sink);
  feed(*op, {{"a", 10}, {"a", 20}});
  op->on_watermark(10);  // fires and purges: 30
  CHECK(sink.records() == std::vector<kv>{{"a", 30}});
  sink.clear();
  op->on_watermark(20);  // fires an empty window
  CHECK(trigger.calls->size() == 2);
  CHECK(sink.records().empty());
  CHECK(sink.shape() == "w");
}

// ---- count triggers --------------------------------------------------------------------------

TEST_CASE("CountTrigger fires every n records per key and window, PurgingTrigger restarts",
          "[window][triggered]") {
  SECTION("CountTrigger keeps the window: each firing has everything so far") {
    recording_sink<fired> sink;
    auto op = make_op(tumbling10, eddy::CountTrigger::of(2), eddy::no_evictor{}, listing_in_order(),
                      no_lateness, &sink);
    feed(*op, {{"a", 1}, {"b", 2}, {"a", 3}, {"a", 4}, {"a", 5}, {"a", 6}}, {0, 1, 2, 12, 3, 13});
    CHECK(sink.records() == std::vector<fired>{{"a", 0, 10, {1, 3}}, {"a", 10, 20, {4, 6}}});
    sink.clear();
    feed(*op, {{"a", 7}}, {9});
    CHECK(sink.records() == std::vector<fired>{{"a", 0, 10, {1, 3, 5, 7}}});
    CHECK(sink.timestamps() == ts_vec{9});
    sink.clear();
    // The event-time end of the window does not fire a CountTrigger; the window's state is
    // dropped at its cleanup time (records left over are never emitted, as in Flink).
    op->on_watermark(eddy::max_watermark);
    CHECK(sink.records().empty());
    CHECK(op->pane_count() == 0);
    CHECK(op->timer_count() == 0);
  }
  SECTION("PurgingTrigger(CountTrigger) emits disjoint groups of n") {
    recording_sink<fired> sink;
    auto op =
        make_op(tumbling10, eddy::PurgingTrigger<eddy::CountTrigger>::of(eddy::CountTrigger::of(2)),
                eddy::no_evictor{}, listing_in_order(), no_lateness, &sink);
    feed(*op, {{"a", 1}, {"a", 2}, {"a", 3}, {"a", 4}, {"a", 5}}, {0, 1, 2, 3, 4});
    CHECK(sink.records() == std::vector<fired>{{"a", 0, 10, {1, 2}}, {"a", 0, 10, {3, 4}}});
    op->on_watermark(9);
    CHECK(op->pane_count() == 0);
  }
  SECTION("count windows: GlobalWindows with PurgingTrigger(CountTrigger) never emit a rest") {
    recording_sink<fired> sink;
    auto op = make_op(eddy::GlobalWindows::create(),
                      eddy::PurgingTrigger<eddy::CountTrigger>::of(eddy::CountTrigger::of(3)),
                      eddy::no_evictor{}, listing_in_order(), no_lateness, &sink);
    feed(*op, {{"a", 1}, {"a", 2}, {"b", 1}, {"a", 3}, {"a", 4}, {"b", 2}, {"b", 3}, {"a", 5}});
    CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {1, 2, 3}}, {"b", -1, -1, {1, 2, 3}}});
    sink.clear();
    op->on_watermark(eddy::max_watermark);
    op->finish();
    CHECK(sink.records().empty());
    CHECK(sink.finished == 1);
  }
}

// ---- sessions --------------------------------------------------------------------------------

TEST_CASE("a session is first to last + gap, and fires once at its end - 1", "[window][session]") {
  recording_sink<fired> sink;
  auto op = make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(),
                    no_lateness, &sink);
  feed(*op, {{"a", 1}, {"a", 2}, {"b", 3}}, {0, 5, 3});
  CHECK(op->pane_count() == 2);
  CHECK(op->timer_count() == 2);  // the merged window's timer only
  op->on_watermark(12);
  CHECK(sink.records() == std::vector<fired>{{"b", 3, 13, {3}}});
  CHECK(sink.timestamps() == ts_vec{12});
  sink.clear();
  op->on_watermark(13);
  CHECK(sink.records().empty());
  op->on_watermark(14);
  CHECK(sink.records() == std::vector<fired>{{"a", 0, 15, {1, 2}}});
  CHECK(sink.timestamps() == ts_vec{14});
  CHECK(op->pane_count() == 0);
  CHECK(op->timer_count() == 0);
  sink.clear();
  op->on_watermark(1000);
  CHECK(sink.records().empty());
}

TEST_CASE("adjacent session windows merge, windows a millisecond apart do not",
          "[window][session]") {
  recording_sink<fired> sink;
  auto op = make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(),
                    no_lateness, &sink);
  // a: [0,10) and [10,20) touch (Flink's TimeWindow.intersects): one session [0,20).
  // b: [0,10) and [11,21) do not.
  feed(*op, {{"a", 1}, {"a", 2}, {"b", 1}, {"b", 2}}, {0, 10, 0, 11});
  // Also in the other order: [10,20) first, then [0,10).
  feed(*op, {{"c", 2}, {"c", 1}}, {10, 0});
  op->on_watermark(eddy::max_watermark);
  CHECK(sorted_fired(sink.records()) ==
        std::vector<fired>{
            {"a", 0, 20, {1, 2}}, {"b", 0, 10, {1}}, {"b", 11, 21, {2}}, {"c", 0, 20, {1, 2}}});
}

TEST_CASE("a bridging record merges two existing sessions with their contents",
          "[window][session]") {
  recording_sink<fired> sink;
  auto op = make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(),
                    no_lateness, &sink);
  feed(*op, {{"a", 1}, {"a", 2}, {"a", 3}}, {0, 4, 30});  // [0,14) and [30,40)
  CHECK(op->pane_count() == 2);
  CHECK(op->timer_count() == 2);
  feed(*op, {{"a", 4}}, {20});  // [20,30) touches [30,40) only: [20,40)
  CHECK(op->pane_count() == 2);
  CHECK(op->timer_count() == 2);
  feed(*op, {{"a", 5}}, {12});  // [12,22) overlaps [0,14) and [20,40): [0,40)
  CHECK(op->pane_count() == 1);
  CHECK(op->timer_count() == 1);  // the merged windows' timers are gone
  op->on_watermark(13);           // the old windows' ends: nothing fires
  op->on_watermark(38);
  CHECK(sink.records().empty());
  op->on_watermark(39);
  CHECK(sink.records() == std::vector<fired>{{"a", 0, 40, {1, 2, 3, 4, 5}}});
  CHECK(sink.timestamps() == ts_vec{39});
  CHECK(op->pane_count() == 0);
  CHECK(op->timer_count() == 0);
}

TEST_CASE("session merging with aggregate, reduce and a record inside an existing session",
          "[window][session]") {
  recording_sink<std::int64_t> counts;
  recording_sink<kv> sums;
  auto agg = make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{},
                     eddy::aggregate_window_fn<kv, count_agg>{count_agg{}}, no_lateness, &counts);
  auto red = make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, sum_fn(),
                     no_lateness, &sums);
  const std::vector<kv> in{{"a", 1},    {"a", 10},    {"a", 100},
                           {"a", 1000}, {"a", 10000}, {"a", 100000}};
  // [0,10); 5 -> [0,15); 3 inside it; [30,40); 15 -> [0,25) (adjacent); 22 -> [0,40)
  const ts_vec ts{0, 5, 3, 30, 15, 22};
  feed(*agg, in, ts);
  feed(*red, in, ts);
  CHECK(agg->pane_count() == 1);
  CHECK(red->pane_count() == 1);
  agg->on_watermark(eddy::max_watermark);
  red->on_watermark(eddy::max_watermark);
  CHECK(counts.records() == std::vector<std::int64_t>{6});
  CHECK(counts.timestamps() == ts_vec{39});
  CHECK(sums.records() == std::vector<kv>{{"a", 111111}});
}

TEST_CASE("dynamic session gaps come from each record", "[window][session]") {
  recording_sink<fired> sink;
  auto gap = [](const kv& r) { return milliseconds(r.second); };
  auto op =
      make_op(eddy::EventTimeSessionWindows::with_dynamic_gap(gap),
              eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(), no_lateness, &sink);
  // [0,5) [20,50) [6,16) -> separate; 16 with gap 4 -> [16,20) touches [6,16) and [20,50).
  feed(*op, {{"a", 5}, {"a", 30}, {"a", 10}}, {0, 20, 6});
  CHECK(op->pane_count() == 3);
  feed(*op, {{"a", 4}}, {16});
  CHECK(op->pane_count() == 2);
  op->on_watermark(eddy::max_watermark);
  CHECK(sink.records() == std::vector<fired>{{"a", 0, 5, {5}}, {"a", 6, 50, {4, 10, 30}}});
}

TEST_CASE("sessions merge their trigger state: a CountTrigger counts the merged records",
          "[window][session]") {
  recording_sink<fired> sink;
  auto op = make_op(sessions10, eddy::CountTrigger::of(3), eddy::no_evictor{}, listing(),
                    no_lateness, &sink);
  SECTION("1 + 1 merged, + the bridging record = 3") {
    feed(*op, {{"a", 1}, {"a", 2}}, {0, 20});  // [0,10) count 1, [20,30) count 1
    CHECK(sink.records().empty());
    feed(*op, {{"a", 3}}, {10});  // [10,20) bridges: count 2 + 1
    CHECK(sink.records() == std::vector<fired>{{"a", 0, 30, {1, 2, 3}}});
    sink.clear();
    feed(*op, {{"a", 4}, {"a", 5}}, {5, 6});  // count restarted at 0 after the firing
    CHECK(sink.records().empty());
    feed(*op, {{"a", 6}}, {7});
    CHECK(sink.records() == std::vector<fired>{{"a", 0, 30, {1, 2, 3, 4, 5, 6}}});
  }
  SECTION("2 + 2 merged fires on the bridging record") {
    feed(*op, {{"a", 1}, {"a", 2}, {"a", 3}, {"a", 4}}, {0, 2, 22, 24});  // 2 and 2
    CHECK(sink.records().empty());
    feed(*op, {{"a", 5}}, {12});  // [12,22) touches [0,12) and [22,34)
    CHECK(sink.records() == std::vector<fired>{{"a", 0, 34, {1, 2, 3, 4, 5}}});
    sink.clear();
    feed(*op, {{"a", 6}, {"a", 7}}, {1, 3});  // the count restarted after the firing
    CHECK(sink.records().empty());
  }
  SECTION("merged state of a purging count trigger") {
    recording_sink<fired> psink;
    auto pop =
        make_op(sessions10, eddy::PurgingTrigger<eddy::CountTrigger>::of(eddy::CountTrigger::of(2)),
                eddy::no_evictor{}, listing(), no_lateness, &psink);
    feed(*pop, {{"a", 1}, {"a", 2}}, {0, 20});
    feed(*pop, {{"a", 3}}, {10});  // 1 + 1 merged: fires at once (and purges)
    CHECK(psink.records() == std::vector<fired>{{"a", 0, 30, {1, 2, 3}}});
    psink.clear();
    feed(*pop, {{"a", 4}}, {40});  // [40,50), count 1; [0,30) is empty with count 0
    CHECK(psink.records().empty());
    feed(*pop, {{"a", 5}}, {30});  // [30,40) joins both: 0 + 1 merged, + 1
    CHECK(psink.records() == std::vector<fired>{{"a", 0, 50, {4, 5}}});
  }
}

TEST_CASE("sessions with allowed lateness: late merges fire at once, state is cleaned up",
          "[window][session]") {
  recording_sink<fired> sink;
  recording_sink<kv> late;
  auto op = make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(),
                    100, &sink, &late);
  feed(*op, {{"a", 1}, {"a", 2}}, {0, 20});  // [0,10) [20,30)
  op->on_watermark(40);                      // both fire, both kept until end - 1 + 100
  CHECK(sink.records() == std::vector<fired>{{"a", 0, 10, {1}}, {"a", 20, 30, {2}}});
  CHECK(op->pane_count() == 2);
  CHECK(op->timer_count() == 2);  // cleanup timers at 109 and 129
  sink.clear();

  SECTION("a late record bridging two fired sessions fires the merged session once, at once") {
    feed(*op, {{"a", 3}}, {10});
    CHECK(sink.records() == std::vector<fired>{{"a", 0, 30, {1, 2, 3}}});
    CHECK(sink.timestamps() == ts_vec{29});
    CHECK(op->pane_count() == 1);
    CHECK(op->timer_count() == 1);  // cleanup of [0,30) at 129
    sink.clear();
    op->on_watermark(128);
    CHECK(sink.records().empty());
    CHECK(op->pane_count() == 1);
    op->on_watermark(129);
    CHECK(sink.records().empty());  // cleanup fires nothing
    CHECK(op->pane_count() == 0);
    CHECK(op->timer_count() == 0);
    feed(*op, {{"a", 4}}, {20});  // [20,30): 29 + 100 <= 129, late now
    CHECK(op->counters().late_records == 1);
    CHECK(late.records() == std::vector<kv>{{"a", 4}});
    CHECK(late.timestamps() == ts_vec{20});
  }
  SECTION("a late record extending a fired session past the watermark waits for the new end") {
    feed(*op, {{"a", 3}}, {35});  // [35,45) touches [20,30)? no (35 > 30): new, on time
    feed(*op, {{"a", 4}}, {29});  // [29,39) joins [20,30) and [35,45): [20,45), end - 1 = 44 > 40
    CHECK(sink.records().empty());
    // [20,45) at 44 and its cleanup at 144, [0,10)'s cleanup at 109; the merged windows' trigger
    // and cleanup timers are deleted.
    CHECK(op->timer_count() == 3);
    op->on_watermark(44);
    CHECK(sink.records() == std::vector<fired>{{"a", 20, 45, {2, 3, 4}}});
    CHECK(op->timer_count() == 2);  // cleanups of [0,10) at 109 and [20,45) at 144
    sink.clear();
    op->on_watermark(eddy::max_watermark);
    CHECK(sink.records().empty());
    CHECK(op->pane_count() == 0);
    CHECK(op->timer_count() == 0);
  }
  SECTION("records for a session past its lateness go to the late output") {
    op->on_watermark(109);  // [0,10) cleaned
    CHECK(op->pane_count() == 1);
    feed(*op, {{"a", 5}, {"a", 6}, {"b", 7}}, {0, 21, -500});  // late, into [20,30), late
    CHECK(op->counters().late_records == 2);
    CHECK(late.records() == std::vector<kv>{{"a", 5}, {"b", 7}});
    CHECK(late.timestamps() == ts_vec{0, -500});
    CHECK(sink.records() == std::vector<fired>{{"a", 20, 31, {2, 6}}});  // a late firing
  }
}

TEST_CASE("a record whose own session window is late joins an open session it falls into",
          "[window][session]") {
  // As in Flink, windows merge before the lateness check: [10,15) is late by itself
  // (14 <= watermark 20) but lies inside the open session [0,30).
  recording_sink<fired> sink;
  recording_sink<kv> late;
  auto gap = [](const kv& r) { return milliseconds(r.second); };
  auto op = make_op(eddy::EventTimeSessionWindows::with_dynamic_gap(gap),
                    eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(), no_lateness,
                    &sink, &late);
  feed(*op, {{"a", 30}}, {0});
  op->on_watermark(20);
  feed(*op, {{"a", 5}, {"a", 4}}, {10, 2});  // [10,15) inside; [2,6) inside as well
  feed(*op, {{"b", 5}}, {10});               // b has no session: late
  CHECK(op->counters().late_records == 1);
  CHECK(late.records() == std::vector<kv>{{"b", 5}});
  op->on_watermark(29);
  CHECK(sink.records() == std::vector<fired>{{"a", 0, 30, {4, 5, 30}}});
}

TEST_CASE("a session window is late exactly when end - 1 + lateness <= watermark",
          "[window][session]") {
  recording_sink<fired> sink;
  recording_sink<kv> late;
  auto op = make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(), 5,
                    &sink, &late);
  op->on_watermark(13);
  feed(*op, {{"a", 1}}, {0});  // [0,10): 9 + 5 = 14 > 13: a late firing, not late
  CHECK(sink.records() == std::vector<fired>{{"a", 0, 10, {1}}});
  CHECK(op->counters().late_records == 0);
  op->on_watermark(14);  // cleaned up
  CHECK(op->pane_count() == 0);
  feed(*op, {{"b", 2}}, {0});  // 9 + 5 <= 14: late
  CHECK(op->counters().late_records == 1);
  CHECK(late.records() == std::vector<kv>{{"b", 2}});
}

TEST_CASE("timers of merged-away session windows do not fire", "[window][session]") {
  recording_sink<fired> sink;
  timer_trigger trigger;
  trigger.on_timer = trigger_result::FIRE;
  auto calls = trigger.calls;
  // A trigger that registers timers itself but does not delete them in clear(): the operator
  // must ignore the timers of windows that no longer exist (Flink does the same).
  auto op = make_op(eddy::EventTimeSessionWindows::with_gap(milliseconds(100)), trigger,
                    eddy::no_evictor{}, listing(), no_lateness, &sink);
  feed(*op, {{"a", 5}}, {0});     // [0,100), timer at 5
  feed(*op, {{"a", 50}}, {150});  // [150,250), timer at 50
  feed(*op, {{"a", 7}}, {90});    // [90,190) bridges: [0,250), timer at 7
  op->on_watermark(10);
  // The timer at 5 of [0,100) is obsolete; 7 belongs to the merged window.
  CHECK(*calls == calls_vec{{7, true}});
  CHECK(sink.records() == std::vector<fired>{{"a", 0, 250, {5, 7, 50}}});
}

// ---- cleanup after allowed lateness -----------------------------------------------------------

TEST_CASE("window state is dropped when the watermark reaches max_timestamp + allowed lateness",
          "[window][triggered]") {
  const std::int64_t lateness = GENERATE(std::int64_t{0}, std::int64_t{1}, std::int64_t{50});
  INFO("lateness " << lateness);
  recording_sink<fired> sink;
  recording_sink<kv> late;
  auto op = make_op(eddy::SlidingEventTimeWindows::of(milliseconds(20), milliseconds(10)),
                    eddy::CountTrigger::of(3), eddy::no_evictor{}, listing_in_order(), lateness,
                    &sink, &late);
  feed(*op, {{"a", 1}, {"a", 2}, {"b", 3}}, {5, 15, 12});
  // a: [-10,10) {1}, [0,20) {1,2}, [10,30) {2}; b: [0,20) {3}, [10,30) {3}
  CHECK(op->pane_count() == 5);
  CHECK(op->timer_count() == 5);
  op->on_watermark(9 + lateness - 1);
  CHECK(op->pane_count() == 5);
  op->on_watermark(9 + lateness);
  CHECK(op->pane_count() == 4);
  feed(*op, {{"a", 4}}, {8});  // [0,20) still kept: a {1,2,4} fires (count 3)
  CHECK(sink.records() == std::vector<fired>{{"a", 0, 20, {1, 2, 4}}});
  CHECK(op->counters().late_records == 0);
  op->on_watermark(19 + lateness);
  CHECK(op->pane_count() == 2);
  feed(*op, {{"a", 5}}, {9});  // all its windows are gone: late
  CHECK(op->counters().late_records == 1);
  CHECK(late.records() == std::vector<kv>{{"a", 5}});
  op->on_watermark(29 + lateness);
  CHECK(op->pane_count() == 0);
  CHECK(op->timer_count() == 0);
  CHECK(sink.records().size() == 1);  // the rest never reached 3
}

TEST_CASE("EventTimeTrigger with allowed lateness fires once on time and once per late record",
          "[window][triggered]") {
  recording_sink<kv> sink;
  // With an evictor the general operator is used for tumbling event-time windows too.
  auto op = make_op(tumbling10, eddy::EventTimeTrigger::create(), eddy::CountEvictor::of(100),
                    sum_fn(), 20, &sink);
  feed(*op, {{"a", 1}, {"a", 2}}, {1, 5});
  op->on_watermark(9);
  CHECK(sink.records() == std::vector<kv>{{"a", 3}});
  sink.clear();
  feed(*op, {{"a", 10}}, {3});
  feed(*op, {{"a", 100}}, {0});
  CHECK(sink.records() == std::vector<kv>{{"a", 13}, {"a", 113}});
  CHECK(sink.timestamps() == ts_vec{9, 9});
  sink.clear();
  op->on_watermark(28);
  CHECK(sink.records().empty());  // no second firing of the late firings
  feed(*op, {{"b", 7}}, {2});     // a key without state in a window still kept: fires once
  CHECK(sink.records() == std::vector<kv>{{"b", 7}});
  sink.clear();
  op->on_watermark(29);
  CHECK(op->pane_count() == 0);
  CHECK(op->timer_count() == 0);
  CHECK(sink.records().empty());
}

// ---- processing time -------------------------------------------------------------------------

TEST_CASE("processing-time windows fire on the tick after the clock reaches max_timestamp",
          "[window][processing]") {
  manual_clock clock;
  clock.set(1000);
  recording_sink<fired> sink;
  auto op = make_op(eddy::TumblingProcessingTimeWindows::of(milliseconds(100)),
                    eddy::ProcessingTimeTrigger::create(), eddy::no_evictor{}, listing(),
                    no_lateness, &sink, nullptr, clock.info());
  CHECK(op->wants_ticks());
  feed(*op, {{"a", 1}, {"b", 2}});
  clock.set(1050);
  feed(*op, {{"a", 3}});
  clock.set(1120);
  feed(*op, {{"a", 4}});
  CHECK(op->pane_count() == 3);
  CHECK(op->timer_count() == 2 + 1);
  clock.set(1098);  // (a clock may even go back: only its value counts)
  tick(*op);
  CHECK(sink.events.empty());
  clock.set(1099);
  tick(*op);
  CHECK(sorted_fired(sink.records()) ==
        std::vector<fired>{{"a", 1000, 1100, {1, 3}}, {"b", 1000, 1100, {2}}});
  CHECK(sink.timestamps() == ts_vec{1099, 1099});
  CHECK(op->pane_count() == 1);
  sink.clear();
  tick(*op);
  clock.set(1150);
  tick(*op);
  CHECK(sink.events.empty());
  // Watermarks do not fire processing-time windows.
  op->on_watermark(eddy::max_watermark);
  CHECK(sink.records().empty());
  op->finish();  // every pending processing-time timer fires
  CHECK(sink.records() == std::vector<fired>{{"a", 1100, 1200, {4}}});
  CHECK(sink.timestamps() == ts_vec{1199});
  CHECK(sink.finished == 1);
  CHECK(op->pane_count() == 0);
  CHECK(op->timer_count() == 0);
}

TEST_CASE("allowed lateness does not apply to processing-time windows", "[window][processing]") {
  // As in Flink, a processing-time window is cleaned up when it fires (at max_timestamp).
  manual_clock clock;
  clock.set(0);
  recording_sink<fired> sink;
  auto op = make_op(eddy::TumblingProcessingTimeWindows::of(milliseconds(10)),
                    eddy::ProcessingTimeTrigger::create(), eddy::no_evictor{}, listing(), 1000,
                    &sink, nullptr, clock.info());
  feed(*op, {{"a", 1}});
  CHECK(op->timer_count() == 1);
  clock.set(9);
  tick(*op);
  CHECK(sink.records() == std::vector<fired>{{"a", 0, 10, {1}}});
  CHECK(op->pane_count() == 0);
  CHECK(op->timer_count() == 0);
}

TEST_CASE("processing-time sliding windows and sessions follow the clock", "[window][processing]") {
  manual_clock clock;
  SECTION("sliding") {
    recording_sink<fired> sink;
    auto op = make_op(eddy::SlidingProcessingTimeWindows::of(milliseconds(30), milliseconds(10)),
                      eddy::ProcessingTimeTrigger::create(), eddy::no_evictor{}, listing(),
                      no_lateness, &sink, nullptr, clock.info());
    clock.set(5);
    feed(*op, {{"a", 1}});  // [-20,10) [-10,20) [0,30)
    clock.set(12);
    feed(*op, {{"a", 2}});  // [-10,20) [0,30) [10,40)
    tick(*op);              // [-20,10) fired at 12 >= 9
    CHECK(sink.records() == std::vector<fired>{{"a", -20, 10, {1}}});
    sink.clear();
    clock.set(29);
    tick(*op);
    CHECK(sink.records() == std::vector<fired>{{"a", -10, 20, {1, 2}}, {"a", 0, 30, {1, 2}}});
    sink.clear();
    op->finish();
    CHECK(sink.records() == std::vector<fired>{{"a", 10, 40, {2}}});
  }
  SECTION("sessions") {
    recording_sink<fired> sink;
    auto op = make_op(eddy::ProcessingTimeSessionWindows::with_gap(milliseconds(10)),
                      eddy::ProcessingTimeTrigger::create(), eddy::no_evictor{}, listing(),
                      no_lateness, &sink, nullptr, clock.info());
    clock.set(100);
    feed(*op, {{"a", 1}, {"b", 1}});  // [100,110)
    clock.set(105);
    feed(*op, {{"a", 2}});  // [105,115): merged [100,115)
    tick(*op);
    clock.set(110);
    tick(*op);  // b's [100,110) fires at 109 <= 110; a's end - 1 is 114
    CHECK(sink.records() == std::vector<fired>{{"b", 100, 110, {1}}});
    sink.clear();
    feed(*op, {{"a", 3}});  // [110,120) merged: [100,120)
    clock.set(118);
    tick(*op);
    CHECK(sink.events.empty());
    clock.set(119);
    tick(*op);
    CHECK(sink.records() == std::vector<fired>{{"a", 100, 120, {1, 2, 3}}});
    CHECK(sink.timestamps() == ts_vec{119});
    CHECK(op->pane_count() == 0);
    CHECK(op->timer_count() == 0);
    sink.clear();
    clock.set(200);
    feed(*op, {{"a", 4}});
    op->finish();
    CHECK(sink.records() == std::vector<fired>{{"a", 200, 210, {4}}});
  }
}

TEST_CASE("processing-time timers of a trigger fire once on ticks, and all pending at finish",
          "[window][processing]") {
  manual_clock clock;
  clock.set(0);
  recording_sink<fired> sink;
  timer_trigger trigger;
  trigger.processing = true;
  auto calls = trigger.calls;
  auto op = make_op(eddy::GlobalWindows::create(), trigger, eddy::no_evictor{}, listing(),
                    no_lateness, &sink, nullptr, clock.info());
  feed(*op, {{"a", 20}, {"a", 10}, {"b", 10}, {"a", 10}, {"a", 30}, {"a", 40}});
  feed(*op, {{"a", -30}});  // deletes a's timer at 30
  tick(*op);
  clock.set(9);
  tick(*op);
  CHECK(calls->empty());
  clock.set(25);
  tick(*op);
  CHECK(*calls == calls_vec{{10, false}, {10, false}, {20, false}});
  CHECK(sink.records().size() == 3);
  tick(*op);
  CHECK(calls->size() == 3);
  // Event time does not fire processing-time timers.
  op->on_watermark(eddy::max_watermark);
  CHECK(calls->size() == 3);
  op->finish();  // the pending one at 40, though the clock is at 25
  CHECK(*calls == calls_vec{{10, false}, {10, false}, {20, false}, {40, false}});
  CHECK(sink.finished == 1);
}

TEST_CASE("ProcessingTimeTrigger sees the clock: current_processing_time in a trigger",
          "[window][processing]") {
  manual_clock clock;
  clock.set(500);
  recording_sink<fired> sink;
  auto op = make_op(eddy::GlobalWindows::create(), after_10ms{}, eddy::no_evictor{},
                    listing_in_order(), no_lateness, &sink, nullptr, clock.info());
  feed(*op, {{"a", 1}});
  clock.set(505);
  feed(*op, {{"a", 2}});
  clock.set(510);
  tick(*op);
  CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {1, 2}}});
  sink.clear();
  feed(*op, {{"a", 3}});  // a new timer at 520
  clock.set(519);
  tick(*op);
  CHECK(sink.events.empty());
  clock.set(520);
  tick(*op);
  CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {3}}});
}

TEST_CASE("finish() terminates with a trigger that re-registers processing-time timers",
          "[window][processing]") {
  // finish() fires the pending timers; it must not keep firing the ones a periodic trigger
  // registers while it does (with global windows nothing else ends the window).
  manual_clock clock;
  clock.set(0);
  recording_sink<fired> sink;
  periodic trigger;
  auto op = make_op(eddy::GlobalWindows::create(), trigger, eddy::no_evictor{}, listing(),
                    no_lateness, &sink, nullptr, clock.info());
  feed(*op, {{"a", 1}});  // timer at 10
  clock.set(35);
  tick(*op);  // 10, 20, 30 fire; 40 pending
  CHECK(*trigger.firings == 3);
  op->finish();
  CHECK(*trigger.firings == 4);  // 40 fires, the one it registers (50) does not
  CHECK(sink.records().size() == 4);
  CHECK(sink.finished == 1);
}

// ---- evictors --------------------------------------------------------------------------------

TEST_CASE("CountEvictor keeps the last n records before or after the function",
          "[window][evictor]") {
  SECTION("before: each firing sees at most the last n") {
    recording_sink<fired> sink;
    auto op = make_op(eddy::GlobalWindows::create(), eddy::CountTrigger::of(2),
                      eddy::CountEvictor::of(3), listing_in_order(), no_lateness, &sink);
    feed(*op, {{"a", 1}, {"a", 2}, {"a", 3}, {"a", 4}, {"a", 5}, {"a", 6}});
    CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {1, 2}},
                                               {"a", -1, -1, {2, 3, 4}},
                                               {"a", -1, -1, {4, 5, 6}}});
  }
  SECTION("after: each firing sees everything kept, then only the last n stay") {
    recording_sink<fired> sink;
    auto op = make_op(eddy::GlobalWindows::create(), eddy::CountTrigger::of(2),
                      eddy::CountEvictor::of(1, true), listing_in_order(), no_lateness, &sink);
    feed(*op, {{"a", 1}, {"a", 2}, {"a", 3}, {"a", 4}, {"a", 5}, {"a", 6}});
    CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {1, 2}},
                                               {"a", -1, -1, {2, 3, 4}},
                                               {"a", -1, -1, {4, 5, 6}}});
  }
  SECTION("sliding count windows are CountEvictor(size) + CountTrigger(slide)") {
    recording_sink<kv> sink;
    auto op = make_op(eddy::GlobalWindows::create(), eddy::CountTrigger::of(2),
                      eddy::CountEvictor::of(3), sum_fn(), no_lateness, &sink);
    feed(*op, {{"a", 1}, {"b", 10}, {"a", 2}, {"a", 4}, {"b", 20}, {"a", 8}, {"a", 16}});
    CHECK(sink.records() == std::vector<kv>{{"a", 3}, {"b", 30}, {"a", 14}});
    CHECK(sink.timestamps() == ts_vec{std::numeric_limits<std::int64_t>::max(),
                                      std::numeric_limits<std::int64_t>::max(),
                                      std::numeric_limits<std::int64_t>::max()});
  }
}

TEST_CASE("TimeEvictor keeps records within its size of the newest timestamp",
          "[window][evictor]") {
  SECTION("before") {
    recording_sink<fired> sink;
    auto op = make_op(tumbling10, eddy::EventTimeTrigger::create(),
                      eddy::TimeEvictor::of(milliseconds(3)), listing(), 100, &sink);
    // Newest 8: keeps ts > 5.
    feed(*op, {{"a", 1}, {"a", 2}, {"a", 3}, {"a", 4}, {"a", 5}}, {8, 0, 5, 6, 7});
    op->on_watermark(9);
    CHECK(sink.records() == std::vector<fired>{{"a", 0, 10, {1, 4, 5}}});
    sink.clear();
    feed(*op, {{"a", 6}}, {9});  // a late firing: newest 9, keeps > 6 (2 and 3 are gone)
    CHECK(sink.records() == std::vector<fired>{{"a", 0, 10, {1, 5, 6}}});
  }
  SECTION("after") {
    recording_sink<fired> sink;
    auto op = make_op(tumbling10, eddy::EventTimeTrigger::create(),
                      eddy::TimeEvictor::of(milliseconds(3), true), listing(), 100, &sink);
    feed(*op, {{"a", 1}, {"a", 2}, {"a", 3}, {"a", 4}, {"a", 5}}, {8, 0, 5, 6, 7});
    op->on_watermark(9);
    CHECK(sink.records() == std::vector<fired>{{"a", 0, 10, {1, 2, 3, 4, 5}}});
    sink.clear();
    feed(*op, {{"a", 6}}, {1});  // kept: 8, 6, 7 (> 5) and the new one
    CHECK(sink.records() == std::vector<fired>{{"a", 0, 10, {1, 4, 5, 6}}});
  }
  SECTION("records without timestamps are kept") {
    recording_sink<fired> sink;
    auto op = make_op(eddy::GlobalWindows::create(), eddy::CountTrigger::of(3),
                      eddy::TimeEvictor::of(milliseconds(0)), listing(), no_lateness, &sink);
    feed(*op, {{"a", 1}, {"a", 2}, {"a", 3}});
    CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {1, 2, 3}}});
  }
}

TEST_CASE("DeltaEvictor keeps records whose delta to the last record is below the threshold",
          "[window][evictor]") {
  const auto delta = [](const kv& a, const kv& b) {
    return static_cast<double>(a.second > b.second ? a.second - b.second : b.second - a.second);
  };
  SECTION("before") {
    recording_sink<fired> sink;
    auto op = make_op(eddy::GlobalWindows::create(), eddy::CountTrigger::of(4),
                      eddy::DeltaEvictor<decltype(delta)>::of(4.0, delta), listing_in_order(),
                      no_lateness, &sink);
    feed(*op, {{"a", 1}, {"a", 20}, {"a", 8}, {"a", 10}});  // last 10: |1-10| 9, |20-10| 10, 2
    CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {8, 10}}});
    sink.clear();
    feed(*op, {{"a", 14}, {"a", 100}, {"a", 13}, {"a", 12}});  // last 12: 8 (4) and 100 out
    CHECK(sink.records() == std::vector<fired>{{"a", -1, -1, {10, 14, 13, 12}}});
  }
  SECTION("after") {
    recording_sink<fired> sink;
    auto op = make_op(eddy::GlobalWindows::create(), eddy::CountTrigger::of(2),
                      eddy::DeltaEvictor<decltype(delta)>::of(5.0, delta, true), listing_in_order(),
                      no_lateness, &sink);
    feed(*op, {{"a", 1}, {"a", 20}, {"a", 21}, {"a", 30}});
    // Fires {1,20}; keeps {20}; fires {20,21,30}; keeps {30}.
    CHECK(sink.records() ==
          std::vector<fired>{{"a", -1, -1, {1, 20}}, {"a", -1, -1, {20, 21, 30}}});
  }
}

TEST_CASE("an evictor that removes everything makes the firing emit nothing", "[window][evictor]") {
  recording_sink<kv> sink;
  auto op = make_op(tumbling10, eddy::EventTimeTrigger::create(),
                    eddy::TimeEvictor::of(milliseconds(0)), sum_fn(), no_lateness, &sink);
  feed(*op, {{"a", 1}}, {3});
  op->on_watermark(9);
  CHECK(sink.records().empty());
  CHECK(op->pane_count() == 0);
}

TEST_CASE("evictors on merged sessions see the records of every merged window",
          "[window][evictor][session]") {
  recording_sink<fired> sink;
  auto op = make_op(sessions10, eddy::EventTimeTrigger::create(),
                    eddy::TimeEvictor::of(milliseconds(15)), listing(), no_lateness, &sink);
  feed(*op, {{"a", 1}, {"a", 2}, {"a", 3}}, {0, 20, 10});  // [0,30), newest 20: keeps > 5
  op->on_watermark(eddy::max_watermark);
  CHECK(sink.records() == std::vector<fired>{{"a", 0, 30, {2, 3}}});
}

// ---- errors ----------------------------------------------------------------------------------

TEST_CASE("exceptions in a trigger become operator_errors naming the window operator",
          "[window][triggered]") {
  const std::string where = GENERATE(as<std::string>{}, "element", "event", "merge", "clear");
  INFO("trigger throws in " << where);
  recording_sink<fired> sink;
  auto op = make_op(sessions10, throwing_trigger{where}, eddy::no_evictor{}, listing(), no_lateness,
                    &sink, nullptr, info(1024, 2, 4));
  auto e = expect_operator_error([&] {
    feed(*op, {{"a", 1}}, {0});
    feed(*op, {{"a", 2}}, {5});  // merges: on_merge, clear
    op->on_watermark(100);       // on_event_time, clear
  });
  CHECK(e.operator_name == "test window");
  CHECK(e.subtask_index == 2);
  const std::string what = e.what();
  CHECK(what.find("operator 'test window' (subtask 3/4)") != std::string::npos);
  CHECK(what.find("trigger failed in " + where) != std::string::npos);
}

TEST_CASE("an exception in a processing-time trigger callback on a tick is an operator_error",
          "[window][processing]") {
  manual_clock clock;
  clock.set(0);
  recording_sink<fired> sink;
  auto op = make_op(eddy::TumblingProcessingTimeWindows::of(milliseconds(10)),
                    throwing_trigger{"processing"}, eddy::no_evictor{}, listing(), no_lateness,
                    &sink, nullptr, clock.info());
  feed(*op, {{"a", 1}});
  clock.set(100);
  auto e = expect_operator_error([&] { tick(*op); });
  CHECK(e.operator_name == "test window");
  CHECK(std::string(e.what()).find("trigger failed in processing") != std::string::npos);
}

TEST_CASE(
    "exceptions in an evictor, a key selector, a gap function or a window function are "
    "operator_errors naming the window operator",
    "[window][triggered]") {
  SECTION("evictor") {
    recording_sink<fired> sink;
    auto op = make_op(tumbling10, eddy::EventTimeTrigger::create(), bad_evictor{}, listing(),
                      no_lateness, &sink);
    feed(*op, {{"a", 1}}, {0});
    auto e = expect_operator_error([&] { op->on_watermark(9); });
    CHECK(e.operator_name == "test window");
    CHECK(std::string(e.what()).find("evictor failed") != std::string::npos);
  }
  SECTION("key selector") {
    recording_sink<fired> sink;
    auto bad_key = [](const kv& r) -> std::string {
      if (r.second < 0) throw std::runtime_error("key selector failed");
      return r.first;
    };
    auto op = make_op(tumbling10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(),
                      no_lateness, &sink, nullptr, info(), bad_key);
    auto e = expect_operator_error([&] { feed(*op, {{"a", 1}, {"a", -1}}, {0, 1}); });
    CHECK(e.operator_name == "test window");
    CHECK(std::string(e.what()).find("key selector failed") != std::string::npos);
  }
  SECTION("dynamic gap <= 0") {
    recording_sink<fired> sink;
    auto gap = [](const kv& r) { return milliseconds(r.second); };
    auto op = make_op(eddy::EventTimeSessionWindows::with_dynamic_gap(gap),
                      eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(), no_lateness,
                      &sink);
    auto e = expect_operator_error([&] { feed(*op, {{"a", 0}}, {0}); });
    CHECK(e.operator_name == "test window");
    CHECK(std::string(e.what()).find("gap must be positive") != std::string::npos);
  }
  SECTION("window function at a firing") {
    recording_sink<kv> sink;
    auto bad = [](const kv& a, const kv& b) -> kv {
      if (b.second < 0) throw std::runtime_error("reduce failed");
      return kv{a.first, a.second + b.second};
    };
    auto op =
        make_op(eddy::GlobalWindows::create(), eddy::CountTrigger::of(2), eddy::CountEvictor::of(5),
                eddy::reduce_window_fn<kv, decltype(bad)>{bad}, no_lateness, &sink);
    auto e = expect_operator_error([&] { feed(*op, {{"a", 1}, {"a", -1}}); });
    CHECK(e.operator_name == "test window");
    CHECK(std::string(e.what()).find("reduce failed") != std::string::npos);
  }
}

TEST_CASE("event-time windows need timestamps, processing-time and global windows do not",
          "[window][triggered]") {
  recording_sink<fired> sink;
  auto op = make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(),
                    no_lateness, &sink);
  auto e = expect_operator_error([&] { feed(*op, {{"a", 1}}); });
  CHECK(std::string(e.what()).find("assign_timestamps_and_watermarks") != std::string::npos);
}

// ---- output batching ---------------------------------------------------------------------------

TEST_CASE("results of many firings are passed on in batches of at most the batch size",
          "[window][triggered]") {
  recording_sink<fired> sink;
  auto op = make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(),
                    no_lateness, &sink, nullptr, info(3));
  std::vector<kv> in;
  ts_vec ts;
  for (int i = 0; i < 10; ++i) {
    in.push_back({"k" + std::to_string(i), i});
    ts.push_back(i * 100);
  }
  op->process(in, ts);
  op->on_watermark(eddy::max_watermark);
  CHECK(sink.records().size() == 10);
  for (const auto& ev : sink.events)
    if (!ev.is_watermark) CHECK(ev.records.size() <= 3);
  CHECK(sink.timestamps_parallel());
  CHECK(sink.shape().back() == 'w');
}

// ---- randomised: sessions against a replay
// -------------------------------------------------------

namespace {

/// A step of a randomised session test: a batch of records (with timestamps) or a watermark.
struct step {
  std::vector<kv> records;
  ts_vec ts;
  std::int64_t watermark = 0;  // when records is empty
};

/// Records of 3 keys around a slowly rising base, many far behind it (late or late merges),
/// interleaved with rising watermarks that may jump or lag.
std::vector<step> random_session_steps(std::uint64_t seed, std::size_t n) {
  eddy::testing::lcg rng(seed);
  std::vector<step> steps;
  std::int64_t base = 0, wm = std::numeric_limits<std::int64_t>::min();
  for (std::size_t i = 0; i < n; ++i) {
    base += rng.below(6);
    if (rng.below(5) == 0) {
      const std::int64_t w = base - rng.below(80);
      if (w > wm) {
        wm = w;
        steps.push_back({{}, {}, wm});
      }
      continue;
    }
    step s;
    for (std::int64_t k = 0, m = 1 + rng.below(4); k < m; ++k) {
      s.records.push_back({"k" + std::to_string(rng.below(3)), 1 + rng.below(100)});
      s.ts.push_back(base - rng.below(rng.below(4) == 0 ? 200 : 30));
    }
    steps.push_back(std::move(s));
  }
  return steps;
}

/// Replays a session window operator (gap, allowed lateness) as Flink defines it, with either
/// EventTimeTrigger (count_n == 0) or PurgingTrigger(CountTrigger(count_n)). Returns what each
/// step emits (sorted) and the late records.
struct session_replay {
  struct session {
    std::int64_t start, end;
    std::vector<std::int64_t> values;
    std::int64_t count = 0;  // CountTrigger state
    bool pending = false;    // EventTimeTrigger timer at end - 1 registered
  };
  std::int64_t gap, lateness, count_n;
  std::map<std::string, std::vector<session>> live;
  std::int64_t wm = std::numeric_limits<std::int64_t>::min();
  std::vector<fired> out;
  std::vector<kv> late;
  std::size_t merges = 0;  // merges of two or more existing sessions

  void fire(const std::string& key, session& s) {
    if (s.values.empty()) return;
    fired f{key, s.start, s.end, s.values};
    std::sort(f.values.begin(), f.values.end());
    out.push_back(f);
    if (count_n > 0) s.values.clear();  // purging
  }
  void watermark(std::int64_t w) {
    wm = w;
    for (auto& [key, list] : live) {
      if (count_n == 0)
        for (auto& s : list)
          if (s.pending && s.end - 1 <= wm) {
            fire(key, s);
            s.pending = false;
          }
      std::erase_if(list, [&](const session& s) { return s.end - 1 + lateness <= wm; });
    }
  }
  void record(const kv& r, std::int64_t ts) {
    auto& list = live[r.first];
    const session nw{ts, ts + gap, {}, 0, false};
    std::vector<session> hits, rest;
    for (auto& x : list) (x.start <= nw.end && x.end >= nw.start ? hits : rest).push_back(x);
    const bool none_min = wm == std::numeric_limits<std::int64_t>::min();
    session m = nw;
    bool grew = true;
    if (hits.empty()) {
      if (!none_min && nw.end - 1 + lateness <= wm) {
        late.push_back(r);
        return;
      }
    } else if (hits.size() == 1 && hits[0].start <= nw.start && hits[0].end >= nw.end) {
      m = hits[0];  // inside an existing session: no merge
      grew = false;
    } else {
      if (hits.size() > 1) ++merges;
      m.count = 0;
      for (const auto& h : hits) {
        m.start = std::min(m.start, h.start);
        m.end = std::max(m.end, h.end);
        m.values.insert(m.values.end(), h.values.begin(), h.values.end());
        m.count += h.count;
      }
      if (m.count >= count_n && count_n > 0) m.count = count_n - 1;  // CountTrigger::on_merge
    }
    m.values.push_back(r.second);
    if (count_n == 0) {
      if (grew) m.pending = false;
      if (m.end - 1 <= wm && !none_min) {
        fire(r.first, m);
      } else {
        m.pending = true;
      }
    } else if (++m.count >= count_n) {
      m.count = 0;
      fire(r.first, m);
    }
    rest.push_back(m);
    list = std::move(rest);
  }
};

}  // namespace

TEST_CASE(
    "randomised sessions with lateness, merges and event-time or purging count triggers "
    "emit what a replay emits, step by step",
    "[window][session][random]") {
  const std::uint64_t seed = GENERATE(range(std::uint64_t{1}, std::uint64_t{13}));
  const std::int64_t lateness = GENERATE(std::int64_t{0}, std::int64_t{40});
  const std::int64_t count_n = GENERATE(std::int64_t{0}, std::int64_t{3});
  INFO("seed " << seed << ", lateness " << lateness << ", count trigger " << count_n);
  constexpr std::int64_t gap = 10;
  const auto steps = random_session_steps(seed, 600);
  session_replay ref{gap, lateness, count_n};

  recording_sink<fired> sink;
  recording_sink<kv> late;
  auto run = [&](auto op) {
    std::size_t late_firings = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const auto& st = steps[i];
      INFO("step " << i);
      sink.clear();
      ref.out.clear();
      if (st.records.empty()) {
        op->on_watermark(st.watermark);
        ref.watermark(st.watermark);
      } else {
        auto records = st.records;
        auto ts = st.ts;
        op->process(records, ts);
        for (std::size_t k = 0; k < st.records.size(); ++k) ref.record(st.records[k], st.ts[k]);
        late_firings += ref.out.size();
      }
      REQUIRE(sorted_fired(sink.records()) == sorted_fired(ref.out));
    }
    sink.clear();
    ref.out.clear();
    op->on_watermark(eddy::max_watermark);
    ref.watermark(eddy::max_watermark);
    CHECK(sorted_fired(sink.records()) == sorted_fired(ref.out));
    CHECK(op->pane_count() == 0);
    CHECK(op->timer_count() == 0);
    CHECK(late.records() == ref.late);
    CHECK(op->counters().late_records == ref.late.size());
    CHECK(ref.late.size() > 10);
    CHECK(ref.merges > 3);
    if (count_n > 0 || lateness > 0) CHECK(late_firings > 10);
  };
  if (count_n == 0)
    run(make_op(eddy::EventTimeSessionWindows::with_gap(milliseconds(gap)),
                eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(), lateness, &sink,
                &late));
  else
    run(make_op(eddy::EventTimeSessionWindows::with_gap(milliseconds(gap)),
                eddy::PurgingTrigger<eddy::CountTrigger>::of(eddy::CountTrigger::of(count_n)),
                eddy::no_evictor{}, listing(), lateness, &sink, &late));
}

TEST_CASE(
    "with EventTimeTrigger the general operator fires exactly like window_op: randomised "
    "tumbling and sliding windows with lateness and late data",
    "[window][random]") {
  const std::uint64_t seed = GENERATE(range(std::uint64_t{21}, std::uint64_t{27}));
  const std::int64_t lateness = GENERATE(std::int64_t{0}, std::int64_t{25});
  const bool sliding = GENERATE(false, true);
  INFO("seed " << seed << ", lateness " << lateness << ", sliding " << sliding);
  const auto steps = random_session_steps(seed, 600);
  recording_sink<fired> fast_sink, general_sink;
  recording_sink<kv> fast_late, general_late;
  auto compare = [&](auto assigner) {
    using A = decltype(assigner);
    using fast_type = eddy::window_op<kv, std::string, std::decay_t<decltype(key_of)>, A, lister>;
    auto fast =
        std::make_unique<fast_type>(key_of, assigner, listing(), lateness, "late", &fast_sink);
    fast->set_name("fast window");
    fast->set_side_output("late", &fast_late);
    fast->open(info());
    auto general = make_op(assigner, eddy::EventTimeTrigger::create(), eddy::no_evictor{},
                           listing(), lateness, &general_sink, &general_late);
    auto same_output = [&] {
      REQUIRE(sorted_fired(general_sink.records()) == sorted_fired(fast_sink.records()));
      auto a = general_sink.timestamps(), b = fast_sink.timestamps();
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      REQUIRE(a == b);
      REQUIRE(general_late.records() == fast_late.records());
      fast_sink.clear();
      general_sink.clear();
    };
    std::size_t fired_total = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      INFO("step " << i);
      const auto& st = steps[i];
      if (st.records.empty()) {
        fast->on_watermark(st.watermark);
        general->on_watermark(st.watermark);
      } else {
        auto r1 = st.records, r2 = st.records;
        auto t1 = st.ts, t2 = st.ts;
        fast->process(r1, t1);
        general->process(r2, t2);
      }
      fired_total += general_sink.records().size();
      same_output();
    }
    fast->on_watermark(eddy::max_watermark);
    general->on_watermark(eddy::max_watermark);
    same_output();
    CHECK(general->counters().late_records == fast->counters().late_records);
    CHECK(general->counters().records_out == fast->counters().records_out);
    CHECK(general->counters().late_records > 10);
    CHECK(fired_total > 50);
    CHECK(general->pane_count() == 0);
    CHECK(general->timer_count() == 0);
  };
  if (sliding)
    compare(eddy::SlidingEventTimeWindows::of(milliseconds(20), milliseconds(5)));
  else
    compare(eddy::TumblingEventTimeWindows::of(milliseconds(10)));
}

// ---- checkpoints: snapshot, restore into a fresh operator, carry on -------------------------

namespace {

template <class Op>
std::vector<eddy::state_entry> snapshot_of(Op& op) {
  std::vector<eddy::state_entry> out;
  op.snapshot_state(1, out);
  return out;
}

/// Checks that two sequences are equal, reporting the first difference (not the whole of two
/// long sequences).
template <class T>
void check_same_sequence(const std::vector<T>& got, const std::vector<T>& want, const char* what) {
  INFO(what);
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i)
    if (!(got[i] == want[i])) {
      INFO("first difference at " << i << " of " << want.size());
      CHECK(got[i] == want[i]);
      return;
    }
  CHECK(got.size() == want.size());
}

/// Drives operators made by `make(out, late)` through steps 0..n-1 (`drive(op, i)`): once
/// without interruption, and once with a snapshot before each step in `cuts` restored into a
/// fresh operator that carries on. Both runs must emit the same records with the same
/// timestamps in the same order and the same late records, and end with as many panes and
/// timers. Returns the number of records the uninterrupted run emitted.
template <class Out, class Make, class Drive>
std::size_t expect_restores_unnoticed(Make make, Drive drive, std::size_t n,
                                      const std::set<std::size_t>& cuts) {
  recording_sink<Out> want_out, got_out;
  recording_sink<kv> want_late, got_late;
  auto want = make(&want_out, &want_late);
  for (std::size_t i = 0; i < n; ++i) drive(*want, i);
  auto got = make(&got_out, &got_late);
  for (std::size_t i = 0; i < n; ++i) {
    if (cuts.count(i)) {
      INFO("restored before step " << i);
      const auto snap = snapshot_of(*got);
      for (const auto& e : snap)
        CHECK((
            ((e.name == "window-panes" || e.name == "merging-window-set" || e.name == "__timers") &&
             e.key_group >= 0) ||
            ((e.name == "__union:watermark" || e.name == "__union:window-kind") &&
             e.key_group == -1)));
      got = make(&got_out, &got_late);
      got->restore_state(snap);
    }
    drive(*got, i);
  }
  check_same_sequence(got_out.records(), want_out.records(), "records");
  check_same_sequence(got_out.timestamps(), want_out.timestamps(), "timestamps");
  check_same_sequence(got_late.records(), want_late.records(), "late records");
  CHECK(got->pane_count() == want->pane_count());
  CHECK(got->timer_count() == want->timer_count());
  return want_out.records().size();
}

/// Cuts at every `every`-th step of n (and the first).
std::set<std::size_t> cuts_every(std::size_t every, std::size_t n) {
  std::set<std::size_t> c{1};
  for (std::size_t i = every; i < n; i += every) c.insert(i);
  return c;
}

/// Drives an event-time operator through random_session_steps, then the final watermark.
auto event_time_driver(const std::vector<step>& steps) {
  return [&steps](auto& op, std::size_t i) {
    if (i == steps.size()) {
      op.on_watermark(eddy::max_watermark);
      op.finish();
      return;
    }
    const auto& st = steps[i];
    if (st.records.empty()) {
      op.on_watermark(st.watermark);
    } else {
      auto records = st.records;
      auto ts = st.ts;
      op.process(records, ts);
    }
  };
}

/// Records without timestamps of 5 keys, 1 to 3 per step.
std::vector<std::vector<kv>> random_untimed_batches(std::uint64_t seed, std::size_t n) {
  eddy::testing::lcg rng(seed);
  std::vector<std::vector<kv>> out(n);
  for (auto& b : out)
    for (std::int64_t k = 0, m = 1 + rng.below(3); k < m; ++k)
      b.push_back({"k" + std::to_string(rng.below(5)), 1 + rng.below(100)});
  return out;
}

/// A count aggregate whose accumulator has no Serializer.
struct opaque_count {
  struct acc {
    std::int64_t n = 0;
  };
  acc create_accumulator() const { return {}; }
  void add(acc& a, const kv&) const { ++a.n; }
  std::int64_t get_result(const acc& a) const { return a.n; }
  acc merge(const acc& a, const acc& b) const { return {a.n + b.n}; }
};

/// CountTrigger with a trigger state that has no Serializer.
struct opaque_state_trigger {
  struct state {
    std::int64_t n = 0;
  };
  template <class W, class C>
  trigger_result on_element(const kv&, std::int64_t, const W&, C& ctx) const {
    return ++ctx.state().n % 2 == 0 ? trigger_result::FIRE : trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_event_time(std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_processing_time(std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  void clear(const W&, C&) const {}
};

}  // namespace

TEST_CASE(
    "session windows restored from snapshots at any step emit what an uninterrupted run "
    "emits: merges, lateness, late data and purging count triggers",
    "[window][session][checkpoint]") {
  const std::uint64_t seed = GENERATE(range(std::uint64_t{1}, std::uint64_t{7}));
  const std::int64_t lateness = GENERATE(std::int64_t{0}, std::int64_t{40});
  const std::int64_t count_n = GENERATE(std::int64_t{0}, std::int64_t{3});
  INFO("seed " << seed << ", lateness " << lateness << ", count trigger " << count_n);
  const auto steps = random_session_steps(seed, 400);
  const std::size_t n = steps.size() + 1;
  const auto cuts = cuts_every(13 + seed, n);
  const auto gaps = eddy::EventTimeSessionWindows::with_gap(milliseconds(10));
  auto run = [&](auto trigger) {
    // In-order listing: the restored merge order of the sessions shows in the output.
    return expect_restores_unnoticed<fired>(
        [&](recording_sink<fired>* out, recording_sink<kv>* late) {
          return make_op(gaps, trigger, eddy::no_evictor{}, listing_in_order(), lateness, out,
                         late);
        },
        event_time_driver(steps), n, cuts);
  };
  std::size_t emitted = 0;
  if (count_n == 0)
    emitted = run(eddy::EventTimeTrigger::create());
  else
    emitted = run(eddy::PurgingTrigger<eddy::CountTrigger>::of(eddy::CountTrigger::of(count_n)));
  CHECK(emitted > 20);
}

TEST_CASE("sessions with an aggregate and with an evictor carry on after restores",
          "[window][session][evictor][checkpoint]") {
  const std::uint64_t seed = GENERATE(range(std::uint64_t{31}, std::uint64_t{35}));
  INFO("seed " << seed);
  const auto steps = random_session_steps(seed, 300);
  const std::size_t n = steps.size() + 1;
  const auto gaps = eddy::EventTimeSessionWindows::with_gap(milliseconds(10));
  SECTION("aggregate with a count trigger (trigger state merged)") {
    CHECK(expect_restores_unnoticed<std::int64_t>(
              [&](recording_sink<std::int64_t>* out, recording_sink<kv>* late) {
                return make_op(gaps, eddy::CountTrigger::of(2), eddy::no_evictor{},
                               eddy::aggregate_window_fn<kv, count_agg>{count_agg{}}, 30, out,
                               late);
              },
              event_time_driver(steps), n, cuts_every(11, n)) > 20);
  }
  SECTION("time evictor") {
    CHECK(expect_restores_unnoticed<fired>(
              [&](recording_sink<fired>* out, recording_sink<kv>* late) {
                return make_op(gaps, eddy::EventTimeTrigger::create(),
                               eddy::TimeEvictor::of(milliseconds(6)), listing_in_order(), 30, out,
                               late);
              },
              event_time_driver(steps), n, cuts_every(9, n)) > 20);
  }
}

TEST_CASE(
    "tumbling and sliding windows with allowed lateness, a late side output and evictors "
    "carry on after restores",
    "[window][evictor][checkpoint]") {
  const std::uint64_t seed = GENERATE(range(std::uint64_t{41}, std::uint64_t{45}));
  INFO("seed " << seed);
  const auto steps = random_session_steps(seed, 300);
  const std::size_t n = steps.size() + 1;
  const auto cuts = cuts_every(7, n);
  SECTION("sliding, event-time trigger, lateness") {
    CHECK(expect_restores_unnoticed<fired>(
              [&](recording_sink<fired>* out, recording_sink<kv>* late) {
                return make_op(eddy::SlidingEventTimeWindows::of(milliseconds(20), milliseconds(5)),
                               eddy::EventTimeTrigger::create(), eddy::no_evictor{},
                               listing_in_order(), 25, out, late);
              },
              event_time_driver(steps), n, cuts) > 20);
  }
  SECTION("tumbling, count trigger, count evictor after the function") {
    CHECK(expect_restores_unnoticed<fired>(
              [&](recording_sink<fired>* out, recording_sink<kv>* late) {
                return make_op(tumbling10, eddy::CountTrigger::of(3),
                               eddy::CountEvictor::of(2, true), listing_in_order(), 15, out, late);
              },
              event_time_driver(steps), n, cuts) > 20);
  }
}

TEST_CASE("count windows (global windows) carry on after restores", "[window][checkpoint]") {
  const std::uint64_t seed = GENERATE(range(std::uint64_t{51}, std::uint64_t{54}));
  INFO("seed " << seed);
  const auto batches = random_untimed_batches(seed, 200);
  const std::size_t n = batches.size() + 1;
  auto drive = [&](auto& op, std::size_t i) {
    if (i == batches.size()) {
      op.on_watermark(eddy::max_watermark);
      op.finish();
      return;
    }
    auto b = batches[i];
    op.process(b);
  };
  SECTION("purging count trigger (count_window(n))") {
    CHECK(expect_restores_unnoticed<kv>(
              [&](recording_sink<kv>* out, recording_sink<kv>* late) {
                return make_op(
                    eddy::GlobalWindows::create(),
                    eddy::PurgingTrigger<eddy::CountTrigger>::of(eddy::CountTrigger::of(4)),
                    eddy::no_evictor{}, sum_fn(), no_lateness, out, late);
              },
              drive, n, cuts_every(5, n)) > 20);
  }
  SECTION("count trigger and count evictor (count_window(size, slide))") {
    CHECK(expect_restores_unnoticed<fired>(
              [&](recording_sink<fired>* out, recording_sink<kv>* late) {
                return make_op(eddy::GlobalWindows::create(), eddy::CountTrigger::of(2),
                               eddy::CountEvictor::of(5), listing_in_order(), no_lateness, out,
                               late);
              },
              drive, n, cuts_every(3, n)) > 20);
  }
}

TEST_CASE("processing-time windows and processing-time triggers carry on after restores",
          "[window][processing][checkpoint]") {
  const std::uint64_t seed = GENERATE(range(std::uint64_t{61}, std::uint64_t{64}));
  INFO("seed " << seed);
  const auto batches = random_untimed_batches(seed, 240);
  const std::size_t n = batches.size() + 1;
  manual_clock clock;  // set by each step, so both runs see the same times
  eddy::testing::lcg rng(seed);
  std::vector<std::int64_t> times;
  for (std::int64_t t = 1000; times.size() < batches.size(); t += rng.below(4)) times.push_back(t);
  auto drive = [&](auto& op, std::size_t i) {
    if (i == batches.size()) {
      op.finish();
      return;
    }
    clock.set(times[i]);
    if (i % 3 == 0) tick(op);
    auto b = batches[i];
    op.process(b);
  };
  const auto cuts = cuts_every(4, n);
  SECTION("tumbling") {
    CHECK(expect_restores_unnoticed<fired>(
              [&](recording_sink<fired>* out, recording_sink<kv>* late) {
                return make_op(eddy::TumblingProcessingTimeWindows::of(milliseconds(10)),
                               eddy::ProcessingTimeTrigger::create(), eddy::no_evictor{},
                               listing_in_order(), no_lateness, out, late, clock.info());
              },
              drive, n, cuts) > 20);
  }
  SECTION("sessions") {
    CHECK(expect_restores_unnoticed<fired>(
              [&](recording_sink<fired>* out, recording_sink<kv>* late) {
                return make_op(eddy::ProcessingTimeSessionWindows::with_gap(milliseconds(3)),
                               eddy::ProcessingTimeTrigger::create(), eddy::no_evictor{},
                               listing_in_order(), no_lateness, out, late, clock.info());
              },
              drive, n, cuts) > 20);
  }
  SECTION("global windows with a custom trigger keeping state and processing-time timers") {
    CHECK(expect_restores_unnoticed<fired>(
              [&](recording_sink<fired>* out, recording_sink<kv>* late) {
                return make_op(eddy::GlobalWindows::create(), after_10ms{}, eddy::no_evictor{},
                               listing_in_order(), no_lateness, out, late, clock.info());
              },
              drive, n, cuts) > 20);
  }
}

TEST_CASE("a restored window operator judges late records by the snapshotted watermark",
          "[window][checkpoint]") {
  recording_sink<fired> sink;
  recording_sink<kv> late;
  auto op = make_op(tumbling10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(), 5,
                    &sink, &late);
  feed(*op, {{"a", 1}}, {3});
  op->on_watermark(30);  // [0, 10) fired and cleaned up (at 14)
  CHECK(sink.records() == std::vector<fired>{{"a", 0, 10, {1}}});
  REQUIRE(op->pane_count() == 0);
  const auto snap = snapshot_of(*op);
  REQUIRE(snap.size() == 1);  // no windows, but the watermark
  CHECK(snap.front().name == "__union:watermark");
  CHECK(snap.front().key_group == -1);
  sink.clear();
  auto restored = make_op(tumbling10, eddy::EventTimeTrigger::create(), eddy::no_evictor{},
                          listing(), 5, &sink, &late);
  restored->restore_state(snap);
  feed(*restored, {{"a", 2}}, {4});
  CHECK(late.records() == std::vector<kv>{{"a", 2}});
  // A lower watermark (inputs start again after a restore) does not make windows on time again.
  restored->on_watermark(12);
  feed(*restored, {{"a", 3}}, {12});  // [10, 20) is cleaned up at 24 <= 30
  CHECK(late.records() == std::vector<kv>{{"a", 2}, {"a", 3}});
  feed(*restored, {{"a", 4}}, {40});
  restored->on_watermark(eddy::max_watermark);
  CHECK(sink.records() == std::vector<fired>{{"a", 40, 50, {4}}});
  CHECK(restored->pane_count() == 0);
  // An operator that never saw a watermark nor held a window writes nothing.
  auto fresh = make_op(tumbling10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(),
                       5, &sink, &late);
  CHECK(snapshot_of(*fresh).empty());
}

TEST_CASE(
    "window state restored at another parallelism goes to the subtasks owning its key groups "
    "and carries on",
    "[window][session][checkpoint]") {
  const auto scale = GENERATE(std::pair{1, 3}, std::pair{3, 2}, std::pair{2, 1}, std::pair{2, 4});
  const int from = scale.first;
  const int to = scale.second;
  const std::uint64_t seed = GENERATE(std::uint64_t{71}, std::uint64_t{72});
  INFO("parallelism " << from << " -> " << to << ", seed " << seed);
  constexpr int max_parallelism = 16;
  constexpr std::int64_t lateness = 20;
  // 15 keys, so that every subtask holds some.
  auto steps = random_session_steps(seed, 400);
  for (auto& st : steps)
    for (auto& r : st.records) r.first += "-" + std::to_string(r.second % 5);
  const std::size_t cut = steps.size() / 2;
  const auto gaps = eddy::EventTimeSessionWindows::with_gap(milliseconds(10));
  const auto trigger = eddy::PurgingTrigger<eddy::CountTrigger>::of(eddy::CountTrigger::of(2));
  auto subtask_info = [&](int index, int parallelism) {
    auto i = info(1024, index, parallelism);
    i.max_parallelism = max_parallelism;
    return i;
  };
  auto make = [&](recording_sink<fired>* out, recording_sink<kv>* late, int index,
                  int parallelism) {
    return make_op(gaps, trigger, eddy::no_evictor{}, listing_in_order(), lateness, out, late,
                   subtask_info(index, parallelism));
  };
  auto owner = [&](const std::string& key, int parallelism) {
    return eddy::subtask_of_key_group(eddy::key_group_of(eddy::key_hash(key), max_parallelism),
                                      max_parallelism, parallelism);
  };
  // Routes steps [begin, end) to the subtasks as key_by does; watermarks go to every one.
  auto run = [&](auto& ops, std::size_t begin, std::size_t end) {
    const int p = static_cast<int>(ops.size());
    for (std::size_t i = begin; i < end; ++i) {
      const auto& st = steps[i];
      if (st.records.empty()) {
        for (auto& op : ops) op->on_watermark(st.watermark);
        continue;
      }
      std::vector<std::vector<kv>> records(p);
      std::vector<ts_vec> ts(p);
      for (std::size_t k = 0; k < st.records.size(); ++k) {
        const int o = owner(st.records[k].first, p);
        records[o].push_back(st.records[k]);
        ts[o].push_back(st.ts[k]);
      }
      for (int o = 0; o < p; ++o)
        if (!records[o].empty()) ops[o]->process(records[o], ts[o]);
    }
  };

  // Uninterrupted, at parallelism 1.
  recording_sink<fired> want_out;
  recording_sink<kv> want_late;
  {
    std::vector<decltype(make(nullptr, nullptr, 0, 1))> one;
    one.push_back(make(&want_out, &want_late, 0, 1));
    run(one, 0, steps.size());
    one[0]->on_watermark(eddy::max_watermark);
  }

  recording_sink<fired> got_out;
  recording_sink<kv> got_late;
  std::vector<decltype(make(nullptr, nullptr, 0, 1))> before, after;
  for (int i = 0; i < from; ++i) before.push_back(make(&got_out, &got_late, i, from));
  run(before, 0, cut);
  std::vector<std::vector<eddy::state_entry>> snaps;
  for (auto& op : before) snaps.push_back(snapshot_of(*op));
  std::set<int> groups;
  for (const auto& snap : snaps)
    for (const auto& e : snap) groups.insert(e.key_group);
  CHECK(groups.size() > 3);
  CHECK(groups.count(-1) == 1);  // the watermark
  for (int i = 0; i < to; ++i) {
    // What restore_for hands subtask i at another parallelism: the entries of the key groups it
    // owns, and every "__union:" entry (the watermarks of all old subtasks).
    std::vector<eddy::state_entry> mine;
    for (const auto& snap : snaps)
      for (const auto& e : snap)
        if (e.key_group < 0 || eddy::subtask_of_key_group(e.key_group, max_parallelism, to) == i)
          mine.push_back(e);
    after.push_back(make(&got_out, &got_late, i, to));
    after.back()->restore_state(mine);
    // It holds only keys of its own key groups.
    for (const auto& e : snapshot_of(*after.back()))
      if (e.key_group >= 0)
        CHECK(eddy::subtask_of_key_group(e.key_group, max_parallelism, to) == i);
  }
  run(after, cut, steps.size());
  for (auto& op : after) op->on_watermark(eddy::max_watermark);
  for (auto& op : after) {
    CHECK(op->pane_count() == 0);
    CHECK(op->timer_count() == 0);
  }
  CHECK(want_out.records().size() > 50);
  check_same_sequence(sorted_fired(got_out.records()), sorted_fired(want_out.records()),
                      "records (sorted)");
  auto sorted_late = [](std::vector<kv> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  check_same_sequence(sorted_late(got_late.records()), sorted_late(want_late.records()),
                      "late records (sorted)");
}

TEST_CASE("restoring window state into a window operator of other types or kind fails naming it",
          "[window][checkpoint]") {
  recording_sink<fired> sink;
  recording_sink<std::int64_t> counts;
  auto op = make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(),
                    no_lateness, &sink);
  feed(*op, {{"a", 1}}, {3});
  const auto snap = snapshot_of(*op);
  REQUIRE(!snap.empty());
  SECTION("another accumulator") {
    auto other =
        make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{},
                eddy::aggregate_window_fn<kv, count_agg>{count_agg{}}, no_lateness, &counts);
    CHECK_THROWS_WITH(other->restore_state(snap), Catch::Contains("incompatible state 'windows'") &&
                                                      Catch::Contains("test window"));
  }
  SECTION("another window kind (tumbling instead of sessions)") {
    auto other = make_op(tumbling10, eddy::EventTimeTrigger::create(), eddy::no_evictor{},
                         listing(), no_lateness, &sink);
    CHECK_THROWS_WITH(other->restore_state(snap), Catch::Contains("incompatible state 'windows'") &&
                                                      Catch::Contains("merging"));
  }
  SECTION("another trigger state") {
    auto other = make_op(sessions10, eddy::CountTrigger::of(2), eddy::no_evictor{}, listing(),
                         no_lateness, &sink);
    CHECK_THROWS_WITH(other->restore_state(snap), Catch::Contains("incompatible state 'windows'"));
  }
  SECTION("a corrupted entry") {
    auto bad = snap;
    auto panes = std::find_if(bad.begin(), bad.end(),
                              [](const eddy::state_entry& e) { return e.name == "window-panes"; });
    REQUIRE(panes != bad.end());
    panes->data.resize(panes->data.size() / 2);
    auto same = make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{}, listing(),
                        no_lateness, &sink);
    CHECK_THROWS_WITH(same->restore_state(bad), Catch::Contains("does not decode"));
  }
}

TEST_CASE("window state without a Serializer fails the checkpoint naming the operator and type",
          "[window][checkpoint]") {
  SECTION("accumulator") {
    recording_sink<std::int64_t> out;
    auto op =
        make_op(sessions10, eddy::EventTimeTrigger::create(), eddy::no_evictor{},
                eddy::aggregate_window_fn<kv, opaque_count>{opaque_count{}}, no_lateness, &out);
    op->on_watermark(5);
    const auto nothing_held = snapshot_of(*op);  // no windows yet: nothing to fail
    REQUIRE(nothing_held.size() == 1);
    CHECK(nothing_held.front().name == "__union:watermark");
    feed(*op, {{"a", 1}}, {7});
    CHECK_THROWS_WITH(snapshot_of(*op), Catch::Contains("'test window'") &&
                                            Catch::Contains("cannot be checkpointed") &&
                                            Catch::Contains("accumulator type") &&
                                            Catch::Contains("opaque_count::acc"));
  }
  SECTION("trigger state") {
    recording_sink<fired> out;
    auto op = make_op(eddy::GlobalWindows::create(), opaque_state_trigger{}, eddy::no_evictor{},
                      listing(), no_lateness, &out);
    feed(*op, {{"a", 1}});
    CHECK_THROWS_WITH(snapshot_of(*op), Catch::Contains("'test window'") &&
                                            Catch::Contains("trigger state type") &&
                                            Catch::Contains("opaque_state_trigger::state"));
  }
}
