// Unit tests of eddy::triggered_window_op (the general window operator: any assigner, trigger and
// evictor), driven directly without a runtime, part: random session sequences against a replay, and
// checkpoints: operators snapshotted mid-way and restored into fresh ones (also at another
// parallelism) emit what an uninterrupted run emits. Flink's WindowOperator and
// EvictingWindowOperator are the reference for the semantics.
#include "triggered_window_support.hpp"

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
