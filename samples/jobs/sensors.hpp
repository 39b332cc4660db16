#pragma once
/// The sensors sample: per-device 10-second event-time windows over CSV readings, with late data,
/// alerts and a dead-letter output for malformed lines.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "csv_line.hpp"
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

namespace sensors_csv = csv_line;  // the parsing pieces (csv_line.hpp)

/// Parses line `line_number` (1-based). The header line is reported as neither (nullopt).
/// Inline (no dependency on the job): the fuzz target tests/fuzz/sensors_csv_fuzz.cpp uses it
/// alone.
inline std::optional<parsed_line> parse_sensor_line(std::string_view line,
                                                    std::uint64_t line_number) {
  if (line_number == 1 && line == "device_id,ts_ms,temperature") return std::nullopt;
  parsed_line p;
  p.line_number = line_number;
  auto fail = [&](const std::string& reason) {
    p.error = "line " + std::to_string(line_number) + ": " + reason + ": " + std::string(line);
    return p;
  };
  const auto f = csv_line::three_fields(line);
  if (!f) return fail("expected 3 comma-separated fields (device_id,ts_ms,temperature)");
  sensor_reading r;
  r.device = std::string((*f)[0]);
  if (r.device.empty()) return fail("empty device_id");
  if (!sensors_csv::parse_int((*f)[1], r.ts_ms)) return fail("ts_ms is not an integer");
  // The job's windows and watermarks add and subtract seconds: far-out timestamps would overflow.
  if (r.ts_ms > sensors_csv::max_abs_ts_ms || r.ts_ms < -sensors_csv::max_abs_ts_ms)
    return fail("ts_ms is out of range (more than 2^53 ms from 1970)");
  r.temperature_text = std::string((*f)[2]);
  if (!sensors_csv::parse_double(r.temperature_text, r.temperature))
    return fail("temperature is not a number");
  r.line = std::string(line);
  p.reading = std::move(r);
  return p;
}

/// Adds the sensors job to `env`.
void build_sensors(StreamEnvironment& env, const sensors_options& opts);

}  // namespace eddy::samples
