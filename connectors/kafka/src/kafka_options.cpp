#include "eddy/connectors/kafka/kafka_options.hpp"

#include <charconv>

namespace eddy::kafka {

namespace {

using connectors::uri_error;

expected<std::string> servers(const connectors::connector_uri& uri) {
  if (uri.hosts.empty()) return uri_error(uri, "no broker: expected kafka://HOST:PORT/TOPIC");
  std::string s;
  for (const auto& h : uri.hosts) s += (s.empty() ? "" : ",") + h;
  return s;
}

expected<std::string> format(const connectors::connector_uri& uri, connectors::uri_options& o) {
  auto f = o.take("format").value_or("raw");
  if (f != "raw" && f != "csv" && f != "json")
    return uri_error(uri, "format '" + f + "' is not available (formats: raw, csv, json)");
  return f;
}

}  // namespace

expected<source_options> parse_source_uri(const connectors::connector_uri& uri) {
  source_options s;
  connectors::uri_options o(uri);
  auto b = servers(uri);
  if (!b) return b.error();
  s.bootstrap_servers = *b;
  if (auto p = o.take("pattern")) s.topic_pattern = *p;
  if (!uri.path.empty()) {
    std::size_t start = 0;
    while (start <= uri.path.size()) {
      auto comma = uri.path.find(',', start);
      if (comma == std::string::npos) comma = uri.path.size();
      if (comma > start) s.topics.push_back(uri.path.substr(start, comma - start));
      start = comma + 1;
    }
  }
  if (s.topics.empty() && s.topic_pattern.empty())
    return uri_error(uri, "no topic: expected kafka://HOST:PORT/TOPIC (or ?pattern=REGEX)");
  if (!s.topics.empty() && !s.topic_pattern.empty())
    return uri_error(uri, "give topics in the path or a pattern, not both");
  if (auto v = o.take("start")) {
    if (*v == "earliest") {
      s.start = start_offset::earliest;
    } else if (*v == "latest") {
      s.start = start_offset::latest;
    } else if (*v == "committed") {
      s.start = start_offset::committed;
    } else if (v->rfind("timestamp:", 0) == 0) {
      const auto ms = std::string_view(*v).substr(10);
      auto [p, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), s.start_timestamp);
      if (ec != std::errc{} || p != ms.data() + ms.size() || s.start_timestamp < 0)
        return uri_error(uri, "start '" + *v + "': expected timestamp:MILLISECONDS");
      s.start = start_offset::timestamp;
    } else {
      return uri_error(
          uri, "start '" + *v + "' is not one of earliest, latest, committed, timestamp:MS");
    }
  }
  if (auto v = o.take("bounded")) {
    if (*v == "latest")
      s.bounded = true;
    else if (*v != "no" && *v != "false")
      return uri_error(uri, "bounded '" + *v + "': expected latest (or no)");
  }
  if (auto v = o.take("group")) s.group = *v;
  if (s.start == start_offset::committed && s.group.empty())
    return uri_error(uri, "start=committed needs group=G");
  if (auto v = o.take("discovery")) {
    auto d = connectors::parse_duration(*v);
    if (!d) return uri_error(uri, "discovery '" + *v + "': expected a duration like 30s or 0");
    s.discovery_interval = *d;
  }
  auto f = format(uri, o);
  if (!f) return f.error();
  s.format = *f;
  s.properties = o.take_prefixed("properties.");
  if (auto ok = o.check_all_taken(
          {"start", "bounded", "group", "pattern", "discovery", "format", "properties.*"});
      !ok)
    return ok.error();
  return s;
}

expected<sink_options> parse_sink_uri(const connectors::connector_uri& uri) {
  sink_options s;
  connectors::uri_options o(uri);
  auto b = servers(uri);
  if (!b) return b.error();
  s.bootstrap_servers = *b;
  s.topic = uri.path;
  if (s.topic.empty() || s.topic.find(',') != std::string::npos)
    return uri_error(uri, "expected one topic: kafka://HOST:PORT/TOPIC");
  if (auto v = o.take("guarantee")) {
    if (*v == "at-least-once") {
      s.guarantee = delivery_guarantee::at_least_once;
    } else if (*v == "none") {
      s.guarantee = delivery_guarantee::none;
    } else if (*v == "exactly-once") {
      s.guarantee = delivery_guarantee::exactly_once;
    } else {
      return uri_error(uri,
                       "guarantee '" + *v + "' is not one of at-least-once, exactly-once, none");
    }
  }
  if (auto v = o.take("transactional-id-prefix")) {
    if (s.guarantee != delivery_guarantee::exactly_once)
      return uri_error(uri, "transactional-id-prefix is for guarantee=exactly-once only");
    if (v->empty()) return uri_error(uri, "transactional-id-prefix is empty");
    s.transactional_id_prefix = *v;
  } else if (s.guarantee == delivery_guarantee::exactly_once) {
    return uri_error(uri,
                     "guarantee=exactly-once needs transactional-id-prefix=P (the prefix of the "
                     "sink's Kafka transactional ids, unique per job)");
  }
  if (auto v = o.take("flush-timeout")) {
    auto d = connectors::parse_duration(*v);
    if (!d || d->count() == 0)
      return uri_error(uri, "flush-timeout '" + *v + "': expected a duration like 2m");
    s.flush_timeout = *d;
  }
  auto f = format(uri, o);
  if (!f) return f.error();
  s.format = *f;
  s.properties = o.take_prefixed("properties.");
  if (auto ok = o.check_all_taken(
          {"guarantee", "transactional-id-prefix", "flush-timeout", "format", "properties.*"});
      !ok)
    return ok.error();
  return s;
}

}  // namespace eddy::kafka
