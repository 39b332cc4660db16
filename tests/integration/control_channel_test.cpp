// Control channels on the embedded runtime (eddy/runtime/control_channel.hpp): lines sent with
// job_handle::send_control reach the job's control channel source in order, once in effect
// across a killed subtask and a restart from a checkpoint; a job resumed from a savepoint starts
// with its own channel; the channel ends with the job's other sources; errors are one line.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "eddy/operators/control_channel.hpp"
#include "eddy/operators/datastream.hpp"
#include "support/eddy_process.hpp"
#include "support/test_support.hpp"

namespace {

using eddy::testing::eventually;
using eddy::testing::temp_dir;
using namespace std::chrono_literals;

/// A source that emits nothing and ends once `open` is set: the job's "other" source, which
/// decides when the job (and so its control channel) ends. Checkpointable (no position).
class gate_source final : public eddy::source_function<std::string> {
 public:
  explicit gate_source(std::shared_ptr<std::atomic<bool>> open) : open_(std::move(open)) {}
  eddy::source_status poll(std::vector<std::string>&, std::size_t) override {
    return open_->load() ? eddy::source_status::end : eddy::source_status::idle;
  }
  std::optional<std::string> snapshot_position() override { return std::string{}; }

 private:
  std::shared_ptr<std::atomic<bool>> open_;
};

/// The control lines of channel "cmd" (as "cmd:LINE") and the gate's (none), collected.
eddy::collected<std::string> build(eddy::StreamEnvironment& env,
                                   const std::shared_ptr<std::atomic<bool>>& gate) {
  env.set_parallelism(1);
  auto others = env.add_source<std::string>(
      [gate](const eddy::subtask_info&) { return std::make_unique<gate_source>(gate); }, "gate",
      true);
  return eddy::from_control_channel(env, "cmd")
      .map([](const std::string& s) { return "cmd:" + s; })
      .name("tagger")
      .union_with(others)
      .collect();
}

/// Sends until the job has deployed its channel (the first attempts may find it not running
/// yet); the sequence number.
std::uint64_t send_first(const eddy::job_handle& h, const std::string& line) {
  eddy::expected<std::uint64_t> r = eddy::error{eddy::errc::runtime_error, "not sent"};
  REQUIRE(eventually(
      [&] {
        r = h.send_control("cmd", line);
        return r.has_value();
      },
      20s));
  return *r;
}

}  // namespace

TEST_CASE(
    "control channel lines reach a running job in order, the channel ends with the job's "
    "other sources, errors name the job and the channel",
    "[control]") {
  auto gate = std::make_shared<std::atomic<bool>>(false);
  eddy::StreamEnvironment env;
  auto out = build(env, gate);
  auto h = env.execute_async("control");
  REQUIRE(h);
  CHECK(send_first(*h, "a") == 1);
  CHECK(h->send_control("cmd", "b").value() == 2);
  CHECK(h->send_control("cmd", "c d").value() == 3);
  auto none = h->send_control("nope", "x");
  REQUIRE(!none);
  CHECK(none.error().message == "job 'control' has no control channel 'nope' (its channels: cmd)");
  REQUIRE(eventually([&] { return out.size() == 3; }, 20s));
  CHECK(h->state() == eddy::job_state::running);  // the control channel keeps no job alive...
  gate->store(true);                              // ...once its other sources ended
  const auto r = h->wait();
  REQUIRE(r.ok());
  CHECK(out.values() == std::vector<std::string>{"cmd:a", "cmd:b", "cmd:c d"});
  auto late = h->send_control("cmd", "too late");
  REQUIRE(!late);
  CHECK(late.error().message.find("job 'control' is FINISHED") == 0);
  const auto sent = h->control_messages("cmd");
  REQUIRE(sent.size() == 3);
  CHECK(sent[2].seq == 3);
  CHECK(sent[2].text == "c d");
}

TEST_CASE(
    "control channel lines survive a killed subtask and a restart from a checkpoint, each "
    "once in the output",
    "[control][recovery]") {
  const char* victim = GENERATE("control channel", "gate");
  INFO("killing " << victim);
  temp_dir tmp{"eddy-control-kill"};
  auto gate = std::make_shared<std::atomic<bool>>(false);
  eddy::StreamEnvironment env;
  auto out = build(env, gate);  // collect commits with checkpoints: exactly once
  env.config().checkpoints.interval = 20ms;
  env.config().checkpoints.directory = (tmp.path() / "chk").string();
  env.config().restart = eddy::restart_strategy::fixed_delay(3, 10ms);
  auto h = env.execute_async("control-kill");
  REQUIRE(h);
  std::vector<std::string> want;
  const int n = 60;
  send_first(*h, "0");
  want.push_back("cmd:0");
  bool killed = false;
  for (int i = 1; i < n; ++i) {
    if (i == n / 2) {
      // After a checkpoint that covers some lines, with more in flight.
      REQUIRE(eventually([&] { return !h->checkpoints().empty(); }, 20s));
      killed = h->kill_subtask(victim, 0);
    }
    // During the restart the channel takes lines too (the log holds them).
    REQUIRE(h->send_control("cmd", std::to_string(i)).has_value());
    want.push_back("cmd:" + std::to_string(i));
    std::this_thread::sleep_for(1ms);
  }
  REQUIRE(killed);
  const bool all = eventually([&] { return out.size() >= want.size(); }, 30s);
  if (!all) {
    std::string got;
    for (const auto& v : out.values()) got += v + " ";
    INFO("collected: " << got << "\ncheckpoints " << h->checkpoints().size() << ", restarts "
                       << h->restarts() << ", state " << eddy::to_string(h->state()) << ", sent "
                       << h->control_messages("cmd").size());
    REQUIRE(all);
  }
  gate->store(true);
  const auto r = h->wait();
  REQUIRE(r.ok());
  CHECK(r.restarts == 1);
  CHECK(out.values() == want);
}

TEST_CASE(
    "a job resumed from a savepoint starts with its own control channel: nothing is sent "
    "twice",
    "[control][savepoint]") {
  temp_dir tmp{"eddy-control-savepoint"};
  auto gate = std::make_shared<std::atomic<bool>>(false);
  std::string savepoint;
  {
    eddy::StreamEnvironment env;
    auto out = build(env, gate);
    auto h = env.execute_async("control-sp");
    REQUIRE(h);
    send_first(*h, "a");
    REQUIRE(h->send_control("cmd", "b").has_value());
    REQUIRE(eventually([&] { return out.size() == 2; }, 20s));
    auto sp = h->stop_with_savepoint((tmp.path() / "sp").string());
    REQUIRE(sp);
    savepoint = *sp;
    CHECK(out.values() == std::vector<std::string>{"cmd:a", "cmd:b"});
  }
  eddy::StreamEnvironment env;
  auto out = build(env, gate);
  env.config().restore_from = savepoint;
  auto h = env.execute_async("control-sp");
  REQUIRE(h);
  CHECK(send_first(*h, "c") == 1);  // the new job's channel
  REQUIRE(eventually([&] { return out.size() == 1; }, 20s));
  gate->store(true);
  REQUIRE(h->wait().ok());
  CHECK(out.values() == std::vector<std::string>{"cmd:c"});
}

TEST_CASE("a job with two control sources of one channel name fails, naming the channel",
          "[control]") {
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  auto first = eddy::from_control_channel(env, "cmd");
  auto second = eddy::from_control_channel(env, "cmd");
  auto out = first.union_with(second).collect();
  env.config().restart = eddy::restart_strategy::fixed_delay(3, 10ms);
  auto h = env.execute_async("control-twice");
  REQUIRE(h);
  const auto r = h->wait();
  REQUIRE(r.failure);
  INFO(r.failure->message);
  CHECK(r.failure->message.find("control channel 'cmd' has two sources in this job") !=
        std::string::npos);
  CHECK(r.failure->message.find("give each control source of a job its own channel name") !=
        std::string::npos);
  CHECK(r.restarts == 0);  // not a failure a restart mends
}
