// The CEP operator (a keyed process function over the automaton): event-time buffering, timeouts,
// state cleanup for short-lived keys, checkpoint/restore in the middle of partial matches and
// rescaling 2 -> 3 by key group.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "eddy/cep/cep.hpp"
#include "nfa_driver.hpp"
#include "support/recording_sink.hpp"

// A namespace of its own: test files are compiled in unity batches (tests/CMakeLists.txt).
namespace cep_operator_test {

using namespace eddy;
using eddy::cep_test::ev;
using eddy::testing::recording_sink;

namespace {

using card_t = std::int64_t;
struct key_of {
  card_t operator()(const ev& x) const { return x.value; }  // value = the key in these tests
};

/// "key:names" per match, "T key:names@ts" per timeout (to the main output, for the tests).
struct to_text {
  void process_match(const cep::match<ev>& m, cep::match_context<card_t>& ctx,
                     collector<std::string>& out) {
    out.collect(std::to_string(ctx.current_key()) + ":" + cep_test::text(m));
  }
  void process_timed_out_match(const cep::match<ev>& m, cep::match_context<card_t>& ctx) {
    timeouts->push_back("T " + std::to_string(ctx.current_key()) + ":" + cep_test::text(m) + "@" +
                        std::to_string(ctx.timestamp()));
  }
  std::shared_ptr<std::vector<std::string>> timeouts = std::make_shared<std::vector<std::string>>();
};

using fn_t = cep::detail::cep_function<ev, card_t, std::string, to_text>;
using op_t = keyed_process_op<ev, card_t, key_of, std::string, fn_t>;

cep::pattern<ev> small_then_large() {
  return cep::pattern<ev>::begin("s", cep::skip::past_last_event())
      .where([](const ev& x) { return x.sym == 's'; })
      .followed_by("l")
      .where([](const ev& x) { return x.sym == 'l'; })
      .within(std::chrono::milliseconds(100));
}

struct harness {
  recording_sink<std::string> sink;
  to_text fn;
  std::unique_ptr<op_t> op;
  explicit harness(const cep::pattern<ev>& p, int index = 0, int parallelism = 1) {
    auto n = std::make_shared<const cep::nfa<ev>>(
        std::make_shared<cep::compiled_pattern<ev>>(cep::compile(p)), true);
    op = std::make_unique<op_t>(key_of{}, fn_t(n, fn, true, {}, std::nullopt), &sink);
    subtask_info i;
    i.batch_size = 1024;
    i.index = index;
    i.parallelism = parallelism;
    op->open(i);
  }
  void feed(std::vector<ev> records) {
    std::vector<std::int64_t> ts;
    for (const auto& r : records) ts.push_back(r.ts);
    op->process(records, ts);
  }
  std::vector<std::string> output() const {
    auto out = sink.records();
    out.insert(out.end(), fn.timeouts->begin(), fn.timeouts->end());
    std::sort(out.begin(), out.end());
    return out;
  }
};

ev x(const std::string& name, std::int64_t ts, card_t key) {
  auto e = cep_test::e(name, ts);
  e.value = static_cast<int>(key);
  return e;
}

}  // namespace

TEST_CASE("records are buffered until the watermark and matched in timestamp order") {
  harness h(small_then_large());
  // Out of order: l1 (ts 20) arrives before s1 (ts 10).
  h.feed({x("l1", 20, 7), x("s1", 10, 7), x("s2", 30, 8)});
  h.op->on_watermark(5);
  CHECK(h.sink.records().empty());
  h.op->on_watermark(25);
  CHECK(h.sink.records() == std::vector<std::string>{"7:s1 l1"});
  CHECK(h.sink.timestamps() == std::vector<std::int64_t>{20});  // the completing event's time
  h.op->on_watermark(max_watermark);
  CHECK(h.output() == std::vector<std::string>{"7:s1 l1", "T 8:s2@130"});
}

TEST_CASE("records of equal timestamp keep their arrival order") {
  harness h(small_then_large());
  h.feed({x("l1", 10, 1), x("s1", 10, 1), x("s2", 10, 2), x("l2", 10, 2)});
  h.op->on_watermark(max_watermark);
  CHECK(h.output() == std::vector<std::string>{"2:s2 l2", "T 1:s1@110"});
}

TEST_CASE("a million short-lived keys leave no state and no timers behind") {
  harness h(small_then_large());
  std::size_t most_entries = 0;
  const card_t keys = 1'000'000;
  std::int64_t ts = 0;
  for (card_t k = 0; k < keys; k += 1000) {
    std::vector<ev> batch;
    for (card_t j = k; j < k + 1000; ++j) {
      batch.push_back(x("s", ts, j));
      if (j % 2 == 0) batch.push_back(x("l", ts + 1, j));  // half match, half time out
    }
    h.feed(std::move(batch));
    ts += 10;
    h.op->on_watermark(ts - 1);
    most_entries = std::max(most_entries, h.op->state_backend()->entry_count());
    h.sink.events.clear();
  }
  h.op->on_watermark(max_watermark);
  CHECK(h.fn.timeouts->size() == keys / 2);
  CHECK(most_entries <= 12'000);  // keys open within one window (100 ms = 10 batches)
  CHECK(h.op->state_backend()->entry_count() == 0);
  CHECK(h.op->timers().event_time_timer_count() == 0);
}

TEST_CASE(
    "a checkpoint in the middle of partial matches restores to the same result, also 2 to 3 "
    "subtasks") {
  auto p = cep::pattern<ev>::begin("a")
               .where([](const ev& e) { return e.sym == 'a'; })
               .followed_by("b")
               .where([](const ev& e) { return e.sym == 'b'; })
               .one_or_more()
               .followed_by("c")
               .where([](const ev& e) { return e.sym == 'c'; })
               .within(std::chrono::milliseconds(50));
  std::mt19937_64 rng(42);
  std::vector<ev> events;
  for (int i = 0; i < 400; ++i) {
    const char sym = "abcd"[rng() % 4];
    events.push_back(
        x(std::string(1, sym) + std::to_string(i), i, static_cast<card_t>(rng() % 10)));
  }
  auto run_all = [&](harness& h, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      h.feed({events[i]});
      h.op->on_watermark(events[i].ts - 3);
    }
  };
  // Uninterrupted, one subtask.
  harness whole(p);
  run_all(whole, 0, events.size());
  whole.op->on_watermark(max_watermark);
  const auto expected = whole.output();
  REQUIRE(expected.size() > 20);

  // Two subtasks up to event 200, checkpoint, three subtasks from there.
  std::vector<std::unique_ptr<harness>> two;
  for (int i = 0; i < 2; ++i) two.push_back(std::make_unique<harness>(p, i, 2));
  auto route = [](std::vector<std::unique_ptr<harness>>& hs, const ev& e) -> harness& {
    const int kg = key_group_of(key_hash(static_cast<card_t>(e.value)), 128);
    for (std::size_t i = 0; i < hs.size(); ++i)
      if (key_group_range_of_subtask(static_cast<int>(i), 128, static_cast<int>(hs.size()))
              .contains(kg))
        return *hs[i];
    throw std::logic_error("no owner");
  };
  std::vector<std::string> got;
  auto drive = [&](std::vector<std::unique_ptr<harness>>& hs, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      route(hs, events[i]).feed({events[i]});
      for (auto& h : hs) h->op->on_watermark(events[i].ts - 3);
    }
  };
  drive(two, 0, 200);
  std::vector<state_entry> snapshot;
  for (auto& h : two) h->op->snapshot_state(1, snapshot);
  for (auto& h : two) {
    auto out = h->output();
    got.insert(got.end(), out.begin(), out.end());
  }
  std::vector<std::unique_ptr<harness>> three;
  for (int i = 0; i < 3; ++i) {
    three.push_back(std::make_unique<harness>(p, i, 3));
    const auto range = key_group_range_of_subtask(i, 128, 3);
    std::vector<state_entry> mine;
    for (const auto& e : snapshot)
      if (e.key_group < 0 || range.contains(e.key_group)) mine.push_back(e);
    three.back()->op->restore_state(mine);
    three.back()->op->on_watermark(events[199].ts - 3);
  }
  drive(three, 200, events.size());
  for (auto& h : three) {
    h->op->on_watermark(max_watermark);
    auto out = h->output();
    got.insert(got.end(), out.begin(), out.end());
  }
  std::sort(got.begin(), got.end());
  CHECK(got == expected);
}

TEST_CASE(
    "in processing time a comparator orders the records of one millisecond, matched once the "
    "clock leaves it") {
  auto clock = std::make_shared<std::atomic<std::int64_t>>(1000);
  recording_sink<std::string> sink;
  to_text fn;
  auto n = std::make_shared<const cep::nfa<ev>>(
      std::make_shared<cep::compiled_pattern<ev>>(cep::compile(small_then_large())), true);
  // By name, descending: "s9" before "l1" within a millisecond whatever the arrival order.
  cep::detail::comparator<ev> by_name_desc = [](const ev& a, const ev& b) {
    return a.name > b.name;
  };
  op_t op(key_of{}, fn_t(n, fn, false, by_name_desc, std::nullopt), &sink);
  subtask_info i;
  i.batch_size = 1024;
  i.clock = [clock] { return clock->load(); };
  op.open(i);
  auto feed = [&](std::vector<ev> records) {
    std::vector<std::int64_t> ts(records.size(), min_watermark);
    op.process(records, ts);
  };
  feed({x("l1", 0, 1), x("s9", 0, 1)});  // key 1, arriving large before small
  feed({x("l2", 0, 2)});
  CHECK(sink.records().empty());  // held until the clock leaves millisecond 1000
  op.on_tick(std::chrono::steady_clock::now());
  CHECK(sink.records().empty());
  clock->store(1001);
  op.on_tick(std::chrono::steady_clock::now());
  CHECK(sink.records() == std::vector<std::string>{"1:s9 l1"});
  feed({x("s3", 0, 2)});  // key 2: its small, after its large, in later milliseconds
  clock->store(1002);
  feed({x("l4", 0, 2)});
  op.on_tick(std::chrono::steady_clock::now());  // the timer of 1002 releases both
  CHECK(sink.records() == std::vector<std::string>{"1:s9 l1", "2:s3 l4"});
  clock->store(1003);
  op.on_tick(std::chrono::steady_clock::now());
  CHECK(sink.records().size() == 2);
  CHECK(op.state_backend()->entry_count() == 0);  // nothing left open
  // Without a comparator the same arrivals are matched at once, in arrival order.
  recording_sink<std::string> plain_sink;
  to_text plain_fn;
  op_t plain(key_of{}, fn_t(n, plain_fn, false, {}, std::nullopt), &plain_sink);
  plain.open(i);
  std::vector<ev> both{x("l1", 0, 1), x("s9", 0, 1)};
  std::vector<std::int64_t> ts(2, min_watermark);
  plain.process(both, ts);
  CHECK(plain_sink.records().empty());               // "l1" came first: no small before it
  CHECK(plain.state_backend()->entry_count() == 1);  // s9 waits for a large
}

}  // namespace cep_operator_test
