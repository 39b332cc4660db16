#pragma once
/// Values as text, the way Flink's CSV format reads and writes them (and SQL literals read):
///
/// | type                      | text                                            |
/// |---------------------------|-------------------------------------------------|
/// | BOOLEAN                   | `true` / `false` (any case when read)           |
/// | TINYINT ... BIGINT        | decimal digits with an optional sign, in range  |
/// | FLOAT, DOUBLE             | read as C's strtod; written as Java's           |
/// |                           | `Double.toString` (`1.0`, `0.001`, `1.0E7`)     |
/// | DECIMAL(p, s)             | `-12.5`, `1e3`; rounded half up to s digits;    |
/// |                           | written with exactly s fractional digits        |
/// | CHAR, VARCHAR, STRING     | as is                                           |
/// | BINARY, VARBINARY, BYTES  | as is (bytes)                                   |
/// | DATE, TIME, TIMESTAMP     | temporal.hpp (`2020-01-31 12:03:04.123`)        |
/// | TIMESTAMP_LTZ             | as TIMESTAMP, written with a trailing `Z`       |
///
/// NULL is not a text here: the format decides (CSV: an empty field when the type is not a
/// string, Flink's `csv.null-literal`). Pure functions, thread-safe.
#include <string>
#include <string_view>

#include "eddy/rows/logical_type.hpp"
#include "eddy/rows/value.hpp"

namespace eddy::rows {

/// Parses `text` as a value of type `t` into `out`. On failure returns false and sets `error`
/// (if given) to a short reason naming the type, e.g. "'12x' is not a BIGINT", "'123.456' does
/// not fit DECIMAL(4, 2)". Types without a text form (ARRAY, MAP, MULTISET, ROW, NULL) fail.
bool parse_value(std::string_view text, const logical_type& t, value& out,
                 std::string* error = nullptr);

/// Writes `v` (not NULL, of type `t`) as text. A NULL writes "".
[[nodiscard]] std::string format_value(const value& v, const logical_type& t);

/// Java's `Double.toString(d)` (shortest digits that read back as d): `1.0`, `-0.5`, `1.0E7`,
/// `1.0E-4`, `NaN`, `Infinity`.
[[nodiscard]] std::string java_double_string(double d);
/// Java's `Float.toString(f)`.
[[nodiscard]] std::string java_float_string(float f);

/// An unscaled DECIMAL value with `scale` fractional digits as text: (12345, 2) -> "123.45".
[[nodiscard]] std::string format_decimal(std::int64_t unscaled, std::int32_t scale);
/// Parses a decimal number (`-12.5`, `.5`, `1e3`) to an unscaled value with `scale` digits,
/// rounded half up; false if it is not a number or needs more than `precision` digits (or more
/// than max_decimal_digits).
bool parse_decimal(std::string_view text, std::int32_t precision, std::int32_t scale,
                   std::int64_t& unscaled);

}  // namespace eddy::rows
