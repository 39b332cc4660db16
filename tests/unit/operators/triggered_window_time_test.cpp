// Unit tests of eddy::triggered_window_op (the general window operator: any assigner, trigger and
// evictor), driven directly without a runtime, part: processing-time windows and timers on ticks
// and at finish(), the evictors, user-code errors and the results' timestamps and batches. Flink's
// WindowOperator and EvictingWindowOperator are the reference for the semantics.
#include "triggered_window_support.hpp"

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
