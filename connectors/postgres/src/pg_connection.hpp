#pragma once
// A connection to PostgreSQL for the connector's sink, source and enumerator (libpqxx 6.4):
// connecting with a wait for the server, statements, quoting, and the table's columns.
// Not thread-safe: one owner at a time.
#include <pqxx/pqxx>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eddy/connectors/postgres/postgres_options.hpp"

namespace eddy::postgres::detail {

/// A column of an existing table.
struct table_column {
  std::string name;
  std::string type;  ///< format_type(): "text", "bigint", "double precision"...
  bool in_primary_key = false;
};

class pg_connection {
 public:
  /// `what` starts every error message ("postgresql sink 'x' (subtask 1/2, table t on ...)").
  pg_connection(connection_options o, std::string what);
  ~pg_connection();
  pg_connection(const pg_connection&) = delete;
  pg_connection& operator=(const pg_connection&) = delete;

  /// Connects (again, if the connection was lost), waiting up to connect_timeout for the
  /// server and logging what it waits for every 5 s. Throws std::runtime_error naming the
  /// server and libpq's reason. Blocks.
  void connect();
  [[nodiscard]] bool connected() const;
  void disconnect();
  /// Runs `sql` outside any pqxx transaction (so BEGIN / PREPARE TRANSACTION can be sent as
  /// statements). pqxx::broken_connection when the connection is lost, pqxx::sql_error for the
  /// server's errors.
  pqxx::result exec(const std::string& sql);
  /// The connection (for COPY); pqxx::broken_connection if there is none.
  pqxx::connection& get();

  /// 'text' with quotes and escapes, or NULL.
  [[nodiscard]] std::string literal(const std::optional<std::string>& value);
  /// "name" as an identifier; "schema.table" quotes each part.
  [[nodiscard]] std::string identifier(const std::string& name);
  /// The table's columns in order; empty if there is no such table.
  std::vector<table_column> columns(const std::string& table);

  [[nodiscard]] const std::string& what() const { return what_; }
  [[nodiscard]] const connection_options& options() const { return o_; }

 private:
  [[nodiscard]] std::string conninfo() const;
  connection_options o_;
  std::string what_;
  std::unique_ptr<pqxx::connection> conn_;
};

/// The server's message of a pqxx exception, on one line.
[[nodiscard]] std::string reason(const std::exception& e);

}  // namespace eddy::postgres::detail
