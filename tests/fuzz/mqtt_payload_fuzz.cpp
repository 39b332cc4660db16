// Fuzz target: the MQTT source's payload path. A message as libmosquitto hands it over (topic,
// payload, qos, retain, message id) is encoded into the write-ahead log's record
// (connectors/mqtt/src/mqtt_wal.hpp), decoded again as the source reads it back, and the payload
// goes to the sensors job's JSON parser (samples/jobs/sensors_json.hpp, an mqtt:// input with
// format=json) and the topic to message_view::topic_level (mqtt_source.hpp).
//
// Input: byte 0 the topic's length (cut to what follows), byte 1 qos (value % 3) and retain
// (bit 7), bytes 2-3 the message id (little-endian), then the topic, then the payload. Missing
// header bytes are zero. The whole input is also fed to decode as a log record.
//
// Checks: encode/decode round-trips every field and the record has the documented size; decode
// of arbitrary bytes never crashes, and a record it accepts re-encodes to exactly its bytes (the
// layout is canonical); topic_level returns slashless pieces of the topic that join back to it,
// and nothing past the last level; the parser gives either a reading or an error naming the
// line number, and a reading keeps the payload as its line.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "eddy/connectors/mqtt/mqtt_source.hpp"
#include "mqtt_wal.hpp"
#include "sensors_json.hpp"

namespace {

using eddy::mqtt::detail::wal_record;

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "mqtt_payload_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

eddy::samples::sensor_json_parser parser;

/// decode from a buffer of exactly `bytes.size()` bytes, so that ASan sees any read past it.
bool decode_exact(std::string_view bytes, wal_record& out) {
  const std::unique_ptr<char[]> copy(new char[bytes.size() + (bytes.empty() ? 1 : 0)]);
  if (!bytes.empty()) std::memcpy(copy.get(), bytes.data(), bytes.size());
  return eddy::mqtt::detail::decode(copy.get(), bytes.size(), out);
}

void check_topic_levels(const eddy::mqtt::message_view& m) {
  const std::string_view topic = m.topic;
  std::size_t slashes = 0;
  for (const char c : topic) slashes += c == '/' ? 1 : 0;
  std::string joined;
  for (std::size_t i = 0; i <= slashes; ++i) {
    const auto level = m.topic_level(i);
    if (!level.empty() &&
        (level.data() < topic.data() || level.data() + level.size() > topic.data() + topic.size()))
      fail("topic level outside the topic", topic);
    if (level.find('/') != std::string_view::npos) fail("topic level holds a '/'", topic);
    if (i > 0) joined += '/';
    joined += level;
  }
  if (joined != topic) fail("topic levels do not join to the topic", topic);
  if (!m.topic_level(slashes + 1).empty() || !m.topic_level(slashes + 1000).empty())
    fail("a level past the last one is not empty", topic);
}

void check_payload(std::string_view payload, std::uint64_t number) {
  const auto p = parser.parse(payload, number);
  if (p.line_number != number) fail("wrong line number", payload);
  if (p.reading.has_value() == !p.error.empty())
    fail(p.reading ? "both a reading and an error" : "neither a reading nor an error", payload);
  if (!p.reading) {
    if (p.error.rfind("line " + std::to_string(number) + ": ", 0) != 0)
      fail("error does not name the line", p.error);
    return;
  }
  if (p.reading->device.empty()) fail("reading without a device", payload);
  if (p.reading->line != payload) fail("reading does not keep the payload", payload);
}

/// What the source does with a record it read from the log (mqtt_reader.cpp, poll).
void consume(const wal_record& r) {
  const eddy::mqtt::message_view m{r.topic, r.payload, r.qos, r.retain};
  check_topic_levels(m);
  check_payload(m.payload, std::uint64_t{r.mid} + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto header = [&](std::size_t i) { return i < size ? data[i] : std::uint8_t{0}; };
  const std::string_view body = input.substr(size < 4 ? size : 4);
  const std::size_t topic_size = header(0) < body.size() ? header(0) : body.size();

  wal_record in;
  in.topic = std::string(body.substr(0, topic_size));
  in.payload = std::string(body.substr(topic_size));
  in.qos = static_cast<std::uint8_t>(header(1) % 3);  // libmosquitto's 0, 1 or 2
  in.retain = (header(1) & 0x80) != 0;
  in.mid = static_cast<std::uint16_t>(header(2) | header(3) << 8);

  const std::string record = eddy::mqtt::detail::encode(in);
  if (record.size() != 10 + in.topic.size() + in.payload.size())
    fail("record size is not 10 + topic + payload", record);
  wal_record out;
  if (!decode_exact(record, out)) fail("an encoded record does not decode", record);
  if (out.topic != in.topic || out.payload != in.payload || out.qos != in.qos ||
      out.retain != in.retain || out.mid != in.mid)
    fail("decode(encode(message)) differs from the message", record);
  consume(out);

  // The raw input as a log record (a corrupt or foreign value in the LMDB store).
  wal_record raw;
  if (decode_exact(input, raw)) {
    if (raw.qos > 2) fail("decoded qos above 2", input);
    if (eddy::mqtt::detail::encode(raw) != input)
      fail("an accepted record re-encodes differently", input);
    consume(raw);
  }
  return 0;
}
