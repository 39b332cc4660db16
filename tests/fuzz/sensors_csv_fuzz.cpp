// Fuzz target: the sensors sample's CSV line parser (samples/jobs/sensors.hpp,
// parse_sensor_line), on every line of the input as the job's reader splits it.
// Checks: no line crashes the parser; a malformed line gets an error naming its line number; a
// parsed reading has what the job relies on (a non-empty device without commas, a finite
// temperature, the line as it was) and a timestamp the job's 10 s tumbling windows and 2 s
// out-of-orderness watermarks can handle without overflow (UBSan checks the arithmetic).
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "eddy/operators/window_assigners.hpp"
#include "sensors.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::string_view line) {
  std::fprintf(stderr, "sensors_csv_fuzz: %s: %.*s\n", what, static_cast<int>(line.size()),
               line.data());
  std::abort();
}

void check_line(std::string_view line, std::uint64_t number) {
  auto parsed = eddy::samples::parse_sensor_line(line, number);
  if (!parsed) {
    if (number != 1) fail("only the first line can be a header", line);
    return;
  }
  if (parsed->line_number != number) fail("wrong line number", line);
  if (!parsed->reading) {
    if (parsed->error.rfind("line " + std::to_string(number) + ": ", 0) != 0)
      fail("error does not name the line", parsed->error);
    return;
  }
  const auto& r = *parsed->reading;
  if (r.device.empty() || r.device.find(',') != std::string::npos) fail("bad device", line);
  if (!std::isfinite(r.temperature)) fail("temperature not finite", line);
  if (r.line != line) fail("line not kept", line);
  // What the job does with the timestamp: its window and its watermark (ts - 2 s).
  using namespace std::chrono_literals;
  const auto windows = eddy::TumblingEventTimeWindows::of(10s);
  windows.assign(r.ts_ms, [&](const eddy::time_window& w) {
    if (r.ts_ms < w.start || r.ts_ms >= w.end) fail("reading outside its window", line);
  });
  const std::int64_t watermark = r.ts_ms - std::int64_t{2000};
  (void)watermark;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::uint64_t number = 0;
  std::size_t at = 0;
  while (at < text.size()) {  // lines as the text file source splits them (no "\n", "\r\n")
    const std::size_t end = text.find('\n', at);
    const std::size_t stop = end == std::string_view::npos ? text.size() : end;
    auto line = text.substr(at, stop - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    check_line(line, ++number);
    at = stop + 1;
  }
  return 0;
}
