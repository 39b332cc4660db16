#pragma once
/// The Kafka connector's options, and how a `kafka://` URI maps onto them (the keys are the
/// same; docs/connectors.md lists them with their defaults).
///
///     kafka://HOST:PORT[,HOST:PORT...]/TOPIC?start=earliest&bounded=latest&group=G&format=csv
///
/// Pure data and parsing; no I/O.
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/operators/connector.hpp"
#include "eddy/runtime/error.hpp"

namespace eddy::kafka {

/// Where a partition's reading starts when no checkpoint says otherwise.
enum class start_offset {
  earliest,   ///< the partition's first retained message ("start=earliest", the default)
  latest,     ///< messages written after the source started ("start=latest")
  committed,  ///< the consumer group's committed offset, earliest without one
              ///< ("start=committed"; needs `group`)
  timestamp,  ///< the first message with a timestamp >= start_timestamp ("start=timestamp:MS")
};

struct source_options {
  std::string bootstrap_servers;    ///< "HOST:PORT,HOST:PORT"
  std::vector<std::string> topics;  ///< topics to read (the URI's path; several: "a,b")
  std::string topic_pattern;        ///< or a regular expression ("pattern=..."), not both
  start_offset start = start_offset::earliest;
  std::int64_t start_timestamp = 0;  ///< ms since the epoch, for start_offset::timestamp
  /// "bounded=latest": stop at the offsets that were the latest when the source started (the
  /// job then finishes by itself); partitions are not discovered after the start.
  bool bounded = false;
  /// "group=G": the consumer group whose committed offsets start=committed reads; offsets are
  /// committed back to it when a checkpoint completes (for monitoring: a restore uses the
  /// checkpoint's offsets). Empty: nothing is committed.
  std::string group;
  /// "discovery=30s": how often new partitions (and topics matching the pattern) are looked
  /// for; 0 disables. Unbounded sources only.
  std::chrono::milliseconds discovery_interval{30'000};
  /// "format=csv|json|raw": how one message value maps to a record; the line-based sample jobs
  /// read the value as one line (csv: a CSV line; json: one JSON object, which the sensors job
  /// maps by key).
  std::string format = "raw";
  /// "properties.K=V": passed to librdkafka as is (security.protocol, sasl.*, fetch sizes...).
  std::vector<std::pair<std::string, std::string>> properties;
};

struct sink_options {
  std::string bootstrap_servers;  ///< "HOST:PORT,HOST:PORT"
  std::string topic;              ///< the URI's path
  /// "guarantee=at-least-once|exactly-once|none": at-least-once (the default) waits in every
  /// checkpoint until the brokers acknowledged everything written before it; exactly-once
  /// writes a Kafka transaction per checkpoint (kafka_txn_sink.hpp).
  delivery_guarantee guarantee = delivery_guarantee::at_least_once;
  /// "transactional-id-prefix=P": exactly-once only (required there): the transactional ids
  /// are "P-<subtask>-<k>". Unique per job writing to the cluster, stable across its restarts.
  std::string transactional_id_prefix;
  std::string format = "raw";  ///< "format=csv|json|raw": one record is one message value
  /// How long a checkpoint or the job's end waits for acknowledgements before failing the job
  /// ("flush-timeout=2m").
  std::chrono::milliseconds flush_timeout{120'000};
  std::vector<std::pair<std::string, std::string>> properties;  ///< "properties.K=V"
};

/// The source options a `kafka://` URI gives; errors name the URI and the option.
[[nodiscard]] expected<source_options> parse_source_uri(const connectors::connector_uri& uri);
/// The sink options a `kafka://` URI gives; errors name the URI and the option.
[[nodiscard]] expected<sink_options> parse_sink_uri(const connectors::connector_uri& uri);

}  // namespace eddy::kafka
