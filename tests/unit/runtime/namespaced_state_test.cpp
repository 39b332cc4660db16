// Keyed state and timers in namespaces (keyed_state_backend's get_namespaced_*_state,
// timer_service<K, N>): entries per (key, namespace) against a brute-force map under random
// key and namespace switches, plain and namespaced states side by side, their own snapshot tag
// (one entry per state and key group) restoring at another parallelism by key group, the
// errors, and namespaced timers (order, deduplication, deletion, snapshots).
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/snapshot.hpp"
#include "eddy/runtime/state/keyed_state_backend.hpp"
#include "eddy/runtime/state/timer_service.hpp"

namespace {

using ns_t = std::int64_t;
constexpr int max_par = 128;

}  // namespace

TEST_CASE("namespaced value and list state hold one entry per key and namespace, as a map would",
          "[state][namespace]") {
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    eddy::keyed_state_backend<std::string> backend(max_par, 1, 0, [] { return std::int64_t{0}; });
    auto value = backend.get_namespaced_value_state<ns_t, std::int64_t>("v");
    auto list = backend.get_namespaced_list_state<ns_t, std::int64_t>("l");
    auto plain = backend.get_value_state<std::int64_t>("plain");
    std::map<std::pair<std::string, ns_t>, std::int64_t> want_value;
    std::map<std::pair<std::string, ns_t>, std::vector<std::int64_t>> want_list;
    std::map<std::string, std::int64_t> want_plain;
    std::vector<std::string> keys;
    for (int i = 0; i < 12; ++i) keys.push_back("key" + std::to_string(i));
    std::string key = keys[0];
    ns_t ns = 0;
    backend.set_current_key(key);
    value.set_current_namespace(ns);
    list.set_current_namespace(ns);
    for (int step = 0; step < 4000; ++step) {
      const auto op = rng() % 10;
      if (op == 0) {
        key = keys[rng() % keys.size()];
        backend.set_current_key(key);
      } else if (op == 1) {
        ns = static_cast<ns_t>(rng() % 7);
        value.set_current_namespace(ns);
        list.set_current_namespace(ns);
      } else if (op == 2) {
        const auto v = static_cast<std::int64_t>(rng() % 100);
        value->update(v);
        want_value[{key, ns}] = v;
      } else if (op == 3) {
        value->value_for_update() += 5;
        want_value[{key, ns}] += 5;
      } else if (op == 4) {
        value->clear();
        want_value.erase({key, ns});
      } else if (op == 5) {
        const auto v = static_cast<std::int64_t>(rng() % 100);
        list->add(v);
        want_list[{key, ns}].push_back(v);
      } else if (op == 6) {
        list->clear();
        want_list.erase({key, ns});
      } else if (op == 7) {
        plain.update(step);
        want_plain[key] = step;
      } else {
        const auto wv = want_value.find({key, ns});
        const auto& got = value->value();
        REQUIRE(got.has_value() == (wv != want_value.end()));
        if (got) REQUIRE(*got == wv->second);
        const auto wl = want_list.find({key, ns});
        REQUIRE(list->get() == (wl == want_list.end() ? std::vector<std::int64_t>{} : wl->second));
        const auto wp = want_plain.find(key);
        REQUIRE(plain.value() == (wp == want_plain.end() ? std::optional<std::int64_t>()
                                                         : std::optional(wp->second)));
      }
    }
    CHECK(backend.find_state("v")->size() == want_value.size());
    CHECK(backend.find_state("l")->size() == want_list.size());
    CHECK(backend.find_state("plain")->size() == want_plain.size());
  }
}

TEST_CASE("namespaced states snapshot under their own tag and restore by key group elsewhere",
          "[state][namespace]") {
  eddy::keyed_state_backend<std::string> backend(max_par, 1, 0);
  eddy::timer_service<std::string, ns_t> timers;
  std::map<std::pair<std::string, ns_t>, std::int64_t> want;
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.push_back("k" + std::to_string(i));
  auto agg = backend.get_namespaced_reducing_state<ns_t, std::int64_t>(
      "sum", [](std::int64_t a, std::int64_t b) { return a + b; });
  auto m = backend.get_namespaced_map_state<ns_t, std::int64_t, std::string>("m");
  auto plain = backend.get_value_state<std::int64_t>("plain");
  for (const auto& k : keys) {
    backend.set_current_key(k);
    plain.update(static_cast<std::int64_t>(k.size()));
    for (ns_t n = 0; n < 3; ++n) {
      agg.set_current_namespace(n);
      m.set_current_namespace(n);
      agg->add(n + 1);
      agg->add(10);
      m->put(n, k);
      want[{k, n}] = n + 11;
      timers.register_event_time_timer(k, n, 100 + n);
    }
  }
  std::vector<eddy::state_entry> snap;
  backend.snapshot(snap);
  timers.snapshot(max_par, snap);
  std::set<std::pair<std::string, int>> seen;
  for (const auto& e : snap) {
    CHECK(seen.insert({e.name, e.key_group}).second);  // one entry per state and key group
    if (e.name == "sum") CHECK(e.type == "keyed_state_ns:reducing_state<long> in namespace long");
    if (e.name == "plain") CHECK(e.type == "keyed_state:value_state<long>");
  }

  std::size_t restored = 0, timers_restored = 0;
  for (int p = 0; p < 2; ++p) {
    eddy::keyed_state_backend<std::string> b(max_par, 2, p);
    eddy::timer_service<std::string, ns_t> t;
    std::vector<eddy::state_entry> mine;
    for (const auto& e : snap)
      if (b.key_groups().contains(e.key_group)) mine.push_back(e);
    b.restore(mine);
    t.restore(mine);
    timers_restored += t.event_time_timer_count();
    auto s = b.get_namespaced_reducing_state<ns_t, std::int64_t>(
        "sum", [](std::int64_t a, std::int64_t b2) { return a + b2; });
    auto mm = b.get_namespaced_map_state<ns_t, std::int64_t, std::string>("m");
    for (const auto& k : keys) {
      const int kg = eddy::key_group_of(eddy::key_hash(k), max_par);
      if (!b.key_groups().contains(kg)) continue;
      b.set_current_key(k);
      CHECK(b.get_value_state<std::int64_t>("plain").value() ==
            std::optional<std::int64_t>(static_cast<std::int64_t>(k.size())));
      for (ns_t n = 0; n < 3; ++n) {
        s.set_current_namespace(n);
        mm.set_current_namespace(n);
        CHECK(s->get() == std::optional<std::int64_t>(want[{k, n}]));
        const auto* v = mm->get(n);
        REQUIRE(v);
        CHECK(*v == k);
        ++restored;
      }
    }
    std::vector<std::tuple<std::int64_t, std::string, ns_t>> fired;
    t.fire_event_time_timers(std::numeric_limits<std::int64_t>::max(),
                             [&](std::int64_t at, const std::string& k, const ns_t& n) {
                               fired.emplace_back(at, k, n);
                             });
    CHECK(std::is_sorted(fired.begin(), fired.end()));
  }
  CHECK(restored == want.size());
  CHECK(timers_restored == want.size());
}

TEST_CASE("namespaced state errors: no namespace, a name used plain and namespaced",
          "[state][namespace]") {
  eddy::keyed_state_backend<int> backend(max_par, 1, 0);
  auto v = backend.get_namespaced_value_state<ns_t, int>("v");
  const int key = 3;  // must outlive its time as the current key
  backend.set_current_key(key);
  CHECK_THROWS_WITH(v->value(), Catch::Contains("no current namespace") && Catch::Contains("'v'"));
  CHECK_THROWS_WITH(backend.get_value_state<int>("v"),
                    Catch::Contains("two different types") &&
                        Catch::Contains("value_state<int> in namespace long"));
  (void)backend.get_value_state<int>("p");
  CHECK_THROWS_AS((backend.get_namespaced_value_state<ns_t, int>("p")), std::logic_error);
  // A plain state's entries restored into a namespaced one (or back) are refused.
  v.set_current_namespace(1);
  v->update(7);
  std::vector<eddy::state_entry> snap;
  backend.snapshot(snap);
  eddy::keyed_state_backend<int> other(max_par, 1, 0);
  other.restore(snap);
  CHECK_THROWS_WITH(other.get_value_state<int>("v"), Catch::Contains("was checkpointed as"));
}

TEST_CASE("namespaced timers: one per time, key and namespace, fired by time, key, namespace",
          "[state][namespace][timers]") {
  eddy::timer_service<std::string, ns_t> t;
  CHECK(t.register_event_time_timer("b", 2, 10));
  CHECK(t.register_event_time_timer("b", 1, 10));
  CHECK(t.register_event_time_timer("a", 5, 10));
  CHECK(t.register_event_time_timer("a", 5, 5));
  CHECK_FALSE(t.register_event_time_timer("a", 5, 5));
  CHECK(t.register_processing_time_timer("a", 5, 5));
  CHECK(t.delete_event_time_timer("b", 2, 10));
  CHECK_FALSE(t.delete_event_time_timer("b", 2, 10));
  std::vector<std::tuple<std::int64_t, std::string, ns_t>> fired;
  CHECK(t.fire_event_time_timers(10, [&](std::int64_t at, const std::string& k, const ns_t& n) {
    fired.emplace_back(at, k, n);
  }) == 3);
  CHECK(fired == std::vector<std::tuple<std::int64_t, std::string, ns_t>>{
                     {5, "a", 5}, {10, "a", 5}, {10, "b", 1}});
  std::size_t end_fired = 0;
  t.fire_at_end_of_input(
      0, 0, [&](eddy::time_domain d, std::int64_t at, const std::string& k, const ns_t& n) {
        CHECK(d == eddy::time_domain::processing_time);
        CHECK(at == 5);
        CHECK(k == "a");
        CHECK(n == 5);
        ++end_fired;
      });
  CHECK(end_fired == 1);
}
