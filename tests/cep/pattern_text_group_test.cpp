// Group patterns in the textual pattern language (issue 17): a parenthesised sequence is the
// builder's group pattern. Each text is checked against the same pattern built in C++: the same
// stages (groups included), the same compiled automaton, and the same matches and timeouts on
// random event sequences; then Flink's GroupITCase examples as text, and the errors.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "eddy/cep/nfa_compiler.hpp"
#include "eddy/cep/pattern_text.hpp"
#include "nfa_driver.hpp"
#include "pattern_shape.hpp"

using namespace eddy;
using namespace eddy::cep_test;
using P = cep::pattern<ev>;
using V = std::vector<std::string>;
using ms = std::chrono::milliseconds;

namespace {

/// Random events over the symbols a b c d x, timestamps rising by 0..2.
std::vector<ev> random_events(std::mt19937& rng, int n) {
  std::vector<ev> out;
  std::int64_t ts = 1;
  for (int i = 0; i < n; ++i) {
    const char sym = "abcdx"[rng() % 5];
    ts += static_cast<std::int64_t>(rng() % 3);
    out.push_back(ev{std::string(1, sym) + std::to_string(i), sym, ts, 0});
  }
  return out;
}

/// `text` and `built` are the same automaton and find the same matches and timeouts.
void check_equivalent(const std::string& text, const P& built) {
  INFO(text);
  const auto parsed = cep::parse_pattern<ev>(text);
  CHECK(shape(parsed) == shape(built));
  std::mt19937 rng(29);
  std::size_t matches = 0;
  for (int round = 0; round < 200; ++round) {
    const auto events = random_events(rng, 5 + round % 10);
    const auto a = run(parsed, events);
    const auto b = run(built, events);
    CHECK(a.matches == b.matches);
    CHECK(a.timeouts == b.timeouts);
    matches += a.matches.size();
  }
  CHECK(matches > 0);  // the sequences exercise the pattern
}

std::string error_of(const std::string& text) {
  try {
    cep::parse_pattern<ev>(text);
  } catch (const cep::malformed_pattern& e) {
    return e.what();
  }
  return "";
}

P a_then_b() {
  return P::begin("m1").where(is('a')).followed_by("m2").where(is('b'));
}

}  // namespace

TEST_CASE("pattern text: a group in parentheses is the builder's group pattern") {
  check_equivalent(
      "start(sym = 'c') followed_by (m1(sym = 'a') followed_by m2(sym = 'b')){2} "
      "followed_by end(sym = 'd')",
      P::begin("start")
          .where(is('c'))
          .followed_by(a_then_b())
          .times(2)
          .followed_by("end")
          .where(is('d')));
  check_equivalent(
      "start(sym = 'c') followed_by (m1(sym = 'a') followed_by m2(sym = 'b'))+ "
      "until(sym = 'x') followed_by end(sym = 'd') within 12ms",
      P::begin("start")
          .where(is('c'))
          .followed_by(a_then_b())
          .one_or_more()
          .until(is('x'))
          .followed_by("end")
          .where(is('d'))
          .within(ms(12)));
  check_equivalent(  // a pattern that begins with a group, with a skip strategy
      "skip past_last_event (m1(sym = 'a') next m2(sym = 'b')){1,2} consecutive "
      "followed_by d(sym = 'd')",
      P::begin(P::begin("m1").where(is('a')).next("m2").where(is('b')),
               cep::skip::past_last_event())
          .times(1, 2)
          .consecutive()
          .followed_by("d")
          .where(is('d')));
  check_equivalent(  // an optional group after next, and followed_by_any of a group
      "a(sym = 'a') next (b(sym = 'b') followed_by c(sym = 'c'))? followed_by_any "
      "(d(sym = 'd') next x(sym = 'x'))",
      P::begin("a")
          .where(is('a'))
          .next(P::begin("b").where(is('b')).followed_by("c").where(is('c')))
          .optional()
          .followed_by_any(P::begin("d").where(is('d')).next("x").where(is('x'))));
  // Nested groups (Flink's testGroupNest): d (a (b c)*)? e.
  const auto bc = P::begin("m2").where(is('b')).followed_by("m3").where(is('c'));
  check_equivalent(
      "start(sym = 'd') followed_by (m1(sym = 'a') followed_by (m2(sym = 'b') followed_by "
      "m3(sym = 'c'))*)? followed_by end(sym = 'x')",
      P::begin("start")
          .where(is('d'))
          .followed_by(P::begin("m1").where(is('a')).followed_by(bc).one_or_more().optional())
          .optional()
          .followed_by("end")
          .where(is('x')));
}

TEST_CASE("pattern text: Flink's group examples as text") {
  const auto flat = [](const V& v) { return sorted(v); };
  CHECK(flat(run(cep::parse_pattern<ev>("start(sym = 'c') followed_by (m1(sym = 'a') followed_by "
                                        "m2(sym = 'b'))+ followed_by end(sym = 'd')"),
                 seq("c a1 b1 a2 b2 d"))
                 .matches) == V{"c a1 a2 b1 b2 d", "c a1 b1 d"});
  // Conditions read the group's stages by name.
  CHECK(run(cep::parse_pattern<ev>(
                "start(sym = 'c') followed_by (m1(sym = 'a') next m2(sym = 'b' and "
                "count(m1) >= 2)){2} followed_by end(sym = 'd')"),
            seq("c a1 b1 a2 b2 d"))
            .matches.empty());  // the first pair's b sees one a only
}

TEST_CASE("pattern text: group errors name what is wrong and where") {
  CHECK(error_of("a not_next (b next c)") ==
        "pattern text, column 12: a NOT stage (not_next) cannot be a group");
  CHECK(error_of("a followed_by (b next c") ==
        "pattern text, column 24: expected an option, a contiguity or ')' closing the group, "
        "found the end of the text");
  CHECK(error_of("a next (b next c)(sym = 'x')") ==
        "pattern text, column 18: GroupPattern does not support where clause.");
  CHECK(error_of("a next (b next c)+ greedy") ==
        "pattern text, column 20: Option not applicable to group pattern");
  // a group that can match no event cannot repeat without bound (it would loop on no event)
  CHECK(error_of("a followed_by (m*)*") ==
        "pattern text, column 19: the group (m) can match no event, all its stages being "
        "optional: it cannot repeat without bound");
  CHECK(error_of("a followed_by (m? next n{0,2})+") ==
        "pattern text, column 31: the group (m, n) can match no event, all its stages being "
        "optional: it cannot repeat without bound");
  CHECK(error_of("a followed_by ((m?)?){2,}") ==
        "pattern text, column 22: the group (GroupPattern) can match no event, all its stages "
        "being optional: it cannot repeat without bound");
  CHECK(error_of("a followed_by (m*){64}").empty());
  CHECK(error_of("a followed_by (m* next n)+").empty());
  CHECK(error_of("a next (b next a)") == "pattern text, column 16: Duplicate pattern name: a.");
  CHECK(error_of("a next ()") == "pattern text, column 9: expected a stage name, found ')'");
  CHECK(error_of("a next (b next c) d") ==
        "pattern text, column 19: expected an option ({n}, +, *, ?, greedy, consecutive, "
        "combinations, until, within) or a contiguity (next, followed_by, followed_by_any, "
        "not_next, not_followed_by), found 'd'");
  std::string deep = "a";
  for (int i = 0; i < 300; ++i) deep += " next (b" + std::to_string(i);
  CHECK(error_of(deep).find("nested too deeply") != std::string::npos);
}
