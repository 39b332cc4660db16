// The Nexmark generator and its DataStream sources (connectors/nexmark, issue 20): the event
// mix, ids and timestamps of nexmark-flink's generator, determinism, the sources at several
// parallelisms and across a savepoint, and the options' errors.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "eddy/connectors/nexmark/java_random.hpp"
#include "eddy/connectors/nexmark/source.hpp"
#include "eddy/operators/datastream.hpp"

namespace nexmark_test {

using namespace eddy::nexmark;

std::vector<event> run_events(const config& c, int parallelism) {
  eddy::StreamEnvironment env;
  env.set_parallelism(parallelism);
  auto out = env.from_source(event_source(c)).collect();
  REQUIRE(env.execute("nexmark").ok());
  return out.values();
}

/// Events in index order (their timestamps and event ids are unique per index).
void sort_events(std::vector<event>& v, const generator& gen) {
  (void)gen;
  std::sort(v.begin(), v.end(), [](const event& a, const event& b) {
    const auto key = [](const event& e) {
      switch (e.type) {
        case event_type::person:
          return std::make_tuple(e.date_time(), 0, e.new_person.id);
        case event_type::auction:
          return std::make_tuple(e.date_time(), 1, e.new_auction.id);
        case event_type::bid:
          break;
      }
      return std::make_tuple(e.date_time(), 2, e.new_bid.price * 1'000'003 + e.new_bid.bidder);
    };
    return key(a) < key(b);
  });
}

}  // namespace nexmark_test

using namespace nexmark_test;

TEST_CASE("the Nexmark generator draws as java.util.SplittableRandom does",
          "[connectors][nexmark]") {
  // Expected values printed by Java 17: new SplittableRandom(42), then the same calls.
  eddy::nexmark::detail::java_random r(42);
  CHECK(r.next_int() == -491277234);
  CHECK(r.next_int() == 909395113);
  for (int want : {9, 5, 1, 6, 12, 2}) CHECK(r.next_int(13) == want);
  CHECK(r.next_int(1'000'000'007) == 639547321);
  CHECK(r.next_int(1024) == 804);
  CHECK(r.next_long() == 3779771651426294207LL);
  CHECK(r.next_double() == Approx(0.49298918579469240).epsilon(1e-15));
}

TEST_CASE("the Nexmark generator makes nexmark-flink's event mix, ids and timestamps",
          "[connectors][nexmark]") {
  config c;
  c.events = 50'000;
  const generator gen(c);
  std::map<event_type, int> count;
  // Event ids start at 2 (nexmark-flink's first event id 1 plus event number 1): event id 1, the
  // first auction, and event id 0, the first person, are never made, so both start at 1001.
  std::int64_t last_person = 1000, last_auction = 1000;
  std::int64_t hot_bids = 0, bids = 0;
  std::set<std::string> channels;
  for (std::uint64_t g = 0; g < c.events; ++g) {
    const event e = gen.make(g);
    ++count[e.type];
    CHECK(e.type == gen.type_of(g));
    // Rate 10,000 events/s: event g at base + (1 + g) * 100 us.
    CHECK(e.date_time() == c.base_time + static_cast<std::int64_t>((1 + g) * 100 / 1000));
    switch (e.type) {
      case event_type::person:
        CHECK(e.new_person.id == last_person + 1);
        last_person = e.new_person.id;
        CHECK(e.new_person.credit_card.size() == 19);
        CHECK(e.new_person.email_address.find('@') != std::string::npos);
        CHECK(e.new_person.extra.size() > 0);
        break;
      case event_type::auction:
        CHECK(e.new_auction.id == last_auction + 1);
        last_auction = e.new_auction.id;
        CHECK(e.new_auction.expires > e.new_auction.date_time);
        CHECK(e.new_auction.reserve >= e.new_auction.initial_bid);
        CHECK(e.new_auction.category >= 10);
        CHECK(e.new_auction.category < 15);
        CHECK(e.new_auction.seller >= 1000);
        CHECK(e.new_auction.seller <= last_person + 10);
        break;
      case event_type::bid:
        ++bids;
        CHECK(e.new_bid.auction >= 1000);
        CHECK(e.new_bid.auction <= last_auction + 10);
        CHECK(e.new_bid.bidder >= 2000);  // nexmark-flink adds 1000 twice
        CHECK(e.new_bid.price >= 100);
        CHECK(e.new_bid.price <= 100'000'000);
        CHECK(e.new_bid.url.rfind("https://www.nexmark.com/", 0) == 0);
        if ((e.new_bid.auction - 1000) % 100 == 0) ++hot_bids;
        channels.insert(e.new_bid.channel);
        break;
    }
  }
  // One person, three auctions and 46 bids in every 50 events.
  CHECK(count[event_type::person] == 1000);
  CHECK(count[event_type::auction] == 3000);
  CHECK(count[event_type::bid] == 46'000);
  // bid.hot-ratio.auctions 2: about half of the bids go to the hot auction.
  CHECK(static_cast<double>(hot_bids) / bids == Approx(0.5).margin(0.03));
  CHECK(channels.count("Google") == 1);
  CHECK(channels.size() > 1000);  // half of the bids draw from 10,000 channels
  // Deterministic for a seed; another seed gives other values, same ids and times.
  CHECK(generator(c).make(1234) == gen.make(1234));
  config other = c;
  other.seed = 7;
  CHECK(generator(other).make(1234) != gen.make(1234));
  CHECK(generator(other).make(1234).date_time() == gen.make(1234).date_time());
}

TEST_CASE("Nexmark out-of-order groups permute event times within a group",
          "[connectors][nexmark]") {
  config c;
  c.out_of_order_group_size = 10;
  const generator gen(c);
  for (std::uint64_t g = 0; g < 1000; ++g) CHECK(gen.timestamp_of(g) >= gen.watermark_at(g));
  std::set<std::int64_t> ids;
  for (std::uint64_t g = 9; g < 1009; ++g) ids.insert(gen.event_id(g));
  CHECK(ids.size() == 1000);  // a permutation: no id twice
}

TEST_CASE("the Nexmark sources emit the same events at parallelism 1 and 3",
          "[connectors][nexmark]") {
  config c;
  c.events = 6000;
  c.seed = 3;
  const generator gen(c);
  std::vector<event> want;
  for (std::uint64_t g = 0; g < c.events; ++g) want.push_back(gen.make(g));
  auto one = run_events(c, 1);
  auto three = run_events(c, 3);
  sort_events(one, gen);
  sort_events(three, gen);
  sort_events(want, gen);
  CHECK(one == want);
  CHECK(three == want);

  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto bids = env.from_source(bid_source(c)).collect();
  auto people = env.from_source(person_source(c)).collect();
  REQUIRE(env.execute("nexmark types").ok());
  std::vector<bid> want_bids;
  std::vector<person> want_people;
  for (const auto& e : want) {
    if (e.type == event_type::bid) want_bids.push_back(e.new_bid);
    if (e.type == event_type::person) want_people.push_back(e.new_person);
  }
  auto by_fields = [](const auto& a, const auto& b) { return eddy_fields(a) < eddy_fields(b); };
  auto got_bids = bids.values();
  auto got_people = people.values();
  std::sort(got_bids.begin(), got_bids.end(), by_fields);
  std::sort(want_bids.begin(), want_bids.end(), by_fields);
  std::sort(got_people.begin(), got_people.end(), by_fields);
  std::sort(want_people.begin(), want_people.end(), by_fields);
  CHECK(got_bids == want_bids);
  CHECK(got_people == want_people);
}

TEST_CASE(
    "a paced Nexmark source stopped with a savepoint resumes at another parallelism without "
    "losing or repeating an event",
    "[connectors][nexmark]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("eddy-nexmark-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  config c;
  c.events = 3000;
  c.first_event_rate = 6000;  // paced: about 0.5 s
  c.max_emit_speed = false;
  std::vector<event> got;
  std::string savepoint;
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(2);
    env.set_checkpoint_dir((dir / "chk").string());
    auto out = env.from_source(event_source(c)).collect();
    auto h = env.execute_async("nexmark sp");
    REQUIRE(h);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    auto sp = h->stop_with_savepoint((dir / "sp").string());
    REQUIRE(sp);
    savepoint = *sp;
    got = out.values();
  }
  CHECK(got.size() < 3000);
  eddy::StreamEnvironment env;
  env.set_parallelism(3);
  env.config().restore_from = savepoint;
  auto out = env.from_source(event_source(c)).collect();
  REQUIRE(env.execute("nexmark sp").ok());
  for (auto& e : out.values()) got.push_back(e);
  const generator gen(c);
  std::vector<event> want;
  for (std::uint64_t g = 0; g < c.events; ++g) want.push_back(gen.make(g));
  sort_events(got, gen);
  sort_events(want, gen);
  CHECK(got == want);
  std::filesystem::remove_all(dir);
}

TEST_CASE("Nexmark options are read under nexmark-flink's keys and bad values name the key",
          "[connectors][nexmark]") {
  config c;
  CHECK(parse_options({{"events.num", "100"},
                       {"first-event.rate", "500"},
                       {"bid.proportion", "10"},
                       {"bid.avg-size", "1kb"},
                       {"base-time", "2020-01-02 03:04:05.006"},
                       {"connector", "nexmark"}},
                      c, {"connector"})
            .empty());
  CHECK(c.events == 100);
  CHECK(c.first_event_rate == 500);
  CHECK(c.bid_proportion == 10);
  CHECK(c.avg_bid_bytes == 1024);
  CHECK(c.base_time == 1'577'934'245'006);
  CHECK(parse_options({{"events.num", "-1"}}, c) ==
        "Invalid value '-1' of option 'events.num' (connector 'nexmark'): expected a number of "
        "events (0: unbounded)");
  CHECK(parse_options({{"bid.proportion", "0"}}, c).find("'bid.proportion'") != std::string::npos);
  CHECK(parse_options({{"events", "10"}}, c).rfind("Unsupported option 'events'", 0) == 0);
  CHECK(parse_options({{"stop-at", "40"}, {"events.num", "100"}}, c).empty());
  CHECK(c.total_events() == 40);
}
