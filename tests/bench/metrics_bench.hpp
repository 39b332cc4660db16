#pragma once
// eddy-bench's cost of observability (issue 19): W2 alone against W2 while this process serves
// the REST API (eddy_web's local_jobs + rest_server, its sampler reading the job's counters once
// a second), a client scrapes /metrics once a second and the sources send latency markers every
// 100 ms (Flink's metrics.latency.interval), alternating, in the same run. Prints one JSON line
// {"workload":"w2","impl":"metrics",...,"throughput_ratio","latency_p50_us","latency_p99_us"}
// (throughput: median without / median with; latency: over every observed run's markers).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "eddy/runtime/job_result.hpp"

namespace eddy::bench {

/// `run_w2(seconds, latency_interval, result)` runs W2 once (with latency markers every
/// `latency_interval`, 0: none; its result into `result` unless null) and returns its checksum.
/// False if the checksums differ.
bool w2_metrics_bench(
    int parallelism, std::uint64_t events, int repeat,
    const std::function<std::string(double& seconds, std::chrono::milliseconds latency_interval,
                                    job_result* result)>& run_w2);

}  // namespace eddy::bench
