#pragma once
// Internal to the expression compiler (vector_expr.hpp): the node base class every kernel
// derives from, helpers over column vectors, and the factories the binder (expr_binder.cpp)
// calls, one group per kernels_*.cpp file.
//
// Nodes evaluate a set of physical rows of the input batch (`sel`, or rows 0..n-1 when null)
// into n dense output rows. Passing a subset lets CASE, IF, COALESCE, AND and OR evaluate an
// operand only on the rows that need it (as Flink's generated code does), so `CASE WHEN b <> 0
// THEN a / b END` does not fail on the rows where b is 0.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "eddy/rows/column_vector.hpp"
#include "eddy/rows/logical_type.hpp"
#include "eddy/rows/row_batch.hpp"
#include "eddy/rows/value.hpp"
#include "eddy/sql/ast_expr.hpp"
#include "eddy/sql/vector_expr.hpp"

namespace eddy::sql::detail {

/// Decimal digits of an integer type's largest value (DECIMAL(p, 0) it fits in, as Flink's
/// LogicalTypeMerging counts): TINYINT 3, SMALLINT 5, INT 10, BIGINT 19.
inline int integer_digits(rows::type_id id) {
  switch (id) {
    case rows::type_id::tinyint:
      return 3;
    case rows::type_id::smallint:
      return 5;
    case rows::type_id::int_:
      return 10;
    default:
      return 19;
  }
}

class node : public vector_expr {
 public:
  void eval(const rows::row_batch& in, rows::column_vector& out,
            const eval_context& ctx) const final {
    run(in, in.has_selection() ? in.selection().data() : nullptr, in.size(), out, ctx);
  }
  /// Evaluates physical rows sel[0..n) (rows 0..n-1 if sel is null) of `in` into `out`
  /// (replaced by n rows of type()).
  virtual void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n,
                   rows::column_vector& out, const eval_context& ctx) const = 0;
  [[nodiscard]] std::string to_string() const override { return text_; }
  void set_text(std::string t) { text_ = std::move(t); }
  void set_type(rows::logical_type t) { type_ = std::move(t); }
  /// A literal's value (constant folding of arguments such as a DATE_FORMAT pattern).
  [[nodiscard]] virtual const rows::value* constant() const noexcept { return nullptr; }

 protected:
  std::string text_;
};

using node_ptr = std::unique_ptr<node>;

// ---- column helpers ----

/// `out` becomes n default rows (all valid) of type `t`.
void prepare(rows::column_vector& out, const rows::logical_type& t, std::size_t n);
/// Marks row i of `out` NULL wherever it is NULL in any of `ins` (same length).
void merge_nulls(rows::column_vector& out, std::initializer_list<const rows::column_vector*> ins);
/// The physical rows of the positions `idx` of a parent selection `sel` (null: identity).
std::vector<std::uint32_t> sub_selection(const std::uint32_t* sel,
                                         const std::vector<std::uint32_t>& idx);
/// out[idx[j]] = part[j] (values and NULLs); same physical kind.
void scatter(const rows::column_vector& part, const std::vector<std::uint32_t>& idx,
             rows::column_vector& out);
/// Gives `c` the type `t` (same physical kind; e.g. another nullability), copying if needed.
void retag(rows::column_vector& c, const rows::logical_type& t);
/// Evaluates `child` on positions `idx` of the parent's rows and scatters into `out`.
void eval_subset(const node& child, const rows::row_batch& in, const std::uint32_t* sel,
                 const std::vector<std::uint32_t>& idx, rows::column_vector& out,
                 const eval_context& ctx);

/// 10^k for 0 <= k <= 38.
__int128 pow10_i128(int k);
/// Rescales an unscaled decimal from scale `from` to `to`, rounding half up (away from zero) when
/// digits are dropped; false on overflow.
bool rescale(__int128 v, int from, int to, __int128& out);
/// Whether |v| < 10^precision.
bool fits_precision(__int128 v, int precision);
/// A DECIMAL(p, s) that does not fit: the eval_error message.
[[noreturn]] void throw_decimal_overflow(const rows::logical_type& t);

// ---- per-row functions (functions.cpp, casts, user-defined ones) ----

using row_fn =
    std::function<rows::value(std::span<const rows::value> args, const eval_context& ctx)>;
/// A node calling `fn` once per row with the arguments' values. `strict`: a NULL argument gives
/// NULL without calling fn. fn returns a value of `result`'s physical representation or NULL.
node_ptr make_row_function(std::vector<node_ptr> args, rows::logical_type result, row_fn fn,
                           bool strict, std::string text);
using vector_fn = std::function<void(std::span<const rows::column_vector* const> args,
                                     std::size_t n, rows::column_vector& out)>;
/// A node calling `fn` once per batch with the evaluated argument columns (n rows each);
/// fn fills `out`, already prepared as n rows of `result`.
node_ptr make_vector_function(std::vector<node_ptr> args, rows::logical_type result, vector_fn fn,
                              std::string text);

// ---- leaves (expr_binder.cpp) ----
node_ptr make_column_ref(std::size_t index, rows::logical_type t, std::string text);
node_ptr make_literal(rows::value v, rows::logical_type t, std::string text);

// ---- casts (kernels_cast.cpp) ----
/// CAST / TRY_CAST of `child` to `to`; nullptr if the cast is not supported (the binder
/// reports it). An identity cast returns the child with the new type's nullability.
node_ptr make_cast(node_ptr child, const rows::logical_type& to, bool try_cast, std::string text);
/// Whether CAST(from AS to) is supported.
bool can_cast(const rows::logical_type& from, const rows::logical_type& to);
/// One value cast (throws eval_error when it does not convert).
rows::value cast_value(const rows::value& v, const rows::logical_type& from,
                       const rows::logical_type& to);

// ---- arithmetic (kernels_arith.cpp) ----
/// + - * / % over numeric operands; `result` as derived by the binder (arith_result_type).
/// Operands: both integers (of result's width), both DOUBLE, or DECIMAL/integer mixes
/// (computed exactly in 128 bits and rescaled to result's scale).
node_ptr make_arith(binary_op op, node_ptr a, node_ptr b, rows::logical_type result,
                    std::string text);
node_ptr make_negate(node_ptr a, std::string text);
/// Flink's result type of `a op b` for numeric a and b (DECIMAL capped at precision 18), or
/// std::nullopt-like null_ type when not numeric.
rows::logical_type arith_result_type(binary_op op, const rows::logical_type& a,
                                     const rows::logical_type& b);
/// TIMESTAMP/DATE +- INTERVAL (`minus` subtracts).
node_ptr make_temporal_plus(node_ptr temporal, node_ptr interval, bool minus, std::string text);

// ---- comparisons and logic (kernels_compare.cpp) ----
enum class cmp_op { eq, neq, lt, le, gt, ge };
/// Both operands of the same physical kind (the binder casts them to a common type).
/// `null_safe`: IS [NOT] DISTINCT FROM (never NULL; eq means NOT DISTINCT).
node_ptr make_compare(cmp_op op, node_ptr a, node_ptr b, bool null_safe, std::string text);
node_ptr make_and_or(bool is_and, node_ptr a, node_ptr b, std::string text);
node_ptr make_not(node_ptr a, std::string text);
node_ptr make_is(is_kind what, bool negated, node_ptr a, std::string text);
/// Searched CASE (conditions BOOLEAN; results already of `result`'s physical kind); `otherwise`
/// may be null (NULL).
node_ptr make_case(std::vector<std::pair<node_ptr, node_ptr>> whens, node_ptr otherwise,
                   rows::logical_type result, std::string text);
/// COALESCE (arguments already of `result`'s physical kind and scale).
node_ptr make_coalesce(std::vector<node_ptr> args, rows::logical_type result, std::string text);

// ---- functions (functions.cpp) ----
struct bound_call {
  std::string name;  ///< upper case
  std::vector<node_ptr> args;
  location loc;
  std::string text;
};
/// A built-in scalar function, or an error message (unknown name: empty message and
/// `known` false).
struct builtin_result {
  node_ptr node;
  std::string error;
  bool known = true;
};
builtin_result bind_builtin(bound_call call);
/// The names of the built-in functions (for "did you mean").
std::span<const std::string_view> builtin_names();
/// Aggregate and window function names (errors: not allowed in a scalar expression).
bool is_aggregate_name(std::string_view upper_name);

// ---- type helpers (expr_binder.cpp) ----
/// The common type of two types for comparison, CASE, COALESCE, IN (Flink's implicit casts:
/// numeric promotion, CHAR/VARCHAR to STRING, DATE to TIMESTAMP); null_type() if none.
rows::logical_type common_type(const rows::logical_type& a, const rows::logical_type& b);
/// `n` cast to `t` if its type differs physically or in scale (implicit cast), else n itself.
node_ptr coerce(node_ptr n, const rows::logical_type& t);
std::string upper(std::string_view s);

}  // namespace eddy::sql::detail
