#include "duration_text.hpp"

#include <cctype>
#include <utility>

namespace eddy::table {

std::optional<std::int64_t> parse_duration(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  const std::size_t digits = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == digits || i - digits > 15) return std::nullopt;
  const std::int64_t n = std::stoll(text.substr(digits, i - digits));
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  std::string unit;
  for (; i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])); ++i)
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i != text.size()) return std::nullopt;
  static const std::pair<const char*, std::int64_t> units[] = {
      {"", 1},           {"ms", 1},           {"milli", 1},
      {"millis", 1},     {"millisecond", 1},  {"milliseconds", 1},
      {"s", 1000},       {"sec", 1000},       {"secs", 1000},
      {"second", 1000},  {"seconds", 1000},   {"min", 60'000},
      {"m", 60'000},     {"minute", 60'000},  {"minutes", 60'000},
      {"h", 3'600'000},  {"hour", 3'600'000}, {"hours", 3'600'000},
      {"d", 86'400'000}, {"day", 86'400'000}, {"days", 86'400'000}};
  for (const auto& [name, ms] : units)
    if (unit == name) return n * ms;
  return std::nullopt;
}

}  // namespace eddy::table
