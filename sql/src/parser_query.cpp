// Queries: WITH, set operations, SELECT, FROM items and joins.
#include "eddy/sql/keywords.hpp"
#include "parser.hpp"

namespace eddy::sql {

namespace {

bool is_name_token(const token& t) {
  return t.kind == token_kind::word || t.kind == token_kind::quoted_ident;
}

}  // namespace

query parser::parse_query() {
  depth_guard guard(*this);
  query q;
  q.loc = peek().loc;
  if (accept_keyword("WITH")) {
    do {
      common_table cte;
      cte.name = expect_ident();
      if (peek().is_symbol("(")) cte.columns = parse_ident_list();
      expect_keyword("AS");
      expect_symbol("(");
      cte.body = parse_query();
      expect_symbol(")");
      q.with.push_back(std::move(cte));
    } while (accept_symbol(","));
  }
  q.body = parse_set_expr(prec::lowest);
  if (accept_keywords({"ORDER", "BY"})) q.order_by = parse_order_by_list();
  if (accept_keyword("LIMIT")) q.limit = parse_expr();
  if (accept_keyword("OFFSET")) {
    q.offset = parse_expr();
    if (!accept_keyword("ROWS")) accept_keyword("ROW");
  }
  if (accept_keyword("FETCH")) {
    if (!accept_keyword("FIRST")) expect_keyword("NEXT");
    q.limit = parse_expr();
    if (!accept_keyword("ROWS")) expect_keyword("ROW");
    expect_keyword("ONLY");
  }
  return q;
}

set_expr parser::parse_set_expr(int min_precedence) {
  depth_guard guard(*this);
  set_expr left;
  if (peek_keyword("SELECT")) {
    left.node = parse_select();
  } else if (accept_keyword("VALUES")) {
    values v;
    do {
      expect_symbol("(");
      v.rows.push_back(parse_expr_list());
      expect_symbol(")");
    } while (accept_symbol(","));
    left.node = std::move(v);
  } else if (peek_symbol("(")) {
    next();
    left.node = box<query>(parse_query());
    expect_symbol(")");
  } else {
    unexpected();
  }
  std::uint32_t applied = 0;
  struct release {
    parser& p;
    std::uint32_t& n;
    ~release() { p.end_chain(n); }
  } r{*this, applied};
  for (;;) {
    set_operator op{};
    int p = 0;
    if (peek_keyword("UNION")) {
      op = set_operator::union_;
      p = 10;
    } else if (peek_keyword("EXCEPT")) {
      op = set_operator::except;
      p = 10;
    } else if (peek_keyword("INTERSECT")) {
      op = set_operator::intersect;
      p = 20;
    }
    if (p <= min_precedence) break;
    extend_chain();
    ++applied;
    next();
    set_operation s;
    s.op = op;
    if (accept_keyword("ALL")) {
      s.all = true;
    } else {
      accept_keyword("DISTINCT");
    }
    s.left = std::move(left);
    s.right = parse_set_expr(p);
    left = set_expr{std::move(s)};
  }
  return left;
}

select_core parser::parse_select() {
  expect_keyword("SELECT");
  select_core s;
  if (accept_keyword("DISTINCT")) {
    s.distinct = true;
  } else {
    accept_keyword("ALL");
  }
  do {
    s.items.push_back(parse_select_item());
  } while (accept_symbol(","));
  if (accept_keyword("FROM")) {
    do {
      s.from.push_back(parse_table_with_joins());
    } while (accept_symbol(","));
  }
  if (accept_keyword("WHERE")) s.where = parse_expr();
  if (accept_keywords({"GROUP", "BY"})) {
    do {
      s.group_by.push_back(parse_group_by_element());
    } while (accept_symbol(","));
  }
  if (accept_keyword("HAVING")) s.having = parse_expr();
  if (accept_keyword("WINDOW")) {
    do {
      named_window w;
      w.name = expect_ident();
      expect_keyword("AS");
      w.spec = parse_window_spec();
      s.windows.push_back(std::move(w));
    } while (accept_symbol(","));
  }
  return s;
}

namespace {
// CUBE over more elements than this is refused (2^n grouping sets).
constexpr std::size_t max_cube_elements = 10;

bool starts_rollup_or_cube(const token& t, const token& after) {
  return (t.is_word("ROLLUP") || t.is_word("CUBE")) && after.is_symbol("(");
}
}  // namespace

expr parser::parse_group_by_element() {
  const location loc = peek().loc;
  if (peek().is_word("GROUPING") && peek(1).is_word("SETS")) {
    next();
    next();
    expect_symbol("(");
    grouping_sets g;
    do {
      parse_grouping_set_element(g.sets);
    } while (accept_symbol(","));
    expect_symbol(")");
    return expr{std::move(g), loc};
  }
  if (starts_rollup_or_cube(peek(), peek(1)))
    return expr{grouping_sets{parse_rollup_or_cube()}, loc};
  return parse_expr();
}

void parser::parse_grouping_set_element(std::vector<std::vector<expr>>& sets) {
  if (starts_rollup_or_cube(peek(), peek(1))) {
    for (auto& set : parse_rollup_or_cube()) sets.push_back(std::move(set));
  } else if (accept_symbol("(")) {
    std::vector<expr> set;
    if (!accept_symbol(")")) {
      set = parse_expr_list();
      expect_symbol(")");
    }
    sets.push_back(std::move(set));
  } else {
    sets.push_back({parse_expr()});
  }
}

std::vector<std::vector<expr>> parser::parse_rollup_or_cube() {
  const bool cube = next().is_word("CUBE");
  expect_symbol("(");
  std::vector<std::vector<expr>> elements;  // each a parenthesized list or one expression
  do {
    if (accept_symbol("(")) {
      elements.push_back(parse_expr_list());
      expect_symbol(")");
    } else {
      elements.push_back({parse_expr()});
    }
  } while (accept_symbol(","));
  if (cube && elements.size() > max_cube_elements)
    fail_here("CUBE over more than " + std::to_string(max_cube_elements) +
              " elements (2^n grouping sets) is not supported");
  expect_symbol(")");
  // ROLLUP (a, b): (a, b), (a), (). CUBE (a, b): (a, b), (a), (b), () (the first element the
  // highest bit of a descending mask).
  std::vector<std::vector<expr>> sets;
  const std::size_t n = elements.size();
  const auto add = [&](auto&& wanted) {
    std::vector<expr> set;
    for (std::size_t i = 0; i < n; ++i)
      if (wanted(i)) set.insert(set.end(), elements[i].begin(), elements[i].end());
    sets.push_back(std::move(set));
  };
  if (cube) {
    for (std::size_t mask = (std::size_t{1} << n); mask-- > 0;)
      add([&](std::size_t i) { return (mask >> (n - 1 - i)) & 1; });
  } else {
    for (std::size_t k = n + 1; k-- > 0;) add([&](std::size_t i) { return i < k; });
  }
  return sets;
}

select_item parser::parse_select_item() {
  select_item item;
  if (accept_symbol("*")) {
    item.what = select_item::kind::wildcard;
    return item;
  }
  // t.* / db.t.*: names joined by dots, then .*
  std::size_t n = 0;
  while (is_name_token(peek(n)) && peek(n + 1).is_symbol(".")) n += 2;
  if (n > 0 && peek(n).is_symbol("*")) {
    item.what = select_item::kind::qualified_wildcard;
    for (std::size_t i = 0; i < n; i += 2) {
      const token& t = next();
      item.qualifier.push_back(ident{t.text, t.kind == token_kind::quoted_ident, t.loc});
      next();
    }
    next();
    return item;
  }
  item.value = parse_expr();
  if (accept_keyword("AS")) {
    item.alias = expect_ident();
  } else if (peek_ident()) {
    item.alias = expect_ident();
    mark_implicit_alias();
  }
  return item;
}

table_with_joins parser::parse_table_with_joins() {
  table_with_joins t;
  t.relation = parse_table_factor();
  for (;;) {
    join j;
    if (accept_keywords({"CROSS", "JOIN"})) {
      j.kind = join_kind::cross;
      j.relation = parse_table_factor();
      t.joins.push_back(std::move(j));
      continue;
    }
    if (accept_keyword("JOIN") || accept_keywords({"INNER", "JOIN"})) {
      j.kind = join_kind::inner;
    } else if (peek_keyword("LEFT") || peek_keyword("RIGHT") || peek_keyword("FULL")) {
      const std::string up = to_upper(next().text);
      j.kind = up == "LEFT" ? join_kind::left : up == "RIGHT" ? join_kind::right : join_kind::full;
      accept_keyword("OUTER");
      expect_keyword("JOIN");
    } else {
      break;
    }
    j.relation = parse_table_factor();
    if (accept_keyword("ON")) {
      j.on = parse_expr();
    } else if (accept_keyword("USING")) {
      j.using_columns = parse_ident_list();
    }
    t.joins.push_back(std::move(j));
  }
  return t;
}

table_factor parser::parse_table_factor() {
  depth_guard guard(*this);
  table_factor f;
  f.loc = peek().loc;
  const bool lateral = accept_keyword("LATERAL");
  if (peek_keyword("TABLE") && peek(1).is_symbol("(")) {
    next();
    next();
    table_function tf;
    tf.lateral = lateral;
    tf.call = parse_expr();
    if (!tf.call.as<function_call>()) {
      throw_error(tf.call.loc, "TABLE(...) in FROM takes a table function call, at line " +
                                   std::to_string(tf.call.loc.line) + ", column " +
                                   std::to_string(tf.call.loc.column));
    }
    expect_symbol(")");
    f.node = std::move(tf);
  } else if (peek_symbol("(")) {
    if (peek_query_start() || lateral) {
      next();
      derived_table d;
      d.lateral = lateral;
      d.subquery = parse_query();
      expect_symbol(")");
      f.node = std::move(d);
    } else {
      next();
      f.node = nested_join{parse_table_with_joins()};
      expect_symbol(")");
    }
  } else if (lateral) {
    unexpected();
  } else if (accept_keyword("UNNEST")) {
    expect_symbol("(");
    unnest u;
    u.arrays = parse_expr_list();
    expect_symbol(")");
    if (accept_keywords({"WITH", "ORDINALITY"})) u.with_ordinality = true;
    f.node = std::move(u);
  } else {
    named_table t;
    t.name = expect_object_name();
    if (accept_keywords({"FOR", "SYSTEM_TIME", "AS", "OF"})) t.system_time = parse_expr();
    f.node = std::move(t);
  }
  f.alias = parse_optional_alias();
  if (accept_keyword("MATCH_RECOGNIZE")) {
    table_factor outer;
    outer.loc = f.loc;
    match_recognize m;
    m.input = std::move(f);
    m.spec = parse_match_recognize();
    outer.node = std::move(m);
    outer.alias = parse_optional_alias();
    return outer;
  }
  return f;
}

std::optional<table_alias> parser::parse_optional_alias() {
  table_alias a;
  if (accept_keyword("AS")) {
    a.name = expect_ident();
  } else if (peek_ident()) {
    a.name = expect_ident();
    mark_implicit_alias();
  } else {
    return std::nullopt;
  }
  if (peek().is_symbol("(") && is_name_token(peek(1))) a.columns = parse_ident_list();
  return a;
}

}  // namespace eddy::sql
