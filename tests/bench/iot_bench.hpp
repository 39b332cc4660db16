#pragma once
// eddy-bench's IoT connector workloads (iot_bench.cpp), against a broker / server the caller
// started (scripts/bench-iot.sh starts throwaway ones): each prints one JSON line per
// implementation and one with the ratios to the limit measured in the same run.
#include <cstdint>
#include <string>

namespace eddy::bench {

#ifdef EDDY_BENCH_MQTT
/// MQTT source ingest at QoS 1 against `mosquitto_sub` draining the same stream. `uri`:
/// mqtt://HOST:PORT[/TOPIC] (the broker needs max_queued_messages 0). Each run publishes
/// `messages` QoS 1 messages while two persistent sessions (mosquitto_sub's and Eddy's client id)
/// are offline, then times each session draining its queue. False if a run failed.
bool mqtt_source_bench(const std::string& uri, std::uint64_t messages, int repeat);
#endif

#ifdef EDDY_BENCH_POSTGRES
/// PostgreSQL sink (upsert, and append exactly-once with checkpoints every
/// `checkpoint_interval_ms`) against a libpq COPY of the same rows into an identical empty table.
/// `uri`: postgresql://USER@HOST:PORT/DB (the server needs max_prepared_transactions > 0).
/// False if a run failed or a table did not end with the rows written.
bool postgres_sink_bench(const std::string& uri, std::uint64_t rows, int parallelism, int repeat,
                         int checkpoint_interval_ms);
#endif

}  // namespace eddy::bench
