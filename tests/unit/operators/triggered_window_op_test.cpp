// Unit tests of eddy::triggered_window_op (the general window operator: any assigner, trigger and
// evictor), driven directly without a runtime, part: event-time windows and their triggers: timers
// fire exactly once at the right watermark, FIRE vs PURGE vs FIRE_AND_PURGE, CountTrigger and
// PurgingTrigger. Flink's WindowOperator and EvictingWindowOperator are the reference for the
// semantics.
#include "triggered_window_support.hpp"

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
