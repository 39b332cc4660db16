#pragma once
/// The operator of SQL's interval joins (Flink's IntervalJoin on event time):
///
///   SELECT * FROM orders o JOIN shipments s ON o.id = s.order_id
///     AND o.ts BETWEEN s.ts - INTERVAL '4' HOUR AND s.ts
///
/// a join of two append-only inputs on equal keys whose rows' event times are at most a bounded
/// distance apart: left.ts - right.ts in [lower, upper] (ms, both ends included). On the DataStream
/// API's keyed co-process functions, as regular_join_fn: rows are aggregate_rows keyed by the join
/// keys (values = keys, then the side's columns).
///
/// Per key each side keeps its rows while a future row of the other side can still match them
/// (Flink's cleanup): a row arriving from one side is joined with the other side's kept rows in
/// the interval, then kept only if the other side's watermark has not passed the last time a
/// partner could have; an event-time timer drops it when the watermark does. So state stays
/// bounded by the interval, unlike a regular join's. Outer sides (LEFT / RIGHT / FULL): a row
/// that leaves the state without having matched is emitted padded with NULLs then, so the
/// output is insert-only (no retractions), as Flink's.
///
/// Output: joined rows (left columns, then right columns), insert-only. Both sides' time
/// columns stay time attributes; `output_delay` is how far behind the input watermark the
/// output's must be held (`watermark_delay_op`) so that no joined or padded row is late.
///
/// Errors: a NULL event time fails the job. Copied per subtask, runs on its actor.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "eddy/operators/keyed_co_process.hpp"
#include "eddy/table/aggregate_operators.hpp"
#include "eddy/table/join_operators.hpp"

namespace eddy::table {

struct interval_join_plan {
  join_type type = join_type::inner;
  std::size_t key_count = 0;
  std::size_t left_width = 0;
  std::size_t right_width = 0;
  std::size_t left_time = 0;   ///< the left time's position in a left row (keys included)
  std::size_t right_time = 0;  ///< the right time's position in a right row
  std::int64_t lower = 0;      ///< left.ts - right.ts >= lower
  std::int64_t upper = 0;      ///< left.ts - right.ts <= upper
  std::string name;            ///< the operator, in errors

  /// How far the output watermark is held back: max(0, -lower, upper).
  [[nodiscard]] std::int64_t output_delay() const;
};

/// A kept row: its event time, whether it has matched, its values.
struct interval_row {
  std::int64_t ts = 0;
  bool matched = false;
  std::vector<rows::value> values;
};
EDDY_FIELDS(interval_row, ts, matched, values)

class interval_join_fn {
 public:
  explicit interval_join_fn(std::shared_ptr<const interval_join_plan> p) : plan_(std::move(p)) {}

  void process_element1(const aggregate_row& r, join_context& ctx, collector<changelog_row>& out);
  void process_element2(const aggregate_row& r, join_context& ctx, collector<changelog_row>& out);
  void on_timer(std::int64_t t, join_context& ctx, collector<changelog_row>& out);

 private:
  void process(bool left, const aggregate_row& r, join_context& ctx, collector<changelog_row>& out);
  void emit(const std::vector<rows::value>* left, const std::vector<rows::value>* right,
            collector<changelog_row>& out) const;
  /// Drops the rows of side `left` no future row can match at watermark `wm` (padded out first
  /// for an outer side).
  void expire(bool left, std::int64_t wm, join_context& ctx, collector<changelog_row>& out);

  std::shared_ptr<const interval_join_plan> plan_;
};

/// Passes records and timestamps on, and watermarks `delay` ms late (the end of input's as is).
template <class T>
class watermark_delay_op final : public timed_input_op<T> {
 public:
  watermark_delay_op(std::int64_t delay, input_op<T>* next) : delay_(delay), next_(next) {
    this->downstream_ = next;
  }
  using timed_input_op<T>::process;
  void process(std::vector<T>& in, std::vector<std::int64_t>& ts) override {
    this->counters_.records_in += in.size();
    this->counters_.records_out += in.size();
    next_->process(in, ts);
  }
  void on_watermark(std::int64_t wm) override {
    const bool end = wm == std::numeric_limits<std::int64_t>::max();
    const bool low = wm < std::numeric_limits<std::int64_t>::min() + delay_;
    next_->on_watermark(end ? wm : low ? std::numeric_limits<std::int64_t>::min() : wm - delay_);
  }
  void finish() override { next_->finish(); }

 private:
  std::int64_t delay_;
  input_op<T>* next_;
};

}  // namespace eddy::table
