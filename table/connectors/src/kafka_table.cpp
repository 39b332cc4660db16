// 'connector' = 'kafka': Flink's keys mapped onto the kafka:// URI's (kafka_options.hpp).
#include <algorithm>

#include "connector_bindings.hpp"
#include "ddl_uri.hpp"
#include "eddy/connectors/kafka/kafka_sink.hpp"
#include "eddy/connectors/kafka/kafka_source.hpp"

namespace eddy::table {

namespace {

/// The kafka:// URI of a table: hosts from 'properties.bootstrap.servers', the path from
/// 'topic', Flink's scan.* / sink.* keys as the URI's.
expected<connectors::connector_uri> kafka_uri(const table_def& t, table_options o, bool source) {
  const std::vector<std::string> source_keys = {"topic-pattern",
                                                "properties.group.id",
                                                "scan.startup.mode",
                                                "scan.startup.timestamp-millis",
                                                "scan.bounded.mode",
                                                "scan.topic-partition-discovery.interval",
                                                "start",
                                                "bounded",
                                                "group",
                                                "pattern",
                                                "discovery"};
  const std::vector<std::string> sink_keys = {"sink.delivery-guarantee",
                                              "sink.transactional-id-prefix", "guarantee",
                                              "transactional-id-prefix", "flush-timeout"};
  std::vector<std::string> known = {"topic", "properties.bootstrap.servers"};
  known.insert(known.end(), source_keys.begin(), source_keys.end());
  known.insert(known.end(), sink_keys.begin(), sink_keys.end());
  known.push_back("properties.*");
  if (auto ok = ddl::check_keys(t, o, known); !ok) return ok.error();
  ddl::drop_keys(o, source ? sink_keys : source_keys);
  const auto servers = ddl::take(o, "properties.bootstrap.servers");
  if (!servers) return ddl::table_error(t, "'properties.bootstrap.servers' is required");
  auto hosts = ddl::hosts(t, "properties.bootstrap.servers", *servers, 0);
  if (!hosts) return hosts.error();
  auto topic = ddl::take(o, "topic");
  if (auto p = ddl::take(o, "topic-pattern")) {
    if (!source) return ddl::table_error(t, "'topic-pattern' is for reading; give 'topic'");
    if (topic) return ddl::table_error(t, "give 'topic' or 'topic-pattern', not both");
    o.emplace_back("pattern", *p);
    topic = "";
  }
  const bool pattern =
      std::any_of(o.begin(), o.end(), [](const auto& kv) { return kv.first == "pattern"; });
  if (!topic && !pattern) return ddl::table_error(t, "'topic' is required");
  if (topic) {  // Flink lists topics as 'a;b'; the URI's path is "a,b"
    for (char& c : *topic)
      if (c == ';') c = ',';
    const auto list = ddl::split_list(*topic);
    if (!source && list.size() > 1)
      return ddl::table_error(t, "a sink writes one topic, not '" + *topic + "'");
    std::string joined;
    for (const auto& x : list) joined += (joined.empty() ? "" : ",") + x;
    topic = joined;
  }
  ddl::rename(o, "properties.group.id", "group");
  if (auto m = ddl::take(o, "scan.startup.mode")) {
    std::string start;
    if (*m == "earliest-offset")
      start = "earliest";
    else if (*m == "latest-offset")
      start = "latest";
    else if (*m == "group-offsets")
      start = "committed";
    else if (*m == "timestamp") {
      const auto ms = ddl::take(o, "scan.startup.timestamp-millis");
      if (!ms)
        return ddl::table_error(t,
                                "'scan.startup.mode' = 'timestamp' needs "
                                "'scan.startup.timestamp-millis'");
      start = "timestamp:" + *ms;
    } else {
      return ddl::table_error(t, "'scan.startup.mode' = '" + *m +
                                     "' is not supported (earliest-offset, latest-offset, "
                                     "group-offsets, timestamp)");
    }
    o.emplace_back("start", start);
  }
  if (auto m = ddl::take(o, "scan.bounded.mode")) {
    if (*m == "latest-offset")
      o.emplace_back("bounded", "latest");
    else if (*m != "unbounded")
      return ddl::table_error(
          t, "'scan.bounded.mode' = '" + *m + "' is not supported (unbounded, latest-offset)");
  }
  if (auto d = ddl::take(o, "scan.topic-partition-discovery.interval")) {
    std::string compact;  // Flink writes durations as '30 s'
    for (char c : *d)
      if (c != ' ') compact += c;
    o.emplace_back("discovery", compact);
  }
  ddl::rename(o, "sink.delivery-guarantee", "guarantee");
  ddl::rename(o, "sink.transactional-id-prefix", "transactional-id-prefix");
  return ddl::make_uri(t, "kafka", std::move(*hosts), topic.value_or(""), o);
}

}  // namespace

void register_kafka_table() {
  table_connector c;
  c.source = [](const table_def& t, const table_options& o) -> expected<table_source> {
    auto u = kafka_uri(t, o, true);
    if (!u) return u.error();
    auto opts = kafka::parse_source_uri(*u);
    if (!opts) return opts.error();
    table_source s;
    std::string topics;
    for (const auto& x : opts->topics) topics += (topics.empty() ? "" : ",") + x;
    s.description = opts->topic_pattern.empty() ? "topic=[" + topics + "]"
                                                : "topic-pattern=[" + opts->topic_pattern + "]";
    s.lines = kafka::kafka_source_values(std::move(*opts));
    return s;
  };
  c.sink = [](const table_def& t, const table_options& o, bool) -> expected<table_sink> {
    auto u = kafka_uri(t, o, false);
    if (!u) return u.error();
    auto opts = kafka::parse_sink_uri(*u);
    if (!opts) return opts.error();
    if (opts->guarantee == delivery_guarantee::exactly_once &&
        opts->transactional_id_prefix.empty())
      return ddl::table_error(t,
                              "'sink.delivery-guarantee' = 'exactly-once' needs "
                              "'sink.transactional-id-prefix'");
    table_sink s;
    s.description = "topic=[" + opts->topic + "]";
    s.lines = kafka::kafka_sink_values(std::move(*opts));
    return s;
  };
  register_table_connector("kafka", std::move(c));
}

}  // namespace eddy::table
