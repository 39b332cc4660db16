#pragma once
/// Dates, times and timestamps as SQL text, in the representation column vectors store
/// (logical_type.hpp): DATE as days since 1970-01-01, TIME as milliseconds of the day, TIMESTAMP
/// and TIMESTAMP_LTZ as milliseconds since 1970-01-01 00:00:00 (UTC for TIMESTAMP_LTZ; the
/// session time zone is UTC).
///
/// Text forms are Flink's CSV/SQL ones (its TimeFormats.SQL_TIMESTAMP_FORMAT): `2020-01-31`,
/// `12:03:04.5`, `2020-01-31 12:03:04.123`. Parsing accepts 1 to 9 fractional digits (kept to
/// the millisecond, truncated) and, for timestamps, `T` as well as a space between date and
/// time; it returns nullopt for anything else (a day that does not exist, 24:00:00, a trailing
/// character). Formatting writes the fraction with as few digits as it needs, none when zero
/// (Flink's appendFraction(NANO_OF_SECOND, 0, 9, true)). Pure functions, thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eddy::rows {

inline constexpr std::int64_t ms_per_day = 86'400'000;

/// `YYYY-MM-DD` (years 0000 to 9999).
[[nodiscard]] std::optional<std::int32_t> parse_date(std::string_view text);
/// `HH:MM:SS[.fraction]`.
[[nodiscard]] std::optional<std::int32_t> parse_time(std::string_view text);
/// `YYYY-MM-DD HH:MM:SS[.fraction]` (or with `T`); for TIMESTAMP_LTZ also a trailing `Z`.
[[nodiscard]] std::optional<std::int64_t> parse_timestamp(std::string_view text,
                                                          bool allow_zone_z = false);

[[nodiscard]] std::string format_date(std::int32_t days);
[[nodiscard]] std::string format_time(std::int32_t ms_of_day);
/// `YYYY-MM-DD HH:MM:SS[.fraction]`; `zone_z` appends `Z` (TIMESTAMP_LTZ in Flink's CSV).
[[nodiscard]] std::string format_timestamp(std::int64_t ms, bool zone_z = false);

/// Days since the epoch of a civil date (no range check) and back.
[[nodiscard]] std::int32_t days_from_civil(std::int32_t y, std::uint32_t m, std::uint32_t d);
void civil_from_days(std::int32_t days, std::int32_t& y, std::uint32_t& m, std::uint32_t& d);

}  // namespace eddy::rows
