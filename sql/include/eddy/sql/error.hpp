#pragma once
/// Errors of the SQL front end: `parse_error` (where, what was found, what was expected, a "did
/// you mean"), `result<T>` (a value or a parse_error; no exceptions leave the module) and
/// `render_error`, which shows the statement's line with a caret under the spot.
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "eddy/sql/ast_expr.hpp"

namespace eddy::sql {

/// A syntax error. `message` is complete and Flink-like:
///   Encountered "FORM" at line 1, column 10. Did you mean "FROM"?
///   Was expecting one of: "FROM", "WHERE", ...
/// `where` is the offending token's start; `found` its text ("<EOF>" at the end of input);
/// `expected` what the grammar allowed there (keywords and symbols, quoted, sorted; may be empty,
/// e.g. for lexical errors); `suggestion` the nearest expected keyword by edit distance, or empty.
struct parse_error {
  std::string message;
  location where;
  std::string found;
  std::vector<std::string> expected;
  std::string suggestion;
};

/// The SQL text's line holding the error, and a caret under its column, after the message:
///
///   Encountered "FORM" at line 1, column 10. Did you mean "FROM"?
///   Was expecting one of: ...
///     SELECT * FORM bid
///              ^
///
/// Tabs in the line are kept in the caret line so the caret lines up. Pure function.
[[nodiscard]] std::string render_error(std::string_view sql, const parse_error& error);

/// A value or a parse_error (C++20 lacks std::expected; caf::expected would tie this module to
/// CAF).
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  result(parse_error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  /// Precondition: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  /// Precondition: !ok().
  [[nodiscard]] const parse_error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, parse_error> v_;
};

}  // namespace eddy::sql
