// The binder of compile_expression (vector_expr.hpp): resolves names against the scope, types
// literals and operators as Flink does and builds the kernel tree (expr_internal.hpp). Errors
// unwind as bind_failure to compile_expression, which returns them as parse_errors.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "eddy/rows/temporal.hpp"
#include "eddy/rows/value_text.hpp"
#include "eddy/sql/function_registry.hpp"
#include "eddy/sql/keywords.hpp"
#include "eddy/sql/printer.hpp"
#include "expr_internal.hpp"

namespace eddy::sql {

namespace detail {

using rows::logical_type;
using rows::type_id;
using rows::value;

std::string upper(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return r;
}

logical_type common_type(const logical_type& a, const logical_type& b) {
  const bool nullable = a.nullable || b.nullable;
  if (a.id == type_id::null_) return b.with_nullable(true);
  if (b.id == type_id::null_) return a.with_nullable(true);
  logical_type r = rows::null_type();
  if (a.is_numeric() && b.is_numeric()) {
    if (a.id == type_id::double_ || b.id == type_id::double_) {
      r = rows::double_type();
    } else if (a.id == type_id::float_ || b.id == type_id::float_) {
      r = rows::float_type();
    } else if (a.id == type_id::decimal || b.id == type_id::decimal) {
      const int s =
          std::max(a.id == type_id::decimal ? a.scale : 0, b.id == type_id::decimal ? b.scale : 0);
      const int da = a.id == type_id::decimal ? a.precision - a.scale : integer_digits(a.id);
      const int db = b.id == type_id::decimal ? b.precision - b.scale : integer_digits(b.id);
      const int p = std::min(std::max(da, db) + s, rows::max_decimal_precision);  // 38
      r = rows::decimal_type(std::max(p, 1), std::min(s, p));
    } else {
      r = a.id >= b.id ? a : b;
    }
  } else if (a.is_character_string() && b.is_character_string()) {
    if (a.id == type_id::char_ && b.id == type_id::char_ && a.precision == b.precision)
      r = a;
    else
      r = rows::varchar_type(std::max(a.precision, b.precision));
  } else if (a.is_binary_string() && b.is_binary_string()) {
    if (a.id == type_id::binary && b.id == type_id::binary && a.precision == b.precision)
      r = a;
    else
      r = rows::varbinary_type(std::max(a.precision, b.precision));
  } else if ((a.is_timestamp() || a.id == type_id::date) &&
             (b.is_timestamp() || b.id == type_id::date)) {
    if (a.id == type_id::date && b.id == type_id::date) {
      r = a;
    } else {
      const int p = std::max(a.id == type_id::date ? 0 : a.precision,
                             b.id == type_id::date ? 0 : b.precision);
      r = a.id == type_id::timestamp_ltz || b.id == type_id::timestamp_ltz
              ? rows::timestamp_ltz_type(p)
              : rows::timestamp_type(p);
    }
  } else if (a.id == b.id && a.physical() != rows::physical_kind::nested) {
    r = a;
    r.precision = std::max(a.precision, b.precision);
  }
  if (r.id == type_id::null_) return r;
  return r.with_nullable(nullable);
}

node_ptr coerce(node_ptr n, const logical_type& t) {
  const auto& from = n->type();
  if (from.with_nullable(true) == t.with_nullable(true)) return n;
  std::string text = n->to_string();
  auto c = make_cast(std::move(n), t.with_nullable(from.nullable), false, std::move(text));
  return c;
}

}  // namespace detail

namespace {

using namespace detail;
using rows::logical_type;
using rows::type_id;
using rows::value;

struct bind_failure {
  parse_error error;
};

std::string position(location loc) {
  return "at line " + std::to_string(loc.line) + ", column " + std::to_string(loc.column);
}

[[noreturn]] void fail(location loc, const std::string& message,
                       const std::string& suggestion = {}) {
  parse_error e;
  e.where = loc;
  e.message = message + " " + position(loc) + ".";
  if (!suggestion.empty()) {
    e.message += " Did you mean '" + suggestion + "'?";
    e.suggestion = suggestion;
  }
  throw bind_failure{std::move(e)};
}

std::string type_text(const logical_type& t) {
  return t.with_nullable(true).to_string();
}

std::string op_symbol(binary_op op) {
  return to_sql(op);
}

/// The type a CAST names (Flink SQL's defaults: CHAR(1), BINARY(1), VARCHAR and VARBINARY of
/// the largest length, DECIMAL(10, 0), TIME(0), TIMESTAMP(6)).
logical_type to_logical(const data_type& d, location loc) {
  auto param = [&](std::size_t i, std::int64_t def) {
    return i < d.params.size() ? d.params[i] : def;
  };
  logical_type t;
  try {
    const auto& n = d.name;
    if (n == "BOOLEAN")
      t = rows::boolean_type();
    else if (n == "TINYINT")
      t = rows::tinyint_type();
    else if (n == "SMALLINT")
      t = rows::smallint_type();
    else if (n == "INT")
      t = rows::int_type();
    else if (n == "BIGINT")
      t = rows::bigint_type();
    else if (n == "FLOAT")
      t = rows::float_type();
    else if (n == "DOUBLE")
      t = rows::double_type();
    else if (n == "DECIMAL") {
      const auto p = param(0, 10);
      t = rows::decimal_type(static_cast<std::int32_t>(p), static_cast<std::int32_t>(param(1, 0)));
    } else if (n == "CHAR")
      t = rows::char_type(static_cast<std::int32_t>(param(0, 1)));
    else if (n == "VARCHAR")
      t = rows::varchar_type(static_cast<std::int32_t>(param(0, rows::max_length)));
    else if (n == "STRING")
      t = rows::string_type();
    else if (n == "BINARY")
      t = rows::binary_type(static_cast<std::int32_t>(param(0, 1)));
    else if (n == "VARBINARY")
      t = rows::varbinary_type(static_cast<std::int32_t>(param(0, rows::max_length)));
    else if (n == "BYTES")
      t = rows::bytes_type();
    else if (n == "DATE")
      t = rows::date_type();
    else if (n == "TIME")
      t = rows::time_type(static_cast<std::int32_t>(param(0, 0)));
    else if (n == "TIMESTAMP")
      t = rows::timestamp_type(static_cast<std::int32_t>(param(0, 6)));
    else if (n == "TIMESTAMP_LTZ")
      t = rows::timestamp_ltz_type(static_cast<std::int32_t>(param(0, 6)));
    else if (n == "INTERVAL") {
      const bool ym = d.interval_from == "YEAR" || d.interval_from == "MONTH";
      t = ym ? rows::interval_year_month_type() : rows::interval_day_time_type();
    } else
      fail(loc, "CAST to " + to_sql(d) + " is not supported");
  } catch (const std::invalid_argument& e) {
    fail(loc, e.what());
  }
  return t.with_nullable(!d.not_null);
}

/// Flink's type of a numeric literal: INT, BIGINT, DECIMAL(p, s) or (with an exponent) DOUBLE.
std::pair<value, logical_type> number_literal(const std::string& text, location loc) {
  if (text.find_first_of("eE") != std::string::npos) {
    return {value(std::strtod(text.c_str(), nullptr)), rows::double_type().with_nullable(false)};
  }
  const auto dot = text.find('.');
  if (dot == std::string::npos) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size())
      fail(loc, "Numeric literal '" + text + "' is out of range (a DECIMAL value holds at most " +
                    std::to_string(rows::max_decimal_digits) + " digits)");
    if (v <= 2147483647)
      return {value(static_cast<std::int32_t>(v)), rows::int_type().with_nullable(false)};
    return {value(v), rows::bigint_type().with_nullable(false)};
  }
  const auto scale = static_cast<std::int32_t>(text.size() - dot - 1);
  std::string digits = text.substr(0, dot) + text.substr(dot + 1);
  const auto first = digits.find_first_not_of('0');
  const auto sig =
      static_cast<std::int32_t>(first == std::string::npos ? 0 : digits.size() - first);
  const std::int32_t precision = std::max({sig, scale, 1});
  if (precision > rows::max_decimal_digits)
    fail(loc, "Numeric literal '" + text + "' has more than " +
                  std::to_string(rows::max_decimal_digits) +
                  " digits (a DECIMAL value holds at most " +
                  std::to_string(rows::max_decimal_digits) + ")");
  std::int64_t unscaled = 0;
  rows::parse_decimal(text, precision, scale, unscaled);
  return {value(unscaled), rows::decimal_type(precision, scale).with_nullable(false)};
}

int fraction_digits(std::string_view s) {
  const auto dot = s.rfind('.');
  if (dot == std::string_view::npos) return 0;
  int n = 0;
  for (auto i = dot + 1; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) ++n;
  return std::min(n, 9);
}

/// INTERVAL 'value' unit [TO unit]: months (YEAR TO MONTH) or milliseconds (DAY TO SECOND).
std::pair<value, logical_type> interval_value(const interval_literal& iv, location loc) {
  static constexpr std::string_view order[] = {"DAY", "HOUR", "MINUTE", "SECOND"};
  static constexpr std::int64_t ms_of[] = {86'400'000, 3'600'000, 60'000, 1000};
  std::string_view text = iv.value;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  // Numbers separated by ' ', ':', '-' ; a '.' fraction on the last (seconds).
  std::vector<std::int64_t> parts;
  std::int64_t frac_ms = 0;
  std::size_t i = 0;
  auto bad = [&]() {
    fail(loc, "Illegal interval literal '" + iv.value + "' for " + iv.unit +
                  (iv.to_unit.empty() ? "" : " TO " + iv.to_unit));
  };
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j == i) bad();
    std::int64_t v = 0;
    if (std::from_chars(text.data() + i, text.data() + j, v).ec != std::errc()) bad();
    parts.push_back(v);
    i = j;
    if (i < text.size() && text[i] == '.') {
      ++i;
      std::size_t k = i;
      std::int64_t f = 0;
      int digits = 0;
      while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) {
        if (digits < 3) f = f * 10 + (text[k] - '0');
        ++digits;
        ++k;
      }
      for (; digits < 3; ++digits) f *= 10;
      frac_ms = f;
      i = k;
      if (i != text.size()) bad();
    } else if (i < text.size()) {
      if (text[i] != ' ' && text[i] != ':' && text[i] != '-') bad();
      ++i;
    }
  }
  if (parts.empty()) bad();
  for (auto v : parts)
    if (v > 999'999'999) bad();  // Flink: at most 9 digits in the leading field
  const std::string& from = iv.unit;
  const std::string& to = iv.to_unit.empty() ? iv.unit : iv.to_unit;
  const int sign = negative ? -1 : 1;
  if (from == "YEAR" || from == "MONTH" || from == "QUARTER") {
    std::int64_t months = 0;
    if (from == "YEAR" && to == "MONTH") {
      if (parts.size() != 2) bad();
      months = parts[0] * 12 + parts[1];
    } else {
      if (parts.size() != 1 || frac_ms != 0) bad();
      months = parts[0] * (from == "YEAR" ? 12 : from == "QUARTER" ? 3 : 1);
    }
    return {value(static_cast<std::int32_t>(sign * months)),
            rows::interval_year_month_type().with_nullable(false)};
  }
  std::int64_t ms = 0;
  if (from == "WEEK" || from == "MILLISECOND") {
    if (parts.size() != 1) bad();
    ms = from == "WEEK" ? parts[0] * 7 * 86'400'000 : parts[0];
  } else {
    const auto a = std::find(std::begin(order), std::end(order), from) - std::begin(order);
    const auto b = std::find(std::begin(order), std::end(order), to) - std::begin(order);
    if (a >= 4 || b >= 4 || b < a || static_cast<std::int64_t>(parts.size()) != b - a + 1) bad();
    for (auto u = a; u <= b; ++u) ms += parts[static_cast<std::size_t>(u - a)] * ms_of[u];
    if (frac_ms != 0 && to != "SECOND") bad();
    ms += frac_ms;
  }
  return {value(sign * ms), rows::interval_day_time_type().with_nullable(false)};
}

bool implicitly_castable(const logical_type& from, const logical_type& to) {
  if (from.id == type_id::null_) return true;
  if (from.id == to.id) return true;
  if (from.is_numeric() && to.is_numeric()) return true;
  if (from.is_character_string() && to.is_character_string()) return true;
  if (from.is_binary_string() && to.is_binary_string()) return true;
  if (from.id == type_id::date && to.is_timestamp()) return true;
  if (from.is_timestamp() && to.is_timestamp()) return true;
  return false;
}

class binder {
 public:
  binder(const scope& columns, const function_registry* functions)
      : columns_(columns), functions_(functions) {}

  node_ptr bind(const expr& e) {
    if (++depth_ > 400) fail(e.loc, "Expression nested too deeply");
    auto n = std::visit([&](const auto& x) { return bind_node(x, e); }, e.node);
    --depth_;
    return n;
  }

 private:
  static std::string text(const expr& e) { return to_sql(e); }

  // ---- leaves ----
  node_ptr bind_node(const identifier& id, const expr& e) {
    const auto& parts = id.parts;
    if (parts.size() > 2)
      fail(e.loc, "Field access '" + text(e) + "' on ROW columns is not supported");
    const std::string table = parts.size() == 2 ? parts[0].value : std::string();
    const std::string& name = parts.back().value;
    std::vector<std::size_t> hits;
    bool table_known = table.empty();
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (!table.empty() && columns_[i].table != table) continue;
      table_known = true;
      if (columns_[i].name == name) hits.push_back(i);
    }
    if (!table_known) {
      std::vector<std::string> tables;
      for (const auto& c : columns_) tables.push_back(c.table);
      fail(parts[0].loc, "Table '" + table + "' not found", nearest(table, tables));
    }
    if (hits.size() > 1) fail(parts.back().loc, "Column '" + name + "' is ambiguous");
    if (hits.empty()) {
      std::vector<std::string> names;
      for (const auto& c : columns_)
        if (table.empty() || c.table == table) names.push_back(c.name);
      fail(parts.back().loc,
           "Column '" + name + "' not found in " +
               (table.empty() ? std::string("any table") : "table '" + table + "'"),
           nearest(name, names));
    }
    return make_column_ref(hits[0], columns_[hits[0]].type, text(e));
  }

  static std::string nearest(const std::string& word, const std::vector<std::string>& names) {
    for (const auto& n : names)
      if (upper(n) == upper(word)) return n;
    std::vector<std::string_view> views(names.begin(), names.end());
    return nearest_keyword(word, views);
  }

  node_ptr bind_node(const literal& l, const expr& e) {
    switch (l.kind) {
      case literal_kind::number: {
        auto [v, t] = number_literal(l.text, e.loc);
        return make_literal(std::move(v), std::move(t), text(e));
      }
      case literal_kind::string: {
        // Flink types 'abc' as CHAR(3) NOT NULL; '' (CHAR(0) in Flink) is STRING here.
        auto t = l.text.empty() ? rows::string_type()
                                : rows::char_type(static_cast<std::int32_t>(
                                      std::min<std::size_t>(l.text.size(), rows::max_length)));
        return make_literal(value(l.text), t.with_nullable(false), text(e));
      }
      case literal_kind::binary: {
        if (l.text.size() % 2 != 0) fail(e.loc, "Binary literal with an odd number of hex digits");
        std::string bytes;
        for (std::size_t i = 0; i < l.text.size(); i += 2)
          bytes += static_cast<char>(std::stoi(l.text.substr(i, 2), nullptr, 16));
        auto t = bytes.empty() ? rows::bytes_type()
                               : rows::binary_type(static_cast<std::int32_t>(bytes.size()));
        return make_literal(value(bytes), t.with_nullable(false), text(e));
      }
      case literal_kind::boolean:
        return make_literal(value(l.text == "TRUE"), rows::boolean_type().with_nullable(false),
                            text(e));
      case literal_kind::null:
        return make_literal(value(), rows::null_type(), text(e));
    }
    fail(e.loc, "unknown literal");
  }

  node_ptr bind_node(const typed_literal& l, const expr& e) {
    const int p = fraction_digits(l.value);
    if (l.type == "DATE") {
      auto d = rows::parse_date(l.value);
      if (!d) fail(e.loc, "Illegal DATE literal '" + l.value + "'");
      return make_literal(value(*d), rows::date_type().with_nullable(false), text(e));
    }
    if (l.type == "TIME") {
      auto t = rows::parse_time(l.value);
      if (!t) fail(e.loc, "Illegal TIME literal '" + l.value + "'");
      return make_literal(value(*t), rows::time_type(p).with_nullable(false), text(e));
    }
    const bool ltz = l.type == "TIMESTAMP_LTZ";
    if (l.type == "TIMESTAMP" || ltz) {
      auto ts = rows::parse_timestamp(l.value, ltz);
      if (!ts) fail(e.loc, "Illegal " + l.type + " literal '" + l.value + "'");
      auto t = ltz ? rows::timestamp_ltz_type(p) : rows::timestamp_type(p);
      return make_literal(value(*ts), t.with_nullable(false), text(e));
    }
    fail(e.loc, l.type + " literals are not supported");
  }

  node_ptr bind_node(const interval_literal& l, const expr& e) {
    auto [v, t] = interval_value(l, e.loc);
    return make_literal(std::move(v), std::move(t), text(e));
  }

  // ---- operators ----
  node_ptr bind_node(const unary& u, const expr& e) {
    // A negative number is a literal (constant arguments such as ROUND(x, -1)).
    if (const auto* lit = u.operand->as<literal>();
        u.op == unary_op::minus && lit != nullptr && lit->kind == literal_kind::number) {
      auto [v, t] = number_literal(lit->text, u.operand->loc);
      if (auto* d = std::get_if<double>(&v.data)) *d = -*d;
      if (auto* i = std::get_if<std::int32_t>(&v.data)) *i = -*i;
      if (auto* l = std::get_if<std::int64_t>(&v.data)) *l = -*l;
      return make_literal(std::move(v), std::move(t), text(e));
    }
    auto a = bind(*u.operand);
    const auto& t = a->type();
    switch (u.op) {
      case unary_op::not_:
        return make_not(require_boolean(std::move(a), *u.operand, "NOT"), text(e));
      case unary_op::plus:
        if (!t.is_numeric() && t.id != type_id::null_)
          fail(e.loc, "Cannot apply '+' to " + type_text(t));
        return a;
      case unary_op::minus:
        if (t.is_numeric() || t.id == type_id::interval_day_time ||
            t.id == type_id::interval_year_month)
          return make_negate(std::move(a), text(e));
        if (t.id == type_id::null_) return a;
        fail(e.loc, "Cannot apply '-' to an operand of type " + type_text(t));
    }
    return a;
  }

  node_ptr require_boolean(node_ptr n, const expr& at, const std::string& what) {
    const auto& t = n->type();
    if (t.id == type_id::boolean) return n;
    if (t.id == type_id::null_) return make_literal(value(), rows::boolean_type(), n->to_string());
    fail(at.loc, "Operand of " + what + " must be BOOLEAN, not " + type_text(t));
  }

  node_ptr bind_node(const binary& b, const expr& e) {
    switch (b.op) {
      case binary_op::and_:
      case binary_op::or_: {
        auto l = require_boolean(bind(*b.left), *b.left, op_symbol(b.op));
        auto r = require_boolean(bind(*b.right), *b.right, op_symbol(b.op));
        return make_and_or(b.op == binary_op::and_, std::move(l), std::move(r), text(e));
      }
      case binary_op::eq:
      case binary_op::neq:
      case binary_op::lt:
      case binary_op::le:
      case binary_op::gt:
      case binary_op::ge:
        return comparison(b.op, bind(*b.left), bind(*b.right), e, false);
      case binary_op::concat:
        return concat(bind(*b.left), bind(*b.right), e);
      default:
        return arithmetic(b.op, bind(*b.left), bind(*b.right), e);
    }
  }

  static cmp_op to_cmp(binary_op op) {
    switch (op) {
      case binary_op::eq:
        return cmp_op::eq;
      case binary_op::neq:
        return cmp_op::neq;
      case binary_op::lt:
        return cmp_op::lt;
      case binary_op::le:
        return cmp_op::le;
      case binary_op::gt:
        return cmp_op::gt;
      default:
        return cmp_op::ge;
    }
  }

  node_ptr comparison(binary_op op, node_ptr l, node_ptr r, const expr& e, bool null_safe,
                      std::string shown = {}) {
    auto t = common_type(l->type(), r->type());
    if (t.id == type_id::null_) {
      if (l->type().id == type_id::null_ && r->type().id == type_id::null_) {
        t = rows::boolean_type();
      } else {
        fail(e.loc, "Cannot apply '" + (shown.empty() ? op_symbol(op) : shown) +
                        "' to arguments of type " + type_text(l->type()) + " and " +
                        type_text(r->type()));
      }
    }
    // Strings compare bytewise whatever their declared lengths: no cast needed.
    if (!(t.is_character_string() || t.is_binary_string())) {
      l = coerce(std::move(l), t);
      r = coerce(std::move(r), t);
    } else {
      if (l->type().id == type_id::null_) l = coerce(std::move(l), t);
      if (r->type().id == type_id::null_) r = coerce(std::move(r), t);
    }
    return make_compare(to_cmp(op), std::move(l), std::move(r), null_safe, text(e));
  }

  node_ptr concat(node_ptr l, node_ptr r, const expr& e) {
    const auto& a = l->type();
    const auto& b = r->type();
    auto ok = [](const logical_type& t) {
      return t.is_character_string() || t.id == type_id::null_;
    };
    if (!ok(a) || !ok(b))
      fail(e.loc,
           "Cannot apply '||' to arguments of type " + type_text(a) + " and " + type_text(b));
    const std::int64_t len = static_cast<std::int64_t>(a.id == type_id::null_ ? 0 : a.precision) +
                             (b.id == type_id::null_ ? 0 : b.precision);
    logical_type t =
        a.id == type_id::char_ && b.id == type_id::char_
            ? rows::char_type(
                  static_cast<std::int32_t>(std::min<std::int64_t>(len, rows::max_length)))
            : rows::varchar_type(
                  static_cast<std::int32_t>(std::clamp<std::int64_t>(len, 1, rows::max_length)));
    t.nullable = a.nullable || b.nullable;
    std::vector<node_ptr> args;
    args.push_back(coerce(std::move(l), rows::string_type()));
    args.push_back(coerce(std::move(r), rows::string_type()));
    return make_vector_function(
        std::move(args), t,
        [](std::span<const rows::column_vector* const> in, std::size_t n,
           rows::column_vector& out) {
          merge_nulls(out, {in[0], in[1]});
          const auto& x = in[0]->data<std::string>();
          const auto& y = in[1]->data<std::string>();
          auto& r = out.data<std::string>();
          for (std::size_t i = 0; i < n; ++i) {
            if (out.is_null(i)) continue;
            r[i].reserve(x[i].size() + y[i].size());
            r[i] = x[i];
            r[i] += y[i];
          }
        },
        text(e));
  }

  node_ptr arithmetic(binary_op op, node_ptr l, node_ptr r, const expr& e) {
    const auto& a = l->type();
    const auto& b = r->type();
    const bool a_time = a.is_timestamp() || a.id == type_id::date || a.id == type_id::time;
    const bool b_time = b.is_timestamp() || b.id == type_id::date || b.id == type_id::time;
    const bool a_iv = a.id == type_id::interval_day_time || a.id == type_id::interval_year_month;
    const bool b_iv = b.id == type_id::interval_day_time || b.id == type_id::interval_year_month;
    if ((op == binary_op::plus || op == binary_op::minus) && a_time && b_iv)
      return make_temporal_plus(std::move(l), std::move(r), op == binary_op::minus, text(e));
    if (op == binary_op::plus && a_iv && b_time)
      return make_temporal_plus(std::move(r), std::move(l), false, text(e));
    // INTERVAL +- INTERVAL (same kind), INTERVAL * integer, integer * INTERVAL, INTERVAL /
    // integer: integer arithmetic on months or milliseconds.
    if (a_iv || b_iv) {
      const bool same =
          a_iv && b_iv && a.id == b.id && (op == binary_op::plus || op == binary_op::minus);
      const bool scaled = (op == binary_op::multiply && (a_iv != b_iv) &&
                           (a_iv ? b.is_integer() : a.is_integer())) ||
                          (op == binary_op::divide && a_iv && b.is_integer());
      if (same || scaled) {
        auto t = (a_iv ? a : b).with_nullable(a.nullable || b.nullable);
        return make_arith(op, std::move(l), std::move(r), std::move(t), text(e));
      }
    }
    if (a.id == type_id::null_ || b.id == type_id::null_) {
      const auto& other = a.id == type_id::null_ ? b : a;
      if (other.is_numeric() || other.id == type_id::null_)
        return make_literal(
            value(), other.id == type_id::null_ ? rows::int_type() : other.with_nullable(true),
            text(e));
    }
    auto t = arith_result_type(op, a, b);
    if (t.id == type_id::null_)
      fail(e.loc, "Cannot apply '" + op_symbol(op) + "' to arguments of type " + type_text(a) +
                      " and " + type_text(b));
    return make_arith(op, std::move(l), std::move(r), std::move(t), text(e));
  }

  node_ptr bind_node(const is_test& t, const expr& e) {
    auto a = bind(*t.operand);
    if ((t.what == is_kind::true_ || t.what == is_kind::false_ || t.what == is_kind::unknown) &&
        a->type().id != type_id::boolean && a->type().id != type_id::null_)
      fail(e.loc, "Operand of IS " +
                      std::string(t.what == is_kind::true_    ? "TRUE"
                                  : t.what == is_kind::false_ ? "FALSE"
                                                              : "UNKNOWN") +
                      " must be BOOLEAN, not " + type_text(a->type()));
    return make_is(t.what, t.negated, std::move(a), text(e));
  }

  node_ptr bind_node(const is_distinct_from& d, const expr& e) {
    return comparison(d.negated ? binary_op::eq : binary_op::neq, bind(*d.left), bind(*d.right), e,
                      true, "IS DISTINCT FROM");
  }

  node_ptr bind_node(const in_list& in, const expr& e) {
    if (in.list.empty()) fail(e.loc, "IN needs at least one value");
    node_ptr acc;
    for (const auto& item : in.list) {
      auto c = comparison(binary_op::eq, bind(*in.operand), bind(item), item, false, "IN");
      acc = acc ? make_and_or(false, std::move(acc), std::move(c), text(e)) : std::move(c);
    }
    if (in.negated) acc = make_not(std::move(acc), text(e));
    acc->set_text(text(e));
    return acc;
  }

  node_ptr between_once(const between& b, const expr& lo, const expr& hi, const expr& e) {
    if (b.negated) {
      auto x = comparison(binary_op::lt, bind(*b.operand), bind(lo), e, false, "BETWEEN");
      auto y = comparison(binary_op::gt, bind(*b.operand), bind(hi), e, false, "BETWEEN");
      return make_and_or(false, std::move(x), std::move(y), text(e));
    }
    auto x = comparison(binary_op::ge, bind(*b.operand), bind(lo), e, false, "BETWEEN");
    auto y = comparison(binary_op::le, bind(*b.operand), bind(hi), e, false, "BETWEEN");
    return make_and_or(true, std::move(x), std::move(y), text(e));
  }

  node_ptr bind_node(const between& b, const expr& e) {
    auto n = between_once(b, *b.low, *b.high, e);
    if (b.symmetric)
      n = make_and_or(!b.negated ? false : true, std::move(n), between_once(b, *b.high, *b.low, e),
                      text(e));
    return n;
  }

  node_ptr bind_node(const like& l, const expr& e);  // functions.cpp via bind_builtin

  node_ptr bind_node(const case_expr& c, const expr& e) {
    std::vector<std::pair<node_ptr, node_ptr>> whens;
    logical_type t = rows::null_type();
    std::vector<node_ptr> results;
    for (const auto& w : c.whens) {
      node_ptr cond;
      if (c.operand) {
        cond = comparison(binary_op::eq, bind(*c.operand), bind(w.condition), w.condition, false,
                          "CASE");
      } else {
        cond = require_boolean(bind(w.condition), w.condition, "WHEN");
      }
      auto r = bind(w.result);
      auto merged = common_type(t, r->type());
      if (merged.id == type_id::null_ && r->type().id != type_id::null_)
        fail(w.result.loc, "CASE results of types " + type_text(t) + " and " +
                               type_text(r->type()) + " have no common type");
      t = merged;
      whens.emplace_back(std::move(cond), nullptr);
      results.push_back(std::move(r));
    }
    node_ptr otherwise;
    if (c.else_result) {
      otherwise = bind(*c.else_result);
      auto merged = common_type(t, otherwise->type());
      if (merged.id == type_id::null_ && otherwise->type().id != type_id::null_)
        fail(c.else_result->loc, "CASE results of types " + type_text(t) + " and " +
                                     type_text(otherwise->type()) + " have no common type");
      t = merged;
    } else {
      t.nullable = true;
    }
    if (t.id == type_id::null_) return make_literal(value(), t, text(e));
    for (std::size_t i = 0; i < whens.size(); ++i)
      whens[i].second = coerce(std::move(results[i]), t);
    if (otherwise) otherwise = coerce(std::move(otherwise), t);
    return make_case(std::move(whens), std::move(otherwise), t, text(e));
  }

  node_ptr bind_node(const cast& c, const expr& e) {
    auto a = bind(*c.operand);
    auto to = to_logical(*c.type, e.loc);
    const auto from = a->type();
    auto n = make_cast(std::move(a), to, c.try_cast, text(e));
    if (!n) fail(e.loc, "Cannot cast " + type_text(from) + " to " + type_text(to));
    return n;
  }

  node_ptr bind_node(const extract& x, const expr& e) {
    bound_call call;
    call.name = "EXTRACT";
    call.loc = e.loc;
    call.text = text(e);
    call.args.push_back(
        make_literal(value(x.unit), rows::string_type().with_nullable(false), x.unit));
    call.args.push_back(bind(*x.operand));
    auto r = bind_builtin(std::move(call));
    if (!r.node) fail(e.loc, r.error);
    return std::move(r.node);
  }

  node_ptr bind_node(const function_call& f, const expr& e) {
    const std::string name = upper(f.name.back().value);
    if (f.name.size() != 1)
      fail(e.loc, "Function '" + to_sql(e) + "': catalog functions are not supported");
    if (is_aggregate_name(name) || f.star || f.distinct || f.filter)
      fail(e.loc, "aggregate function " + name + " is not allowed here");
    if (f.over) fail(e.loc, "window function " + name + " is not allowed here");
    bound_call call;
    call.name = name;
    call.loc = e.loc;
    call.text = text(e);
    for (const auto& a : f.args) {
      if (a.name) fail(a.name->loc, "Named arguments are not supported in scalar function " + name);
      call.args.push_back(bind(*a.value));
    }
    if (f.syntax == call_syntax::position_in) call.name = "POSITION";
    if (f.syntax == call_syntax::substring_from) call.name = "SUBSTRING";
    if (f.syntax == call_syntax::trim || (name == "TRIM" && call.args.size() == 1)) {
      call.name = "TRIM";
      const std::string mode = f.trim_mode.empty() ? "BOTH" : f.trim_mode;
      if (call.args.size() == 1)
        call.args.insert(
            call.args.begin(),
            make_literal(value(std::string(" ")), rows::char_type(1).with_nullable(false), "' '"));
      call.args.insert(call.args.begin(),
                       make_literal(value(mode), rows::string_type().with_nullable(false), mode));
    }
    if (functions_ != nullptr) {
      if (auto n = user_function(call, f, e)) return n;
    }
    const auto arity = call.args.size();
    auto r = bind_builtin(std::move(call));
    if (r.node) return std::move(r.node);
    if (r.known) fail(e.loc, r.error);
    std::vector<std::string> names(builtin_names().begin(), builtin_names().end());
    if (functions_ != nullptr)
      for (auto& n : functions_->names()) names.push_back(upper(n));
    (void)arity;
    fail(f.name.back().loc, "No match found for function '" + f.name.back().value + "'",
         nearest(name, names));
  }

  node_ptr user_function(bound_call& call, const function_call& f, const expr& e) {
    auto candidates = functions_->find(call.name);
    const scalar_function* pick = nullptr;
    for (int pass = 0; pass < 2 && pick == nullptr; ++pass) {
      for (const auto* c : candidates) {
        if (c->parameters.size() != call.args.size()) continue;
        bool ok = true;
        for (std::size_t i = 0; i < call.args.size() && ok; ++i) {
          const auto& at = call.args[i]->type();
          const auto& pt = c->parameters[i];
          ok = pass == 0 ? at.id == pt.id : implicitly_castable(at, pt);
        }
        if (ok) {
          pick = c;
          break;
        }
      }
    }
    if (pick == nullptr) {
      if (candidates.empty()) return nullptr;
      std::string got;
      for (const auto& a : call.args) got += (got.empty() ? "" : ", ") + type_text(a->type());
      fail(f.name.back().loc,
           "No overload of function '" + f.name.back().value + "' takes arguments (" + got + ")");
    }
    bool nullable = false;
    for (std::size_t i = 0; i < call.args.size(); ++i) {
      nullable = nullable || call.args[i]->type().nullable;
      call.args[i] = coerce(std::move(call.args[i]), pick->parameters[i]);
    }
    auto result = pick->result;
    if (pick->per_row) {
      if (pick->null_on_null && nullable) result.nullable = true;
      auto fn = pick->per_row;
      return make_row_function(
          std::move(call.args), result,
          [fn](std::span<const value> a, const eval_context&) { return fn(a); }, pick->null_on_null,
          text(e));
    }
    return make_vector_function(std::move(call.args), result, pick->vectorised, text(e));
  }

  template <class T>
  node_ptr bind_node(const T&, const expr& e) {
    fail(e.loc, "'" + text(e) + "' is not supported in a scalar expression");
  }

  const scope& columns_;
  const function_registry* functions_;
  int depth_ = 0;
};

node_ptr binder::bind_node(const like& l, const expr& e) {
  bound_call call;
  call.name = l.similar ? "SIMILAR" : "LIKE";
  call.loc = e.loc;
  call.text = text(e);
  call.args.push_back(bind(*l.operand));
  call.args.push_back(bind(*l.pattern));
  if (l.escape) call.args.push_back(bind(*l.escape));
  auto r = bind_builtin(std::move(call));
  if (!r.node) fail(e.loc, r.error);
  if (l.negated) return make_not(std::move(r.node), text(e));
  return std::move(r.node);
}

}  // namespace

result<std::unique_ptr<vector_expr>> compile_expression(const expr& e, const scope& columns,
                                                        const function_registry* functions) {
  try {
    binder b(columns, functions);
    node_ptr n = b.bind(e);
    if (n->type().id == type_id::null_) n->set_type(rows::null_type());
    return std::unique_ptr<vector_expr>(std::move(n));
  } catch (const bind_failure& f) {
    return f.error;
  } catch (const std::invalid_argument& x) {
    parse_error err;
    err.where = e.loc;
    err.message = std::string(x.what()) + " " + position(e.loc) + ".";
    return err;
  }
}

void select_true(const vector_expr& predicate, const rows::row_batch& in,
                 std::vector<std::uint32_t>& rows, const eval_context& ctx) {
  rows::column_vector out;
  predicate.eval(in, out, ctx);
  rows.clear();
  const std::size_t n = in.size();
  if (out.type().physical() != rows::physical_kind::boolean) {
    if (out.type().id == type_id::null_) return;  // NULL: no row
    throw eval_error("select_true: predicate " + predicate.to_string() + " is not BOOLEAN");
  }
  const auto& v = out.data<std::uint8_t>();
  for (std::size_t i = 0; i < n; ++i)
    if (v[i] != 0 && !out.is_null(i)) rows.push_back(in.row(i));
}

logical_type common_value_type(const logical_type& a, const logical_type& b) {
  return detail::common_type(a, b);
}

}  // namespace eddy::sql
