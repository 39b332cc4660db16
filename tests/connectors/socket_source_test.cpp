// The socket text source against a TCP server in the test, and `eddy run sensors --input
// socket://...`.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "eddy/connectors/socket/socket_source.hpp"
#include "eddy/operators/datastream.hpp"
#include "support/eddy_process.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

namespace {

/// A one-connection TCP server on 127.0.0.1 that sends `text` in small pieces, then closes.
class line_server {
 public:
  explicit line_server(std::string text) : text_(std::move(text)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 1) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      for (std::size_t off = 0; off < text_.size(); off += 777) {
        const auto piece = text_.substr(off, 777);
        if (::write(c, piece.data(), piece.size()) < 0) break;
      }
      ::close(c);
    });
  }
  ~line_server() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  std::string text_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_CASE("the socket source emits every line the server sends, then ends") {
  std::string text;
  std::vector<std::string> expected;
  for (int i = 0; i < 5000; ++i) {
    expected.push_back("line " + std::to_string(i));
    text += expected.back() + (i % 3 == 0 ? "\r\n" : "\n");
  }
  text += "last without newline";
  expected.push_back("last without newline");
  line_server server(text);
  eddy::StreamEnvironment env;
  env.set_parallelism(3);  // one subtask reads
  auto out =
      env.from_source(eddy::socket::socket_text_source("127.0.0.1", server.port())).collect();
  auto r = env.execute("socket");
  REQUIRE(r.ok());
  auto got = out.values();
  CHECK(got == expected);  // one reader: in order
}

TEST_CASE("a socket source that cannot connect fails the job naming the address") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const auto port = ntohs(a.sin_port);
  ::close(fd);  // bound, never listened: nothing accepts there
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.from_source(eddy::socket::socket_text_source("127.0.0.1", port)).collect();
  auto h = env.execute_async("socket refused");
  REQUIRE(h);
  auto r = h->wait();
  REQUIRE(!r.ok());
  REQUIRE(r.failure);
  CHECK(r.failure->message.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(r.failure->message.find("cannot connect") != std::string::npos);
}

TEST_CASE("socket URIs are checked") {
  auto opts = [](const char* text) {
    auto u = eddy::connectors::parse_connector_uri(text);
    REQUIRE(u);
    return eddy::socket::parse_socket_uri(*u);
  };
  auto ok = opts("socket://localhost:9999?max-retries=3");
  REQUIRE(ok);
  CHECK(ok->host == "localhost");
  CHECK(ok->port == 9999);
  CHECK(ok->max_retries == 3);
  CHECK(!opts("socket://a:1,b:2"));
  CHECK(!opts("socket://a:1/path"));
  CHECK(!opts("socket://a:1?max-retries=x"));
  CHECK(!opts("socket://a:1?retries=1"));
}

TEST_CASE("eddy run sensors reads readings from a socket", "[cli]") {
  eddy::testing::temp_dir tmp("eddy-socket-sensors");
  const auto csv = eddy::testing::sensor_readings_csv(2000, 5);
  const auto input = tmp.path() / "in.csv";
  eddy::testing::write_file(input, csv);
  auto ref = eddy::testing::run_eddy(tmp.path(), {"run", "sensors", "--input", input.string(),
                                                  "--output", (tmp.path() / "ref").string()});
  REQUIRE(ref.code == 0);
  line_server server(csv);
  auto r =
      eddy::testing::run_eddy(tmp.path(), {"run", "sensors", "--input",
                                           "socket://127.0.0.1:" + std::to_string(server.port()),
                                           "--output", (tmp.path() / "out").string(), "-p", "2"});
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(eddy::testing::committed_lines(tmp.path() / "out") ==
        eddy::testing::committed_lines(tmp.path() / "ref"));
}
