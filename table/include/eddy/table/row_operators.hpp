#pragma once
/// The operators a SQL plan is made of, over streams of rows::row_batch (one record of the
/// DataStream is one batch of rows: the channels, credits and chaining of typed streams carry
/// them unchanged).
///
/// - `decode_op`: text lines -> row batches of a table's physical columns (one output batch per
///   input batch), then the table's computed columns appended. A line that does not decode fails
///   the job with the table, the reason and the line (Flink fails on a CSV parse error unless
///   'csv.ignore-parse-errors' / 'json.ignore-parse-errors' is set). Formats: row_format.hpp.
/// - `text_row_decode_op`: the same for rows of values as text (a database's rows,
///   table_connector.hpp's text_row): each value is parsed as its column's type
///   (rows/value_text.hpp; PostgreSQL's `t` / `f` are booleans too); nullopt is NULL.
/// - `calc_op`: Flink's Calc: a WHERE predicate (a selection vector, no copy) and the SELECT
///   expressions (one column each); empty results are not passed on.
///
/// Both run on their subtask's actor (operator.hpp's contract); an expression's eval_error
/// becomes an operator_error naming the operator. Expressions are compiled once by the planner
/// and shared read-only by the subtasks (vector_expr::eval is const).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eddy/rows/row_batch.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/sql/vector_expr.hpp"
#include "eddy/table/row_format.hpp"

namespace eddy::table {

using expr_list = std::vector<std::shared_ptr<const sql::vector_expr>>;

/// A value of a text row (PostgreSQL's text output: rows/value_text.hpp, and 't' / 'f' for
/// BOOLEAN) into `out`; false with `why` when it does not read as a `t`.
bool parse_text_value(std::string_view text, const rows::logical_type& t, rows::value& out,
                      std::string* why);

class decode_op final : public timed_input_op<std::string> {
 public:
  /// `computed`: expressions over the physical columns, appended as columns in this order.
  /// `projection`: only those physical columns are decoded and passed on (see
  /// csv_row_decoder; not together with `computed`).
  decode_op(std::string table, rows::schema physical, const row_format& f, expr_list computed,
            input_op<rows::row_batch>* next, const std::vector<int>& projection = {});
  using timed_input_op<std::string>::process;
  void process(std::vector<std::string>& lines, std::vector<std::int64_t>& ts) override;
  void finish() override { next_->finish(); }

 private:
  std::string table_;
  rows::schema physical_;
  line_row_decoder decoder_;
  expr_list computed_;
  input_op<rows::row_batch>* next_;
  std::vector<rows::row_batch> out_;
  std::vector<std::int64_t> no_ts_;
};

class text_row_decode_op final : public timed_input_op<std::vector<std::optional<std::string>>> {
 public:
  using text_row = std::vector<std::optional<std::string>>;
  text_row_decode_op(std::string table, rows::schema physical, expr_list computed,
                     input_op<rows::row_batch>* next);
  using timed_input_op<text_row>::process;
  void process(std::vector<text_row>& in, std::vector<std::int64_t>& ts) override;
  void finish() override { next_->finish(); }

 private:
  std::string table_;
  rows::schema physical_;
  expr_list computed_;
  input_op<rows::row_batch>* next_;
  std::vector<rows::value> row_;
  std::vector<rows::row_batch> out_;
  std::vector<std::int64_t> no_ts_;
};

class calc_op final : public timed_input_op<rows::row_batch> {
 public:
  /// `where`: null for none; `projections`: the output columns.
  calc_op(std::shared_ptr<const sql::vector_expr> where, expr_list projections,
          input_op<rows::row_batch>* next);
  using timed_input_op<rows::row_batch>::process;
  void process(std::vector<rows::row_batch>& batches, std::vector<std::int64_t>& ts) override;
  void finish() override { next_->finish(); }

 private:
  std::shared_ptr<const sql::vector_expr> where_;
  expr_list projections_;
  input_op<rows::row_batch>* next_;
  std::vector<rows::row_batch> out_;
  std::vector<std::int64_t> out_ts_;
  std::vector<std::uint32_t> selected_;
};

}  // namespace eddy::table
