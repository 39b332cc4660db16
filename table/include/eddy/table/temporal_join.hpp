#pragma once
/// The operator of SQL's event-time temporal joins (Flink's TemporalRowTimeJoinOperator): a
/// stream joined with the version of a versioned table that was valid at each row's event time,
///
///   SELECT o.id, o.price * r.rate FROM orders AS o
///   JOIN rates FOR SYSTEM_TIME AS OF o.order_time AS r ON o.currency = r.currency
///
/// where `rates` has a PRIMARY KEY and a WATERMARK: each of its rows is a new version of the row
/// with its key, valid from its event time on. On the DataStream API's keyed co-process
/// functions (keyed state, event-time timers, checkpoints and rescaling by key group):
///
/// - both sides are keyed by the join key (which holds the versioned table's primary key);
/// - a left row waits in state until the watermark (the smaller of both inputs') passes its
///   time, then is joined with the latest version whose time is not after its own: INNER drops
///   a row without one, LEFT pads it with NULLs; the result is insert-only;
/// - a version replaces the one of the same time; versions older than the latest one the
///   watermark has passed are dropped (no left row can need them unless it is late: a late left
///   row gets the oldest version kept, as in Flink).
///
/// Rows: the planner's Calcs put the join key columns first, then the side's columns.
/// Copied per subtask, runs on its actor (operator.hpp's contract).
#include <cstddef>
#include <memory>

#include "eddy/operators/keyed_co_process.hpp"
#include "eddy/table/aggregate_operators.hpp"

namespace eddy::table {

struct temporal_join_plan {
  std::size_t key_count = 0;
  std::size_t left_width = 0;   ///< the left side's columns (after its keys in each row)
  std::size_t right_width = 0;  ///< the versioned table's columns
  std::size_t left_time = 0;    ///< position of the left side's event time in its rows
  std::size_t right_time = 0;   ///< position of the versions' event time in their rows
  bool left_outer = false;
  std::string name;  ///< the operator, in errors
};

class temporal_join_fn {
 public:
  explicit temporal_join_fn(std::shared_ptr<const temporal_join_plan> p) : plan_(std::move(p)) {}

  void process_element1(const aggregate_row& r, keyed_co_context<std::string>& ctx,
                        collector<changelog_row>& out);
  void process_element2(const aggregate_row& r, keyed_co_context<std::string>& ctx,
                        collector<changelog_row>& out);
  void on_timer(std::int64_t t, keyed_co_context<std::string>& ctx, collector<changelog_row>& out);

 private:
  std::shared_ptr<const temporal_join_plan> plan_;
};

}  // namespace eddy::table
