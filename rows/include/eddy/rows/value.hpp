#pragma once
/// One SQL value outside a column: a literal, a key, a cell read out of a row batch. Holds the
/// physical representation of its type (logical_type.hpp): nothing (NULL), bool, int32, int64,
/// double or string; the type itself is kept by whoever holds the value (a schema, a bound
/// expression). A plain value, comparable with `==` (NULL equals NULL here: this is identity,
/// not SQL's `=`).
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace eddy::rows {

struct value {
  std::variant<std::monostate, bool, std::int32_t, std::int64_t, double, std::string> data;

  value() = default;
  explicit value(bool b) : data(b) {}
  explicit value(std::int32_t v) : data(v) {}
  explicit value(std::int64_t v) : data(v) {}
  explicit value(double v) : data(v) {}
  explicit value(std::string s) : data(std::move(s)) {}

  [[nodiscard]] bool is_null() const noexcept { return data.index() == 0; }
  [[nodiscard]] bool as_bool() const { return std::get<bool>(data); }
  [[nodiscard]] std::int32_t as_int32() const { return std::get<std::int32_t>(data); }
  [[nodiscard]] std::int64_t as_int64() const { return std::get<std::int64_t>(data); }
  [[nodiscard]] double as_double() const { return std::get<double>(data); }
  [[nodiscard]] const std::string& as_string() const { return std::get<std::string>(data); }

  bool operator==(const value&) const = default;
};

}  // namespace eddy::rows
