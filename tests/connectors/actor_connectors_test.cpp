// Actors as sources and sinks (connectors/actors): producers under credit, subscribers under
// credit with sequence numbers, replay after a restart, a producer on another node.
#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <future>
#include <map>
#include <numeric>
#include <set>
#include <vector>

#include "eddy/connectors/actors/actor_sink.hpp"
#include "eddy/connectors/actors/actor_source.hpp"
#include "eddy/operators/datastream.hpp"
#include "support/failure_injection.hpp"
#include "support/test_support.hpp"

namespace ea = eddy::actors;

namespace {

struct producer_state {
  std::uint64_t next = 0, end = 0;
  std::int64_t credit = 0;
  std::int64_t max_credit = 0;  // the most it was ever allowed
};

/// Pushes [from, to) within its credit, then ends.
caf::behavior producer(caf::stateful_actor<producer_state>* self, caf::actor gateway,
                       std::uint64_t from, std::uint64_t to) {
  self->state.next = from;
  self->state.end = to;
  self->send(gateway, ea::join_atom::value);
  return {[=](ea::credit_atom, std::int32_t n) {
    auto& s = self->state;
    s.credit += n;
    while (s.credit > 0 && s.next < s.end) {
      const auto k =
          std::min<std::uint64_t>({static_cast<std::uint64_t>(s.credit), s.end - s.next, 100});
      std::vector<std::uint64_t> batch(k);
      std::iota(batch.begin(), batch.end(), s.next);
      s.next += k;
      s.credit -= static_cast<std::int64_t>(k);
      self->send(gateway, ea::push_atom::value, ea::encode_batch(batch),
                 static_cast<std::int32_t>(k));
    }
    if (s.next == s.end) {
      self->send(gateway, ea::end_atom::value);
      self->quit();
    }
  }};
}

struct subscriber_state {
  std::vector<std::uint64_t> values;
  std::map<std::int32_t, std::uint64_t> next_seq;  // per sink subtask
  std::int64_t outstanding = 0, max_outstanding = 0;
  bool in_order = true;
  std::shared_ptr<std::promise<subscriber_state>> done;
};

/// Joins with `credit`, takes every batch, gives the credit back, reports at the end.
caf::behavior subscriber(caf::stateful_actor<subscriber_state>* self, caf::actor gateway,
                         std::int32_t credit,
                         std::shared_ptr<std::promise<subscriber_state>> done) {
  self->state.done = std::move(done);
  self->send(gateway, ea::join_atom::value, credit);
  return {
      [=](ea::batch_atom, const std::string& blob, std::int32_t count, std::int32_t subtask,
          std::uint64_t first_seq) {
        auto& s = self->state;
        s.outstanding += count;
        s.max_outstanding = std::max(s.max_outstanding, s.outstanding);
        std::vector<std::uint64_t> records;
        REQUIRE(ea::decode_batch(blob, records));
        REQUIRE(records.size() == static_cast<std::size_t>(count));
        if (s.next_seq[subtask] != first_seq) s.in_order = false;
        s.next_seq[subtask] = first_seq + static_cast<std::uint64_t>(count);
        s.values.insert(s.values.end(), records.begin(), records.end());
        s.outstanding -= count;
        self->send(gateway, ea::credit_atom::value, count);
      },
      [=](ea::end_atom) {
        auto d = self->state.done;
        d->set_value(self->state);
        self->quit();
      },
  };
}

std::vector<std::uint64_t> range(std::uint64_t n) {
  std::vector<std::uint64_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

}  // namespace

TEST_CASE("producer actors push into a job under credit, and every record arrives once",
          "[actors]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  ea::actor_source<std::uint64_t> src(sys, {"orders", 64, 3});
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.set_batch_size(32);
  auto out = env.from_source(src.source(), "orders")
                 .set_parallelism(1)
                 .map([](std::uint64_t v) { return v; })
                 .collect();
  auto h = env.execute_async("actors in");
  REQUIRE(h);
  for (std::uint64_t p = 0; p < 3; ++p)
    sys.spawn(producer, src.gateway(), p * 5000, (p + 1) * 5000);
  const auto r = h->wait();
  REQUIRE(r.ok());
  auto got = out.values();
  std::sort(got.begin(), got.end());
  CHECK(got == range(15000));
  const auto st = src.stats();
  CHECK(st.producers == 3);
  CHECK(st.records == 15000);
  CHECK(st.over_credit == 0);
  CHECK(st.held_max <= 3 * 64);  // never more than the producers' credit
}

TEST_CASE("subscriber actors get a job's output in batches under credit, numbered", "[actors]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  ea::actor_sink<std::uint64_t> snk(sys, {"results"});
  auto a = std::make_shared<std::promise<subscriber_state>>();
  auto b = std::make_shared<std::promise<subscriber_state>>();
  auto fa = a->get_future();
  auto fb = b->get_future();
  sys.spawn(subscriber, snk.gateway(), 50, a);
  sys.spawn(subscriber, snk.gateway(), 7, b);
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.from_generator(20000, [](std::uint64_t i) { return i; }).sink_to(snk.sink());
  REQUIRE(env.execute("actors out").ok());
  for (auto* f : {&fa, &fb}) {
    REQUIRE(f->wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    auto s = f->get();
    std::sort(s.values.begin(), s.values.end());
    CHECK(s.values == range(20000));
    CHECK(s.in_order);
    std::uint64_t total = 0;
    for (const auto& [sub, n] : s.next_seq) total += n;
    CHECK(total == 20000);
  }
}

TEST_CASE("an actor source replays from its checkpoint when the job restarts",
          "[actors][checkpoint]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  ea::actor_source<std::uint64_t> src(sys, {"orders", 256, 2});
  eddy::testing::temp_dir tmp("eddy-actors-restart");
  auto sw = std::make_shared<eddy::testing::failure_switch>();
  eddy::StreamEnvironment env;
  eddy::testing::checkpointed_env(env, 1, tmp.path() / "chk");
  auto out = env.from_source(src.source(), "orders").map(eddy::testing::failing_map(sw)).collect();
  for (std::uint64_t p = 0; p < 2; ++p)
    sys.spawn(producer, src.gateway(), p * 10000, (p + 1) * 10000);
  const auto r = eddy::testing::run_with_failure(env, *sw);
  REQUIRE(r.ok());
  auto got = out.values();
  std::sort(got.begin(), got.end());
  CHECK(got == range(20000));
}

TEST_CASE("a producer on another node pushes through the published gateway", "[actors][remote]") {
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  ea::actor_source<std::uint64_t> src(sys, {"orders", 128, 1});
  auto port = ea::publish_gateway(sys, src.gateway(), 0);
  REQUIRE(port);
  caf::actor_system_config other_cfg;
  other_cfg.load<caf::io::middleman>();
  caf::actor_system other{other_cfg};
  auto remote = caf::io::remote_actor(other, "127.0.0.1", *port);
  REQUIRE(remote);
  eddy::StreamEnvironment env;
  auto out = env.from_source(src.source(), "orders").set_parallelism(1).collect();
  auto h = env.execute_async("remote in");
  REQUIRE(h);
  other.spawn(producer, *remote, 0, 3000);
  REQUIRE(h->wait().ok());
  auto got = out.values();
  std::sort(got.begin(), got.end());
  CHECK(got == range(3000));
  CHECK(src.stats().over_credit == 0);
}
