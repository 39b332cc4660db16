#pragma once
/// The operator of SQL's regular joins (Flink's Join: `a [INNER | LEFT | RIGHT | FULL] JOIN b ON
/// a.k = b.k [AND ...]`), on the DataStream API's keyed co-process
/// functions (keyed state, checkpoints and rescaling by key group come from there):
///
/// - the planner computes per side the join key columns and the side's columns (a Calc) and turns
///   each row into an `aggregate_row` (key = the serialized key columns, values = keys then the
///   side's columns); both sides are hashed by key to the join's subtasks;
/// - `regular_join_fn` keeps every row of each side per key (list state, optionally with Flink's
///   `table.exec.state.ttl`) and emits, for a new row, one joined row per row of the other side
///   with that key. Outer sides: a row without a partner is emitted padded with NULLs (+I); when
///   its first partner arrives, the padded row is retracted (-D) before the joined rows (+I), as
///   Flink's join does. A row whose key holds a NULL never matches (SQL's `=`): an outer side
///   emits it padded, an inner side drops it (it cannot be in the result).
/// - An updating input's -U / -D row removes one equal row of its side and retracts (-D) the
///   joined rows it made; when it was its key's last row, the outer other side's rows are
///   emitted padded again (+I), as Flink's StreamingJoinOperator does.
///
/// Copied per subtask, runs on its actor (operator.hpp's contract).
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eddy/operators/keyed_co_process.hpp"
#include "eddy/table/aggregate_operators.hpp"

namespace eddy::table {

enum class join_type { inner, left, right, full };

struct join_plan {
  join_type type = join_type::inner;
  std::size_t key_count = 0;
  std::size_t left_width = 0;   ///< the left side's columns (after its keys in each row)
  std::size_t right_width = 0;  ///< the right side's columns
  std::optional<state_ttl_config> ttl;
};

using join_context = keyed_co_context<std::string>;

class regular_join_fn {
 public:
  explicit regular_join_fn(std::shared_ptr<const join_plan> p) : plan_(std::move(p)) {}

  void process_element1(const aggregate_row& r, join_context& ctx, collector<changelog_row>& out);
  void process_element2(const aggregate_row& r, join_context& ctx, collector<changelog_row>& out);

 private:
  void process(bool left, const aggregate_row& r, join_context& ctx, collector<changelog_row>& out);
  void retract(bool left, const std::vector<rows::value>& row,
               list_state<std::vector<rows::value>>& mine, join_context& ctx,
               collector<changelog_row>& out);

  std::shared_ptr<const join_plan> plan_;
};

}  // namespace eddy::table
