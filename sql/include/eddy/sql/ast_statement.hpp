#pragma once
/// The SQL AST, part 3: statements (Flink SQL's DDL, DML and client statements). Same
/// conventions as ast_expr.hpp: plain values, structural `==`, positions outside `==`.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "eddy/sql/ast_query.hpp"

namespace eddy::sql {

/// A column of CREATE TABLE:
/// - physical: `name TYPE [NOT NULL] [PRIMARY KEY NOT ENFORCED] [COMMENT '...']`
/// - computed: `name AS expr [COMMENT '...']`
/// - metadata: `name TYPE METADATA [FROM 'key'] [VIRTUAL] [COMMENT '...']`
struct column_def {
  enum class kind { physical, computed, metadata };
  kind what = kind::physical;
  ident name;
  data_type type;                           ///< physical, metadata
  std::optional<expr> computed;             ///< computed
  std::optional<std::string> metadata_key;  ///< metadata: FROM 'key'
  bool is_virtual = false;                  ///< metadata: VIRTUAL
  bool primary_key = false;                 ///< physical: PRIMARY KEY NOT ENFORCED on the column
  std::optional<std::string> comment;
  bool operator==(const column_def&) const = default;
};

/// `WATERMARK FOR column AS expr`.
struct watermark_def {
  object_name column;
  expr strategy;
  bool operator==(const watermark_def&) const = default;
};

/// `[CONSTRAINT name] PRIMARY KEY (cols) NOT ENFORCED` (Flink requires NOT ENFORCED; the parser
/// records whether it was written and leaves the check to the planner).
struct primary_key_def {
  std::optional<ident> constraint_name;
  std::vector<ident> columns;
  bool not_enforced = false;
  bool operator==(const primary_key_def&) const = default;
};

/// `'key' = 'value'` in WITH (...) and SET.
struct table_option {
  std::string key;
  std::string value;
  bool operator==(const table_option&) const = default;
};

/// CREATE [TEMPORARY] TABLE [IF NOT EXISTS] name (columns, constraints) [COMMENT '...']
/// [PARTITIONED BY (cols)] [WITH (options)] [AS query].
struct create_table {
  bool temporary = false;
  bool if_not_exists = false;
  object_name name;
  std::vector<column_def> columns;
  std::optional<watermark_def> watermark;
  std::optional<primary_key_def> primary_key;
  std::optional<std::string> comment;
  std::vector<ident> partitioned_by;
  std::vector<table_option> options;
  std::optional<query> as_query;
  bool operator==(const create_table&) const = default;
};

/// CREATE [TEMPORARY] VIEW [IF NOT EXISTS] name [(cols)] [COMMENT '...'] AS query.
struct create_view {
  bool temporary = false;
  bool if_not_exists = false;
  object_name name;
  std::vector<ident> columns;
  std::optional<std::string> comment;
  query body;
  bool operator==(const create_view&) const = default;
};

/// CREATE [TEMPORARY [SYSTEM]] FUNCTION [IF NOT EXISTS] name AS 'class' [LANGUAGE lang].
struct create_function {
  bool temporary = false;
  bool system = false;
  bool if_not_exists = false;
  object_name name;
  std::string class_name;
  std::string language;  ///< upper case; empty if not written
  bool operator==(const create_function&) const = default;
};

enum class object_kind { table, view, function };

/// DROP [TEMPORARY [SYSTEM]] TABLE | VIEW | FUNCTION [IF EXISTS] name.
struct drop {
  object_kind what = object_kind::table;
  bool temporary = false;
  bool system = false;
  bool if_exists = false;
  object_name name;
  bool operator==(const drop&) const = default;
};

/// SHOW TABLES | VIEWS | FUNCTIONS | DATABASES | CATALOGS | MODULES | JOBS, and
/// SHOW CREATE TABLE | VIEW name (`what` is "CREATE TABLE" / "CREATE VIEW", `name` set).
struct show {
  std::string what;
  object_name name;
  bool operator==(const show&) const = default;
};

/// DESCRIBE name, DESC name.
struct describe {
  object_name name;
  bool operator==(const describe&) const = default;
};

/// SET 'key' = 'value', or a bare SET (list the settings: `option` empty).
struct set_option {
  std::optional<table_option> option;
  bool operator==(const set_option&) const = default;
};

/// RESET 'key', or a bare RESET (all keys).
struct reset_option {
  std::optional<std::string> key;
  bool operator==(const reset_option&) const = default;
};

/// INSERT INTO | OVERWRITE table [(cols)] query.
struct insert {
  bool overwrite = false;
  object_name table;
  std::vector<ident> columns;
  query source;
  bool operator==(const insert&) const = default;
};

/// EXECUTE STATEMENT SET BEGIN insert; ... END (also `BEGIN STATEMENT SET; ... END`).
struct statement_set {
  std::vector<insert> inserts;
  bool operator==(const statement_set&) const = default;
};

/// USE [CATALOG] name.
struct use {
  bool catalog = false;
  object_name name;
  bool operator==(const use&) const = default;
};

/// STOP JOB 'id' [WITH SAVEPOINT] [WITH DRAIN] (Flink's SQL client).
struct stop_job {
  std::string id;
  bool with_savepoint = false;
  bool with_drain = false;
  bool operator==(const stop_job&) const = default;
};

/// EXPLAIN [PLAN FOR] [detail, ...] statement; details upper case (ESTIMATED_COST,
/// CHANGELOG_MODE, JSON_EXECUTION_PLAN, PLAN_ADVICE).
struct explain {
  std::vector<std::string> details;
  box<statement> target;
  bool operator==(const explain&) const = default;
};

using statement_node =
    std::variant<query, insert, statement_set, create_table, create_view, create_function, drop,
                 show, describe, set_option, reset_option, use, stop_job, explain>;

/// One statement and where it starts.
struct statement {
  statement_node node;
  location loc;
  bool operator==(const statement&) const = default;

  template <class T>
  [[nodiscard]] const T* as() const {
    return std::get_if<T>(&node);
  }
};

}  // namespace eddy::sql
