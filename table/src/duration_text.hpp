#pragma once
// Flink's duration text (TimeUtils.parseDuration), for SET keys (`table.exec.state.ttl`) and
// connector options (datagen's `max-past`). Internal to eddy_table.
#include <cstdint>
#include <optional>
#include <string>

namespace eddy::table {

/// A number and an optional unit (d, h, min/m, s, ms and their long forms; none means ms), with
/// spaces allowed around them: the duration in ms, or nullopt if it does not parse.
std::optional<std::int64_t> parse_duration(const std::string& text);

}  // namespace eddy::table
