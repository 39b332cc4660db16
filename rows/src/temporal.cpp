#include "eddy/rows/temporal.hpp"

#include <chrono>
#include <cstdio>

namespace eddy::rows {

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, std::uint32_t& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<std::uint32_t>(s[i] - '0');
  }
  return true;
}

/// Parses `HH:MM:SS[.f{1,9}]` at the start of `s`; `used` is how many characters it read.
std::optional<std::int32_t> parse_time_prefix(std::string_view s, std::size_t& used) {
  std::uint32_t h = 0, mi = 0, se = 0;
  if (!digits(s, 0, 2, h) || s.size() < 8 || s[2] != ':' || !digits(s, 3, 2, mi) || s[5] != ':' ||
      !digits(s, 6, 2, se))
    return std::nullopt;
  if (h > 23 || mi > 59 || se > 59) return std::nullopt;
  std::size_t pos = 8;
  std::uint32_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    std::uint32_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && n < 9) {
      ms += static_cast<std::uint32_t>(s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) return std::nullopt;
  }
  used = pos;
  return static_cast<std::int32_t>(((h * 60 + mi) * 60 + se) * 1000 + ms);
}

void append_fraction(std::string& out, std::int64_t ms) {
  if (ms == 0) return;
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(ms));
  std::string f(buf);
  while (f.back() == '0') f.pop_back();
  out += f;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const auto q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

std::int32_t days_from_civil(std::int32_t y, std::uint32_t m, std::uint32_t d) {
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                        std::chrono::day{d}};
  return static_cast<std::int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count());
}

void civil_from_days(std::int32_t days, std::int32_t& y, std::uint32_t& m, std::uint32_t& d) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  y = static_cast<int>(ymd.year());
  m = static_cast<unsigned>(ymd.month());
  d = static_cast<unsigned>(ymd.day());
}

std::optional<std::int32_t> parse_date(std::string_view s) {
  std::uint32_t y = 0, m = 0, d = 0;
  if (s.size() != 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, m) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(y)},
                                        std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return days_from_civil(static_cast<std::int32_t>(y), m, d);
}

std::optional<std::int32_t> parse_time(std::string_view s) {
  std::size_t used = 0;
  auto t = parse_time_prefix(s, used);
  if (!t || used != s.size()) return std::nullopt;
  return t;
}

std::optional<std::int64_t> parse_timestamp(std::string_view s, bool allow_zone_z) {
  if (allow_zone_z && !s.empty() && s.back() == 'Z') s.remove_suffix(1);
  if (s.size() < 19 || (s[10] != ' ' && s[10] != 'T')) return std::nullopt;
  const auto date = parse_date(s.substr(0, 10));
  if (!date) return std::nullopt;
  std::size_t used = 0;
  const auto time = parse_time_prefix(s.substr(11), used);
  if (!time || 11 + used != s.size()) return std::nullopt;
  return static_cast<std::int64_t>(*date) * ms_per_day + *time;
}

std::string format_date(std::int32_t days) {
  std::int32_t y = 0;
  std::uint32_t m = 0, d = 0;
  civil_from_days(days, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
  return buf;
}

std::string format_time(std::int32_t ms_of_day) {
  const std::int64_t ms = ms_of_day;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", static_cast<int>(ms / 3'600'000),
                static_cast<int>(ms / 60'000 % 60), static_cast<int>(ms / 1000 % 60));
  std::string out = buf;
  append_fraction(out, ms % 1000);
  return out;
}

std::string format_timestamp(std::int64_t ms, bool zone_z) {
  const std::int64_t days = floor_div(ms, ms_per_day);
  std::string out = format_date(static_cast<std::int32_t>(days)) + " " +
                    format_time(static_cast<std::int32_t>(ms - days * ms_per_day));
  if (zone_z) out += 'Z';
  return out;
}

}  // namespace eddy::rows
