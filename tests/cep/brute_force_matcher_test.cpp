// Golden tests for the brute-force CEP reference matcher (brute_force_matcher.hpp).
//
// Each case is ported from Flink (upstream master 3f247042): either an example of
// docs/content/docs/libs/cep.md or a test of
// flink-libraries/flink-cep/src/test/java/org/apache/flink/cep/nfa/*ITCase.java. The expected
// results are the ones Flink's test asserts. Flink's Event(name, price) maps to event{sym, ts,
// value, seq}: sym is the first letter of the name, value the price. Events that Flink names by
// several letters ("ab") get a sym of their own with conditions adapted. Conditions use the
// reference's text form (make_cond): "s=a" is name == a, "v>4&v<6" is price == 5.
//
// Flink's NFA tests feed events through NFATestHarness, which advances time before each event
// but never after the last one, so they run with final_watermark = std::nullopt (see
// run_options). The "quirk" cases at the end are not Flink tests: they pin behaviour of Flink's
// NFA that the reference reproduces, each checked by running Flink's own NFA code.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "brute_force_inputs.hpp"
#include "brute_force_matcher.hpp"

namespace cr = eddy::cep_reference;

namespace {

using seqs = std::vector<std::uint64_t>;
using bag = std::multiset<seqs>;

// Events from a compact text: space-separated tokens SYM[NAME][@TS][:VALUE]. seq is the token's
// position; ts defaults to seq + 1 and value to 0. Example: "a1 c b1@7 b2:5".
std::vector<cr::event> events(const std::string& text) {
  std::vector<cr::event> out;
  std::istringstream in(text);
  std::string tok;
  while (in >> tok) {
    cr::event e{tok[0], static_cast<std::int64_t>(out.size()) + 1, 0, out.size()};
    auto at = tok.find('@'), colon = tok.find(':');
    if (at != std::string::npos) e.ts = std::stoll(tok.substr(at + 1, colon - at - 1));
    if (colon != std::string::npos) e.value = std::stoi(tok.substr(colon + 1));
    out.push_back(e);
  }
  return out;
}

// A fluent stage builder mirroring Flink's Pattern API.
struct st {
  cr::stage s;
  st(std::string name, const std::string& cond, cr::contiguity outer) {
    s.name = std::move(name);
    s.cond = cr::make_cond(cond);
    s.outer = outer;
  }
  st& times(int n) { return times(n, n); }
  st& times(int lo, int hi) {
    s.min = lo;
    s.max = hi;
    return *this;
  }
  st& one_or_more() { return times_or_more(1); }
  st& times_or_more(int n) {
    s.looping = true;
    s.min = n;
    s.max = -1;
    return *this;
  }
  st& optional() {
    s.optional = true;
    return *this;
  }
  st& greedy() {
    s.greedy = true;
    return *this;
  }
  st& consecutive() {
    s.inner = cr::contiguity::strict;
    return *this;
  }
  st& allow_combinations() {
    s.inner = cr::contiguity::non_deterministic_relaxed;
    return *this;
  }
  st& until(const std::string& cond) {
    s.until = cr::make_cond(cond);
    return *this;
  }
};
st begin(std::string n, const std::string& c) {
  return st(std::move(n), c, cr::contiguity::strict);
}
st next(std::string n, const std::string& c) {
  return st(std::move(n), c, cr::contiguity::strict);
}
st followed_by(std::string n, const std::string& c) {
  return st(std::move(n), c, cr::contiguity::relaxed);
}
st followed_by_any(std::string n, const std::string& c) {
  return st(std::move(n), c, cr::contiguity::non_deterministic_relaxed);
}
st not_next(std::string n, const std::string& c) {
  st x(std::move(n), c, cr::contiguity::strict);
  x.s.negated_next = true;
  return x;
}
st not_followed_by(std::string n, const std::string& c) {
  st x(std::move(n), c, cr::contiguity::relaxed);
  x.s.negated_followed_by = true;
  return x;
}

cr::pattern pat(std::initializer_list<st> stages, cr::skip_kind skip = cr::skip_kind::no_skip,
                std::string skip_name = "", std::optional<std::int64_t> within = std::nullopt) {
  cr::pattern p;
  for (const st& s : stages) p.stages.push_back(s.s);
  p.skip = skip;
  p.skip_name = std::move(skip_name);
  p.within = within;
  return p;
}

// Flink's NFA tests: no time advance after the last event.
const cr::run_options harness{std::nullopt};

// The matches as a multiset of flattened seq lists (Flink's comparePatterns ignores order).
bag matches(const cr::result& r) {
  bag out;
  for (const cr::match& m : r.matches) {
    seqs flat;
    for (const auto& [name, s] : m.stages) flat.insert(flat.end(), s.begin(), s.end());
    out.insert(flat);
  }
  return out;
}
bag matches(const cr::pattern& p, const std::string& ev, const cr::run_options& o = harness) {
  return matches(cr::run(p, events(ev), o));
}
bag timeouts(const cr::result& r) {
  return bag(r.timeouts.begin(), r.timeouts.end());
}

}  // namespace

// ----- docs/content/docs/libs/cep.md ----------------------------------------------------------

TEST_CASE("reference: doc contiguity of a b on a c b1 b2") {
  // cep.md:651-660 "a pattern "a b", given the event sequence "a", "c", "b1", "b2"".
  const std::string ev = "a c b1 b2";
  CHECK(matches(pat({begin("a", "s=a"), next("b", "s=b")}), ev) == bag{});
  CHECK(matches(pat({begin("a", "s=a"), followed_by("b", "s=b")}), ev) == bag{{0, 2}});
  CHECK(matches(pat({begin("a", "s=a"), followed_by_any("b", "s=b")}), ev) == bag{{0, 2}, {0, 3}});
}

TEST_CASE("reference: doc contiguity within looping a b+ c") {
  // cep.md:706-720: "a b+ c", a followed by any one or more b, on a b1 d1 b2 d2 b3 c.
  const std::string ev = "a b1 d1 b2 d2 b3 c";
  auto p = [](st b) { return pat({begin("a", "s=a"), b, followed_by("c", "s=c")}); };
  CHECK(matches(p(followed_by_any("b", "s=b").one_or_more().consecutive()), ev) ==
        bag{{0, 1, 6}, {0, 3, 6}, {0, 5, 6}});
  CHECK(matches(p(followed_by_any("b", "s=b").one_or_more()), ev) ==
        bag{{0, 1, 6}, {0, 1, 3, 6}, {0, 1, 3, 5, 6}, {0, 3, 6}, {0, 3, 5, 6}, {0, 5, 6}});
  CHECK(matches(p(followed_by_any("b", "s=b").one_or_more().allow_combinations()), ev) ==
        bag{{0, 1, 6},
            {0, 1, 3, 6},
            {0, 1, 5, 6},
            {0, 1, 3, 5, 6},
            {0, 3, 6},
            {0, 3, 5, 6},
            {0, 5, 6}});
}

TEST_CASE("reference: doc consecutive and allowCombinations on C D A1 A2 A3 D A4 B") {
  // cep.md:735-792: start(c) followedBy middle(a)+ followedBy end1(b).
  const std::string ev = "c d a1 a2 a3 d a4 b";
  auto p = [](st mid) { return pat({begin("start", "s=c"), mid, followed_by("end1", "s=b")}); };
  CHECK(matches(p(followed_by("middle", "s=a").one_or_more().consecutive()), ev) ==
        bag{{0, 2, 7}, {0, 2, 3, 7}, {0, 2, 3, 4, 7}});
  CHECK(matches(p(followed_by("middle", "s=a").one_or_more()), ev) ==
        bag{{0, 2, 7}, {0, 2, 3, 7}, {0, 2, 3, 4, 7}, {0, 2, 3, 4, 6, 7}});
  CHECK(matches(p(followed_by("middle", "s=a").one_or_more().allow_combinations()), ev) ==
        bag{{0, 2, 7},
            {0, 2, 3, 7},
            {0, 2, 4, 7},
            {0, 2, 6, 7},
            {0, 2, 3, 4, 7},
            {0, 2, 3, 6, 7},
            {0, 2, 4, 6, 7},
            {0, 2, 3, 4, 6, 7}});
}

TEST_CASE("reference: doc until a+ until b on a1 c a2 b a3") {
  // cep.md:350-356: results {a1 a2} {a1} {a2} {a3}.
  CHECK(matches(pat({begin("a", "s=a").one_or_more().until("s=b")}), "a1 c a2 b a3") ==
        bag{{0, 2}, {0}, {2}, {4}});
}

TEST_CASE("reference: doc skip strategies for b+ c on b1 b2 b3 c") {
  // cep.md:1071-1125, the table for pattern "b+ c" and stream "b1 b2 b3 c".
  const std::string ev = "b1 b2 b3 c";
  auto p = [](cr::skip_kind k, std::string name = "") {
    return pat({begin("b", "s=b").one_or_more(), next("c", "s=c")}, k, std::move(name));
  };
  CHECK(matches(p(cr::skip_kind::no_skip), ev) == bag{{0, 1, 2, 3}, {1, 2, 3}, {2, 3}});
  CHECK(matches(p(cr::skip_kind::to_next), ev) == bag{{0, 1, 2, 3}, {1, 2, 3}, {2, 3}});
  CHECK(matches(p(cr::skip_kind::past_last_event), ev) == bag{{0, 1, 2, 3}});
  CHECK(matches(p(cr::skip_kind::to_last, "b"), ev) == bag{{0, 1, 2, 3}, {2, 3}});
  // The doc's SKIP_TO_FIRST[b] row lists all three matches, but Flink's NFA emits only the first:
  // emitting {b1 b2 b3 c} prunes nothing (start < b1), and {b2 b3 c} then waits behind the live
  // partial match [b1 b2 b3] (it starts earlier; NFA.java:444-451), which never ends without a
  // window. Checked by running Flink's NFA code. With a window, the final watermark times the
  // partial match out and releases both.
  CHECK(matches(p(cr::skip_kind::to_first, "b"), ev) == bag{{0, 1, 2, 3}});
  cr::pattern windowed = p(cr::skip_kind::to_first, "b");
  windowed.within = 100;
  CHECK(matches(windowed, ev, cr::run_options{}) == bag{{0, 1, 2, 3}, {1, 2, 3}, {2, 3}});
}

TEST_CASE("reference: doc skip to next for a b+ on a b1 b2 b3") {
  // cep.md:1156-1175; AfterMatchSkipITCase testNoSkipWithQuantifierAtTheEnd and
  // testSkipToNextWithQuantifierAtTheEnd (start(a) next end(b)+).
  const std::string ev = "a b1 b2 b3";
  auto p = [](cr::skip_kind k) {
    return pat({begin("start", "s=a"), next("end", "s=b").one_or_more()}, k);
  };
  CHECK(matches(p(cr::skip_kind::no_skip), ev) == bag{{0, 1}, {0, 1, 2}, {0, 1, 2, 3}});
  CHECK(matches(p(cr::skip_kind::to_next), ev) == bag{{0, 1}});
}

TEST_CASE("reference: AfterMatchSkipITCase testSkipToFirstDiscarding doc example") {
  // cep.md:1127-1150: (a | b | c) (b | c) c+.greedy d on a b c1 c2 c3 d. (The ITCase's first
  // stage is (a | c); its skip-to-first result is the same.)
  const std::string ev = "a b c1 c2 c3 d";
  auto p = [](cr::skip_kind k, std::string name) {
    return pat({begin("a or c", "s=a|s=b|s=c"), followed_by("b or c", "s=b|s=c"),
                followed_by("c*", "s=c").one_or_more().greedy(), followed_by("d", "s=d")},
               k, std::move(name));
  };
  CHECK(matches(p(cr::skip_kind::no_skip, ""), ev) ==
        bag{{0, 1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}, {2, 3, 4, 5}});
  CHECK(matches(p(cr::skip_kind::to_first, "c*"), ev) == bag{{0, 1, 2, 3, 4, 5}, {2, 3, 4, 5}});
  CHECK(matches(pat({begin("a or c", "s=a|s=c"), followed_by("b or c", "s=b|s=c"),
                     followed_by("c*", "s=c").one_or_more().greedy(), followed_by("d", "s=d")},
                    cr::skip_kind::to_first, "c*"),
                ev) == bag{{0, 1, 2, 3, 4, 5}, {2, 3, 4, 5}});
}

// ----- AfterMatchSkipITCase ---------------------------------------------------------------------

TEST_CASE("reference: AfterMatchSkipITCase testNoSkip and testSkipPastLast") {
  const std::string ev = "a1 a2 a3 a4 a5 a6";
  auto p = [](cr::skip_kind k) { return pat({begin("start", "s=a").times(3)}, k); };
  CHECK(matches(p(cr::skip_kind::no_skip), ev) == bag{{0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 5}});
  CHECK(matches(p(cr::skip_kind::past_last_event), ev) == bag{{0, 1, 2}, {3, 4, 5}});
}

TEST_CASE("reference: AfterMatchSkipITCase TwoVariablesFollowedByAny") {
  // testNoSkipWithFollowedByAny and testSkipToNextWithFollowedByAny.
  const std::string ev = "a1 b1 a2 b2";
  auto p = [](cr::skip_kind k) {
    return pat({begin("start", "s=a"), followed_by_any("end", "s=b")}, k);
  };
  CHECK(matches(p(cr::skip_kind::no_skip), ev) == bag{{0, 1}, {0, 3}, {2, 3}});
  CHECK(matches(p(cr::skip_kind::to_next), ev) == bag{{0, 1}, {2, 3}});
}

TEST_CASE("reference: AfterMatchSkipITCase testSkipToFirst and testSkipToLast") {
  // Events named "ab" match both "contains a" and "contains b": sym x here.
  auto p = [](cr::skip_kind k) {
    return pat({begin("start", "s=x").times(2), next("end", "s=x").times(2)}, k, "end");
  };
  CHECK(matches(p(cr::skip_kind::to_first), "x1 x2 x3 x4 x5 x6") ==
        bag{{0, 1, 2, 3}, {2, 3, 4, 5}});
  CHECK(matches(p(cr::skip_kind::to_last), "x1 x2 x3 x4 x5 x6 x7") ==
        bag{{0, 1, 2, 3}, {3, 4, 5, 6}});
}

TEST_CASE("reference: AfterMatchSkipITCase testSkipPastLast2 and testSkipPastLast3") {
  CHECK(matches(pat({begin("a", "s=a"), followed_by_any("b", "s=b"), followed_by_any("c", "s=c"),
                     followed_by("d", "s=d")},
                    cr::skip_kind::past_last_event),
                "a1 a2 b1 b2 c1 c2 d1 d2@7") == bag{{0, 2, 4, 6}});
  CHECK(matches(pat({begin("a", "s=a"), next("b", "s=b")}, cr::skip_kind::past_last_event),
                "a1 c a2 b2") == bag{{2, 3}});
}

TEST_CASE("reference: AfterMatchSkipITCase skip to first with optional and at start") {
  // testSkipToFirstWithOptionalMatch: x+? next b next c; "ab1" is sym b here.
  CHECK(
      matches(pat({begin("x", "s=x").one_or_more().optional(), next("b", "s=b"), next("c", "s=c")},
                  cr::skip_kind::to_first, "b"),
              "b1 c1 b2 c2") == bag{{0, 1}, {2, 3}});
  // testSkipToFirstAtStartPosition.
  CHECK(matches(pat({begin("b", "s=b"), next("c", "s=c")}, cr::skip_kind::to_first, "b"),
                "b1 c1 b2 c2") == bag{{0, 1}, {2, 3}});
}

TEST_CASE("reference: AfterMatchSkipITCase skip to first or last with oneOrMore") {
  // testSkipToFirstWithOneOrMore and testSkipToLastWithOneOrMore: a next b+ consecutive.
  const std::string ev = "a1 b1 a2 b2 b3 a3 b4";
  auto p = [](cr::skip_kind k) {
    return pat({begin("a", "s=a"), next("b", "s=b").one_or_more().consecutive()}, k, "b");
  };
  CHECK(matches(p(cr::skip_kind::to_first), ev) == bag{{0, 1}, {2, 3}, {5, 6}});
  CHECK(matches(p(cr::skip_kind::to_last), ev) == bag{{0, 1}, {2, 3}, {5, 6}});
}

TEST_CASE("reference: AfterMatchSkipITCase greedy oneOrMore at beginning doc examples") {
  // testNoSkip/testSkipPastLast/testSkipToLast/testSkipToFirstWithOneOrMoreAtBeginning:
  // a+ consecutive greedy next b on a1 a2 a3 b1.
  const std::string ev = "a1 a2 a3 b1";
  auto p = [](cr::skip_kind k) {
    return pat({begin("a", "s=a").one_or_more().consecutive().greedy(), next("b", "s=b")}, k, "a");
  };
  CHECK(matches(p(cr::skip_kind::no_skip), ev) == bag{{0, 1, 2, 3}, {1, 2, 3}, {2, 3}});
  CHECK(matches(p(cr::skip_kind::past_last_event), ev) == bag{{0, 1, 2, 3}});
  CHECK(matches(p(cr::skip_kind::to_last), ev) == bag{{0, 1, 2, 3}, {2, 3}});
  CHECK(matches(p(cr::skip_kind::to_first), ev) == bag{{0, 1, 2, 3}, {1, 2, 3}, {2, 3}});
}

TEST_CASE("reference: AfterMatchSkipITCase testSkipToFirstNonExistentPosition") {
  // ...WithoutException: a next b*consecutive next c; the match has no b: nothing is pruned.
  CHECK(matches(pat({begin("a", "s=a"), next("b", "s=b").one_or_more().optional().consecutive(),
                     next("c", "s=c")},
                    cr::skip_kind::to_first, "b"),
                "a c@4") == bag{{0, 1}});
}

// ----- UntilConditionITCase ---------------------------------------------------------------------

TEST_CASE("reference: UntilConditionITCase followedBy oneOrMore until") {
  // UNTIL_CONDITION is price == 5.0; the "end" stage uses the same condition.
  const std::string until = "v>4&v<6";
  auto p = [&](st middle) {
    return pat({begin("start", "s=c"), middle.until(until), followed_by("end", until)});
  };
  // testUntilConditionFollowedByOneOrMore.
  CHECK(matches(p(followed_by("middle", "s=a").one_or_more()), "c@1:1 a@3:2 a@4:3 a@6:5 a@7:6") ==
        bag{{0, 1, 2, 3}, {0, 1, 3}});
  // testUntilConditionFollowedByOneOrMoreCombinations.
  CHECK(matches(p(followed_by("middle", "s=a").one_or_more().allow_combinations()),
                "c@1:1 a@3:2 a@4:3 a@5:4 a@6:5 a@7:6") ==
        bag{{0, 1, 2, 3, 4}, {0, 1, 2, 4}, {0, 1, 3, 4}, {0, 1, 4}});
  // testUntilConditionFollowedByOneOrMoreConsecutive.
  CHECK(matches(p(followed_by("middle", "s=a").one_or_more().consecutive()),
                "c@1:1 a@3:2 a@4:3 a@7:5 a@8:6") == bag{{0, 1, 2, 3}, {0, 1, 3}});
  // testUntilConditionFollowedByOneOrMoreConsecutive2.
  CHECK(matches(p(followed_by("middle", "s=a").one_or_more().consecutive()),
                "c@1:1 a@3:2 b@4:3 a@5:4 a@7:5 a@8:6") == bag{{0, 1, 4}});
  // testUntilConditionFollowedByZeroOrMore.
  CHECK(matches(p(followed_by("middle", "s=a").one_or_more().optional()),
                "c@1:1 a@3:2 a@4:3 a@6:5 a@7:6") == bag{{0, 1, 2, 3}, {0, 1, 3}, {0, 3}});
}

// ----- NotPatternITCase -------------------------------------------------------------------------

TEST_CASE("reference: NotPatternITCase notNext") {
  // testNotNext.
  CHECK(matches(pat({begin("start", "s=a"), not_next("notPattern", "s=b"),
                     followed_by_any("middle", "s=c"), followed_by("end", "s=d")}),
                "a1 c1 b1 c2 d") == bag{{0, 1, 4}, {0, 3, 4}});
  // testNotNextNoMatches.
  CHECK(matches(pat({begin("start", "s=a"), not_next("notPattern", "s=b"),
                     followed_by("middle", "s=c"), followed_by("end", "s=d")}),
                "a1 b1 c1 c2 d") == bag{});
  // testNotNextNoMatchesAtTheEnd.
  CHECK(matches(pat({begin("start", "s=a"), followed_by_any("middle", "s=c"),
                     followed_by_any("end", "s=d"), not_next("notPattern", "s=b")}),
                "a1 c1 c2 d b1") == bag{});
}

TEST_CASE("reference: NotPatternITCase notFollowedBy") {
  const std::string ev = "a1 c1 b1 c2 d";
  // testNotFollowedBy.
  CHECK(matches(pat({begin("start", "s=a"), not_followed_by("notPattern", "s=b"),
                     followed_by_any("middle", "s=c"), followed_by("end", "s=d")}),
                ev) == bag{{0, 1, 4}});
  // testNotFollowedByBeforeOptional.
  CHECK(matches(pat({begin("start", "s=a"), not_followed_by("notPattern", "s=b"),
                     followed_by_any("middle", "s=c").optional(), followed_by("end", "s=d")}),
                ev) == bag{{0, 1, 4}});
  // testNotFollowedByBeforeOptionalAtTheEnd.
  CHECK(matches(pat({begin("start", "s=a"), not_followed_by("notPattern", "s=b"),
                     followed_by_any("end", "s=c").optional()}),
                "a1 c1 b1 c2") == bag{{0, 1}, {0}});
  // testNotFollowedByBeforeOptionalTimes.
  CHECK(matches(
            pat({begin("start", "s=a"), not_followed_by("notPattern", "s=b"),
                 followed_by_any("middle", "s=c").times(2).optional(), followed_by("end", "s=d")}),
            ev) == bag{{0, 1, 3, 4}});
  // testNotFollowedByWithBranchingAtStart.
  CHECK(matches(pat({begin("start", "s=a"), not_followed_by("notPattern", "s=b"),
                     followed_by("middle", "s=c"), followed_by("end", "s=d")}),
                "a1 b1 c1 a2 c2 d") == bag{{3, 4, 5}});
}

TEST_CASE("reference: NotPatternITCase notFollowedBy after or before times") {
  // testTimesWithNotFollowedBy: the NOT after middle{2} applies from middle's FIRST event.
  CHECK(matches(pat({begin("start", "s=a"), followed_by_any("middle", "s=b").times(2),
                     not_followed_by("notPattern", "s=c"), followed_by("end", "s=d")}),
                "a1 b1 c b2 d") == bag{});
  // testIgnoreStateOfTimesWithNotFollowedBy (events fed out of timestamp order; no window).
  CHECK(matches(
            pat({begin("start", "s=a"), not_followed_by("notPattern", "s=b"),
                 followed_by_any("middle", "s=c").times(2).optional(), followed_by("end", "s=d")}),
            "a1 d1 e b1 c1 c2 d2") == bag{{0, 1}});
  // testTimesWithNotFollowedByAfter.
  CHECK(matches(pat({begin("start", "s=a"), followed_by_any("middle", "s=b").times(2),
                     not_followed_by("notPattern", "s=c"), followed_by("end", "s=d")}),
                "a1 d1 e b1 b2 c1 d2") == bag{});
}

TEST_CASE("reference: NotPatternITCase notFollowedBy within at the end") {
  // testNotFollowedByWithinFirstAndLastAtEnd: a notFollowedBy b within 3ms. Only a2 completes
  // while events still arrive (the harness never advances time past b3@13).
  CHECK(
      matches(pat({begin("a", "s=a"), not_followed_by("b", "s=b")}, cr::skip_kind::no_skip, "", 3),
              "a1@1 b1@2 a2@4 c@5 b2@10 a3@11 b3@13") == bag{{2}});
  // testNotFollowByBeforeTimesWithin: a !b c{0,2} within 3ms.
  CHECK(matches(pat({begin("a", "s=a"), not_followed_by("b", "s=b"),
                     followed_by("c", "s=c").times(1, 2).optional()},
                    cr::skip_kind::no_skip, "", 3),
                "a1@1 b1@2 a2@10 c1@11 c2@12 a3@20 c3@21 c4@24") ==
        bag{{0}, {2}, {2, 3}, {2, 3, 4}, {5}, {5, 6}});
  // testNotFollowedByWithinAtEndAfterMatch: a+ combinations, c, !b within 5, skip past last.
  CHECK(matches(pat({begin("a", "s=a").one_or_more().allow_combinations(), followed_by("c", "s=c"),
                     not_followed_by("b", "s=b")},
                    cr::skip_kind::past_last_event, "", 5),
                "a1@1 a2@2 a3@3 c1@4 c2@10") == bag{{0, 1, 2, 3}});
}

// ----- NFAITCase --------------------------------------------------------------------------------

TEST_CASE("reference: NFAITCase testSimplePatternWithTimeoutHandlingWithinFirstAndLast") {
  // start followedByAny middle followedByAny end within 10; Flink compares timeouts as a set.
  cr::result r = cr::run(
      pat({begin("start", "s=s"), followed_by_any("middle", "s=m"), followed_by_any("end", "s=e")},
          cr::skip_kind::no_skip, "", 10),
      events("s1@1 s2@2 m@3 f@4 e@11 e@13"), harness);
  CHECK(matches(r) == bag{{1, 2, 4}});
  CHECK(timeouts(r) == bag{{0, 2}, {1, 2}, {0}, {1}});
}

TEST_CASE("reference: NFAITCase testPendingStateMatchesWithinFirstAndLast") {
  // start notFollowedBy middle within 5: the trailing NOT completes when time passes start+5.
  cr::result r = cr::run(
      pat({begin("start", "s=s"), not_followed_by("middle", "s=m")}, cr::skip_kind::no_skip, "", 5),
      events("s1@1 m@4 s3@5 s4@11 m@18"), harness);
  CHECK(matches(r) == bag{{2}, {3}});
}

// ----- GreedyITCase -----------------------------------------------------------------------------

TEST_CASE("reference: GreedyITCase greedy zero or more and one or more") {
  // testGreedyZeroOrMore: c a*greedy d.
  CHECK(matches(pat({begin("start", "s=c"),
                     followed_by("middle", "s=a").one_or_more().optional().greedy(),
                     followed_by("end", "s=d")}),
                "c a1 a2 a3 d") == bag{{0, 1, 2, 3, 4}});
  // testGreedyOneOrMoreInBetween: dummies between the a's.
  CHECK(matches(pat({begin("start", "s=c"), followed_by("middle", "s=a").one_or_more().greedy(),
                     followed_by("end", "s=d")}),
                "c x a1 x a2 x a3 d") == bag{{0, 2, 4, 6, 7}});
  // testGreedyTimesRange: c a{2,5}greedy d.
  CHECK(matches(pat({begin("start", "s=c"), followed_by("middle", "s=a").times(2, 5).greedy(),
                     followed_by("end", "s=d")}),
                "c a1 a2 a3 a4 d") == bag{{0, 1, 2, 3, 4, 5}});
}

// ----- Quirks of Flink's NFA (checked by running Flink's NFA code, not Flink tests) -------------

TEST_CASE("reference: quirk NOT event that also completes the match") {
  // An event satisfying both the NOT and the next stage completes the match when that take
  // reaches Final (NFA.java:385-409 collects final states before discarding the path) ...
  CHECK(matches(pat({begin("p", "s=a"), not_followed_by("q", "v>5"), followed_by("r", "s=c")}),
                "a c:7") == bag{{0, 1}});
  // ... but kills it when more stages follow.
  CHECK(matches(pat({begin("p", "s=a"), not_followed_by("q", "v>5"), followed_by("r", "s=c"),
                     followed_by("s", "s=d")}),
                "a c:7 d") == bag{});
}

TEST_CASE("reference: quirk not_next before an optional tail is checked on the take") {
  // findFinalStateAfterProceed evaluates the not_next PROCEED(!N) on the taken event itself.
  CHECK(matches(pat({begin("p", "s=a"), not_next("q", "s=b"), followed_by("r", "s=c").optional()}),
                "a b") == bag{{0}});
  CHECK(matches(pat({begin("p", "s=a"), not_next("q", "s=a"), followed_by("r", "s=c").optional()}),
                "a d c") == bag{{0, 2}});
}

TEST_CASE("reference: quirk trailing notFollowedBy after a loop") {
  // After a loop take, the Pending state is only entered through PROCEED on the next event, so
  // without one the partial match times out instead of completing.
  auto p = pat({begin("p", "s=a").one_or_more(), not_followed_by("q", "s=b")},
               cr::skip_kind::no_skip, "", 5);
  cr::result alone = cr::run(p, events("a@1"));
  CHECK(matches(alone) == bag{});
  CHECK(timeouts(alone) == bag{{0}});
  cr::result with_event = cr::run(p, events("a@1 c@2"));
  CHECK(matches(with_event) == bag{{0}});
  CHECK(timeouts(with_event) == bag{{0}});
}

TEST_CASE("reference: quirk skip strategy waits for an earlier partial match") {
  // a followedByAny b, skip to first p: {a1 b} waits behind the partial match [a0], which never
  // ends without a window.
  auto p = [](std::optional<std::int64_t> within) {
    return pat({begin("p", "s=a"), followed_by_any("q", "s=b")}, cr::skip_kind::to_first, "p",
               within);
  };
  CHECK(matches(p(std::nullopt), "a a b", cr::run_options{}) == bag{{0, 2}});
  // With a window, the final watermark times [a0] out and releases it.
  cr::result r = cr::run(p(10), events("a a b"));
  CHECK(matches(r) == bag{{0, 2}, {1, 2}});
  CHECK(timeouts(r) == bag{{0}, {1}});
}

TEST_CASE("reference: quirk NOT before a times range stays in its ignore state") {
  // a !b c{1,3} d: after c1 and an ignored event, the ignore twin of c's optional times state
  // still carries the stop edge for b (NFACompiler.java:761), so b kills {a c1 c2 d}.
  CHECK(matches(pat({begin("p", "s=a"), not_followed_by("q", "s=b"),
                     followed_by("r", "s=c").times(1, 3), followed_by("s", "s=d")}),
                "a c1 e b c2 d") == bag{{0, 1, 5}});
}

TEST_CASE("reference: quirk only the last of several trailing NOTs waits") {
  // a !b !c within 5: only !c becomes the Pending state (NFACompiler.java:338-348); !b is a stop
  // edge on a's loop states only, so it never kills a waiting Pending state.
  auto p = [](st a) {
    return pat({a, not_followed_by("b", "s=b"), not_followed_by("c", "s=c")},
               cr::skip_kind::no_skip, "", 5);
  };
  CHECK(matches(p(begin("a", "s=a")), "a b", cr::run_options{}) == bag{{0}});
  CHECK(matches(p(begin("a", "s=a").one_or_more()), "a d b", cr::run_options{}) == bag{{0}});
  CHECK(matches(p(begin("a", "s=a").one_or_more()), "a b", cr::run_options{}) == bag{});
}

// ----- supported() and the random helpers
// ----------------------------------------------------------

TEST_CASE("reference: supported rejects what Flink rejects") {
  CHECK_FALSE(cr::supported(pat({begin("a", "s=a"), not_followed_by("b", "s=b")})));
  CHECK(cr::supported(
      pat({begin("a", "s=a"), not_followed_by("b", "s=b")}, cr::skip_kind::no_skip, "", 10)));
  CHECK_FALSE(cr::supported(pat({begin("a", "s=a").optional(), not_next("b", "s=b")})));
  CHECK_FALSE(cr::supported(
      pat({begin("a", "s=a").one_or_more().greedy(), followed_by("b", "s=b").optional()})));
  CHECK_FALSE(cr::supported(pat({begin("a", "s=a").until("s=b")})));
  CHECK_FALSE(cr::supported(pat({begin("a", "s=a"), next("a", "s=b")})));
  CHECK_FALSE(cr::supported(pat({begin("a", "s=a")}, cr::skip_kind::to_first, "zzz")));
  CHECK_THROWS_AS(cr::run(pat({begin("a", "s=a").greedy()}), events("a")), std::invalid_argument);
}

TEST_CASE("reference: random patterns are supported and deterministic") {
  std::mt19937_64 a(7), b(7);
  for (int k = 0; k < 200; ++k) {
    cr::pattern_spec ps = cr::random_pattern_spec(a);
    CHECK(cr::to_text(ps) == cr::to_text(cr::random_pattern_spec(b)));
    cr::pattern p = cr::to_pattern(ps);
    REQUIRE(cr::supported(p));
    auto ev = cr::random_events(a, 10);
    cr::random_events(b, 10);
    cr::result r = cr::run(p, ev);
    // No-skip emits a superset of what any skip strategy emits.
    cr::pattern all = p;
    all.skip = cr::skip_kind::no_skip;
    bag every = matches(cr::run(all, ev));
    for (const seqs& m : matches(r)) CHECK(every.count(m) > 0);
  }
}
