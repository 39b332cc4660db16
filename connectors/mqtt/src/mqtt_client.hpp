#pragma once
// What the MQTT source and sink share (libmosquitto): the library's one-time set-up, a client
// configured from connection_options (login, TLS, reconnect backoff), and error texts.
#include <mosquitto.h>

#include <string>

#include "eddy/connectors/mqtt/mqtt_options.hpp"

namespace eddy::mqtt::detail {

/// mosquitto_lib_init, once per process (never cleaned up: other clients may live on).
void init_library();

/// A new client (mosquitto_new) with login, TLS, reconnect backoff and MQTT 3.1.1 set; `clean`:
/// a clean session. Throws std::runtime_error starting with `what`.
mosquitto* make_client(const connection_options& o, const std::string& client_id, bool clean,
                       void* user_data, const std::string& what);

/// libmosquitto's text for a return code, and for a CONNACK code.
std::string error_text(int rc);
std::string connack_text(int rc);

}  // namespace eddy::mqtt::detail
