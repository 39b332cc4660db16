#pragma once
/// The PostgreSQL connector's options, and how a `postgresql://` URI maps onto them
/// (docs/connectors.md lists them with their defaults):
///
///     postgresql://USER@HOST:PORT/DB?table=NAME                      (sink, or source of a table)
///     postgresql://USER@HOST:PORT/DB?table=NAME&mode=append&create-table=true
///     postgresql://USER@HOST:PORT/DB?query=SELECT...&partition-column=id&partition-num=8
///
/// The password is never in the URI: it comes from `password-file=PATH` (the file's first line)
/// or from libpq's own PGPASSFILE / ~/.pgpass. Pure data and parsing; no I/O.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/operators/connector.hpp"
#include "eddy/runtime/error.hpp"

namespace eddy::postgres {

/// Where the server is and how to log in.
struct connection_options {
  std::string host;      ///< from the URI's authority
  int port = 5432;       ///< from the URI's authority
  std::string user;      ///< "USER@" in the URI; empty: libpq's default (the OS user)
  std::string database;  ///< the URI's path
  /// "password-file=PATH": the password is the file's first line (read when connecting).
  std::string password_file;
  /// "connect-timeout=30s": how long connecting waits for the server (at the start, and after
  /// it went away) before the job fails; it logs what it waits for every few seconds.
  std::chrono::milliseconds connect_timeout{30'000};
  /// "sslmode=", "sslrootcert=", "sslcert=", "sslkey=": passed to libpq as they are.
  std::vector<std::pair<std::string, std::string>> ssl;

  /// "USER@HOST:PORT/DB", for messages (no password).
  [[nodiscard]] std::string describe() const;
};

/// How the sink writes rows.
enum class write_mode {
  upsert,  ///< COPY to a staging table, INSERT ... ON CONFLICT (key) DO UPDATE: idempotent
  append,  ///< COPY; exactly-once by two-phase commit (PREPARE TRANSACTION per checkpoint)
};

/// A column of a table the sink may create.
struct column {
  std::string name;
  std::string type;  ///< an SQL type: "TEXT", "BIGINT", "DOUBLE PRECISION"...
};

/// The table a job writes, when the job knows it (the sensors sample does): create-table=true
/// creates it from this, and its key is the upsert key unless key= says otherwise.
struct table_schema {
  std::vector<column> columns;
  std::vector<std::string> primary_key;
};

struct sink_options {
  connection_options connection;
  std::string table;  ///< "table=NAME" (or SCHEMA.NAME); required
  /// "mode=upsert|append". Upsert (the default) needs a key: key= or the table's primary key
  /// (a table without one fails the job at the start, naming both ways out).
  write_mode mode = write_mode::upsert;
  std::vector<std::string> key;   ///< "key=a,b": the conflict columns; default: the primary key
  bool create_table = false;      ///< "create-table=true": CREATE TABLE IF NOT EXISTS (needs a
                                  ///< table_schema from the job)
  std::size_t batch_size = 1000;  ///< "batch-size=N": at most N rows per COPY
  /// "guarantee=exactly-once|at-least-once|none", append mode: exactly-once (the default) keeps
  /// a transaction per checkpoint and commits it when the checkpoint completes (the server needs
  /// max_prepared_transactions > 0); at-least-once commits every batch (a restore may write rows
  /// again). Upserts are idempotent, so every guarantee is exactly-once in effect for them.
  delivery_guarantee guarantee = delivery_guarantee::exactly_once;
  /// "transaction-prefix=P": the prepared transactions' names start "P:"; default
  /// "eddy-TABLE". Unique per job writing to the database, stable across its restarts.
  std::string transaction_prefix;
};

struct source_options {
  connection_options connection;
  std::string table;  ///< "table=NAME": read every row of it, or
  std::string query;  ///< "query=SELECT ...": read what the query returns (not both)
  /// "partition-column=C": split the read into partition-num ranges of this numeric (integer)
  /// column, read in parallel; rows where it is NULL go to the first range.
  std::string partition_column;
  int partition_num = 0;                    ///< "partition-num=N" (with partition-column)
  std::optional<std::int64_t> lower_bound;  ///< "lower-bound=L"; default: the column's minimum
  std::optional<std::int64_t> upper_bound;  ///< "upper-bound=U"; default: the column's maximum
  std::size_t fetch_size = 1000;            ///< "fetch-size=N": rows fetched per round trip
};

/// The sink options a `postgresql://` URI gives; errors name the URI and the option.
[[nodiscard]] expected<sink_options> parse_sink_uri(const connectors::connector_uri& uri);
/// The source options a `postgresql://` URI gives; errors name the URI and the option.
[[nodiscard]] expected<source_options> parse_source_uri(const connectors::connector_uri& uri);

}  // namespace eddy::postgres
