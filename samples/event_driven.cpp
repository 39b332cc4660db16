// A small event-driven system (docs/actors.md): three shop services (CAF actors) emit orders
// into a job through an actor source; the job counts each customer's orders in event time
// windows of 10 s; a loyalty service (another actor) subscribes to the job's results through
// an actor sink and reacts to customers with three or more orders in a window. The services
// never see the job's internals: they speak the credit protocol of actor_protocol.hpp.
#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "eddy/connectors/actors/actor_sink.hpp"
#include "eddy/connectors/actors/actor_source.hpp"
#include "eddy/operators/datastream.hpp"

namespace ea = eddy::actors;

struct order {
  std::string customer;
  std::int64_t ts_ms = 0;
  double amount = 0;
};
EDDY_FIELDS(order, customer, ts_ms, amount)

struct busy_customer {
  std::string customer;
  std::int64_t window_end = 0;
  std::int64_t orders = 0;
  double total = 0;
};
EDDY_FIELDS(busy_customer, customer, window_end, orders, total)

namespace {

/// A customer's orders and their total in one window.
struct order_totals {
  struct acc {
    std::int64_t orders = 0;
    double total = 0;
  };
  acc create_accumulator() const { return {}; }
  void add(acc& a, const order& o) const {
    ++a.orders;
    a.total += o.amount;
  }
  acc get_result(const acc& a) const { return a; }
};
EDDY_FIELDS(order_totals::acc, orders, total)

// [producer]
struct shop_state {
  int next = 0;
  std::int64_t credit = 0;
};

/// A shop: emits `n` orders, as many at a time as its credit allows, then says it is done.
caf::behavior shop(caf::stateful_actor<shop_state>* self, caf::actor orders, int shop_id, int n) {
  self->send(orders, ea::join_atom::value);  // the gateway answers with credit
  return {[=](ea::credit_atom, std::int32_t credit) {
    auto& s = self->state;
    s.credit += credit;
    std::vector<order> batch;
    while (s.credit > 0 && s.next < n) {
      const int i = s.next++;
      batch.push_back({"customer-" + std::to_string((i * 7 + shop_id) % 5),
                       1'000 * static_cast<std::int64_t>(i) + 100 * shop_id, 10.0 + i % 13});
      --s.credit;
    }
    if (!batch.empty())
      self->send(orders, ea::push_atom::value, ea::encode_batch(batch),
                 static_cast<std::int32_t>(batch.size()));
    if (s.next == n) {
      self->send(orders, ea::end_atom::value);
      self->quit();
    }
  }};
}
// [producer]

// [subscriber]
struct loyalty_state {
  int rewards = 0;
  std::shared_ptr<std::promise<int>> done;
};

/// The loyalty service: rewards busy customers as the job reports them.
caf::behavior loyalty(caf::stateful_actor<loyalty_state>* self, caf::actor results,
                      std::shared_ptr<std::promise<int>> done) {
  self->state.done = std::move(done);
  self->send(results, ea::join_atom::value, std::int32_t{16});  // take 16 records at a time
  return {
      [=](ea::batch_atom, const std::string& blob, std::int32_t count, std::int32_t,
          std::uint64_t) {
        std::vector<busy_customer> busy;
        if (ea::decode_batch(blob, busy))
          for (const auto& b : busy) {
            std::printf("loyalty: %s placed %lld orders (%.2f) in the 10 s before %lld\n",
                        b.customer.c_str(), static_cast<long long>(b.orders), b.total,
                        static_cast<long long>(b.window_end));
            ++self->state.rewards;
          }
        self->send(results, ea::credit_atom::value, count);  // ready for more
      },
      [=](ea::end_atom) {  // the job finished
        self->state.done->set_value(self->state.rewards);
        self->quit();
      },
  };
}
// [subscriber]

}  // namespace

int main() {
  using namespace std::chrono_literals;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};  // the application's actors
  // [job]
  ea::actor_source<order> orders(sys, {"orders", 64, /*producers=*/3});
  ea::actor_sink<busy_customer> results(sys, {"busy customers"});
  eddy::StreamEnvironment env;
  env.from_source(orders.source(), "orders")
      .set_parallelism(1)
      // The shops run side by side: each is at most its credit (64 orders, 64 s) ahead.
      .assign_timestamps_and_watermarks(
          eddy::WatermarkStrategy<order>::for_bounded_out_of_orderness(120s)
              .with_timestamp_assigner([](const order& o) { return o.ts_ms; }))
      .set_parallelism(1)
      .key_by([](const order& o) { return o.customer; })
      .window(eddy::TumblingEventTimeWindows::of(10s))
      .aggregate(order_totals{},
                 [](const std::string& customer, const eddy::time_window& w,
                    const order_totals::acc& a, eddy::collector<busy_customer>& out) {
                   if (a.orders >= 3) out.collect({customer, w.end, a.orders, a.total});
                 })
      .sink_to(results.sink());
  // [job]
  auto job = env.execute_async("shop events");
  if (!job) {
    std::fprintf(stderr, "event-driven: %s\n", job.error().message.c_str());
    return 1;
  }
  auto rewarded = std::make_shared<std::promise<int>>();
  auto rewards = rewarded->get_future();
  sys.spawn(loyalty, results.gateway(), rewarded);
  for (int s = 0; s < 3; ++s) sys.spawn(shop, orders.gateway(), s, 40);
  const auto r = job->wait();
  if (!r.ok()) {
    std::fprintf(stderr, "event-driven: the job failed: %s\n",
                 r.failure ? r.failure->message.c_str() : "");
    return 1;
  }
  if (rewards.wait_for(30s) != std::future_status::ready) {
    std::fprintf(stderr, "event-driven: the loyalty service did not hear the end of the job\n");
    return 1;
  }
  // The same count worked out directly from what the shops emit.
  std::map<std::pair<std::string, std::int64_t>, int> per_window;
  for (int shop_id = 0; shop_id < 3; ++shop_id)
    for (int i = 0; i < 40; ++i)
      ++per_window[{"customer-" + std::to_string((i * 7 + shop_id) % 5),
                    (1'000 * static_cast<std::int64_t>(i) + 100 * shop_id) / 10'000}];
  int want = 0;
  for (const auto& [key, n] : per_window) want += n >= 3 ? 1 : 0;
  const int got = rewards.get();
  std::printf("event-driven: %d reward(s)\n", got);
  if (got != want) {
    std::fprintf(stderr, "event-driven: expected %d rewards\n", want);
    return 1;
  }
  return 0;
}
