#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "eddy/operators/keyed_process.hpp"
#include "support/recording_sink.hpp"
#include "support/test_support.hpp"

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

void feed(op_t& op, std::vector<event> records, std::vector<std::int64_t> ts) {
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
