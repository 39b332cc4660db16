#pragma once
/// Pieces of the sample jobs' CSV line parsers (sensors, fraud): exact field splitting and number
/// parsing without locale or whitespace surprises. Header-only: the fuzz targets use it alone.
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

namespace eddy::samples::csv_line {

/// Timestamps further than this from the epoch (about 285,000 years) are rejected: the jobs'
/// windows and watermarks add and subtract seconds, far-out timestamps would overflow.
inline constexpr std::int64_t max_abs_ts_ms = std::int64_t{1} << 53;

/// The whole of `s` as a decimal integer (no sign but '-', no spaces).
inline bool parse_int(std::string_view s, std::int64_t& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

/// The whole of `s` as a finite number.
inline bool parse_double(std::string_view s, double& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty() && std::isfinite(v);
}

/// The three comma-separated fields of `line`, or nullopt if it has fewer or more.
inline std::optional<std::array<std::string_view, 3>> three_fields(std::string_view line) {
  const auto c1 = line.find(',');
  const auto c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
  if (c2 == std::string_view::npos || line.find(',', c2 + 1) != std::string_view::npos)
    return std::nullopt;
  return std::array<std::string_view, 3>{line.substr(0, c1), line.substr(c1 + 1, c2 - c1 - 1),
                                         line.substr(c2 + 1)};
}

}  // namespace eddy::samples::csv_line
