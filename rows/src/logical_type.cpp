#include "eddy/rows/logical_type.hpp"

#include <set>
#include <stdexcept>
#include <utility>

namespace eddy::rows {

namespace {

logical_type make(type_id id, std::int32_t precision = 0, std::int32_t scale = 0) {
  logical_type t;
  t.id = id;
  t.precision = precision;
  t.scale = scale;
  return t;
}

void check_length(std::string_view what, std::int32_t length) {
  if (length < 1)
    throw std::invalid_argument(std::string(what) + " length must be between 1 and " +
                                std::to_string(max_length) + ", not " + std::to_string(length));
}

void check_fraction(std::string_view what, std::int32_t precision) {
  if (precision < 0 || precision > 9)
    throw std::invalid_argument(std::string(what) + " precision must be between 0 and 9, not " +
                                std::to_string(precision));
}

std::string quoted_field(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

}  // namespace

physical_kind logical_type::physical() const noexcept {
  switch (id) {
    case type_id::boolean:
      return physical_kind::boolean;
    case type_id::null_:  // a column of untyped NULLs stores nothing but validity
    case type_id::tinyint:
    case type_id::smallint:
    case type_id::int_:
    case type_id::date:
    case type_id::time:
    case type_id::interval_year_month:
      return physical_kind::int32;
    case type_id::bigint:
    case type_id::decimal:
    case type_id::timestamp:
    case type_id::timestamp_ltz:
    case type_id::interval_day_time:
      return physical_kind::int64;
    case type_id::float_:
    case type_id::double_:
      return physical_kind::float64;
    case type_id::char_:
    case type_id::varchar:
    case type_id::binary:
    case type_id::varbinary:
      return physical_kind::string;
    case type_id::array:
    case type_id::map:
    case type_id::multiset:
    case type_id::row:
      return physical_kind::nested;
  }
  return physical_kind::nested;
}

std::string_view type_name(type_id id) noexcept {
  switch (id) {
    case type_id::null_:
      return "NULL";
    case type_id::boolean:
      return "BOOLEAN";
    case type_id::tinyint:
      return "TINYINT";
    case type_id::smallint:
      return "SMALLINT";
    case type_id::int_:
      return "INT";
    case type_id::bigint:
      return "BIGINT";
    case type_id::float_:
      return "FLOAT";
    case type_id::double_:
      return "DOUBLE";
    case type_id::decimal:
      return "DECIMAL";
    case type_id::char_:
      return "CHAR";
    case type_id::varchar:
      return "VARCHAR";
    case type_id::binary:
      return "BINARY";
    case type_id::varbinary:
      return "VARBINARY";
    case type_id::date:
      return "DATE";
    case type_id::time:
      return "TIME";
    case type_id::timestamp:
      return "TIMESTAMP";
    case type_id::timestamp_ltz:
      return "TIMESTAMP_LTZ";
    case type_id::interval_year_month:
      return "INTERVAL YEAR TO MONTH";
    case type_id::interval_day_time:
      return "INTERVAL DAY TO SECOND";
    case type_id::array:
      return "ARRAY";
    case type_id::map:
      return "MAP";
    case type_id::multiset:
      return "MULTISET";
    case type_id::row:
      return "ROW";
  }
  return "?";
}

std::string logical_type::to_string() const {
  std::string s;
  const auto p = std::to_string(precision);
  switch (id) {
    case type_id::decimal:
      s = "DECIMAL(" + p + ", " + std::to_string(scale) + ")";
      break;
    case type_id::char_:
    case type_id::binary:
      s = std::string(type_name(id)) + "(" + p + ")";
      break;
    case type_id::varchar:
      s = precision == max_length ? "STRING" : "VARCHAR(" + p + ")";
      break;
    case type_id::varbinary:
      s = precision == max_length ? "BYTES" : "VARBINARY(" + p + ")";
      break;
    case type_id::time:
    case type_id::timestamp:
    case type_id::timestamp_ltz:
      s = std::string(type_name(id)) + "(" + p + ")";
      break;
    case type_id::array:
    case type_id::multiset:
      s = std::string(type_name(id)) + "<" + children.at(0).to_string() + ">";
      break;
    case type_id::map:
      s = "MAP<" + children.at(0).to_string() + ", " + children.at(1).to_string() + ">";
      break;
    case type_id::row:
      s = "ROW<";
      for (std::size_t i = 0; i < children.size(); ++i) {
        if (i > 0) s += ", ";
        s += quoted_field(field_names.at(i)) + " " + children[i].to_string();
      }
      s += ">";
      break;
    default:
      s = std::string(type_name(id));
  }
  if (!nullable) s += " NOT NULL";
  return s;
}

logical_type null_type() {
  return make(type_id::null_);
}
logical_type boolean_type() {
  return make(type_id::boolean);
}
logical_type tinyint_type() {
  return make(type_id::tinyint);
}
logical_type smallint_type() {
  return make(type_id::smallint);
}
logical_type int_type() {
  return make(type_id::int_);
}
logical_type bigint_type() {
  return make(type_id::bigint);
}
logical_type float_type() {
  return make(type_id::float_);
}
logical_type double_type() {
  return make(type_id::double_);
}

logical_type decimal_type(std::int32_t precision, std::int32_t scale) {
  if (precision < 1 || precision > max_decimal_precision)
    throw std::invalid_argument("DECIMAL precision must be between 1 and " +
                                std::to_string(max_decimal_precision) + ", not " +
                                std::to_string(precision));
  if (scale < 0 || scale > precision)
    throw std::invalid_argument("DECIMAL scale must be between 0 and the precision (" +
                                std::to_string(precision) + "), not " + std::to_string(scale));
  return make(type_id::decimal, precision, scale);
}

logical_type char_type(std::int32_t length) {
  check_length("CHAR", length);
  return make(type_id::char_, length);
}
logical_type varchar_type(std::int32_t length) {
  check_length("VARCHAR", length);
  return make(type_id::varchar, length);
}
logical_type string_type() {
  return varchar_type(max_length);
}
logical_type binary_type(std::int32_t length) {
  check_length("BINARY", length);
  return make(type_id::binary, length);
}
logical_type varbinary_type(std::int32_t length) {
  check_length("VARBINARY", length);
  return make(type_id::varbinary, length);
}
logical_type bytes_type() {
  return varbinary_type(max_length);
}
logical_type date_type() {
  return make(type_id::date);
}
logical_type time_type(std::int32_t precision) {
  check_fraction("TIME", precision);
  return make(type_id::time, precision);
}
logical_type timestamp_type(std::int32_t precision) {
  check_fraction("TIMESTAMP", precision);
  return make(type_id::timestamp, precision);
}
logical_type timestamp_ltz_type(std::int32_t precision) {
  check_fraction("TIMESTAMP_LTZ", precision);
  return make(type_id::timestamp_ltz, precision);
}
logical_type interval_year_month_type() {
  return make(type_id::interval_year_month);
}
logical_type interval_day_time_type() {
  return make(type_id::interval_day_time);
}

logical_type array_type(logical_type element) {
  auto t = make(type_id::array);
  t.children.push_back(std::move(element));
  return t;
}
logical_type multiset_type(logical_type element) {
  auto t = make(type_id::multiset);
  t.children.push_back(std::move(element));
  return t;
}
logical_type map_type(logical_type key, logical_type value) {
  auto t = make(type_id::map);
  t.children.push_back(std::move(key));
  t.children.push_back(std::move(value));
  return t;
}
logical_type row_type(std::vector<std::string> names, std::vector<logical_type> types) {
  if (names.size() != types.size())
    throw std::invalid_argument("ROW type: " + std::to_string(names.size()) + " names for " +
                                std::to_string(types.size()) + " types");
  std::set<std::string> seen;
  for (const auto& n : names)
    if (!seen.insert(n).second)
      throw std::invalid_argument("ROW type: field name '" + n + "' appears twice");
  auto t = make(type_id::row);
  t.field_names = std::move(names);
  t.children = std::move(types);
  return t;
}

}  // namespace eddy::rows
