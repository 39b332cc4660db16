#include "sensors_json.hpp"

#include <cctype>
#include <string>

namespace eddy::samples {

std::string_view json_number_text(std::string_view line, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  const auto at = line.find(quoted);
  // Once only: a second occurrence (a duplicate key, or the name inside a string) is ambiguous.
  if (at == std::string_view::npos || line.find(quoted, at + 1) != std::string_view::npos)
    return {};
  auto i = at + quoted.size();
  auto skip_space = [&] {
    while (i < line.size() &&
           (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n'))
      ++i;
  };
  skip_space();
  if (i >= line.size() || line[i] != ':') return {};
  ++i;
  skip_space();
  const auto start = i;
  while (i < line.size() && (std::isdigit(static_cast<unsigned char>(line[i])) || line[i] == '-' ||
                             line[i] == '+' || line[i] == '.' || line[i] == 'e' || line[i] == 'E'))
    ++i;
  return line.substr(start, i - start);
}

parsed_line sensor_json_parser::parse(std::string_view line, std::uint64_t line_number) {
  parsed_line p;
  p.line_number = line_number;
  auto fail = [&](const std::string& reason) {
    p.error = "line " + std::to_string(line_number) + ": " + reason + ": " + std::string(line);
    return p;
  };
  std::string why;
  if (!object_.parse(line, why)) return fail("not a JSON object (" + why + ")");
  using kind = formats::json_object::kind;
  sensor_reading r;
  std::string text;
  if (object_.get("device_id", text) != kind::string)
    return fail("device_id is missing or not a string");
  r.device = std::move(text);
  if (r.device.empty()) return fail("empty device_id");
  if (object_.get("ts_ms", text) != kind::number || !sensors_csv::parse_int(text, r.ts_ms))
    return fail("ts_ms is missing or not an integer");
  if (r.ts_ms > sensors_csv::max_abs_ts_ms || r.ts_ms < -sensors_csv::max_abs_ts_ms)
    return fail("ts_ms is out of range (more than 2^53 ms from 1970)");
  if (object_.get("temperature", text) != kind::number ||
      !sensors_csv::parse_double(text, r.temperature))
    return fail("temperature is missing or not a number");
  // As written, if that is the same number (71.0 rather than the parsed value's "71").
  const auto written = json_number_text(line, "temperature");
  double check = 0;
  r.temperature_text =
      !written.empty() && sensors_csv::parse_double(written, check) && check == r.temperature
          ? std::string(written)
          : text;
  r.line = std::string(line);
  p.reading = std::move(r);
  return p;
}

}  // namespace eddy::samples
