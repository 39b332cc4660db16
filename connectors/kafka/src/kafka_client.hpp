#pragma once
// librdkafka handles for the Kafka source, sink and tool: configuration with Eddy's defaults and
// the user's properties, logging through eddy::log(), and RAII owners. Internal to the connector.
#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace eddy::kafka::detail {

struct conf_deleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using conf_ptr = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;

/// A configuration with bootstrap.servers, librdkafka's log routed to eddy::log() (debug level:
/// the connector reports what a user must know itself), then `defaults`, then the user's
/// `properties` (which win). Throws std::invalid_argument naming a property librdkafka rejects.
conf_ptr make_conf(const std::string& what, const std::string& bootstrap_servers,
                   const std::vector<std::pair<std::string, std::string>>& defaults,
                   const std::vector<std::pair<std::string, std::string>>& properties);

/// Creates a client (takes `conf`); throws std::runtime_error with librdkafka's reason.
rd_kafka_t* make_client(const std::string& what, rd_kafka_type_t type, conf_ptr conf);

/// Whether an error is worth waiting out (brokers down, timeouts) rather than failing the job.
bool is_transient(rd_kafka_resp_err_t err);

}  // namespace eddy::kafka::detail
