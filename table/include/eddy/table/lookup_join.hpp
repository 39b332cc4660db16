#pragma once
/// The operator of SQL's lookup joins (Flink's LookupJoin): a processing-time temporal join of a
/// stream with a table that is looked up by key as each row passes,
///
///   SELECT B.auction, S.`value` FROM (SELECT *, PROCTIME() AS p_time FROM bid) B
///   JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S ON MOD(B.auction, 10000) = S.key
///
/// here against a `filesystem` table (CSV or JSON files), as Flink's FileSystemLookupFunction
/// does: each subtask reads the whole table into memory the first time it looks a key up, keyed
/// by the join's columns, and reads it again once `lookup.join.cache.ttl` (default 60 min) has
/// passed since; a row of the stream is joined with the table's rows of its key at that moment.
/// No exchange and no keyed state: the operator runs in the stream's subtasks, and the cache is
/// not checkpointed (it is read again after a restore, as in Flink).
///
/// Rows: the planner's Calc puts the stream's columns first, then the join keys (each cast to
/// the type of the table column it is compared with). INNER drops a row without a match, LEFT
/// pads it with NULLs. A key holding a NULL matches nothing (SQL's `=`).
///
/// Errors: a file of the table that cannot be read, or a line that does not decode, throws
/// std::runtime_error naming the table, the file and the line (the job fails with it, as a
/// scan of the table does). Copied per subtask (each copy has its own cache); runs on the
/// subtask's actor; the load blocks that actor while it reads the files.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eddy/operators/collector.hpp"
#include "eddy/rows/row_batch.hpp"
#include "eddy/rows/schema.hpp"
#include "eddy/table/row_format.hpp"
#include "eddy/table/table_connector.hpp"

namespace eddy::table {

struct lookup_plan {
  std::string table;  ///< the looked-up table, in errors
  std::string path;   ///< a file, or a directory of files (names starting '.' or '_' skipped)
  row_format format;
  rows::schema columns;                  ///< the table's (physical) columns
  std::vector<std::size_t> key_columns;  ///< per join key: the table column it is compared with
  std::size_t left_width = 0;            ///< the stream's columns at the front of a row
  bool left_outer = false;
  std::int64_t cache_ttl_ms = 3'600'000;
  /// A connector's lookup ('jdbc' / 'postgresql'): the rows of each key fetched when a row of
  /// the stream asks for it (Flink's JdbcRowDataLookupFunction), not files loaded whole; then
  /// `path` and `format` are unused and `cache_ttl_ms` is the partial cache's
  /// expire-after-write.
  std::shared_ptr<const table_lookup_source> connector;
  std::size_t cache_max_rows = 0;             ///< keys the partial cache holds (0: no cache)
  bool cache_missing_keys = true;             ///< cache "no rows" too
  std::vector<rows::logical_type> out_types;  ///< the stream's columns, then the table's
};

class lookup_join_fn {
 public:
  explicit lookup_join_fn(std::shared_ptr<const lookup_plan> p);
  lookup_join_fn(const lookup_join_fn& o);  ///< the plan only: each copy loads its own cache
  lookup_join_fn& operator=(const lookup_join_fn&) = delete;
  ~lookup_join_fn();

  void operator()(rows::row_batch&& b, collector<rows::row_batch>& out);

 private:
  struct cache;
  void load();
  /// The rows of `key` (serialized in `key_bytes`) from the connector, through the cache.
  const std::vector<std::vector<rows::value>>& fetch(const std::vector<rows::value>& key,
                                                     const std::string& key_bytes);

  std::shared_ptr<const lookup_plan> plan_;
  std::unique_ptr<cache> cache_;
};

}  // namespace eddy::table
