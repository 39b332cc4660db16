#pragma once
/// The tables and views a SQL session knows (Flink's in-memory catalog, one database):
/// CREATE TABLE / CREATE VIEW put them here, DROP removes them, queries look them up.
///
/// A table is its columns (physical ones with their rows::logical_type; computed ones with
/// their expression), its watermark (a rowtime column and a strategy expression), its primary
/// key and its connector options (`WITH (...)`, keys as written, case-sensitive). Names are
/// case-sensitive, as in Flink. A view is its query (expanded where it is used).
///
/// Errors (a type Eddy cannot store, a watermark on a column that is not a TIMESTAMP(3) or
/// TIMESTAMP_LTZ(3), a primary key on an unknown column, a name taken) are sql::parse_errors
/// at the place in the statement, rendered with sql::render_error. Not thread-safe: one
/// session's catalog is used by one thread.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eddy/rows/schema.hpp"
#include "eddy/sql/ast.hpp"
#include "eddy/sql/error.hpp"

namespace eddy::table {

struct computed_column {
  std::string name;
  sql::expr expression;
};

struct table_def {
  std::string name;
  /// The physical columns (what the connector reads and writes), in the order declared.
  rows::schema columns;
  /// The computed columns (`name AS expr`), in the order declared; a query sees them after the
  /// physical columns (their types come from compiling the expressions).
  std::vector<computed_column> computed;
  std::optional<std::string> rowtime;  ///< WATERMARK FOR this column
  std::optional<sql::expr> watermark;  ///< ... AS this expression
  std::vector<std::string> primary_key;
  /// PARTITIONED BY (...): physical columns (a filesystem sink writes one directory per value).
  std::vector<std::string> partition_keys;
  std::map<std::string, std::string> options;  ///< WITH ('k' = 'v', ...)
  sql::location where;                         ///< the CREATE statement

  /// The option `key`, or `fallback`.
  [[nodiscard]] std::string option(const std::string& key, const std::string& fallback = {}) const;
};

struct view_def {
  std::string name;
  std::vector<std::string> column_names;  ///< CREATE VIEW v (a, b) AS ...; empty if none
  sql::query body;
};

class catalog {
 public:
  /// Adds the table of a CREATE TABLE statement. IF NOT EXISTS: an existing name is kept.
  sql::result<bool> create_table(const sql::create_table& stmt, sql::location where);
  sql::result<bool> create_view(const sql::create_view& stmt, sql::location where);
  /// DROP TABLE / VIEW. Without IF EXISTS an unknown name is an error.
  sql::result<bool> drop(const sql::drop& stmt, sql::location where);

  [[nodiscard]] const table_def* find_table(const std::string& name) const;
  [[nodiscard]] const view_def* find_view(const std::string& name) const;
  /// Table and view names, sorted (SHOW TABLES lists both, as Flink does).
  [[nodiscard]] std::vector<std::string> table_names() const;
  [[nodiscard]] std::vector<std::string> view_names() const;
  /// The nearest known table or view name to `name` (for "did you mean"), or empty.
  [[nodiscard]] std::string nearest_name(const std::string& name) const;

 private:
  std::map<std::string, table_def> tables_;
  std::map<std::string, view_def> views_;
};

/// The Eddy type of a SQL type (`DECIMAL(10, 2)`, `VARCHAR`, `TIMESTAMP(3)`), or an error at
/// `where` for a type Eddy does not store (ARRAY, MAP, ROW, DECIMAL above 18 digits, ...).
sql::result<rows::logical_type> to_logical_type(const sql::data_type& t, sql::location where);

/// One-part name (`bid`, `` `bid` ``); a qualified `catalog.db.t` is refused with a message.
sql::result<std::string> simple_name(const sql::object_name& name, sql::location where);

/// A parse_error at `where` with `message` (the binder's and planner's errors).
sql::parse_error error_at(sql::location where, std::string message);

}  // namespace eddy::table
