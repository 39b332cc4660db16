#include "mqtt_client.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>

namespace eddy::mqtt::detail {

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string error_text(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::string("system error: ") + std::strerror(errno);
  return mosquitto_strerror(rc);
}

std::string connack_text(int rc) {
  return mosquitto_connack_string(rc);
}

mosquitto* make_client(const connection_options& o, const std::string& client_id, bool clean,
                       void* user_data, const std::string& what) {
  init_library();
  mosquitto* m = mosquitto_new(client_id.empty() ? nullptr : client_id.c_str(), clean, user_data);
  if (!m)
    throw std::runtime_error(what + ": cannot create an MQTT client: " + std::strerror(errno));
  auto check = [&](int rc, const std::string& step) {
    if (rc == MOSQ_ERR_SUCCESS) return;
    mosquitto_destroy(m);
    throw std::runtime_error(what + ": " + step + ": " + error_text(rc));
  };
  check(mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311),
        "setting MQTT 3.1.1");
  if (!o.username.empty()) {
    std::string password;
    if (!o.password_file.empty()) {
      std::ifstream in(o.password_file);
      if (!in || !std::getline(in, password)) {
        mosquitto_destroy(m);
        throw std::runtime_error(what + ": cannot read password-file '" + o.password_file + "'");
      }
      if (!password.empty() && password.back() == '\r') password.pop_back();
    }
    check(mosquitto_username_pw_set(m, o.username.c_str(),
                                    o.password_file.empty() ? nullptr : password.c_str()),
          "setting the login");
  }
  if (!o.tls_ca_file.empty()) {
    check(mosquitto_tls_set(m, o.tls_ca_file.c_str(), nullptr,
                            o.tls_cert_file.empty() ? nullptr : o.tls_cert_file.c_str(),
                            o.tls_key_file.empty() ? nullptr : o.tls_key_file.c_str(), nullptr),
          "setting up TLS (tls-ca-file '" + o.tls_ca_file + "')");
    if (o.tls_insecure) check(mosquitto_tls_insecure_set(m, true), "tls-insecure");
  }
  check(mosquitto_reconnect_delay_set(m, 1, static_cast<unsigned>(o.reconnect_max.count()), true),
        "setting the reconnect delay");
  return m;
}

}  // namespace eddy::mqtt::detail
