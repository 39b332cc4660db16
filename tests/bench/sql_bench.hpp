#pragma once
// eddy-bench's SQL workload (sql_bench.cpp; issue 18): Nexmark q1 and q2 over the same generated
// CSV files of bids, once as SQL run by a table::sql_session (CREATE TABLE ... 'filesystem' csv,
// INSERT INTO a 'blackhole' table) and once as the hand-written DataStream job doing the same work
// (the directory source, the CSV line parsed into a struct, q1's 0.908 * price as DECIMAL(23, 3),
// q2's MOD(auction, 123) = 0, a counting sink). The SQL results are checked untimed through a
// 'filesystem' sink read back; the checksums (rows:sum) must agree. Prints one JSON line per
// implementation and query and one with the ratios; never asserts a timing.
#include <cstdint>
#include <string>

namespace eddy::bench {

struct sql_options {
  std::uint64_t events = 2'000'000;  ///< bid rows
  int files = 4;                     ///< CSV files the rows are spread over
  int parallelism = 0;               ///< 0: parallelism 1 and 2
  int repeat = 3;
  /// "sql" or "datastream": run only that implementation, unchecked (for profiling one side,
  /// e.g. under perf); "" runs both and compares them.
  std::string only;
};

/// Runs the workload. False if a job failed or SQL's results differ from the DataStream job's
/// (printed).
bool sql_bench(const sql_options& opts);

}  // namespace eddy::bench
