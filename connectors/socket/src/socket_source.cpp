// The socket text source's reader (socket_source.hpp).
#include "eddy/connectors/socket/socket_source.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "eddy/runtime/log.hpp"

namespace eddy::socket {

expected<socket_options> parse_socket_uri(const connectors::connector_uri& uri) {
  if (uri.hosts.size() != 1)
    return connectors::uri_error(uri, "expected socket://HOST:PORT (one address)");
  if (!uri.path.empty()) return connectors::uri_error(uri, "a socket URI has no path");
  socket_options s;
  const auto& h = uri.hosts.front();
  const auto colon = h.rfind(':');
  s.host = h.substr(0, colon);
  if (s.host.size() > 2 && s.host.front() == '[' && s.host.back() == ']')
    s.host = s.host.substr(1, s.host.size() - 2);
  s.port = static_cast<std::uint16_t>(std::stoi(h.substr(colon + 1)));  // checked by the parser
  connectors::uri_options o(uri);
  if (auto v = o.take("max-retries")) {
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), s.max_retries);
    if (ec != std::errc{} || p != v->data() + v->size() || s.max_retries < -1)
      return connectors::uri_error(uri, "max-retries '" + *v + "': expected -1 or more");
  }
  if (auto ok = o.check_all_taken({"max-retries"}); !ok) return ok.error();
  return s;
}

namespace detail {

namespace {

/// What the reader thread hands to the subtask (under mu).
struct handover {
  std::mutex mu;
  std::condition_variable space;  // the queue has room again, or stop
  std::deque<std::string> lines;
  bool ended = false;
  std::string error;
  bool stop = false;
};

class socket_reader final : public source_op<std::string> {
 public:
  socket_reader(socket_options o, input_op<std::string>* next)
      : source_op<std::string>(next), o_(std::move(o)), h_(std::make_shared<handover>()) {}
  ~socket_reader() override {
    {
      std::lock_guard<std::mutex> lock(h_->mu);
      h_->stop = true;
    }
    h_->space.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void open(const subtask_info& info) override {
    source_op<std::string>::open(info);
    if (info.index != 0) return;  // one reader
    thread_ = std::thread([this, w = waker()] { run(w); });
  }

  source_status produce(std::size_t max) override {
    if (this->info_.index != 0) return source_status::end;
    bool ended = false;
    std::string error;
    {
      std::lock_guard<std::mutex> lock(h_->mu);
      while (!h_->lines.empty() && buffer_.size() < max) {
        buffer_.push_back(std::move(h_->lines.front()));
        h_->lines.pop_front();
      }
      ended = h_->ended && h_->lines.empty();
      error = h_->error;
    }
    h_->space.notify_all();
    if (!error.empty()) throw std::runtime_error(what() + ": " + error);
    emit_buffer();
    if (ended) return source_status::end;
    std::lock_guard<std::mutex> lock(h_->mu);
    return h_->lines.empty() ? source_status::wait : source_status::more;
  }

 private:
  [[nodiscard]] std::string what() const {
    return "socket source '" + name_ + "' (" + o_.host + ":" + std::to_string(o_.port) + ")";
  }

  bool stopping() {
    std::lock_guard<std::mutex> lock(h_->mu);
    return h_->stop;
  }

  /// Connects (with retries); -1 after failing (h_->error set) or when stopping.
  int connect_socket(const source_waker& w) {
    for (int attempt = 0;; ++attempt) {
      if (stopping()) return -1;
      std::string why;
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      const auto port = std::to_string(o_.port);
      if (int rc = ::getaddrinfo(o_.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
        why = ::gai_strerror(rc);
      } else {
        for (auto* a = res; a; a = a->ai_next) {
          int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
          if (fd < 0) continue;
          if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            ::freeaddrinfo(res);
            return fd;
          }
          why = std::strerror(errno);
          ::close(fd);
        }
        ::freeaddrinfo(res);
      }
      if (o_.max_retries >= 0 && attempt >= o_.max_retries) {
        std::lock_guard<std::mutex> lock(h_->mu);
        h_->error = "cannot connect: " + why +
                    (attempt > 0 ? " (after " + std::to_string(attempt) + " retries)" : "");
        w.wake();
        return -1;
      }
      eddy::log().warn("{}: cannot connect ({}); retrying in 1 s", what(), why);
      std::unique_lock<std::mutex> lock(h_->mu);
      h_->space.wait_for(lock, std::chrono::seconds(1), [&] { return h_->stop; });
    }
  }

  void run(source_waker w) {
    const int fd = connect_socket(w);
    if (fd < 0) return;
    std::string partial;
    char buf[64 * 1024];
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(h_->mu);
        h_->space.wait(lock, [&] { return h_->stop || h_->lines.size() < o_.max_queued_lines; });
        if (h_->stop) break;
      }
      pollfd p{fd, POLLIN, 0};
      const int rc = ::poll(&p, 1, 200);  // wakes up now and then to see `stop`
      if (rc == 0 || (rc < 0 && errno == EINTR)) continue;
      const ssize_t n = rc < 0 ? -1 : ::read(fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      std::lock_guard<std::mutex> lock(h_->mu);
      if (n < 0) {
        h_->error = std::string("read failed: ") + std::strerror(errno);
        w.wake();
        break;
      }
      if (n == 0) {  // the server closed the connection: the last line, then the end
        if (!partial.empty()) h_->lines.push_back(std::move(partial));
        h_->ended = true;
        w.wake();
        break;
      }
      std::size_t start = 0;
      const std::string_view chunk(buf, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = chunk.find('\n', start)) != std::string_view::npos;
           start = nl + 1) {
        partial.append(chunk.substr(start, nl - start));
        if (!partial.empty() && partial.back() == '\r') partial.pop_back();
        h_->lines.push_back(std::move(partial));
        partial.clear();
      }
      partial.append(chunk.substr(start));
      w.wake();
    }
    ::close(fd);
  }

  socket_options o_;
  std::shared_ptr<handover> h_;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<source_base> make_socket_reader(const socket_options& o,
                                                input_op<std::string>* next) {
  return std::make_unique<socket_reader>(o, next);
}

}  // namespace detail
}  // namespace eddy::socket
