// 'connector' = 'mqtt': 'broker' and 'topic' for the mqtt:// URI's authority and path, the
// URI's keys (mqtt_options.hpp) as they are.
#include <string>
#include <vector>

#include "connector_bindings.hpp"
#include "ddl_uri.hpp"
#include "eddy/connectors/mqtt/mqtt_sink.hpp"
#include "eddy/connectors/mqtt/mqtt_source.hpp"

namespace eddy::table {

namespace {

expected<connectors::connector_uri> mqtt_uri(const table_def& t, table_options o, bool source) {
  const std::vector<std::string> common = {
      "broker",      "topic",         "qos",          "client-id",    "username",  "password-file",
      "tls-ca-file", "tls-cert-file", "tls-key-file", "tls-insecure", "keepalive", "reconnect-max"};
  const std::vector<std::string> source_keys = {"wal-dir", "wal-sync"};
  const std::vector<std::string> sink_keys = {"retain", "flush-timeout", "guarantee",
                                              "commit-topic"};
  auto known = common;
  known.insert(known.end(), source_keys.begin(), source_keys.end());
  known.insert(known.end(), sink_keys.begin(), sink_keys.end());
  if (auto ok = ddl::check_keys(t, o, known); !ok) return ok.error();
  ddl::drop_keys(o, source ? sink_keys : source_keys);
  const auto broker = ddl::take(o, "broker");
  if (!broker) return ddl::table_error(t, "'broker' (HOST:PORT) is required");
  auto hosts = ddl::hosts(t, "broker", *broker, 1883);
  if (!hosts) return hosts.error();
  if (hosts->size() != 1)
    return ddl::table_error(t, "'broker' = '" + *broker + "': expected one HOST:PORT");
  const auto topic = ddl::take(o, "topic");
  if (!topic || topic->empty()) return ddl::table_error(t, "'topic' is required");
  return ddl::make_uri(t, "mqtt", std::move(*hosts), *topic, o);
}

}  // namespace

void register_mqtt_table() {
  table_connector c;
  c.source = [](const table_def& t, const table_options& o) -> expected<table_source> {
    auto u = mqtt_uri(t, o, true);
    if (!u) return u.error();
    auto opts = mqtt::parse_source_uri(*u);
    if (!opts) return opts.error();
    table_source s;
    s.description = "topic=[" + opts->topic_filter + "]";
    s.lines = mqtt::mqtt_source_values(std::move(*opts));
    return s;
  };
  c.sink = [](const table_def& t, const table_options& o, bool) -> expected<table_sink> {
    auto u = mqtt_uri(t, o, false);
    if (!u) return u.error();
    // The topic template's {N} / {name} read the line in the table's format.
    u->options.emplace_back("format", t.option("format", "csv"));
    auto opts = mqtt::parse_sink_uri(*u);
    if (!opts) return opts.error();
    table_sink s;
    s.description = "topic=[" + opts->topic + "]";
    s.lines = mqtt::mqtt_sink_values(std::move(*opts));
    return s;
  };
  register_table_connector("mqtt", std::move(c));
}

}  // namespace eddy::table
