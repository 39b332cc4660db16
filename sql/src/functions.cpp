// Built-in scalar functions: the dispatch by name (bind_builtin), conditional functions
// (COALESCE, IFNULL, IF, NULLIF, GREATEST, LEAST), math (MOD, ABS, FLOOR, CEIL, ROUND, POWER,
// SQRT, EXP, LN, LOG10, SIGN) and the function_registry of user-defined functions. String and
// temporal functions: functions_string.cpp, functions_temporal.cpp.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <stdexcept>

#include "eddy/sql/function_registry.hpp"
#include "functions_internal.hpp"

namespace eddy::sql {

namespace detail {

using rows::logical_type;
using rows::type_id;
using rows::value;

bool any_nullable(const bound_call& call) {
  return std::any_of(call.args.begin(), call.args.end(),
                     [](const node_ptr& a) { return a->type().nullable; });
}

builtin_result wrong_arg(const bound_call& call, std::size_t i, std::string_view what) {
  return error("Function " + call.name + ": argument " + std::to_string(i + 1) + " must be " +
               std::string(what) + ", not " + call.args[i]->type().with_nullable(true).to_string());
}

builtin_result strict_row(bound_call& call, logical_type result, row_fn fn) {
  result.nullable = result.nullable || any_nullable(call);
  return done(
      make_row_function(std::move(call.args), std::move(result), std::move(fn), true, call.text));
}

const value* constant_arg(const bound_call& call, std::size_t i) {
  return i < call.args.size() ? call.args[i]->constant() : nullptr;
}

bool string_arg(bound_call& call, std::size_t i) {
  const auto& t = call.args[i]->type();
  if (t.id == type_id::null_) {
    call.args[i] = coerce(std::move(call.args[i]), rows::string_type());
    return true;
  }
  return t.is_character_string();
}

bool integer_arg(bound_call& call, std::size_t i) {
  const auto& t = call.args[i]->type();
  if (!t.is_integer() && t.id != type_id::null_) return false;
  call.args[i] = coerce(std::move(call.args[i]), rows::bigint_type());
  return true;
}

namespace {

/// Coerces every argument to their common type; false if there is none.
bool unify(bound_call& call, logical_type& t) {
  t = rows::null_type();
  for (const auto& a : call.args) {
    auto m = common_type(t, a->type());
    if (m.id == type_id::null_ && a->type().id != type_id::null_) return false;
    t = m;
  }
  if (t.id == type_id::null_) t = rows::int_type();
  for (auto& a : call.args) a = coerce(std::move(a), t);
  return true;
}

builtin_result no_common_type(const bound_call& call) {
  std::string types;
  for (const auto& a : call.args)
    types += (types.empty() ? "" : ", ") + a->type().with_nullable(true).to_string();
  return error("Function " + call.name + ": arguments of types " + types + " have no common type");
}

builtin_result bind_coalesce(bound_call& call) {
  logical_type t;
  if (!unify(call, t)) return no_common_type(call);
  t.nullable = std::all_of(call.args.begin(), call.args.end(),
                           [](const node_ptr& a) { return a->type().nullable; });
  return done(make_coalesce(std::move(call.args), t, call.text));
}

builtin_result bind_if(bound_call& call) {
  const auto& c = call.args[0]->type();
  if (c.id != type_id::boolean && c.id != type_id::null_) return wrong_arg(call, 0, "BOOLEAN");
  if (c.id == type_id::null_) call.args[0] = coerce(std::move(call.args[0]), rows::boolean_type());
  auto t = common_type(call.args[1]->type(), call.args[2]->type());
  if (t.id == type_id::null_) {
    if (call.args[1]->type().id != type_id::null_ || call.args[2]->type().id != type_id::null_)
      return no_common_type(call);
    t = rows::int_type();
  }
  std::vector<std::pair<node_ptr, node_ptr>> whens;
  whens.emplace_back(std::move(call.args[0]), coerce(std::move(call.args[1]), t));
  return done(make_case(std::move(whens), coerce(std::move(call.args[2]), t), t, call.text));
}

builtin_result bind_nullif(bound_call& call) {
  auto t = common_type(call.args[0]->type(), call.args[1]->type());
  if (t.id == type_id::null_) return no_common_type(call);
  auto result = call.args[0]->type().with_nullable(true);
  if (result.id == type_id::null_) result = t;
  for (auto& a : call.args) a = coerce(std::move(a), t);
  return done(make_row_function(
      std::move(call.args), t.with_nullable(true),
      [](std::span<const value> a, const eval_context&) -> value {
        if (a[0].is_null() || (!a[1].is_null() && a[0] == a[1])) return {};
        return a[0];
      },
      false, call.text));
}

builtin_result bind_greatest(bound_call& call) {
  logical_type t;
  if (!unify(call, t)) return no_common_type(call);
  const bool greatest = call.name == "GREATEST";
  t.nullable = any_nullable(call);
  return strict_row(call, t, [greatest](std::span<const value> a, const eval_context&) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < a.size(); ++i)
      if (greatest ? a[best].data < a[i].data : a[i].data < a[best].data) best = i;
    return a[best];
  });
}

builtin_result numeric_only(bound_call& call) {
  for (std::size_t i = 0; i < call.args.size(); ++i) {
    const auto& t = call.args[i]->type();
    if (t.id == type_id::null_) {
      call.args[i] = coerce(std::move(call.args[i]), rows::int_type());
      continue;
    }
    if (!t.is_numeric()) return wrong_arg(call, i, "numeric");
  }
  return {};
}

builtin_result bind_mod(bound_call& call) {
  if (auto e = numeric_only(call); !e.error.empty()) return e;
  auto t = arith_result_type(binary_op::modulo, call.args[0]->type(), call.args[1]->type());
  return done(make_arith(binary_op::modulo, std::move(call.args[0]), std::move(call.args[1]), t,
                         call.text));
}

/// A unary numeric function over a value of type t (int32/int64/double; decimals unscaled).
builtin_result numeric_unary(bound_call& call, logical_type result,
                             value (*f)(const value&, const logical_type& in,
                                        const logical_type& out)) {
  if (auto e = numeric_only(call); !e.error.empty()) return e;
  const auto in = call.args[0]->type();
  return strict_row(call, result, [f, in, result](std::span<const value> a, const eval_context&) {
    return f(a[0], in, result);
  });
}

double to_double(const value& v, const logical_type& t) {
  if (t.id == type_id::double_ || t.id == type_id::float_) return v.as_double();
  if (t.id == type_id::decimal) return cast_value(v, t, rows::double_type()).as_double();
  return static_cast<double>(as_i64(v));
}

value same_kind(const logical_type& t, std::int64_t x) {
  if (t.physical() == rows::physical_kind::int32) return value(static_cast<std::int32_t>(x));
  return value(x);
}

builtin_result bind_abs(bound_call& call) {
  return numeric_unary(
      call, call.args[0]->type(),
      [](const value& v, const logical_type& in, const logical_type&) -> value {
        if (in.physical() == rows::physical_kind::float64) return value(std::fabs(v.as_double()));
        const auto x = as_i64(v);
        return same_kind(
            in, x < 0 ? static_cast<std::int64_t>(0ULL - static_cast<std::uint64_t>(x)) : x);
      });
}

builtin_result bind_sign(bound_call& call) {
  return numeric_unary(
      call, call.args[0]->type(),
      [](const value& v, const logical_type& in, const logical_type&) -> value {
        if (in.physical() == rows::physical_kind::float64) {
          const double d = v.as_double();
          return value(d > 0 ? 1.0 : d < 0 ? -1.0 : d);
        }
        const auto x = as_i64(v);
        const std::int64_t one =
            in.id == type_id::decimal ? static_cast<std::int64_t>(pow10_i128(in.scale)) : 1;
        return same_kind(in, x > 0 ? one : x < 0 ? -one : 0);
      });
}

builtin_result bind_floor_ceil(bound_call& call) {
  const auto in = call.args[0]->type();
  logical_type result = in;
  if (in.id == type_id::decimal) result = rows::decimal_type(in.precision, 0);
  const bool ceil = call.name != "FLOOR";
  if (auto e = numeric_only(call); !e.error.empty()) return e;
  return strict_row(
      call, result.with_nullable(in.nullable),
      [in, ceil](std::span<const value> a, const eval_context&) -> value {
        if (in.physical() == rows::physical_kind::float64)
          return value(ceil ? std::ceil(a[0].as_double()) : std::floor(a[0].as_double()));
        if (in.id != type_id::decimal) return a[0];
        const auto d = static_cast<std::int64_t>(pow10_i128(in.scale));
        const auto x = a[0].as_int64();
        std::int64_t q = x / d;
        if (x % d != 0 && ((x > 0) == ceil)) q += ceil ? 1 : -1;
        return value(q);
      });
}

builtin_result bind_round(bound_call& call) {
  if (auto e = numeric_only(call); !e.error.empty()) return e;
  std::int32_t digits = 0;
  if (call.args.size() == 2) {
    const auto* c = constant_arg(call, 1);
    if (c == nullptr || c->is_null() || !call.args[1]->type().is_integer())
      return error("Function ROUND: the number of digits must be an integer literal");
    digits = static_cast<std::int32_t>(as_i64(*c));
    call.args.pop_back();
  }
  const auto in = call.args[0]->type();
  logical_type result = in;
  if (in.id == type_id::decimal) {
    if (digits >= in.scale)
      result = in;
    else if (digits < 0)
      result = rows::decimal_type(std::min(1 + in.precision - in.scale, 38), 0);
    else
      result = rows::decimal_type(std::min(1 + in.precision - in.scale + digits, 38), digits);
  }
  result.nullable = in.nullable;
  return strict_row(
      call, result, [in, result, digits](std::span<const value> a, const eval_context&) -> value {
        if (in.physical() == rows::physical_kind::float64) {
          const double p = std::pow(10.0, digits);
          double r = std::round(a[0].as_double() * p) / p;
          if (in.id == type_id::float_) r = static_cast<float>(r);
          return value(r);
        }
        const int scale = in.id == type_id::decimal ? in.scale : 0;
        if (digits >= scale) return a[0];
        __int128 r = 0;
        rescale(as_i64(a[0]), scale, digits, r);  // half up
        __int128 back = 0;
        if (!rescale(r, digits, result.id == type_id::decimal ? result.scale : scale, back))
          throw_decimal_overflow(result);
        if (result.id == type_id::decimal &&
            !fits_precision(back, std::min(result.precision, rows::max_decimal_digits)))
          throw_decimal_overflow(result);
        return same_kind(result, static_cast<std::int64_t>(back));
      });
}

using dfn = double (*)(double);

builtin_result double_fn(bound_call& call, dfn f) {
  if (auto e = numeric_only(call); !e.error.empty()) return e;
  const auto in = call.args[0]->type();
  return strict_row(call, rows::double_type().with_nullable(false),
                    [in, f](std::span<const value> a, const eval_context&) {
                      return value(f(to_double(a[0], in)));
                    });
}

builtin_result bind_sqrt(bound_call& call) {
  return double_fn(call, [](double x) { return std::sqrt(x); });
}
builtin_result bind_exp(bound_call& call) {
  return double_fn(call, [](double x) { return std::exp(x); });
}
builtin_result bind_ln(bound_call& call) {
  return double_fn(call, [](double x) { return std::log(x); });
}
builtin_result bind_log10(bound_call& call) {
  return double_fn(call, [](double x) { return std::log10(x); });
}

builtin_result bind_power(bound_call& call) {
  if (auto e = numeric_only(call); !e.error.empty()) return e;
  const auto a = call.args[0]->type();
  const auto b = call.args[1]->type();
  return strict_row(call, rows::double_type().with_nullable(false),
                    [a, b](std::span<const value> v, const eval_context&) {
                      return value(std::pow(to_double(v[0], a), to_double(v[1], b)));
                    });
}

constexpr builtin_def math_table[] = {
    {"COALESCE", 1, -1, bind_coalesce},
    {"IFNULL", 2, 2, bind_coalesce},
    {"IF", 3, 3, bind_if},
    {"NULLIF", 2, 2, bind_nullif},
    {"GREATEST", 1, -1, bind_greatest},
    {"LEAST", 1, -1, bind_greatest},
    {"MOD", 2, 2, bind_mod},
    {"ABS", 1, 1, bind_abs},
    {"SIGN", 1, 1, bind_sign},
    {"FLOOR", 1, 1, bind_floor_ceil},
    {"CEIL", 1, 1, bind_floor_ceil},
    {"CEILING", 1, 1, bind_floor_ceil},
    {"ROUND", 1, 2, bind_round},
    {"POWER", 2, 2, bind_power},
    {"SQRT", 1, 1, bind_sqrt},
    {"EXP", 1, 1, bind_exp},
    {"LN", 1, 1, bind_ln},
    {"LOG10", 1, 1, bind_log10},
};

constexpr std::string_view aggregates[] = {
    "AVG",   "COLLECT",      "COUNT",    "CUME_DIST",  "DENSE_RANK",    "FIRST_VALUE",
    "LAG",   "LAST_VALUE",   "LEAD",     "LISTAGG",    "MAX",           "MIN",
    "NTILE", "PERCENT_RANK", "RANK",     "ROW_NUMBER", "STDDEV_POP",    "STDDEV_SAMP",
    "SUM",   "VAR_POP",      "VAR_SAMP", "ARRAY_AGG",  "JSON_ARRAYAGG", "JSON_OBJECTAGG",
};

std::vector<std::string_view> all_names() {
  std::vector<std::string_view> v;
  for (auto tab : {math_functions(), string_functions(), temporal_functions()})
    for (const auto& d : tab) v.push_back(d.name);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

std::span<const builtin_def> math_functions() {
  return math_table;
}

std::span<const std::string_view> builtin_names() {
  static const std::vector<std::string_view> names = all_names();
  return names;
}

bool is_aggregate_name(std::string_view upper_name) {
  return std::find(std::begin(aggregates), std::end(aggregates), upper_name) !=
         std::end(aggregates);
}

builtin_result bind_builtin(bound_call call) {
  for (auto tab : {math_functions(), string_functions(), temporal_functions()}) {
    for (const auto& d : tab) {
      if (d.name != call.name) continue;
      const auto n = static_cast<int>(call.args.size());
      if (n < d.min_args || (d.max_args >= 0 && n > d.max_args)) {
        std::string want = d.min_args == d.max_args ? std::to_string(d.min_args)
                           : d.max_args < 0
                               ? std::to_string(d.min_args) + " or more"
                               : std::to_string(d.min_args) + " to " + std::to_string(d.max_args);
        return error("Function " + call.name + " takes " + want + " argument" +
                     (want == "1" ? "" : "s") + ", not " + std::to_string(n));
      }
      auto r = d.bind(call);
      if (!r.node && r.error.empty()) r.error = "Function " + call.name + ": invalid arguments";
      return r;
    }
  }
  builtin_result r;
  r.known = false;
  return r;
}

}  // namespace detail

// ---- function_registry ----

void function_registry::add(scalar_function f) {
  if (f.name.empty() || !(std::isalpha(static_cast<unsigned char>(f.name[0])) || f.name[0] == '_'))
    throw std::invalid_argument("function name '" + f.name + "' is not a plain word");
  for (char c : f.name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      throw std::invalid_argument("function name '" + f.name + "' is not a plain word");
  if (static_cast<bool>(f.per_row) == static_cast<bool>(f.vectorised))
    throw std::invalid_argument("function " + f.name +
                                ": give exactly one of per_row and vectorised");
  for (const auto* g : find(f.name)) {
    if (g->parameters.size() != f.parameters.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < f.parameters.size(); ++i)
      same = same && g->parameters[i].with_nullable(true) == f.parameters[i].with_nullable(true);
    if (same)
      throw std::invalid_argument("function " + f.name + " with these parameters exists already");
  }
  functions_.push_back(std::move(f));
}

std::vector<const scalar_function*> function_registry::find(std::string_view name) const {
  std::vector<const scalar_function*> r;
  const auto u = detail::upper(name);
  for (const auto& f : functions_)
    if (detail::upper(f.name) == u) r.push_back(&f);
  return r;
}

std::vector<std::string> function_registry::names() const {
  std::vector<std::string> r;
  for (const auto& f : functions_) r.push_back(f.name);
  return r;
}

}  // namespace eddy::sql
