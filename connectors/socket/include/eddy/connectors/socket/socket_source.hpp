#pragma once
/// The socket text source (Flink's socketTextStream): the lines a TCP server sends.
///
///     env.from_source(eddy::socket::socket_text_source("127.0.0.1", 9999), "socket")
///
/// One subtask (index 0) connects and reads; the others read nothing. Lines end with "\n" (a
/// "\r" before it is dropped); a last line without "\n" is emitted when the server closes the
/// connection, which ends the source (the job then finishes by itself). A connection that
/// cannot be made is retried `max_retries` times one second apart (-1: for ever), then fails the
/// job naming the address.
///
/// Guarantee: at most once. A socket cannot be rewound: checkpoints hold nothing for it, and a
/// job restored or restarted after a failure reads on from what the server sends next (lines in
/// flight at the failure are lost). For replayable input use files or Kafka.
///
/// Threads: a reader thread connects and reads into a bounded hand-over queue (at most
/// `max_queued_lines`; the thread stops reading while it is full, so TCP flow control slows the
/// server) and wakes the subtask, which never blocks.
#include <cstdint>
#include <memory>
#include <string>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/operators/connector.hpp"
#include "eddy/runtime/error.hpp"

namespace eddy::socket {

struct socket_options {
  std::string host;  ///< a name or an address
  std::uint16_t port = 0;
  int max_retries = 0;                     ///< "max-retries=N": connection attempts after the first
  std::size_t max_queued_lines = 1 << 16;  ///< hand-over queue bound
};

/// The options of a `socket://HOST:PORT[?max-retries=N]` URI; errors name the URI and option.
[[nodiscard]] expected<socket_options> parse_socket_uri(const connectors::connector_uri& uri);

namespace detail {
/// The reader (socket_source.cpp).
std::unique_ptr<source_base> make_socket_reader(const socket_options& o,
                                                input_op<std::string>* next);
}  // namespace detail

/// A source of the lines the server at `options.host:options.port` sends.
inline Source<std::string> socket_text_source(socket_options options) {
  return Source<std::string>{
      "socket source", false,
      [options](input_op<std::string>* next) { return detail::make_socket_reader(options, next); },
      nullptr};  // one connection: nothing to enumerate
}
inline Source<std::string> socket_text_source(std::string host, std::uint16_t port) {
  socket_options o;
  o.host = std::move(host);
  o.port = port;
  return socket_text_source(std::move(o));
}

}  // namespace eddy::socket
