// Joins and two-input operators, used by docs/joins.md: a window join, an interval join, a
// co-group on sessions, connect with a co-process function, and the broadcast state pattern.
// The program checks its own results and exits non-zero if one is wrong.
#include <eddy/operators/datastream.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

// [types]
struct order {
  std::string user;
  std::int64_t ts_ms;
  int amount;
};
struct click {
  std::string user;
  std::int64_t ts_ms;
  std::string page;
};
// [types]

namespace {
int failures = 0;
template <class T>
void expect(const char* what, std::vector<T> got, std::vector<T> want) {
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  if (got != want) {
    ++failures;
    std::fprintf(stderr, "%s: unexpected result\n", what);
  }
}

// [rules]
// Broadcast state: per page, the discount rule every subtask applies to the clicks it sees.
const eddy::map_state_descriptor<std::string, int> discounts("discounts");

struct apply_discounts {
  using read_ctx = eddy::broadcast_context<eddy::co_context<std::string>, true>;
  using write_ctx = eddy::broadcast_context<eddy::co_context<std::string>, false>;
  void process_element(const click& c, read_ctx& ctx, eddy::collector<std::string>& out) {
    if (const int* pct = ctx.broadcast_state(discounts).get(c.page))
      out.collect(c.user + " gets " + std::to_string(*pct) + "% on " + c.page);
  }
  void process_broadcast_element(const std::pair<std::string, int>& rule, write_ctx& ctx,
                                 eddy::collector<std::string>&) {
    ctx.broadcast_state(discounts).put(rule.first, rule.second);
  }
};
// [rules]
}  // namespace

int main() {
  const std::vector<order> orders = {
      {"ann", 1000, 30}, {"bob", 1200, 10}, {"ann", 6500, 20}, {"cid", 9000, 5}};
  const std::vector<click> clicks = {
      {"ann", 900, "shoes"}, {"bob", 1100, "hats"}, {"ann", 5200, "bags"}, {"bob", 8000, "hats"}};

  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto order_stream = env.from_collection(orders).assign_timestamps_and_watermarks(
      eddy::WatermarkStrategy<order>::for_bounded_out_of_orderness(500ms).with_timestamp_assigner(
          [](const order& o) { return o.ts_ms; }));
  auto click_stream = env.from_collection(clicks).assign_timestamps_and_watermarks(
      eddy::WatermarkStrategy<click>::for_bounded_out_of_orderness(500ms).with_timestamp_assigner(
          [](const click& c) { return c.ts_ms; }));
  auto user_of_order = [](const order& o) { return o.user; };
  auto user_of_click = [](const click& c) { return c.user; };

  // [window_join]
  // Orders and clicks of the same user in the same 5-second window.
  auto same_window =
      order_stream.join(click_stream)
          .where(user_of_order)
          .equal_to(user_of_click)
          .window(eddy::TumblingEventTimeWindows::of(5s))
          .apply([](const order& o, const click& c) {
            return o.user + " bought " + std::to_string(o.amount) + " after viewing " + c.page;
          })
          .collect();
  // [window_join]

  // [interval_join]
  // Clicks at most 1 s before an order of the same user.
  auto before_order =
      order_stream.key_by(user_of_order)
          .interval_join(click_stream.key_by(user_of_click))
          .between(-1000ms, 0ms)
          .process([](const order& o, const click& c, eddy::interval_join_context& ctx,
                      eddy::collector<std::tuple<std::string, std::string, std::int64_t>>& out) {
            out.collect({o.user, c.page, ctx.timestamp()});  // timestamp: max of both
          })
          .collect();
  // [interval_join]

  // [co_group]
  // Per user and activity session (gap 3 s): how many orders and clicks.
  auto sessions = order_stream.co_group(click_stream)
                      .where(user_of_order)
                      .equal_to(user_of_click)
                      .window(eddy::EventTimeSessionWindows::with_gap(3s))
                      .apply([](const std::vector<order>& os, const std::vector<click>& cs,
                                eddy::collector<std::string>& out) {
                        const std::string& user = os.empty() ? cs.front().user : os.front().user;
                        out.collect(user + ": " + std::to_string(os.size()) + " orders, " +
                                    std::to_string(cs.size()) + " clicks");
                      })
                      .collect();
  // [co_group]

  // [connect]
  // One function sees both streams (records interleave in arrival order).
  struct tagger {
    void process_element1(const order& o, eddy::co_context<std::string>&,
                          eddy::collector<std::string>& out) {
      out.collect("order:" + o.user);
    }
    void process_element2(const click& c, eddy::co_context<std::string>&,
                          eddy::collector<std::string>& out) {
      out.collect("click:" + c.user);
    }
  };
  auto tagged = order_stream.connect(click_stream).process(tagger{}).collect();
  // [connect]
  env.execute("joins");

  // [broadcast]
  // The rules are broadcast to every subtask of the operator; each click is checked against the
  // rules that have arrived before it (the two inputs interleave in arrival order, as in Flink,
  // so a click that overtakes its rule gets no offer; keep such records in state if it matters).
  eddy::StreamEnvironment env2;
  env2.set_parallelism(2);
  std::vector<std::pair<std::string, int>> rules = {{"hats", 10}, {"bags", 25}};
  auto rule_stream = env2.from_collection(rules).set_parallelism(1).broadcast(discounts);
  auto offers = env2.from_collection(clicks)
                    .filter([](const click&) { return true; })
                    .connect(rule_stream)
                    .process(apply_discounts{})
                    .collect();
  env2.execute("broadcast state");
  // [broadcast]

  expect<std::string>("window join", same_window.values(),
                      {"ann bought 30 after viewing shoes", "bob bought 10 after viewing hats",
                       "ann bought 20 after viewing bags"});
  expect<std::tuple<std::string, std::string, std::int64_t>>(
      "interval join", before_order.values(), {{"ann", "shoes", 1000}, {"bob", "hats", 1200}});
  expect<std::string>(
      "co_group", sessions.values(),
      {"ann: 1 orders, 1 clicks", "ann: 1 orders, 1 clicks", "bob: 1 orders, 1 clicks",
       "bob: 0 orders, 1 clicks", "cid: 1 orders, 0 clicks"});
  expect<std::string>("connect", tagged.values(),
                      {"order:ann", "order:bob", "order:ann", "order:cid", "click:ann", "click:bob",
                       "click:ann", "click:bob"});
  for (const auto& s : same_window.values()) std::printf("%s\n", s.c_str());
  for (const auto& s : sessions.values()) std::printf("%s\n", s.c_str());
  for (const auto& s : offers.values()) std::printf("%s\n", s.c_str());
  return failures == 0 ? 0 : 1;
}
