// Unit tests of eddy::triggered_window_op (the general window operator: any assigner, trigger and
// evictor), driven directly without a runtime, part: session windows: merging (bridging records,
// adjacent windows, trigger state, late merges), allowed lateness and cleanup. Flink's
// WindowOperator and EvictingWindowOperator are the reference for the semantics.
#include "triggered_window_support.hpp"

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
