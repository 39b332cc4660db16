#pragma once
// eddy-bench's Nexmark workload (nexmark_bench.cpp; issue 20): the queries of the nexmark
// repository (nexmark_queries.hpp) run as SQL by a table::sql_session over 'nexmark' tables
// (person, auction, bid; unthrottled, 'first-event.rate' = --rate, by default 100,000 events
// per second of event time as the repository's nexmark_v2.yaml workload behind Flink 2.0's
// published figures), their sinks pointed at a checksum sink (a changelog's rows hashed, +I/+U
// added and -U/-D subtracted: the hash of the final result). q0, q1 and q2 also run as DataStream
// jobs over the same generator; their checksums must equal the SQL ones. Prints one JSON line per
// query and implementation (events/s, CPU cores used, events/s per core, Flink's and Feldera's
// published per-core figures, the process's peak RSS, the checksum); never asserts a timing.
// With --latency: the end-to-end latency of latency markers at a fixed input rate instead.
#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace eddy::bench {

struct nexmark_options {
  std::vector<std::string> queries;  ///< "q5", ...; empty with `all`: every query
  bool all = false;
  std::uint64_t events = 10'000'000;
  int parallelism = 1;
  int repeat = 1;
  std::int64_t rate = 100'000;  ///< 'first-event.rate': events per second of event time
  std::string only;             ///< "sql" or "datastream": one implementation alone, unchecked
  /// Latency mode: the DataStream versions with the source paced at `rate` events/s and latency
  /// markers every 1 ms; p50 / p99 / p99.9 per batch size and flush interval (their cross
  /// product; empty: the defaults). Otherwise their first values are the DataStream jobs'.
  bool latency = false;
  std::vector<std::size_t> batch_sizes;
  std::vector<std::int64_t> flush_us;
};

/// Adds the `nexmark` subcommand with its options bound to `o`.
CLI::App* add_nexmark_command(CLI::App& app, nexmark_options& o);

/// Runs the workload. False if a query failed, a checksum differs between implementations or
/// repeats, or a query name is unknown (printed on stderr). A query Eddy's SQL does not support
/// yet (q10, q12, q13) prints a JSON line with "supported": false and the planner's error and
/// does not fail the run.
bool nexmark_bench(const nexmark_options& o);

}  // namespace eddy::bench
