#pragma once
/// The SQL types of a column (Flink's `LogicalType`): what a value means, whether it may be NULL,
/// and how a column of it is stored (its `physical_kind`).
///
/// A plain value: copies deeply, compares with `==` (nullability included). Built with the
/// factory functions below, which check their arguments (a precision out of range throws
/// std::invalid_argument naming the type and the bound). Thread-safe as any const value.
///
/// Storage (physical_kind, see column_vector.hpp):
/// - boolean: BOOLEAN (one byte per value)
/// - int32: TINYINT, SMALLINT, INT, DATE (days since 1970-01-01), TIME (ms of the day),
///   INTERVAL YEAR TO MONTH (months)
/// - int64: BIGINT, DECIMAL(p, s) (the unscaled value: p may be up to 38 as in Flink, but a value
///   holds at most max_decimal_digits digits; a longer one is an error where it is made),
///   TIMESTAMP(p) and TIMESTAMP_LTZ(p)
///   (ms since the epoch; precision above 3 is kept in the type but values hold ms),
///   INTERVAL DAY TO SECOND (ms)
/// - float64: FLOAT, DOUBLE (a FLOAT value is rounded to float when it is stored)
/// - string: CHAR, VARCHAR, STRING, BINARY, VARBINARY, BYTES (bytes, not validated as UTF-8)
/// - nested: ARRAY, MAP, MULTISET, ROW (types exist, column storage does not yet)
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::rows {

enum class type_id : std::uint8_t {
  null_,  ///< the type of an untyped NULL literal
  boolean,
  tinyint,
  smallint,
  int_,
  bigint,
  float_,
  double_,
  decimal,
  char_,
  varchar,
  binary,
  varbinary,
  date,
  time,
  timestamp,
  timestamp_ltz,
  interval_year_month,
  interval_day_time,
  array,
  map,
  multiset,
  row,
};

enum class physical_kind : std::uint8_t { boolean, int32, int64, float64, string, nested };

/// The largest length of CHAR/VARCHAR/BINARY/VARBINARY (STRING is VARCHAR of it, BYTES is
/// VARBINARY of it), as in Flink.
inline constexpr std::int32_t max_length = 2147483647;
/// The largest DECIMAL precision (Flink's).
inline constexpr std::int32_t max_decimal_precision = 38;
/// The most digits a DECIMAL value holds (its unscaled value is an int64): a value with more
/// (parsed, cast or computed) is an error, never a wrapped or rounded number.
inline constexpr std::int32_t max_decimal_digits = 18;

struct logical_type {
  type_id id = type_id::null_;
  bool nullable = true;
  /// CHAR/VARCHAR/BINARY/VARBINARY: the length; DECIMAL: the precision; TIME/TIMESTAMP/
  /// TIMESTAMP_LTZ: the fractional-second precision (0..9).
  std::int32_t precision = 0;
  std::int32_t scale = 0;  ///< DECIMAL only
  /// ARRAY/MULTISET: the element; MAP: key and value; ROW: the fields' types.
  std::vector<logical_type> children;
  std::vector<std::string> field_names;  ///< ROW: one per child

  bool operator==(const logical_type&) const = default;

  [[nodiscard]] physical_kind physical() const noexcept;
  /// The same type, NOT NULL or nullable.
  [[nodiscard]] logical_type with_nullable(bool n) const {
    auto t = *this;
    t.nullable = n;
    return t;
  }
  /// Flink's summary string: `BIGINT`, `DECIMAL(10, 2)`, `STRING` (VARCHAR of max_length),
  /// `TIMESTAMP(3)`, `ARRAY<INT>`, `ROW<`a` INT, `b` STRING>`, with ` NOT NULL` when not
  /// nullable.
  [[nodiscard]] std::string to_string() const;

  [[nodiscard]] bool is_integer() const noexcept {
    return id == type_id::tinyint || id == type_id::smallint || id == type_id::int_ ||
           id == type_id::bigint;
  }
  /// Integers, DECIMAL, FLOAT and DOUBLE.
  [[nodiscard]] bool is_numeric() const noexcept {
    return is_integer() || id == type_id::decimal || id == type_id::float_ ||
           id == type_id::double_;
  }
  [[nodiscard]] bool is_character_string() const noexcept {
    return id == type_id::char_ || id == type_id::varchar;
  }
  [[nodiscard]] bool is_binary_string() const noexcept {
    return id == type_id::binary || id == type_id::varbinary;
  }
  /// TIMESTAMP or TIMESTAMP_LTZ (what a watermark and a time attribute can be).
  [[nodiscard]] bool is_timestamp() const noexcept {
    return id == type_id::timestamp || id == type_id::timestamp_ltz;
  }
};

// ---- factories (nullable; `.with_nullable(false)` for NOT NULL) ----
logical_type null_type();
logical_type boolean_type();
logical_type tinyint_type();
logical_type smallint_type();
logical_type int_type();
logical_type bigint_type();
logical_type float_type();
logical_type double_type();
/// Throws std::invalid_argument unless 1 <= precision <= max_decimal_precision and
/// 0 <= scale <= precision.
logical_type decimal_type(std::int32_t precision, std::int32_t scale);
logical_type char_type(std::int32_t length);
logical_type varchar_type(std::int32_t length = max_length);
logical_type string_type();  ///< VARCHAR(max_length)
logical_type binary_type(std::int32_t length);
logical_type varbinary_type(std::int32_t length = max_length);
logical_type bytes_type();  ///< VARBINARY(max_length)
logical_type date_type();
logical_type time_type(std::int32_t precision = 0);
logical_type timestamp_type(std::int32_t precision = 3);
logical_type timestamp_ltz_type(std::int32_t precision = 3);
logical_type interval_year_month_type();
logical_type interval_day_time_type();
logical_type array_type(logical_type element);
logical_type multiset_type(logical_type element);
logical_type map_type(logical_type key, logical_type value);
/// Throws std::invalid_argument if names and types differ in number or a name repeats.
logical_type row_type(std::vector<std::string> names, std::vector<logical_type> types);

/// The name of a type id as SQL writes it (`BIGINT`, `TIMESTAMP_LTZ`, ...).
std::string_view type_name(type_id id) noexcept;

}  // namespace eddy::rows
