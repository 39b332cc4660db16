#include <catch2/catch.hpp>

#include "../../../runtime/src/rate_limiter.hpp"

using eddy::detail::rate_limiter;
using namespace std::chrono_literals;

TEST_CASE("the rate limiter gives records at its rate, with at most 10 ms worth at once") {
  rate_limiter r(1000);  // 1000 records/s: 1 per ms, bursts of 10
  CHECK(r.limited());
  const auto t0 = rate_limiter::clock_type::time_point{} + 1h;
  CHECK(r.take(100, t0) == 1);  // starts with one token
  CHECK(r.take(100, t0) == 0);
  CHECK(r.wait() >= 1ms);
  CHECK(r.take(100, t0 + 5ms) == 5);
  CHECK(r.take(100, t0 + 1s) == 10);      // a long pause gives one burst, not a second's worth
  CHECK(r.take(3, t0 + 1s + 10ms) == 3);  // never more than asked
  CHECK(!rate_limiter().limited());
}
