#include "eddy/rows/value_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <system_error>

#include "eddy/rows/temporal.hpp"

namespace eddy::rows {

namespace {

bool fail(std::string* error, std::string_view text, const logical_type& t) {
  if (error) {
    auto shown = std::string(text.substr(0, 40));
    if (text.size() > 40) shown += "...";
    *error = "'" + shown + "' is not a " + t.to_string();
  }
  return false;
}

bool parse_integer(std::string_view s, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < lo || v > hi) return false;
  out = v;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}

/// Java's floating-point text from the shortest round-trip digits ("d.ddde±x" from to_chars).
std::string java_from_scientific(std::string sci) {
  std::string out;
  if (sci.front() == '-') {
    out = "-";
    sci.erase(0, 1);
  }
  const auto e = sci.find('e');
  std::string digits = sci.substr(0, e);
  const int exp = std::atoi(sci.c_str() + e + 1);
  if (digits.size() > 1) digits.erase(1, 1);  // the '.'
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (exp >= -3 && exp < 7) {
    if (exp >= 0) {
      std::string ip = digits.substr(0, std::min<std::size_t>(digits.size(), exp + 1));
      while (ip.size() < static_cast<std::size_t>(exp + 1)) ip += '0';
      std::string fp =
          digits.size() > static_cast<std::size_t>(exp + 1) ? digits.substr(exp + 1) : "0";
      return out + ip + "." + fp;
    }
    return out + "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
  }
  out += digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0");
  return out + "E" + std::to_string(exp);
}

template <class F>
std::string java_string(F d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  (void)ec;
  return java_from_scientific(std::string(buf, p));
}

}  // namespace

std::string java_double_string(double d) {
  return java_string(d);
}
std::string java_float_string(float f) {
  return java_string(f);
}

std::string format_decimal(std::int64_t unscaled, std::int32_t scale) {
  const bool neg = unscaled < 0;
  // The magnitude as text (no overflow at INT64_MIN: unsigned arithmetic).
  const std::uint64_t mag =
      neg ? ~static_cast<std::uint64_t>(unscaled) + 1 : static_cast<std::uint64_t>(unscaled);
  std::string digits = std::to_string(mag);
  if (scale > 0) {
    if (digits.size() <= static_cast<std::size_t>(scale))
      digits.insert(0, static_cast<std::size_t>(scale) - digits.size() + 1, '0');
    digits.insert(digits.size() - static_cast<std::size_t>(scale), ".");
  }
  return neg ? "-" + digits : digits;
}

namespace {

enum class decimal_status { ok, not_a_number, too_long };

decimal_status parse_decimal_impl(std::string_view s, std::int32_t precision, std::int32_t scale,
                                  std::int64_t& unscaled) {
  bool neg = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  std::string digits;
  int exp = 0;  // value = digits * 10^exp
  bool any = false, point = false;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      any = true;
      if (!(digits.empty() && c == '0')) digits += c;
      if (point) --exp;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any) return decimal_status::not_a_number;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return decimal_status::not_a_number;
    std::int64_t e = 0;
    if (!parse_integer(s.substr(i + 1), -1000, 1000, e)) return decimal_status::not_a_number;
    exp += static_cast<int>(e);
  }
  // unscaled = digits * 10^(exp + scale), rounded half up.
  const int shift = exp + scale;
  const auto limit = static_cast<std::size_t>(std::min(precision, max_decimal_digits));
  if (digits.empty()) {
    unscaled = 0;
    return decimal_status::ok;
  }
  if (shift >= 0) {
    if (digits.size() + static_cast<std::size_t>(shift) > limit) return decimal_status::too_long;
    digits.append(static_cast<std::size_t>(shift), '0');
  } else {
    const auto drop = static_cast<std::size_t>(-shift);
    bool round_up = false;
    if (drop > digits.size()) {
      digits.clear();
    } else {
      round_up = digits[digits.size() - drop] >= '5';
      digits.resize(digits.size() - drop);
    }
    if (round_up) {
      int k = static_cast<int>(digits.size()) - 1;
      while (k >= 0 && digits[static_cast<std::size_t>(k)] == '9')
        digits[static_cast<std::size_t>(k--)] = '0';
      if (k < 0)
        digits.insert(0, "1");
      else
        ++digits[static_cast<std::size_t>(k)];
    }
    if (digits.empty()) digits = "0";
  }
  while (digits.size() > 1 && digits.front() == '0') digits.erase(0, 1);
  if (digits != "0" && digits.size() > limit) return decimal_status::too_long;
  std::int64_t v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  unscaled = neg ? -v : v;
  return decimal_status::ok;
}

}  // namespace

bool parse_decimal(std::string_view s, std::int32_t precision, std::int32_t scale,
                   std::int64_t& unscaled) {
  return parse_decimal_impl(s, precision, scale, unscaled) == decimal_status::ok;
}

bool parse_value(std::string_view s, const logical_type& t, value& out, std::string* error) {
  std::int64_t i = 0;
  switch (t.id) {
    case type_id::boolean:
      if (iequals(s, "true")) {
        out = value(true);
        return true;
      }
      if (iequals(s, "false")) {
        out = value(false);
        return true;
      }
      return fail(error, s, t);
    case type_id::tinyint:
      if (!parse_integer(s, -128, 127, i)) return fail(error, s, t);
      out = value(static_cast<std::int32_t>(i));
      return true;
    case type_id::smallint:
      if (!parse_integer(s, -32768, 32767, i)) return fail(error, s, t);
      out = value(static_cast<std::int32_t>(i));
      return true;
    case type_id::int_:
      if (!parse_integer(s, std::numeric_limits<std::int32_t>::min(),
                         std::numeric_limits<std::int32_t>::max(), i))
        return fail(error, s, t);
      out = value(static_cast<std::int32_t>(i));
      return true;
    case type_id::bigint:
      if (!parse_integer(s, std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max(), i))
        return fail(error, s, t);
      out = value(i);
      return true;
    case type_id::float_:
    case type_id::double_: {
      std::string copy(s);  // strtod needs a terminated string
      char* end = nullptr;
      const double d = std::strtod(copy.c_str(), &end);
      if (copy.empty() || end != copy.c_str() + copy.size() || copy.front() == ' ')
        return fail(error, s, t);
      out = value(t.id == type_id::float_ ? static_cast<double>(static_cast<float>(d)) : d);
      return true;
    }
    case type_id::decimal:
      if (const auto st = parse_decimal_impl(s, t.precision, t.scale, i);
          st != decimal_status::ok) {
        if (error)
          *error = "'" + std::string(s.substr(0, 40)) + "' " +
                   (st == decimal_status::too_long ? "does not fit " : "is not a ") + t.to_string();
        return false;
      }
      out = value(i);
      return true;
    case type_id::char_:
    case type_id::varchar:
    case type_id::binary:
    case type_id::varbinary:
      out = value(std::string(s));
      return true;
    case type_id::date:
      if (auto d = parse_date(s)) {
        out = value(*d);
        return true;
      }
      return fail(error, s, t);
    case type_id::time:
      if (auto d = parse_time(s)) {
        out = value(*d);
        return true;
      }
      return fail(error, s, t);
    case type_id::timestamp:
    case type_id::timestamp_ltz:
      if (auto d = parse_timestamp(s, t.id == type_id::timestamp_ltz)) {
        out = value(*d);
        return true;
      }
      return fail(error, s, t);
    default:
      if (error) *error = t.to_string() + " values cannot be read from text";
      return false;
  }
}

std::string format_value(const value& v, const logical_type& t) {
  if (v.is_null()) return {};
  switch (t.id) {
    case type_id::boolean:
      return v.as_bool() ? "true" : "false";
    case type_id::tinyint:
    case type_id::smallint:
    case type_id::int_:
      return std::to_string(v.as_int32());
    case type_id::bigint:
      return std::to_string(v.as_int64());
    case type_id::float_:
      return java_float_string(static_cast<float>(v.as_double()));
    case type_id::double_:
      return java_double_string(v.as_double());
    case type_id::decimal:
      return format_decimal(v.as_int64(), t.scale);
    case type_id::date:
      return format_date(v.as_int32());
    case type_id::time:
      return format_time(v.as_int32());
    case type_id::timestamp:
      return format_timestamp(v.as_int64());
    case type_id::timestamp_ltz:
      return format_timestamp(v.as_int64(), true);
    case type_id::interval_year_month:
      return std::to_string(v.as_int32());
    case type_id::interval_day_time:
      return std::to_string(v.as_int64());
    default:
      if (const auto* s = std::get_if<std::string>(&v.data)) return *s;
      return {};
  }
}

}  // namespace eddy::rows
