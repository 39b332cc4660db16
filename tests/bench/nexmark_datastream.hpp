#pragma once
// Nexmark q0, q1, q2, q5, q7 and q8 written with the DataStream API over the generator's
// sources (nexmark_datastream.cpp), for eddy-bench nexmark: each adds the hashes of its result
// rows, in the SQL query's sink column order, to nexmark_checksum::totals(), so that its
// checksum equals the SQL query's.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/runtime/latency_histogram.hpp"

namespace eddy::bench {

/// Whether query `q` ("q5") has a DataStream version.
bool has_datastream(std::string_view q);

struct datastream_run {
  std::uint64_t events = 0;
  std::int64_t rate = 100'000;  ///< events per second of event time
  int parallelism = 1;
  /// Emit at `rate` on the wall clock ('max-emit-speed' false) instead of unthrottled.
  bool paced = false;
  std::chrono::milliseconds latency_interval{0};  ///< latency markers; 0: none
  std::size_t batch_size = 0;                     ///< 0: the default
  std::chrono::microseconds flush_interval{0};    ///< 0: the default
  latency_histogram* latency = nullptr;           ///< set: the job's marker latencies
};

/// Runs query `q` as `run` says; "" or the job's error. Blocks until the job ends.
std::string run_datastream(std::string_view q, const datastream_run& run);

}  // namespace eddy::bench
