#pragma once
/// The run-time pieces of SQL's MATCH_RECOGNIZE (Flink's "Pattern Recognition"), on the CEP
/// library (cep/): the planner (planner_match.cpp) turns the PATTERN into a cep::pattern over
/// aggregate_rows (one `next` stage per variable, Flink's quantifier mapping), each DEFINE into a
/// `match_condition` and MEASURES into a `match_measures` process function.
///
///   SELECT * FROM Ticker MATCH_RECOGNIZE (
///     PARTITION BY symbol ORDER BY rowtime
///     MEASURES FIRST(A.rowtime) AS start_t, LAST(B.price) AS low
///     ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW
///     PATTERN (A B+ C) WITHIN INTERVAL '1' HOUR
///     DEFINE B AS B.price < PREV(B.price), C AS C.price > 12)
///
/// Expressions: a DEFINE condition or a measure is compiled (sql/vector_expr.hpp) over the
/// input's columns followed by one column per navigation (`match_nav`): what the expression reads
/// from other rows of the (partial) match. In a DEFINE of variable X, plain columns and `X.col`
/// are the row being tested, `V.col` is LAST(V.col) (the last row mapped to V so far); in
/// MEASURES, plain columns are the match's last row and `V.col` is LAST(V.col). Navigations:
/// FIRST / LAST (logical offsets within a variable's rows, or all rows of the match), PREV
/// (physical offsets within the match's rows), the aggregates COUNT / SUM / AVG / MIN / MAX over
/// a variable's rows (or all rows), MATCH_ROWTIME() and MATCH_PROCTIME(). A navigation that runs
/// off the rows gives NULL. In a DEFINE of X, X's rows include the row being tested.
///
/// Rows: the planner's Calc puts the PARTITION BY columns first (`key_count` of them), then the
/// input's columns; rows are keyed by the former. Output rows: the PARTITION BY columns, then
/// the measures (ONE ROW PER MATCH), insert-only.
///
/// Threads and errors: conditions are called by the CEP operator of each subtask (on its actor)
/// and keep no mutable state; an expression's eval_error (division by zero, a failing CAST) is
/// rethrown as std::runtime_error naming the operator, which fails the job.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eddy/sql/vector_expr.hpp"
#include "eddy/table/aggregate_operators.hpp"
#include "eddy/table/aggregates.hpp"

namespace eddy::cep {
template <class T>
class context;
template <class T>
class match;
}  // namespace eddy::cep

namespace eddy::table {

enum class match_nav_kind { first, last, prev, aggregate, rowtime, proctime };

/// A value an expression reads from the rows of a match (see above).
struct match_nav {
  match_nav_kind kind = match_nav_kind::last;
  int variable = -1;        ///< index into match_plan::variables; -1: all rows of the match
  std::int64_t offset = 0;  ///< first / last / prev
  /// Evaluated on the chosen row(s), over the input's columns; null for COUNT(*) and the
  /// MATCH_*TIME() functions.
  std::shared_ptr<const sql::vector_expr> argument;
  aggregate_call call;  ///< aggregate: its argument at position 0 of a one-value row
  rows::logical_type type;
};

/// A DEFINE condition or a measure.
struct match_expr {
  /// Over the input's columns, then one column per navigation.
  std::shared_ptr<const sql::vector_expr> expr;
  std::vector<match_nav> navs;
  std::vector<rows::logical_type> types;  ///< the columns `expr` sees
};

struct match_plan {
  std::vector<std::string> variables;              ///< in pattern order
  std::size_t key_count = 0;                       ///< PARTITION BY values at the front of a row
  std::vector<rows::logical_type> input_types;     ///< the input's columns (after the keys)
  std::vector<std::optional<match_expr>> defines;  ///< per variable; nullopt: TRUE
  std::vector<match_expr> measures;
  int time_value = -1;  ///< the event-time column in a row (with the keys), -1 if none
  std::vector<rows::logical_type> out_types;
  std::string name;  ///< the operator, in errors
};

/// The DEFINE condition of variable `variable` (a cep iterative condition).
class match_condition {
 public:
  match_condition(std::shared_ptr<const match_plan> p, std::size_t variable)
      : plan_(std::move(p)), variable_(variable) {}
  bool operator()(const aggregate_row& r, const cep::context<aggregate_row>& ctx) const;

 private:
  std::shared_ptr<const match_plan> plan_;
  std::size_t variable_;
};

/// Emits one row per match: the PARTITION BY values, then the measures.
class match_measures {
 public:
  explicit match_measures(std::shared_ptr<const match_plan> p) : plan_(std::move(p)) {}
  /// `now`: the processing time (MATCH_PROCTIME()).
  [[nodiscard]] changelog_row evaluate(const cep::match<aggregate_row>& m, std::int64_t now) const;

 private:
  std::shared_ptr<const match_plan> plan_;
};

/// Gives each aggregate_row the event time of its column `time_value` as its record timestamp
/// (the CEP operator orders and windows by it); a NULL time fails the job.
class row_time_op final : public timed_input_op<aggregate_row> {
 public:
  row_time_op(std::size_t time_value, std::string name, input_op<aggregate_row>* next)
      : time_value_(time_value), name_(std::move(name)), next_(next) {
    this->downstream_ = next;
  }
  using timed_input_op<aggregate_row>::process;
  void process(std::vector<aggregate_row>& in, std::vector<std::int64_t>& ts) override;
  void finish() override { next_->finish(); }

 private:
  std::size_t time_value_;
  std::string name_;
  input_op<aggregate_row>* next_;
  std::vector<std::int64_t> ts_;
};

}  // namespace eddy::table
