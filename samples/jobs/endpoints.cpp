#include "endpoints.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/connectors/files/directory_source.hpp"
#include "eddy/connectors/files/file_sink.hpp"
#include "eddy/connectors/socket/socket_source.hpp"
#ifdef EDDY_HAVE_MQTT
#include "eddy/connectors/mqtt/mqtt_sink.hpp"
#include "eddy/connectors/mqtt/mqtt_source.hpp"
#endif
#ifdef EDDY_HAVE_POSTGRES
#include "eddy/connectors/postgres/postgres_sink.hpp"
#include "eddy/connectors/postgres/postgres_source.hpp"
#endif
#ifdef EDDY_HAVE_KAFKA
#include "eddy/connectors/kafka/kafka_sink.hpp"
#include "eddy/connectors/kafka/kafka_source.hpp"
#endif

namespace eddy::samples {

namespace {

connectors::connector_uri parse(const std::string& flag, const std::string& value) {
  auto u = connectors::parse_connector_uri(value);
  if (!u) throw std::invalid_argument(flag + ": " + u.error().message);
  return *u;
}

[[noreturn]] void unknown_scheme(const std::string& flag, const connectors::connector_uri& u,
                                 bool input) {
  std::string known = input ? "file, socket" : "file";
  std::string missing;
#ifdef EDDY_HAVE_KAFKA
  known += ", kafka";
#else
  missing += " (kafka: this eddy was built without EDDY_WITH_KAFKA)";
#endif
#ifdef EDDY_HAVE_MQTT
  known += ", mqtt";
#else
  missing += " (mqtt: this eddy was built without EDDY_WITH_MQTT)";
#endif
#ifdef EDDY_HAVE_POSTGRES
  known += ", postgresql";
#else
  missing += " (postgresql: this eddy was built without EDDY_WITH_POSTGRES)";
#endif
  throw std::invalid_argument(flag + ": " + u.text + ": unknown scheme '" + u.scheme +
                              "' (schemes: " + known + ")" + missing);
}

/// The path of a file:// URI (no options are available for it yet).
std::string file_path(const std::string& flag, const connectors::connector_uri& u) {
  if (!u.hosts.empty() || u.path.empty() || u.path.front() != '/')
    throw std::invalid_argument(flag + ": " + u.text + ": expected file:///ABSOLUTE/PATH");
  connectors::uri_options o(u);
  if (auto ok = o.check_all_taken({}); !ok)
    throw std::invalid_argument(flag + ": " + ok.error().message);
  return u.path;
}

/// The options of a file:// output (a directory of part files).
files::file_sink_options file_output(const std::string& flag, const connectors::connector_uri& u) {
  auto o = files::parse_file_sink_uri(u);
  if (!o) throw std::invalid_argument(flag + ": " + o.error().message);
  return *o;
}

void require_readable_file(const std::string& flag, const std::string& path) {
  if (path == "-") return;
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st))  // status follows /dev/fd/N to the pipe
    throw std::invalid_argument(flag + ": no such file '" + path + "'");
  if (std::filesystem::is_directory(st))
    throw std::invalid_argument(flag + ": '" + path + "' is a directory, expected a file");
}

/// Whether a file:// input names a directory (read by the directory source) rather than a file.
bool is_directory_input(const connectors::connector_uri& u) {
  std::error_code ec;
  return std::filesystem::is_directory(u.path, ec) ||
         std::any_of(u.options.begin(), u.options.end(),
                     [](const auto& kv) { return kv.first == "monitor"; });
}

files::directory_options directory_input(const std::string& flag,
                                         const connectors::connector_uri& u) {
  auto o = files::parse_directory_uri(u);
  if (!o) throw std::invalid_argument(flag + ": " + o.error().message);
  std::error_code ec;
  if (!std::filesystem::is_directory(o->path, ec))
    throw std::invalid_argument(flag + ": " + u.text + ": no such directory '" + o->path +
                                "' (monitor= needs a directory)");
  return *o;
}

}  // namespace

bool is_endpoint_uri(const std::string& value) {
  return connectors::is_connector_uri(value);
}

std::string input_format(const std::string& value) {
#ifdef EDDY_HAVE_MQTT
  if (is_endpoint_uri(value)) {
    const auto u = parse("input", value);
    if (u.scheme == "mqtt")
      if (auto o = mqtt::parse_source_uri(u)) return o->format;
  }
#endif
#ifdef EDDY_HAVE_KAFKA
  if (is_endpoint_uri(value)) {
    const auto u = parse("input", value);
    if (u.scheme == "kafka")
      if (auto o = kafka::parse_source_uri(u)) return o->format;
  }
#endif
  (void)value;
  return "raw";
}

void check_input(const std::string& flag, const std::string& value, bool batch, bool json) {
  if (!is_endpoint_uri(value)) {
    require_readable_file(flag, value);
    return;
  }
  const auto u = parse(flag, value);
  if (u.scheme == "file") {
    if (!is_directory_input(u)) {
      require_readable_file(flag, file_path(flag, u));
      return;
    }
    const auto d = directory_input(flag, u);
    if (batch && d.monitor_interval.count() > 0)
      throw std::invalid_argument(flag + ": " + value +
                                  ": this job runs in batch mode and needs a bounded input: "
                                  "leave out monitor=");
    return;
  }
  if (u.scheme == "socket") {
    auto o = socket::parse_socket_uri(u);
    if (!o) throw std::invalid_argument(flag + ": " + o.error().message);
    if (batch)
      throw std::invalid_argument(flag + ": " + value +
                                  ": this job runs in batch mode and needs a bounded input; a "
                                  "socket is a stream");
    return;
  }
#ifdef EDDY_HAVE_POSTGRES
  if (u.scheme == "postgresql") {
    auto o = postgres::parse_source_uri(u);
    if (!o) throw std::invalid_argument(flag + ": " + o.error().message);
    return;
  }
#endif
#ifdef EDDY_HAVE_MQTT
  if (u.scheme == "mqtt") {
    auto o = mqtt::parse_source_uri(u);
    if (!o) throw std::invalid_argument(flag + ": " + o.error().message);
    if (batch)
      throw std::invalid_argument(flag + ": " + value +
                                  ": this job runs in batch mode and needs a bounded input; an "
                                  "MQTT subscription is a stream");
    if (o->format == "json" && !json)
      throw std::invalid_argument(flag + ": " + value +
                                  ": format=json is not available for this job, which reads "
                                  "text lines (use format=raw)");
    return;
  }
#endif
#ifdef EDDY_HAVE_KAFKA
  if (u.scheme == "kafka") {
    auto o = kafka::parse_source_uri(u);
    if (!o) throw std::invalid_argument(flag + ": " + o.error().message);
    if (batch && !o->bounded)
      throw std::invalid_argument(flag + ": " + value +
                                  ": this job runs in batch mode and needs a bounded input: add "
                                  "bounded=latest");
    if (o->format == "json" && !json)
      throw std::invalid_argument(flag + ": " + value +
                                  ": format=json is not available for this job, which reads "
                                  "text lines (use format=raw)");
    return;
  }
#endif
  unknown_scheme(flag, u, true);
}

void check_output_uri(const std::string& flag, const std::string& value) {
  if (value.empty() || !is_endpoint_uri(value)) return;
  const auto u = parse(flag, value);
  if (u.scheme == "file") {
    (void)file_output(flag, u);
    return;
  }
#ifdef EDDY_HAVE_POSTGRES
  if (u.scheme == "postgresql") {
    auto o = postgres::parse_sink_uri(u);
    if (!o) throw std::invalid_argument(flag + ": " + o.error().message);
    return;
  }
#endif
#ifdef EDDY_HAVE_MQTT
  if (u.scheme == "mqtt") {
    auto o = mqtt::parse_sink_uri(u);
    if (!o) throw std::invalid_argument(flag + ": " + o.error().message);
    return;
  }
#endif
#ifdef EDDY_HAVE_KAFKA
  if (u.scheme == "kafka") {
    auto o = kafka::parse_sink_uri(u);
    if (!o) throw std::invalid_argument(flag + ": " + o.error().message);
    return;
  }
#endif
  unknown_scheme(flag, u, false);
}

DataStream<std::string> read_lines(StreamEnvironment& env, const std::string& value,
                                   bool with_topics) {
  (void)with_topics;  // used by mqtt:// inputs only
  if (!is_endpoint_uri(value)) return env.read_text_file(value);
  const auto u = parse("input", value);
  if (u.scheme == "file") {
    if (is_directory_input(u))
      return env.from_source(files::directory_lines_source(directory_input("input", u)),
                             "read directory");
    return env.read_text_file(file_path("input", u));
  }
  if (u.scheme == "socket") {
    auto o = socket::parse_socket_uri(u);
    if (!o) throw std::invalid_argument(o.error().message);
    return env.from_source(socket::socket_text_source(*o), "read socket");
  }
#ifdef EDDY_HAVE_KAFKA
  if (u.scheme == "kafka") {
    auto o = kafka::parse_source_uri(u);
    if (!o) throw std::invalid_argument(o.error().message);
    return env.from_source(kafka::kafka_source_values(*o), "read kafka");
  }
#endif
#ifdef EDDY_HAVE_MQTT
  if (u.scheme == "mqtt") {
    auto o = mqtt::parse_source_uri(u);
    if (!o) throw std::invalid_argument(o.error().message);
    // The write-ahead log goes with the checkpoints unless the URI says where.
    const auto& chk = env.config().checkpoints.directory;
    if (o->wal_dir.empty() && !chk.empty()) o->wal_dir = chk + "/mqtt-wal";
    if (with_topics)
      return env
          .from_source(mqtt::mqtt_source<std::string>(*o,
                                                      [](const mqtt::message_view& m) {
                                                        std::string s(m.topic);
                                                        s += topic_separator;
                                                        s += m.payload;
                                                        return s;
                                                      }),
                       "read mqtt")
          .set_parallelism(1);
    return env.from_source(mqtt::mqtt_source_values(*o), "read mqtt").set_parallelism(1);
  }
#endif
#ifdef EDDY_HAVE_POSTGRES
  if (u.scheme == "postgresql") {
    auto o = postgres::parse_source_uri(u);
    if (!o) throw std::invalid_argument(o.error().message);
    return env.from_source(postgres::postgres_source_csv_lines(*o), "read postgresql");
  }
#endif
  unknown_scheme("input", u, true);
}

std::string output_directory(const std::string& value) {
  if (!is_endpoint_uri(value)) return value;
  const auto u = parse("output", value);
  return u.scheme == "file" ? file_output("output", u).path : std::string();
}

rolling_policy output_rolling(const std::string& value) {
  if (!is_endpoint_uri(value)) return {};
  const auto u = parse("output", value);
  return u.scheme == "file" ? file_output("output", u).rolling : rolling_policy{};
}

DataStreamSink write_lines_to_uri(DataStream<std::string> lines, const std::string& value,
                                  const output_table* table) {
  const auto u = parse("output", value);
#ifdef EDDY_HAVE_MQTT
  if (u.scheme == "mqtt") {
    auto o = mqtt::parse_sink_uri(u);
    if (!o) throw std::invalid_argument(o.error().message);
    return lines.sink_to(mqtt::mqtt_sink_values(*o), "write mqtt");
  }
#endif
#ifdef EDDY_HAVE_POSTGRES
  if (u.scheme == "postgresql") {
    auto o = postgres::parse_sink_uri(u);
    if (!o) throw std::invalid_argument(o.error().message);
    std::optional<postgres::table_schema> schema;
    if (table) {
      schema.emplace();
      for (const auto& [name, type] : table->columns) schema->columns.push_back({name, type});
      schema->primary_key = table->primary_key;
    } else if (o->create_table) {
      throw std::invalid_argument(value +
                                  ": create-table=true: this job's output has no table "
                                  "description (the sensors job's windows have one); create the "
                                  "table by hand");
    }
    return lines.sink_to(postgres::postgres_sink_csv_lines(*o, std::move(schema)),
                         "write postgresql");
  }
#else
  (void)table;
#endif
#ifdef EDDY_HAVE_KAFKA
  if (u.scheme == "kafka") {
    auto o = kafka::parse_sink_uri(u);
    if (!o) throw std::invalid_argument(o.error().message);
    return lines.sink_to(kafka::kafka_sink_values(*o), "write kafka");
  }
#endif
  unknown_scheme("output", u, false);
}

}  // namespace eddy::samples
