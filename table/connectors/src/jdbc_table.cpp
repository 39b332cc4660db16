// 'connector' = 'jdbc' (alias 'postgresql'): Flink's JDBC keys mapped onto the postgresql://
// URI's (postgres_options.hpp). Rows travel as text rows (table_connector.hpp).
#include <string>
#include <vector>

#include "connector_bindings.hpp"
#include "ddl_uri.hpp"
#include "eddy/connectors/postgres/postgres_lookup.hpp"
#include "eddy/connectors/postgres/postgres_sink.hpp"
#include "eddy/connectors/postgres/postgres_source.hpp"

namespace eddy::table {

namespace {

std::string quote_identifier(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// 'url' = 'jdbc:postgresql://HOST[:PORT]/DB' (or 'postgresql://...'), 'table-name',
/// 'username' and Flink's scan.* / sink.* keys as the postgresql:// URI's.
expected<connectors::connector_uri> jdbc_uri(const table_def& t, table_options o, bool source) {
  std::vector<std::string> known = {"url",           "table-name",      "username", "password",
                                    "password-file", "connect-timeout", "sslmode",  "sslrootcert",
                                    "sslcert",       "sslkey",          "table"};
  const std::vector<std::string> source_keys = {"scan.partition.column",
                                                "scan.partition.num",
                                                "scan.partition.lower-bound",
                                                "scan.partition.upper-bound",
                                                "scan.fetch-size",
                                                "query",
                                                "partition-column",
                                                "partition-num",
                                                "lower-bound",
                                                "upper-bound",
                                                "fetch-size"};
  const std::vector<std::string> sink_keys = {"sink.buffer-flush.max-rows",
                                              "sink.delivery-guarantee",
                                              "mode",
                                              "key",
                                              "create-table",
                                              "batch-size",
                                              "guarantee",
                                              "transaction-prefix"};
  known.insert(known.end(), source_keys.begin(), source_keys.end());
  known.insert(known.end(), sink_keys.begin(), sink_keys.end());
  known.push_back("lookup.max-retries");  // lookup joins (the planner reads the cache's keys)
  if (auto ok = ddl::check_keys(t, o, known); !ok) return ok.error();
  ddl::drop_keys(o, source ? sink_keys : source_keys);
  ddl::drop_keys(o, {"lookup.max-retries"});
  auto url = ddl::take(o, "url");
  if (!url) return ddl::table_error(t, "'url' (jdbc:postgresql://HOST:PORT/DB) is required");
  std::string_view rest = *url;
  if (rest.rfind("jdbc:", 0) == 0) rest.remove_prefix(5);
  const std::string_view scheme = "postgresql://";
  if (rest.rfind(scheme, 0) != 0)
    return ddl::table_error(t, "'url' = '" + *url +
                                   "': expected jdbc:postgresql://HOST:PORT/DB (PostgreSQL is the "
                                   "database there is a driver for)");
  rest.remove_prefix(scheme.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size() ||
      rest.find_first_of("?@", slash) != std::string_view::npos || rest.find('@') < slash)
    return ddl::table_error(t, "'url' = '" + *url +
                                   "': expected jdbc:postgresql://HOST:PORT/DB (the user in "
                                   "'username', other settings as options)");
  auto hosts = ddl::hosts(t, "url", rest.substr(0, slash), 5432);
  if (!hosts) return hosts.error();
  if (hosts->size() != 1)
    return ddl::table_error(t, "'url' = '" + *url + "': expected one HOST:PORT");
  if (ddl::take(o, "password"))
    return ddl::table_error(t,
                            "'password' would keep the password in the statement: give "
                            "'password-file' (a file whose first line is the password) or "
                            "use ~/.pgpass");
  auto u =
      ddl::make_uri(t, "postgresql", std::move(*hosts), std::string(rest.substr(slash + 1)), {});
  if (auto user = ddl::take(o, "username")) u.user = *user;
  ddl::rename(o, "table-name", "table");
  ddl::rename(o, "scan.partition.column", "partition-column");
  ddl::rename(o, "scan.partition.num", "partition-num");
  ddl::rename(o, "scan.partition.lower-bound", "lower-bound");
  ddl::rename(o, "scan.partition.upper-bound", "upper-bound");
  ddl::rename(o, "scan.fetch-size", "fetch-size");
  ddl::rename(o, "sink.buffer-flush.max-rows", "batch-size");
  ddl::rename(o, "sink.delivery-guarantee", "guarantee");
  u.options = std::move(o);
  return u;
}

bool has(const table_options& o, std::string_view key) {
  for (const auto& [k, v] : o)
    if (k == key) return true;
  return false;
}

/// PostgreSQL's type for a column (create-table).
std::string pg_type(const rows::logical_type& t) {
  using rows::type_id;
  switch (t.id) {
    case type_id::boolean:
      return "BOOLEAN";
    case type_id::tinyint:
    case type_id::smallint:
      return "SMALLINT";
    case type_id::int_:
      return "INTEGER";
    case type_id::bigint:
      return "BIGINT";
    case type_id::float_:
      return "REAL";
    case type_id::double_:
      return "DOUBLE PRECISION";
    case type_id::decimal:
      return "NUMERIC(" + std::to_string(t.precision) + ", " + std::to_string(t.scale) + ")";
    case type_id::date:
      return "DATE";
    case type_id::time:
      return "TIME(3)";
    case type_id::timestamp:
      return "TIMESTAMP(3)";
    case type_id::timestamp_ltz:
      return "TIMESTAMPTZ(3)";
    case type_id::binary:
    case type_id::varbinary:
      return "BYTEA";
    default:
      return "TEXT";
  }
}

/// A lookup join's side: one connection per subtask.
class jdbc_lookup final : public table_lookup {
 public:
  jdbc_lookup(const postgres::connection_options& o, const std::string& table,
              const std::vector<std::string>& columns, const std::vector<std::string>& keys,
              int retries)
      : client_(o, table, columns, keys, retries) {}
  std::vector<text_row> lookup(const std::vector<std::string>& key) override {
    return client_.lookup(key);
  }

 private:
  postgres::lookup_client client_;
};

}  // namespace

void register_jdbc_table() {
  table_connector c;
  c.text_rows = true;
  c.source = [](const table_def& t, const table_options& o) -> expected<table_source> {
    auto u = jdbc_uri(t, o, true);
    if (!u) return u.error();
    // Flink reads the declared columns by name: SELECT "a", "b" FROM table.
    if (!has(u->options, "query")) {
      const auto table = ddl::take(u->options, "table");
      if (!table) return ddl::table_error(t, "'table-name' is required");
      std::string cols;
      for (const auto& f : t.columns) cols += (cols.empty() ? "" : ", ") + quote_identifier(f.name);
      u->options.emplace_back("query", "SELECT " + cols + " FROM " + *table);
    }
    auto opts = postgres::parse_source_uri(*u);
    if (!opts) return opts.error();
    table_source s;
    s.description = "url=[" + opts->connection.describe() + "]";
    s.rows = postgres::postgres_source_rows(std::move(*opts));
    return s;
  };
  c.sink = [](const table_def& t, const table_options& o, bool updating) -> expected<table_sink> {
    auto u = jdbc_uri(t, o, false);
    if (!u) return u.error();
    // Flink's JDBC sink: upserts by the declared primary key, appends without one.
    if (!has(u->options, "mode")) {
      u->options.emplace_back("mode", t.primary_key.empty() ? "append" : "upsert");
      if (t.primary_key.empty() && !has(u->options, "guarantee"))
        u->options.emplace_back("guarantee", "at-least-once");  // Flink's default
    }
    auto opts = postgres::parse_sink_uri(*u);
    if (!opts) return opts.error();
    if (updating && opts->mode != postgres::write_mode::upsert)
      return ddl::table_error(t,
                              "the query's result is updating, which needs the upsert mode "
                              "(a PRIMARY KEY), not 'mode' = 'append'");
    postgres::table_schema schema;
    for (const auto& f : t.columns) schema.columns.push_back({f.name, pg_type(f.type)});
    schema.primary_key = t.primary_key;
    table_sink s;
    s.description = "url=[" + opts->connection.describe() + "], table-name=[" + opts->table + "]";
    s.rows = postgres::postgres_sink<text_change>(
        std::move(*opts), [](const text_change& c) { return c.row; }, std::move(schema),
        [](const text_change& c) { return c.remove; });
    return s;
  };
  c.lookup = [](const table_def& t, const table_options& o,
                const std::vector<std::size_t>& keys) -> expected<table_lookup_source> {
    int retries = 3;  // Flink's 'lookup.max-retries' default
    for (const auto& [k, v] : o)
      if (k == "lookup.max-retries") {
        try {
          retries = std::stoi(v);
        } catch (const std::exception&) {
          retries = -1;
        }
        if (retries < 0)
          return ddl::table_error(t, "'lookup.max-retries' must be a number >= 0, not '" + v + "'");
      }
    auto u = jdbc_uri(t, o, true);
    if (!u) return u.error();
    if (has(u->options, "query"))
      return ddl::table_error(t, "a lookup join reads 'table-name', not 'query'");
    auto opts = postgres::parse_source_uri(*u);
    if (!opts) return opts.error();
    std::vector<std::string> columns, key_columns;
    for (const auto& f : t.columns) columns.push_back(f.name);
    for (const auto k : keys) key_columns.push_back(t.columns[k].name);
    table_lookup_source s;
    s.description = "url=[" + opts->connection.describe() + "], table-name=[" + opts->table + "]";
    s.make = [connection = opts->connection, table = opts->table, columns, key_columns,
              retries]() -> std::unique_ptr<table_lookup> {
      return std::make_unique<jdbc_lookup>(connection, table, columns, key_columns, retries);
    };
    return s;
  };
  register_table_connector("postgresql", c);
  register_table_connector("jdbc", std::move(c));
}

}  // namespace eddy::table
