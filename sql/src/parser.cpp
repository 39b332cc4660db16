// The parser's core: tokens, expectations, errors, the depth limit and the entry points.
#include "parser.hpp"

#include <algorithm>
#include <charconv>

#include "eddy/sql/keywords.hpp"

namespace eddy::sql {

parser::parser(std::string_view sql, const parse_options& options)
    : tokens_(tokenize_or_throw(sql)), options_(options) {}

const token& parser::peek(std::size_t ahead) const {
  const std::size_t i = pos_ + ahead;
  return i < tokens_.size() ? tokens_[i] : tokens_.back();
}

const token& parser::next() {
  const token& t = peek();
  if (pos_ + 1 < tokens_.size()) ++pos_;
  return t;
}

void parser::expected(std::string what) {
  if (pos_ < expected_pos_) return;
  if (pos_ > expected_pos_) {
    expected_.clear();
    expected_pos_ = pos_;
  }
  if (std::find(expected_.begin(), expected_.end(), what) == expected_.end()) {
    expected_.push_back(std::move(what));
  }
}

bool parser::peek_keyword(std::string_view kw) {
  if (peek().is_word(kw)) return true;
  expected("\"" + std::string(kw) + "\"");
  return false;
}

bool parser::accept_keyword(std::string_view kw) {
  if (!peek_keyword(kw)) return false;
  next();
  return true;
}

void parser::expect_keyword(std::string_view kw) {
  if (!accept_keyword(kw)) unexpected();
}

bool parser::accept_keywords(std::initializer_list<std::string_view> kws) {
  bool first = true;
  for (auto kw : kws) {
    if (first) {
      if (!accept_keyword(kw)) return false;
      first = false;
    } else {
      expect_keyword(kw);
    }
  }
  return true;
}

bool parser::peek_symbol(std::string_view s) {
  if (peek().is_symbol(s)) return true;
  expected("\"" + std::string(s) + "\"");
  return false;
}

bool parser::accept_symbol(std::string_view s) {
  if (!peek_symbol(s)) return false;
  next();
  return true;
}

void parser::expect_symbol(std::string_view s) {
  if (!accept_symbol(s)) unexpected();
}

bool parser::peek_ident(std::size_t ahead) const {
  const token& t = peek(ahead);
  return t.kind == token_kind::quoted_ident || (t.kind == token_kind::word && !is_reserved(t.text));
}

ident parser::expect_ident() {
  if (!peek_ident()) {
    expected("<identifier>");
    unexpected();
  }
  const token& t = next();
  return ident{t.text, t.kind == token_kind::quoted_ident, t.loc};
}

ident parser::expect_field_name() {
  const token& t = peek();
  if (t.kind != token_kind::word && t.kind != token_kind::quoted_ident) {
    expected("<identifier>");
    unexpected();
  }
  next();
  return ident{t.text, t.kind == token_kind::quoted_ident, t.loc};
}

object_name parser::expect_object_name() {
  object_name name{expect_ident()};
  while (peek().is_symbol(".") &&
         (peek(1).kind == token_kind::word || peek(1).kind == token_kind::quoted_ident)) {
    next();
    const token& t = next();
    name.push_back(ident{t.text, t.kind == token_kind::quoted_ident, t.loc});
  }
  return name;
}

std::vector<ident> parser::parse_ident_list() {
  expect_symbol("(");
  std::vector<ident> out{expect_ident()};
  while (accept_symbol(",")) out.push_back(expect_ident());
  expect_symbol(")");
  return out;
}

std::string parser::expect_string() {
  if (peek().kind != token_kind::string) {
    expected("<string literal>");
    unexpected();
  }
  return next().text;
}

std::int64_t parser::expect_integer() {
  const token& t = peek();
  std::int64_t v = 0;
  if (t.kind != token_kind::number) {
    expected("<integer>");
    unexpected();
  }
  auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
  if (ec != std::errc() || end != t.text.data() + t.text.size()) {
    fail_here("Expected an integer at line " + std::to_string(t.loc.line) + ", column " +
              std::to_string(t.loc.column) + ", found \"" + t.text + "\"");
  }
  next();
  return v;
}

void parser::enter() {
  if (depth_ + chain_ + 1 > options_.max_height) fail_too_tall();
  if (depth_ + 1 > options_.max_depth) {
    fail_here("Nesting too deep at line " + std::to_string(peek().loc.line) + ", column " +
              std::to_string(peek().loc.column) + " (more than " +
              std::to_string(options_.max_depth) + " levels of expressions or queries)");
  }
  ++depth_;
}

void parser::extend_chain() {
  if (depth_ + chain_ + 1 > options_.max_height) fail_too_tall();
  ++chain_;
}

void parser::fail_too_tall() {
  fail_here("Nesting too deep at line " + std::to_string(peek().loc.line) + ", column " +
            std::to_string(peek().loc.column) + " (an expression or query more than " +
            std::to_string(options_.max_height) + " levels tall; long chains of operators count)");
}

std::string parser::describe_token(const token& t) const {
  switch (t.kind) {
    case token_kind::end:
      return "<EOF>";
    case token_kind::string:
      return "'" + t.text.substr(0, 40) + (t.text.size() > 40 ? "...'" : "'");
    case token_kind::quoted_ident:
      return "`" + t.text.substr(0, 40) + "`";
    case token_kind::binary:
      return "X'" + t.text.substr(0, 40) + "'";
    default:
      return t.text.substr(0, 60);
  }
}

void parser::fail_here(std::string message) {
  throw_error(peek().loc, std::move(message));
}

namespace {

std::string at(location loc) {
  return "line " + std::to_string(loc.line) + ", column " + std::to_string(loc.column);
}

// Keywords that start a clause: what a misspelt clause keyword read as an alias was meant to be.
constexpr std::string_view clause_keywords[] = {
    "FROM",   "WHERE",  "GROUP", "HAVING",          "ORDER",  "LIMIT",  "UNION", "INTERSECT",
    "EXCEPT", "JOIN",   "LEFT",  "RIGHT",           "INNER",  "FULL",   "CROSS", "ON",
    "WINDOW", "OFFSET", "USING", "MATCH_RECOGNIZE", "SELECT", "VALUES", "WITH"};

}  // namespace

void parser::unexpected() {
  const token& t = peek();
  parse_error e;
  e.where = t.loc;
  e.found = describe_token(t);
  if (expected_pos_ == pos_) {
    e.expected = expected_;
    std::sort(e.expected.begin(), e.expected.end());
  }
  // "Did you mean": the nearest expected keyword to the word found.
  if (t.kind == token_kind::word) {
    std::vector<std::string_view> candidates;
    std::vector<std::string> names;
    for (const auto& x : e.expected) {
      if (x.size() > 2 && x.front() == '"' && std::isalpha(static_cast<unsigned char>(x[1]))) {
        names.push_back(x.substr(1, x.size() - 2));
      }
    }
    for (const auto& n : names) candidates.push_back(n);
    e.suggestion = nearest_keyword(t.text, candidates);
    if (e.suggestion.empty() && e.expected.empty())
      e.suggestion = nearest_keyword(t.text, keywords());
  }
  std::string message;
  if (e.suggestion.empty() && implicit_alias_ != static_cast<std::size_t>(-1) &&
      implicit_alias_ + 1 == pos_) {
    // `SELECT a FORM t`: FORM was read as an alias of a; the error is at t.
    const token& alias = tokens_[implicit_alias_];
    std::string s = nearest_keyword(alias.text, clause_keywords);
    if (!s.empty()) {
      e.where = alias.loc;
      e.found = describe_token(alias);
      e.suggestion = s;
      e.expected.clear();
      e.message = "Encountered \"" + e.found + "\" at " + at(alias.loc) +
                  " (read as an alias, then \"" + describe_token(t) + "\" at " + at(t.loc) +
                  " makes no sense). Did you mean \"" + s + "\"?";
      throw parse_failure(std::move(e));
    }
  }
  message = "Encountered \"" + e.found + "\" at " + at(t.loc) + ".";
  if (!e.suggestion.empty()) message += " Did you mean \"" + e.suggestion + "\"?";
  if (!e.expected.empty()) {
    message += "\nWas expecting one of: ";
    const std::size_t shown = std::min<std::size_t>(e.expected.size(), 24);
    for (std::size_t i = 0; i < shown; ++i) {
      if (i > 0) message += ", ";
      message += e.expected[i];
    }
    if (shown < e.expected.size()) message += ", ...";
  }
  e.message = std::move(message);
  throw parse_failure(std::move(e));
}

// ---- entry points ----

std::vector<statement> parser::statements() {
  std::vector<statement> out;
  for (;;) {
    while (accept_symbol(";")) {
    }
    if (peek().kind == token_kind::end) return out;
    out.push_back(parse_statement());
    if (peek().kind == token_kind::end) return out;
    if (!peek_symbol(";")) unexpected();
  }
}

statement parser::single_statement() {
  while (accept_symbol(";")) {
  }
  statement s = parse_statement();
  while (accept_symbol(";")) {
  }
  if (peek().kind != token_kind::end) {
    expected("<EOF>");
    unexpected();
  }
  return s;
}

query parser::single_query() {
  query q = parse_query();
  if (peek().kind != token_kind::end) {
    expected("<EOF>");
    unexpected();
  }
  return q;
}

expr parser::single_expression() {
  expr e = parse_expr();
  if (peek().kind != token_kind::end) {
    expected("<EOF>");
    unexpected();
  }
  return e;
}

data_type parser::single_type() {
  data_type t = parse_data_type();
  if (peek().kind != token_kind::end) {
    expected("<EOF>");
    unexpected();
  }
  return t;
}

namespace {

template <class F>
auto run(std::string_view sql, const parse_options& options, F f)
    -> result<decltype(f(std::declval<parser&>()))> {
  try {
    parser p(sql, options);
    return f(p);
  } catch (parse_failure& failure) {
    return std::move(failure.error);
  }
}

}  // namespace

result<std::vector<statement>> parse_statements(std::string_view sql,
                                                const parse_options& options) {
  return run(sql, options, [](parser& p) { return p.statements(); });
}

result<statement> parse_statement(std::string_view sql, const parse_options& options) {
  return run(sql, options, [](parser& p) { return p.single_statement(); });
}

result<query> parse_query(std::string_view sql, const parse_options& options) {
  return run(sql, options, [](parser& p) { return p.single_query(); });
}

result<expr> parse_expression(std::string_view sql, const parse_options& options) {
  return run(sql, options, [](parser& p) { return p.single_expression(); });
}

result<data_type> parse_data_type(std::string_view sql, const parse_options& options) {
  return run(sql, options, [](parser& p) { return p.single_type(); });
}

std::string render_error(std::string_view sql, const parse_error& error) {
  std::string out = error.message;
  // The line holding the error.
  std::size_t begin = std::min<std::size_t>(error.where.offset, sql.size());
  while (begin > 0 && sql[begin - 1] != '\n') --begin;
  std::size_t end = begin;
  while (end < sql.size() && sql[end] != '\n') ++end;
  std::string_view line = sql.substr(begin, end - begin);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  out += "\n  ";
  out += line;
  out += "\n  ";
  // Caret: one position per character before the column, tabs kept.
  std::size_t chars = 0;
  for (std::size_t i = 0; i < line.size() && chars + 1 < error.where.column; ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if ((c & 0xC0) == 0x80) continue;
    out += c == '\t' ? '\t' : ' ';
    ++chars;
  }
  out += '^';
  return out;
}

}  // namespace eddy::sql
