// MATCH_RECOGNIZE (Flink's "Pattern Recognition"): the clause after a FROM item, and its row
// pattern language.
#include "parser.hpp"

namespace eddy::sql {

match_recognize_spec parser::parse_match_recognize() {
  depth_guard guard(*this);
  match_recognize_spec m;
  expect_symbol("(");
  if (accept_keywords({"PARTITION", "BY"})) m.partition_by = parse_expr_list();
  if (accept_keywords({"ORDER", "BY"})) m.order_by = parse_order_by_list();
  if (accept_keyword("MEASURES")) {
    do {
      measure x;
      x.value = parse_expr();
      expect_keyword("AS");
      x.alias = expect_ident();
      m.measures.push_back(std::move(x));
    } while (accept_symbol(","));
  }
  if (accept_keywords({"ONE", "ROW", "PER", "MATCH"})) {
    m.rows = rows_per_match::one_row;
  } else if (accept_keywords({"ALL", "ROWS", "PER", "MATCH"})) {
    m.rows = rows_per_match::all_rows;
  }
  if (accept_keywords({"AFTER", "MATCH", "SKIP"})) {
    after_match_skip s;
    if (accept_keywords({"PAST", "LAST", "ROW"})) {
      s.kind = skip_kind::past_last_row;
    } else {
      expect_keyword("TO");
      if (accept_keywords({"NEXT", "ROW"})) {
        s.kind = skip_kind::to_next_row;
      } else if (accept_keyword("FIRST")) {
        s.kind = skip_kind::to_first;
        s.variable = expect_ident();
      } else if (accept_keyword("LAST")) {
        s.kind = skip_kind::to_last;
        s.variable = expect_ident();
      } else {
        s.kind = skip_kind::to_variable;
        s.variable = expect_ident();
      }
    }
    m.skip = std::move(s);
  }
  expect_keyword("PATTERN");
  expect_symbol("(");
  m.pattern = parse_row_pattern();
  expect_symbol(")");
  if (accept_keyword("WITHIN")) m.within = parse_expr();
  if (accept_keyword("SUBSET")) {
    do {
      pattern_subset s;
      s.name = expect_ident();
      expect_symbol("=");
      s.variables = parse_ident_list();
      m.subsets.push_back(std::move(s));
    } while (accept_symbol(","));
  }
  expect_keyword("DEFINE");
  do {
    pattern_definition d;
    d.variable = expect_ident();
    expect_keyword("AS");
    d.condition = parse_expr();
    m.definitions.push_back(std::move(d));
  } while (accept_symbol(","));
  expect_symbol(")");
  return m;
}

namespace {

bool starts_term(const token& t) {
  return t.kind == token_kind::word || t.kind == token_kind::quoted_ident || t.is_symbol("(") ||
         t.is_symbol("{") || t.is_symbol("^") || t.is_symbol("$");
}

}  // namespace

// pattern := alternative ( '|' alternative )*
// alternative := term term*           (concatenation)
// term := primary quantifier*
// primary := VAR | '^' | '$' | '(' pattern ')' | '{-' pattern '-}' | PERMUTE '(' pattern, ... ')'
row_pattern parser::parse_row_pattern() {
  depth_guard guard(*this);
  auto parse_term = [&]() -> row_pattern {
    row_pattern p;
    const token& t = peek();
    if (t.is_word("PERMUTE") && peek(1).is_symbol("(")) {
      next();
      next();
      p.what = row_pattern::kind::permute;
      do {
        p.items.push_back(parse_row_pattern());
      } while (accept_symbol(","));
      expect_symbol(")");
    } else if (accept_symbol("(")) {
      p.what = row_pattern::kind::group;
      p.items.push_back(parse_row_pattern());
      expect_symbol(")");
    } else if (peek().is_symbol("{") && peek(1).is_symbol("-")) {
      next();
      next();
      p.what = row_pattern::kind::exclude;
      p.items.push_back(parse_row_pattern());
      expect_symbol("-");
      expect_symbol("}");
    } else if (accept_symbol("^")) {
      p.what = row_pattern::kind::start_anchor;
    } else if (accept_symbol("$")) {
      p.what = row_pattern::kind::end_anchor;
    } else {
      p.what = row_pattern::kind::symbol;
      p.symbol = expect_ident();
    }
    // One quantifier (as in SQL:2016 and Flink), optionally reluctant.
    pattern_quantifier q;
    if (accept_symbol("*")) {
      q.kind = pattern_quantifier::form::star;
    } else if (accept_symbol("+")) {
      q.kind = pattern_quantifier::form::plus;
    } else if (accept_symbol("?")) {
      q.kind = pattern_quantifier::form::question;
    } else if (peek().is_symbol("{") && !peek(1).is_symbol("-")) {
      next();
      if (accept_symbol(",")) {
        q.kind = pattern_quantifier::form::range;
        q.max = expect_integer();
      } else {
        q.min = expect_integer();
        if (accept_symbol(",")) {
          q.kind = pattern_quantifier::form::range;
          if (peek().kind == token_kind::number) q.max = expect_integer();
        } else {
          q.kind = pattern_quantifier::form::exact;
        }
      }
      expect_symbol("}");
    } else {
      return p;
    }
    q.reluctant = accept_symbol("?");
    row_pattern rep;
    rep.what = row_pattern::kind::repetition;
    rep.quantifier = q;
    rep.items.push_back(std::move(p));
    return rep;
  };
  auto parse_alternative = [&]() -> row_pattern {
    row_pattern first = parse_term();
    if (!starts_term(peek())) return first;
    row_pattern concat;
    concat.what = row_pattern::kind::concat;
    concat.items.push_back(std::move(first));
    while (starts_term(peek())) concat.items.push_back(parse_term());
    return concat;
  };
  row_pattern first = parse_alternative();
  if (!peek().is_symbol("|")) return first;
  row_pattern alt;
  alt.what = row_pattern::kind::alternation;
  alt.items.push_back(std::move(first));
  while (accept_symbol("|")) alt.items.push_back(parse_alternative());
  return alt;
}

}  // namespace eddy::sql
