// A job's control channel log and the control channel enumerator (runtime/src/control_log.hpp,
// eddy/runtime/control_channel.hpp): sequence numbers, errors, closing, wake-ups, split ids that
// belong to one log only, one source per channel.
#include <catch2/catch.hpp>

#include <memory>

#include "../../../runtime/src/control_log.hpp"
#include "eddy/runtime/control_channel.hpp"

using eddy::control_channel_enumerator;
using eddy::detail::control_log;

TEST_CASE("a control log numbers each channel's messages and wakes its enumerator", "[control]") {
  control_log log;
  int wakes = 0;
  REQUIRE(!log.attach("patterns", 0, [&] { ++wakes; }));
  REQUIRE(!log.attach("config", 1, {}));
  CHECK(log.append("j-1", "patterns", "a").value() == 1);
  CHECK(log.append("j-1", "patterns", "b").value() == 2);
  CHECK(log.append("j-1", "config", "x").value() == 1);
  CHECK(wakes == 2);
  const auto m = log.messages("patterns");
  REQUIRE(m.size() == 2);
  CHECK(m[1].seq == 2);
  CHECK(m[1].text == "b");
  CHECK(log.text("patterns", 1).value() == "a");
  CHECK(!log.text("patterns", 3));
  CHECK(log.channels() == std::vector<std::string>{"config", "patterns"});
}

TEST_CASE("a control log refuses unknown and closed channels in one line", "[control]") {
  control_log log;
  auto none = log.append("j-1", "patterns", "a");
  REQUIRE(!none);
  CHECK(none.error().message == "job j-1 has no control channel 'patterns' (it has none)");
  REQUIRE(!log.attach("patterns", 0, {}));
  auto other = log.append("j-1", "config", "a");
  REQUIRE(!other);
  CHECK(other.error().message ==
        "job j-1 has no control channel 'config' (its channels: patterns)");
  log.close("patterns", "every other source ended");
  auto closed = log.append("j-1", "patterns", "a");
  REQUIRE(!closed);
  CHECK(closed.error().message ==
        "control channel 'patterns' of job j-1 has ended: every other source ended");
  REQUIRE(!log.attach("patterns", 0, {}));  // a new deployment opens it again
  CHECK(log.append("j-1", "patterns", "a").value() == 1);
}

TEST_CASE("a control channel has one source: a second source of the name is refused", "[control]") {
  control_log log;
  int first = 0, second = 0;
  REQUIRE(!log.attach("patterns", 2, [&] { ++first; }));
  auto other = log.attach("patterns", 5, [&] { ++second; });
  REQUIRE(other);
  CHECK(*other == 2);
  REQUIRE(log.append("j-1", "patterns", "a").has_value());
  CHECK(first == 1);  // the first source keeps the channel
  CHECK(second == 0);
  CHECK(!log.attach("patterns", 2, [&] { ++first; }));  // its own redeployment
}

TEST_CASE(
    "the control channel enumerator lists its log's messages as splits of reader 0, ids "
    "of another log give nothing",
    "[control]") {
  auto log = std::make_shared<control_log>(7);
  REQUIRE(!log->attach("patterns", 0, {}));
  REQUIRE(log->append("j", "patterns", "first").has_value());
  REQUIRE(log->append("j", "patterns", "second").has_value());
  control_channel_enumerator e("patterns");
  CHECK(e.discover(true).value().empty());  // not attached yet
  e.attach(log);
  const auto ids = e.discover(true).value();
  CHECK(ids == std::vector<std::string>{"7/1", "7/2"});
  CHECK(e.split_data("7/2") == "second");
  CHECK(e.owner("7/2", 3) == 0);
  CHECK(e.split_data("8/2").empty());  // another incarnation's message
  CHECK(e.split_data("7/9").empty());
  CHECK(e.split_data("garbage").empty());
  CHECK(control_log().incarnation() != control_log().incarnation());
}
