#pragma once
/// User-defined scalar functions, registered from C++ for compile_expression (vector_expr.hpp):
/// Flink's ScalarFunction with an explicit signature. A function has a name (case-insensitive,
/// as SQL function names are), parameter types, a result type and an implementation, either
///   - `per_row`: called once per row with the arguments' values (rows::value, physical
///     representation of each parameter type; see logical_type.hpp), returns the result's value
///     or NULL; with `null_on_null` a NULL argument gives NULL without a call; or
///   - `vectorised`: called once per batch with the argument columns (n rows each, already cast
///     to the parameter types) and `out`, prepared as n valid rows of the result type, to fill
///     (values and validity).
/// Several functions may share a name (overloads); a call picks the first whose parameters
/// match the arguments' types exactly (ignoring nullability and lengths), else the first the
/// arguments implicitly cast to (numbers to numbers, strings to strings, DATE to TIMESTAMP,
/// NULL to anything). User-defined functions shadow built-in ones of the same name and arity
/// (as Flink's temporary system functions do).
///
/// Implementations throw eval_error to fail the job; they must be thread-safe (a compiled
/// expression may be evaluated by several subtasks at once) and are copied into the compiled
/// expression, so the registry may be destroyed after compile_expression. The registry itself is
/// a plain value: fill it on one thread, then share it read-only.
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/rows/column_vector.hpp"
#include "eddy/rows/logical_type.hpp"
#include "eddy/rows/value.hpp"

namespace eddy::sql {

struct scalar_function {
  std::string name;
  std::vector<rows::logical_type> parameters;
  rows::logical_type result;
  std::function<rows::value(std::span<const rows::value> args)> per_row;
  std::function<void(std::span<const rows::column_vector* const> args, std::size_t n,
                     rows::column_vector& out)>
      vectorised;
  bool null_on_null = true;  ///< per_row: NULL in any argument gives NULL without a call
};

class function_registry {
 public:
  /// Adds `f`. Throws std::invalid_argument if the name is empty or not a plain word, if neither
  /// or both implementations are set, or if a function of that name has the same parameter
  /// types.
  void add(scalar_function f);
  /// The functions named `name` (any case), in the order added.
  [[nodiscard]] std::vector<const scalar_function*> find(std::string_view name) const;
  /// Every name registered (for "did you mean").
  [[nodiscard]] std::vector<std::string> names() const;
  [[nodiscard]] bool empty() const noexcept { return functions_.empty(); }

 private:
  std::vector<scalar_function> functions_;
};

}  // namespace eddy::sql
