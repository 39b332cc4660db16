#pragma once
/// The operator of SQL's OVER aggregations (Flink's OverAggregate in event time):
///
///   SELECT item, price, SUM(price) OVER (PARTITION BY item ORDER BY rowtime
///                                        RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND
///                                        CURRENT ROW) FROM orders
///
/// on the DataStream API's keyed process functions (keyed state, event-time timers,
/// checkpoints and rescaling by key group come from there). The planner (planner_over.cpp)
/// computes per input row its partition keys, its columns, the time attribute's value and the
/// aggregates' arguments and FILTER conditions (a Calc), and keys the rows by the partition keys
/// (`explode_rows`, `row_key`).
///
/// Per partition key the function buffers rows until the watermark passes their time, then
/// (an event-time timer per timestamp) takes them in time order, rows of equal time in arrival
/// order, and emits each input row with the aggregates' values appended, insert-only:
/// - ROWS frames: each row's values cover it and the `preceding` rows before it (all rows
///   before it when unbounded);
/// - RANGE frames: each row's values cover the rows whose time is at most `preceding` ms before
///   its own (all earlier rows when unbounded), its peers (rows of the same time) included, so
///   rows of one time share their values.
/// Bounded frames keep the rows still inside the frame and retract those leaving it (Flink's
/// RowTime{Rows,Range}BoundedPrecedingFunction); unbounded frames keep only the accumulators.
///
/// Ordered by a processing-time attribute (Flink's ProcTime*PrecedingFunction), rows are taken
/// as they arrive, at the operator's clock: ROWS frames and unbounded frames aggregate each row
/// at once; bounded RANGE frames take the rows of one millisecond together when it has passed.
///
/// Late rows are dropped, counted and logged (Flink drops them and counts them in a metric), by
/// Flink's rules: for unbounded frames a row whose time is not after the watermark, for bounded
/// frames a row whose time is not after the last time this key's rows were aggregated at.
///
/// Copied per subtask and run on its actor (operator.hpp's contract); an aggregate's
/// std::overflow_error or a NULL time attribute fails the job.
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eddy/table/aggregate_operators.hpp"

namespace eddy::table {

enum class over_frame { rows, range };

struct over_plan {
  std::size_t key_count = 0;  ///< partition keys at the front of a row
  std::size_t width = 0;      ///< the input's columns, after the keys (emitted as they are)
  int time_value = -1;        ///< position of the time attribute's value in a row
  std::vector<aggregate_call> calls;
  over_frame frame = over_frame::range;
  bool unbounded = true;       ///< UNBOUNDED PRECEDING
  std::int64_t preceding = 0;  ///< bounded: ROWS: rows before the current one; RANGE: ms
  std::string name;            ///< the operator, in log lines
  /// Ordered by a processing-time attribute: rows are aggregated as they arrive, in arrival
  /// order (RANGE frames: the rows of one millisecond of the clock together, at its end).
  bool processing_time = false;
  std::optional<state_ttl_config> ttl;  ///< table.exec.state.ttl
};

/// A row waiting for the watermark or inside a bounded frame: its time and values.
struct over_row {
  std::int64_t ts = 0;
  std::vector<rows::value> values;
};
EDDY_FIELDS(over_row, ts, values)

/// What a partition key keeps.
struct over_state {
  std::vector<over_row> pending;  ///< by time, equal times in arrival order
  std::vector<over_row> frame;    ///< bounded frames: the rows inside it, oldest first
  std::vector<accumulator> accs;
  /// The last time this key's rows were aggregated at (Flink's lastTriggeringTs).
  std::int64_t last_ts = std::numeric_limits<std::int64_t>::min();
};
EDDY_FIELDS(over_state, pending, frame, accs, last_ts)

class over_aggregate_fn {
 public:
  explicit over_aggregate_fn(std::shared_ptr<const over_plan> p) : plan_(std::move(p)) {}

  void process_element(const aggregate_row& r, aggregate_context& ctx,
                       collector<changelog_row>& out);
  void on_timer(std::int64_t t, aggregate_context& ctx, collector<changelog_row>& out);

 private:
  [[nodiscard]] value_state<over_state> state(aggregate_context& ctx) const;
  void emit(const std::vector<rows::value>& row, const std::vector<rows::value>& results,
            collector<changelog_row>& out) const;
  [[nodiscard]] std::vector<rows::value> results(const std::vector<accumulator>& accs) const;
  /// Aggregates and emits the pending rows of times up to `t`, in time order.
  void aggregate(over_state& s, std::int64_t t, collector<changelog_row>& out);

  std::shared_ptr<const over_plan> plan_;
  std::uint64_t late_ = 0;
};

}  // namespace eddy::table
