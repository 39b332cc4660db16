// The textual pattern language (issue 17, dynamic patterns): expressions over EDDY_FIELDS, parse
// errors with their positions, every option mapped to its builder call, and the main property:
// a text pattern and the same pattern built in C++ compile to the same automaton and give the same
// matches and timeouts on random event sequences.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "eddy/cep/nfa.hpp"
#include "eddy/cep/nfa_compiler.hpp"
#include "eddy/cep/pattern_text.hpp"
#include "nfa_driver.hpp"
#include "pattern_shape.hpp"

// A namespace of its own: test files are compiled in unity batches (tests/CMakeLists.txt).
namespace pattern_text_test {

using namespace eddy;
using namespace eddy::cep_test;
using P = cep::pattern<ev>;
using V = std::vector<std::string>;
using ms = std::chrono::milliseconds;

namespace pt_test {

enum class color : std::uint8_t { red = 1, green = 2 };

/// A record with one field of each kind conditions read (and one they cannot).
struct rec {
  std::int64_t id = 0;
  std::uint64_t big = 0;
  double ratio = 0;
  std::string amount;
  bool flag = false;
  char code = 0;
  std::optional<int> maybe;
  color hue = color::red;
  std::vector<int> list;
};
EDDY_FIELDS(rec, id, big, ratio, amount, flag, code, maybe, hue, list)

/// The shape of eddy::samples::transaction (samples/jobs/fraud.hpp).
struct transaction {
  std::int64_t card_id = 0;
  std::int64_t ts_ms = 0;
  std::string amount;
  bool small = false;
  bool large = false;
  std::uint64_t line_number = 0;
};
EDDY_FIELDS(transaction, card_id, ts_ms, amount, small, large, line_number)

}  // namespace pt_test

using pt_test::rec;
using pt_test::transaction;

namespace {

/// A condition context with fixed events per stage.
template <class T>
struct fixed_context final : cep::context<T> {
  std::map<std::string, std::vector<const T*>, std::less<>> by_stage;
  const std::vector<const T*>& events(std::string_view name) const override {
    static const std::vector<const T*> none;
    const auto it = by_stage.find(name);
    return it == by_stage.end() ? none : it->second;
  }
  std::int64_t timestamp() const override { return 0; }
};

/// Whether `expr` holds for `r` as the condition of the last stage of "a followed_by b followed_by
/// s(expr)", with the events `ctx` gives stages a and b.
bool holds(const std::string& expr, const rec& r, const fixed_context<rec>& ctx = {}) {
  const auto p = cep::parse_pattern<rec>("a followed_by b followed_by s(" + expr + ")");
  return p.stages().back().cond(r, ctx);
}

rec sample() {
  rec r;
  r.id = 3;
  r.big = std::numeric_limits<std::uint64_t>::max();
  r.ratio = 0.75;
  r.amount = "0.99";
  r.flag = true;
  r.code = 'x';
  r.hue = pt_test::color::green;
  return r;
}

/// The message of the malformed_pattern that parsing `text` throws ("" if none).
template <class T = rec>
std::string error_of(const std::string& text) {
  try {
    cep::parse_pattern<T>(text);
  } catch (const cep::malformed_pattern& e) {
    return e.what();
  }
  return "";
}

/// Random events over the symbols a b c x: values 0..9, timestamps rising by 0..2.
std::vector<ev> random_events(std::mt19937& rng, int n) {
  std::vector<ev> out;
  std::int64_t ts = 1;
  for (int i = 0; i < n; ++i) {
    const char sym = "abcx"[rng() % 4];
    ts += static_cast<std::int64_t>(rng() % 3);
    out.push_back(
        ev{std::string(1, sym) + std::to_string(i), sym, ts, static_cast<int>(rng() % 10)});
  }
  return out;
}

/// Checks that `text` and `built` are the same automaton and find the same matches and timeouts
/// on 150 random sequences.
void check_equivalent(const std::string& text, const P& built) {
  INFO(text);
  const auto parsed = cep::parse_pattern<ev>(text);
  CHECK(shape(parsed) == shape(built));
  std::mt19937 rng(17);
  std::size_t matches = 0;
  std::size_t timeouts = 0;
  for (int round = 0; round < 150; ++round) {
    const auto events = random_events(rng, 4 + round % 9);
    const auto a = run(parsed, events);
    const auto b = run(built, events);
    CHECK(a.matches == b.matches);
    CHECK(a.timeouts == b.timeouts);
    matches += a.matches.size();
    timeouts += a.timeouts.size();
  }
  // The sequences exercise the pattern, and its timeouts if it has a window (a trailing
  // not_followed_by completes at the window's end instead).
  CHECK(matches > 0);
  const auto compiled = cep::compile(built);
  const bool trailing_not = built.stages().back().q.outer == cep::consuming_strategy::not_follow;
  if ((compiled.window_ms > 0 || compiled.has_gaps()) && !trailing_not) CHECK(timeouts > 0);
}

}  // namespace

TEST_CASE("pattern text: numbers compare exactly, strings and chars as text") {
  const rec r = sample();
  CHECK(holds("id = 3.00", r));
  CHECK(holds("id < 3.01 and id > 2.999", r));
  CHECK_FALSE(holds("id = 3.001", r));
  CHECK(holds("0.1 + 0.2 = 0.3", r));  // exact, not binary floating point
  CHECK(holds("ratio = 0.75 and ratio > 0.7", r));
  CHECK(holds("ratio * 4 = 3", r));
  CHECK(holds("big > 9223372036854775807", r));  // above int64: read as a double
  CHECK(holds("amount = '0.99' and amount < '1'", r));
  CHECK(holds("amount < 1.00 and amount > 0 and amount = 0.990", r));  // a string read as decimal
  CHECK(holds("code = 'x' and code in ('a', 'x') and code not in ('y')", r));
  CHECK(holds("flag and flag = true and not not flag", r));
  CHECK(holds("hue = 2", r));
  CHECK(holds("1e3 = 1000 and 2.5e-1 = 0.25", r));
  CHECK(holds("'it''s' = 'it''s'", r));
}

TEST_CASE("pattern text: arithmetic, precedence and null") {
  const rec r = sample();
  CHECK(holds("id * 2 + 1 = 7", r));
  CHECK(holds("1 + id * 2 = 7 and (1 + id) * 2 = 8", r));
  CHECK(holds("id / 2 = 1.5 and id % 2 = 1 and 7.5 % 2 = 1.5", r));
  CHECK(holds("-id = -3 and id - -1 = 4 and -(id + 1) = -4", r));
  CHECK(holds("10 - 3 - 2 = 5", r));  // left-associative
  CHECK(holds("id = 1 or id = 3 and flag", r));
  CHECK_FALSE(holds("(id = 1 or id = 3) and not flag", r));
  CHECK(holds("9223372036854775807 * 10 > 9223372036854775807", r));  // overflow: double
  CHECK(holds("amount * 100 = 99", r));
  // Null (an empty optional, division by zero, a string that is no number) is neither true nor
  // false: comparisons are null, `not null` is null, `null or true` true, `null and false` false.
  for (const auto* e : {"maybe = 3", "id / 0 = 0", "id % 0 = 0"}) {
    CHECK_FALSE(holds(e, r));
    CHECK_FALSE(holds(std::string("not (") + e + ")", r));
    CHECK(holds(std::string("(") + e + ") or true", r));
    CHECK(holds(std::string("not ((") + e + ") and false)", r));
  }
  rec words = r;
  words.amount = "abc";
  CHECK_FALSE(holds("amount < 1", words));
  CHECK_FALSE(holds("amount >= 1", words));
  rec some = r;
  some.maybe = 3;
  CHECK(holds("maybe = 3", some));
}

TEST_CASE("pattern text: NAME.FIELD and aggregates read the partial match") {
  rec b1 = sample();
  rec b2 = sample();
  b1.id = 2;
  b1.amount = "0.99";
  b1.maybe = 7;
  b2.id = 3;
  b2.amount = "1.01";
  fixed_context<rec> ctx;
  ctx.by_stage["b"] = {&b1, &b2};
  const rec r = sample();
  CHECK(holds("count(b) = 2 and count(a) = 0", r, ctx));
  CHECK(holds("count(b.maybe) = 1", r, ctx));  // null values are not counted
  CHECK(holds("sum(b.id) = 5 and avg(b.id) = 2.5 and min(b.id) = 2 and max(b.id) = 3", r, ctx));
  CHECK(holds("first(b.id) = 2 and last(b.id) = 3 and b.id = 3", r, ctx));
  CHECK(holds("sum(b.amount) = 2.00 and max(b.amount) = 1.01", r, ctx));  // strings as decimals
  CHECK(holds("first(b.amount) = '0.99' and last(b.amount) < 2", r, ctx));
  CHECK(holds("id > b.id - 1 and b.code = code", r, ctx));
  // No events for a: sum is 0, the others null.
  CHECK(holds("sum(a.id) = 0", r, ctx));
  for (const auto* e : {"a.id = 1", "avg(a.id) = 0", "min(a.id) = 0", "first(a.amount) = ''"}) {
    CHECK_FALSE(holds(e, r, ctx));
    CHECK_FALSE(holds(std::string("not (") + e + ")", r, ctx));
  }
  // The stage being matched sees its own earlier events (not the current one).
  const auto p = cep::parse_pattern<rec>("s(count(s) = 0 or id > s.id)+");
  fixed_context<rec> own;
  CHECK(p.stages()[0].cond(r, own));
  own.by_stage["s"] = {&b2};
  CHECK_FALSE(p.stages()[0].cond(r, own));
  own.by_stage["s"] = {&b1};
  CHECK(p.stages()[0].cond(r, own));
}

TEST_CASE("pattern text: errors name what is wrong and where") {
  CHECK(error_of("s(amout < 1)") ==
        "pattern text, column 3: unknown field 'amout' (fields: id, big, ratio, amount, flag, "
        "code, maybe, hue, list)");
  CHECK(error_of("a followed_by b(x.id = 1)") ==
        "pattern text, column 17: unknown stage 'x' (stages: a, b)");
  CHECK(error_of("a followed_by b(sum(zz.id) > 1)") ==
        "pattern text, column 21: unknown stage 'zz' (stages: a, b)");
  CHECK(error_of("a{9,39999992}") ==
        "pattern text, column 5: a repetition counts at most 10000 events (each is a state of the "
        "compiled pattern), not 39999992");
  CHECK(error_of("a{10000}").empty());
  CHECK(error_of("skip to_first zz a") ==
        "pattern text, column 15: unknown stage 'zz' (stages: a)");
  CHECK(error_of("s(list = 1)") ==
        "pattern text, column 3: field 'list' has a type conditions cannot use (numbers, "
        "strings, chars, booleans)");
  CHECK(error_of("s('abc' < 1)") ==
        "pattern text, column 3: '<' needs a number, this is a string literal");
  CHECK(error_of("s(amount + 'x' > 1)") ==
        "pattern text, column 12: '+' needs a number, this is a string literal");
  CHECK(error_of("s(id)") ==
        "pattern text, column 3: a condition must be true or false, this is a number");
  CHECK(error_of("s(flag < true)") ==
        "pattern text, column 10: '<' cannot order booleans (use = or !=)");
  CHECK(error_of("s(flag = 1)") ==
        "pattern text, column 10: '=' cannot compare a boolean with a number");
  CHECK(error_of("s(id = 1 and 2)") ==
        "pattern text, column 14: 'and' needs true or false, this is a number");
  CHECK(error_of("s(sum(s.flag) > 1)") ==
        "pattern text, column 7: sum needs numbers, 'flag' is a boolean");
  CHECK(error_of("s(median(s.id) > 1)") ==
        "pattern text, column 3: unknown function 'median' (count, sum, avg, min, max, first, "
        "last)");
  CHECK(error_of("s(sum(s) > 1)") == "pattern text, column 8: expected '.FIELD': sum(NAME.FIELD)");
  CHECK(error_of("s(id = 1") == "pattern text, column 9: expected ')', found the end of the text");
  CHECK(error_of("s(id = )") == "pattern text, column 8: expected a value, found ')'");
  CHECK(error_of("s(id # 1)") == "pattern text, column 6: unexpected character '#'");
  CHECK(error_of("s(code = 'x)") == "pattern text, column 10: unterminated string");
  CHECK(error_of("s(id = 99999999999999999999)") == "pattern text, column 8: integer out of range");
  CHECK(error_of("s followed_by") ==
        "pattern text, column 14: expected a stage name, found the end of the text");
  CHECK(error_of("s followed_by next") ==
        "pattern text, column 15: 'next' is a keyword, not a stage name");
  CHECK(error_of("s(id = 1) b") ==
        "pattern text, column 11: expected an option ({n}, +, *, ?, greedy, consecutive, "
        "combinations, until, within) or a contiguity (next, followed_by, followed_by_any, "
        "not_next, not_followed_by), found 'b'");
  CHECK(error_of("s within 10 parsecs") ==
        "pattern text, column 13: expected a time unit (ms, s, min, h), found 'parsecs'");
  CHECK(error_of("s{2,x}") == "pattern text, column 5: expected a number of events, found 'x'");
  CHECK(error_of("s gap 5s") ==
        "pattern text, column 3: 'gap' belongs right after a repetition ({n}, {n,m}, {n,}, + or "
        "*)");
  CHECK(error_of("skip to_middle s") ==
        "pattern text, column 6: unknown skip strategy 'to_middle' (no_skip, to_next, "
        "past_last_event, to_first NAME, to_last NAME)");
  CHECK(error_of("a next a") == "pattern text, column 8: Duplicate pattern name: a.");
  CHECK(error_of("a(id = 1)\n  followed_by b(zz = 1)") ==
        "pattern text, line 2, column 17: unknown field 'zz' (fields: id, big, ratio, amount, "
        "flag, code, maybe, hue, list)");
  // Deep nesting is refused (parsing and evaluation recurse).
  const auto repeat = [](const std::string& x, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += x;
    return s;
  };
  CHECK(error_of("s(" + repeat("(", 300) + "id = 1" + repeat(")", 300) + ")") ==
        "pattern text, column 203: expression nested too deeply (more than 200 levels)");
  CHECK_THAT(error_of("s(id" + repeat(" + 1", 300) + " > 0)"),
             Catch::Contains("expression nested too deeply"));
  CHECK_THAT(error_of("s(" + repeat("not ", 300) + "flag)"),
             Catch::Contains("expression nested too deeply"));
  CHECK_THAT(error_of("s(" + repeat("- ", 300) + "1 > 0)"),
             Catch::Contains("expression nested too deeply"));
  CHECK(error_of("s(" + repeat("(", 150) + "id" + repeat(" + 1", 40) + repeat(")", 150) +
                 " > 0)") == "");
  // The builder's own messages, at the option that caused them.
  CHECK(error_of("a until(id = 1)") ==
        "pattern text, column 3: The until condition is only applicable to looping states.");
  CHECK(error_of("a{2}{3}") ==
        "pattern text, column 5: Already applied quantifier to this Pattern. Current quantifier "
        "is: TIMES");
  CHECK(error_of("a not_next b?") ==
        "pattern text, column 13: optional: option not applicable to NOT pattern");
  CHECK(error_of("a greedy") ==
        "pattern text, column 3: Option not applicable to singleton pattern.");
  CHECK(error_of("a{0}") == "pattern text, column 2: times: expected 0 <= from <= to and to > 0");
  CHECK(error_of("a within 0s") == "pattern text, column 3: within: the window must be positive");
  CHECK(error_of("a? not_next b") ==
        "pattern text, column 4: Specifying a pattern with an optional path to NOT condition is "
        "not supported yet. You can simulate such pattern with two independent patterns, one with "
        "and the other without the optional part.");
}

TEST_CASE("pattern text: each option is its builder call") {
  const auto same = [](const std::string& text, const P& built) {
    INFO(text);
    CHECK(shape(cep::parse_pattern<ev>(text)) == shape(built));
  };
  same("a", P::begin("a"));
  same("a{3}", P::begin("a").times(3));
  same("a{2,4}", P::begin("a").times(2, 4));
  same("a{0,4}", P::begin("a").times(0, 4));  // optional + times(1, 4)
  same("a{0,4}", P::begin("a").optional().times(1, 4));
  same("a{2,}", P::begin("a").times_or_more(2));
  same("a{0,}", P::begin("a").one_or_more().optional());
  same("a+", P::begin("a").one_or_more());
  same("a*", P::begin("a").one_or_more().optional());
  same("a?", P::begin("a").optional());
  same("a+ greedy", P::begin("a").one_or_more().greedy());
  same("a+ consecutive", P::begin("a").one_or_more().consecutive());
  same("a{2,3} combinations", P::begin("a").times(2, 3).allow_combinations());
  same("a{3} gap 5ms", P::begin("a").times(3, 3, ms(5)));
  same("a{2,3} gap 2s", P::begin("a").times(2, 3, ms(2000)));
  same("a{2,} gap 1min", P::begin("a").times_or_more(2, ms(60000)));
  same("a+ gap 1m", P::begin("a").times_or_more(1, ms(60000)));
  same("a* gap 1h", P::begin("a").times_or_more(1, ms(3600000)).optional());
  same("a+ until(sym = 'b')", P::begin("a").one_or_more().until(is('b')));
  same("a within 10ms", P::begin("a").within(ms(10)));
  same("a followed_by b within 10ms between_events",
       P::begin("a").followed_by("b").within(ms(10), cep::within_type::previous_and_current));
  same("a within 20ms next b within 10ms", P::begin("a").within(ms(20)).next("b").within(ms(10)));
  same("a next b followed_by c followed_by_any d not_next e not_followed_by f followed_by g",
       P::begin("a")
           .next("b")
           .followed_by("c")
           .followed_by_any("d")
           .not_next("e")
           .not_followed_by("f")
           .followed_by("g"));
  same("skip no_skip a", P::begin("a", cep::skip::no_skip()));
  same("skip to_next a", P::begin("a", cep::skip::to_next()));
  same("skip past_last_event a", P::begin("a", cep::skip::past_last_event()));
  same("skip to_first b a next b", P::begin("a", cep::skip::to_first("b")).next("b"));
  same("skip to_last b a next b", P::begin("a", cep::skip::to_last("b")).next("b"));
  same("skip to_first a throw_on_miss a next b",
       P::begin("a", cep::skip::to_first("a").throw_on_miss()).next("b"));
  same("a(sym = 'a') next b(true)", P::begin("a").where(is('a')).next("b").where(is('b')));
}

TEST_CASE("pattern text and the C++ builder find the same matches") {
  check_equivalent("a(sym = 'a') followed_by b(sym = 'b') within 5ms",
                   P::begin("a").where(is('a')).followed_by("b").where(is('b')).within(ms(5)));
  check_equivalent("a(sym = 'a') next b(sym = 'b' or value > 7)",
                   P::begin("a").where(is('a')).next("b").where(
                       [](const ev& x) { return x.sym == 'b' || x.value > 7; }));
  check_equivalent(
      "skip past_last_event a(sym = 'a') next b(sym = 'b')+ consecutive greedy next c(sym = 'c')",
      P::begin("a", cep::skip::past_last_event())
          .where(is('a'))
          .next("b")
          .where(is('b'))
          .one_or_more()
          .consecutive()
          .greedy()
          .next("c")
          .where(is('c')));
  check_equivalent(
      "a(sym = 'a') followed_by_any b(sym = 'b' and value >= 3){1,3} combinations "
      "followed_by c(sym = 'c') within 8ms",
      P::begin("a")
          .where(is('a'))
          .followed_by_any("b")
          .where([](const ev& x) { return x.sym == 'b' && x.value >= 3; })
          .times(1, 3)
          .allow_combinations()
          .followed_by("c")
          .where(is('c'))
          .within(ms(8)));
  check_equivalent(
      "a(sym = 'a') followed_by b(sym = 'b')+ followed_by c(sym = 'c' and sum(b.value) > 10) "
      "within 10ms",
      P::begin("a")
          .where(is('a'))
          .followed_by("b")
          .where(is('b'))
          .one_or_more()
          .followed_by("c")
          .where([](const ev& x, const cep::context<ev>& ctx) {
            int sum = 0;
            for (const auto* b : ctx.events("b")) sum += b->value;
            return x.sym == 'c' && sum > 10;
          })
          .within(ms(10)));
  check_equivalent("a(sym = 'a') not_next x(sym = 'x') followed_by b(sym = 'b') within 6ms",
                   P::begin("a")
                       .where(is('a'))
                       .not_next("x")
                       .where(is('x'))
                       .followed_by("b")
                       .where(is('b'))
                       .within(ms(6)));
  check_equivalent("a(sym = 'a') not_followed_by x(sym = 'x') followed_by b(sym = 'b') within 6ms",
                   P::begin("a")
                       .where(is('a'))
                       .not_followed_by("x")
                       .where(is('x'))
                       .followed_by("b")
                       .where(is('b'))
                       .within(ms(6)));
  check_equivalent("a(sym = 'a') not_followed_by x(sym = 'x') within 4ms",
                   P::begin("a").where(is('a')).not_followed_by("x").where(is('x')).within(ms(4)));
  check_equivalent("a(sym = 'a')+ until(sym = 'b') within 5ms",
                   P::begin("a").where(is('a')).one_or_more().until(is('b')).within(ms(5)));
  check_equivalent("a(sym = 'a') followed_by x(sym = 'x')? followed_by b(sym = 'b') within 6ms",
                   P::begin("a")
                       .where(is('a'))
                       .followed_by("x")
                       .where(is('x'))
                       .optional()
                       .followed_by("b")
                       .where(is('b'))
                       .within(ms(6)));
  check_equivalent("skip to_last b b(sym = 'b')+ consecutive greedy next c(sym = 'c')",
                   P::begin("b", cep::skip::to_last("b"))
                       .where(is('b'))
                       .one_or_more()
                       .consecutive()
                       .greedy()
                       .next("c")
                       .where(is('c')));
  check_equivalent(
      "skip to_first b s(sym = 'a' or sym = 'c') followed_by b(sym = 'b'){2,} "
      "followed_by e(sym = 'c') within 10ms",
      P::begin("s", cep::skip::to_first("b"))
          .where([](const ev& x) { return x.sym == 'a' || x.sym == 'c'; })
          .followed_by("b")
          .where(is('b'))
          .times_or_more(2)
          .followed_by("e")
          .where(is('c'))
          .within(ms(10)));
  // A rising run of values (NAME.FIELD: the last event taken for the stage).
  check_equivalent(
      "r(sym != 'x' and (count(r) = 0 or value > r.value)){2,4} consecutive within 6ms",
      P::begin("r")
          .where([](const ev& x, const cep::context<ev>& ctx) {
            const auto& taken = ctx.events("r");
            return x.sym != 'x' && (taken.empty() || x.value > taken.back()->value);
          })
          .times(2, 4)
          .consecutive()
          .within(ms(6)));
  check_equivalent(
      "skip to_next a(sym = 'a') followed_by b(sym = 'b')* followed_by c(sym = 'c') within 6ms",
      P::begin("a", cep::skip::to_next())
          .where(is('a'))
          .followed_by("b")
          .where(is('b'))
          .one_or_more()
          .optional()
          .followed_by("c")
          .where(is('c'))
          .within(ms(6)));
  check_equivalent(
      "a(sym = 'a') followed_by b(sym = 'b'){0,2} followed_by c(sym = 'c') within 3ms "
      "between_events",
      P::begin("a")
          .where(is('a'))
          .followed_by("b")
          .where(is('b'))
          .times(0, 2)
          .followed_by("c")
          .where(is('c'))
          .within(ms(3), cep::within_type::previous_and_current));
  check_equivalent("a(sym = 'a') followed_by b(sym = 'b'){2,} gap 2ms followed_by c(sym = 'c')",
                   P::begin("a")
                       .where(is('a'))
                       .followed_by("b")
                       .where(is('b'))
                       .times_or_more(2, ms(2))
                       .followed_by("c")
                       .where(is('c')));
  check_equivalent("a next b", P::begin("a").next("b"));
}

namespace {

/// Runs a pattern over transactions of one card (in order); matches as "small_ts large_ts".
V run_transactions(const cep::pattern<transaction>& p, const std::vector<transaction>& txns) {
  cep::nfa<transaction> n(std::make_shared<cep::compiled_pattern<transaction>>(cep::compile(p)));
  cep::key_state<transaction> s;
  V out;
  auto on_match = [&](cep::match<transaction>&& m) {
    std::string line;
    for (const auto& [stage, events] : m.stages())
      for (const auto& t : events) line += (line.empty() ? "" : " ") + std::to_string(t.ts_ms);
    out.push_back(line);
  };
  auto on_timeout = [](cep::match<transaction>&&, std::int64_t) {};
  for (const auto& t : txns) {
    n.advance_time(s, t.ts_ms, on_match, on_timeout);
    n.process(s, t, t.ts_ms, on_match);
  }
  n.advance_time(s, std::numeric_limits<std::int64_t>::max(), on_match, on_timeout);
  return out;
}

}  // namespace

TEST_CASE("pattern text: the fraud pattern over decimal-string amounts") {
  const auto text =
      "skip past_last_event small(amount < 1.00) followed_by large(amount > 500.00) within 60s";
  const auto parsed = cep::parse_pattern<transaction>(text);
  // The sample job's pattern: the same over the flags its parser computes exactly.
  const auto built = cep::pattern<transaction>::begin("small", cep::skip::past_last_event())
                         .where([](const transaction& t) { return t.small; })
                         .followed_by("large")
                         .where([](const transaction& t) { return t.large; })
                         .within(std::chrono::seconds(60));
  // amount, small, large (as samples/jobs/fraud.cpp classifies them)
  struct row {
    const char* amount;
    bool small;
    bool large;
  };
  const std::vector<row> rows{
      {"0.99", true, false},       {"1.00", false, false}, {"500.00", false, false},
      {"500.01", false, true},     {"-3", true, false},    {"0", true, false},
      {"abc", false, false},       {"1200", false, true},  {"0.999999", true, false},
      {"500.000001", false, true}, {"+0.5", true, false}};
  std::mt19937 rng(5);
  for (int round = 0; round < 200; ++round) {
    std::vector<transaction> txns;
    std::int64_t ts = 0;
    for (int i = 0; i < 10; ++i) {
      const auto& r = rows[rng() % rows.size()];
      ts += static_cast<std::int64_t>(rng() % 30'000);
      txns.push_back(transaction{7, ts, r.amount, r.small, r.large, static_cast<std::uint64_t>(i)});
    }
    CHECK(run_transactions(parsed, txns) == run_transactions(built, txns));
  }
  const std::vector<transaction> example{{7, 1000, "0.50", true, false, 1},
                                         {7, 2000, "12.00", false, false, 2},
                                         {7, 30000, "750.00", false, true, 3},
                                         {7, 40000, "0.10", true, false, 4},
                                         {7, 101000, "900", false, true, 5}};
  CHECK(run_transactions(parsed, example) == V{"1000 30000"});
}

TEST_CASE("pattern text: random texts parse or throw malformed_pattern") {
  // Pieces of the language, glued at random: every text is a pattern or a malformed_pattern,
  // and a pattern runs.
  std::vector<std::string> pieces{"\n"};
  const std::string vocabulary =
      "a b c ( ) { } , 2 0 1.5 'a' sym value name ts = < >= != + - * / % ? . and or not in true "
      "next followed_by not_next followed_by_any not_followed_by skip to_first past_last_event "
      "within 5ms greedy consecutive combinations until gap count sum last between_events ' # "
      "1e400";
  for (std::size_t pos = 0; pos < vocabulary.size();) {
    const auto end = std::min(vocabulary.find(' ', pos), vocabulary.size());
    pieces.push_back(vocabulary.substr(pos, end - pos));
    pos = end + 1;
  }
  std::mt19937 rng(3);
  int parsed = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) text += pieces[rng() % pieces.size()] + " ";
    INFO(text);
    try {
      const auto p = cep::parse_pattern<ev>(text);
      ++parsed;
      run(p, seq("a1 b1 c1 a2 b2"), 100);
    } catch (const cep::malformed_pattern&) {
    }
  }
  CHECK(parsed > 0);
}

}  // namespace pattern_text_test
