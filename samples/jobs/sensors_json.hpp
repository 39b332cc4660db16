#pragma once
/// The sensors job's readings as JSON objects, one per input line or message (a kafka:// input
/// with format=json): {"device_id":"dev-001","ts_ms":1700000000123,"temperature":71.3}.
/// Keys that are not these three are ignored (as Flink's JSON format does). The same checks and
/// the same reading as the CSV line "dev-001,1700000000123,71.3": the temperature keeps its text
/// as written (71.0 stays "71.0"), so windows and their maxima are those of the CSV input.
/// Malformed objects become parsed_line errors ("line N: reason: text"), like malformed CSV.
#include <memory>
#include <optional>
#include <string_view>

#include "eddy/connectors/formats/json.hpp"
#include "sensors.hpp"

namespace eddy::samples {

/// One per subtask (copies get a fresh parser); not thread-safe.
class sensor_json_parser {
 public:
  sensor_json_parser() = default;
  sensor_json_parser(const sensor_json_parser&) {}
  sensor_json_parser& operator=(const sensor_json_parser&) { return *this; }
  /// Parses line `line_number` (1-based) into a reading or an error.
  parsed_line parse(std::string_view line, std::uint64_t line_number);

 private:
  formats::json_object object_;
};

/// The text of the number that is `key`'s value in the JSON object `line` as written there, or
/// empty if it cannot be found unambiguously (then the caller uses the parsed value's text).
[[nodiscard]] std::string_view json_number_text(std::string_view line, std::string_view key);

}  // namespace eddy::samples
