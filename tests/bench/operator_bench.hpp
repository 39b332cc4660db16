#pragma once
// eddy-bench's operator workloads (operator_bench.cpp; issue 17): the interval join and the general
// (trigger) window operator with event-time session windows, each driven directly in one thread
// (no runtime, no channels) with generated batches of 1024 records and a watermark per batch, so
// the figures measure the operator and its state alone. Prints one JSON line per workload (the
// median of --repeat runs) with a checksum of the results; never asserts a timing.
#include <cstdint>

namespace eddy::bench {

struct operator_options {
  std::uint64_t events = 5'000'000;
  int repeat = 3;
};

/// Runs both workloads. False if two runs of one workload disagree on their results (printed).
bool operator_bench(const operator_options& opts);

}  // namespace eddy::bench
