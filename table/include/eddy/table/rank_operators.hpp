#pragma once
/// The operator of SQL's Top-N (Flink's Rank): `ROW_NUMBER() OVER (PARTITION BY ... ORDER BY
/// ...)` filtered by `rownum <= N` (also `< N`, `= 1`, `BETWEEN a AND b`), and `ORDER BY ...
/// LIMIT n [OFFSET m]` (one partition), on the DataStream API's keyed
/// process functions (keyed state, checkpoints, rescaling come from there).
///
/// Per partition key it keeps the rows ranked 1..last (sorted by the ORDER BY keys; rows with
/// equal keys in arrival order, as Flink's, except for a deduplication keeping the last row) and
/// emits the changes of the ranks first..last as a
/// changelog, as Flink's AppendOnlyTopNFunction does: without the rank number, -D for the row
/// leaving the range and +I for the row entering it; with the rank number, +I for a new row,
/// -U/+U for every row whose rank changed, -D for the row leaving.
///
/// Window Top-N (Flink's WindowRank and WindowDeduplicate: PARTITION BY holds window_start and
/// window_end of a window TVF over an insert-only input): per partition the rows ranked 1..last
/// are kept until the window ends (the watermark passes window_end - 1, or the clock for
/// processing-time windows), then rows first..last are emitted once, insert-only, and the
/// partition's state is cleared; a row of a window that has ended is late (dropped, counted,
/// logged).
///
/// Rows: the planner's Calc puts the partition keys first, then the output columns, then the
/// sort keys; `explode_for_aggregate` makes them aggregate_rows keyed by the partition keys.
/// Copied per subtask, runs on its actor (operator.hpp's contract).
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "eddy/table/aggregate_operators.hpp"

namespace eddy::table {

struct sort_key {
  std::size_t position = 0;  ///< in a row's values
  bool ascending = true;
  bool nulls_first = true;  ///< Flink's default: NULLS FIRST for ASC, LAST for DESC
};

struct rank_plan {
  std::size_t key_count = 0;  ///< partition keys at the front of a row
  std::size_t width = 0;      ///< output columns, after the keys
  std::vector<sort_key> order;
  std::int64_t first = 1;  ///< the ranks emitted: first..last
  std::int64_t last = 1;
  bool rank_number = false;  ///< append the rank (BIGINT) to each output row
  /// Flink's Deduplicate keeping the last row (rank 1 of ORDER BY a time attribute DESC): a
  /// new row ranks before rows with equal keys, so the latest of equal times wins.
  bool keep_last = false;
  /// Over an updating input (Flink's RetractableTopNFunction): every row is kept, a -U / -D row
  /// removes an equal one and the rows below move up.
  bool retracting = false;
  std::optional<state_ttl_config> ttl;
  /// Window Top-N: the position of window_end among the partition keys (-1: not windowed),
  /// and whether the windows are in processing time.
  int window_end = -1;
  bool processing_time = false;
  std::string name;  ///< the operator, in log lines
};

class rank_fn {
 public:
  explicit rank_fn(std::shared_ptr<const rank_plan> p) : plan_(std::move(p)) {}

  void process_element(const aggregate_row& r, aggregate_context& ctx,
                       collector<changelog_row>& out);
  /// Window Top-N: the window's end.
  void on_timer(std::int64_t t, aggregate_context& ctx, collector<changelog_row>& out);

 private:
  void process_windowed(const aggregate_row& r, aggregate_context& ctx);
  [[nodiscard]] bool before(const std::vector<rows::value>& a,
                            const std::vector<rows::value>& b) const;
  void emit(rows::row_kind kind, const std::vector<rows::value>& row, std::int64_t rank,
            collector<changelog_row>& out) const;
  void retract(std::vector<std::vector<rows::value>>& list, const std::vector<rows::value>& row,
               collector<changelog_row>& out) const;

  std::shared_ptr<const rank_plan> plan_;
  std::uint64_t late_ = 0;
};

}  // namespace eddy::table
