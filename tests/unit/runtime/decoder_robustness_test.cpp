// Inputs the fuzzers (tests/fuzz, scripts/fuzz.sh) found to crash, hang or exhaust memory in
// Eddy's decoders, replayed through the normal build. Each input is also kept in the fuzz corpus
// (tests/fuzz/corpus/<target>/crash-*), where the fuzz run replays it under the sanitizers.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "eddy/runtime/batch_codec.hpp"
#include "eddy/runtime/serializer.hpp"
// Runtime-internal: the JSON of jobs and job results a cluster exchanges.
#include "../../../runtime/src/job_spec.hpp"
// The sensors sample's parser is inline in its header (the unit tests do not link the samples).
#include "../../../samples/jobs/sensors.hpp"

namespace robustness {

/// A recursive record type (its children nest through a vector).
struct tree {
  std::int32_t value = 0;
  std::vector<tree> children;
};
EDDY_FIELDS(tree, value, children)

}  // namespace robustness

namespace {

std::string varint(std::uint64_t v) {
  std::string out;
  eddy::byte_writer(out).write_varint(v);
  return out;
}

/// The encoding of a tree that is a chain of `depth` nodes.
std::string chain_of(std::size_t depth) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i) {
    out += std::string(4, '\0');  // value
    out += varint(i + 1 < depth ? 1 : 0);
  }
  return out;
}

}  // namespace

// serializer_fuzz, crash-nested-zero-size-vectors: 3 KB declaring 1000 vectors of a million
// std::monostate each took minutes and a gigabyte (the ceiling for elements without bytes was
// per container, not per input).
TEST_CASE("serializer bounds elements without bytes over the whole input, not per container") {
  std::string input = varint(1000);
  for (int i = 0; i < 1000; ++i) input += varint(1'000'000);
  std::vector<std::vector<std::monostate>> v;
  std::string error;
  CHECK_FALSE(eddy::deserialize(input, v, &error));
  CHECK_THAT(error, Catch::Contains("elements without bytes"));

  // One container may still hold the documented 2^20 such elements (plus the input size).
  std::vector<std::monostate> one;
  REQUIRE(eddy::deserialize(varint(std::uint64_t{1} << 20), one));
  CHECK(one.size() == std::uint64_t{1} << 20);
  CHECK_FALSE(eddy::deserialize(varint((std::uint64_t{1} << 20) + 5), one));
}

// A recursive EDDY_FIELDS type nested a million levels deep (5 MB) overflowed the stack.
TEST_CASE("serializer rejects recursive values nested deeper than the limit") {
  robustness::tree t;
  std::string error;
  CHECK_FALSE(eddy::deserialize(chain_of(1'000'000), t, &error));
  CHECK_THAT(error, Catch::Contains("nested deeper than 256"));

  REQUIRE(eddy::deserialize(chain_of(256), t));
  std::size_t depth = 1;
  for (const auto* n = &t; !n->children.empty(); n = &n->children.front()) ++depth;
  CHECK(depth == 256);
  CHECK_FALSE(eddy::deserialize(chain_of(257), t));
}

// batch_codec_fuzz, crash-batch-count-without-records: an empty batch of large records claiming
// 65536 of them made the decoder allocate 65536 records before reading any.
TEST_CASE("batch codec rejects a record count the message cannot back before allocating") {
  using big = std::array<std::int64_t, 64>;
  const auto codec = eddy::make_batch_codec<big>();
  const std::string message = eddy::encode_wire_batch(65536, "", {});
  auto decoded = codec->decode(message);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().code == eddy::errc::corrupt_data);
  CHECK_THAT(decoded.error().message, Catch::Contains("claims 65536 records in 0 bytes"));

  // A count the records can back still decodes.
  eddy::batch<big> b(std::vector<big>(3));
  b.records[1][5] = 42;
  auto round = codec->decode(codec->encode(b));
  REQUIRE(round);
  const auto& records = static_cast<const eddy::batch<big>&>(**round).records;
  REQUIRE(records.size() == 3);
  CHECK(records[1][5] == 42);
}

// sensors_csv_fuzz, crash-timestamp-overflows-window: a reading at ts_ms 9223372036854775807 was
// accepted, and the job's 10 s window end (start + 10000) overflowed.
TEST_CASE("sensors parser rejects timestamps the job's windows cannot hold") {
  auto far = eddy::samples::parse_sensor_line("d2,9223372036854775807,1", 3);
  REQUIRE(far);
  CHECK_FALSE(far->reading);
  CHECK(far->error ==
        "line 3: ts_ms is out of range (more than 2^53 ms from 1970): "
        "d2,9223372036854775807,1");
  auto early = eddy::samples::parse_sensor_line("d2,-9223372036854775808,1", 4);
  REQUIRE(early);
  CHECK_FALSE(early->reading);

  auto edge = eddy::samples::parse_sensor_line("d2,9007199254740992,1", 5);  // 2^53
  REQUIRE(edge);
  REQUIRE(edge->reading);
  CHECK(edge->reading->ts_ms == 9007199254740992);
}

// job_spec_fuzz, crash-float-job-state and crash-float-parallelism: numbers that do not fit the
// field's integer type (1e300, 1e20) were converted with undefined behaviour.
TEST_CASE("job result JSON with numbers that do not fit their fields is an error") {
  auto state =
      eddy::detail::job_result_from_json(R"({"job_name":"x","state":1e300,"wall_time_ns":5})");
  REQUIRE_FALSE(state);
  CHECK(state.error().code == eddy::errc::invalid_argument);
  CHECK_THAT(state.error().message, Catch::Contains("'state' is not an integer"));

  auto parallelism = eddy::detail::job_result_from_json(
      R"({"job_name":"x","state":1,"wall_time_ns":5,"operators":[{"name":"a","node_id":1,)"
      R"("parallelism":4294967296,"records_in":0,"records_out":0,"late_records":0}]})");
  REQUIRE_FALSE(parallelism);
  CHECK_THAT(parallelism.error().message, Catch::Contains("'parallelism' is out of range"));

  auto negative = eddy::detail::job_result_from_json(
      R"({"job_name":"x","state":1,"wall_time_ns":5,"aborted_checkpoints":-1})");
  REQUIRE_FALSE(negative);
  CHECK_THAT(negative.error().message, Catch::Contains("'aborted_checkpoints' is out of range"));

  eddy::job_result r;
  r.job_name = "fine";
  r.operators.push_back(eddy::operator_metrics{"op", 2, 3, 4, 5, 6});
  auto back = eddy::detail::job_result_from_json(eddy::detail::to_json(r));
  REQUIRE(back);
  REQUIRE(back->operators.size() == 1);
  CHECK(back->operators[0].parallelism == 3);
  CHECK(back->operators[0].late_records == 6);
}
