#pragma once
/// Rows of a PostgreSQL table by key: what a SQL lookup join against a 'jdbc' / 'postgresql'
/// table asks for each row of its stream (Flink's JdbcRowDataLookupFunction).
///
///   postgres::lookup_client c(options, "rates", {"currency", "rate"}, {"currency"}, 3);
///   auto rows = c.lookup({"EUR"});   // SELECT "currency", "rate" FROM rates WHERE "currency" =
///   'EUR'
///
/// Values travel as text (PostgreSQL's text output; nullopt is NULL), keys as quoted literals
/// the server converts to the key columns' types. Connects at the first lookup, waiting for the
/// server as the other postgres clients do (connection_options::connect_timeout); a lost
/// connection is opened again and the lookup retried up to `max_retries` times.
///
/// Errors: std::runtime_error naming the table and the server's reason (an unknown table or
/// column, a key that does not convert, the server gone for longer than the retries). Blocks the
/// caller for the round trip. Not thread-safe: one per subtask.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eddy/connectors/postgres/postgres_options.hpp"

namespace eddy::postgres {

class lookup_client {
 public:
  lookup_client(connection_options o, std::string table, std::vector<std::string> columns,
                std::vector<std::string> key_columns, int max_retries);
  ~lookup_client();
  lookup_client(const lookup_client&) = delete;
  lookup_client& operator=(const lookup_client&) = delete;

  /// The rows whose key columns equal `key` (one text per key column, in order).
  std::vector<std::vector<std::optional<std::string>>> lookup(const std::vector<std::string>& key);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace eddy::postgres
