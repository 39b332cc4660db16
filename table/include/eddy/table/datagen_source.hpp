#pragma once
/// Flink's `datagen` SQL connector as a table source: `CREATE TABLE t (...) WITH ('connector' =
/// 'datagen', ...)` generates row batches of the table's physical columns (then its computed
/// columns appended, as a filesystem table's decoder does).
///
/// Options (Flink's keys; anything else, or a value that does not parse, is an error naming the
/// key):
/// - 'rows-per-second' (default 10000): the rate over all subtasks (each gets its share);
/// - 'number-of-rows': the rows in all (bounded); unset: unbounded unless a sequence ends it;
/// - 'fields.NAME.kind' = 'random' (default) | 'sequence', NAME a physical column;
/// - random: 'fields.NAME.min' / 'max' (numbers; default the type's range), 'max-past'
///   (TIMESTAMP, TIMESTAMP_LTZ, DATE: now minus up to this duration, default 0), 'length'
///   (strings of exactly this many lowercase hex characters, as Flink's nextHexString; default
///   100, at most the declared length of CHAR(n)/VARCHAR(n), CHAR(n) defaults to n);
/// - sequence: 'fields.NAME.start' and 'end' (both required, integers, start <= end; integers,
///   DECIMAL, FLOAT, DOUBLE and strings): row i has start + i; the source ends after the
///   shortest sequence (or number-of-rows, whichever comes first);
/// - 'fields.NAME.null-rate' (0..1, default 0): the share of NULLs (not on NOT NULL columns).
///
/// Parallelism: row index i of [0, rows) goes to subtask i mod p (generator_splits), so a
/// sequence value is emitted exactly once over all subtasks; checkpoints hold the index ranges
/// left. Random values depend only on the row index and the column (a fixed seed): the same
/// table gives the same values at any parallelism and after a restore; only TIMESTAMP/DATE
/// values, which are relative to the processing time, differ between runs.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "eddy/operators/connector.hpp"
#include "eddy/operators/sources.hpp"
#include "eddy/rows/row_batch.hpp"
#include "eddy/rows/schema.hpp"
#include "eddy/table/row_operators.hpp"

namespace eddy::table {

/// How one physical column is generated.
struct datagen_field {
  bool sequence = false;
  std::int64_t min_i = 0, max_i = 0;  ///< random integers, DECIMAL (unscaled), TIME (ms of day)
  double min_d = 0, max_d = 0;        ///< random FLOAT, DOUBLE
  std::int64_t max_past_ms = 0;       ///< random TIMESTAMP, TIMESTAMP_LTZ, DATE
  std::int32_t length = 100;          ///< random strings
  std::int64_t start = 0, end = 0;    ///< sequence
  double null_rate = 0;
};

struct datagen_config {
  std::string table;
  rows::schema physical;
  std::vector<datagen_field> fields;  ///< one per physical column
  std::uint64_t rows = unbounded;     ///< number-of-rows and the sequences' lengths
  double rows_per_second = 10000;
  std::uint64_t seed = 0;
};

/// Reads a datagen table's options into `out`; returns the error text (naming the key and the
/// table), or empty.
std::string parse_datagen_options(const std::string& table, const rows::schema& physical,
                                  const std::map<std::string, std::string>& options,
                                  datagen_config& out);

/// The source (bounded iff config.rows is not unbounded): batches of at most the subtask's batch
/// size of the physical columns, then `computed` appended (evaluated at the processing time).
Source<rows::row_batch> datagen_rows_source(datagen_config config, expr_list computed);

}  // namespace eddy::table
