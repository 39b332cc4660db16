#include "kafka_client.hpp"

#include <stdexcept>

#include "eddy/runtime/log.hpp"

namespace eddy::kafka::detail {

namespace {
void log_cb(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  // Connection failures repeat on every retry; the connector warns about them itself.
  if (level <= 2)
    eddy::log().error("librdkafka {}: {}", fac, buf);
  else
    eddy::log().debug("librdkafka {}: {}", fac, buf);
}
}  // namespace

conf_ptr make_conf(const std::string& what, const std::string& bootstrap_servers,
                   const std::vector<std::pair<std::string, std::string>>& defaults,
                   const std::vector<std::pair<std::string, std::string>>& properties) {
  conf_ptr conf(rd_kafka_conf_new());
  char err[512];
  auto set = [&](const std::string& k, const std::string& v, bool user) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      throw std::invalid_argument(what + ": " + (user ? "properties." : "") + k + "=" + v + ": " +
                                  err);
  };
  set("bootstrap.servers", bootstrap_servers, false);
  set("log.connection.close", "false", false);
  rd_kafka_conf_set_log_cb(conf.get(), log_cb);
  for (const auto& [k, v] : defaults) set(k, v, false);
  for (const auto& [k, v] : properties) set(k, v, true);
  return conf;
}

rd_kafka_t* make_client(const std::string& what, rd_kafka_type_t type, conf_ptr conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (!rk) throw std::runtime_error(what + ": cannot create the Kafka client: " + err);
  conf.release();  // rd_kafka_new owns it now
  return rk;
}

bool is_transient(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR__PARTITION_EOF:
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
      return true;
    default:
      return false;
  }
}

}  // namespace eddy::kafka::detail
