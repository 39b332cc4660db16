#pragma once
// Internal: checks that an Eddy node listens at HOST:PORT before CAF's middleman connects there.
//
// CAF 0.17's middleman waits without a deadline for the handshake of a peer that accepts the
// connection and then stays silent (or talks another protocol), and it cannot be interrupted.
// The probe opens a plain TCP connection itself, with a deadline: an Eddy node's middleman sends
// its BASP server handshake at once, which carries protocol version 3 and the application
// identifier of every Eddy node (app_identifier, set in the nodes' CAF configuration); anything
// else is not an Eddy node. With TLS the handshake is inside the TLS session, so only the TCP
// connection is checked and the caller's request deadline covers the rest.
//
// Who calls: cluster.cpp (workers and clients reaching the coordinator) and task_manager.cpp
// (workers reaching each other). Blocking; call it off the actor scheduler's threads.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "eddy/runtime/error.hpp"

namespace eddy::detail {

/// CAF's "middleman.app-identifiers" of every Eddy node: CAF itself refuses peers without it.
inline constexpr const char* app_identifier = "eddy-cluster-1";

/// Probes HOST:PORT for an Eddy node; `kind` ("coordinator", "worker") names it in errors.
/// Gives up at `deadline`, or as soon as `stop` (if set, polled every 100 ms) returns true.
/// Errors: errc::io_error when nothing could be reached ("cannot reach the coordinator at H:P:
/// Connection refused"; trying again later makes sense), errc::invalid_argument when something
/// else answers ("H:P is not an Eddy coordinator: ..."), errc::runtime_error when stopped.
[[nodiscard]] expected<void> probe_eddy_node(const std::string& host, std::uint16_t port,
                                             const std::string& kind, bool tls,
                                             std::chrono::steady_clock::time_point deadline,
                                             const std::function<bool()>& stop = {});

}  // namespace eddy::detail
