#pragma once
/// The sensors sample: per-device 10-second event-time windows over CSV readings, with late data,
/// alerts and a dead-letter output for malformed lines.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eddy/runtime/serializer.hpp"

namespace eddy {
class StreamEnvironment;
}

namespace eddy::samples {

struct sensors_options {
  std::string input;        ///< CSV: device_id,ts_ms,temperature (optional header line)
  std::string output;       ///< window results
  std::string late;         ///< optional: readings too late for their window
  std::string alerts;       ///< optional: third and later adjacent windows with avg > 80
  std::string dead_letter;  ///< optional: malformed lines with line number and reason
  int parallelism = 1;
};

struct sensor_reading {
  std::string device;
  std::int64_t ts_ms = 0;
  double temperature = 0;
  std::string temperature_text;  ///< as it appeared in the input
  std::string line;              ///< the whole input line
};
EDDY_FIELDS(sensor_reading, device, ts_ms, temperature, temperature_text, line)  // crosses nodes

/// One input line after parsing: a reading, or the reason it is malformed.
struct parsed_line {
  std::uint64_t line_number = 0;
  std::optional<sensor_reading> reading;
  std::string error;  ///< "line N: reason: text" when malformed
};
EDDY_FIELDS(parsed_line, line_number, reading, error)

/// Parses line `line_number` (1-based). The header line is reported as neither (nullopt).
std::optional<parsed_line> parse_sensor_line(std::string_view line, std::uint64_t line_number);

/// Adds the sensors job to `env`.
void build_sensors(StreamEnvironment& env, const sensors_options& opts);

}  // namespace eddy::samples
