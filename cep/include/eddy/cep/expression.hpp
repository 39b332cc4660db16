#pragma once
/// The expressions of textual CEP patterns (pattern_text.hpp): values, the fields of EDDY_FIELDS
/// records as values, and expression trees evaluated against an event and its partial match.
/// The parser builds the trees and checks their types; evaluation cannot fail (a value that is
/// missing or cannot be computed is null). The semantics are described in pattern_text.hpp.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "eddy/cep/pattern.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy::cep::pattern_text {

// ---- values -----------------------------------------------------------------------------------

/// An exact decimal number: units / 10^scale (1.00 is {100, 2}).
struct decimal {
  std::int64_t units = 0;
  int scale = 0;
};

/// A value during evaluation: null (monostate), a boolean, an integer, a double, a decimal or a
/// string (a view of the event or of the pattern's literal, valid during one condition call).
using value = std::variant<std::monostate, bool, std::int64_t, double, decimal, std::string_view>;

/// The type of an expression, checked while parsing.
enum class vtype : std::uint8_t { boolean, number, string, unsupported };

/// Most digits after the decimal point.
inline constexpr int max_scale = 18;

/// "a boolean", "a number", ...: for messages.
inline const char* type_name(vtype t) {
  switch (t) {
    case vtype::boolean:
      return "a boolean";
    case vtype::number:
      return "a number";
    case vtype::string:
      return "a string";
    default:
      return "a value of an unsupported type";
  }
}

/// 10^n as a 128-bit integer (n <= 36).
inline __int128 pow10(int n) {
  __int128 r = 1;
  while (n-- > 0) r *= 10;
  return r;
}

/// Parses [+|-]DIGITS[.DIGITS] exactly; nullopt if `s` is not that or does not fit (64 bits of
/// units, at most 18 digits after the point).
inline std::optional<decimal> parse_decimal(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const auto dot = s.find('.');
  const auto whole = s.substr(0, dot);
  const auto frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && frac.empty()) || frac.size() > max_scale)
    return std::nullopt;
  __int128 units = 0;
  for (const auto part : {whole, frac})
    for (const char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      units = units * 10 + (c - '0');
      if (units > std::numeric_limits<std::int64_t>::max()) return std::nullopt;
    }
  return decimal{static_cast<std::int64_t>(negative ? -units : units),
                 static_cast<int>(frac.size())};
}

/// The value as an exact decimal, if it is an integer or a decimal.
inline std::optional<decimal> as_exact(const value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return decimal{*i, 0};
  if (const auto* d = std::get_if<decimal>(&v)) return *d;
  return std::nullopt;
}

/// The value of a number as a double (NaN if it is not a number).
inline double to_double(const value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto x = as_exact(v))
    return static_cast<double>(x->units) / std::pow(10.0, static_cast<double>(x->scale));
  return std::numeric_limits<double>::quiet_NaN();
}

/// A string read as a decimal number (null if it is not one); other values unchanged.
inline value to_number(const value& v) {
  if (const auto* s = std::get_if<std::string_view>(&v)) {
    if (const auto d = parse_decimal(*s)) return *d;
    return {};
  }
  return v;
}

/// a op b for exact numbers (op is + - * %), nullopt if the result does not fit a decimal.
inline std::optional<decimal> exact_arith(char op, decimal a, decimal b) {
  __int128 r = 0;
  int scale = std::max(a.scale, b.scale);
  if (op == '*') {
    r = static_cast<__int128>(a.units) * b.units;
    scale = a.scale + b.scale;
    while (scale > max_scale && r % 10 == 0) {
      r /= 10;
      --scale;
    }
  } else {
    const __int128 x = a.units * pow10(scale - a.scale);
    const __int128 y = b.units * pow10(scale - b.scale);
    r = op == '+' ? x + y : op == '-' ? x - y : x % y;  // % by zero is excluded by arith
  }
  if (scale > max_scale || r < std::numeric_limits<std::int64_t>::min() ||
      r > std::numeric_limits<std::int64_t>::max())
    return std::nullopt;
  return decimal{static_cast<std::int64_t>(r), scale};
}

/// a op b for numbers (op is + - * / %): exact when both are exact and the result fits (an integer
/// if both are integers), else double; `/` is always double. Null if an operand is null or on
/// division by zero.
inline value arith(char op, const value& a, const value& b) {
  if (std::holds_alternative<std::monostate>(a) || std::holds_alternative<std::monostate>(b))
    return {};
  const double q = to_double(b);
  if ((op == '/' || op == '%') && q == 0) return {};
  const auto x = as_exact(a);
  const auto y = as_exact(b);
  if (x && y && op != '/') {
    if (const auto r = exact_arith(op, *x, *y)) {
      if (std::holds_alternative<std::int64_t>(a) && std::holds_alternative<std::int64_t>(b))
        return r->units;
      return *r;
    }
  }
  const double p = to_double(a);
  switch (op) {
    case '+':
      return p + q;
    case '-':
      return p - q;
    case '*':
      return p * q;
    case '/':
      return p / q;
    default:
      return std::fmod(p, q);
  }
}

/// -1, 0 or 1 as a is less than, equal to or greater than b; nullopt if either is null (or NaN,
/// or they are of kinds that do not compare). Numbers compare exactly unless one is a double.
inline std::optional<int> compare(const value& a, const value& b) {
  const auto sign = [](auto x, auto y) { return (y < x) - (x < y); };
  if (const auto* s = std::get_if<std::string_view>(&a)) {
    const auto* t = std::get_if<std::string_view>(&b);
    if (!t) return std::nullopt;
    const int c = s->compare(*t);
    return (c > 0) - (c < 0);
  }
  if (const auto* s = std::get_if<bool>(&a)) {
    const auto* t = std::get_if<bool>(&b);
    if (!t) return std::nullopt;
    return sign(*s, *t);
  }
  const auto x = as_exact(a);
  const auto y = as_exact(b);
  if (x && y) {
    const int scale = std::max(x->scale, y->scale);
    return sign(x->units * pow10(scale - x->scale), y->units * pow10(scale - y->scale));
  }
  const double p = to_double(a);
  const double q = to_double(b);
  if (std::isnan(p) || std::isnan(q)) return std::nullopt;
  return sign(p, q);
}

/// The truth of a value: nullopt for null (and anything that is not a boolean).
inline std::optional<bool> truth(const value& v) {
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  return std::nullopt;
}

// ---- fields -----------------------------------------------------------------------------------

template <class F>
struct is_optional : std::false_type {};
template <class F>
struct is_optional<std::optional<F>> : std::true_type {};

/// The expression type of a field of C++ type F.
template <class F>
constexpr vtype field_type() {
  if constexpr (is_optional<F>::value) {
    return field_type<typename F::value_type>();
  } else if constexpr (std::is_same_v<F, bool>) {
    return vtype::boolean;
  } else if constexpr (std::is_same_v<F, char>) {
    return vtype::string;
  } else if constexpr (std::is_arithmetic_v<F> || std::is_enum_v<F>) {
    return vtype::number;
  } else if constexpr (std::is_same_v<F, std::string> || std::is_same_v<F, std::string_view>) {
    return vtype::string;
  } else {
    return vtype::unsupported;
  }
}

/// The value of field `f` (strings view the event; a char is a one-character string).
template <class F>
value field_value(const F& f) {
  if constexpr (is_optional<F>::value) {
    return f ? field_value(*f) : value{};
  } else if constexpr (std::is_same_v<F, bool>) {
    return f;
  } else if constexpr (std::is_same_v<F, char>) {
    return std::string_view(&f, 1);
  } else if constexpr (std::is_enum_v<F>) {
    return static_cast<std::int64_t>(static_cast<std::underlying_type_t<F>>(f));
  } else if constexpr (std::is_floating_point_v<F>) {
    return static_cast<double>(f);
  } else if constexpr (std::is_integral_v<F>) {
    if constexpr (std::is_unsigned_v<F> && sizeof(F) >= sizeof(std::int64_t)) {
      if (f > static_cast<F>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<double>(f);
    }
    return static_cast<std::int64_t>(f);
  } else if constexpr (std::is_same_v<F, std::string> || std::is_same_v<F, std::string_view>) {
    return std::string_view(f);
  } else {
    return {};
  }
}

/// One field of T: its name, its expression type and how to read it.
template <class T>
struct field_accessor {
  std::string_view name;
  vtype type = vtype::unsupported;
  value (*get)(const T&) = nullptr;
};

template <class T>
using fields_tuple = decltype(eddy_fields(std::declval<const T&>()));

/// Reads field I of an event.
template <class T, std::size_t I>
value get_field(const T& t) {
  return field_value(std::get<I>(eddy_fields(t)));
}

template <class T, std::size_t... I>
constexpr std::array<field_accessor<T>, sizeof...(I)> make_accessors(std::index_sequence<I...>) {
  constexpr auto names = eddy_field_names(static_cast<const T*>(nullptr));
  return {field_accessor<T>{
      names[I], field_type<std::remove_cvref_t<std::tuple_element_t<I, fields_tuple<T>>>>(),
      &get_field<T, I>}...};
}

/// The accessors of T's EDDY_FIELDS, in order, built at compile time.
template <class T>
inline constexpr auto accessors =
    make_accessors<T>(std::make_index_sequence<std::tuple_size_v<fields_tuple<T>>>{});

// ---- expression trees -------------------------------------------------------------------------

/// Node kinds: leaves (constant ... last_field), reading a string as a number (to_number),
/// aggregates over a stage's events (count ... last) and operators (neg ... mod).
enum class op : std::uint8_t {
  constant,
  string_literal,
  field,
  last_field,
  to_number,
  count,
  count_field,
  sum,
  avg,
  min,
  max,
  first,
  last,
  neg,
  not_,
  and_,
  or_,
  in,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  add,
  sub,
  mul,
  div,
  mod
};

/// A node of a condition's expression tree (immutable once parsed).
template <class T>
struct node {
  op o = op::constant;
  value constant;                            ///< op::constant
  std::string text;                          ///< string_literal: the text; else the stage name
  const field_accessor<T>* field = nullptr;  ///< field, last_field, aggregates of a field
  bool numeric = false;                      ///< aggregates: read string fields as decimals
  std::vector<std::unique_ptr<node>> args;   ///< operands

  node() = default;
  node(const node&) = delete;  // string_literal values view `text`
  node& operator=(const node&) = delete;
};

/// An aggregate over the events the partial match took for stage n.text.
template <class T>
value aggregate(const node<T>& n, const context<T>& ctx) {
  const auto& events = ctx.events(n.text);
  if (n.o == op::count) return static_cast<std::int64_t>(events.size());
  value acc;
  std::int64_t count = 0;
  for (const T* e : events) {
    value v = n.field->get(*e);
    if (n.numeric) v = to_number(v);
    if (std::holds_alternative<std::monostate>(v)) continue;
    ++count;
    if (count == 1) {
      acc = v;
    } else if (n.o == op::sum || n.o == op::avg) {
      acc = arith('+', acc, v);
    } else if (n.o == op::last) {
      acc = v;
    } else if (n.o == op::min || n.o == op::max) {
      const auto c = compare(v, acc);
      if (c && *c == (n.o == op::min ? -1 : 1)) acc = v;
    }
  }
  switch (n.o) {
    case op::count_field:
      return count;
    case op::sum:
      return count == 0 ? value{std::int64_t{0}} : acc;
    case op::avg:
      return count == 0 ? value{} : value{to_double(acc) / static_cast<double>(count)};
    default:
      return acc;
  }
}

/// Evaluates node n for event `ev` of a partial match (`ctx`: its events).
template <class T>
value eval(const node<T>& n, const T& ev, const context<T>& ctx) {
  const auto arg = [&](std::size_t i) { return eval(*n.args[i], ev, ctx); };
  const auto cmp = [&](auto holds) -> value {
    const auto c = compare(arg(0), arg(1));
    if (!c) return {};
    return holds(*c);
  };
  switch (n.o) {
    case op::constant:
      return n.constant;
    case op::string_literal:
      return std::string_view(n.text);
    case op::field:
      return n.field->get(ev);
    case op::last_field: {
      const auto& events = ctx.events(n.text);
      return events.empty() ? value{} : n.field->get(*events.back());
    }
    case op::to_number:
      return to_number(arg(0));
    case op::count:
    case op::count_field:
    case op::sum:
    case op::avg:
    case op::min:
    case op::max:
    case op::first:
    case op::last:
      return aggregate(n, ctx);
    case op::neg:
      return arith('-', std::int64_t{0}, arg(0));
    case op::not_: {
      const auto a = truth(arg(0));
      return a ? value{!*a} : value{};
    }
    case op::and_:
    case op::or_: {  // three-valued: false and null = false, true or null = true
      const bool dominant = n.o == op::or_;
      const auto a = truth(arg(0));
      if (a == dominant) return dominant;
      const auto b = truth(arg(1));
      if (b == dominant) return dominant;
      return a && b ? value{!dominant} : value{};
    }
    case op::in: {
      const value x = arg(0);
      bool unknown = false;
      for (std::size_t i = 1; i < n.args.size(); ++i) {
        const auto c = compare(x, arg(i));
        if (c == 0) return true;
        unknown = unknown || !c;
      }
      return unknown ? value{} : value{false};
    }
    case op::eq:
      return cmp([](int c) { return c == 0; });
    case op::ne:
      return cmp([](int c) { return c != 0; });
    case op::lt:
      return cmp([](int c) { return c < 0; });
    case op::le:
      return cmp([](int c) { return c <= 0; });
    case op::gt:
      return cmp([](int c) { return c > 0; });
    case op::ge:
      return cmp([](int c) { return c >= 0; });
    case op::add:
      return arith('+', arg(0), arg(1));
    case op::sub:
      return arith('-', arg(0), arg(1));
    case op::mul:
      return arith('*', arg(0), arg(1));
    case op::div:
      return arith('/', arg(0), arg(1));
    case op::mod:
      return arith('%', arg(0), arg(1));
  }
  return {};
}

}  // namespace eddy::cep::pattern_text
