// Expressions: a Pratt parser (sqlparser-rs's parse_subexpr / get_next_precedence), function
// calls, OVER windows, CASE, CAST, literals.
#include <array>

#include "eddy/sql/keywords.hpp"
#include "parser.hpp"

namespace eddy::sql {

namespace {

struct binary_symbol {
  std::string_view text;
  binary_op op;
  int precedence;
};

constexpr std::array<binary_symbol, 13> binary_symbols = {{
    {"=", binary_op::eq, prec::comparison},
    {"<>", binary_op::neq, prec::comparison},
    {"!=", binary_op::neq, prec::comparison},
    {"<", binary_op::lt, prec::comparison},
    {"<=", binary_op::le, prec::comparison},
    {">", binary_op::gt, prec::comparison},
    {">=", binary_op::ge, prec::comparison},
    {"||", binary_op::concat, prec::concat},
    {"+", binary_op::plus, prec::additive},
    {"-", binary_op::minus, prec::additive},
    {"*", binary_op::multiply, prec::multiplicative},
    {"/", binary_op::divide, prec::multiplicative},
    {"%", binary_op::modulo, prec::multiplicative},
}};

const binary_symbol* find_binary(const token& t) {
  if (t.kind != token_kind::symbol) return nullptr;
  for (const auto& b : binary_symbols) {
    if (b.text == t.text) return &b;
  }
  return nullptr;
}

bool is_name_token(const token& t) {
  return t.kind == token_kind::word || t.kind == token_kind::quoted_ident;
}

ident to_ident(const token& t) {
  return ident{t.text, t.kind == token_kind::quoted_ident, t.loc};
}

// Interval units (plural forms are read as singular, as Flink does).
std::string interval_unit(const token& t) {
  static constexpr std::string_view units[] = {"YEAR", "QUARTER", "MONTH",  "WEEK",       "DAY",
                                               "HOUR", "MINUTE",  "SECOND", "MILLISECOND"};
  if (t.kind != token_kind::word) return {};
  std::string up = to_upper(t.text);
  for (auto u : units) {
    if (up == u) return up;
    if (up.size() == u.size() + 1 && up.back() == 'S' && up.starts_with(u)) return std::string(u);
  }
  return {};
}

constexpr std::string_view niladic_functions[] = {"CURRENT_TIMESTAMP", "CURRENT_DATE",
                                                  "CURRENT_TIME", "LOCALTIME", "LOCALTIMESTAMP"};

}  // namespace

bool parser::peek_query_start(std::size_t ahead) const {
  while (peek(ahead).is_symbol("(")) ++ahead;
  const token& t = peek(ahead);
  return t.is_word("SELECT") || t.is_word("WITH") || t.is_word("VALUES");
}

expr parser::parse_expr() {
  return parse_subexpr(prec::lowest);
}

expr parser::parse_subexpr(int min_precedence) {
  depth_guard guard(*this);
  expr left = parse_prefix();
  // Each operator applied deepens the (left-leaning) tree by one: count it against the height
  // limit until this call returns, so the tree never grows taller than max_height.
  std::uint32_t applied = 0;
  struct release {
    parser& p;
    std::uint32_t& n;
    ~release() { p.end_chain(n); }
  } r{*this, applied};
  for (;;) {
    const int p = next_precedence();
    if (p <= min_precedence) break;
    extend_chain();
    ++applied;
    left = parse_infix(std::move(left), p);
  }
  return left;
}

int parser::next_precedence() {
  const token& t = peek();
  if (t.kind == token_kind::symbol) {
    if (const auto* b = find_binary(t)) return b->precedence;
    if (t.text == "[") return prec::postfix;
    if (t.text == "." && is_name_token(peek(1))) return prec::postfix;
    return prec::lowest;
  }
  if (t.kind != token_kind::word) return prec::lowest;
  if (t.is_word("OR")) return prec::or_;
  if (t.is_word("AND")) return prec::and_;
  if (t.is_word("IS")) return prec::is;
  if (t.is_word("IN") || t.is_word("BETWEEN") || t.is_word("LIKE") || t.is_word("SIMILAR")) {
    return prec::comparison;
  }
  // NOT after an operand can only be NOT IN / BETWEEN / LIKE / SIMILAR TO (an error names them).
  if (t.is_word("NOT")) return prec::comparison;
  return prec::lowest;
}

expr parser::parse_prefix() {
  const token& t = peek();
  const location loc = t.loc;
  auto make = [&](auto node) { return expr{std::move(node), loc}; };
  switch (t.kind) {
    case token_kind::number:
      next();
      return make(literal{literal_kind::number, t.text});
    case token_kind::string:
      next();
      return make(literal{literal_kind::string, t.text});
    case token_kind::binary:
      next();
      return make(literal{literal_kind::binary, t.text});
    case token_kind::symbol:
      if (t.text == "(") {
        if (peek_query_start(1)) {
          next();
          query q = parse_query();
          expect_symbol(")");
          return make(subquery{std::move(q)});
        }
        next();
        expr first = parse_expr();
        if (accept_symbol(",")) {
          row_constructor row;
          row.fields.push_back(std::move(first));
          do {
            row.fields.push_back(parse_expr());
          } while (accept_symbol(","));
          expect_symbol(")");
          return make(std::move(row));
        }
        expect_symbol(")");
        return first;
      }
      if (t.text == "-" || t.text == "+") {
        next();
        expr operand = parse_subexpr(prec::unary);
        return make(unary{t.text == "-" ? unary_op::minus : unary_op::plus, std::move(operand)});
      }
      break;
    case token_kind::quoted_ident:
      break;
    case token_kind::word: {
      const std::string up = to_upper(t.text);
      const bool call = peek(1).is_symbol("(");
      if (up == "NOT") {
        next();
        expr operand = parse_subexpr(prec::not_);
        return make(unary{unary_op::not_, std::move(operand)});
      }
      if (up == "TRUE" || up == "FALSE") {
        next();
        return make(literal{literal_kind::boolean, up});
      }
      if (up == "NULL") {
        next();
        return make(literal{literal_kind::null, {}});
      }
      if (up == "CASE") {
        next();
        return parse_case(loc);
      }
      if ((up == "CAST" || up == "TRY_CAST") && call) {
        next();
        next();
        cast c;
        c.try_cast = up == "TRY_CAST";
        c.operand = parse_expr();
        expect_keyword("AS");
        c.type = parse_data_type();
        expect_symbol(")");
        return make(std::move(c));
      }
      if (up == "EXTRACT" && call) {
        next();
        next();
        extract x;
        if (peek().kind != token_kind::word) {
          expected("<time unit>");
          unexpected();
        }
        x.unit = to_upper(next().text);
        expect_keyword("FROM");
        x.operand = parse_expr();
        expect_symbol(")");
        return make(std::move(x));
      }
      if (up == "EXISTS" && call) {
        next();
        next();
        query q = parse_query();
        expect_symbol(")");
        return make(exists{std::move(q)});
      }
      if (up == "INTERVAL") {
        next();
        return parse_interval(loc);
      }
      if ((up == "DATE" || up == "TIME" || up == "TIMESTAMP") &&
          peek(1).kind == token_kind::string) {
        next();
        return make(typed_literal{up, next().text});
      }
      if (up == "ROW" && call) {
        next();
        next();
        row_constructor row;
        if (!accept_symbol(")")) {
          row.fields = parse_expr_list();
          expect_symbol(")");
        }
        return make(std::move(row));
      }
      if ((up == "ARRAY" || up == "MAP") && peek(1).is_symbol("[")) {
        next();
        next();
        std::vector<expr> items;
        if (!accept_symbol("]")) {
          items = parse_expr_list();
          expect_symbol("]");
        }
        if (up == "ARRAY") return make(array_constructor{std::move(items)});
        return make(map_constructor{std::move(items)});
      }
      if (up == "DESCRIPTOR" && call) {
        next();
        return make(descriptor{parse_ident_list()});
      }
      if (!call) {
        for (auto f : niladic_functions) {
          if (up == f) {
            next();
            function_call fc;
            fc.name = {to_ident(t)};
            fc.no_parens = true;
            return make(std::move(fc));
          }
        }
      }
      if (call && (up == "POSITION" || up == "TRIM" || up == "SUBSTRING" || up == "OVERLAY")) {
        if (auto special = parse_keyword_call(up, loc)) return std::move(*special);
      }
      if (call) {  // any word followed by ( is a call: HOUR(ts), LEFT(s, 3), MOD(a, b), ...
        next();
        return parse_function_call({to_ident(t)}, loc);
      }
      if (is_reserved(t.text)) {
        expected("<expression>");
        unexpected();
      }
      break;
    }
    case token_kind::end:
      break;
  }
  if (!is_name_token(t)) {
    expected("<expression>");
    unexpected();
  }
  // A name: a column, a qualified column or a ROW field (a.b.c), or a qualified function.
  next();
  object_name parts{to_ident(t)};
  while (peek().is_symbol(".") && is_name_token(peek(1))) {
    next();
    parts.push_back(to_ident(next()));
  }
  if (peek().is_symbol("(")) return parse_function_call(std::move(parts), loc);
  return make(identifier{std::move(parts)});
}

expr parser::parse_infix(expr left, int precedence) {
  const token& t = peek();
  const location loc = left.loc;
  auto make = [&](auto node) { return expr{std::move(node), loc}; };
  if (const auto* b = find_binary(t)) {
    next();
    expr right = parse_subexpr(precedence);
    return make(binary{b->op, std::move(left), std::move(right)});
  }
  if (t.is_symbol("[")) {
    next();
    expr index = parse_expr();
    expect_symbol("]");
    return make(subscript{std::move(left), std::move(index)});
  }
  if (t.is_symbol(".")) {
    next();
    return make(field_access{std::move(left), expect_field_name()});
  }
  if (t.is_word("AND") || t.is_word("OR")) {
    next();
    expr right = parse_subexpr(precedence);
    return make(binary{t.is_word("AND") ? binary_op::and_ : binary_op::or_, std::move(left),
                       std::move(right)});
  }
  if (t.is_word("IS")) {
    next();
    const bool negated = accept_keyword("NOT");
    if (accept_keyword("NULL")) return make(is_test{std::move(left), is_kind::null, negated});
    if (accept_keyword("TRUE")) return make(is_test{std::move(left), is_kind::true_, negated});
    if (accept_keyword("FALSE")) return make(is_test{std::move(left), is_kind::false_, negated});
    if (accept_keyword("UNKNOWN")) {
      return make(is_test{std::move(left), is_kind::unknown, negated});
    }
    if (accept_keyword("DISTINCT")) {
      expect_keyword("FROM");
      expr right = parse_subexpr(prec::is);
      return make(is_distinct_from{std::move(left), std::move(right), negated});
    }
    unexpected();
  }
  const bool negated = accept_keyword("NOT");
  if (accept_keyword("IN")) {
    expect_symbol("(");
    if (peek_query_start()) {
      query q = parse_query();
      expect_symbol(")");
      return make(in_subquery{std::move(left), std::move(q), negated});
    }
    std::vector<expr> list = parse_expr_list();
    expect_symbol(")");
    return make(in_list{std::move(left), std::move(list), negated});
  }
  if (accept_keyword("BETWEEN")) {
    between b;
    b.operand = std::move(left);
    b.negated = negated;
    if (accept_keyword("SYMMETRIC")) {
      b.symmetric = true;
    } else {
      accept_keyword("ASYMMETRIC");
    }
    b.low = parse_subexpr(prec::comparison);
    expect_keyword("AND");
    b.high = parse_subexpr(prec::comparison);
    return make(std::move(b));
  }
  const bool similar = accept_keywords({"SIMILAR", "TO"});
  if (similar || accept_keyword("LIKE")) {
    like l;
    l.operand = std::move(left);
    l.negated = negated;
    l.similar = similar;
    l.pattern = parse_subexpr(prec::comparison);
    if (accept_keyword("ESCAPE")) l.escape = parse_subexpr(prec::comparison);
    return make(std::move(l));
  }
  unexpected();
}

expr parser::parse_function_call(object_name name, location loc) {
  expect_symbol("(");
  function_call f;
  f.name = std::move(name);
  if (accept_symbol(")")) {
    // no arguments
  } else if (peek().is_symbol("*") && peek(1).is_symbol(")")) {
    next();
    next();
    f.star = true;
  } else {
    if (accept_keyword("DISTINCT")) {
      f.distinct = true;
    } else {
      accept_keyword("ALL");
    }
    do {
      function_arg a;
      if (is_name_token(peek()) && peek(1).is_symbol("=>")) {
        a.name = to_ident(next());
        next();
      }
      if (peek().is_word("TABLE") && is_name_token(peek(1))) {
        const location at = next().loc;
        table_arg arg{expect_object_name(), {}};
        if (accept_keywords({"PARTITION", "BY"})) {  // PARTITION BY a | PARTITION BY (a, b)
          if (accept_symbol("(")) {
            arg.partition_by = parse_expr_list();
            expect_symbol(")");
          } else {
            arg.partition_by.push_back(parse_expr());
          }
        }
        a.value = expr{std::move(arg), at};
      } else {
        a.value = parse_expr();
      }
      f.args.push_back(std::move(a));
    } while (accept_symbol(","));
    expect_symbol(")");
  }
  if (peek().is_word("FILTER") && peek(1).is_symbol("(")) {
    next();
    next();
    expect_keyword("WHERE");
    f.filter = parse_expr();
    expect_symbol(")");
  }
  if (accept_keyword("OVER")) {
    over_clause o;
    if (peek().is_symbol("(")) {
      o.spec = parse_window_spec();
    } else {
      o.window_name = expect_ident();
    }
    f.over = std::move(o);
  }
  return expr{std::move(f), loc};
}

std::optional<expr> parser::parse_keyword_call(const std::string& name, location loc) {
  // Tried first; on a comma form (`SUBSTRING(s, 1, 2)`) the caller reads a plain call instead.
  const std::size_t start = position();
  const token& name_token = next();
  next();  // (
  function_call f;
  f.name = {to_ident(name_token)};
  auto arg = [](expr e) { return function_arg{std::nullopt, std::move(e)}; };
  auto plain = [&]() -> std::optional<expr> {
    rewind(start);
    return std::nullopt;
  };
  if (name == "POSITION") {
    expr needle = parse_subexpr(prec::comparison);  // stops before IN
    if (!accept_keyword("IN")) return plain();
    f.syntax = call_syntax::position_in;
    f.args.push_back(arg(std::move(needle)));
    f.args.push_back(arg(parse_expr()));
  } else if (name == "TRIM") {
    for (const char* mode : {"BOTH", "LEADING", "TRAILING"}) {
      if (f.trim_mode.empty() && accept_keyword(mode)) f.trim_mode = mode;
    }
    f.syntax = call_syntax::trim;
    if (!f.trim_mode.empty() && accept_keyword("FROM")) {
      f.args.push_back(arg(parse_expr()));
    } else {
      expr chars = parse_expr();
      if (!accept_keyword("FROM")) {
        if (!f.trim_mode.empty()) unexpected();
        return plain();
      }
      f.args.push_back(arg(std::move(chars)));
      f.args.push_back(arg(parse_expr()));
    }
  } else {
    expr s = parse_expr();
    if (name == "OVERLAY") {
      if (!accept_keyword("PLACING")) return plain();
      f.syntax = call_syntax::overlay;
      f.args.push_back(arg(std::move(s)));
      f.args.push_back(arg(parse_expr()));
      expect_keyword("FROM");
    } else {
      if (!accept_keyword("FROM")) return plain();
      f.syntax = call_syntax::substring_from;
      f.args.push_back(arg(std::move(s)));
    }
    f.args.push_back(arg(parse_expr()));
    if (accept_keyword("FOR")) f.args.push_back(arg(parse_expr()));
  }
  expect_symbol(")");
  return expr{std::move(f), loc};
}

expr parser::parse_case(location loc) {
  case_expr c;
  if (!peek_keyword("WHEN")) c.operand = parse_expr();
  do {
    expect_keyword("WHEN");
    expr condition = parse_expr();
    expect_keyword("THEN");
    expr result = parse_expr();
    c.whens.push_back(when_clause{std::move(condition), std::move(result)});
  } while (peek_keyword("WHEN"));
  if (accept_keyword("ELSE")) c.else_result = parse_expr();
  expect_keyword("END");
  return expr{std::move(c), loc};
}

expr parser::parse_interval(location loc) {
  interval_literal i;
  i.value = expect_string();
  i.unit = interval_unit(peek());
  if (i.unit.empty()) {
    expected("<time unit>");
    unexpected();
  }
  next();
  if (accept_symbol("(")) {
    i.precision = expect_integer();
    expect_symbol(")");
  }
  if (accept_keyword("TO")) {
    i.to_unit = interval_unit(peek());
    if (i.to_unit.empty()) {
      expected("<time unit>");
      unexpected();
    }
    next();
  }
  return expr{std::move(i), loc};
}

std::vector<expr> parser::parse_expr_list() {
  std::vector<expr> out;
  do {
    out.push_back(parse_expr());
  } while (accept_symbol(","));
  return out;
}

std::vector<order_item> parser::parse_order_by_list() {
  std::vector<order_item> out;
  do {
    order_item o;
    o.value = parse_expr();
    if (accept_keyword("ASC")) {
      o.ascending = true;
    } else if (accept_keyword("DESC")) {
      o.ascending = false;
    }
    if (accept_keyword("NULLS")) {
      if (accept_keyword("FIRST")) {
        o.nulls_first = true;
      } else {
        expect_keyword("LAST");
        o.nulls_first = false;
      }
    }
    out.push_back(std::move(o));
  } while (accept_symbol(","));
  return out;
}

window_spec parser::parse_window_spec() {
  depth_guard guard(*this);
  expect_symbol("(");
  window_spec w;
  const token& t = peek();
  if (peek_ident() && !t.is_word("PARTITION") && !t.is_word("ROWS") && !t.is_word("RANGE")) {
    w.base = expect_ident();
  }
  if (accept_keywords({"PARTITION", "BY"})) w.partition_by = parse_expr_list();
  if (accept_keywords({"ORDER", "BY"})) w.order_by = parse_order_by_list();
  const bool rows = accept_keyword("ROWS");
  if (rows || accept_keyword("RANGE")) {
    window_frame f;
    f.units = rows ? frame_units::rows : frame_units::range;
    if (accept_keyword("BETWEEN")) {
      f.start = parse_frame_bound();
      expect_keyword("AND");
      f.end = parse_frame_bound();
    } else {
      f.start = parse_frame_bound();
    }
    w.frame = std::move(f);
  }
  expect_symbol(")");
  return w;
}

frame_bound parser::parse_frame_bound() {
  frame_bound b;
  if (accept_keyword("UNBOUNDED")) {
    if (accept_keyword("PRECEDING")) {
      b.kind = bound_kind::unbounded_preceding;
    } else {
      expect_keyword("FOLLOWING");
      b.kind = bound_kind::unbounded_following;
    }
    return b;
  }
  if (accept_keywords({"CURRENT", "ROW"})) {
    b.kind = bound_kind::current_row;
    return b;
  }
  b.offset = parse_subexpr(prec::and_);
  if (accept_keyword("PRECEDING")) {
    b.kind = bound_kind::preceding;
  } else {
    expect_keyword("FOLLOWING");
    b.kind = bound_kind::following;
  }
  return b;
}

}  // namespace eddy::sql
