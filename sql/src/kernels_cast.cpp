// CAST and TRY_CAST between the scalar types, and the implicit casts the binder inserts.
// Widening casts (INT -> BIGINT, numbers -> DOUBLE, a type to itself with another nullability or
// a longer VARCHAR) are vectorised; the others convert row by row with rows' text forms
// (value_text.hpp) for strings. Flink's rules (its CastRuleProvider, 1.15+ behaviour):
// - string -> number/boolean/temporal: the text is trimmed; a text that does not convert fails
//   the job (eval_error), TRY_CAST gives NULL;
// - number -> integer: DECIMAL and DOUBLE are truncated toward zero, integers wrap (Java casts);
// - number -> DECIMAL: rounded half up; a value that does not fit fails (TRY_CAST: NULL);
// - BOOLEAN -> string: 'TRUE'/'FALSE'; number <-> BOOLEAN: non-zero is TRUE, TRUE is 1;
// - to CHAR(n)/VARCHAR(n): truncated to n bytes (CHAR padded with spaces);
// - DATE <-> TIMESTAMP, TIMESTAMP -> TIME, TIMESTAMP <-> TIMESTAMP_LTZ (the session zone is UTC).
#include <cmath>
#include <cstdlib>
#include <limits>

#include "eddy/rows/temporal.hpp"
#include "eddy/rows/value_text.hpp"
#include "expr_internal.hpp"

namespace eddy::sql::detail {

namespace {

using rows::logical_type;
using rows::type_id;
using rows::value;

bool is_string(const logical_type& t) {
  return t.is_character_string() || t.is_binary_string();
}
bool is_temporal(const logical_type& t) {
  return t.id == type_id::date || t.id == type_id::time || t.is_timestamp();
}

std::int64_t as_i64(const value& v) {
  if (const auto* x = std::get_if<std::int32_t>(&v.data)) return *x;
  return v.as_int64();
}

value int_value(const logical_type& t, std::int64_t x) {
  switch (t.id) {
    case type_id::tinyint:
      return value(static_cast<std::int32_t>(static_cast<std::int8_t>(x)));
    case type_id::smallint:
      return value(static_cast<std::int32_t>(static_cast<std::int16_t>(x)));
    case type_id::int_:
      return value(static_cast<std::int32_t>(x));
    default:
      return value(x);
  }
}

std::int64_t java_double_to_long(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9.2233720368547758e18) return std::numeric_limits<std::int64_t>::max();
  if (d <= -9.2233720368547758e18) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(d);
}

std::int64_t java_double_to_int(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 2147483647.0) return 2147483647;
  if (d <= -2147483648.0) return -2147483648LL;
  return static_cast<std::int64_t>(d);
}

double decimal_to_double(std::int64_t unscaled, int scale) {
  const auto text = rows::format_decimal(unscaled, scale);
  return std::strtod(text.c_str(), nullptr);
}

[[noreturn]] void fail(const value& v, const logical_type& from, const logical_type& to) {
  std::string shown = v.is_null() ? "NULL" : rows::format_value(v, from);
  throw eval_error("cannot cast '" + shown + "' of type " + from.with_nullable(true).to_string() +
                   " to " + to.with_nullable(true).to_string());
}

std::string timestamp_text(std::int64_t ms, int precision, bool ltz) {
  std::string s = rows::format_timestamp(ms - ((ms % 1000) + 1000) % 1000);
  if (precision > 0) {
    const auto frac = std::to_string(((ms % 1000) + 1000) % 1000 + 1000).substr(1);
    s += '.';
    s += frac.substr(0, std::min(precision, 3));
    for (int i = 3; i < precision; ++i) s += '0';
  }
  (void)ltz;
  return s;
}

value to_string_value(const value& v, const logical_type& from, const logical_type& to) {
  std::string s;
  if (is_string(from)) {
    s = v.as_string();
  } else if (from.id == type_id::boolean) {
    s = v.as_bool() ? "TRUE" : "FALSE";
  } else if (from.is_timestamp()) {
    s = timestamp_text(v.as_int64(), from.precision, from.id == type_id::timestamp_ltz);
  } else if (from.id == type_id::interval_day_time || from.id == type_id::interval_year_month) {
    s = std::to_string(as_i64(v));
  } else {
    s = rows::format_value(v, from);
  }
  if (to.id == type_id::char_ || to.id == type_id::varchar || to.id == type_id::binary ||
      to.id == type_id::varbinary) {
    const auto len = static_cast<std::size_t>(to.precision);
    if (s.size() > len) s.resize(len);
    if (to.id == type_id::char_ && s.size() < len && len < 1024) s.resize(len, ' ');
  }
  return value(std::move(s));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

value from_string_value(const value& v, const logical_type& from, const logical_type& to) {
  const auto text = trim(v.as_string());
  value out;
  if (to.id == type_id::boolean) {
    std::string u = upper(text);
    if (u == "TRUE" || u == "T" || u == "YES" || u == "Y" || u == "1") return value(true);
    if (u == "FALSE" || u == "F" || u == "NO" || u == "N" || u == "0") return value(false);
    fail(v, from, to);
  }
  if (to.is_timestamp()) {
    auto ms = rows::parse_timestamp(text, to.id == type_id::timestamp_ltz);
    if (!ms) {
      if (auto d = rows::parse_date(text)) ms = *d * rows::ms_per_day;
    }
    if (!ms) fail(v, from, to);
    return value(*ms);
  }
  if (!rows::parse_value(text, to, out)) fail(v, from, to);
  return out;
}

value numeric_cast(const value& v, const logical_type& from, const logical_type& to) {
  const bool from_dec = from.id == type_id::decimal;
  const bool from_dbl = from.id == type_id::double_ || from.id == type_id::float_;
  const bool from_bool = from.id == type_id::boolean;
  if (to.id == type_id::boolean) {
    if (from_dbl) return value(v.as_double() != 0);
    return value(as_i64(v) != 0);
  }
  if (to.is_integer()) {
    if (from_bool) return int_value(to, v.as_bool() ? 1 : 0);
    if (from_dbl) {
      const double d = v.as_double();
      return int_value(to,
                       to.id == type_id::bigint ? java_double_to_long(d) : java_double_to_int(d));
    }
    std::int64_t x = as_i64(v);
    if (from_dec) {
      const auto p = static_cast<std::int64_t>(pow10_i128(from.scale));
      x /= p;
    }
    return int_value(to, x);
  }
  if (to.id == type_id::double_ || to.id == type_id::float_) {
    double d = 0;
    if (from_bool)
      d = v.as_bool() ? 1 : 0;
    else if (from_dbl)
      d = v.as_double();
    else if (from_dec)
      d = decimal_to_double(v.as_int64(), from.scale);
    else
      d = static_cast<double>(as_i64(v));
    if (to.id == type_id::float_) d = static_cast<float>(d);
    return value(d);
  }
  // to DECIMAL
  __int128 r = 0;
  bool ok = true;
  if (from_bool) {
    ok = rescale(v.as_bool() ? 1 : 0, 0, to.scale, r);
  } else if (from_dbl) {
    const double d = v.as_double();
    if (!std::isfinite(d)) fail(v, from, to);
    // As Flink's BigDecimal.valueOf(double): the shortest digits of Double.toString.
    std::int64_t unscaled = 0;
    const auto text = from.id == type_id::float_ ? rows::java_float_string(static_cast<float>(d))
                                                 : rows::java_double_string(d);
    if (!rows::parse_decimal(text, to.precision, to.scale, unscaled)) fail(v, from, to);
    return value(unscaled);
  } else {
    ok = rescale(as_i64(v), from_dec ? from.scale : 0, to.scale, r);
  }
  if (!ok || !fits_precision(r, std::min(to.precision, rows::max_decimal_digits)))
    fail(v, from, to);
  return value(static_cast<std::int64_t>(r));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : (a - b + 1) / b;
}

value temporal_cast(const value& v, const logical_type& from, const logical_type& to) {
  if (to.id == type_id::date) {
    if (from.id == type_id::date) return v;
    return value(static_cast<std::int32_t>(floor_div(v.as_int64(), rows::ms_per_day)));
  }
  if (to.id == type_id::time) {
    std::int64_t ms =
        from.id == type_id::time
            ? v.as_int32()
            : v.as_int64() - floor_div(v.as_int64(), rows::ms_per_day) * rows::ms_per_day;
    if (to.precision < 3) {
      const std::int64_t unit = to.precision == 0 ? 1000 : to.precision == 1 ? 100 : 10;
      ms -= ms % unit;
    }
    return value(static_cast<std::int32_t>(ms));
  }
  // to TIMESTAMP / TIMESTAMP_LTZ
  std::int64_t ms = from.id == type_id::date ? v.as_int32() * rows::ms_per_day : v.as_int64();
  if (to.precision < 3) {
    const std::int64_t unit = to.precision == 0 ? 1000 : to.precision == 1 ? 100 : 10;
    ms = floor_div(ms, unit) * unit;
  }
  return value(ms);
}

/// Casts that only change the type's label (nullability, a longer VARCHAR, a narrower integer
/// widened within int32, TIMESTAMP <-> TIMESTAMP_LTZ of one precision).
bool relabel_only(const logical_type& from, const logical_type& to) {
  if (from.id == type_id::null_) return false;
  if (from.id == to.id) {
    if (from.id == type_id::decimal)
      return from.scale == to.scale && from.precision <= to.precision;
    if (from.id == type_id::varchar || from.id == type_id::varbinary)
      return from.precision <= to.precision;
    if (from.id == type_id::char_ || from.id == type_id::binary)
      return from.precision == to.precision;
    if (from.is_timestamp() || from.id == type_id::time)
      return from.precision <= to.precision || (from.precision <= 3 && to.precision >= 3);
    return true;
  }
  if (from.id == type_id::char_ && to.id == type_id::varchar) return from.precision <= to.precision;
  if (from.id == type_id::binary && to.id == type_id::varbinary)
    return from.precision <= to.precision;
  if (from.is_integer() && to.is_integer() && from.physical() == to.physical())
    return from.id <= to.id;
  if (from.is_timestamp() && to.is_timestamp()) return from.precision <= to.precision;
  return false;
}

class relabel final : public node {
 public:
  relabel(node_ptr a, logical_type t, std::string text) : a_(std::move(a)) {
    set_type(std::move(t));
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n,
           rows::column_vector& out, const eval_context& ctx) const override {
    a_->run(in, sel, n, out, ctx);
    retag(out, type_);
  }

 private:
  node_ptr a_;
};

/// INT -> BIGINT, integers -> DOUBLE, FLOAT -> DOUBLE: a tight loop.
class widen final : public node {
 public:
  widen(node_ptr a, logical_type t, std::string text) : a_(std::move(a)) {
    set_type(std::move(t));
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n,
           rows::column_vector& out, const eval_context& ctx) const override {
    rows::column_vector a;
    a_->run(in, sel, n, a, ctx);
    prepare(out, type_, n);
    merge_nulls(out, {&a});
    std::visit(
        [&](const auto& src) {
          using S = typename std::decay_t<decltype(src)>::value_type;
          if constexpr (std::is_arithmetic_v<S> && !std::is_same_v<S, std::uint8_t>) {
            if (type_.physical() == rows::physical_kind::float64) {
              auto& dst = out.data<double>();
              for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<double>(src[i]);
            } else {
              auto& dst = out.data<std::int64_t>();
              for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<std::int64_t>(src[i]);
            }
          }
        },
        a.raw());
  }

 private:
  node_ptr a_;
};

/// Integers and DECIMALs to DECIMAL(p, s): a tight loop rescaling the unscaled values (rounded
/// half up), failing (CAST) or giving NULL (TRY_CAST) where a value does not fit.
class to_decimal final : public node {
 public:
  to_decimal(node_ptr a, logical_type t, bool try_cast, std::string text)
      : a_(std::move(a)), try_(try_cast) {
    set_type(std::move(t));
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n,
           rows::column_vector& out, const eval_context& ctx) const override {
    rows::column_vector a;
    a_->run(in, sel, n, a, ctx);
    prepare(out, type_, n);
    merge_nulls(out, {&a});
    const int from = a.type().id == type_id::decimal ? a.type().scale : 0;
    const int digits = std::min(type_.precision, rows::max_decimal_digits);
    auto& dst = out.data<std::int64_t>();
    auto go = [&](const auto& src) {
      for (std::size_t i = 0; i < n; ++i) {
        if (out.is_null(i)) continue;
        __int128 r = 0;
        if (rescale(src[i], from, type_.scale, r) && fits_precision(r, digits)) {
          dst[i] = static_cast<std::int64_t>(r);
        } else if (try_) {
          out.set_null(i, true);
        } else {
          fail(a.get(i), a.type(), type_);
        }
      }
    };
    if (a.type().physical() == rows::physical_kind::int32)
      go(a.data<std::int32_t>());
    else
      go(a.data<std::int64_t>());
  }

 private:
  node_ptr a_;
  bool try_;
};

}  // namespace

bool can_cast(const logical_type& from, const logical_type& to) {
  if (from.id == type_id::null_) return to.physical() != rows::physical_kind::nested;
  const bool fs = is_string(from);
  const bool ts = is_string(to);
  const bool fn = from.is_numeric() || from.id == type_id::boolean;
  const bool tn = to.is_numeric() || to.id == type_id::boolean;
  if (ts) return from.physical() != rows::physical_kind::nested;
  if (fs) return tn || is_temporal(to);
  if (fn && tn) return true;
  if (is_temporal(from) && is_temporal(to))
    return !(from.id == type_id::time && to.id != type_id::time) &&
           !(from.id == type_id::date && to.id == type_id::time);
  if (from.id == to.id) return true;  // intervals
  return false;
}

value cast_value(const value& v, const logical_type& from, const logical_type& to) {
  if (v.is_null() || from.id == type_id::null_) return {};
  if (is_string(to)) return to_string_value(v, from, to);
  if (is_string(from)) return from_string_value(v, from, to);
  if ((from.is_numeric() || from.id == type_id::boolean) &&
      (to.is_numeric() || to.id == type_id::boolean)) {
    if (from.id == type_id::boolean && to.id == type_id::boolean) return v;
    return numeric_cast(v, from, to);
  }
  if (is_temporal(from) && is_temporal(to)) return temporal_cast(v, from, to);
  if (from.id == to.id) return v;
  fail(v, from, to);
}

node_ptr make_cast(node_ptr child, const logical_type& to_in, bool try_cast, std::string text) {
  const logical_type from = child->type();
  if (!can_cast(from, to_in)) return nullptr;
  const logical_type to = to_in.with_nullable(from.nullable || try_cast);
  if (relabel_only(from, to))
    return std::make_unique<relabel>(std::move(child), to, std::move(text));
  const bool from_int = from.is_integer() || from.id == type_id::float_;
  if ((from_int &&
       (to.id == type_id::double_ || (to.id == type_id::bigint && from.id != type_id::float_))) ||
      (from.id == type_id::float_ && to.id == type_id::double_))
    return std::make_unique<widen>(std::move(child), to, std::move(text));
  if (from.id == type_id::null_) {
    return make_literal(value(), to, std::move(text));
  }
  // A constant is cast once, here (a failing CAST stays, to fail when evaluated, as in Flink).
  if (const auto* c = child->constant()) {
    try {
      return make_literal(cast_value(*c, from, to), to, std::move(text));
    } catch (const eval_error&) {
      if (try_cast) return make_literal(value(), to, std::move(text));
    }
  }
  if (to.id == type_id::decimal && (from.is_integer() || from.id == type_id::decimal))
    return std::make_unique<to_decimal>(std::move(child), to, try_cast, std::move(text));
  std::vector<node_ptr> args;
  args.push_back(std::move(child));
  return make_row_function(
      std::move(args), to,
      [from, to, try_cast](std::span<const value> a, const eval_context&) -> value {
        if (!try_cast) return cast_value(a[0], from, to);
        try {
          return cast_value(a[0], from, to);
        } catch (const eval_error&) {
          return {};
        }
      },
      true, std::move(text));
}

}  // namespace eddy::sql::detail
