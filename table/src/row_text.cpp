#include "eddy/table/row_text.hpp"

#include <cstdio>

#include "eddy/rows/temporal.hpp"
#include "eddy/rows/value_text.hpp"

namespace eddy::table {

namespace {

/// Java's LocalTime.toString: HH:mm, then :ss if seconds or a fraction, then .SSS.
std::string java_time(std::int64_t ms_of_day) {
  char buf[32];
  const auto h = static_cast<int>(ms_of_day / 3'600'000);
  const auto m = static_cast<int>(ms_of_day / 60'000 % 60);
  const auto s = static_cast<int>(ms_of_day / 1000 % 60);
  const auto ms = static_cast<int>(ms_of_day % 1000);
  if (s == 0 && ms == 0)
    std::snprintf(buf, sizeof buf, "%02d:%02d", h, m);
  else if (ms == 0)
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", h, m, s);
  else
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", h, m, s, ms);
  return buf;
}

}  // namespace

std::string print_value(const rows::value& v, const rows::logical_type& t) {
  if (v.is_null()) return "null";
  switch (t.id) {
    case rows::type_id::time:
      return java_time(v.as_int32());
    case rows::type_id::timestamp:
    case rows::type_id::timestamp_ltz: {
      const auto ms = v.as_int64();
      auto days = ms / rows::ms_per_day;
      if (ms % rows::ms_per_day < 0) --days;
      const auto text = rows::format_date(static_cast<std::int32_t>(days)) + "T" +
                        java_time(ms - days * rows::ms_per_day);
      return t.id == rows::type_id::timestamp_ltz ? text + "Z" : text;
    }
    default:
      return rows::format_value(v, t);
  }
}

std::string print_row(const rows::row_batch& b, std::size_t i,
                      const std::vector<rows::logical_type>& types) {
  std::string out = rows::short_string(b.kind(i));
  out += "[";
  const auto r = b.row(i);
  for (std::size_t c = 0; c < types.size(); ++c) {
    if (c > 0) out += ", ";
    out += print_value(b.column(c).get(r), types[c]);
  }
  return out + "]";
}

}  // namespace eddy::table
