// Two eddy processes on one directory: two coordinators on one --state-dir (or two embedded runs
// on one --checkpoint-dir) both wrote checkpoints, job records and outputs there and corrupted
// each other. The directory is now locked (DIR/eddy.lock) for the life of the process; the
// second one refuses, naming the first one's pid, and the lock goes with the process however it
// ends. A coordinator on a busy port says so before it creates anything. Only 127.0.0.1; every
// wait is bounded.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

// A namespace of its own: test files are compiled in unity batches (tests/CMakeLists.txt).
namespace state_dir_lock_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::testing::eddy_process;
using eddy::testing::eventually;
using eddy::testing::read_file;
using eddy::testing::sensor_readings_csv;
using eddy::testing::temp_dir;
using eddy::testing::write_file;

namespace {

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

/// Starts `eddy coordinator` on a free port with --state-dir `state`; waits until it listens.
std::unique_ptr<eddy_process> start_coordinator(const fs::path& log_dir, const fs::path& state) {
  auto c = std::make_unique<eddy_process>(
      log_dir, std::vector<std::string>{"coordinator", "--listen", "127.0.0.1:0", "--state-dir",
                                        state.string()});
  REQUIRE(eventually([&] { return contains(c->out(), "listening on") || !c->running(); }, 20s));
  INFO("coordinator stderr: " << c->err());
  REQUIRE(contains(c->out(), "listening on"));
  return c;
}

}  // namespace

TEST_CASE("a second coordinator on a state directory in use refuses and names the first one's pid",
          "[regression][cluster][state-dir]") {
  temp_dir tmp{"eddy-lock"};
  const auto state = tmp.path() / "state";
  auto first = start_coordinator(tmp.path(), state);
  eddy_process second(tmp.path(),
                      {"coordinator", "--listen", "127.0.0.1:0", "--state-dir", state.string()});
  const int code = second.wait_for(30s);
  INFO("second stderr: " << second.err() << "\nsecond stdout: " << second.out());
  CHECK(code == 1);
  CHECK(contains(second.err(), "--state-dir " + state.string() +
                                   " is in use by another eddy process (pid " +
                                   std::to_string(first->pid()) + ")"));
  CHECK_FALSE(contains(second.out(), "listening on"));
  CHECK(first->running());
}

TEST_CASE("a coordinator killed with SIGKILL leaves its state directory to the next one",
          "[regression][cluster][state-dir]") {
  temp_dir tmp{"eddy-lock"};
  const auto state = tmp.path() / "state";
  auto first = start_coordinator(tmp.path(), state);
  first->kill();  // SIGKILL: the OS releases the lock
  auto second = start_coordinator(tmp.path(), state);
  CHECK(second->running());
}

TEST_CASE("a coordinator on a busy port says address already in use and creates nothing",
          "[regression][cluster][listen]") {
  temp_dir tmp{"eddy-lock"};
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  const auto address = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  const auto state = tmp.path() / "state";
  eddy_process c(tmp.path(), {"coordinator", "--listen", address, "--state-dir", state.string()});
  const int code = c.wait_for(30s);
  ::close(fd);
  INFO("stderr: " << c.err());
  CHECK(code == 1);
  CHECK(contains(c.err(), "cannot listen on " + address + ": address already in use"));
  CHECK_FALSE(fs::exists(state));
}

TEST_CASE("a second embedded run on a checkpoint directory in use refuses and names the first",
          "[regression][checkpoint][state-dir]") {
  temp_dir tmp{"eddy-lock"};
  const auto readings = tmp.path() / "readings.csv";
  write_file(readings, sensor_readings_csv(20000, 5));
  const auto chk = tmp.path() / "chk";
  auto args = [&](const std::string& out) {
    auto a = eddy::testing::sensors_args(readings, tmp.path() / out, 2);
    a.insert(a.begin(), "run");
    for (const auto& x : {"--checkpoint-dir", chk.c_str(), "--source-rate", "500"})
      a.emplace_back(x);
    return a;
  };
  eddy_process first(tmp.path(), args("first"));  // 40 s of input at this rate
  const auto lock_file = chk / "eddy.lock";
  const auto pid = std::to_string(first.pid());
  REQUIRE(eventually([&] { return contains(read_file(lock_file), pid) || !first.running(); }, 20s));
  REQUIRE(first.running());
  eddy_process second(tmp.path(), args("second"));
  const int code = second.wait_for(30s);
  INFO("second stderr: " << second.err());
  CHECK(code != 0);
  CHECK(code != -1);
  CHECK(contains(second.err(), "is in use by another eddy process (pid " + pid + ")"));
  CHECK(first.running());
}

}  // namespace state_dir_lock_test
