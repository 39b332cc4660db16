// CEP in whole jobs (CEP::pattern on the DataStream API): keyed and non-keyed, event time with
// out-of-order input (against the automaton run per key in timestamp order), late records to a
// side output, timed-out partial matches through select(tag, timeout_fn, fn), processing time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "eddy/cep/cep.hpp"
#include "eddy/operators/datastream.hpp"
#include "nfa_driver.hpp"

using namespace eddy;
using eddy::cep_test::ev;
using std::chrono::milliseconds;

namespace {

cep::pattern<ev> a_bs_c() {
  return cep::pattern<ev>::begin("a")
      .where([](const ev& e) { return e.sym == 'a'; })
      .followed_by("b")
      .where([](const ev& e) { return e.sym == 'b'; })
      .one_or_more()
      .followed_by("c")
      .where([](const ev& e) { return e.sym == 'c'; })
      .within(milliseconds(40));
}

/// `n` events over `keys` keys (value = key), timestamps at most `disorder` ms out of order.
std::vector<ev> disordered(int n, int keys, std::int64_t disorder, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<ev> out;
  std::int64_t t = 0, max_ts = 0;
  for (int i = 0; i < n; ++i) {
    t += static_cast<std::int64_t>(rng() % 3);
    const std::int64_t ts = std::max<std::int64_t>(
        t - static_cast<std::int64_t>(rng() % static_cast<unsigned>(disorder)), max_ts - disorder);
    max_ts = std::max(max_ts, ts);
    const char sym = "abcd"[rng() % 4];
    ev e{std::string(1, sym) + std::to_string(i), sym, ts, static_cast<int>(rng() % keys)};
    out.push_back(e);
  }
  return out;
}

/// The automaton run per key over its events in (timestamp, arrival) order.
void reference(const cep::pattern<ev>& p, const std::vector<ev>& in, std::vector<std::string>& m,
               std::vector<std::string>& t) {
  std::map<int, std::vector<ev>> by_key;
  for (const auto& e : in) by_key[e.value].push_back(e);
  for (auto& [k, events] : by_key) {
    std::stable_sort(events.begin(), events.end(),
                     [](const ev& a, const ev& b) { return a.ts < b.ts; });
    auto r = cep_test::run(p, events);
    for (auto& s : r.matches) m.push_back(std::to_string(k) + ":" + s);
    for (auto& s : r.timeouts) t.push_back(std::to_string(k) + ":" + s);
  }
  std::sort(m.begin(), m.end());
  std::sort(t.begin(), t.end());
}

std::string key_text(const cep::match<ev>& m) {
  return std::to_string(m.stages().front().second.front().value) + ":" + cep_test::text(m);
}

}  // namespace

TEST_CASE(
    "a keyed pattern over out-of-order input equals the automaton per key in timestamp "
    "order, at parallelism 1, 2 and 4") {
  const int p = GENERATE(1, 2, 4);
  INFO("parallelism " << p);
  const auto in = disordered(3000, 13, 15, 5);
  std::vector<std::string> want_matches, want_timeouts;
  reference(a_bs_c(), in, want_matches, want_timeouts);
  REQUIRE(want_matches.size() > 50);
  REQUIRE(want_timeouts.size() > 50);

  StreamEnvironment env;
  env.set_parallelism(p);
  env.config().auto_watermark_interval = milliseconds(0);
  output_tag<std::string> timeouts("timeouts");
  auto matches =
      CEP::pattern(env.from_collection(in)
                       .set_parallelism(1)  // one arrival order for records of equal time
                       .assign_timestamps_and_watermarks(
                           WatermarkStrategy<ev>::for_bounded_out_of_orderness(milliseconds(15))
                               .with_timestamp_assigner([](const ev& e) { return e.ts; }))
                       .set_parallelism(1)
                       .key_by([](const ev& e) { return e.value; }),
                   a_bs_c())
          .select(
              timeouts,
              [](const cep::match<ev>& m, std::int64_t ts) {
                return key_text(m) + "@" + std::to_string(ts);
              },
              [](const cep::match<ev>& m) { return key_text(m); });
  auto got_matches = matches.collect();
  auto got_timeouts = matches.get_side_output(timeouts).collect();
  auto r = env.execute("cep keyed");
  REQUIRE(r.ok());
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  CHECK(sorted(got_matches.values()) == want_matches);
  CHECK(sorted(got_timeouts.values()) == want_timeouts);
}

TEST_CASE("late records go to the side output and a non-keyed pattern runs on one subtask") {
  StreamEnvironment env;
  env.set_parallelism(3);
  // s@100, l@150 match; x@10 comes after the watermark passed it (bound 5 ms): late.
  std::vector<ev> in{{"s1", 's', 100, 0}, {"x", 'x', 10, 0}, {"l1", 'l', 150, 0}};
  output_tag<ev> late("late");
  auto p = cep::pattern<ev>::begin("s")
               .where([](const ev& e) { return e.sym == 's'; })
               .followed_by("l")
               .where([](const ev& e) { return e.sym == 'l'; });
  auto matches =
      CEP::pattern(env.from_collection(in)
                       .set_parallelism(1)
                       .assign_timestamps_and_watermarks(
                           WatermarkStrategy<ev>::for_bounded_out_of_orderness(milliseconds(5))
                               .emit_on_every_record()
                               .with_timestamp_assigner([](const ev& e) { return e.ts; }))
                       .set_parallelism(1),
                   p)
          .side_output_late_data(late)
          .select([](const cep::match<ev>& m) { return cep_test::text(m); });
  auto got = matches.collect();
  auto got_late = matches.get_side_output(late).collect();
  auto r = env.execute("cep non-keyed");
  REQUIRE(r.ok());
  CHECK(got.values() == std::vector<std::string>{"s1 l1"});
  REQUIRE(got_late.values().size() == 1);
  CHECK(got_late.values()[0].name == "x");
  const auto* op = r.find_operator("cep select");
  REQUIRE(op);
  CHECK(op->parallelism == 1);
}

TEST_CASE("in processing time records are matched on arrival") {
  StreamEnvironment env;
  env.set_parallelism(2);
  std::vector<ev> in;
  for (int k = 0; k < 50; ++k)
    for (const char* n : {"s", "x", "l"}) in.push_back({n + std::to_string(k), n[0], 0, k});
  auto p = cep::pattern<ev>::begin("s")
               .where([](const ev& e) { return e.sym == 's'; })
               .followed_by("l")
               .where([](const ev& e) { return e.sym == 'l'; })
               .within(milliseconds(60'000));
  auto matches =
      CEP::pattern(
          env.from_collection(in).set_parallelism(1).key_by([](const ev& e) { return e.value; }), p)
          .in_processing_time()
          .select([](const cep::match<ev>& m) { return cep_test::text(m); });
  auto got = matches.collect();
  auto r = env.execute("cep processing time");
  REQUIRE(r.ok());
  CHECK(got.values().size() == 50);
  for (const auto& m : got.values()) CHECK(m.substr(0, 1) == "s");
}
