#pragma once
/// Connectors a SQL table may name in `WITH ('connector' = ...)` besides the table module's own
/// (filesystem, datagen, print, blackhole): kafka, mqtt, jdbc / postgresql. They live in
/// connector modules the table module does not depend on (each is a build option), so they are
/// registered here by name: `eddy` registers every one it was built with
/// (table/connectors: `register_connector_tables()`), and so do the tests.
///
/// A binding turns a table's WITH options into a connector's source or sink. What it gets:
/// `options`, the table's WITH options without 'connector', 'format' and the format's own keys
/// ('csv.*', 'json.*'): the binding reports any key it does not know (with a "did you mean").
/// What it gives: records in one of two shapes, which the planner converts to and from rows
/// (and, for a sink of a connector with `row_batches`, the row batches themselves):
/// - lines: one message payload per row, in the table's 'format' (csv or json, decoded and
///   encoded by row_format.hpp); append-only.
/// - text rows: one value per physical column as text (rows/value_text.hpp; nullopt is NULL),
///   the shape of a database row. A text-row sink takes an updating query's changelog as
///   upserts by the table's key (text_change): the planner sends +I and +U rows as upserts, -D
///   rows as deletes, and leaves out -U (the +U after it replaces the row).
///
/// Threads: register at start-up, before any planning (registration is not synchronised);
/// lookups and the bindings themselves are thread-safe (they only build values).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/operators/connector.hpp"
#include "eddy/rows/row_batch.hpp"
#include "eddy/runtime/error.hpp"
#include "eddy/runtime/serializer.hpp"
#include "eddy/table/catalog.hpp"

namespace eddy::table {

/// A table's connector options (WITH minus 'connector', 'format', 'csv.*', 'json.*'), in key
/// order.
using table_options = std::vector<std::pair<std::string, std::string>>;

/// One value per column as text; nullopt is NULL (the shape of postgres::pg_row).
using text_row = std::vector<std::optional<std::string>>;

/// One row of a changelog for a text-row sink: an upsert (+I, +U), or with `remove` a delete
/// of the row with its key (-D).
struct text_change {
  text_row row;
  bool remove = false;
  bool operator==(const text_change&) const = default;
};
EDDY_FIELDS(text_change, row, remove)

/// A source as a binding builds it: exactly one of the two is set.
struct table_source {
  std::optional<Source<std::string>> lines;  ///< payloads in the table's format
  std::optional<Source<text_row>> rows;      ///< values of the physical columns
  std::string description;                   ///< for EXPLAIN: "topic=[bids]"
};

/// A sink as a binding builds it: exactly one of the three is set.
struct table_sink {
  std::optional<Sink<std::string>> lines;  ///< one encoded line per row; append-only
  std::optional<Sink<text_change>> rows;   ///< upserts and deletes (see above)
  /// The query's row batches as they are: the sink table's columns, each row with its kind
  /// (rows::row_kind: +I, -U, +U, -D), updating or not (connectors with `row_batches`: an
  /// in-process consumer such as eddy-bench's checksum sink).
  std::optional<Sink<rows::row_batch>> batches;
  std::string description;  ///< for EXPLAIN
};

/// Rows of a table by key, for lookup joins (the table's side): one per subtask, called on its
/// actor only.
class table_lookup {
 public:
  virtual ~table_lookup() = default;
  /// The table's rows (its physical columns, as text) whose key columns (those the binding was
  /// given, in that order) equal `key` (text, no NULLs). Blocks for the round trip; throws
  /// std::runtime_error naming the table when the lookup fails.
  virtual std::vector<text_row> lookup(const std::vector<std::string>& key) = 0;
};

/// A lookup as a binding builds it.
struct table_lookup_source {
  std::function<std::unique_ptr<table_lookup>()> make;  ///< called once per subtask
  std::string description;                              ///< for EXPLAIN
};

struct table_connector {
  /// The format a table of this connector has when it names none ("" : 'format' is required;
  /// text-row connectors take no 'format').
  std::string default_format;
  /// Whether the connector reads / writes text rows (then 'format' is refused).
  bool text_rows = false;
  /// Whether the connector's sink takes row batches (table_sink::batches; 'format' is refused
  /// and updating queries need no primary key).
  bool row_batches = false;
  /// Empty: the connector cannot be read. Errors: a message naming the option.
  std::function<expected<table_source>(const table_def&, const table_options&)> source;
  /// Empty: the connector cannot be written. `updating`: the query's result is a changelog.
  std::function<expected<table_sink>(const table_def&, const table_options&, bool updating)> sink;
  /// Empty: the connector cannot be looked up. `key_columns`: positions in the table's physical
  /// columns. The options hold no 'lookup.*' keys (the planner reads those).
  std::function<expected<table_lookup_source>(const table_def&, const table_options&,
                                              const std::vector<std::size_t>& key_columns)>
      lookup;
};

/// Registers (or replaces) the connector `name` ("kafka").
void register_table_connector(std::string name, table_connector c);
/// The connector `name`, or nullptr.
[[nodiscard]] const table_connector* find_table_connector(std::string_view name);
/// The registered names, sorted.
[[nodiscard]] std::vector<std::string> table_connector_names();

}  // namespace eddy::table
