#pragma once
/// The SQL planner: statements over the catalog -> DataStream job graphs of row-batch operators
/// (row_operators.hpp), built in a StreamEnvironment the caller then executes.
///
/// What it plans is listed in docs/sql.md ("What runs"): Calc (WHERE, SELECT expressions),
/// event time from a table's WATERMARK, window TVFs and legacy group windows, window and group
/// aggregates (planner_aggregate.cpp), OVER aggregates (planner_over.cpp), regular joins
/// (planner_join.cpp), lookup joins (planner_lookup.cpp),
/// temporal joins (planner_temporal.cpp), Top-N and ORDER BY ... LIMIT
/// (planner_rank.cpp), UNION ALL, VALUES, and the sources and sinks of the registered connectors.
/// Everything else is refused with an error at its place in the statement, never planned into
/// something else.
///
/// Plans are deterministic: the same statement over the same catalog gives the same graph and
/// operator names on every node. Errors are sql::parse_errors (position + message), rendered
/// with sql::render_error. Not thread-safe; plans on the caller's thread; does not block.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "eddy/operators/datastream.hpp"
#include "eddy/rows/row_batch.hpp"
#include "eddy/sql/ast.hpp"
#include "eddy/sql/error.hpp"
#include "eddy/sql/vector_expr.hpp"
#include "eddy/table/catalog.hpp"
#include "eddy/table/time_operators.hpp"

namespace eddy::table {

struct table_connector;
struct nexmark_table_config;
struct row_format;

/// A planned query: its stream of row batches and its columns.
struct relation {
  std::optional<DataStream<rows::row_batch>> stream;
  sql::scope columns;
  /// The plan as Flink's EXPLAIN prints it (an operator per line, inputs indented below).
  std::vector<std::string> explain;
  /// The event-time attribute (a column of a table with a WATERMARK, kept through plain
  /// references, or a window TVF's window_time): its position, -1 if none.
  int rowtime = -1;
  /// Further references to the event-time attribute under other names (`SELECT *, ts AS t`):
  /// time attributes too, as in Flink, with the same values.
  std::vector<int> rowtime_copies;
  /// The processing-time attribute (a column computed by PROCTIME(), in a table's DDL or a
  /// select list, kept through plain references), -1 if none.
  int proctime = -1;
  /// A window TVF's window_start and window_end columns (kept through plain references), -1
  /// if none: GROUP BY both makes a window aggregate.
  int window_start = -1;
  int window_end = -1;
  /// Whether those windows are in processing time (a window TVF over the processing-time
  /// attribute): their aggregate fires on the clock, not on the watermark.
  bool processing_time_windows = false;
  /// Whether column `c` is the event-time attribute or a copy of it.
  bool is_rowtime(int c) const {
    return c >= 0 && (c == rowtime || std::find(rowtime_copies.begin(), rowtime_copies.end(), c) !=
                                          rowtime_copies.end());
  }
  /// Whether the stream carries updates (-U/+U/-D rows): a GroupAggregate's output.
  bool updating = false;
  /// A SESSION window TVF's result: its window_start / window_end / window_time columns are
  /// placeholders until the window aggregate over it (GROUP BY window_start, window_end, the
  /// PARTITION BY columns) computes the sessions.
  struct session_windows {
    std::int64_t gap = 0;
    int time_column = -1;
    std::vector<std::string> partition;  ///< PARTITION BY column names
    bool processing_time = false;        ///< over the processing-time attribute
  };
  std::optional<session_windows> session;
};

struct planner_options {
  int parallelism = 1;  ///< parallelism.default
  const sql::function_registry* functions = nullptr;
  /// table.exec.state.ttl: how long group aggregates and joins keep a key's state after its
  /// last write (none: forever, Flink's default 0).
  std::optional<state_ttl_config> state_ttl;
  /// Put in the names of the part files a filesystem sink writes (unique per job: INSERTs into
  /// one table never replace each other's files).
  std::string job_tag;
  /// 'table.optimizer.agg-phase-strategy': window aggregates in two phases (AUTO, TWO_PHASE;
  /// the default) or one (ONE_PHASE).
  bool two_phase_window_aggregates = true;
};

class planner {
 public:
  planner(const catalog& c, StreamEnvironment& env, planner_options o)
      : catalog_(c), env_(env), o_(o) {}

  /// Plans `q` (WITH, SELECT ... FROM one relation [WHERE]). The stream is built in the
  /// environment; nothing consumes it yet.
  sql::result<relation> plan_query(const sql::query& q);
  /// Plans INSERT INTO sink: the query, casts to the sink's column types where Flink casts
  /// implicitly, and the sink. Returns the plan text (EXPLAIN).
  sql::result<std::vector<std::string>> plan_insert(const sql::insert& ins, sql::location where);

 private:
  struct cte {
    std::string name;
    const sql::query* body;
  };
  sql::result<relation> query(const sql::query& q, int depth);
  sql::result<relation> body(const sql::set_expr& e, sql::location loc, int depth);
  sql::result<relation> select(const sql::select_core& s, sql::location where, int depth);
  sql::result<relation> factor(const sql::table_factor& f, int depth);
  /// The FROM clause: one item, `a JOIN b ON ...` (several, left-deep) or `a, b` with `where`
  /// as the join condition (planner_join.cpp).
  sql::result<relation> from_clause(const std::vector<sql::table_with_joins>& from,
                                    const sql::expr* where, sql::location at, int depth);
  /// A regular join of `l` and `r` on `condition`; `residual_here`: the non-key conditions are
  /// applied after the join (ON), else left to the caller (a comma join's WHERE).
  sql::result<relation> join(relation l, relation r, sql::join_kind kind,
                             const sql::expr* condition, bool residual_here, sql::location at);
  /// `l [LEFT] JOIN t FOR SYSTEM_TIME AS OF l.proc ON ...`: a lookup join of `l` with table
  /// `t` of the FROM item `f` (planner_lookup.cpp).
  sql::result<relation> lookup_join(relation l, const sql::table_factor& f, sql::join_kind kind,
                                    const sql::expr& on, sql::location at);
  /// `l [LEFT] JOIN t FOR SYSTEM_TIME AS OF l.rowtime ON ...` (`time_col`: l's event-time
  /// attribute): an event-time temporal join with the versioned table `t` (planner_temporal.cpp).
  sql::result<relation> temporal_join(relation l, const sql::table_factor& f, sql::join_kind kind,
                                      const sql::expr& on, int time_col, sql::location at);
  sql::result<relation> scan(const table_def& t, sql::location where);
  /// A partitioned filesystem table's rows: a directory scan per partition, its values as
  /// constants (planner_partitioned_scan.cpp).
  sql::result<relation> partitioned_scan(const table_def& t, const row_format& format,
                                         sql::location where);
  /// A join side keyed for a two-input join: `keys` (as $k0, ...), then `in`'s columns ($c0,
  /// ...), by a Calc (planner_join.cpp).
  sql::result<relation> keyed_side(relation& in, std::vector<sql::expr>& keys, sql::location at);
  /// The catalog's table `name`, or nullptr (also when a WITH table of that name hides it).
  [[nodiscard]] const table_def* catalog_table(const std::string& name) const;
  /// The rows of a table of a registered connector (`c`), its computed columns appended;
  /// adds its plan line to `explain` (planner_connector.cpp).
  sql::result<DataStream<rows::row_batch>> connector_scan(
      const table_def& t, const table_connector& c,
      const std::vector<std::shared_ptr<const sql::vector_expr>>& computed, sql::location where,
      std::vector<std::string>& explain);
  /// Writes `in` into `sink`, a partitioned filesystem table; its plan line
  /// (planner_file_sink.cpp).
  sql::result<std::vector<std::string>> partitioned_sink(relation& in, const table_def& sink,
                                                         int id);
  /// Writes `in` into `sink`, a table of a registered connector; its plan line.
  sql::result<std::vector<std::string>> connector_sink(relation& in, const table_def& sink,
                                                       const table_connector& c,
                                                       sql::location where, int id);
  /// INSERT INTO t (c, ...): the query's columns put at their sink positions, NULL elsewhere.
  sql::result<relation> target_columns(const table_def& sink, const sql::insert& ins, relation q);
  /// `n` rows of one hidden column `$row` (0..n-1): what VALUES and SELECT without FROM read
  /// (planner_values.cpp).
  relation constant_rows(std::size_t n);
  /// `VALUES (a, b), (c, d)`: columns EXPR$0, EXPR$1, ... of the cells' common types.
  sql::result<relation> values(const sql::values& v, sql::location at);
  sql::result<relation> calc(relation in, const sql::expr* where,
                             const std::vector<sql::select_item>& items, sql::location at);
  /// `TABLE(TUMBLE(TABLE t, DESCRIPTOR(col), size [, offset]))`, HOP and CUMULATE
  /// (planner_window.cpp).
  sql::result<relation> window_tvf(const sql::function_call& call, sql::location at, int depth);
  /// `in` with a window_tvf_op appending `prefix`window_start, window_end and window_time.
  relation add_windows(relation in, const window_spec& w, const std::string& fn,
                       const std::string& time_column, const std::string& prefix);
  /// `TABLE(SESSION(TABLE t [PARTITION BY k, ...], DESCRIPTOR(ts), gap))` (planner_window.cpp).
  sql::result<relation> session_tvf(const sql::function_call& call, sql::location at, int depth);
  /// Top-N over `in`: rows ranked first..last per partition by `order` (planner_rank.cpp).
  sql::result<relation> rank(relation in, const std::vector<sql::expr>& partition,
                             const std::vector<sql::order_item>& order, std::int64_t first,
                             std::int64_t last, bool rank_number, sql::location at);
  /// `SELECT ... FROM (SELECT ..., ROW_NUMBER() OVER (...) AS r FROM ...) WHERE r <= N`, or
  /// nullopt if `s` is not of that shape.
  sql::result<std::optional<relation>> top_n(const sql::select_core& s, int depth);
  /// A query's ORDER BY / LIMIT / OFFSET over its body's relation.
  sql::result<relation> sort_limit(relation in, const sql::query& q);
  /// The OVER aggregate calls of `items` (rewritten to refer to their results, `$overN`) over
  /// `in` with `s`'s WHERE applied: `in`'s columns, then the results (planner_over.cpp).
  sql::result<relation> over_aggregate(relation in, const sql::select_core& s,
                                       std::vector<sql::select_item>& items, sql::location at);
  /// `input MATCH_RECOGNIZE (...)`: one row per match of the pattern (planner_match.cpp).
  sql::result<relation> match_recognize(const sql::match_recognize& m, sql::location at, int depth);
  /// GROUP BY / HAVING / aggregate calls of `s` over `in` (planner_aggregate.cpp).
  sql::result<relation> aggregate(relation in, const sql::select_core& s, sql::location at);
  /// GROUP BY with grouping sets: one aggregate per set, the others' keys NULL, in a UNION ALL
  /// (planner_grouping_sets.cpp).
  sql::result<relation> grouping_sets_aggregate(relation in, const sql::select_core& s,
                                                sql::location at);
  /// SELECT DISTINCT over `projected`'s rows: a group aggregate by every column.
  sql::result<relation> distinct(relation projected, sql::location where);
  /// `left UNION ALL right` (same column count and types but nullability).
  sql::result<relation> union_all(relation left, relation right, sql::location loc);

  const catalog& catalog_;
  StreamEnvironment& env_;
  planner_options o_;
  std::vector<cte> ctes_;
  int next_id_ = 0;  ///< operator names: unique per plan, the same on every node

  // Projection pruning (planner_pruning.cpp): the names the statement being planned uses
  // (nullopt: it selects `*`, every column may be used).
  std::optional<std::set<std::string>> used_names_;
  // Sub-plan reuse: the relations of the statement's FROM items by reuse_key (what they read,
  // in which WITH scope), so that the same one read twice is planned once.
  std::map<std::string, relation> reused_;
  [[nodiscard]] std::string reuse_key(const sql::table_factor& f) const;
  sql::result<relation> factor_planned(const sql::table_factor& f, int depth);
  sql::result<relation> qualify(relation r, const sql::table_factor& f);
  [[nodiscard]] std::optional<std::set<std::string>> used_names(const sql::query& q) const;
  [[nodiscard]] bool column_used(const std::string& name) const;
  /// For a filesystem table without computed columns: per physical column its position among
  /// the columns the statement names (the event-time column and the watermark's stay), -1 for
  /// the others, which are then not decoded (Flink's projection push-down); empty: all used.
  [[nodiscard]] std::vector<int> scan_projection(const table_def& t) const;
  /// Drops the scanned columns the statement never names (the event-time column stays).
  void prune_scan(relation& r, const std::string& table);
  /// Drops the unused columns from a nexmark table's generator (keeping `rowtime`).
  void prune_nexmark_columns(nexmark_table_config& c, const std::string& rowtime) const;
};

/// The SQL type of an Eddy type (for CASTs the planner writes).
sql::data_type to_data_type(const rows::logical_type& t);

}  // namespace eddy::table
