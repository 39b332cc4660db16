#pragma once
// eddy-bench's cost of observability (issue 19): W2 alone against W2 while this process serves
// the REST API (eddy_web's local_jobs + rest_server, its sampler reading the job's counters once
// a second) and a client scrapes /metrics once a second, alternating, in the same run. Prints
// one JSON line {"workload":"w2","impl":"metrics",...,"throughput_ratio"} (median with metrics /
// median without). Latency markers are not in it yet (they do not exist yet).
#include <cstdint>
#include <functional>
#include <string>

namespace eddy::bench {

/// `run_w2(seconds)` runs W2 once and returns its checksum. False if the checksums differ.
bool w2_metrics_bench(int parallelism, std::uint64_t events, int repeat,
                      const std::function<std::string(double& seconds)>& run_w2);

}  // namespace eddy::bench
