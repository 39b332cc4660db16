// The split enumerator's bookkeeping (runtime/src/split_assignment.hpp): on-demand and owner
// assignment, the end of a bounded source, and its checkpointed state.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "../../../runtime/src/split_assignment.hpp"

using eddy::detail::split_assignment;

namespace {

struct on_demand final : eddy::split_enumerator {
  std::optional<std::vector<std::string>> discover(bool) override { return {}; }
  std::chrono::milliseconds discovery_interval() const override { return {}; }
};

struct by_owner final : eddy::split_enumerator {
  std::optional<std::vector<std::string>> discover(bool) override { return {}; }
  std::chrono::milliseconds discovery_interval() const override { return {}; }
  int owner(const std::string& split, int parallelism) const override {
    return std::stoi(split.substr(split.find('/') + 1)) % parallelism;
  }
};

using splits = std::vector<std::string>;

}  // namespace

TEST_CASE("splits are handed out on demand, first come first served, each once") {
  on_demand e;
  split_assignment a(3);
  split_assignment::outbox out;
  a.requested(2, out);  // nothing known yet: reader 2 waits
  CHECK(out.empty());
  a.discovered({"a", "b", "c", "d"}, e, out);
  CHECK(out.splits == std::map<int, splits>{{2, {"a"}}});
  out = {};
  a.discovered({"a", "b", "e"}, e, out);  // a and b are known: only e is new
  CHECK(out.empty());
  CHECK(a.pending() == std::deque<std::string>{"b", "c", "d", "e"});
  a.requested(0, out);
  a.requested(1, out);
  CHECK(out.splits == std::map<int, splits>{{0, {"b"}}, {1, {"c"}}});
  out = {};
  a.requested(1, out);
  a.requested(1, out);
  CHECK(out.splits == std::map<int, splits>{{1, {"d", "e"}}});
  out = {};
  a.requested(1, out);  // nothing left: reader 1 waits ...
  a.requested(1, out);  // ... and waits once however often it asks
  a.discovered({"f", "g"}, e, out);
  CHECK(out.splits == std::map<int, splits>{{1, {"f"}}});
  CHECK(a.pending() == std::deque<std::string>{"g"});
  CHECK(out.no_more.empty());
}

TEST_CASE("a bounded source's readers hear of no more splits once none waits") {
  on_demand e;
  split_assignment a(2);
  split_assignment::outbox out;
  a.requested(0, out);
  a.requested(1, out);
  a.discovered({"x"}, e, out);
  a.discovery_done(out);
  CHECK(out.splits == std::map<int, splits>{{0, {"x"}}});
  CHECK(out.no_more == std::set<int>{1});
  out = {};
  a.requested(0, out);
  CHECK(out.splits.empty());
  CHECK(out.no_more == std::set<int>{0});
}

TEST_CASE("owned splits go to their owner when discovered and end its wait") {
  by_owner e;
  split_assignment a(2);
  split_assignment::outbox out;
  a.requested(1, out);
  a.discovered({"t/0", "t/1", "t/2", "t/3"}, e, out);
  CHECK(out.splits == std::map<int, splits>{{0, {"t/0", "t/2"}}, {1, {"t/1", "t/3"}}});
  CHECK(a.pending().empty());
  out = {};
  a.discovery_done(out);  // reader 1 was served by the discovery: it does not wait any more
  CHECK(out.empty());
}

TEST_CASE("the state keeps known and waiting splits, not waiting readers") {
  on_demand e;
  split_assignment a(2);
  split_assignment::outbox out;
  a.discovered({"a", "b", "c"}, e, out);
  a.requested(0, out);  // a is assigned
  a.requested(1, out);  // b is assigned
  a.requested(1, out);  // c is assigned (reader 1 finished b)
  a.requested(0, out);  // reader 0 waits
  split_assignment b(3);
  b.restore(a.snapshot());
  CHECK(b.known() == 3);
  CHECK(b.pending().empty());
  out = {};
  b.discovered({"a", "b", "c", "d"}, e, out);  // after a restore only d is new
  CHECK(b.pending() == std::deque<std::string>{"d"});
  CHECK(out.empty());  // no reader of the restored job asked yet
  CHECK_THROWS_WITH(b.restore("garbage"), Catch::Contains("does not decode"));
}

TEST_CASE("randomised: on-demand assignment gives every split to exactly one reader") {
  std::mt19937 rng(GENERATE(1u, 2u, 3u, 4u, 5u));
  on_demand e;
  const int readers = 1 + static_cast<int>(rng() % 4);
  split_assignment a(readers);
  std::multiset<std::string> got;
  std::set<int> ended;
  std::set<std::string> all;
  int next = 0;
  auto take = [&](const split_assignment::outbox& out) {
    for (const auto& [r, s] : out.splits) {
      CHECK(!ended.count(r));
      got.insert(s.begin(), s.end());
    }
    for (int r : out.no_more) ended.insert(r);
  };
  for (int step = 0; step < 200; ++step) {
    split_assignment::outbox out;
    if (rng() % 3 == 0) {
      std::vector<std::string> listed(all.begin(), all.end());
      for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
        listed.push_back("s" + std::to_string(next++));
        all.insert(listed.back());
      }
      a.discovered(listed, e, out);
    } else {
      const int r = static_cast<int>(rng() % static_cast<unsigned>(readers));
      if (!ended.count(r)) a.requested(r, out);
    }
    take(out);
  }
  split_assignment::outbox out;
  a.discovery_done(out);
  take(out);
  while (ended.size() < static_cast<std::size_t>(readers))
    for (int r = 0; r < readers; ++r)
      if (!ended.count(r)) {
        split_assignment::outbox o;
        a.requested(r, o);
        take(o);
      }
  CHECK(got == std::multiset<std::string>(all.begin(), all.end()));
}
