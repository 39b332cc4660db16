#pragma once
/// Scalar SQL expressions compiled to trees of vectorised kernels (DuckDB's expression
/// executor): `compile_expression` binds a parsed `expr` (ast_expr.hpp) against the columns in
/// scope, derives its type as Flink does and returns a `vector_expr` that evaluates a whole row
/// batch per call (one virtual call per node per batch, a tight loop per operator kernel; most
/// built-in functions call their implementation once per row).
///
/// Contract:
/// - compile_expression is a pure function (any thread); its errors are `parse_error`s with the
///   position of the offending sub-expression and a complete message (unknown column with a
///   "did you mean", type mismatch naming both types, unknown function, wrong arguments),
///   rendered with render_error like syntax errors.
/// - vector_expr::eval is const and thread-compatible: one compiled tree may be shared by the
///   subtasks of an operator only if each evaluates with its own output vectors (eval keeps no
///   mutable state in the tree).
/// - eval throws `eval_error` (a std::runtime_error) for what Flink fails a job on at run time:
///   integer division by zero, a CAST whose input does not convert (TRY_CAST gives NULL), a
///   DECIMAL result that does not fit its precision or has more than rows::max_decimal_digits
///   (18) digits. The operator around it turns that into a job failure naming the operator.
/// - Types are Flink's: `1` INT, `3000000000` BIGINT, `0.908` DECIMAL(3, 3), `1.5E3` DOUBLE,
///   'abc' CHAR(3); arithmetic result types by LogicalTypeMerging (BIGINT * DECIMAL(3, 3) is
///   DECIMAL(23, 3)); integer arithmetic wraps around as Java's. What is supported, and the
///   differences from Flink: docs/sql.md "Expressions".
/// - Evaluation is lazy where Flink's generated code is: CASE/IF/COALESCE branches and the right
///   operand of AND/OR are evaluated only on the rows that need them.
/// - Implementation: sql/src/expr_binder.cpp (binding, typing), kernels_*.cpp (vectorised
///   operators), functions*.cpp (built-in functions, mostly row at a time over rows::value).
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "eddy/rows/column_vector.hpp"
#include "eddy/rows/logical_type.hpp"
#include "eddy/rows/row_batch.hpp"
#include "eddy/sql/ast_expr.hpp"
#include "eddy/sql/error.hpp"

namespace eddy::sql {

/// A column an expression may name, at position `index` of the batches it will see.
struct scope_column {
  std::string table;  ///< the table or alias qualifying it (`B` in `B.price`), may be empty
  std::string name;
  rows::logical_type type;
};

/// The columns in scope, in batch order (scope[i] is column i of the input batch).
using scope = std::vector<scope_column>;

/// What an evaluation may need besides the batch.
struct eval_context {
  std::int64_t now_ms = 0;  ///< processing time (CURRENT_TIMESTAMP, NOW(), ...)
};

class eval_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class vector_expr {
 public:
  virtual ~vector_expr() = default;
  /// The result type (nullability included).
  [[nodiscard]] const rows::logical_type& type() const noexcept { return type_; }
  /// Evaluates over the logical rows of `in` (its selection applied) and writes in.size() dense
  /// rows to `out`, which is replaced by a column of type(). Throws eval_error (see above).
  virtual void eval(const rows::row_batch& in, rows::column_vector& out,
                    const eval_context& ctx) const = 0;
  /// The expression as SQL (for EXPLAIN and messages).
  [[nodiscard]] virtual std::string to_string() const = 0;

 protected:
  rows::logical_type type_;
};

class function_registry;

/// Binds and compiles `e` against `columns`. `functions`: user-defined scalar functions in
/// addition to the built-in ones (null: built-ins only).
[[nodiscard]] result<std::unique_ptr<vector_expr>> compile_expression(
    const expr& e, const scope& columns, const function_registry* functions = nullptr);

/// The type two values of types `a` and `b` are both cast to where SQL mixes them (CASE,
/// COALESCE, comparisons, UNION ALL): Flink's implicit casts (numeric promotion, CHAR/VARCHAR
/// to VARCHAR, DATE to TIMESTAMP), nullable if either is; rows::null_type() if there is none.
[[nodiscard]] rows::logical_type common_value_type(const rows::logical_type& a,
                                                   const rows::logical_type& b);

/// The physical rows of `in` for which `predicate` (a BOOLEAN expression) is TRUE (not FALSE,
/// not NULL), ascending: what a WHERE clause keeps, ready for row_batch::set_selection.
void select_true(const vector_expr& predicate, const rows::row_batch& in,
                 std::vector<std::uint32_t>& rows, const eval_context& ctx);

}  // namespace eddy::sql
