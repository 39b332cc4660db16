#include <catch2/catch.hpp>

#include "../../../runtime/src/watermark_valve.hpp"

using eddy::max_watermark;
using eddy::min_watermark;
using eddy::detail::watermark_valve;

TEST_CASE("the watermark valve passes the minimum over its channels, never going back") {
  watermark_valve v(2);
  CHECK(!v.on_watermark(0, 10).watermark);  // channel 1 has none yet
  auto o = v.on_watermark(1, 5);
  REQUIRE(o.watermark);
  CHECK(*o.watermark == 5);
  CHECK(*v.on_watermark(1, 20).watermark == 10);
  CHECK(!v.on_watermark(0, 8).watermark);  // a channel's watermark does not go back
  CHECK(v.current() == 10);
}

TEST_CASE("an idle channel stops holding event time back until it is active again") {
  watermark_valve v(2);
  v.on_watermark(0, 100);
  auto o = v.on_watermark(1, min_watermark);  // channel 1 idle
  REQUIRE(o.watermark);
  CHECK(*o.watermark == 100);
  CHECK(!o.idle);
  v.on_records(1);  // active again, at its old watermark (none): holds back, nothing goes back
  CHECK(!v.on_watermark(0, 200).watermark);
  CHECK(*v.on_watermark(1, 150).watermark == 150);
}

TEST_CASE(
    "when every channel is idle, event time moves to the largest watermark, then idles once") {
  watermark_valve v(2);
  v.on_watermark(0, 30);
  v.on_watermark(1, 70);
  CHECK(!v.on_watermark(1, min_watermark).watermark);  // channel 0 still active, at 30
  auto o = v.on_watermark(0, min_watermark);
  REQUIRE(o.watermark);
  CHECK(*o.watermark == 70);
  CHECK(o.idle);
  CHECK(!v.on_watermark(0, min_watermark).idle);  // idleness passes on once
}

TEST_CASE("ended channels count as the maximum, and finish ends event time once") {
  watermark_valve v(2);
  v.on_watermark(0, 40);
  CHECK(*v.on_end(1).watermark == 40);
  CHECK(v.finish());
  CHECK(v.current() == max_watermark);
  CHECK(!v.finish());
}
