// Connecting to something that is not an Eddy coordinator: CAF 0.17's remote_actor waited forever
// for a peer that accepts and stays silent (or talks another protocol), ignoring --timeout, and
// a worker stuck there ignored SIGTERM and SIGINT. Every connect now has a deadline, a worker
// stays responsive while it retries, and a foreign peer is named: "HOST:PORT is not an Eddy
// coordinator". Only 127.0.0.1; every wait is bounded.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/test_support.hpp"

using namespace std::chrono_literals;
using eddy::testing::eddy_process;
using eddy::testing::eventually;
using eddy::testing::temp_dir;

namespace {

/// A TCP server on 127.0.0.1 that is not Eddy. `reply` empty: it accepts connections and stays
/// silent (holding them open); otherwise it sends `reply` to each and closes it.
class foreign_server {
 public:
  explicit foreign_server(std::string reply = {}) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~foreign_server() {
    stop_ = true;
    thread_.join();
    for (int c : held_) ::close(c);
    ::close(fd_);
  }
  foreign_server(const foreign_server&) = delete;
  foreign_server& operator=(const foreign_server&) = delete;

  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  /// Connections accepted so far.
  [[nodiscard]] int accepted() const { return accepted_.load(); }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++accepted_;
      if (reply_.empty()) {
        held_.push_back(c);
        continue;
      }
      [[maybe_unused]] auto n = ::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  std::string reply_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> held_;
  std::thread thread_;
};

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "a worker pointed at a silent server says it is not an Eddy coordinator and ends on "
    "SIGTERM",
    "[regression][cluster][connect]") {
  temp_dir tmp{"eddy-connect"};
  foreign_server silent;
  eddy_process worker(tmp.path(), {"worker", "--coordinator", silent.address(), "--work-dir",
                                   (tmp.path() / "w").string()});
  REQUIRE(eventually([&] { return contains(worker.err(), "is not an Eddy coordinator"); }, 40s));
  INFO("worker stderr: " << worker.err());
  CHECK(contains(worker.err(), silent.address() + " is not an Eddy coordinator"));
  CHECK(worker.running());  // it keeps trying
  worker.signal(SIGTERM);
  CHECK(worker.wait_for(10s) == 0);
}

TEST_CASE("a worker connecting to a silent server ends on SIGINT",
          "[regression][cluster][connect]") {
  temp_dir tmp{"eddy-connect"};
  foreign_server silent;
  eddy_process worker(tmp.path(), {"worker", "--coordinator", silent.address(), "--work-dir",
                                   (tmp.path() / "w").string()});
  // Once the server accepted it, the worker waits for a handshake that never comes.
  REQUIRE(eventually([&] { return silent.accepted() > 0; }, 20s));
  worker.signal(SIGINT);
  const int code = worker.wait_for(10s);
  INFO("worker stderr: " << worker.err());
  CHECK(code == 0);
}

TEST_CASE("a one-shot command against a silent server gives up after its timeout",
          "[regression][cluster][connect]") {
  temp_dir tmp{"eddy-connect"};
  foreign_server silent;
  eddy_process jobs(tmp.path(), {"jobs", "--cluster", silent.address(), "--timeout", "2000"});
  const int code = jobs.wait_for(30s);
  INFO("stderr: " << jobs.err());
  CHECK(code == 1);
  CHECK(contains(jobs.err(), silent.address() + " is not an Eddy coordinator"));
}

TEST_CASE("a one-shot command against a server speaking another protocol names it",
          "[regression][cluster][connect]") {
  temp_dir tmp{"eddy-connect"};
  foreign_server http("HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  eddy_process jobs(tmp.path(), {"jobs", "--cluster", http.address(), "--timeout", "5000"});
  const int code = jobs.wait_for(30s);
  INFO("stderr: " << jobs.err());
  CHECK(code == 1);
  CHECK(contains(jobs.err(), http.address() + " is not an Eddy coordinator"));
  CHECK(contains(jobs.err(), "HTTP/1.0 400"));
}

TEST_CASE("eddy run --cluster against a silent server gives up", "[regression][cluster][connect]") {
  temp_dir tmp{"eddy-connect"};
  foreign_server silent;
  eddy_process run(tmp.path(),
                   {"run", "--cluster", silent.address(), "wordcount", "--input",
                    (tmp.path() / "in.txt").string(), "--output", (tmp.path() / "out").string()});
  const int code = run.wait_for(60s);
  INFO("stderr: " << run.err());
  CHECK(code == 1);
  CHECK(contains(run.err(), silent.address() + " is not an Eddy coordinator"));
}

TEST_CASE("eddy run --cluster honours --timeout against a silent server",
          "[regression][cluster][connect]") {
  temp_dir tmp{"eddy-connect"};
  foreign_server silent;
  const auto start = std::chrono::steady_clock::now();
  eddy_process run(tmp.path(), {"run", "--cluster", silent.address(), "--timeout", "1500",
                                "wordcount", "--input", (tmp.path() / "in.txt").string(),
                                "--output", (tmp.path() / "out").string()});
  const int code = run.wait_for(60s);
  INFO("stderr: " << run.err());
  CHECK(code == 1);
  CHECK(contains(run.err(), silent.address() + " is not an Eddy coordinator"));
  // Well before the default 10 s (not a timing assertion on speed: on the deadline it was given).
  CHECK(std::chrono::steady_clock::now() - start < 9s);
}

TEST_CASE("a one-shot command against a closed port keeps trying until its timeout",
          "[regression][cluster][connect]") {
  temp_dir tmp{"eddy-connect"};
  std::string address;
  {
    foreign_server gone;  // a port that was free a moment ago
    address = gone.address();
  }
  eddy_process jobs(tmp.path(), {"jobs", "--cluster", address, "--timeout", "1500"});
  const int code = jobs.wait_for(30s);
  INFO("stderr: " << jobs.err());
  CHECK(code == 1);
  CHECK(contains(jobs.err(), "cluster unreachable at " + address + " (gave up after 1500 ms)"));
}
