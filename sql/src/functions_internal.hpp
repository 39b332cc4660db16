#pragma once
// Internal: the tables of built-in scalar functions (functions.cpp: conditional and math,
// functions_string.cpp, functions_temporal.cpp) and the helpers their binders share.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "expr_internal.hpp"

namespace eddy::sql::detail {

struct builtin_def {
  std::string_view name;
  int min_args;
  int max_args;  ///< -1: any number
  builtin_result (*bind)(bound_call& call);
};

std::span<const builtin_def> math_functions();
std::span<const builtin_def> string_functions();
std::span<const builtin_def> temporal_functions();

inline builtin_result error(std::string message) {
  builtin_result r;
  r.error = std::move(message);
  return r;
}

inline builtin_result done(node_ptr n) {
  builtin_result r;
  r.node = std::move(n);
  return r;
}

/// An integer value (INT or BIGINT) as int64.
inline std::int64_t as_i64(const rows::value& v) {
  if (const auto* x = std::get_if<std::int32_t>(&v.data)) return *x;
  return v.as_int64();
}

/// Whether any argument is nullable.
bool any_nullable(const bound_call& call);
/// "Function F: argument i must be <what>, not TYPE" (i from 1).
builtin_result wrong_arg(const bound_call& call, std::size_t i, std::string_view what);
/// A strict per-row function (NULL in any argument gives NULL) returning `result` (made
/// nullable when an argument is).
builtin_result strict_row(bound_call& call, rows::logical_type result, row_fn fn);
/// The value of a constant argument (a literal), or null.
const rows::value* constant_arg(const bound_call& call, std::size_t i);
/// Whether argument i is a character string (or an untyped NULL); casts an untyped NULL to STRING.
bool string_arg(bound_call& call, std::size_t i);
/// Whether argument i is an integer (or NULL); casts it to BIGINT (or INT if `int32`).
bool integer_arg(bound_call& call, std::size_t i);

}  // namespace eddy::sql::detail
