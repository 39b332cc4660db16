#pragma once
/// SQL's built-in aggregate functions (COUNT(*), COUNT, SUM, AVG, MIN, MAX, each optionally
/// DISTINCT and with FILTER (WHERE ...)) over rows of rows::values: their result types as Flink
/// derives them, and their accumulators (what keyed state keeps per group).
///
/// Result types (Flink's LogicalTypeMerging): COUNT -> BIGINT NOT NULL; SUM of an integer, FLOAT
/// or DOUBLE -> the argument's type, of DECIMAL(p, s) -> DECIMAL(38, s); AVG of an integer,
/// FLOAT or DOUBLE -> the argument's type (integer AVG truncates, as Flink's), of DECIMAL(p, s)
/// -> DECIMAL(38, max(6, s)) rounded half up; MIN / MAX -> the argument's type. All but COUNT
/// are nullable and NULL when no (non-NULL, filtered-in) value was accumulated.
///
/// Overflow: integer SUM wraps in its type as Flink's (Java's) arithmetic does; a DECIMAL sum
/// or average needing more than rows::max_decimal_digits digits throws std::overflow_error (the
/// operator fails the job with it), never a rounded value.
///
/// Pure functions over plain values; thread-safe as any const data.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eddy/rows/logical_type.hpp"
#include "eddy/rows/value.hpp"

namespace eddy::table {

enum class aggregate_kind { count_star, count, sum, avg, min, max };

/// One aggregate call of a query, bound to positions in the rows it accumulates.
struct aggregate_call {
  aggregate_kind kind = aggregate_kind::count_star;
  bool distinct = false;
  int argument = -1;  ///< position of the argument in a row (-1: COUNT(*))
  int filter = -1;    ///< position of the BOOLEAN FILTER condition (-1: none)
  rows::logical_type argument_type;
  rows::logical_type result_type;
  std::string text;  ///< as EXPLAIN shows it: `COUNT(*)`, `SUM(price)`
};

/// The aggregate named `name` (case-insensitive: COUNT, SUM, AVG, MIN, MAX), or nullopt.
[[nodiscard]] std::optional<aggregate_kind> find_aggregate(const std::string& name);

/// Flink's result type of `kind` over `argument`, or nullopt with `why` set when the argument
/// type is not accepted (SUM of a string, ...).
[[nodiscard]] std::optional<rows::logical_type> aggregate_result_type(
    aggregate_kind kind, const rows::logical_type& argument, std::string& why);

/// What a group keeps for one aggregate call.
struct accumulator {
  std::int64_t count = 0;         ///< values accumulated (non-NULL, filtered in, new if DISTINCT)
  rows::value value;              ///< SUM / AVG: the running sum; MIN / MAX: the current extreme
  std::vector<rows::value> seen;  ///< DISTINCT calls: the values accumulated, sorted
  /// Retractable accumulators only (Flink's MapView of the *WithRetract functions): how often
  /// each value of `seen` was accumulated; MIN / MAX then keep every value in `seen`.
  std::vector<std::int64_t> seen_counts;
};

/// Adds `row` (the values at the call's positions) to `acc`. `retractable`: keeps what
/// `retract` needs (every value of MIN / MAX, a count per DISTINCT value); all calls on one
/// accumulator pass the same flag.
void accumulate(const aggregate_call& call, accumulator& acc, const std::vector<rows::value>& row,
                bool retractable = false);

/// Removes `row`, accumulated before with `retractable`, from `acc` (an update-before or delete
/// row of an updating input). A value never accumulated is ignored.
void retract(const aggregate_call& call, accumulator& acc, const std::vector<rows::value>& row);

/// Adds what `from` accumulated to `into` (two session windows becoming one).
void merge(const aggregate_call& call, accumulator& into, const accumulator& from);

/// The aggregate's value (NULL when nothing was accumulated, except COUNT: 0).
[[nodiscard]] rows::value aggregate_result(const aggregate_call& call, const accumulator& acc);

}  // namespace eddy::table
