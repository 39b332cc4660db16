#pragma once
/// CEP patterns as text, compiled at run time (issue 17, dynamic patterns). `parse_pattern<T>`
/// turns the text into the same `cep::pattern<T>` the C++ builder makes, by calling the builder
/// (pattern.hpp), so both compile to the same NFA. T is a record with EDDY_FIELDS; conditions
/// name its fields.
///
///   auto p = cep::parse_pattern<transaction>(
///       "skip past_last_event small(amount < 1.00) followed_by large(amount > 500.00) "
///       "within 60s");
///
/// Grammar (keywords are lower case; Flink's vocabulary, as in the builder):
///
///   pattern    := [ 'skip' skip ] element ( contiguity element )*
///   skip       := 'no_skip' | 'to_next' | 'past_last_event'
///               | ( 'to_first' | 'to_last' ) NAME [ 'throw_on_miss' ]
///   contiguity := 'next' | 'followed_by' | 'followed_by_any' | 'not_next' | 'not_followed_by'
///   element    := NAME [ '(' expr ')' ] option* | '(' group ')' option*
///   group      := element ( contiguity element )*       (a group pattern; not after not_*)
///   option     := '{' INT '}' [gap] | '{' INT ',' [ INT ] '}' [gap] | '+' [gap] | '*' [gap] | '?'
///               | 'greedy' | 'consecutive' | 'combinations'
///               | 'until' '(' expr ')' | 'within' DURATION [ 'between_events' ]
///   gap        := 'gap' DURATION
///   expr       := expr 'or' expr | expr 'and' expr | 'not' expr | sum cmp sum
///               | sum [ 'not' ] 'in' '(' sum ( ',' sum )* ')' | sum
///   cmp        := '=' | '==' | '!=' | '<>' | '<' | '<=' | '>' | '>='
///   sum        := sum ( '+' | '-' ) product | product ;  product := product ('*'|'/'|'%') unary
///   unary      := '-' unary | primary
///   primary    := FIELD | NAME '.' FIELD | INT | DECIMAL | FLOAT | 'STRING' | 'true' | 'false'
///               | 'count' '(' NAME [ '.' FIELD ] ')'
///               | ( 'sum' | 'avg' | 'min' | 'max' | 'first' | 'last' ) '(' NAME '.' FIELD ')'
///               | '(' expr ')'
///   DURATION   := INT ( 'ms' | 's' | 'm' | 'min' | 'h' )      e.g. 60s, 500ms, 5min
///   INT 12, DECIMAL 1.00 (exact), FLOAT 1e3 or 1.5e-2 (double), STRING 'it''s' ('' is a quote)
///
/// Repetition counts are at most 10000 (each counted event is a state of the automaton).
/// Options apply in the order written, each as the builder call of the same name: `{n}` times(n),
/// `{n,m}` times(n, m) (so `{0,m}` is optional + times(1, m)), `{n,}` times_or_more(n), `+`
/// one_or_more(), `*` and `{0,}` one_or_more() + optional(), `?` optional(), `combinations`
/// allow_combinations(), `gap d` the gap argument of times / times_or_more, `within d` within(d)
/// on this stage (written last it reads as the pattern's window), `within d between_events`
/// within(d, previous_and_current). A stage without a condition takes every event.
/// A parenthesised sequence after a contiguity (or first) is a group pattern, the builder's
/// begin/next/followed_by/followed_by_any(pattern): its options repeat it as one unit, its
/// stages keep their names (`c(...) followed_by (a(...) followed_by b(...)){2} next d(...)`); a
/// group has no condition and cannot follow not_next / not_followed_by.
///
/// Expressions:
/// - A bare FIELD is the current event's field; `NAME.FIELD` the field of the last event the
///   partial match took for stage NAME (null if none); `count(NAME)` how many it took;
///   `sum/avg/min/max/first/last(NAME.FIELD)` aggregate their fields (null values are skipped;
///   sum of none is 0, the others null). These read `context<T>::events`, as an iterative
///   condition does; the events taken by the stage being matched do not include the current one.
/// - Fields: bool is a boolean; char a one-character string; other integers, enums and floating
///   point numbers are numbers; std::string / std::string_view strings; std::optional of those is
///   null when empty. Other field types cannot be used in conditions.
/// - Numbers: integers and decimals are exact (1.00 = 1; 0.1 + 0.2 = 0.3) while they fit 64 bits
///   and 18 digits after the point, doubles beyond; `/` divides in double; a double operand makes
///   the operation double. A string read from the event (a field, NAME.FIELD, first/last) where a
///   number is needed (compared with one, in arithmetic, in sum/avg/min/max) is read as a decimal
///   [+|-]DIGITS[.DIGITS], null if it is not one; a string literal there is a type error.
/// - Null (a missing event or value, division by zero) makes comparisons and arithmetic null;
///   and/or/not follow SQL's three-valued logic; a condition holds only if it is true.
///
/// Errors: `malformed_pattern` with the position, e.g. "pattern text, column 7: unknown field
/// 'amout' (fields: card_id, ts_ms, amount)": syntax errors, unknown fields, unknown stage names
/// (in NAME.FIELD, aggregates and the skip strategy), duplicate stage names, type errors (a
/// string literal compared with a number, `and` over numbers, a condition that is not true or
/// false), and the builder's own messages for misused options, at the option.
/// The patterns returned are plain values like the builder's; their conditions hold an immutable
/// expression tree and may be called concurrently.
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/cep/expression.hpp"
#include "eddy/cep/pattern.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy::cep {
namespace pattern_text {

// ---- tokens -----------------------------------------------------------------------------------

enum class tok : std::uint8_t { end, ident, integer, decimal, floating, string, symbol };

struct token {
  tok kind = tok::end;
  std::string_view text;  ///< as written (a string literal with its quotes)
  std::size_t pos = 0;    ///< offset in the pattern text
  std::string str;        ///< tok::string: the string, quotes removed
};

/// "pattern text, column 7: what" (with the line when the text has several).
[[noreturn]] inline void fail(std::string_view text, std::size_t pos, const std::string& what) {
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < pos && i < text.size(); ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  const bool multiline = text.find('\n') != std::string_view::npos;
  throw malformed_pattern("pattern text, " +
                          (multiline ? "line " + std::to_string(line) + ", " : std::string()) +
                          "column " + std::to_string(pos - line_start + 1) + ": " + what);
}

/// Splits the pattern text into tokens (the last one is tok::end).
inline std::vector<token> lex(std::string_view s) {
  const auto digit = [&](std::size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
  const auto letter = [&](std::size_t i) {
    return i < s.size() &&
           ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_');
  };
  std::vector<token> out;
  std::size_t i = 0;
  for (;;) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    token t;
    t.pos = i;
    if (i == s.size()) {
      out.push_back(std::move(t));
      return out;
    }
    std::size_t j = i;
    if (letter(i)) {
      while (letter(j) || digit(j)) ++j;
      t.kind = tok::ident;
    } else if (digit(i)) {
      while (digit(j)) ++j;
      t.kind = tok::integer;
      if (j < s.size() && s[j] == '.' && digit(j + 1)) {
        for (++j; digit(j);) ++j;
        t.kind = tok::decimal;
      }
      const std::size_t sign = j + 1 < s.size() && (s[j + 1] == '+' || s[j + 1] == '-') ? 1 : 0;
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E') && digit(j + 1 + sign)) {
        for (j += 1 + sign; digit(j);) ++j;
        t.kind = tok::floating;
      }
    } else if (s[i] == '\'') {
      t.kind = tok::string;
      for (j = i + 1;; ++j) {
        if (j >= s.size()) fail(s, i, "unterminated string");
        if (s[j] == '\'') {
          if (j + 1 < s.size() && s[j + 1] == '\'') {
            t.str += '\'';
            ++j;
          } else {
            break;
          }
        } else {
          t.str += s[j];
        }
      }
      ++j;
    } else {
      t.kind = tok::symbol;
      static constexpr std::array<std::string_view, 5> two{"<=", ">=", "!=", "<>", "=="};
      const auto pair = s.substr(i, 2);
      bool is_two = false;
      for (const auto x : two) is_two = is_two || pair == x;
      if (is_two) {
        j = i + 2;
      } else if (std::string_view("(){},.+-*/%=<>?").find(s[i]) != std::string_view::npos) {
        j = i + 1;
      } else {
        fail(s, i, "unexpected character '" + std::string(1, s[i]) + "'");
      }
    }
    t.text = s.substr(i, j - i);
    out.push_back(std::move(t));
    i = j;
  }
}

// ---- parser -----------------------------------------------------------------------------------

/// Parses one pattern text for records T (see the grammar at the top of this file).
template <class T>
class parser {
 public:
  explicit parser(std::string_view text) : text_(text), toks_(lex(text)) {}

  /// The whole text as a pattern; throws malformed_pattern.
  pattern<T> parse() {
    skip s;
    if (accept_keyword("skip")) s = parse_skip();
    auto p = sequence(std::move(s));
    if (peek().kind != tok::end)
      fail(peek().pos,
           "expected an option ({n}, +, *, ?, greedy, consecutive, combinations, until, within) "
           "or a contiguity (next, followed_by, followed_by_any, not_next, not_followed_by), "
           "found " +
               describe(peek()));
    for (const auto& r : refs_) {
      bool known = false;
      for (const auto& n : names_) known = known || n == r.name;
      if (!known) fail(r.pos, "unknown stage '" + r.name + "' (stages: " + join(names_) + ")");
    }
    return p;
  }

 private:
  /// A parsed (sub)expression and its type.
  struct typed {
    std::unique_ptr<node<T>> n;
    vtype t = vtype::boolean;
    std::size_t pos = 0;  ///< where it starts
    int depth = 1;        ///< of the tree
  };

  /// Deepest expression tree and deepest nesting while parsing one (evaluation and parsing
  /// recurse).
  static constexpr int max_depth = 200;
  /// Counts the parser's recursion (parentheses, not, unary minus) while it lives.
  class nesting {
   public:
    nesting(parser& p, std::size_t pos) : p_(p) {
      if (++p_.nesting_ > max_depth) p_.too_deep(pos);
    }
    ~nesting() { --p_.nesting_; }
    nesting(const nesting&) = delete;
    nesting& operator=(const nesting&) = delete;

   private:
    parser& p_;
  };
  [[noreturn]] void too_deep(std::size_t pos) const {
    fail(pos, "expression nested too deeply (more than " + std::to_string(max_depth) + " levels)");
  }
  struct name_at {
    std::string name;
    std::size_t pos = 0;
  };

  // -- tokens --

  [[noreturn]] void fail(std::size_t pos, const std::string& what) const {
    pattern_text::fail(text_, pos, what);
  }
  const token& peek(std::size_t k = 0) const { return toks_[std::min(i_ + k, toks_.size() - 1)]; }
  const token& take() {
    const token& t = peek();
    if (i_ < toks_.size() - 1) ++i_;
    return t;
  }
  static std::string describe(const token& t) {
    if (t.kind == tok::end) return "the end of the text";
    if (t.kind == tok::string) return "a string";
    return "'" + std::string(t.text) + "'";
  }
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }
  bool is_symbol(std::string_view s, std::size_t k = 0) const {
    return peek(k).kind == tok::symbol && peek(k).text == s;
  }
  bool is_keyword(std::string_view w, std::size_t k = 0) const {
    return peek(k).kind == tok::ident && peek(k).text == w;
  }
  bool accept_symbol(std::string_view s) { return is_symbol(s) && (take(), true); }
  bool accept_keyword(std::string_view w) { return is_keyword(w) && (take(), true); }
  void expect_symbol(std::string_view s) {
    if (!accept_symbol(s))
      fail(peek().pos, "expected '" + std::string(s) + "', found " + describe(peek()));
  }
  /// An identifier (`what` names it in the message).
  name_at expect_ident(const char* what) {
    if (peek().kind != tok::ident)
      fail(peek().pos, std::string("expected ") + what + ", found " + describe(peek()));
    const token& t = take();
    return {std::string(t.text), t.pos};
  }
  /// A non-negative integer that fits an int.
  /// The most events a repetition `{n}` / `{n,m}` / `{n,}` may count: each one is a state of the
  /// compiled automaton, and the text comes from untrusted streams.
  static constexpr int max_repetitions = 10'000;

  int expect_int() {
    const token& t = peek();
    int v = 0;
    if (t.kind != tok::integer) fail(t.pos, "expected a number of events, found " + describe(t));
    if (std::from_chars(t.text.data(), t.text.data() + t.text.size(), v).ec != std::errc{})
      fail(t.pos, "number out of range");
    if (v > max_repetitions)
      fail(t.pos, "a repetition counts at most " + std::to_string(max_repetitions) +
                      " events (each is a state of the compiled pattern), not " +
                      std::string(t.text));
    take();
    return v;
  }

  // -- the pattern --

  /// Runs builder call f, giving its malformed_pattern the position `pos`.
  template <class F>
  void build(std::size_t pos, F&& f) {
    try {
      f();
    } catch (const malformed_pattern& e) {
      fail(pos, e.what());
    }
  }

  /// A new stage's name: an identifier that is no keyword and no earlier stage's name.
  name_at stage_name() {
    static constexpr std::string_view reserved[] = {"skip",
                                                    "within",
                                                    "until",
                                                    "next",
                                                    "followed_by",
                                                    "followed_by_any",
                                                    "not_next",
                                                    "not_followed_by",
                                                    "greedy",
                                                    "consecutive",
                                                    "combinations",
                                                    "gap",
                                                    "between_events",
                                                    "throw_on_miss",
                                                    "and",
                                                    "or",
                                                    "not",
                                                    "in",
                                                    "true",
                                                    "false"};
    auto n = expect_ident("a stage name");
    for (const auto r : reserved)
      if (n.name == r) fail(n.pos, "'" + n.name + "' is a keyword, not a stage name");
    for (const auto& x : names_)
      if (x == n.name) fail(n.pos, "Duplicate pattern name: " + n.name + ".");
    names_.push_back(n.name);
    return n;
  }

  /// element ( contiguity element )*, up to the end of the text or a group's ')'. An element is
  /// a stage or a group '(' sequence ')'; `s` is the after-match strategy of the outermost one.
  pattern<T> sequence(skip s) {
    std::optional<pattern<T>> p;
    const std::size_t first_pos = peek().pos;
    if (is_symbol("(")) {
      const auto g = group();
      build(first_pos, [&] { p.emplace(pattern<T>::begin(g, std::move(s))); });
    } else {
      const auto first = stage_name();
      build(first.pos, [&] { p.emplace(pattern<T>::begin(first.name, std::move(s))); });
    }
    element_rest(*p);
    for (;;) {
      const token& t = peek();
      using cs = consuming_strategy;
      std::optional<cs> c;
      if (t.kind == tok::ident) {
        if (t.text == "next") c = cs::strict;
        if (t.text == "followed_by") c = cs::skip_till_next;
        if (t.text == "followed_by_any") c = cs::skip_till_any;
        if (t.text == "not_next") c = cs::not_next;
        if (t.text == "not_followed_by") c = cs::not_follow;
      }
      if (!c) break;
      const std::size_t pos = take().pos;
      if (is_symbol("(")) {
        if (*c == cs::not_next || *c == cs::not_follow)
          fail(peek().pos, "a NOT stage (" + std::string(t.text) + ") cannot be a group");
        const auto g = group();
        build(pos, [&] {
          if (*c == cs::strict) p->next(g);
          if (*c == cs::skip_till_next) p->followed_by(g);
          if (*c == cs::skip_till_any) p->followed_by_any(g);
        });
      } else {
        const auto st = stage_name();
        build(pos, [&] {
          if (*c == cs::strict) p->next(st.name);
          if (*c == cs::skip_till_next) p->followed_by(st.name);
          if (*c == cs::skip_till_any) p->followed_by_any(st.name);
          if (*c == cs::not_next) p->not_next(st.name);
          if (*c == cs::not_follow) p->not_followed_by(st.name);
        });
      }
      element_rest(*p);
    }
    return std::move(*p);
  }

  /// A group: '(' sequence ')' (its stages join the pattern's names; the after-match strategy
  /// is the outermost pattern's).
  pattern<T> group() {
    const nesting guard(*this, peek().pos);
    expect_symbol("(");
    auto g = sequence(skip::no_skip());
    if (!is_symbol(")"))
      fail(peek().pos,
           "expected an option, a contiguity or ')' closing the group, found " + describe(peek()));
    take();
    return g;
  }

  /// The after-match skip strategy, after 'skip'.
  skip parse_skip() {
    const auto k = expect_ident("a skip strategy");
    if (k.name == "no_skip") return skip::no_skip();
    if (k.name == "to_next") return skip::to_next();
    if (k.name == "past_last_event") return skip::past_last_event();
    if (k.name != "to_first" && k.name != "to_last")
      fail(k.pos, "unknown skip strategy '" + k.name +
                      "' (no_skip, to_next, past_last_event, to_first NAME, to_last NAME)");
    auto target = expect_ident("a stage name");
    refs_.push_back(target);
    skip s = k.name == "to_first" ? skip::to_first(target.name) : skip::to_last(target.name);
    return accept_keyword("throw_on_miss") ? s.throw_on_miss() : s;
  }

  /// A duration: INT unit.
  std::chrono::milliseconds duration() {
    const token& t = peek();
    std::int64_t n = 0;
    if (t.kind != tok::integer ||
        std::from_chars(t.text.data(), t.text.data() + t.text.size(), n).ec != std::errc{})
      fail(t.pos, "expected a duration like 60s, found " + describe(t));
    take();
    const auto unit = peek().kind == tok::ident ? peek().text : std::string_view();
    std::int64_t ms = 0;
    if (unit == "ms") ms = 1;
    if (unit == "s") ms = 1000;
    if (unit == "m" || unit == "min") ms = 60'000;
    if (unit == "h") ms = 3'600'000;
    if (ms == 0)
      fail(peek().pos, "expected a time unit (ms, s, min, h), found " + describe(peek()));
    take();
    if (n > std::numeric_limits<std::int64_t>::max() / ms) fail(t.pos, "duration out of range");
    return std::chrono::milliseconds(n * ms);
  }
  /// An optional 'gap' DURATION after a repetition.
  std::optional<std::chrono::milliseconds> gap() {
    if (!accept_keyword("gap")) return std::nullopt;
    return duration();
  }

  /// The rest of an element after its name: the condition and the options, applied to the
  /// builder's last stage in the order written.
  void element_rest(pattern<T>& p) {
    if (is_symbol("(")) {
      const auto pos = peek().pos;
      auto c = parse_condition();
      build(pos, [&] { p.where(std::move(c)); });
    }
    for (;;) {
      const std::size_t pos = peek().pos;
      if (accept_symbol("{")) {
        const int from = expect_int();
        if (accept_symbol("}")) {
          const auto g = gap();
          build(pos, [&] { g ? p.times(from, from, g) : p.times(from); });
          continue;
        }
        expect_symbol(",");
        if (accept_symbol("}")) {
          const auto g = gap();
          build(pos, [&] {
            if (from == 0) {
              p.times_or_more(1, g).optional();
            } else {
              p.times_or_more(from, g);
            }
          });
          continue;
        }
        const int to = expect_int();
        expect_symbol("}");
        const auto g = gap();
        build(pos, [&] { p.times(from, to, g); });
      } else if (accept_symbol("+")) {
        const auto g = gap();
        build(pos, [&] { g ? p.times_or_more(1, g) : p.one_or_more(); });
      } else if (accept_symbol("*")) {
        const auto g = gap();
        build(pos, [&] { (g ? p.times_or_more(1, g) : p.one_or_more()).optional(); });
      } else if (accept_symbol("?")) {
        build(pos, [&] { p.optional(); });
      } else if (accept_keyword("greedy")) {
        build(pos, [&] { p.greedy(); });
      } else if (accept_keyword("consecutive")) {
        build(pos, [&] { p.consecutive(); });
      } else if (accept_keyword("combinations")) {
        build(pos, [&] { p.allow_combinations(); });
      } else if (accept_keyword("until")) {
        auto c = parse_condition();
        build(pos, [&] { p.until(std::move(c)); });
      } else if (accept_keyword("within")) {
        const auto d = duration();
        const auto w = accept_keyword("between_events") ? within_type::previous_and_current
                                                        : within_type::first_and_last;
        build(pos, [&] { p.within(d, w); });
      } else if (is_keyword("gap")) {
        fail(pos, "'gap' belongs right after a repetition ({n}, {n,m}, {n,}, + or *)");
      } else {
        return;
      }
    }
  }

  /// '(' expr ')' as a condition closure over the expression tree.
  condition<T> parse_condition() {
    expect_symbol("(");
    auto e = parse_or();
    expect_symbol(")");
    if (e.t != vtype::boolean)
      fail(e.pos, std::string("a condition must be true or false, this is ") + type_name(e.t));
    std::shared_ptr<const node<T>> tree = std::move(e.n);
    return [tree](const T& v, const context<T>& ctx) { return truth(eval(*tree, v, ctx)) == true; };
  }

  // -- expressions --

  /// A node with operands.
  typed make(op o, vtype t, std::size_t pos, std::vector<typed> args) {
    typed r{std::make_unique<node<T>>(), t, pos};
    r.n->o = o;
    for (auto& a : args) {
      r.depth = std::max(r.depth, a.depth + 1);
      r.n->args.push_back(std::move(a.n));
    }
    if (r.depth > max_depth) too_deep(pos);
    return r;
  }
  /// `e` where `what` needs a boolean.
  typed need_boolean(typed e, std::string_view what) {
    if (e.t != vtype::boolean)
      fail(e.pos, std::string(what) + " needs true or false, this is " + type_name(e.t));
    return e;
  }
  /// `e` where `what` needs a number: a string read from the event is read as a decimal.
  typed need_number(typed e, std::string_view what) {
    if (e.t == vtype::string && e.n->o != op::string_literal) {
      const auto pos = e.pos;
      std::vector<typed> args;
      args.push_back(std::move(e));
      return make(op::to_number, vtype::number, pos, std::move(args));
    }
    if (e.t != vtype::number)
      fail(e.pos, std::string(what) + " needs a number, this is " +
                      (e.n->o == op::string_literal ? "a string literal" : type_name(e.t)));
    return e;
  }
  /// Checks that a and b compare with operator `what` (ordering: < <= > >=), reading an event's
  /// string as a decimal when the other side is a number.
  void comparable(typed& a, typed& b, std::string_view what, bool ordering) {
    const std::string quoted = "'" + std::string(what) + "'";
    if (a.t == vtype::string && b.t == vtype::number) a = need_number(std::move(a), quoted);
    if (a.t == vtype::number && b.t == vtype::string) b = need_number(std::move(b), quoted);
    if (a.t != b.t)
      fail(b.pos, quoted + " cannot compare " + type_name(a.t) + " with " + type_name(b.t));
    if (ordering && a.t == vtype::boolean)
      fail(b.pos, quoted + " cannot order booleans (use = or !=)");
  }

  typed parse_or() {
    const nesting guard(*this, peek().pos);
    auto a = parse_and();
    while (accept_keyword("or")) {
      std::vector<typed> args;
      args.push_back(need_boolean(std::move(a), "'or'"));
      args.push_back(need_boolean(parse_and(), "'or'"));
      const auto start = args[0].pos;
      a = make(op::or_, vtype::boolean, start, std::move(args));
    }
    return a;
  }
  typed parse_and() {
    auto a = parse_not();
    while (accept_keyword("and")) {
      std::vector<typed> args;
      args.push_back(need_boolean(std::move(a), "'and'"));
      args.push_back(need_boolean(parse_not(), "'and'"));
      const auto start = args[0].pos;
      a = make(op::and_, vtype::boolean, start, std::move(args));
    }
    return a;
  }
  typed parse_not() {
    if (!is_keyword("not")) return parse_comparison();
    const auto pos = take().pos;
    const nesting guard(*this, pos);
    std::vector<typed> args;
    args.push_back(need_boolean(parse_not(), "'not'"));
    return make(op::not_, vtype::boolean, pos, std::move(args));
  }
  typed parse_comparison() {
    static constexpr std::array<std::pair<std::string_view, op>, 8> ops{{{"=", op::eq},
                                                                         {"==", op::eq},
                                                                         {"!=", op::ne},
                                                                         {"<>", op::ne},
                                                                         {"<", op::lt},
                                                                         {"<=", op::le},
                                                                         {">", op::gt},
                                                                         {">=", op::ge}}};
    auto a = parse_sum();
    for (const auto& [sym, o] : ops) {
      if (!is_symbol(sym)) continue;
      take();
      auto b = parse_sum();
      comparable(a, b, sym, o != op::eq && o != op::ne);
      const auto pos = a.pos;
      std::vector<typed> args;
      args.push_back(std::move(a));
      args.push_back(std::move(b));
      return make(o, vtype::boolean, pos, std::move(args));
    }
    const bool negated = is_keyword("not") && is_keyword("in", 1);
    if (!negated && !is_keyword("in")) return a;
    if (negated) take();
    take();
    const auto pos = a.pos;
    std::vector<typed> args;
    expect_symbol("(");
    do {
      auto b = parse_sum();
      comparable(a, b, "in", false);
      args.push_back(std::move(b));
    } while (accept_symbol(","));
    expect_symbol(")");
    args.insert(args.begin(), std::move(a));
    auto in = make(op::in, vtype::boolean, pos, std::move(args));
    if (!negated) return in;
    std::vector<typed> not_args;
    not_args.push_back(std::move(in));
    return make(op::not_, vtype::boolean, pos, std::move(not_args));
  }
  /// Left-associative binary arithmetic over `next` with the operators in `ops`.
  template <class Next, std::size_t N>
  typed arithmetic(Next next, const std::array<std::pair<std::string_view, op>, N>& ops) {
    auto a = (this->*next)();
    for (;;) {
      const std::pair<std::string_view, op>* hit = nullptr;
      for (const auto& x : ops)
        if (is_symbol(x.first)) hit = &x;
      if (!hit) return a;
      const std::string what = "'" + std::string(take().text) + "'";
      std::vector<typed> args;
      args.push_back(need_number(std::move(a), what));
      args.push_back(need_number((this->*next)(), what));
      const auto pos = args[0].pos;
      a = make(hit->second, vtype::number, pos, std::move(args));
    }
  }
  typed parse_sum() {
    static constexpr std::array<std::pair<std::string_view, op>, 2> ops{
        {{"+", op::add}, {"-", op::sub}}};
    return arithmetic(&parser::parse_product, ops);
  }
  typed parse_product() {
    static constexpr std::array<std::pair<std::string_view, op>, 3> ops{
        {{"*", op::mul}, {"/", op::div}, {"%", op::mod}}};
    return arithmetic(&parser::parse_unary, ops);
  }
  typed parse_unary() {
    if (!is_symbol("-")) return parse_primary();
    const auto pos = take().pos;
    const nesting guard(*this, pos);
    auto a = need_number(parse_unary(), "'-'");
    if (a.n->o == op::constant) {  // fold negative literals
      a.n->constant = arith('-', std::int64_t{0}, a.n->constant);
      a.pos = pos;
      return a;
    }
    std::vector<typed> args;
    args.push_back(std::move(a));
    return make(op::neg, vtype::number, pos, std::move(args));
  }

  /// A literal value.
  typed constant(value v, vtype t, std::size_t pos) {
    auto r = make(op::constant, t, pos, {});
    r.n->constant = v;
    return r;
  }
  /// The accessor of field `f` (a usable field of T).
  const field_accessor<T>* field(const name_at& f) const {
    for (const auto& a : accessors<T>) {
      if (a.name != f.name) continue;
      if (a.type == vtype::unsupported)
        fail(f.pos, "field '" + f.name +
                        "' has a type conditions cannot use (numbers, strings, chars, booleans)");
      return &a;
    }
    std::vector<std::string> names;
    for (const auto& a : accessors<T>) names.emplace_back(a.name);
    fail(f.pos, "unknown field '" + f.name + "' (fields: " + join(names) + ")");
  }

  typed parse_primary() {
    const token& t = peek();
    const auto pos = t.pos;
    switch (t.kind) {
      case tok::integer: {
        std::int64_t v = 0;
        if (std::from_chars(t.text.data(), t.text.data() + t.text.size(), v).ec != std::errc{})
          fail(pos, "integer out of range");
        take();
        return constant(v, vtype::number, pos);
      }
      case tok::decimal: {
        const auto d = parse_decimal(t.text);
        if (!d) fail(pos, "decimal out of range (64 bits, at most 18 digits after the point)");
        take();
        return constant(*d, vtype::number, pos);
      }
      case tok::floating: {
        const double v = std::strtod(std::string(t.text).c_str(), nullptr);
        if (!std::isfinite(v)) fail(pos, "number out of range");
        take();
        return constant(v, vtype::number, pos);
      }
      case tok::string: {
        auto r = make(op::string_literal, vtype::string, pos, {});
        r.n->text = take().str;
        return r;
      }
      case tok::symbol:
        if (accept_symbol("(")) {
          auto e = parse_or();
          expect_symbol(")");
          e.pos = pos;
          return e;
        }
        break;
      case tok::ident: {
        if (t.text == "true" || t.text == "false")
          return constant(take().text == "true", vtype::boolean, pos);
        if (t.text == "and" || t.text == "or" || t.text == "not" || t.text == "in") break;
        if (is_symbol("(", 1)) return parse_aggregate();
        const auto name = expect_ident("a field");
        if (!accept_symbol(".")) {
          auto r = make(op::field, vtype::boolean, pos, {});
          r.n->field = field(name);
          r.t = r.n->field->type;
          return r;
        }
        auto r = make(op::last_field, vtype::boolean, pos, {});
        r.n->field = field(expect_ident("a field"));
        r.n->text = name.name;
        r.t = r.n->field->type;
        refs_.push_back(name);
        return r;
      }
      default:
        break;
    }
    fail(pos, "expected a value, found " + describe(t));
  }

  /// agg '(' NAME [ '.' FIELD ] ')'.
  typed parse_aggregate() {
    static constexpr std::array<std::pair<std::string_view, op>, 7> aggs{{{"count", op::count},
                                                                          {"sum", op::sum},
                                                                          {"avg", op::avg},
                                                                          {"min", op::min},
                                                                          {"max", op::max},
                                                                          {"first", op::first},
                                                                          {"last", op::last}}};
    const auto fn = expect_ident("an aggregate");
    op o = op::constant;
    for (const auto& [name, x] : aggs)
      if (fn.name == name) o = x;
    if (o == op::constant)
      fail(fn.pos, "unknown function '" + fn.name + "' (count, sum, avg, min, max, first, last)");
    expect_symbol("(");
    const auto stage = expect_ident("a stage name");
    refs_.push_back(stage);
    auto r = make(o, vtype::number, fn.pos, {});
    r.n->text = stage.name;
    if (accept_symbol(".")) {
      r.n->field = field(expect_ident("a field"));
      if (o == op::count) r.n->o = op::count_field;
    } else if (o != op::count) {
      fail(peek().pos, "expected '.FIELD': " + fn.name + "(NAME.FIELD)");
    }
    expect_symbol(")");
    if (o == op::first || o == op::last) {
      r.t = r.n->field->type;
    } else if (o != op::count) {
      if (r.n->field->type == vtype::boolean)
        fail(stage.pos,
             fn.name + " needs numbers, '" + std::string(r.n->field->name) + "' is a boolean");
      r.n->numeric = r.n->field->type == vtype::string;
    }
    return r;
  }

  std::string_view text_;
  std::vector<token> toks_;
  std::size_t i_ = 0;
  int nesting_ = 0;
  std::vector<std::string> names_;  ///< the stages so far
  std::vector<name_at> refs_;       ///< stage names used in conditions and the skip strategy
};

}  // namespace pattern_text

/// The pattern written as `text` (grammar at the top of this file), built with the same builder
/// calls as the C++ API. Throws malformed_pattern (with the position) for a text that is not a
/// valid pattern over T's fields.
template <class T>
pattern<T> parse_pattern(std::string_view text) {
  static_assert(
      eddy::detail::has_eddy_fields<T>,
      "parse_pattern<T>: T needs EDDY_FIELDS(T, fields...) so conditions can name fields");
  return pattern_text::parser<T>(text).parse();
}

}  // namespace eddy::cep
