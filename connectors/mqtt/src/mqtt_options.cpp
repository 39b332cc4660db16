#include "eddy/connectors/mqtt/mqtt_options.hpp"

#include <vector>

namespace eddy::mqtt {

namespace {

using connectors::uri_error;

expected<int> qos(const connectors::connector_uri& uri, connectors::uri_options& o) {
  auto v = o.take("qos");
  if (!v) return 1;
  if (*v == "0" || *v == "1" || *v == "2") return (*v)[0] - '0';
  return uri_error(uri, "qos '" + *v + "' is not one of 0, 1, 2");
}

expected<bool> flag(const connectors::connector_uri& uri, connectors::uri_options& o,
                    const char* key) {
  auto v = o.take(key);
  if (!v || *v == "false") return false;
  if (*v == "true") return true;
  return uri_error(uri, std::string(key) + " '" + *v + "': expected true or false");
}

expected<std::string> format(const connectors::connector_uri& uri, connectors::uri_options& o) {
  auto f = o.take("format").value_or("raw");
  if (f != "raw" && f != "csv" && f != "json")
    return uri_error(uri, "format '" + f + "' is not available (formats: raw, csv, json)");
  return f;
}

expected<std::chrono::seconds> seconds(const connectors::connector_uri& uri,
                                       connectors::uri_options& o, const char* key,
                                       std::chrono::seconds def) {
  auto v = o.take(key);
  if (!v) return def;
  auto d = connectors::parse_duration(*v);
  if (!d || *d < std::chrono::seconds(1) || *d > std::chrono::hours(18))
    return uri_error(uri, std::string(key) + " '" + *v + "': expected a duration like 30s");
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

expected<connection_options> connection(const connectors::connector_uri& uri,
                                        connectors::uri_options& o) {
  connection_options c;
  if (uri.hosts.size() != 1) return uri_error(uri, "expected mqtt://HOST:PORT/TOPIC");
  if (!uri.user.empty())
    return uri_error(uri, "give the user name as username=U (and password-file=PATH)");
  const auto& h = uri.hosts.front();
  const auto colon = h.rfind(':');
  c.host = h.substr(0, colon);
  c.port = std::stoi(h.substr(colon + 1));  // checked by parse_connector_uri
  if (auto v = o.take("client-id")) {
    if (v->empty() || v->size() > 200)
      return uri_error(uri, "client-id '" + *v + "': expected 1 to 200 characters");
    c.client_id = *v;
  }
  if (auto v = o.take("username")) c.username = *v;
  if (auto v = o.take("password-file")) c.password_file = *v;
  if (!c.password_file.empty() && c.username.empty())
    return uri_error(uri, "password-file needs username=U");
  if (auto v = o.take("tls-ca-file")) c.tls_ca_file = *v;
  if (auto v = o.take("tls-cert-file")) c.tls_cert_file = *v;
  if (auto v = o.take("tls-key-file")) c.tls_key_file = *v;
  auto insecure = flag(uri, o, "tls-insecure");
  if (!insecure) return insecure.error();
  c.tls_insecure = *insecure;
  if (c.tls_ca_file.empty() &&
      (!c.tls_cert_file.empty() || !c.tls_key_file.empty() || c.tls_insecure))
    return uri_error(uri, "TLS options need tls-ca-file=PATH (the broker's CA)");
  if (c.tls_cert_file.empty() != c.tls_key_file.empty())
    return uri_error(uri, "give tls-cert-file and tls-key-file together");
  auto k = seconds(uri, o, "keepalive", c.keepalive);
  if (!k) return k.error();
  c.keepalive = *k;
  auto r = seconds(uri, o, "reconnect-max", c.reconnect_max);
  if (!r) return r.error();
  c.reconnect_max = *r;
  return c;
}

std::vector<std::string> known(std::vector<std::string> keys) {
  for (const char* k : {"client-id", "username", "password-file", "tls-ca-file", "tls-cert-file",
                        "tls-key-file", "tls-insecure", "keepalive", "reconnect-max"})
    keys.emplace_back(k);
  return keys;
}

}  // namespace

std::string connection_options::describe() const {
  return host + ":" + std::to_string(port);
}

expected<source_options> parse_source_uri(const connectors::connector_uri& uri) {
  source_options s;
  connectors::uri_options o(uri);
  auto c = connection(uri, o);
  if (!c) return c.error();
  s.connection = std::move(*c);
  s.topic_filter = uri.path;
  if (s.topic_filter.empty())
    return uri_error(uri, "no topic filter: expected mqtt://HOST:PORT/TOPIC-FILTER");
  // A filter's wildcards: '#' only as the whole last level, '+' only as a whole level.
  for (std::size_t i = 0; i < s.topic_filter.size(); ++i) {
    const char ch = s.topic_filter[i];
    if (ch != '#' && ch != '+') continue;
    const bool starts = i == 0 || s.topic_filter[i - 1] == '/';
    const bool ends = i + 1 == s.topic_filter.size() || s.topic_filter[i + 1] == '/';
    if (!starts || !ends || (ch == '#' && i + 1 != s.topic_filter.size()))
      return uri_error(uri, "topic filter '" + s.topic_filter + "': '" + std::string(1, ch) +
                                "' must be a whole level" +
                                (ch == '#' ? std::string(", and the last") : std::string()));
  }
  auto q = qos(uri, o);
  if (!q) return q.error();
  s.qos = *q;
  auto f = format(uri, o);
  if (!f) return f.error();
  s.format = *f;
  if (auto v = o.take("wal-dir")) s.wal_dir = *v;
  auto sync = flag(uri, o, "wal-sync");
  if (!sync) return sync.error();
  s.wal_sync = *sync;
  if (auto ok = o.check_all_taken(known({"qos", "format", "wal-dir", "wal-sync"})); !ok)
    return ok.error();
  return s;
}

expected<sink_options> parse_sink_uri(const connectors::connector_uri& uri) {
  sink_options s;
  connectors::uri_options o(uri);
  auto c = connection(uri, o);
  if (!c) return c.error();
  s.connection = std::move(*c);
  s.topic = uri.path;
  if (s.topic.empty()) return uri_error(uri, "no topic: expected mqtt://HOST:PORT/TOPIC");
  if (s.topic.find_first_of("#+") != std::string::npos)
    return uri_error(uri, "topic '" + s.topic + "': a topic to publish to has no wildcards");
  auto q = qos(uri, o);
  if (!q) return q.error();
  s.qos = *q;
  auto r = flag(uri, o, "retain");
  if (!r) return r.error();
  s.retain = *r;
  auto f = format(uri, o);
  if (!f) return f.error();
  s.format = *f;
  if (auto v = o.take("flush-timeout")) {
    auto d = connectors::parse_duration(*v);
    if (!d || d->count() == 0)
      return uri_error(uri, "flush-timeout '" + *v + "': expected a duration like 2m");
    s.flush_timeout = *d;
  }
  if (auto v = o.take("guarantee")) {
    if (*v == "exactly-once")
      s.exactly_once = true;
    else if (*v != "at-least-once")
      return uri_error(uri, "guarantee '" + *v + "' is not one of at-least-once, exactly-once");
  }
  if (auto v = o.take("commit-topic")) {
    if (v->empty() || v->find_first_of("#+") != std::string::npos)
      return uri_error(uri, "commit-topic '" + *v + "': expected a topic without wildcards");
    s.commit_topic = *v;
  }
  if (s.exactly_once && s.connection.client_id.empty())
    return uri_error(uri,
                     "guarantee=exactly-once needs client-id=ID (its commits are recorded "
                     "under it)");
  if (s.exactly_once && s.qos == 0)
    return uri_error(uri, "guarantee=exactly-once needs qos=1 or 2");
  if (s.commit_topic.empty() && !s.connection.client_id.empty())
    s.commit_topic = "eddy/commits/" + s.connection.client_id;
  if (auto ok = o.check_all_taken(
          known({"qos", "retain", "format", "flush-timeout", "guarantee", "commit-topic"}));
      !ok)
    return ok.error();
  return s;
}

}  // namespace eddy::mqtt
