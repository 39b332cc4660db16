// Keyed state backend, state handles, state TTL and the timer service (keyed_state.hpp), tested
// on their own with a manual clock (no operator, no sleeping).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "eddy/operators/keyed_state.hpp"
#include "eddy/runtime/operator.hpp"

// A namespace of its own: test files are compiled in unity batches (tests/CMakeLists.txt).
namespace keyed_state_test {

namespace {

using namespace std::chrono_literals;
using eddy::keyed_state_backend;
using eddy::state_ttl_config;
using eddy::ttl_update_type;
using eddy::ttl_visibility;

/// A processing-time clock the test moves by hand.
struct manual_clock {
  std::shared_ptr<std::int64_t> now = std::make_shared<std::int64_t>(1000);
  [[nodiscard]] std::function<std::int64_t()> fn() const {
    auto p = now;
    return [p] { return *p; };
  }
  void set(std::int64_t t) const { *now = t; }
};

/// A backend owning every key group (one subtask), on a manual clock.
struct fixture {
  manual_clock clock;
  keyed_state_backend<std::string> backend{128, 1, 0, clock.fn()};
  std::string key;
  void use(std::string k) {
    key = std::move(k);
    backend.set_current_key(key);
  }
};

state_ttl_config ttl(std::chrono::milliseconds d,
                     ttl_update_type u = ttl_update_type::on_create_and_write,
                     ttl_visibility v = ttl_visibility::never_return_expired) {
  return state_ttl_config::new_builder(d).set_update_type(u).set_state_visibility(v).build();
}

/// Average of ints: accumulator (sum, count), add returns nothing.
struct average {
  std::pair<std::int64_t, std::int64_t> create_accumulator() const { return {0, 0}; }
  void add(std::pair<std::int64_t, std::int64_t>& acc, const int& v) const {
    acc.first += v;
    ++acc.second;
  }
  double get_result(const std::pair<std::int64_t, std::int64_t>& acc) const {
    return static_cast<double>(acc.first) / static_cast<double>(acc.second);
  }
};

/// Concatenation of strings, Flink style: add returns the new accumulator.
struct joiner {
  std::string create_accumulator() const { return ""; }
  std::string add(std::string acc, const std::string& v) const {
    return acc.empty() ? v : acc + "," + v;
  }
  std::string get_result(const std::string& acc) const { return "[" + acc + "]"; }
};

int key_group(const std::string& k, int max_parallelism = 128) {
  return eddy::key_group_of(eddy::key_hash(k), max_parallelism);
}

}  // namespace

// ---- key groups -----------------------------------------------------------------------------

TEST_CASE("each subtask's key group range holds exactly the key groups assigned to it",
          "[state][key-group]") {
  for (int maxp = 1; maxp <= 40; ++maxp) {
    for (int p = 1; p <= maxp; ++p) {
      int expected_start = 0;
      for (int i = 0; i < p; ++i) {
        const auto r = eddy::key_group_range_of_subtask(i, maxp, p);
        REQUIRE(r.start == expected_start);  // contiguous, in order, no gaps
        for (int kg = r.start; kg < r.end; ++kg)
          REQUIRE(eddy::subtask_of_key_group(kg, maxp, p) == i);
        expected_start = r.end;
      }
      REQUIRE(expected_start == maxp);  // every key group is owned
    }
  }
  CHECK(eddy::key_group_range_of_subtask(1, 128, 4) == eddy::key_group_range{32, 64});
  CHECK(eddy::key_group_range_of_subtask(2, 10, 3) == eddy::key_group_range{7, 10});
}

TEST_CASE("the backend partitions state by key group and enumerates one key group",
          "[state][key-group]") {
  manual_clock clock;
  keyed_state_backend<std::string> backend(16, 2, 1, clock.fn());  // owns key groups [8, 16)
  REQUIRE(backend.key_groups() == eddy::key_group_range{8, 16});
  std::map<int, std::set<std::string>> by_group;  // expected: key group -> keys
  std::vector<std::string> keys;
  for (int i = 0; keys.size() < 200; ++i) {
    std::string k = "key" + std::to_string(i);
    if (key_group(k, 16) >= 8) keys.push_back(k);
  }
  for (const auto& k : keys) {
    backend.set_current_key(k);
    CHECK(backend.current_key_group() == key_group(k, 16));
    backend.get_value_state<int>("count").update(1);
    if (k.size() % 2 == 0) backend.get_list_state<int>("list").add(2);
    by_group[key_group(k, 16)].insert(k);
  }
  std::size_t total = 0;
  for (int kg = 8; kg < 16; ++kg) {
    std::map<std::string, std::set<std::string>> seen;  // state -> keys
    backend.for_each_entry(kg, [&](const eddy::state_table_base<std::string>& s,
                                   const std::string& k) { seen[s.name()].insert(k); });
    CHECK(seen["count"] == by_group[kg]);
    for (const auto& k : seen["list"]) {
      CHECK(k.size() % 2 == 0);
      CHECK(by_group[kg].count(k) == 1);
    }
    CHECK(backend.entry_count(kg) == seen["count"].size() + seen["list"].size());
    total += backend.entry_count(kg);
  }
  CHECK(total == backend.entry_count());
  CHECK(backend.states().size() == 2);
  CHECK(backend.find_state("count")->size() == keys.size());
  CHECK_THROWS_AS(backend.entry_count(3), std::out_of_range);  // not owned

  // Clearing one key group leaves the others.
  const auto in_8 = backend.entry_count(8);
  backend.clear(8);
  CHECK(backend.entry_count(8) == 0);
  CHECK(backend.entry_count() == total - in_8);
  backend.clear();
  CHECK(backend.entry_count() == 0);
}

TEST_CASE("a key of a key group another subtask owns is a routing error naming both",
          "[state][key-group]") {
  keyed_state_backend<std::string> backend(128, 4, 0);  // owns [0, 32)
  std::string foreign;
  for (int i = 0; foreign.empty(); ++i) {
    std::string k = "k" + std::to_string(i);
    if (eddy::subtask_of_key_group(key_group(k), 128, 4) == 2) foreign = k;
  }
  const std::string expected = "key \"" + foreign + "\" belongs to key group " +
                               std::to_string(key_group(foreign)) +
                               ", owned by subtask 2, not this one";
  CHECK_THROWS_WITH(backend.set_current_key(foreign), Catch::Contains(expected));
  CHECK_THROWS_AS(backend.set_current_key(foreign), std::logic_error);
}

TEST_CASE("state used without a current key is an error", "[state]") {
  keyed_state_backend<int> backend(128, 1, 0);
  auto v = backend.get_value_state<int>("v");
  CHECK_THROWS_AS(v.update(1), std::logic_error);
  int k = 7;
  backend.set_current_key(k);
  v.update(1);
  backend.reset_current_key();
  CHECK_THROWS_WITH(v.value(), Catch::Contains("no current key"));
}

TEST_CASE("a state name used with two types is an error naming the state and both types",
          "[state]") {
  fixture f;
  f.use("a");
  f.backend.get_value_state<int>("x").update(1);
  CHECK_THROWS_WITH(f.backend.get_list_state<int>("x"), Catch::Contains("state 'x'") &&
                                                            Catch::Contains("value_state<int>") &&
                                                            Catch::Contains("list_state<int>"));
  CHECK_THROWS_WITH(f.backend.get_value_state<long>("x"), Catch::Contains("value_state<long>"));
  CHECK_THROWS_AS(f.backend.get_reducing_state<int>("x", [](int a, int b) { return a + b; }),
                  std::logic_error);
  CHECK(f.backend.get_value_state<int>("x").value() == 1);  // the state is untouched
}

TEST_CASE("a state used with two TTL configurations is an error", "[state][ttl]") {
  fixture f;
  f.use("a");
  f.backend.get_value_state<int>("x", ttl(100ms)).update(1);
  CHECK_NOTHROW(f.backend.get_value_state<int>("x", ttl(100ms)));
  CHECK_NOTHROW(f.backend.get_value_state<int>("x"));  // uses the state as created
  CHECK_THROWS_WITH(f.backend.get_value_state<int>("x", ttl(200ms)),
                    Catch::Contains("state 'x'") && Catch::Contains("TTL"));
  f.backend.get_value_state<int>("y").update(1);
  CHECK_THROWS_WITH(f.backend.get_value_state<int>("y", ttl(100ms)),
                    Catch::Contains("first used without TTL"));
  CHECK_THROWS_AS(state_ttl_config::new_builder(0ms).build(), std::invalid_argument);
}

TEST_CASE("state reads see removals made by cleanup and clear while a key is current", "[state]") {
  fixture f;
  f.use("a");
  auto v = f.backend.get_value_state<int>("v", ttl(100ms));
  auto l = f.backend.get_list_state<int>("l");
  v.update(1);
  l.add(1);
  CHECK(v.value() == 1);
  f.clock.set(1100);
  f.backend.cleanup_expired();  // removes a's value although a is current
  CHECK(f.backend.entry_count() == 1);
  v.update(2);
  CHECK(v.value() == 2);
  CHECK(f.backend.entry_count() == 2);  // stored again, not written into the removed entry
  f.backend.clear();
  CHECK_FALSE(v.value().has_value());
  CHECK(l.get().empty());
  v.update(3);
  l.add(3);
  f.backend.clear(key_group("a"));
  CHECK_FALSE(v.value().has_value());
  CHECK(l.get().empty());
  v.update(4);
  const std::string same = "a";  // the same key through another object: the same entry
  f.backend.set_current_key(same);
  CHECK(v.value() == 4);
  CHECK(f.backend.entry_count() == 1);
}

// ---- state kinds ----------------------------------------------------------------------------

TEST_CASE("value state holds one value per key and removes cleared entries", "[state]") {
  fixture f;
  auto v = [&] { return f.backend.get_value_state<std::string>("v"); };
  f.use("a");
  CHECK_FALSE(v().value().has_value());
  CHECK(f.backend.entry_count() == 0);  // reading creates nothing
  v().update("x");
  f.use("b");
  CHECK_FALSE(v().value().has_value());
  v().update("y");
  v().update("z");
  f.use("a");
  CHECK(v().value() == "x");
  f.use("b");
  CHECK(v().value() == "z");
  CHECK(f.backend.entry_count() == 2);
  v().clear();
  CHECK_FALSE(v().value().has_value());
  CHECK(f.backend.entry_count() == 1);
}

TEST_CASE("a state handle works on the key current when it is used", "[state]") {
  fixture f;
  f.use("a");
  auto v = f.backend.get_value_state<int>("v");
  v.update(1);
  f.use("b");
  CHECK_FALSE(v.value().has_value());
  v.update(2);
  f.use("a");
  CHECK(v.value() == 1);
}

TEST_CASE("list state: get, add, add_all, update and clear", "[state]") {
  fixture f;
  auto l = [&] { return f.backend.get_list_state<int>("l"); };
  f.use("a");
  CHECK(l().get().empty());
  l().add(1);
  l().add(2);
  l().add_all({3, 4});
  CHECK(l().get() == std::vector<int>{1, 2, 3, 4});
  f.use("b");
  CHECK(l().get().empty());
  l().add(9);
  f.use("a");
  l().update({7, 8});
  CHECK(l().get() == std::vector<int>{7, 8});
  l().update({});  // an empty list clears
  CHECK(l().get().empty());
  CHECK(f.backend.entry_count() == 1);
  f.use("b");
  CHECK(l().get() == std::vector<int>{9});
  l().clear();
  CHECK(f.backend.entry_count() == 0);
}

TEST_CASE("map state: get, put, contains, remove, entries, keys, values, is_empty", "[state]") {
  fixture f;
  auto m = [&] { return f.backend.get_map_state<std::string, int>("m"); };
  f.use("a");
  CHECK(m().is_empty());
  CHECK(m().get("x") == nullptr);
  m().put("y", 2);
  m().put("x", 1);
  m().put("z", 3);
  m().put("x", 10);
  m().put_all({{"w", 0}});
  CHECK(*m().get("x") == 10);
  CHECK(m().contains("z"));
  CHECK_FALSE(m().contains("q"));
  CHECK(m().entries() == std::map<std::string, int>{{"w", 0}, {"x", 10}, {"y", 2}, {"z", 3}});
  std::vector<std::string> keys;
  for (const auto& k : m().keys()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"w", "x", "y", "z"});
  std::vector<int> values;
  for (int v : m().values()) values.push_back(v);
  CHECK(values == std::vector<int>{0, 10, 2, 3});
  CHECK(m().keys().size() == 4);
  m().remove("y");
  m().remove("nothing");
  CHECK(m().entries().size() == 3);
  f.use("b");
  CHECK(m().is_empty());
  m().put("x", 5);
  f.use("a");
  CHECK(*m().get("x") == 10);
  for (const char* k : {"w", "x", "z"}) m().remove(k);  // the last removal removes the entry
  CHECK(m().is_empty());
  CHECK(f.backend.entry_count() == 1);
  f.use("b");
  m().clear();
  CHECK(f.backend.entry_count() == 0);
}

TEST_CASE("reducing state folds added values per key", "[state]") {
  fixture f;
  auto r = [&] {
    return f.backend.get_reducing_state<int>("max", [](int a, int b) { return a < b ? b : a; });
  };
  f.use("a");
  CHECK_FALSE(r().get().has_value());
  for (int v : {3, 9, 4}) r().add(v);
  f.use("b");
  r().add(-5);
  f.use("a");
  CHECK(r().get() == 9);
  f.use("b");
  CHECK(r().get() == -5);
  r().clear();
  CHECK_FALSE(r().get().has_value());
}

TEST_CASE("aggregating state folds with an aggregate function", "[state]") {
  fixture f;
  f.use("a");
  auto avg = f.backend.get_aggregating_state<int>("avg", average{});
  CHECK_FALSE(avg.get().has_value());
  for (int v : {1, 2, 6}) avg.add(v);
  CHECK(avg.get() == 3.0);
  f.use("b");
  CHECK_FALSE(avg.get().has_value());
  avg.add(10);
  CHECK(avg.get() == 10.0);
  avg.clear();
  CHECK_FALSE(avg.get().has_value());
  f.use("a");
  CHECK(avg.get() == 3.0);

  // An aggregate function whose add returns the accumulator (Flink's signature) works too.
  auto joined = f.backend.get_aggregating_state<std::string>("joined", joiner{});
  joined.add("x");
  joined.add("y");
  CHECK(joined.get() == std::string("[x,y]"));
}

// ---- TTL --------------------------------------------------------------------------------------

TEST_CASE("value state expires per key after its TTL", "[state][ttl]") {
  fixture f;
  SECTION("on create and write, never return expired") {
    auto v = [&] { return f.backend.get_value_state<int>("v", ttl(100ms)); };
    f.use("a");
    v().update(1);  // at 1000
    f.clock.set(1050);
    f.use("b");
    v().update(2);  // at 1050
    f.clock.set(1099);
    f.use("a");
    CHECK(v().value() == 1);  // reading does not extend the TTL
    f.clock.set(1100);
    CHECK_FALSE(v().value().has_value());  // expired at 1000 + 100
    CHECK(f.backend.entry_count() == 1);   // and removed when read
    f.use("b");
    CHECK(v().value() == 2);
    v().update(3);  // a write refreshes
    f.clock.set(1149);
    CHECK(v().value() == 3);
  }
  SECTION("on read and write") {
    auto v = [&] {
      return f.backend.get_value_state<int>("v", ttl(100ms, ttl_update_type::on_read_and_write));
    };
    f.use("a");
    v().update(1);
    f.clock.set(1080);
    CHECK(v().value() == 1);  // refreshes to 1080
    f.clock.set(1179);
    CHECK(v().value() == 1);  // refreshes to 1179
    f.clock.set(1279);
    CHECK_FALSE(v().value().has_value());
    CHECK(f.backend.entry_count() == 0);
  }
  SECTION("return expired if not cleaned up") {
    auto v = [&] {
      return f.backend.get_value_state<int>("v",
                                            ttl(100ms, ttl_update_type::on_create_and_write,
                                                ttl_visibility::return_expired_if_not_cleaned_up));
    };
    f.use("a");
    v().update(1);
    f.clock.set(5000);
    CHECK(v().value() == 1);  // expired but still there: returned, and removed by this read
    CHECK(f.backend.entry_count() == 0);
    CHECK_FALSE(v().value().has_value());
  }
}

TEST_CASE("reducing and aggregating state expire per key, an expired value is not folded in",
          "[state][ttl]") {
  fixture f;
  f.use("a");
  auto sum = f.backend.get_reducing_state<int>(
      "sum", [](int a, int b) { return a + b; }, ttl(100ms));
  auto avg = f.backend.get_aggregating_state<int>("avg", average{}, ttl(100ms));
  sum.add(1);
  avg.add(1);
  f.clock.set(1099);
  sum.add(2);  // a write: refreshes to 1099
  avg.add(3);
  CHECK(sum.get() == 3);
  CHECK(avg.get() == 2.0);
  f.clock.set(1199);
  CHECK_FALSE(sum.get().has_value());
  CHECK_FALSE(avg.get().has_value());
  CHECK(f.backend.entry_count() == 0);
  sum.add(5);
  avg.add(7);
  f.clock.set(1400);
  sum.add(10);  // the old 5 expired at 1299: starts again from 10
  avg.add(20);
  CHECK(sum.get() == 10);
  CHECK(avg.get() == 20.0);

  SECTION("on read and write") {
    auto r = f.backend.get_reducing_state<int>(
        "r", [](int a, int b) { return a + b; }, ttl(100ms, ttl_update_type::on_read_and_write));
    r.add(1);  // at 1400
    f.clock.set(1450);
    CHECK(r.get() == 1);  // refreshes to 1450
    f.clock.set(1549);
    r.add(1);
    CHECK(r.get() == 2);
  }
  SECTION("return expired if not cleaned up") {
    auto a =
        f.backend.get_aggregating_state<int>("a", average{},
                                             ttl(100ms, ttl_update_type::on_create_and_write,
                                                 ttl_visibility::return_expired_if_not_cleaned_up));
    a.add(4);
    f.clock.set(2000);
    CHECK(a.get() == 4.0);
    CHECK_FALSE(a.get().has_value());
  }
}

TEST_CASE("list state expires per element", "[state][ttl]") {
  fixture f;
  f.use("a");
  SECTION("on create and write, never return expired") {
    auto l = f.backend.get_list_state<int>("l", ttl(100ms));
    l.add(1);  // 1000
    f.clock.set(1050);
    l.add_all({2, 3});  // 1050
    f.clock.set(1099);
    CHECK(l.get() == std::vector<int>{1, 2, 3});
    f.clock.set(1100);
    CHECK(l.get() == std::vector<int>{2, 3});
    l.add(4);  // 1100
    f.clock.set(1150);
    CHECK(l.get() == std::vector<int>{4});
    f.clock.set(1200);
    CHECK(l.get().empty());
    CHECK(f.backend.entry_count() == 0);
    l.add(5);
    l.update({6, 7});  // update sets every element's time
    f.clock.set(1299);
    CHECK(l.get() == std::vector<int>{6, 7});
  }
  SECTION("on read and write") {
    auto l = f.backend.get_list_state<int>("l", ttl(100ms, ttl_update_type::on_read_and_write));
    l.add(1);
    f.clock.set(1050);
    l.add(2);
    f.clock.set(1099);
    CHECK(l.get() == std::vector<int>{1, 2});  // both refreshed to 1099
    f.clock.set(1198);
    CHECK(l.get() == std::vector<int>{1, 2});
    f.clock.set(1298);
    CHECK(l.get().empty());
  }
  SECTION("return expired if not cleaned up") {
    auto l =
        f.backend.get_list_state<int>("l", ttl(100ms, ttl_update_type::on_create_and_write,
                                               ttl_visibility::return_expired_if_not_cleaned_up));
    l.add(1);
    f.clock.set(1050);
    l.add(2);
    f.clock.set(1120);
    CHECK(l.get() == std::vector<int>{1, 2});  // 1 expired, returned once
    CHECK(l.get() == std::vector<int>{2});
    f.clock.set(1500);
    CHECK(l.get() == std::vector<int>{2});
    CHECK(l.get().empty());
    CHECK(f.backend.entry_count() == 0);
  }
}

TEST_CASE("map state expires per entry", "[state][ttl]") {
  fixture f;
  f.use("a");
  SECTION("on create and write, never return expired") {
    auto m = f.backend.get_map_state<std::string, int>("m", ttl(100ms));
    m.put("x", 1);  // 1000
    f.clock.set(1050);
    m.put("y", 2);  // 1050
    f.clock.set(1099);
    CHECK(m.contains("x"));  // reading does not refresh
    f.clock.set(1100);
    CHECK(m.get("x") == nullptr);
    CHECK(*m.get("y") == 2);
    CHECK(m.entries() == std::map<std::string, int>{{"y", 2}});
    m.put("x", 3);  // 1100
    f.clock.set(1150);
    CHECK(m.entries() == std::map<std::string, int>{{"x", 3}});
    CHECK(m.keys().size() == 1);
    f.clock.set(1200);
    CHECK(m.is_empty());
    CHECK(f.backend.entry_count() == 0);
  }
  SECTION("on read and write") {
    auto m = f.backend.get_map_state<std::string, int>(
        "m", ttl(100ms, ttl_update_type::on_read_and_write));
    m.put("x", 1);
    m.put("y", 2);
    f.clock.set(1090);
    CHECK(m.get("x") != nullptr);  // refreshes x only
    f.clock.set(1100);
    CHECK(m.entries() == std::map<std::string, int>{{"x", 1}});  // y expired; x refreshed to 1100
    f.clock.set(1199);
    CHECK(m.contains("x"));
    f.clock.set(1299);
    CHECK(m.is_empty());
  }
  SECTION("return expired if not cleaned up") {
    auto m = f.backend.get_map_state<std::string, int>(
        "m", ttl(100ms, ttl_update_type::on_create_and_write,
                 ttl_visibility::return_expired_if_not_cleaned_up));
    m.put("x", 1);
    m.put("y", 2);
    f.clock.set(1050);
    m.put("z", 3);
    f.clock.set(1100);
    REQUIRE(m.get("x") != nullptr);
    CHECK(*m.get("y") == 2);  // a pointer valid until the next operation
    CHECK(m.get("x") == nullptr);
    CHECK(m.get("y") == nullptr);
    f.clock.set(1150);
    CHECK(m.entries() == std::map<std::string, int>{{"z", 3}});
    CHECK(m.entries().empty());
    CHECK(f.backend.entry_count() == 0);
  }
}

TEST_CASE("incremental cleanup removes expired entries a bounded number at a time",
          "[state][ttl]") {
  fixture f;
  const auto cfg = state_ttl_config::new_builder(100ms).cleanup_incrementally(50).build();
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("k" + std::to_string(i));
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i == 500) f.clock.set(1500);  // the second half is written later
    f.use(keys[i]);
    f.backend.get_value_state<int>("v", cfg).update(1);
    f.backend.get_list_state<int>("l", cfg).add(1);
  }
  f.backend.reset_current_key();
  REQUIRE(f.backend.entry_count() == 2000);
  f.clock.set(1550);  // the first half expired, the second not
  std::size_t steps = 0;
  while (f.backend.entry_count() > 1000 && steps < 1000) {
    const std::size_t visited = f.backend.cleanup_expired();
    CHECK(visited <= 2 * 50);  // bounded: at most cleanup_size per state and step
    ++steps;
  }
  CHECK(f.backend.entry_count() == 1000);  // every expired entry went, without any access
  CHECK(steps >= 500 / 50);  // at least the 500 expired entries of a state, 50 per step
  for (std::size_t i = 500; i < keys.size(); ++i) {
    f.use(keys[i]);
    CHECK(f.backend.get_value_state<int>("v").value() == 1);
  }
  f.backend.reset_current_key();
  // Expired elements inside a list go too, leaving the unexpired ones.
  f.use("mixed");
  auto l = f.backend.get_list_state<int>("l");
  l.add(1);  // 1550
  f.clock.set(1600);
  l.add(2);
  f.backend.reset_current_key();
  f.clock.set(1650);  // 1 expired; 2 not; the other keys of "l" (written 1500) expired too
  for (int i = 0; i < 200; ++i) f.backend.cleanup_expired();
  CHECK(f.backend.find_state("l")->size() == 1);
  auto* table = dynamic_cast<eddy::state_table<std::string, eddy::detail::list_cell<int>>*>(
      f.backend.find_state("l"));
  REQUIRE(table != nullptr);
  table->for_each(key_group("mixed"), [](const std::string& k, const auto& cell) {
    CHECK(k == "mixed");
    CHECK(cell.values == std::vector<int>{2});
  });
}

// ---- timers -----------------------------------------------------------------------------------

TEST_CASE("timers are deduplicated per key and time, deletable, and fire in time order",
          "[state][timers]") {
  eddy::timer_service<std::string> timers;
  CHECK(timers.register_event_time_timer("b", 20));
  CHECK_FALSE(timers.register_event_time_timer("b", 20));  // already there
  CHECK(timers.register_event_time_timer("a", 20));
  CHECK(timers.register_event_time_timer("a", 10));
  CHECK(timers.register_event_time_timer("c", 30));
  CHECK(timers.register_processing_time_timer("a", 10));  // other domain: separate
  CHECK(timers.delete_event_time_timer("c", 30));
  CHECK_FALSE(timers.delete_event_time_timer("c", 30));
  CHECK(timers.next_event_time_timer() == 10);
  CHECK(timers.event_time_timer_count() == 3);

  std::vector<std::string> fired;
  auto record = [&](std::int64_t t, const std::string& k) {
    fired.push_back(k + "@" + std::to_string(t));
  };
  CHECK(timers.fire_event_time_timers(9, record) == 0);
  CHECK(timers.fire_event_time_timers(20, record) == 3);
  CHECK(fired == std::vector<std::string>{"a@10", "a@20", "b@20"});
  CHECK(timers.event_time_timer_count() == 0);
  CHECK(timers.processing_time_timer_count() == 1);

  // A timer registered while firing fires in the same call if due.
  fired.clear();
  timers.register_processing_time_timer("x", 50);
  timers.fire_processing_time_timers(100, [&](std::int64_t t, const std::string& k) {
    record(t, k);
    if (k == "a") timers.register_processing_time_timer("y", 60);
    if (k == "y") timers.register_processing_time_timer("z", 101);  // not due
  });
  CHECK(fired == std::vector<std::string>{"a@10", "x@50", "y@60"});
  CHECK(timers.next_processing_time_timer() == 101);
}

TEST_CASE("at end of input every pending timer fires", "[state][timers]") {
  eddy::timer_service<int> timers;
  timers.register_processing_time_timer(1, 5000);
  timers.register_processing_time_timer(2, 3000);
  timers.register_event_time_timer(3, 100);
  std::vector<std::string> fired;
  const auto n = timers.fire_at_end_of_input(
      1000, eddy::max_watermark, [&](eddy::time_domain d, std::int64_t t, int k) {
        fired.push_back((d == eddy::time_domain::event_time ? "e" : "p") + std::to_string(k) + "@" +
                        std::to_string(t));
        if (k == 2) timers.register_processing_time_timer(4, 4000);  // before the end (5000)
        if (k == 4) timers.register_event_time_timer(5, 200);
        if (k == 1) timers.register_processing_time_timer(6, 6000);  // after it: stays pending
      });
  CHECK(n == 5);
  CHECK(fired == std::vector<std::string>{"p2@3000", "p4@4000", "p1@5000", "e3@100", "e5@200"});
  CHECK(timers.processing_time_timer_count() == 1);
  CHECK(timers.event_time_timer_count() == 0);
}

TEST_CASE("a backend's snapshot restores into backends of another parallelism, lazily by state",
          "[state][checkpoint]") {
  using eddy::keyed_state_backend;
  keyed_state_backend<std::string> one(16, 1, 0);
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("k" + std::to_string(i));
  for (std::size_t i = 0; i < keys.size(); ++i) {
    one.set_current_key(keys[i]);
    one.get_value_state<std::int64_t>("v").update(static_cast<std::int64_t>(i));
    one.get_list_state<std::string>("l").add(keys[i] + "!");
    one.get_map_state<int, int>("m").put(static_cast<int>(i), static_cast<int>(i * 2));
  }
  one.reset_current_key();
  std::vector<eddy::state_entry> snap;
  one.snapshot(snap);
  REQUIRE_FALSE(snap.empty());
  for (const auto& e : snap) CHECK(e.key_group >= 0);

  // Restore into two subtasks: each takes the entries of its key groups.
  for (int index = 0; index < 2; ++index) {
    keyed_state_backend<std::string> half(16, 2, index);
    std::vector<eddy::state_entry> mine;
    for (const auto& e : snap)
      if (eddy::subtask_of_key_group(e.key_group, 16, 2) == index) mine.push_back(e);
    half.restore(mine);
    // Not used yet: a snapshot passes the entries on unchanged.
    std::vector<eddy::state_entry> again;
    half.snapshot(again);
    CHECK(again.size() == mine.size());
    std::size_t owned = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const int kg = eddy::key_group_of(eddy::key_hash(keys[i]), 16);
      if (eddy::subtask_of_key_group(kg, 16, 2) != index) continue;
      ++owned;
      half.set_current_key(keys[i]);
      CHECK(half.get_value_state<std::int64_t>("v").value() == static_cast<std::int64_t>(i));
      CHECK(half.get_list_state<std::string>("l").get() == std::vector<std::string>{keys[i] + "!"});
      const int* m = half.get_map_state<int, int>("m").get(static_cast<int>(i));
      REQUIRE(m);
      CHECK(*m == static_cast<int>(i * 2));
    }
    half.reset_current_key();
    CHECK(owned > 50);
    CHECK(half.entry_count() == 3 * owned);
  }

  // Used with another type: the restore names the state and both types.
  keyed_state_backend<std::string> wrong(16, 1, 0);
  wrong.restore(snap);
  wrong.set_current_key(keys[0]);
  CHECK_THROWS_WITH(wrong.get_value_state<std::string>("v"),
                    Catch::Contains("'v'") && Catch::Contains("type changed"));
}

}  // namespace keyed_state_test
