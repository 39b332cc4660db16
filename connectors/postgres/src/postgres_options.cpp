#include "eddy/connectors/postgres/postgres_options.hpp"

#include <charconv>

namespace eddy::postgres {

namespace {

using connectors::uri_error;

template <class Int>
bool parse_int(const std::string& s, Int& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && p == s.data() + s.size() && !s.empty();
}

/// Splits "a,b,c" into its non-empty parts.
std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

expected<connection_options> connection(const connectors::connector_uri& uri,
                                        connectors::uri_options& o) {
  connection_options c;
  if (uri.hosts.size() != 1)
    return uri_error(uri, "expected postgresql://USER@HOST:PORT/DB with one HOST:PORT");
  const auto& h = uri.hosts.front();
  const auto colon = h.rfind(':');
  c.host = h.substr(0, colon);
  c.port = std::stoi(h.substr(colon + 1));  // checked by parse_connector_uri
  c.user = uri.user;
  c.database = uri.path;
  if (c.database.empty() || c.database.find('/') != std::string::npos)
    return uri_error(uri, "no database: expected postgresql://USER@HOST:PORT/DB");
  if (auto v = o.take("password-file")) {
    if (v->empty()) return uri_error(uri, "password-file is empty: expected a path");
    c.password_file = *v;
  }
  if (auto v = o.take("connect-timeout")) {
    auto d = connectors::parse_duration(*v);
    if (!d || d->count() == 0)
      return uri_error(uri, "connect-timeout '" + *v + "': expected a duration like 30s");
    c.connect_timeout = *d;
  }
  for (const char* k : {"sslmode", "sslrootcert", "sslcert", "sslkey"})
    if (auto v = o.take(k)) c.ssl.emplace_back(k, *v);
  return c;
}

const std::vector<std::string> connection_keys = {"password-file", "connect-timeout", "sslmode",
                                                  "sslrootcert",   "sslcert",         "sslkey"};

std::vector<std::string> with_connection_keys(std::vector<std::string> keys) {
  keys.insert(keys.end(), connection_keys.begin(), connection_keys.end());
  return keys;
}

}  // namespace

std::string connection_options::describe() const {
  return (user.empty() ? "" : user + "@") + host + ":" + std::to_string(port) + "/" + database;
}

expected<sink_options> parse_sink_uri(const connectors::connector_uri& uri) {
  sink_options s;
  connectors::uri_options o(uri);
  auto c = connection(uri, o);
  if (!c) return c.error();
  s.connection = std::move(*c);
  if (auto v = o.take("table")) s.table = *v;
  if (s.table.empty()) return uri_error(uri, "no table: add ?table=NAME");
  if (auto v = o.take("mode")) {
    if (*v == "upsert")
      s.mode = write_mode::upsert;
    else if (*v == "append")
      s.mode = write_mode::append;
    else
      return uri_error(uri, "mode '" + *v + "' is not one of upsert, append");
  }
  if (auto v = o.take("key")) {
    s.key = split_list(*v);
    if (s.key.empty()) return uri_error(uri, "key is empty: expected key=COLUMN[,COLUMN...]");
    if (s.mode == write_mode::append)
      return uri_error(uri, "key= is for mode=upsert (append writes every row)");
  }
  if (auto v = o.take("create-table")) {
    if (*v == "true")
      s.create_table = true;
    else if (*v != "false")
      return uri_error(uri, "create-table '" + *v + "': expected true or false");
  }
  if (auto v = o.take("batch-size")) {
    if (!parse_int(*v, s.batch_size) || s.batch_size == 0 || s.batch_size > 100'000)
      return uri_error(uri, "batch-size '" + *v + "': expected a number of rows in 1..100000");
  }
  if (auto v = o.take("guarantee")) {
    if (*v == "exactly-once")
      s.guarantee = delivery_guarantee::exactly_once;
    else if (*v == "at-least-once")
      s.guarantee = delivery_guarantee::at_least_once;
    else if (*v == "none")
      s.guarantee = delivery_guarantee::none;
    else
      return uri_error(uri,
                       "guarantee '" + *v + "' is not one of exactly-once, at-least-once, none");
  }
  if (auto v = o.take("transaction-prefix")) {
    if (v->empty() || v->find(':') != std::string::npos || v->size() > 100)
      return uri_error(uri, "transaction-prefix '" + *v +
                                "': expected a non-empty name without ':' (at most 100 chars)");
    s.transaction_prefix = *v;
  }
  if (s.transaction_prefix.empty()) s.transaction_prefix = "eddy-" + s.table;
  if (auto ok = o.check_all_taken(
          with_connection_keys({"table", "mode", "key", "create-table", "batch-size", "guarantee",
                                "transaction-prefix"}));
      !ok)
    return ok.error();
  return s;
}

expected<source_options> parse_source_uri(const connectors::connector_uri& uri) {
  source_options s;
  connectors::uri_options o(uri);
  auto c = connection(uri, o);
  if (!c) return c.error();
  s.connection = std::move(*c);
  if (auto v = o.take("table")) s.table = *v;
  if (auto v = o.take("query")) s.query = *v;
  if (s.table.empty() == s.query.empty())
    return uri_error(uri, "give exactly one of table=NAME and query=SELECT...");
  if (auto v = o.take("partition-column")) s.partition_column = *v;
  if (auto v = o.take("partition-num")) {
    if (!parse_int(*v, s.partition_num) || s.partition_num < 1 || s.partition_num > 100'000)
      return uri_error(uri, "partition-num '" + *v + "': expected a number in 1..100000");
  }
  for (auto [key, bound] :
       {std::pair{"lower-bound", &s.lower_bound}, std::pair{"upper-bound", &s.upper_bound}}) {
    if (auto v = o.take(key)) {
      std::int64_t n = 0;
      if (!parse_int(*v, n))
        return uri_error(uri, std::string(key) + " '" + *v + "': expected an integer");
      *bound = n;
    }
  }
  if (s.partition_column.empty() &&
      (s.partition_num > 0 || s.lower_bound.has_value() || s.upper_bound.has_value()))
    return uri_error(uri, "partition-num, lower-bound and upper-bound need partition-column=C");
  if (!s.partition_column.empty() && s.partition_num == 0)
    return uri_error(uri, "partition-column needs partition-num=N (the number of ranges)");
  if (s.lower_bound && s.upper_bound && *s.lower_bound > *s.upper_bound)
    return uri_error(uri, "lower-bound is greater than upper-bound");
  if (auto v = o.take("fetch-size")) {
    if (!parse_int(*v, s.fetch_size) || s.fetch_size == 0 || s.fetch_size > 1'000'000)
      return uri_error(uri, "fetch-size '" + *v + "': expected a number of rows in 1..1000000");
  }
  if (auto ok = o.check_all_taken(
          with_connection_keys({"table", "query", "partition-column", "partition-num",
                                "lower-bound", "upper-bound", "fetch-size"}));
      !ok)
    return ok.error();
  return s;
}

}  // namespace eddy::postgres
