// Built-in temporal functions (Flink's "Temporal Functions"): EXTRACT and YEAR, QUARTER, MONTH,
// WEEK, DAYOFYEAR, DAYOFMONTH, DAYOFWEEK, HOUR, MINUTE, SECOND; DATE_FORMAT, TO_TIMESTAMP,
// TO_TIMESTAMP_LTZ, TO_DATE, UNIX_TIMESTAMP, FROM_UNIXTIME; CURRENT_TIMESTAMP, NOW, LOCALTIMESTAMP,
// CURRENT_DATE, CURRENT_TIME, LOCALTIME and PROCTIME (from eval_context::now_ms). The session time
// zone is UTC. Format patterns are Java SimpleDateFormat's letters y M d H h m s S a E D and quoted
// text.
#include <algorithm>
#include <array>
#include <cctype>

#include "eddy/rows/temporal.hpp"
#include "functions_internal.hpp"

namespace eddy::sql::detail {

namespace {

using rows::logical_type;
using rows::type_id;
using rows::value;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : (a - b + 1) / b;
}

struct civil {
  std::int32_t year = 1970;
  std::uint32_t month = 1;
  std::uint32_t day = 1;
  std::int64_t ms_of_day = 0;
  std::int64_t days = 0;  ///< since the epoch
};

civil split(std::int64_t ms) {
  civil c;
  c.days = floor_div(ms, rows::ms_per_day);
  c.ms_of_day = ms - c.days * rows::ms_per_day;
  rows::civil_from_days(static_cast<std::int32_t>(c.days), c.year, c.month, c.day);
  return c;
}

/// The argument as ms since the epoch (DATE: midnight, TIME: of 1970-01-01).
std::int64_t as_ms(const value& v, const logical_type& t) {
  if (t.id == type_id::date) return static_cast<std::int64_t>(v.as_int32()) * rows::ms_per_day;
  if (t.id == type_id::time) return v.as_int32();
  return v.as_int64();
}

std::int64_t day_of_year(const civil& c) {
  return c.days - rows::days_from_civil(c.year, 1, 1) + 1;
}

std::int64_t iso_week(const civil& c) {
  const std::int64_t wd = ((c.days + 3) % 7 + 7) % 7 + 1;  // Monday 1 .. Sunday 7
  const civil thursday = split((c.days - wd + 4) * rows::ms_per_day);
  return (day_of_year(thursday) - 1) / 7 + 1;
}

/// EXTRACT's fields; false for an unknown unit.
bool field(std::string_view unit, const civil& c, std::int64_t& out) {
  if (unit == "YEAR")
    out = c.year;
  else if (unit == "QUARTER")
    out = (c.month - 1) / 3 + 1;
  else if (unit == "MONTH")
    out = c.month;
  else if (unit == "WEEK")
    out = iso_week(c);
  else if (unit == "DAY" || unit == "DAYOFMONTH")
    out = c.day;
  else if (unit == "DOY" || unit == "DAYOFYEAR")
    out = day_of_year(c);
  else if (unit == "DOW" || unit == "DAYOFWEEK")
    out = ((c.days + 4) % 7 + 7) % 7 + 1;  // Sunday 1
  else if (unit == "ISODOW")
    out = ((c.days + 3) % 7 + 7) % 7 + 1;
  else if (unit == "HOUR")
    out = c.ms_of_day / 3'600'000;
  else if (unit == "MINUTE")
    out = c.ms_of_day / 60'000 % 60;
  else if (unit == "SECOND")
    out = c.ms_of_day / 1000 % 60;
  else if (unit == "MILLISECOND")
    out = c.ms_of_day % 60'000;
  else if (unit == "EPOCH")
    out = floor_div(c.days * rows::ms_per_day + c.ms_of_day, 1000);
  else if (unit == "DECADE")
    out = floor_div(c.year, 10);
  else if (unit == "CENTURY")
    out = c.year > 0 ? (c.year + 99) / 100 : -((99 - c.year) / 100);
  else if (unit == "MILLENNIUM")
    out = c.year > 0 ? (c.year + 999) / 1000 : -((999 - c.year) / 1000);
  else
    return false;
  return true;
}

bool temporal(const logical_type& t) {
  return t.id == type_id::date || t.id == type_id::time || t.is_timestamp();
}

bool time_unit(std::string_view unit) {
  return unit == "HOUR" || unit == "MINUTE" || unit == "SECOND" || unit == "MILLISECOND";
}

builtin_result extract_field(bound_call& call, std::string unit, std::size_t arg) {
  const auto t = call.args[arg]->type();
  if (!temporal(t) && t.id != type_id::null_)
    return wrong_arg(call, arg, "a DATE, TIME or TIMESTAMP");
  if (t.id == type_id::date && time_unit(unit))
    return error("Cannot extract " + unit + " from a DATE");
  if (t.id == type_id::time && !time_unit(unit))
    return error("Cannot extract " + unit + " from a TIME");
  std::int64_t probe = 0;
  if (!field(unit, civil{}, probe)) return error("EXTRACT: unknown time unit " + unit);
  if (arg > 0) call.args.erase(call.args.begin());
  // A tight loop over the column (HOUR(ts) and friends are common in WHERE and GROUP BY).
  const int tod = unit == "HOUR"          ? 1
                  : unit == "MINUTE"      ? 2
                  : unit == "SECOND"      ? 3
                  : unit == "MILLISECOND" ? 4
                                          : 0;
  const auto result = rows::bigint_type().with_nullable(any_nullable(call));
  return done(make_vector_function(
      std::move(call.args), result,
      [unit, t, tod](std::span<const rows::column_vector* const> a, std::size_t n,
                     rows::column_vector& out) {
        merge_nulls(out, {a[0]});
        auto& r = out.data<std::int64_t>();
        const std::int64_t scale = t.id == type_id::date ? rows::ms_per_day : 1;
        auto go = [&](const auto& src) {
          for (std::size_t i = 0; i < n; ++i) {
            if (out.is_null(i)) continue;
            const std::int64_t ms = static_cast<std::int64_t>(src[i]) * scale;
            if (tod == 0) {
              field(unit, split(ms), r[i]);
              continue;
            }
            const std::int64_t m = ms - floor_div(ms, rows::ms_per_day) * rows::ms_per_day;
            r[i] = tod == 1   ? m / 3'600'000
                   : tod == 2 ? m / 60'000 % 60
                   : tod == 3 ? m / 1000 % 60
                              : m % 60'000;
          }
        };
        if (a[0]->type().physical() == rows::physical_kind::int32)
          go(a[0]->data<std::int32_t>());
        else
          go(a[0]->data<std::int64_t>());
      },
      call.text));
}

builtin_result bind_extract(bound_call& call) {
  const auto* u = constant_arg(call, 0);
  return extract_field(call, u->as_string(), 1);
}

builtin_result bind_field_function(bound_call& call) {
  return extract_field(call, call.name, 0);
}

// ---- SimpleDateFormat patterns ----

struct fmt_token {
  char letter = 0;  ///< 0: literal
  int count = 0;
  std::string text;
};

std::vector<fmt_token> tokenize_format(std::string_view f) {
  std::vector<fmt_token> out;
  for (std::size_t i = 0; i < f.size();) {
    const char c = f[i];
    if (c == '\'') {
      std::string lit;
      std::size_t j = i + 1;
      if (j < f.size() && f[j] == '\'') {
        out.push_back({0, 0, "'"});
        i = j + 1;
        continue;
      }
      while (j < f.size()) {
        if (f[j] == '\'') {
          if (j + 1 < f.size() && f[j + 1] == '\'') {
            lit += '\'';
            j += 2;
            continue;
          }
          break;
        }
        lit += f[j++];
      }
      out.push_back({0, 0, lit});
      i = j + 1;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      std::size_t j = i;
      while (j < f.size() && f[j] == c) ++j;
      out.push_back({c, static_cast<int>(j - i), {}});
      i = j;
    } else {
      out.push_back({0, 0, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

constexpr std::array<std::string_view, 12> month_names = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> day_names = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};

void pad(std::string& out, std::int64_t v, int width) {
  std::string s = std::to_string(v < 0 ? -v : v);
  if (v < 0) out += '-';
  for (int i = static_cast<int>(s.size()); i < width; ++i) out += '0';
  out += s;
}

std::string format_ms(std::int64_t ms, const std::vector<fmt_token>& toks) {
  const civil c = split(ms);
  std::string out;
  for (const auto& t : toks) {
    const int n = t.count;
    switch (t.letter) {
      case 0:
        out += t.text;
        break;
      case 'y':
        if (n == 2)
          pad(out, c.year % 100, 2);
        else
          pad(out, c.year, n);
        break;
      case 'M':
        if (n >= 4)
          out += month_names[c.month - 1];
        else if (n == 3)
          out += month_names[c.month - 1].substr(0, 3);
        else
          pad(out, c.month, n);
        break;
      case 'd':
        pad(out, c.day, n);
        break;
      case 'D':
        pad(out, day_of_year(c), n);
        break;
      case 'H':
        pad(out, c.ms_of_day / 3'600'000, n);
        break;
      case 'k':
        pad(out, (c.ms_of_day / 3'600'000 + 23) % 24 + 1, n);
        break;
      case 'h':
        pad(out, (c.ms_of_day / 3'600'000 + 11) % 12 + 1, n);
        break;
      case 'K':
        pad(out, c.ms_of_day / 3'600'000 % 12, n);
        break;
      case 'm':
        pad(out, c.ms_of_day / 60'000 % 60, n);
        break;
      case 's':
        pad(out, c.ms_of_day / 1000 % 60, n);
        break;
      case 'S':
        pad(out, c.ms_of_day % 1000, n);
        break;
      case 'a':
        out += c.ms_of_day < 43'200'000 ? "AM" : "PM";
        break;
      case 'E': {
        const auto dn = day_names[static_cast<std::size_t>(((c.days + 4) % 7 + 7) % 7)];
        out += n >= 4 ? dn : dn.substr(0, 3);
        break;
      }
      default:
        out += std::string(static_cast<std::size_t>(n), t.letter);
        break;
    }
  }
  return out;
}

bool numeric_letter(char c) {
  return std::string_view("yMdDHkhKmsS").find(c) != std::string_view::npos && c != 0;
}

/// Parses `s` by the pattern; nullopt if it does not match.
std::optional<std::int64_t> parse_ms(std::string_view s, const std::vector<fmt_token>& toks) {
  std::int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, milli = 0;
  bool pm = false;
  bool has_ampm = false;
  std::size_t i = 0;
  for (std::size_t k = 0; k < toks.size(); ++k) {
    const auto& t = toks[k];
    if (t.letter == 0) {
      if (s.substr(i, t.text.size()) != t.text) return std::nullopt;
      i += t.text.size();
      continue;
    }
    if (t.letter == 'a') {
      const auto ap = s.substr(i, 2);
      if (ap == "AM" || ap == "am")
        pm = false;
      else if (ap == "PM" || ap == "pm")
        pm = true;
      else
        return std::nullopt;
      has_ampm = true;
      i += 2;
      continue;
    }
    if (!numeric_letter(t.letter) || (t.letter == 'M' && t.count >= 3)) return std::nullopt;
    // Adjacent numeric fields take exactly `count` digits; otherwise digits are greedy.
    const bool adjacent =
        k + 1 < toks.size() && toks[k + 1].letter != 0 && numeric_letter(toks[k + 1].letter);
    std::size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])) &&
           (!adjacent || static_cast<int>(j - i) < t.count))
      ++j;
    if (j == i || j - i > 12) return std::nullopt;
    std::int64_t v = std::stoll(std::string(s.substr(i, j - i)));
    if (t.letter == 'S') {
      const auto digits = j - i;
      for (auto d = digits; d < 3; ++d) v *= 10;
      for (auto d = digits; d > 3; --d) v /= 10;
    }
    i = j;
    switch (t.letter) {
      case 'y':
        year = t.count == 2 ? 2000 + v : v;
        break;
      case 'M':
        month = v;
        break;
      case 'd':
        day = v;
        break;
      case 'H':
      case 'k':
      case 'h':
      case 'K':
        hour = v;
        break;
      case 'm':
        minute = v;
        break;
      case 's':
        second = v;
        break;
      case 'S':
        milli = v;
        break;
      default:
        return std::nullopt;
    }
  }
  if (i != s.size()) return std::nullopt;
  if (has_ampm) hour = hour % 12 + (pm ? 12 : 0);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return std::nullopt;
  const auto days =
      rows::days_from_civil(static_cast<std::int32_t>(year), static_cast<std::uint32_t>(month),
                            static_cast<std::uint32_t>(day));
  // Reject days that do not exist (Feb 30).
  std::int32_t y2 = 0;
  std::uint32_t m2 = 0;
  std::uint32_t d2 = 0;
  rows::civil_from_days(days, y2, m2, d2);
  if (d2 != static_cast<std::uint32_t>(day)) return std::nullopt;
  return static_cast<std::int64_t>(days) * rows::ms_per_day + hour * 3'600'000 + minute * 60'000 +
         second * 1000 + milli;
}

const std::vector<fmt_token>& default_format() {
  static const auto f = tokenize_format("yyyy-MM-dd HH:mm:ss");
  return f;
}

std::shared_ptr<const std::vector<fmt_token>> constant_format(const bound_call& call,
                                                              std::size_t i) {
  const auto* c = constant_arg(call, i);
  if (c == nullptr || c->is_null()) return nullptr;
  return std::make_shared<const std::vector<fmt_token>>(tokenize_format(c->as_string()));
}

/// Reads a timestamp from a string argument (Flink's DATE_FORMAT(string, ...)):
/// `yyyy-MM-dd HH:mm:ss[.SSS]`.
std::optional<std::int64_t> string_timestamp(const std::string& s) {
  if (auto ts = rows::parse_timestamp(s)) return ts;
  if (auto d = rows::parse_date(s)) return static_cast<std::int64_t>(*d) * rows::ms_per_day;
  return std::nullopt;
}

builtin_result bind_date_format(bound_call& call) {
  const auto t = call.args[0]->type();
  if (!temporal(t) && !t.is_character_string() && t.id != type_id::null_)
    return wrong_arg(call, 0, "a TIMESTAMP or a string");
  if (t.id == type_id::null_)
    call.args[0] = coerce(std::move(call.args[0]), rows::timestamp_type());
  if (!string_arg(call, 1)) return wrong_arg(call, 1, "a character string");
  auto pre = constant_format(call, 1);
  const bool from_string = t.is_character_string();
  return strict_row(call, rows::string_type().with_nullable(from_string),
                    [pre, t, from_string](std::span<const value> a, const eval_context&) -> value {
                      std::int64_t ms = 0;
                      if (from_string) {
                        auto ts = string_timestamp(a[0].as_string());
                        if (!ts) return {};
                        ms = *ts;
                      } else {
                        ms = as_ms(a[0], t);
                      }
                      if (pre) return value(format_ms(ms, *pre));
                      return value(format_ms(ms, tokenize_format(a[1].as_string())));
                    });
}

builtin_result bind_to_timestamp(bound_call& call) {
  for (std::size_t i = 0; i < call.args.size(); ++i)
    if (!string_arg(call, i)) return wrong_arg(call, i, "a character string");
  auto pre = constant_format(call, 1);
  const bool date = call.name == "TO_DATE";
  const bool unix = call.name == "UNIX_TIMESTAMP";
  const auto result = date   ? rows::date_type()
                      : unix ? rows::bigint_type()
                             : rows::timestamp_type(3);
  return strict_row(
      call, result, [pre, date, unix](std::span<const value> a, const eval_context&) -> value {
        std::optional<std::int64_t> ms;
        if (a.size() == 1) {
          ms = date ? std::optional<std::int64_t>() : rows::parse_timestamp(a[0].as_string());
          if (!ms) {
            if (auto d = rows::parse_date(a[0].as_string()))
              ms = static_cast<std::int64_t>(*d) * rows::ms_per_day;
          }
        } else {
          ms = pre ? parse_ms(a[0].as_string(), *pre)
                   : parse_ms(a[0].as_string(), tokenize_format(a[1].as_string()));
        }
        if (!ms) return {};
        if (date) return value(static_cast<std::int32_t>(floor_div(*ms, rows::ms_per_day)));
        if (unix) return value(floor_div(*ms, 1000));
        return value(*ms);
      });
}

builtin_result bind_unix_timestamp(bound_call& call) {
  if (call.args.empty()) {
    return done(make_row_function(
        {}, rows::bigint_type().with_nullable(false),
        [](std::span<const value>, const eval_context& ctx) {
          return value(floor_div(ctx.now_ms, 1000));
        },
        false, call.text));
  }
  return bind_to_timestamp(call);
}

builtin_result bind_from_unixtime(bound_call& call) {
  if (!integer_arg(call, 0)) return wrong_arg(call, 0, "an integer");
  if (call.args.size() > 1 && !string_arg(call, 1)) return wrong_arg(call, 1, "a character string");
  auto pre = constant_format(call, 1);
  return strict_row(call, rows::string_type().with_nullable(false),
                    [pre](std::span<const value> a, const eval_context&) {
                      const std::int64_t ms = a[0].as_int64() * 1000;
                      if (a.size() == 1) return value(format_ms(ms, default_format()));
                      if (pre) return value(format_ms(ms, *pre));
                      return value(format_ms(ms, tokenize_format(a[1].as_string())));
                    });
}

/// TO_TIMESTAMP_LTZ(epoch [, precision]): epoch seconds (precision 0) or milliseconds (3, the
/// default) as a TIMESTAMP_LTZ(3), as Flink's.
builtin_result bind_to_timestamp_ltz(bound_call& call) {
  std::int64_t unit = 1;
  if (call.args.size() > 1) {
    const auto* p = constant_arg(call, 1);
    const auto* t = p ? &call.args[1]->type() : nullptr;
    const std::int64_t v = !p || p->is_null() || !t->is_integer() ? -1
                           : t->id == rows::type_id::bigint       ? p->as_int64()
                                                                  : p->as_int32();
    if (v != 0 && v != 3)
      return error(
          "Function TO_TIMESTAMP_LTZ: the precision must be the literal 0 (epoch "
          "seconds) or 3 (epoch milliseconds)");
    if (v == 0) unit = 1000;
  }
  if (!integer_arg(call, 0))
    return wrong_arg(call, 0, "an integer (epoch seconds or milliseconds)");
  return strict_row(call, rows::timestamp_ltz_type(3),
                    [unit](std::span<const value> a, const eval_context&) -> value {
                      return value(a[0].as_int64() * unit);
                    });
}

builtin_result bind_now(bound_call& call) {
  logical_type t;
  const auto& n = call.name;
  if (n == "CURRENT_TIMESTAMP" || n == "NOW" || n == "PROCTIME")
    t = rows::timestamp_ltz_type(3);
  else if (n == "LOCALTIMESTAMP")
    t = rows::timestamp_type(3);
  else if (n == "CURRENT_DATE")
    t = rows::date_type();
  else
    t = rows::time_type(0);
  const type_id id = t.id;
  return done(make_row_function(
      {}, t.with_nullable(false),
      [id](std::span<const value>, const eval_context& ctx) -> value {
        const std::int64_t day = floor_div(ctx.now_ms, rows::ms_per_day);
        if (id == type_id::date) return value(static_cast<std::int32_t>(day));
        if (id == type_id::time)
          return value(
              static_cast<std::int32_t>((ctx.now_ms - day * rows::ms_per_day) / 1000 * 1000));
        return value(ctx.now_ms);
      },
      false, call.text));
}

constexpr builtin_def temporal_table[] = {
    {"EXTRACT", 2, 2, bind_extract},
    {"YEAR", 1, 1, bind_field_function},
    {"QUARTER", 1, 1, bind_field_function},
    {"MONTH", 1, 1, bind_field_function},
    {"WEEK", 1, 1, bind_field_function},
    {"DAYOFYEAR", 1, 1, bind_field_function},
    {"DAYOFMONTH", 1, 1, bind_field_function},
    {"DAYOFWEEK", 1, 1, bind_field_function},
    {"HOUR", 1, 1, bind_field_function},
    {"MINUTE", 1, 1, bind_field_function},
    {"SECOND", 1, 1, bind_field_function},
    {"DATE_FORMAT", 2, 2, bind_date_format},
    {"TO_TIMESTAMP", 1, 2, bind_to_timestamp},
    {"TO_DATE", 1, 2, bind_to_timestamp},
    {"UNIX_TIMESTAMP", 0, 2, bind_unix_timestamp},
    {"FROM_UNIXTIME", 1, 2, bind_from_unixtime},
    {"TO_TIMESTAMP_LTZ", 1, 2, bind_to_timestamp_ltz},
    {"CURRENT_TIMESTAMP", 0, 0, bind_now},
    {"NOW", 0, 0, bind_now},
    {"PROCTIME", 0, 0, bind_now},
    {"LOCALTIMESTAMP", 0, 0, bind_now},
    {"CURRENT_DATE", 0, 0, bind_now},
    {"CURRENT_TIME", 0, 0, bind_now},
    {"LOCALTIME", 0, 0, bind_now},
};

}  // namespace

std::span<const builtin_def> temporal_functions() {
  return temporal_table;
}

}  // namespace eddy::sql::detail
