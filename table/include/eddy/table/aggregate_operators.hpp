#pragma once
/// The operators of SQL aggregations (GROUP BY), on the DataStream API's keyed process
/// functions (keyed state, event-time timers, checkpoints and rescaling by key group come from
/// there):
///
/// - the planner first computes, per input row, the group key columns, then the aggregates'
///   arguments and FILTER conditions (a Calc), and turns each row into an `aggregate_row`
///   (`explode_rows`): the key columns serialized as the record's key, and all values;
/// - `key_by(key)` sends each group's rows to one subtask;
/// - `window_aggregate_fn` (Flink's WindowAggregate over window TVFs): accumulates per group
///   (the key includes window_start and window_end) and emits one insert-only row per group when
///   the watermark passes window_end - 1, then clears the group's state; a row whose window has
///   fired already is late: dropped, counted and logged (Flink drops them silently). By default
///   in two phases (Flink's local-global aggregation): `local_window_aggregate` accumulates each
///   batch's rows per group before the exchange, `global_window_aggregate_fn` merges the
///   partials ('table.optimizer.agg-phase-strategy' = 'ONE_PHASE' sends every row instead);
/// - `session_aggregate_fn`: session group windows (below);
/// - `group_aggregate_fn` (Flink's GroupAggregate): emits a changelog: +I for a group's first
///   row, then -U (the previous result) and +U (the new one) on every later row whose results
///   changed; over an updating input it retracts -U / -D rows (Flink's *WithRetract
///   accumulators) and deletes (-D) a group whose last row was retracted;
/// - `rows_to_batch_op` packs the output rows into row batches again.
///
/// The functions are copied per subtask and run on its actor; an aggregate's std::overflow_error
/// fails the job (operator_error naming the operator) like any exception of user code.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eddy/operators/keyed_process.hpp"
#include "eddy/rows/row_batch.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/serializer.hpp"
#include "eddy/table/aggregates.hpp"

namespace eddy::rows {
EDDY_FIELDS(value, data)
}  // namespace eddy::rows

namespace eddy::table {

EDDY_FIELDS(accumulator, count, value, seen, seen_counts)

/// One input row of an aggregation: its group key (the key columns, serialized), its values
/// (the key columns first, then the aggregates' arguments and FILTER conditions) and its
/// changelog kind (an updating input's -U / -D rows are retracted).
struct aggregate_row {
  std::string key;
  std::vector<rows::value> values;
  rows::row_kind kind = rows::row_kind::insert;
};
EDDY_FIELDS(aggregate_row, key, values, kind)

/// One output row: its changelog kind and its values (the key columns, then one per aggregate).
struct changelog_row {
  rows::row_kind kind = rows::row_kind::insert;
  std::vector<rows::value> values;
};
EDDY_FIELDS(changelog_row, kind, values)

/// A group's partial aggregates over one input batch: two-phase window aggregation (Flink's
/// LocalWindowAggregate before the exchange, GlobalWindowAggregate after it). The group key as
/// aggregate_row's, one accumulator per call, the window's end, and how many rows the partial
/// holds (counted as late rows if its window has fired).
struct partial_row {
  std::string key;
  std::vector<accumulator> accs;
  std::int64_t window_end = 0;
  std::int64_t rows = 0;
};
EDDY_FIELDS(partial_row, key, accs, window_end, rows)

struct aggregate_plan {
  std::size_t key_count = 0;
  std::vector<aggregate_call> calls;
  /// Window aggregates: the position of window_end among the key columns; -1 otherwise.
  int window_end = -1;
  /// Window aggregates in processing time: a group fires when the clock reaches its window's
  /// end - 1 (a processing-time timer); no row is late.
  bool processing_time = false;
  /// Session windows (GROUP BY SESSION(ts, gap)): the gap in ms (0: not a session window) and
  /// the position of the time attribute's value in a row.
  std::int64_t session_gap = 0;
  int time_value = -1;
  std::string name;  ///< the operator, in log lines
  /// Group aggregates: table.exec.state.ttl (a group unchanged that long is forgotten).
  std::optional<state_ttl_config> ttl;
  /// Group aggregates over an updating input: accumulators are retractable and the group
  /// counts its rows (it is deleted, -D, when the count falls to 0).
  bool retracting = false;
};

/// The flat_map from a row batch to its rows as aggregate_rows (the first `key_count` columns
/// form the key), before a key_by(row_key{}).
struct explode_rows {
  std::size_t key_count = 0;
  void operator()(rows::row_batch&& b, collector<aggregate_row>& out) const;
};

/// The key_by of aggregate_rows: their serialized key.
struct row_key {
  std::string operator()(const aggregate_row& r) const { return r.key; }
};

struct partial_key {
  std::string operator()(const partial_row& r) const { return r.key; }
};

/// The local phase of a window aggregate (a flat_map before the exchange): each row batch's
/// rows accumulated per group into one partial_row each, emitted at the end of the batch (no
/// state between batches, so watermarks and checkpoint barriers pass it as they pass a Calc).
/// Copied per subtask; its scratch is the copy's own.
class local_window_aggregate {
 public:
  explicit local_window_aggregate(std::shared_ptr<const aggregate_plan> p);
  local_window_aggregate(const local_window_aggregate& o);
  local_window_aggregate& operator=(const local_window_aggregate&) = delete;
  ~local_window_aggregate();
  void operator()(rows::row_batch&& b, collector<partial_row>& out);

 private:
  struct scratch;
  std::shared_ptr<const aggregate_plan> plan_;
  std::unique_ptr<scratch> scratch_;
};

/// The values of a group's output row: its key columns (decoded from `key`), then the results.
std::vector<rows::value> aggregate_output(const aggregate_plan& plan, const std::string& key,
                                          const std::vector<accumulator>& accs);

using aggregate_context = keyed_context<std::string, aggregate_row, changelog_row>;

class window_aggregate_fn {
 public:
  explicit window_aggregate_fn(std::shared_ptr<const aggregate_plan> p) : plan_(std::move(p)) {}

  void process_element(const aggregate_row& r, aggregate_context& ctx,
                       collector<changelog_row>& out);
  void on_timer(std::int64_t t, aggregate_context& ctx, collector<changelog_row>& out);

 private:
  std::shared_ptr<const aggregate_plan> plan_;
  std::uint64_t late_ = 0;
};

using partial_context = keyed_context<std::string, partial_row, changelog_row>;

/// The global phase of a two-phase window aggregate: merges a group's partials in the same
/// state as window_aggregate_fn keeps its accumulators, and emits as it does.
class global_window_aggregate_fn {
 public:
  explicit global_window_aggregate_fn(std::shared_ptr<const aggregate_plan> p)
      : plan_(std::move(p)) {}

  void process_element(const partial_row& r, partial_context& ctx, collector<changelog_row>& out);
  void on_timer(std::int64_t t, partial_context& ctx, collector<changelog_row>& out);

 private:
  std::shared_ptr<const aggregate_plan> plan_;
  std::uint64_t late_ = 0;
};

/// One open session window of a group.
struct session_window {
  std::int64_t start = 0;
  std::int64_t end = 0;  ///< exclusive: the last row's time + the gap
  std::vector<accumulator> accs;
};
EDDY_FIELDS(session_window, start, end, accs)

/// Flink's session group window (GROUP BY key, SESSION(ts, gap)): each row opens the window
/// [ts, ts + gap), merged with the group's overlapping windows; a window is emitted (keys,
/// results, window start, end and rowtime = end - 1) when the watermark passes its end - 1.
/// A row whose merged window has fired already is late (dropped, counted, logged). In
/// processing time (plan `processing_time`) a row's time is its arrival at the operator's clock
/// and windows fire on processing-time timers (no row is late).
class session_aggregate_fn {
 public:
  explicit session_aggregate_fn(std::shared_ptr<const aggregate_plan> p) : plan_(std::move(p)) {}

  void process_element(const aggregate_row& r, aggregate_context& ctx,
                       collector<changelog_row>& out);
  void on_timer(std::int64_t t, aggregate_context& ctx, collector<changelog_row>& out);

 private:
  std::shared_ptr<const aggregate_plan> plan_;
  std::uint64_t late_ = 0;
};

class group_aggregate_fn {
 public:
  explicit group_aggregate_fn(std::shared_ptr<const aggregate_plan> p) : plan_(std::move(p)) {}

  void process_element(const aggregate_row& r, aggregate_context& ctx,
                       collector<changelog_row>& out);

 private:
  void process_retracting(const aggregate_row& r, value_state<std::vector<accumulator>>& state,
                          const std::string& key, collector<changelog_row>& out);

  std::shared_ptr<const aggregate_plan> plan_;
};

/// changelog_rows -> one row batch per input batch (with their row kinds).
class rows_to_batch_op final : public timed_input_op<changelog_row> {
 public:
  rows_to_batch_op(std::vector<rows::logical_type> types, input_op<rows::row_batch>* next)
      : types_(std::move(types)), next_(next) {
    this->downstream_ = next;
  }
  using timed_input_op<changelog_row>::process;
  void process(std::vector<changelog_row>& in, std::vector<std::int64_t>& ts) override;
  void finish() override { next_->finish(); }

 private:
  std::vector<rows::logical_type> types_;
  input_op<rows::row_batch>* next_;
  std::vector<rows::row_batch> out_;
  std::vector<std::int64_t> no_ts_;
};

}  // namespace eddy::table
