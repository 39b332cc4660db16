#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eddy/operators/keyed_process.hpp"
#include "support/recording_sink.hpp"
#include "support/test_support.hpp"

// A namespace of its own: test files are compiled in unity batches (tests/CMakeLists.txt).
namespace keyed_process_test {

namespace {

using eddy::testing::recording_sink;
using event = std::pair<std::string, std::int64_t>;  // (key, value)
using ctx_t = eddy::keyed_context<std::string, event, std::string>;

eddy::subtask_info info() {
  eddy::subtask_info i;
  i.batch_size = 1024;
  return i;
}

/// Sums values per key in state; registers a timer at (timestamp + 10) for every record (so the
/// same key and time is registered several times) and emits "key:sum@time" when it fires.
struct summing_timer {
  void process_element(const event& e, ctx_t& ctx, eddy::collector<std::string>&) {
    auto sum = ctx.value_state<std::int64_t>("sum");
    sum.update(sum.value().value_or(0) + e.second);
    ctx.register_event_time_timer(ctx.timestamp() / 100 * 100 + 10);
    if (e.second < 0) ctx.delete_event_time_timer(ctx.timestamp() / 100 * 100 + 10);
  }
  void on_timer(std::int64_t t, ctx_t& ctx, eddy::collector<std::string>& out) {
    auto sum = ctx.value_state<std::int64_t>("sum");
    out.collect(ctx.current_key() + ":" + std::to_string(*sum.value()) + "@" + std::to_string(t));
    sum.clear();
  }
};

auto key_of = [](const event& e) { return e.first; };
using op_t =
    eddy::keyed_process_op<event, std::string, decltype(key_of), std::string, summing_timer>;

template <class Op>
void feed(Op& op, std::vector<event> records, std::vector<std::int64_t> ts) {
  op.process(records, ts);
}

}  // namespace

TEST_CASE("event-time timers fire exactly once per key and time when the watermark reaches them",
          "[process]") {
  recording_sink<std::string> sink;
  op_t op(key_of, summing_timer{}, &sink);
  op.set_name("summer");
  op.open(info());
  feed(op, {{"a", 1}, {"a", 2}, {"b", 5}}, {0, 3, 7});  // three registrations of (a,10) / (b,10)
  op.on_watermark(9);
  CHECK(sink.records().empty());  // 9 < 10: nothing yet
  op.on_watermark(10);
  CHECK(eddy::testing::sorted(sink.records()) == std::vector<std::string>{"a:3@10", "b:5@10"});
  // Output carries the timer's time, and the watermark follows the timer output.
  CHECK(sink.timestamps() == std::vector<std::int64_t>{10, 10});
  CHECK(sink.shape() == "wrw");
  sink.clear();
  op.on_watermark(50);  // fired timers do not fire again
  CHECK(sink.records().empty());
  feed(op, {{"a", 4}}, {120});
  op.on_watermark(eddy::max_watermark);
  CHECK(sink.records() == std::vector<std::string>{"a:4@110"});  // state was cleared by on_timer
}

TEST_CASE("a deleted event-time timer never fires", "[process]") {
  recording_sink<std::string> sink;
  op_t op(key_of, summing_timer{}, &sink);
  op.open(info());
  feed(op, {{"a", 1}, {"a", -1}}, {0, 1});  // the second record deletes (a,10)
  op.on_watermark(eddy::max_watermark);
  CHECK(sink.records().empty());
}

TEST_CASE("keyed value state is separate per key", "[process]") {
  recording_sink<std::string> sink;
  op_t op(key_of, summing_timer{}, &sink);
  op.open(info());
  feed(op, {{"a", 1}, {"b", 10}, {"a", 100}, {"c", 1000}}, {0, 0, 0, 0});
  op.on_watermark(eddy::max_watermark);
  CHECK(eddy::testing::sorted(sink.records()) ==
        std::vector<std::string>{"a:101@10", "b:10@10", "c:1000@10"});
}

TEST_CASE("an exception in a process function names the operator", "[process]") {
  struct thrower {
    void process_element(const event&, ctx_t&, eddy::collector<std::string>&) {
      throw std::runtime_error("bad event");
    }
  };
  recording_sink<std::string> sink;
  eddy::keyed_process_op<event, std::string, decltype(key_of), std::string, thrower> op(
      key_of, thrower{}, &sink);
  op.set_name("picky");
  op.open(info());
  std::vector<event> records{{"a", 1}};
  std::vector<std::int64_t> ts{0};
  try {
    op.process(records, ts);
    FAIL("no exception");
  } catch (const eddy::operator_error& e) {
    CHECK(std::string(e.what()).find("picky") != std::string::npos);
    CHECK(std::string(e.what()).find("bad event") != std::string::npos);
  }
}

TEST_CASE("list, map and reducing state hold per-key collections", "[process]") {
  struct collecting {
    void process_element(const event& e, ctx_t& ctx, eddy::collector<std::string>&) {
      ctx.list_state<std::int64_t>("seen").add(e.second);
      auto m = ctx.map_state<std::int64_t, int>("counts");
      const int* c = m.get(e.second);
      m.put(e.second, c ? *c + 1 : 1);
      ctx.reducing_state<std::int64_t>(
             "max", [](std::int64_t a, std::int64_t b) { return std::max(a, b); })
          .add(e.second);
      ctx.register_event_time_timer(100);
    }
    void on_timer(std::int64_t, ctx_t& ctx, eddy::collector<std::string>& out) {
      std::string s = ctx.current_key() + ":";
      for (auto v : ctx.list_state<std::int64_t>("seen").get()) s += std::to_string(v) + " ";
      for (const auto& [k, n] : ctx.map_state<std::int64_t, int>("counts").entries())
        s += std::to_string(k) + "x" + std::to_string(n) + " ";
      auto mx = ctx.reducing_state<std::int64_t>(
          "max", [](std::int64_t a, std::int64_t b) { return std::max(a, b); });
      s += "max " + std::to_string(*mx.get());
      out.collect(s);
    }
  };
  recording_sink<std::string> sink;
  eddy::keyed_process_op<event, std::string, decltype(key_of), std::string, collecting> op(
      key_of, collecting{}, &sink);
  op.open(info());
  std::vector<event> records{{"a", 3}, {"b", 1}, {"a", 5}, {"a", 3}};
  std::vector<std::int64_t> ts{0, 0, 0, 0};
  op.process(records, ts);
  op.on_watermark(eddy::max_watermark);
  CHECK(eddy::testing::sorted(sink.records()) ==
        std::vector<std::string>{"a:3 5 3 3x2 5x1 max 5", "b:1 1x1 max 1"});
}

TEST_CASE("using one state name with two types is an error naming the state", "[process]") {
  struct confused {
    void process_element(const event&, ctx_t& ctx, eddy::collector<std::string>&) {
      ctx.value_state<int>("x").update(1);
      ctx.list_state<int>("x").add(2);
    }
  };
  recording_sink<std::string> sink;
  eddy::keyed_process_op<event, std::string, decltype(key_of), std::string, confused> op(
      key_of, confused{}, &sink);
  op.open(info());
  std::vector<event> records{{"a", 1}};
  std::vector<std::int64_t> ts{0};
  CHECK_THROWS_WITH(op.process(records, ts), Catch::Contains("state 'x'"));
}

// ---- processing time, TTL and the time domain ------------------------------------------------

namespace {

/// A processing-time clock the test moves by hand (what execution_config::clock is in a job).
struct manual_clock {
  std::shared_ptr<std::int64_t> now = std::make_shared<std::int64_t>(1000);
  void set(std::int64_t t) const { *now = t; }
};

eddy::subtask_info info_with(const manual_clock& clock, int parallelism = 1, int index = 0) {
  eddy::subtask_info i = info();
  auto p = clock.now;
  i.clock = [p] { return *p; };
  i.parallelism = parallelism;
  i.index = index;
  i.timer_resolution = std::chrono::milliseconds(7);
  return i;
}

void tick(eddy::operator_base& op) {
  op.on_tick(std::chrono::steady_clock::now());
}

/// Counts per key; registers a processing-time timer 100 ms after each record (the same time for
/// records arriving at the same processing time) and a negative value deletes it. on_timer emits
/// "key:count@time/domain" and clears the count.
struct processing_counter {
  void process_element(const event& e, ctx_t& ctx, eddy::collector<std::string>&) {
    auto n = ctx.value_state<int>("n");
    n.update(n.value().value_or(0) + 1);
    const auto t = ctx.current_processing_time() + 100;
    if (e.second < 0)
      ctx.delete_processing_time_timer(t);
    else
      ctx.register_processing_time_timer(t);
    if (e.second == 7) ctx.register_event_time_timer(ctx.timestamp() + 1);
  }
  void on_timer(std::int64_t t, ctx_t& ctx, eddy::collector<std::string>& out) {
    auto n = ctx.value_state<int>("n");
    const char* domain =
        ctx.time_domain() == eddy::time_domain::processing_time ? "processing" : "event";
    out.collect(ctx.current_key() + ":" + std::to_string(n.value().value_or(0)) + "@" +
                std::to_string(t) + "/" + domain);
    n.clear();
  }
};
using counter_op =
    eddy::keyed_process_op<event, std::string, decltype(key_of), std::string, processing_counter>;

}  // namespace

TEST_CASE("processing-time timers fire once per key and time when the clock passes them",
          "[process][processing-time]") {
  manual_clock clock;
  recording_sink<std::string> sink;
  counter_op op(key_of, processing_counter{}, &sink);
  op.open(info_with(clock));
  CHECK(op.wants_ticks());
  CHECK(op.tick_interval() == std::chrono::milliseconds(7));
  feed(op, {{"a", 1}, {"a", 2}, {"b", 3}}, {});  // timers (a,1100) twice and (b,1100)
  clock.set(1050);
  feed(op, {{"a", 4}}, {});  // (a,1150)
  tick(op);
  CHECK(sink.records().empty());
  clock.set(1099);
  tick(op);
  CHECK(sink.records().empty());
  clock.set(1100);
  tick(op);
  CHECK(eddy::testing::sorted(sink.records()) ==
        std::vector<std::string>{"a:3@1100/processing", "b:1@1100/processing"});
  // Output of processing-time timers carries no timestamps.
  CHECK(sink.timestamps().empty());
  for (const auto& e : sink.events) CHECK(e.timestamps.empty());
  sink.clear();
  tick(op);  // fired timers do not fire again
  CHECK(sink.records().empty());
  clock.set(5000);  // late ticks fire everything due, in time order
  tick(op);
  CHECK(sink.records() == std::vector<std::string>{"a:0@1150/processing"});
  CHECK(op.timers().processing_time_timer_count() == 0);
}

TEST_CASE("a deleted processing-time timer never fires", "[process][processing-time]") {
  manual_clock clock;
  recording_sink<std::string> sink;
  counter_op op(key_of, processing_counter{}, &sink);
  op.open(info_with(clock));
  feed(op, {{"a", 1}, {"a", -1}, {"b", 1}}, {});
  clock.set(2000);
  tick(op);
  op.finish();
  CHECK(sink.records() == std::vector<std::string>{"b:1@1100/processing"});
}

TEST_CASE("pending processing-time timers fire at end of input, before downstream finishes",
          "[process][processing-time]") {
  /// Records what it received before finish() was called.
  struct finish_recorder final : eddy::timed_input_op<std::string> {
    using eddy::timed_input_op<std::string>::process;
    void process(std::vector<std::string>& r, std::vector<std::int64_t>& ts) override {
      CHECK(ts.size() <= r.size());
      if (!ts.empty()) CHECK(ts.size() == r.size());
      records.insert(records.end(), r.begin(), r.end());
    }
    void finish() override { at_finish = records; }
    std::vector<std::string> records, at_finish;
  };
  /// Each timer re-registers itself 100 ms later (ctx.current_processing_time() is at least the
  /// timer's time while end of input fires it), and registers an event-time timer at its time.
  struct repeating {
    void process_element(const event& e, ctx_t& ctx, eddy::collector<std::string>&) {
      ctx.register_processing_time_timer(1000 + e.second);
    }
    void on_timer(std::int64_t t, ctx_t& ctx, eddy::collector<std::string>& out) {
      const bool proc = ctx.time_domain() == eddy::time_domain::processing_time;
      out.collect(ctx.current_key() + (proc ? "p" : "e") + std::to_string(t));
      if (proc) {
        CHECK(ctx.current_processing_time() >= t);
        ctx.register_processing_time_timer(ctx.current_processing_time() + 100);
        ctx.register_event_time_timer(t);
      }
    }
  };
  manual_clock clock;
  finish_recorder sink;
  eddy::keyed_process_op<event, std::string, decltype(key_of), std::string, repeating> op(
      key_of, repeating{}, &sink);
  op.open(info_with(clock));
  feed(op, {{"a", 100}, {"b", 300}}, {});  // timers a@1100, b@1300; the clock stays at 1000
  op.on_watermark(eddy::max_watermark);    // what the runtime sends before finish
  op.finish();
  // Processing time jumps to 1300: a@1100 -> a@1200 -> a@1300 fire (a@1400 is past the end),
  // b@1300 fires; then the event-time timers they registered.
  CHECK(sink.at_finish == std::vector<std::string>{"ap1100", "ap1200", "ap1300", "bp1300", "ae1100",
                                                   "ae1200", "ae1300", "be1300"});
  CHECK(op.timers().processing_time_timer_count() == 2);  // a@1400, b@1400: after the end
}

TEST_CASE("time_domain is only available in on_timer", "[process]") {
  struct asks {
    void process_element(const event&, ctx_t& ctx, eddy::collector<std::string>&) {
      (void)ctx.time_domain();
    }
  };
  recording_sink<std::string> sink;
  eddy::keyed_process_op<event, std::string, decltype(key_of), std::string, asks> op(key_of, asks{},
                                                                                     &sink);
  op.set_name("asker");
  op.open(info());
  CHECK_THROWS_WITH(feed(op, {{"a", 1}}, {0}),
                    Catch::Contains("asker") && Catch::Contains("only available in on_timer"));
}

TEST_CASE("event-time and processing-time timers report their domain and timestamps",
          "[process][processing-time]") {
  manual_clock clock;
  recording_sink<std::string> sink;
  counter_op op(key_of, processing_counter{}, &sink);
  op.open(info_with(clock));
  feed(op, {{"a", 7}}, {50});  // processing-time timer at 1100, event-time timer at 51
  op.on_watermark(60);
  CHECK(sink.records() == std::vector<std::string>{"a:1@51/event"});
  CHECK(sink.timestamps() == std::vector<std::int64_t>{51});
  sink.clear();
  clock.set(1100);
  tick(op);
  CHECK(sink.records() == std::vector<std::string>{"a:0@1100/processing"});
  CHECK(sink.timestamps().empty());
}

TEST_CASE("side output of a processing-time timer carries no timestamp",
          "[process][processing-time]") {
  struct side {
    eddy::output_tag<std::string> tag{"side"};
    void process_element(const event&, ctx_t& ctx, eddy::collector<std::string>&) {
      ctx.output(tag, std::string("element"));
      ctx.register_processing_time_timer(1010);
    }
    void on_timer(std::int64_t, ctx_t& ctx, eddy::collector<std::string>&) {
      ctx.output(tag, std::string("timer"));
    }
  };
  manual_clock clock;
  recording_sink<std::string> sink, side_sink;
  eddy::keyed_process_op<event, std::string, decltype(key_of), std::string, side> op(key_of, side{},
                                                                                     &sink);
  op.set_side_output("side", &side_sink);
  op.open(info_with(clock));
  feed(op, {{"a", 1}}, {5});
  clock.set(1010);
  tick(op);
  REQUIRE(side_sink.events.size() == 2);
  CHECK(side_sink.events[0].timestamps == std::vector<std::int64_t>{5});
  CHECK(side_sink.events[1].records == std::vector<std::string>{"timer"});
  CHECK(side_sink.events[1].timestamps.empty());
}

TEST_CASE("registering a timer in a function without on_timer is an error", "[process]") {
  struct no_timer {
    void process_element(const event&, ctx_t& ctx, eddy::collector<std::string>&) {
      ctx.register_processing_time_timer(5);
    }
  };
  recording_sink<std::string> sink;
  eddy::keyed_process_op<event, std::string, decltype(key_of), std::string, no_timer> op(
      key_of, no_timer{}, &sink);
  op.open(info());
  CHECK_THROWS_WITH(feed(op, {{"a", 1}}, {}), Catch::Contains("no on_timer"));
}

TEST_CASE("a record of a key group this subtask does not own fails the operator", "[process]") {
  manual_clock clock;
  recording_sink<std::string> sink;
  counter_op op(key_of, processing_counter{}, &sink);
  op.set_name("counter");
  op.open(info_with(clock, 4, 0));  // owns key groups [0, 32) of 128
  std::string foreign;
  for (int i = 0; foreign.empty(); ++i) {
    std::string k = "k" + std::to_string(i);
    if (eddy::key_group_of(eddy::key_hash(k), 128) >= 32) foreign = k;
  }
  CHECK_THROWS_WITH(feed(op, {{foreign, 1}}, {}),
                    Catch::Contains("counter") && Catch::Contains("belongs to key group"));
}

TEST_CASE("state TTL in a process function follows the job's clock and is cleaned up on ticks",
          "[process][ttl]") {
  /// Counts records per key in a value state with a 100 ms TTL and emits the count.
  struct ttl_counter {
    eddy::state_ttl_config ttl = eddy::state_ttl_config::new_builder(std::chrono::milliseconds(100))
                                     .cleanup_incrementally(10)
                                     .build();
    void process_element(const event& e, ctx_t& ctx, eddy::collector<std::string>& out) {
      auto n = ctx.value_state<int>("n", ttl);
      n.update(n.value().value_or(0) + 1);
      out.collect(e.first + ":" + std::to_string(*n.value()));
    }
  };
  manual_clock clock;
  recording_sink<std::string> sink;
  eddy::keyed_process_op<event, std::string, decltype(key_of), std::string, ttl_counter> op(
      key_of, ttl_counter{}, &sink);
  op.open(info_with(clock));
  std::vector<event> batch;
  for (int i = 0; i < 100; ++i) batch.push_back({"k" + std::to_string(i), 0});
  feed(op, batch, {});
  feed(op, {{"k0", 0}}, {});
  CHECK(sink.records().back() == "k0:2");
  clock.set(1099);
  tick(op);
  CHECK(op.state_backend()->entry_count() == 100);  // nothing expired yet
  clock.set(1100);
  for (int i = 0; i < 100 && op.state_backend()->entry_count() > 0; ++i) tick(op);
  CHECK(op.state_backend()->entry_count() == 0);  // removed without being accessed
  feed(op, {{"k0", 0}}, {});
  CHECK(sink.records().back() == "k0:1");  // the count starts again
}

}  // namespace keyed_process_test
