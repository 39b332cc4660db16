#pragma once
// Kafka partitions as source splits (split_enumerator.hpp): their ids, the data the enumerator
// gives with them, and their owner. Internal to the connector; shared by the enumerator
// (kafka_enumerator.cpp) and the readers (kafka_reader.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace eddy::kafka::detail {

using partition_id = std::pair<std::string, std::int32_t>;

/// "TOPIC/PARTITION" (Kafka topic names cannot hold '/').
std::string split_id(const partition_id& p);
/// The partition of a split id; nullopt if it is not one.
std::optional<partition_id> parse_split_id(const std::string& id);

/// Where a reader starts reading a partition and, bounded, where it stops (-1: never).
struct split_offsets {
  std::int64_t next = 0;
  std::int64_t stop = -1;
};
std::string encode_offsets(const split_offsets& o);
std::optional<split_offsets> decode_offsets(const std::string& data);

/// The reader of a partition at `parallelism`: Flink's KafkaSourceEnumerator.getSplitOwner,
/// (hash(topic) * 31 + partition) mod parallelism with Java's String.hashCode.
int partition_owner(const std::string& topic, std::int32_t partition, int parallelism);

}  // namespace eddy::kafka::detail
