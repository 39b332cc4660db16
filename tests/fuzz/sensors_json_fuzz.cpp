// Fuzz target: the sensors sample's JSON reading parser (samples/jobs/sensors_json.hpp), the
// path of a message on a kafka:// input with format=json, on every line of the input.
// Checks: no line crashes the parser; a malformed line gets an error naming its line number; a
// parsed reading has a non-empty device, a timestamp within the job's range, a finite
// temperature whose kept text reads back as the same number, and the line as it was.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sensors_json.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::string_view line) {
  std::fprintf(stderr, "sensors_json_fuzz: %s: %.*s\n", what, static_cast<int>(line.size()),
               line.data());
  std::abort();
}

eddy::samples::sensor_json_parser parser;

void check_line(std::string_view line, std::uint64_t number) {
  const auto p = parser.parse(line, number);
  if (p.line_number != number) fail("wrong line number", line);
  if (!p.reading) {
    if (p.error.rfind("line " + std::to_string(number) + ": ", 0) != 0)
      fail("error does not name the line", p.error);
    return;
  }
  const auto& r = *p.reading;
  if (r.device.empty()) fail("empty device", line);
  if (r.ts_ms > eddy::samples::sensors_csv::max_abs_ts_ms ||
      r.ts_ms < -eddy::samples::sensors_csv::max_abs_ts_ms)
    fail("timestamp out of range", line);
  if (!std::isfinite(r.temperature)) fail("temperature not finite", line);
  double back = 0;
  if (!eddy::samples::sensors_csv::parse_double(r.temperature_text, back) || back != r.temperature)
    fail("temperature text is not the temperature", line);
  if (r.line != line) fail("line not kept", line);
  (void)eddy::samples::json_number_text(line, "temperature");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::uint64_t number = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = text.find('\n', at);
    const std::size_t stop = end == std::string_view::npos ? text.size() : end;
    check_line(text.substr(at, stop - at), ++number);
    at = stop + 1;
  }
  return 0;
}
