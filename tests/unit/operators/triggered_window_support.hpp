#pragma once
// Shared fixtures of the triggered_window_op unit tests (triggered_window_*_test.cpp): subtask
// infos, a manual clock, window functions that list or sum what fired, scripted and throwing
// triggers, evictors, and helpers that feed an operator and collect what it emits.
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

inline eddy::subtask_info info(std::size_t batch_size = 1024, int index = 0, int parallelism = 1) {
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

inline std::ostream& operator<<(std::ostream& os, const fired& f) {
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
inline lister listing() {
  return lister{list_values{false}};
}
inline lister listing_in_order() {
  return lister{list_values{true}};
}

inline const auto add_values = [](const kv& a, const kv& b) {
  return kv{a.first, a.second + b.second};
};
using summing = eddy::reduce_window_fn<kv, std::decay_t<decltype(add_values)>>;
inline summing sum_fn() {
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

inline std::vector<fired> sorted_fired(std::vector<fired> v) {
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

inline std::ostream& operator<<(std::ostream& os, const timer_trigger::call& c) {
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
