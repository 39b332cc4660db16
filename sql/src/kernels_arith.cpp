// Arithmetic kernels: + - * / % and unary minus over integers (Java's wrap-around), DOUBLE and
// DECIMAL (exact in 128 bits, rounded half up to the result scale, eval_error when the result
// does not fit its precision), and DATE/TIMESTAMP +- INTERVAL. Result types follow Flink's
// LogicalTypeMerging (findAdditionDecimalType, ...); DECIMAL values hold at most 18 digits
// (rows::max_decimal_digits), a longer result fails.
#include <algorithm>
#include <cmath>
#include <limits>

#include "eddy/rows/temporal.hpp"
#include "expr_internal.hpp"

namespace eddy::sql::detail {

namespace {

using rows::logical_type;
using rows::type_id;

int rank(type_id id) {
  switch (id) {
    case type_id::tinyint:
      return 1;
    case type_id::smallint:
      return 2;
    case type_id::int_:
      return 3;
    default:
      return 4;
  }
}

/// Flink's adjustPrecisionScale (max precision 38, minimum adjusted scale 6). Values hold at
/// most rows::max_decimal_digits digits: a longer result is an eval_error.
logical_type capped_decimal(int precision, int scale) {
  if (precision > 38) {
    const int digits = precision - scale;
    const int min_scale = std::min(scale, 6);
    scale = std::max(38 - digits, min_scale);
    precision = 38;
  }
  return rows::decimal_type(std::max(precision, 1), scale);
}

template <class P>
const std::vector<P>& values(const rows::column_vector& c) {
  return c.data<P>();
}

/// Calls f(i, a_i, b_i) for the valid rows (or all rows if `all`), with a_i/b_i read as
/// int64 from int32 or int64 columns.
template <class F>
void each_int_pair(const rows::column_vector& a, const rows::column_vector& b,
                   const rows::column_vector& out, std::size_t n, bool all, F f) {
  auto go = [&](const auto& av, const auto& bv) {
    if (all || out.all_valid()) {
      for (std::size_t i = 0; i < n; ++i)
        f(i, static_cast<std::int64_t>(av[i]), static_cast<std::int64_t>(bv[i]));
    } else {
      const auto& v = out.validity();
      for (std::size_t i = 0; i < n; ++i)
        if (v[i]) f(i, static_cast<std::int64_t>(av[i]), static_cast<std::int64_t>(bv[i]));
    }
  };
  const bool a32 = a.type().physical() == rows::physical_kind::int32;
  const bool b32 = b.type().physical() == rows::physical_kind::int32;
  if (a32 && b32)
    go(values<std::int32_t>(a), values<std::int32_t>(b));
  else if (a32)
    go(values<std::int32_t>(a), values<std::int64_t>(b));
  else if (b32)
    go(values<std::int64_t>(a), values<std::int32_t>(b));
  else
    go(values<std::int64_t>(a), values<std::int64_t>(b));
}

std::int64_t wrap_to(type_id id, std::int64_t v) {
  switch (id) {
    case type_id::tinyint:
      return static_cast<std::int8_t>(v);
    case type_id::smallint:
      return static_cast<std::int16_t>(v);
    case type_id::int_:
      return static_cast<std::int32_t>(v);
    default:
      return v;
  }
}

class arith final : public node {
 public:
  arith(binary_op op, node_ptr a, node_ptr b, logical_type t, std::string text)
      : op_(op), a_(std::move(a)), b_(std::move(b)) {
    set_type(std::move(t));
    set_text(std::move(text));
  }

  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n,
           rows::column_vector& out, const eval_context& ctx) const override {
    rows::column_vector a;
    rows::column_vector b;
    a_->run(in, sel, n, a, ctx);
    b_->run(in, sel, n, b, ctx);
    prepare(out, type_, n);
    merge_nulls(out, {&a, &b});
    if (type_.is_integer() || type_.id == type_id::interval_day_time ||
        type_.id == type_id::interval_year_month) {
      integer(a, b, out, n);
    } else if (type_.id == type_id::decimal) {
      decimal(a, b, out, n);
    } else {
      floating(a, b, out, n);
    }
  }

 private:
  void integer(const rows::column_vector& a, const rows::column_vector& b, rows::column_vector& out,
               std::size_t n) const {
    const auto id = type_.id;
    auto store = [&](auto& res) {
      using R = typename std::decay_t<decltype(res)>::value_type;
      auto put = [&](std::size_t i, std::int64_t v) { res[i] = static_cast<R>(wrap_to(id, v)); };
      using U = std::uint64_t;
      switch (op_) {
        case binary_op::plus:
          each_int_pair(a, b, out, n, true, [&](std::size_t i, std::int64_t x, std::int64_t y) {
            put(i, static_cast<std::int64_t>(static_cast<U>(x) + static_cast<U>(y)));
          });
          break;
        case binary_op::minus:
          each_int_pair(a, b, out, n, true, [&](std::size_t i, std::int64_t x, std::int64_t y) {
            put(i, static_cast<std::int64_t>(static_cast<U>(x) - static_cast<U>(y)));
          });
          break;
        case binary_op::multiply:
          each_int_pair(a, b, out, n, true, [&](std::size_t i, std::int64_t x, std::int64_t y) {
            put(i, static_cast<std::int64_t>(static_cast<U>(x) * static_cast<U>(y)));
          });
          break;
        case binary_op::divide:
          each_int_pair(a, b, out, n, false, [&](std::size_t i, std::int64_t x, std::int64_t y) {
            if (y == 0) throw eval_error("division by zero in " + text_);
            put(i, y == -1 ? static_cast<std::int64_t>(U{0} - static_cast<U>(x)) : x / y);
          });
          break;
        default:
          each_int_pair(a, b, out, n, false, [&](std::size_t i, std::int64_t x, std::int64_t y) {
            if (y == 0) throw eval_error("division by zero in " + text_);
            put(i, y == -1 ? 0 : x % y);
          });
          break;
      }
    };
    if (type_.physical() == rows::physical_kind::int32)
      store(out.data<std::int32_t>());
    else
      store(out.data<std::int64_t>());
  }

  static __int128 load(const rows::column_vector& c, std::size_t i) {
    if (c.type().physical() == rows::physical_kind::int32) return c.data<std::int32_t>()[i];
    return c.data<std::int64_t>()[i];
  }

  void decimal(const rows::column_vector& a, const rows::column_vector& b, rows::column_vector& out,
               std::size_t n) const {
    const int sa = a.type().id == type_id::decimal ? a.type().scale : 0;
    const int sb = b.type().id == type_id::decimal ? b.type().scale : 0;
    const int s = type_.scale;
    auto& res = out.data<std::int64_t>();
    for (std::size_t i = 0; i < n; ++i) {
      if (out.is_null(i)) continue;
      const __int128 x = load(a, i);
      const __int128 y = load(b, i);
      __int128 r = 0;
      bool ok = true;
      switch (op_) {
        case binary_op::plus:
        case binary_op::minus: {
          const int common = std::max(sa, sb);
          __int128 xs = 0;
          __int128 ys = 0;
          ok = rescale(x, sa, common, xs) && rescale(y, sb, common, ys);
          ok = ok && rescale(op_ == binary_op::plus ? xs + ys : xs - ys, common, s, r);
          break;
        }
        case binary_op::multiply:
          ok = rescale(x * y, sa + sb, s, r);
          break;
        case binary_op::divide: {
          if (y == 0) throw eval_error("division by zero in " + text_);
          // x / y with s digits: x * 10^(s + sb - sa + 1) / y, then round the last digit.
          const int k = s + sb - sa + 1;
          __int128 num = 0;
          if (k >= 0) {
            ok = !__builtin_mul_overflow(x, pow10_i128(std::min(k, 38)), &num) && k <= 38;
          } else {
            ok = rescale(x, 0, k, num);
          }
          if (ok) ok = rescale(num / y, 1, 0, r);
          break;
        }
        default: {
          if (y == 0) throw eval_error("division by zero in " + text_);
          const int common = std::max(sa, sb);
          __int128 xs = 0;
          __int128 ys = 0;
          ok = rescale(x, sa, common, xs) && rescale(y, sb, common, ys);
          ok = ok && rescale(xs % ys, common, s, r);
          break;
        }
      }
      if (!ok || !fits_precision(r, std::min(type_.precision, rows::max_decimal_digits)))
        throw_decimal_overflow(type_);
      res[i] = static_cast<std::int64_t>(r);
    }
  }

  void floating(const rows::column_vector& a, const rows::column_vector& b,
                rows::column_vector& out, std::size_t n) const {
    const auto& x = a.data<double>();
    const auto& y = b.data<double>();
    auto& r = out.data<double>();
    switch (op_) {
      case binary_op::plus:
        for (std::size_t i = 0; i < n; ++i) r[i] = x[i] + y[i];
        break;
      case binary_op::minus:
        for (std::size_t i = 0; i < n; ++i) r[i] = x[i] - y[i];
        break;
      case binary_op::multiply:
        for (std::size_t i = 0; i < n; ++i) r[i] = x[i] * y[i];
        break;
      case binary_op::divide:
        for (std::size_t i = 0; i < n; ++i) r[i] = x[i] / y[i];
        break;
      default:
        for (std::size_t i = 0; i < n; ++i) r[i] = std::fmod(x[i], y[i]);
        break;
    }
    if (type_.id == type_id::float_)
      for (auto& v : r) v = static_cast<float>(v);
  }

  binary_op op_;
  node_ptr a_;
  node_ptr b_;
};

class negate final : public node {
 public:
  negate(node_ptr a, std::string text) : a_(std::move(a)) {
    set_type(a_->type());
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n,
           rows::column_vector& out, const eval_context& ctx) const override {
    a_->run(in, sel, n, out, ctx);
    const auto id = type_.id;
    std::visit(
        [&](const auto& proto) {
          using P = typename std::decay_t<decltype(proto)>::value_type;
          if constexpr (std::is_same_v<P, std::int32_t> || std::is_same_v<P, std::int64_t>) {
            for (auto& v : out.data<P>()) {
              v = static_cast<P>(wrap_to(
                  id, static_cast<std::int64_t>(std::uint64_t{0} - static_cast<std::uint64_t>(v))));
            }
          } else if constexpr (std::is_same_v<P, double>) {
            for (auto& v : out.data<P>()) v = -v;
          }
        },
        out.raw());
  }

 private:
  node_ptr a_;
};

std::int64_t add_months_ms(std::int64_t ms, std::int64_t months) {
  std::int64_t days =
      ms >= 0 ? ms / rows::ms_per_day : (ms - rows::ms_per_day + 1) / rows::ms_per_day;
  const std::int64_t tod = ms - days * rows::ms_per_day;
  std::int32_t y = 0;
  std::uint32_t m = 0;
  std::uint32_t d = 0;
  rows::civil_from_days(static_cast<std::int32_t>(days), y, m, d);
  std::int64_t total = static_cast<std::int64_t>(y) * 12 + (m - 1) + months;
  std::int64_t ny = total >= 0 ? total / 12 : (total - 11) / 12;
  const auto nm = static_cast<std::uint32_t>(total - ny * 12 + 1);
  static constexpr std::uint32_t month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  std::uint32_t last = month_days[nm - 1];
  if (nm == 2 && ((ny % 4 == 0 && ny % 100 != 0) || ny % 400 == 0)) last = 29;
  days = rows::days_from_civil(static_cast<std::int32_t>(ny), nm, std::min(d, last));
  return days * rows::ms_per_day + tod;
}

class temporal_plus final : public node {
 public:
  temporal_plus(node_ptr t, node_ptr iv, bool minus, std::string text)
      : t_(std::move(t)), iv_(std::move(iv)), minus_(minus) {
    set_type(t_->type().with_nullable(t_->type().nullable || iv_->type().nullable));
    set_text(std::move(text));
  }
  void run(const rows::row_batch& in, const std::uint32_t* sel, std::size_t n,
           rows::column_vector& out, const eval_context& ctx) const override {
    rows::column_vector t;
    rows::column_vector iv;
    t_->run(in, sel, n, t, ctx);
    iv_->run(in, sel, n, iv, ctx);
    prepare(out, type_, n);
    merge_nulls(out, {&t, &iv});
    const bool months = iv.type().id == type_id::interval_year_month;
    const int sign = minus_ ? -1 : 1;
    auto amount = [&](std::size_t i) -> std::int64_t {
      return sign * (months ? static_cast<std::int64_t>(iv.data<std::int32_t>()[i])
                            : iv.data<std::int64_t>()[i]);
    };
    auto shift = [&](std::int64_t ms, std::size_t i) {
      return months ? add_months_ms(ms, amount(i))
                    : static_cast<std::int64_t>(static_cast<std::uint64_t>(ms) +
                                                static_cast<std::uint64_t>(amount(i)));
    };
    switch (type_.id) {
      case type_id::date: {
        const auto& src = t.data<std::int32_t>();
        auto& dst = out.data<std::int32_t>();
        for (std::size_t i = 0; i < n; ++i) {
          const std::int64_t ms = shift(src[i] * rows::ms_per_day, i);
          dst[i] = static_cast<std::int32_t>(
              ms >= 0 ? ms / rows::ms_per_day : (ms - rows::ms_per_day + 1) / rows::ms_per_day);
        }
        break;
      }
      case type_id::time: {
        const auto& src = t.data<std::int32_t>();
        auto& dst = out.data<std::int32_t>();
        for (std::size_t i = 0; i < n; ++i) {
          std::int64_t ms =
              (src[i] + (months ? 0 : amount(i) % rows::ms_per_day)) % rows::ms_per_day;
          if (ms < 0) ms += rows::ms_per_day;
          dst[i] = static_cast<std::int32_t>(ms);
        }
        break;
      }
      default: {
        const auto& src = t.data<std::int64_t>();
        auto& dst = out.data<std::int64_t>();
        for (std::size_t i = 0; i < n; ++i) dst[i] = shift(src[i], i);
      }
    }
  }

 private:
  node_ptr t_;
  node_ptr iv_;
  bool minus_;
};

}  // namespace

logical_type arith_result_type(binary_op op, const logical_type& a, const logical_type& b) {
  if (!a.is_numeric() || !b.is_numeric()) return rows::null_type();
  const bool nullable = a.nullable || b.nullable;
  logical_type r;
  if (a.id == type_id::double_ || b.id == type_id::double_) {
    r = rows::double_type();
  } else if (a.id == type_id::float_ || b.id == type_id::float_) {
    r = rows::float_type();
  } else if (a.id == type_id::decimal || b.id == type_id::decimal) {
    const int p1 = a.id == type_id::decimal ? a.precision : integer_digits(a.id);
    const int s1 = a.id == type_id::decimal ? a.scale : 0;
    const int p2 = b.id == type_id::decimal ? b.precision : integer_digits(b.id);
    const int s2 = b.id == type_id::decimal ? b.scale : 0;
    switch (op) {
      case binary_op::plus:
      case binary_op::minus: {
        const int s = std::max(s1, s2);
        r = capped_decimal(std::max(p1 - s1, p2 - s2) + s + 1, s);
        break;
      }
      case binary_op::multiply:
        r = capped_decimal(p1 + p2 + 1, s1 + s2);
        break;
      case binary_op::divide: {
        const int s = std::max(6, s1 + p2 + 1);
        r = capped_decimal(p1 - s1 + s2 + s, s);
        break;
      }
      default: {
        const int s = std::max(s1, s2);
        r = capped_decimal(std::min(p1 - s1, p2 - s2) + s, s);
        break;
      }
    }
  } else if (op == binary_op::modulo) {
    r = b;  // Calcite's MOD: the type of the divisor
  } else {
    r = rank(a.id) >= rank(b.id) ? a : b;
  }
  return r.with_nullable(nullable);
}

node_ptr make_arith(binary_op op, node_ptr a, node_ptr b, logical_type result, std::string text) {
  if (result.id == type_id::double_ || result.id == type_id::float_) {
    // The target types are computed before the moves: argument evaluation order is unspecified.
    const logical_type a_type = rows::double_type().with_nullable(a->type().nullable);
    const logical_type b_type = rows::double_type().with_nullable(b->type().nullable);
    a = coerce(std::move(a), a_type);
    b = coerce(std::move(b), b_type);
  }
  return std::make_unique<arith>(op, std::move(a), std::move(b), std::move(result),
                                 std::move(text));
}

node_ptr make_negate(node_ptr a, std::string text) {
  return std::make_unique<negate>(std::move(a), std::move(text));
}

node_ptr make_temporal_plus(node_ptr temporal, node_ptr interval, bool minus, std::string text) {
  return std::make_unique<temporal_plus>(std::move(temporal), std::move(interval), minus,
                                         std::move(text));
}

}  // namespace eddy::sql::detail
