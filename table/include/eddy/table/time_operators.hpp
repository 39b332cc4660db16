#pragma once
/// Event time in SQL plans, over streams of rows::row_batch:
///
/// - `row_watermark_op`: a table's `WATERMARK FOR col AS expr` (Flink's watermark assigner
///   pushed into the scan): evaluates `expr` over every row, keeps the largest value and emits
///   it as the watermark (Flink emits the expression's value itself, not minus 1) every
///   auto-watermark interval (`pipeline.auto-watermark-interval`, 200 ms). Rows pass unchanged.
///   NULL results are ignored (as Flink's). Checkpoints keep the largest value and the emitted
///   watermark. The end-of-input watermark passes.
/// - `window_tvf_op`: the window table functions TUMBLE, HOP and CUMULATE (Flink's
///   WindowTableFunction): appends `window_start`, `window_end` and `window_time` (= window_end
///   - 1 ms, the windows' time attribute) to each row, once per window the row's time falls in
///   (one for TUMBLE; size / slide for HOP; up to size / step for CUMULATE). Window bounds as
///   Flink's `TimeWindow.getWindowStartWithOffset`. A row whose time is NULL fails the job
///   (Flink cannot assign it a window either).
///
/// Both run on their subtask's actor (operator.hpp's contract).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eddy/rows/row_batch.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/sql/vector_expr.hpp"

namespace eddy::table {

class row_watermark_op final : public timed_input_op<rows::row_batch> {
 public:
  row_watermark_op(std::shared_ptr<const sql::vector_expr> watermark,
                   input_op<rows::row_batch>* next)
      : expr_(std::move(watermark)), next_(next) {
    this->downstream_ = next;
  }
  void open(const subtask_info& info) override;
  using timed_input_op<rows::row_batch>::process;
  void process(std::vector<rows::row_batch>& batches, std::vector<std::int64_t>& ts) override;
  void on_watermark(std::int64_t watermark) override;
  [[nodiscard]] bool wants_ticks() const override { return true; }
  void on_tick(std::chrono::steady_clock::time_point now) override;
  void finish() override { next_->finish(); }
  void snapshot_state(std::uint64_t checkpoint, std::vector<state_entry>& out) override;
  void restore_state(const std::vector<state_entry>& entries) override;

 private:
  void emit(std::chrono::steady_clock::time_point now);

  std::shared_ptr<const sql::vector_expr> expr_;
  input_op<rows::row_batch>* next_;
  std::chrono::milliseconds interval_{200};
  std::int64_t max_ = min_watermark;
  std::int64_t emitted_ = min_watermark;
  std::chrono::steady_clock::time_point last_emit_{};
  int batches_since_check_ = 0;
  rows::column_vector scratch_;
};

enum class window_kind { tumble, hop, cumulate };

struct window_spec {
  window_kind kind = window_kind::tumble;
  int time_column = 0;      ///< the DESCRIPTOR column (a TIMESTAMP(3) / TIMESTAMP_LTZ(3))
  std::int64_t size = 0;    ///< ms
  std::int64_t step = 0;    ///< HOP: the slide; CUMULATE: the step (ms); TUMBLE: unused
  std::int64_t offset = 0;  ///< ms
};

/// The start of the window of `size` (aligned to `offset`) holding `ts`.
[[nodiscard]] std::int64_t window_start(std::int64_t ts, std::int64_t offset, std::int64_t size);

class window_tvf_op final : public timed_input_op<rows::row_batch> {
 public:
  window_tvf_op(window_spec w, std::string name, input_op<rows::row_batch>* next)
      : spec_(w), name_(std::move(name)), next_(next) {
    this->downstream_ = next;
  }
  using timed_input_op<rows::row_batch>::process;
  void process(std::vector<rows::row_batch>& batches, std::vector<std::int64_t>& ts) override;
  void finish() override { next_->finish(); }

 private:
  rows::row_batch assign(rows::row_batch& in) const;

  window_spec spec_;
  std::string name_;
  input_op<rows::row_batch>* next_;
  std::vector<rows::row_batch> out_;
  std::vector<std::int64_t> no_ts_;
};

}  // namespace eddy::table
