#include "node_probe.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace eddy::detail {

namespace {

using clock_type = std::chrono::steady_clock;

/// CAF 0.17's BASP header: operation (1 byte), 2 padding bytes, flags (1), payload length (4),
/// operation data (8; the protocol version in a handshake), source and destination actor (8 each);
/// integers in network byte order.
constexpr std::size_t basp_header_size = 32;
constexpr std::uint64_t basp_version = 3;
constexpr std::uint32_t max_handshake_payload = 1u << 20;

struct socket_guard {
  int fd = -1;
  ~socket_guard() {
    if (fd >= 0) ::close(fd);
  }
};

/// Waits for `events` on `fd` in slices of at most 100 ms. Returns 1 when ready, 0 at the
/// deadline, -1 when stopped, -2 on a poll error.
int wait_for(int fd, short events, clock_type::time_point deadline,
             const std::function<bool()>& stop) {
  for (;;) {
    if (stop && stop()) return -1;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    pollfd p{fd, events, 0};  // polled at least once, also when the deadline has passed
    const int rc = ::poll(&p, 1, static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 100)));
    if (rc > 0) return 1;
    if (rc < 0 && errno != EINTR) return -2;
    if (left.count() <= 0) return 0;
  }
}

std::uint64_t big_endian(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

/// The first bytes a peer sent, printable, for the error message.
std::string quoted_start(std::string_view bytes) {
  std::string out;
  for (char c : bytes.substr(0, 24)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '.';
  }
  return "\"" + out + (bytes.size() > 24 ? "...\"" : "\"");
}

std::string ms_text(clock_type::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

}  // namespace

expected<void> probe_eddy_node(const std::string& host, std::uint16_t port, const std::string& kind,
                               bool tls, clock_type::time_point deadline,
                               const std::function<bool()>& stop) {
  const auto started = clock_type::now();
  const auto where = host + ":" + std::to_string(port);
  const error stopped{errc::runtime_error, "stopped while connecting to " + where};
  auto unreachable = [&](const std::string& why) {
    return error{errc::io_error, "cannot reach the " + kind + " at " + where + ": " + why};
  };
  auto not_eddy = [&](const std::string& why) {
    return error{errc::invalid_argument, where + " is not an Eddy " + kind + ": " + why};
  };

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return unreachable(std::string("cannot resolve the host: ") + ::gai_strerror(rc));
  socket_guard sock;
  std::string connect_error = "no address";
  for (auto* a = found; a; a = a->ai_next) {
    socket_guard s;
    s.fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (s.fd < 0) {
      connect_error = std::strerror(errno);
      continue;
    }
    if (::connect(s.fd, a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        connect_error = std::strerror(errno);
        continue;
      }
      const int ready = wait_for(s.fd, POLLOUT, deadline, stop);
      if (ready == -1) {
        ::freeaddrinfo(found);
        return stopped;
      }
      if (ready == 0) {
        connect_error = "the connection was not accepted within " + ms_text(deadline - started);
        continue;
      }
      int so_error = 0;
      socklen_t len = sizeof so_error;
      if (ready < 0 || ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 ||
          so_error != 0) {
        connect_error = std::strerror(so_error ? so_error : errno);
        continue;
      }
    }
    std::swap(sock.fd, s.fd);
    break;
  }
  ::freeaddrinfo(found);
  if (sock.fd < 0) return unreachable(connect_error);
  if (tls) return {};

  // An Eddy node sends its handshake at once, without waiting for ours.
  std::string got;
  std::size_t want = basp_header_size;
  while (got.size() < want) {
    const int ready = wait_for(sock.fd, POLLIN, deadline, stop);
    if (ready == -1) return stopped;
    if (ready == 0)
      return not_eddy(
          got.empty()
              ? "it accepted the connection but sent no handshake within " +
                    ms_text(deadline - started) +
                    " (an Eddy node using TLS stays silent too: then pass --tls-cert, --tls-key "
                    "and --tls-ca)"
              : "its handshake stopped after " + std::to_string(got.size()) + " bytes");
    char buf[4096];
    const auto n = ::recv(sock.fd, buf, std::min(sizeof buf, want - got.size()), 0);
    if (n == 0)
      return not_eddy(got.empty() ? "it closed the connection without a handshake"
                                  : "it does not speak Eddy's protocol (it sent " +
                                        quoted_start(got) + " and closed the connection)");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return unreachable(std::string("reading its handshake: ") + std::strerror(errno));
    }
    got.append(buf, static_cast<std::size_t>(n));
    if (got.size() == basp_header_size && want == basp_header_size) {
      const auto* h = reinterpret_cast<const unsigned char*>(got.data());
      const auto payload = big_endian(h + 4, 4);
      const bool header_ok = h[0] == 0 /* server handshake */ && h[1] == 0 && h[2] == 0 &&
                             h[3] == 0 && payload > 0 && payload <= max_handshake_payload &&
                             big_endian(h + 16, 8) == 0 && big_endian(h + 24, 8) == 0;
      if (!header_ok)
        return not_eddy("it does not speak Eddy's protocol (it sent " + quoted_start(got) + ")");
      if (big_endian(h + 8, 8) != basp_version)
        return not_eddy("it speaks version " + std::to_string(big_endian(h + 8, 8)) +
                        " of CAF's protocol, Eddy version " + std::to_string(basp_version));
      want += payload;
    }
  }
  if (got.find(app_identifier, basp_header_size) == std::string::npos)
    return not_eddy(
        "it is a CAF application of another kind or of another Eddy version (its "
        "handshake lacks the identifier '" +
        std::string(app_identifier) + "')");
  return {};
}

}  // namespace eddy::detail
