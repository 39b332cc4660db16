// The printer, part 1: identifiers, data types, expressions (with the parentheses precedence
// needs; see prec:: in parser.hpp) and windows.
#include <cctype>

#include "eddy/sql/keywords.hpp"
#include "eddy/sql/printer.hpp"
#include "parser.hpp"
#include "printer_internal.hpp"

namespace eddy::sql {

std::string quote_ident(const ident& name) {
  const std::string& v = name.value;
  bool plain = !v.empty() && (std::isalpha(static_cast<unsigned char>(v[0])) || v[0] == '_');
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '_' && c != '$') plain = false;
  }
  if (plain && !name.quoted && !is_reserved(v)) return v;
  std::string out = "`";
  for (char c : v) {
    out += c;
    if (c == '`') out += '`';
  }
  out += '`';
  return out;
}

std::string quote_string(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  out += '\'';
  return out;
}

namespace detail {

namespace {

int binary_precedence(binary_op op) {
  switch (op) {
    case binary_op::or_:
      return prec::or_;
    case binary_op::and_:
      return prec::and_;
    case binary_op::concat:
      return prec::concat;
    case binary_op::plus:
    case binary_op::minus:
      return prec::additive;
    case binary_op::multiply:
    case binary_op::divide:
    case binary_op::modulo:
      return prec::multiplicative;
    default:
      return prec::comparison;
  }
}

int precedence_of(const expr& e) {
  if (const auto* b = e.as<binary>()) return binary_precedence(b->op);
  if (const auto* u = e.as<unary>()) return u->op == unary_op::not_ ? prec::not_ : prec::unary;
  if (e.as<is_test>() || e.as<is_distinct_from>()) return prec::is;
  if (e.as<in_list>() || e.as<in_subquery>() || e.as<between>() || e.as<like>()) {
    return prec::comparison;
  }
  if (e.as<subscript>() || e.as<field_access>()) return prec::postfix;
  return prec::atom;
}

void operand(std::string& out, const expr& e, bool parens) {
  if (parens) out += '(';
  print(out, e);
  if (parens) out += ')';
}

// Names that would read as syntax if written bare before '(' (a call of a function so named
// is backquoted).
bool special_before_paren(const std::string& name) {
  static constexpr std::string_view special[] = {
      "NOT",        "CASE",     "CAST",  "TRY_CAST", "EXTRACT", "EXISTS", "ROW",
      "DESCRIPTOR", "INTERVAL", "TABLE", "NULL",     "TRUE",    "FALSE"};
  const std::string up = to_upper(name);
  for (auto s : special) {
    if (up == s) return true;
  }
  return false;
}

void print_function_name(std::string& out, const object_name& name) {
  if (name.size() == 1) {
    const std::string& v = name[0].value;
    bool plain = !v.empty() && (std::isalpha(static_cast<unsigned char>(v[0])) || v[0] == '_');
    for (char c : v) {
      const auto u = static_cast<unsigned char>(c);
      if (!std::isalnum(u) && c != '_' && c != '$') plain = false;
    }
    if (plain && !special_before_paren(v)) {
      out += v;
      return;
    }
  }
  print(out, name);
}

void print_bound(std::string& out, const frame_bound& b) {
  switch (b.kind) {
    case bound_kind::unbounded_preceding:
      out += "UNBOUNDED PRECEDING";
      return;
    case bound_kind::unbounded_following:
      out += "UNBOUNDED FOLLOWING";
      return;
    case bound_kind::current_row:
      out += "CURRENT ROW";
      return;
    case bound_kind::preceding:
    case bound_kind::following:
      operand(out, *b.offset, precedence_of(*b.offset) <= prec::and_);
      out += b.kind == bound_kind::preceding ? " PRECEDING" : " FOLLOWING";
      return;
  }
}

struct expr_printer {
  std::string& out;

  void operator()(const identifier& x) { print(out, x.parts); }
  void operator()(const literal& x) {
    switch (x.kind) {
      case literal_kind::number:
        out += x.text;
        return;
      case literal_kind::string:
        out += quote_string(x.text);
        return;
      case literal_kind::binary:
        out += "X'" + x.text + "'";
        return;
      case literal_kind::boolean:
        out += x.text;
        return;
      case literal_kind::null:
        out += "NULL";
        return;
    }
  }
  void operator()(const typed_literal& x) { out += x.type + " " + quote_string(x.value); }
  void operator()(const interval_literal& x) {
    out += "INTERVAL " + quote_string(x.value) + " " + x.unit;
    if (x.precision) out += "(" + std::to_string(*x.precision) + ")";
    if (!x.to_unit.empty()) out += " TO " + x.to_unit;
  }
  void operator()(const unary& x) {
    if (x.op == unary_op::not_) {
      out += "NOT ";
      operand(out, *x.operand, precedence_of(*x.operand) < prec::not_);
      return;
    }
    out += x.op == unary_op::minus ? "-" : "+";
    // `- -a`, not `--a` (a comment) nor `-(-a)` (one more level of nesting than the source had,
    // which could push a statement at the depth limit over it).
    const auto* inner = x.operand->as<unary>();
    if (inner && inner->op != unary_op::not_) out += ' ';
    operand(out, *x.operand, precedence_of(*x.operand) < prec::unary);
  }
  void operator()(const binary& x) {
    const int p = binary_precedence(x.op);
    operand(out, *x.left, precedence_of(*x.left) < p);
    out += ' ';
    out += to_sql(x.op);
    out += ' ';
    operand(out, *x.right, precedence_of(*x.right) <= p);
  }
  void operator()(const is_test& x) {
    operand(out, *x.operand, precedence_of(*x.operand) < prec::is);
    out += x.negated ? " IS NOT " : " IS ";
    out += x.what == is_kind::null     ? "NULL"
           : x.what == is_kind::true_  ? "TRUE"
           : x.what == is_kind::false_ ? "FALSE"
                                       : "UNKNOWN";
  }
  void operator()(const is_distinct_from& x) {
    operand(out, *x.left, precedence_of(*x.left) < prec::is);
    out += x.negated ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ";
    operand(out, *x.right, precedence_of(*x.right) <= prec::is);
  }
  void operator()(const in_list& x) {
    operand(out, *x.operand, precedence_of(*x.operand) < prec::comparison);
    out += x.negated ? " NOT IN (" : " IN (";
    print_list(out, x.list);
    out += ')';
  }
  void operator()(const in_subquery& x) {
    operand(out, *x.operand, precedence_of(*x.operand) < prec::comparison);
    out += x.negated ? " NOT IN (" : " IN (";
    print(out, *x.subquery);
    out += ')';
  }
  void operator()(const between& x) {
    operand(out, *x.operand, precedence_of(*x.operand) < prec::comparison);
    out += x.negated ? " NOT BETWEEN " : " BETWEEN ";
    if (x.symmetric) out += "SYMMETRIC ";
    operand(out, *x.low, precedence_of(*x.low) <= prec::comparison);
    out += " AND ";
    operand(out, *x.high, precedence_of(*x.high) <= prec::comparison);
  }
  void operator()(const like& x) {
    operand(out, *x.operand, precedence_of(*x.operand) < prec::comparison);
    out += x.negated ? " NOT " : " ";
    out += x.similar ? "SIMILAR TO " : "LIKE ";
    operand(out, *x.pattern, precedence_of(*x.pattern) <= prec::comparison);
    if (x.escape) {
      out += " ESCAPE ";
      operand(out, *x.escape, precedence_of(*x.escape) <= prec::comparison);
    }
  }
  void operator()(const exists& x) {
    out += "EXISTS (";
    print(out, *x.subquery);
    out += ')';
  }
  void operator()(const subquery& x) {
    out += '(';
    print(out, *x.body);
    out += ')';
  }
  void operator()(const case_expr& x) {
    out += "CASE";
    if (x.operand) {
      out += ' ';
      print(out, *x.operand);
    }
    for (const auto& w : x.whens) {
      out += " WHEN ";
      print(out, w.condition);
      out += " THEN ";
      print(out, w.result);
    }
    if (x.else_result) {
      out += " ELSE ";
      print(out, *x.else_result);
    }
    out += " END";
  }
  void operator()(const cast& x) {
    out += x.try_cast ? "TRY_CAST(" : "CAST(";
    print(out, *x.operand);
    out += " AS ";
    print(out, *x.type);
    out += ')';
  }
  void operator()(const extract& x) {
    out += "EXTRACT(" + x.unit + " FROM ";
    print(out, *x.operand);
    out += ')';
  }
  void operator()(const function_call& x) {
    print_function_name(out, x.name);
    if (x.no_parens) return;
    out += '(';
    if (x.syntax != call_syntax::commas) {
      print_keyword_args(x);
      return;
    }
    if (x.star) out += '*';
    if (x.distinct) out += "DISTINCT ";
    for (std::size_t i = 0; i < x.args.size(); ++i) {
      if (i > 0) out += ", ";
      if (x.args[i].name) out += quote_ident(*x.args[i].name) + " => ";
      print(out, *x.args[i].value);
    }
    out += ')';
    if (x.filter) {
      out += " FILTER (WHERE ";
      print(out, *x.filter);
      out += ')';
    }
    if (x.over) {
      out += " OVER ";
      if (x.over->window_name) {
        out += quote_ident(*x.over->window_name);
      } else if (x.over->spec) {
        print(out, *x.over->spec);
      }
    }
  }
  // POSITION(a IN b), TRIM(... FROM s), SUBSTRING(s FROM a FOR b), OVERLAY(s PLACING r FROM a).
  void print_keyword_args(const function_call& x) {
    const auto& a = x.args;
    auto arg = [&](std::size_t i) {
      if (i < a.size()) print(out, *a[i].value);
    };
    switch (x.syntax) {
      case call_syntax::position_in:
        if (!a.empty()) operand(out, *a[0].value, precedence_of(*a[0].value) <= prec::comparison);
        out += " IN ";
        arg(1);
        break;
      case call_syntax::trim:
        if (!x.trim_mode.empty()) out += x.trim_mode + " ";
        if (a.size() > 1) {
          arg(0);
          out += ' ';
        }
        out += "FROM ";
        arg(a.size() - 1);
        break;
      case call_syntax::substring_from:
        arg(0);
        out += " FROM ";
        arg(1);
        if (a.size() > 2) {
          out += " FOR ";
          arg(2);
        }
        break;
      case call_syntax::overlay:
        arg(0);
        out += " PLACING ";
        arg(1);
        out += " FROM ";
        arg(2);
        if (a.size() > 3) {
          out += " FOR ";
          arg(3);
        }
        break;
      case call_syntax::commas:
        break;
    }
    out += ')';
  }
  void operator()(const grouping_sets& x) {
    out += "GROUPING SETS (";
    for (std::size_t i = 0; i < x.sets.size(); ++i) {
      if (i > 0) out += ", ";
      out += '(';
      print_list(out, x.sets[i]);
      out += ')';
    }
    out += ')';
  }
  void operator()(const table_arg& x) {
    out += "TABLE ";
    print(out, x.name);
    if (!x.partition_by.empty()) {
      out += " PARTITION BY ";
      if (x.partition_by.size() > 1) out += '(';
      print_list(out, x.partition_by);
      if (x.partition_by.size() > 1) out += ')';
    }
  }
  void operator()(const descriptor& x) {
    out += "DESCRIPTOR";
    print_ident_list(out, x.columns);
  }
  void operator()(const row_constructor& x) {
    out += "ROW(";
    print_list(out, x.fields);
    out += ')';
  }
  void operator()(const array_constructor& x) {
    out += "ARRAY[";
    print_list(out, x.items);
    out += ']';
  }
  void operator()(const map_constructor& x) {
    out += "MAP[";
    print_list(out, x.items);
    out += ']';
  }
  void operator()(const subscript& x) {
    operand(out, *x.base, precedence_of(*x.base) < prec::postfix);
    out += '[';
    print(out, *x.index);
    out += ']';
  }
  void operator()(const field_access& x) {
    // A name before the dot would merge into the name (a.b): parentheses keep it apart. A number
    // would take the dot (8.e3): a space does (8 .e3), without adding a level of nesting.
    operand(out, *x.base, precedence_of(*x.base) < prec::postfix || x.base->as<identifier>());
    const auto* number = x.base->as<literal>();
    if (number && number->kind == literal_kind::number) out += ' ';
    out += '.';
    out += quote_ident(x.field);
  }
};

}  // namespace

void print(std::string& out, const object_name& name) {
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (i > 0) out += '.';
    out += quote_ident(name[i]);
  }
}

void print_list(std::string& out, const std::vector<expr>& items) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    print(out, items[i]);
  }
}

void print_ident_list(std::string& out, const std::vector<ident>& items) {
  out += '(';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += quote_ident(items[i]);
  }
  out += ')';
}

void print(std::string& out, const expr& e) {
  std::visit(expr_printer{out}, e.node);
}

void print(std::string& out, const data_type& t) {
  if (t.name == "ARRAY" || t.name == "MULTISET") {
    out += t.name + "<";
    if (!t.children.empty()) print(out, t.children[0]);
    out += '>';
  } else if (t.name == "MAP") {
    out += "MAP<";
    if (t.children.size() == 2) {
      print(out, t.children[0]);
      out += ", ";
      print(out, t.children[1]);
    }
    out += '>';
  } else if (t.name == "ROW") {
    out += "ROW<";
    for (std::size_t i = 0; i < t.fields.size(); ++i) {
      if (i > 0) out += ", ";
      out += quote_ident(t.fields[i].name) + " ";
      if (t.fields[i].type) print(out, *t.fields[i].type);
      if (t.fields[i].description) out += " " + quote_string(*t.fields[i].description);
    }
    out += '>';
  } else if (t.name == "INTERVAL") {
    out += "INTERVAL " + t.interval_from;
    if (!t.interval_to.empty()) out += " TO " + t.interval_to;
  } else {
    static constexpr std::string_view builtin[] = {
        "BOOLEAN",   "TINYINT", "SMALLINT", "INT",     "BIGINT",    "FLOAT",
        "DOUBLE",    "DECIMAL", "CHAR",     "VARCHAR", "STRING",    "BINARY",
        "VARBINARY", "BYTES",   "DATE",     "TIME",    "TIMESTAMP", "TIMESTAMP_LTZ"};
    bool known = false;
    for (auto b : builtin) known = known || t.name == b;
    if (known) {
      out += t.name;
    } else {  // a user type: its dotted name, each part quoted as needed
      std::size_t start = 0;
      for (;;) {
        const std::size_t dot = t.name.find('.', start);
        out += quote_ident(ident{t.name.substr(start, dot - start), false, {}});
        if (dot == std::string::npos) break;
        out += '.';
        start = dot + 1;
      }
    }
    if (!t.params.empty()) {
      out += '(';
      for (std::size_t i = 0; i < t.params.size(); ++i) {
        if (i > 0) out += ", ";
        out += std::to_string(t.params[i]);
      }
      out += ')';
    }
  }
  if (t.not_null) out += " NOT NULL";
}

void print(std::string& out, const std::vector<order_item>& items) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    print(out, *items[i].value);
    if (items[i].ascending) out += *items[i].ascending ? " ASC" : " DESC";
    if (items[i].nulls_first) out += *items[i].nulls_first ? " NULLS FIRST" : " NULLS LAST";
  }
}

void print(std::string& out, const window_spec& w) {
  out += '(';
  bool space = false;
  auto sep = [&] {
    if (space) out += ' ';
    space = true;
  };
  if (w.base) {
    sep();
    out += quote_ident(*w.base);
  }
  if (!w.partition_by.empty()) {
    sep();
    out += "PARTITION BY ";
    print_list(out, w.partition_by);
  }
  if (!w.order_by.empty()) {
    sep();
    out += "ORDER BY ";
    print(out, w.order_by);
  }
  if (w.frame) {
    sep();
    out += w.frame->units == frame_units::rows ? "ROWS " : "RANGE ";
    if (w.frame->end) {
      out += "BETWEEN ";
      print_bound(out, w.frame->start);
      out += " AND ";
      print_bound(out, *w.frame->end);
    } else {
      print_bound(out, w.frame->start);
    }
  }
  out += ')';
}

}  // namespace detail

std::string to_sql(const expr& e) {
  std::string out;
  detail::print(out, e);
  return out;
}

std::string to_sql(const data_type& t) {
  std::string out;
  detail::print(out, t);
  return out;
}

const char* to_sql(binary_op op) {
  switch (op) {
    case binary_op::or_:
      return "OR";
    case binary_op::and_:
      return "AND";
    case binary_op::eq:
      return "=";
    case binary_op::neq:
      return "<>";
    case binary_op::lt:
      return "<";
    case binary_op::le:
      return "<=";
    case binary_op::gt:
      return ">";
    case binary_op::ge:
      return ">=";
    case binary_op::concat:
      return "||";
    case binary_op::plus:
      return "+";
    case binary_op::minus:
      return "-";
    case binary_op::multiply:
      return "*";
    case binary_op::divide:
      return "/";
    case binary_op::modulo:
      return "%";
  }
  return "?";
}

}  // namespace eddy::sql
