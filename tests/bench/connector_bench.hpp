#pragma once
// eddy-bench's connector workloads (connector_bench.cpp): each prints one JSON line per
// implementation and one with the ratio to the limit measured in the same run.
#include <cstdint>

namespace eddy::bench {

/// Kafka source -> map -> counting sink against a bare librdkafka consumer loop over the same
/// topic (librdkafka's mock cluster in-process). False if a run failed.
bool kafka_source_bench(std::uint64_t messages, int partitions, int parallelism, int repeat);

/// CSV and JSON decoding (connectors/formats) against a hand-written std::from_chars loop and
/// simdjson's own DOM parser, in MB/s. False if the decoders disagree.
bool formats_bench(std::uint64_t lines, int repeat);

}  // namespace eddy::bench
