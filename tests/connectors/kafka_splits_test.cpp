// Kafka partitions as source splits (connectors/kafka/src/kafka_splits.hpp): the ids and offsets
// the enumerator hands to the readers, and Flink's owner function.
#include <catch2/catch.hpp>

#include "../../connectors/kafka/src/kafka_splits.hpp"

using namespace eddy::kafka::detail;

TEST_CASE("kafka split ids and offsets round-trip and reject what is not one") {
  CHECK(split_id({"readings", 7}) == "readings/7");
  CHECK(parse_split_id("readings/7") == partition_id{"readings", 7});
  CHECK(parse_split_id("a.b-c_d/0") == partition_id{"a.b-c_d", 0});
  CHECK(!parse_split_id("readings"));
  CHECK(!parse_split_id("/3"));
  CHECK(!parse_split_id("readings/x"));
  CHECK(!parse_split_id("readings/-1"));
  CHECK(!parse_split_id("readings/1 "));
  const auto o = decode_offsets(encode_offsets({42, -1}));
  REQUIRE(o);
  CHECK(o->next == 42);
  CHECK(o->stop == -1);
  CHECK(!decode_offsets(""));
  CHECK(!decode_offsets("42"));
  CHECK(!decode_offsets("42 x"));
}

TEST_CASE("kafka partitions go to the reader Flink's KafkaSource gives them to") {
  // ((hash("readings") * 31) & 0x7FFFFFFF) % n + partition, mod n, with Java's String.hashCode.
  CHECK(partition_owner("readings", 0, 3) == 2);
  CHECK(partition_owner("readings", 1, 3) == 0);
  CHECK(partition_owner("readings", 3, 3) == 2);
  CHECK(partition_owner("readings", 2, 5) == 4);
  CHECK(partition_owner("readings", 3, 5) == 0);
}
