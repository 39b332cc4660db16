#pragma once
/// The PostgreSQL source (libpqxx): a bounded read of a table or a query, split into ranges of
/// a numeric column that the source's subtasks read in parallel (Flink's JDBC source with
/// scan.partition.*).
///
///     eddy::postgres::source_options o;  // or parse_source_uri(...)
///     o.connection = {"127.0.0.1", 5432, "eddy", "metrics"};
///     o.table = "readings";
///     o.partition_column = "id";
///     o.partition_num = 8;
///     env.from_source(eddy::postgres::postgres_source_rows(o), "readings")...
///
/// Splits: without partition_column the whole read is one split. With it, the range
/// [lower_bound, upper_bound] (by default the column's minimum and maximum, asked by the
/// source's split enumerator at the start) is cut into partition_num ranges; the first range
/// also takes the rows below the lower bound and those where the column is NULL, the last the
/// rows above the upper bound, so every row is read once. Readers ask for a range when they
/// have finished their last (fast readers take more).
///
/// Reading: a range is read through a cursor in a read-only transaction, fetch_size rows per
/// round trip, ordered by the whole row (`ORDER BY row::text`), so a reader's position in a
/// range (a row count, checkpointed as union state) means the same rows after a restore. A
/// query read whole (no partition-column) keeps its own order instead: give it an ORDER BY on
/// a unique key if a restore may come in the middle of the read. With
/// an exactly-once sink the job is exactly once, provided the table does not change while the
/// job reads it (each range is its own snapshot; nothing is read twice or lost then). Values
/// are PostgreSQL's text output (NULL: nullopt). Errors (an unreachable server after
/// connect_timeout, a bad query) fail the job naming the server and the server's reason.
/// Readers run on their subtasks' actors and block them for each round trip.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eddy/connectors/postgres/postgres_options.hpp"
#include "eddy/operators/connector.hpp"

namespace eddy::postgres {

/// One row's values in column order, as text; nullopt is NULL (also postgres_sink.hpp).
using pg_row = std::vector<std::optional<std::string>>;

namespace detail {
std::unique_ptr<source_base> make_row_reader(const source_options& o, input_op<pg_row>* next);
std::unique_ptr<source_base> make_line_reader(const source_options& o, input_op<std::string>* next);
std::unique_ptr<split_enumerator> make_range_enumerator(const source_options& o);
}  // namespace detail

/// A source of the rows.
inline Source<pg_row> postgres_source_rows(source_options o) {
  return Source<pg_row>{"postgresql source", true,
                        [o](input_op<pg_row>* next) { return detail::make_row_reader(o, next); },
                        [o] { return detail::make_range_enumerator(o); }};
}

/// A source of the rows as CSV lines (the sample jobs' input lines): values joined by ',',
/// quoted as RFC 4180 asks when they hold ',', '"' or a line break; NULL is an empty field.
inline Source<std::string> postgres_source_csv_lines(source_options o) {
  return Source<std::string>{
      "postgresql source", true,
      [o](input_op<std::string>* next) { return detail::make_line_reader(o, next); },
      [o] { return detail::make_range_enumerator(o); }};
}

}  // namespace eddy::postgres
