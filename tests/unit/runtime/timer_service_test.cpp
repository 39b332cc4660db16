// The timer service (eddy/runtime/state/timer_service.hpp) against a brute-force reference (a
// std::set of (time, key[, namespace]) per domain): random registrations, deletions, firings
// (also timers registered while firing) and end of input, plain and namespaced.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "eddy/runtime/state/timer_service.hpp"

namespace timer_service_test {

using eddy::time_domain;

/// What fired, in order: (domain, time, key, namespace; -1 without one).
using fired = std::tuple<int, std::int64_t, std::int64_t, std::int64_t>;

/// The reference: one ordered set per domain; fire = pop the least while due.
struct reference {
  std::set<std::tuple<std::int64_t, std::int64_t, std::int64_t>> sets[2];
  bool add(int d, std::int64_t t, std::int64_t k, std::int64_t n) {
    return sets[d].insert({t, k, n}).second;
  }
  bool remove(int d, std::int64_t t, std::int64_t k, std::int64_t n) {
    return sets[d].erase({t, k, n}) > 0;
  }
};

TEST_CASE("the timer service fires what a brute-force ordered set fires, in the same order") {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    eddy::timer_service<std::int64_t> plain;
    eddy::timer_service<std::int64_t, std::int64_t> spaced;
    reference ref_plain, ref_spaced;
    std::vector<fired> got_plain, got_spaced, want_plain, want_spaced;
    std::int64_t clock = 0;
    const std::int64_t keys = 1 + static_cast<std::int64_t>(rng() % 50);
    for (int step = 0; step < 20000; ++step) {
      const int op = static_cast<int>(rng() % 10);
      const int d = static_cast<int>(rng() % 2);
      const auto t = clock + static_cast<std::int64_t>(rng() % 40);
      const auto k = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(keys));
      const auto n = static_cast<std::int64_t>(rng() % 3);
      if (op < 5) {
        const bool a = d == 0 ? plain.register_event_time_timer(k, t)
                              : plain.register_processing_time_timer(k, t);
        REQUIRE(a == ref_plain.add(d, t, k, -1));
        const bool b = d == 0 ? spaced.register_event_time_timer(k, n, t)
                              : spaced.register_processing_time_timer(k, n, t);
        REQUIRE(b == ref_spaced.add(d, t, k, n));
      } else if (op < 7) {
        const bool a =
            d == 0 ? plain.delete_event_time_timer(k, t) : plain.delete_processing_time_timer(k, t);
        REQUIRE(a == ref_plain.remove(d, t, k, -1));
        const bool b = d == 0 ? spaced.delete_event_time_timer(k, n, t)
                              : spaced.delete_processing_time_timer(k, n, t);
        REQUIRE(b == ref_spaced.remove(d, t, k, n));
      } else {
        clock += static_cast<std::int64_t>(rng() % 10);
        // Firing: every due timer, least first; a fired timer sometimes registers another
        // (also a due one, which fires in the same call).
        auto fire_ref = [&](reference& r, std::vector<fired>& out, bool ns) {
          auto& s = r.sets[d];
          while (!s.empty() && std::get<0>(*s.begin()) <= clock) {
            auto [tt, kk, nn] = *s.begin();
            s.erase(s.begin());
            out.push_back({d, tt, kk, nn});
            if ((tt + kk) % 5 == 0) r.add(d, tt + (kk % 3), kk + 1, ns ? nn : -1);
          }
        };
        fire_ref(ref_plain, want_plain, false);
        fire_ref(ref_spaced, want_spaced, true);
        auto on_plain = [&](std::int64_t tt, const std::int64_t& kk) {
          got_plain.push_back({d, tt, kk, -1});
          if ((tt + kk) % 5 == 0) {
            if (d == 0)
              plain.register_event_time_timer(kk + 1, tt + (kk % 3));
            else
              plain.register_processing_time_timer(kk + 1, tt + (kk % 3));
          }
        };
        auto on_spaced = [&](std::int64_t tt, const std::int64_t& kk, const std::int64_t& nn) {
          got_spaced.push_back({d, tt, kk, nn});
          if ((tt + kk) % 5 == 0) {
            if (d == 0)
              spaced.register_event_time_timer(kk + 1, nn, tt + (kk % 3));
            else
              spaced.register_processing_time_timer(kk + 1, nn, tt + (kk % 3));
          }
        };
        if (d == 0) {
          plain.fire_event_time_timers(clock, on_plain);
          spaced.fire_event_time_timers(clock, on_spaced);
        } else {
          plain.fire_processing_time_timers(clock, on_plain);
          spaced.fire_processing_time_timers(clock, on_spaced);
        }
        REQUIRE(got_plain == want_plain);
        REQUIRE(got_spaced == want_spaced);
      }
      REQUIRE(plain.event_time_timer_count() == ref_plain.sets[0].size());
      REQUIRE(plain.processing_time_timer_count() == ref_plain.sets[1].size());
      REQUIRE(spaced.event_time_timer_count() == ref_spaced.sets[0].size());
      REQUIRE(spaced.processing_time_timer_count() == ref_spaced.sets[1].size());
      const auto next = plain.next_event_time_timer();
      REQUIRE(next.has_value() == !ref_plain.sets[0].empty());
      if (next) REQUIRE(*next == std::get<0>(*ref_plain.sets[0].begin()));
      const auto last = spaced.last_processing_time_timer();
      REQUIRE(last.has_value() == !ref_spaced.sets[1].empty());
      if (last) REQUIRE(*last == std::get<0>(*ref_spaced.sets[1].rbegin()));
    }
    // A checkpoint of what is pending restores to the same timers.
    std::vector<eddy::state_entry> snap;
    plain.snapshot(128, snap);
    eddy::timer_service<std::int64_t> restored;
    restored.restore(snap);
    std::vector<std::tuple<int, std::int64_t, std::int64_t>> a, b;
    plain.for_each_timer([&](time_domain dd, std::int64_t tt, const std::int64_t& kk) {
      a.push_back({dd == time_domain::event_time ? 0 : 1, tt, kk});
    });
    restored.for_each_timer([&](time_domain dd, std::int64_t tt, const std::int64_t& kk) {
      b.push_back({dd == time_domain::event_time ? 0 : 1, tt, kk});
    });
    CHECK(a == b);
    // End of input fires everything pending (no timer registers another here).
    std::size_t pending = plain.event_time_timer_count() + plain.processing_time_timer_count();
    CHECK(plain.fire_at_end_of_input(clock, std::numeric_limits<std::int64_t>::max(),
                                     [](time_domain, std::int64_t, const std::int64_t&) {}) ==
          pending);
    CHECK(plain.event_time_timer_count() + plain.processing_time_timer_count() == 0);
  }
}

}  // namespace timer_service_test
