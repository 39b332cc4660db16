// A job's control channel log and the control channel enumerator (runtime/src/control_log.hpp,
// eddy/runtime/control_channel.hpp): sequence numbers, errors, closing, wake-ups, split ids that
// belong to one log only, one source per channel; a file-backed log read back after a restart.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "../../../runtime/src/control_log.hpp"
#include "eddy/runtime/control_channel.hpp"
#include "support/test_support.hpp"

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

namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void append_raw(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::app);
  out << bytes;
}

}  // namespace

TEST_CASE(
    "a control log kept in a file reads back with its incarnation and messages, a torn last "
    "record cut off",
    "[control]") {
  eddy::testing::temp_dir tmp("eddy-control-log");
  const auto path = (tmp.path() / "job-1.control").string();
  constexpr char odd_bytes[] = "line one\nline two \xff\x00 end";
  const std::string odd(odd_bytes, sizeof odd_bytes - 1);  // a newline and a NUL inside
  std::uint64_t incarnation = 0;
  {
    auto log = control_log::create_file(path);
    REQUIRE(log);
    incarnation = (*log)->incarnation();
    REQUIRE(!(*log)->attach("patterns", 0, {}));
    REQUIRE(!(*log)->attach("config", 1, {}));
    REQUIRE((*log)->append("j-1", "patterns", "a").value() == 1);
    REQUIRE((*log)->append("j-1", "config", "x=1").value() == 1);
    REQUIRE((*log)->append("j-1", "patterns", odd).value() == 2);
  }
  append_raw(path, "m 3 8 4\npatter");  // a write the coordinator died in
  auto back = control_log::load_file(path);
  REQUIRE(back);
  auto& log = **back;
  CHECK(log.incarnation() == incarnation);
  CHECK(log.channels() == std::vector<std::string>{"config", "patterns"});
  const auto m = log.messages("patterns");
  REQUIRE(m.size() == 2);
  CHECK(m[0].text == "a");
  CHECK(m[1].seq == 2);
  CHECK(m[1].text == odd);
  CHECK(log.text("config", 1).value() == "x=1");
  // Sending goes on where the file ended (the torn record is gone from the file too).
  CHECK(log.append("j-1", "patterns", "b").value() == 3);
  auto again = control_log::load_file(path);
  REQUIRE(again);
  CHECK((*again)->messages("patterns").size() == 3);
  CHECK((*again)->text("patterns", 3).value() == "b");
  // The enumerator of the reloaded log knows the ids the old one handed out.
  control_channel_enumerator e("patterns");
  e.attach(*again);
  CHECK(e.split_data(std::to_string(incarnation) + "/2") == odd);
}

TEST_CASE("a control log file that does not read back is an error naming the file and record",
          "[control]") {
  eddy::testing::temp_dir tmp("eddy-control-log-bad");
  const auto path = tmp.path() / "job-1.control";
  // A missing file is a fresh log (a job recorded before logs were kept).
  auto fresh = control_log::load_file(path.string());
  REQUIRE(fresh);
  CHECK((*fresh)->channels().empty());
  CHECK(read_all(path).rfind("eddy control log v1 ", 0) == 0);

  std::ofstream(path, std::ios::trunc) << "hello\n";
  auto not_log = control_log::load_file(path.string());
  REQUIRE(!not_log);
  CHECK(not_log.error().message ==
        "control log " + path.string() +
            ", record 0: not an eddy control log (expected \"eddy control log v1 "
            "INCARNATION\")");

  std::ofstream(path, std::ios::trunc) << "eddy control log v1 7\nm 2 1 1\nab\n";
  auto gap = control_log::load_file(path.string());
  REQUIRE(!gap);
  CHECK(gap.error().message ==
        "control log " + path.string() + ", record 1: message 2 of channel 'a' follows message 0");

  std::ofstream(path, std::ios::trunc) << "eddy control log v1 7\nm 1 1 1\nabX\n";
  auto overrun = control_log::load_file(path.string());
  REQUIRE(!overrun);
  CHECK(overrun.error().message.find("record 1: the message does not end where its header says") !=
        std::string::npos);
}
