// The CEP automaton on Flink's documented examples (flink docs/content/docs/libs/cep.md and
// flink-cep's *ITCase tests), one key at a time.
#include <catch2/catch.hpp>

#include "nfa_driver.hpp"

using namespace eddy;
using namespace eddy::cep_test;
using P = cep::pattern<ev>;
using V = std::vector<std::string>;

TEST_CASE("contiguity between two stages (cep.md: a c b1 b2)") {
  const auto events = seq("a c b1 b2");
  CHECK(run(P::begin("a").where(is('a')).next("b").where(is('b')), events).matches == V{});
  CHECK(run(P::begin("a").where(is('a')).followed_by("b").where(is('b')), events).matches ==
        V{"a b1"});
  CHECK(sorted(run(P::begin("a").where(is('a')).followed_by_any("b").where(is('b')), events)
                   .matches) == V{"a b1", "a b2"});
}

TEST_CASE("contiguity inside a loop (cep.md: C D A1 A2 A3 D A4 B)") {
  // Names are lower case here: c d a1 a2 a3 d a4 b.
  const auto events = seq("c d a1 a2 a3 d a4 b");
  auto base = [] {
    return P::begin("start").where(is('c')).followed_by("middle").where(is('a')).one_or_more();
  };
  auto consecutive = base().consecutive().followed_by("end1").where(is('b'));
  CHECK(sorted(run(consecutive, events).matches) == V{"c a1 a2 a3 b", "c a1 a2 b", "c a1 b"});
  auto relaxed = base().followed_by("end1").where(is('b'));
  CHECK(sorted(run(relaxed, events).matches) ==
        V{"c a1 a2 a3 a4 b", "c a1 a2 a3 b", "c a1 a2 b", "c a1 b"});
  auto any = base().allow_combinations().followed_by("end1").where(is('b'));
  CHECK(sorted(run(any, events).matches) == V{"c a1 a2 a3 a4 b", "c a1 a2 a3 b", "c a1 a2 a4 b",
                                              "c a1 a2 b", "c a1 a3 a4 b", "c a1 a3 b", "c a1 a4 b",
                                              "c a1 b"});
}

TEST_CASE("a b+ c with followed_by_any (cep.md: a b1 d1 b2 d2 b3 c)") {
  const auto events = seq("a b1 d1 b2 d2 b3 c");
  auto make = [](int inner) {
    auto p = P::begin("a").where(is('a')).followed_by_any("b").where(is('b')).one_or_more();
    if (inner == 0) p.consecutive();
    if (inner == 2) p.allow_combinations();
    return p.followed_by("c").where(is('c'));
  };
  CHECK(sorted(run(make(0), events).matches) == V{"a b1 c", "a b2 c", "a b3 c"});
  CHECK(sorted(run(make(1), events).matches) ==
        V{"a b1 b2 b3 c", "a b1 b2 c", "a b1 c", "a b2 b3 c", "a b2 c", "a b3 c"});
  CHECK(sorted(run(make(2), events).matches) ==
        V{"a b1 b2 b3 c", "a b1 b2 c", "a b1 b3 c", "a b1 c", "a b2 b3 c", "a b2 c", "a b3 c"});
}

TEST_CASE("until ends a loop (cep.md: a+ until b on a1 c a2 b a3)") {
  auto p = P::begin("a").where(is('a')).one_or_more().until(is('b'));
  CHECK(sorted(run(p, seq("a1 c a2 b a3")).matches) == V{"a1", "a1 a2", "a2", "a3"});
}

TEST_CASE("times and optional") {
  auto p = P::begin("a").where(is('a')).times(2).followed_by("b").where(is('b'));
  CHECK(sorted(run(p, seq("a1 a2 a3 b1")).matches) == V{"a1 a2 b1", "a2 a3 b1"});
  auto q = P::begin("a")
               .where(is('a'))
               .followed_by("x")
               .where(is('x'))
               .optional()
               .followed_by("b")
               .where(is('b'));
  CHECK(sorted(run(q, seq("a1 x1 b1")).matches) == V{"a1 b1", "a1 x1 b1"});
  auto r = P::begin("a").where(is('a')).times(1, 3).consecutive().next("b").where(is('b'));
  CHECK(sorted(run(r, seq("a1 a2 b1")).matches) == V{"a1 a2 b1", "a2 b1"});
}

TEST_CASE("not_next and not_followed_by") {
  auto nn =
      P::begin("a").where(is('a')).not_next("x").where(is('x')).followed_by("b").where(is('b'));
  CHECK(run(nn, seq("a1 x1 b1")).matches == V{});
  CHECK(run(nn, seq("a1 c1 x1 b1")).matches == V{"a1 b1"});
  auto nf = P::begin("a").where(is('a')).not_followed_by("x").where(is('x')).followed_by("b").where(
      is('b'));
  CHECK(run(nf, seq("a1 c1 x1 b1")).matches == V{});
  CHECK(run(nf, seq("a1 c1 b1 x1")).matches == V{"a1 b1"});
  // Trailing not_followed_by needs a window and completes when it ends.
  CHECK_THROWS_WITH(run(P::begin("a").where(is('a')).not_followed_by("x").where(is('x')), {}),
                    Catch::Contains("NotFollowedBy is not supported without windowTime"));
  auto trailing = P::begin("a").where(is('a')).not_followed_by("x").where(is('x')).within(
      std::chrono::milliseconds(3));
  // a1@1, x@2 kills a1; a2@3 survives until 6.
  const auto r = run(trailing, {e("a1", 1), e("x1", 2), e("a2", 3), e("c", 4)});
  CHECK(r.matches == V{"a2"});
}

TEST_CASE("within: a match needs last.ts - first.ts < window, and partial matches time out") {
  auto p = P::begin("s").where(is('s')).followed_by("l").where(is('l')).within(
      std::chrono::milliseconds(10));
  const auto r = run(p, {e("s1", 0), e("l1", 10), e("s2", 20), e("l2", 29), e("s3", 40)});
  CHECK(r.matches == V{"s2 l2"});
  CHECK(sorted(r.timeouts) == V{"s1@10", "s3@50"});
}

TEST_CASE("skip strategies on s s l (the fraud pattern)") {
  auto make = [](cep::skip sk) {
    return P::begin("s", sk).where(is('s')).followed_by("l").where(is('l'));
  };
  const auto events = seq("s1 s2 l1 s3 l2");
  CHECK(sorted(run(make(cep::skip::no_skip()), events).matches) == V{"s1 l1", "s2 l1", "s3 l2"});
  CHECK(run(make(cep::skip::past_last_event()), events).matches == V{"s1 l1", "s3 l2"});
  CHECK(run(make(cep::skip::to_next()), events).matches == V{"s1 l1", "s2 l1", "s3 l2"});
}

TEST_CASE("skip strategies on b+ c (cep.md's table: b1 b2 b3 c)") {
  auto make = [](cep::skip sk) {
    return P::begin("b", sk).where(is('b')).one_or_more().consecutive().greedy().next("c").where(
        is('c'));
  };
  const auto events = seq("b1 b2 b3 c");
  CHECK(sorted(run(make(cep::skip::no_skip()), events).matches) ==
        V{"b1 b2 b3 c", "b2 b3 c", "b3 c"});
  CHECK(run(make(cep::skip::to_next()), events).matches == V{"b1 b2 b3 c", "b2 b3 c", "b3 c"});
  CHECK(run(make(cep::skip::past_last_event()), events).matches == V{"b1 b2 b3 c"});
  CHECK(run(make(cep::skip::to_first("b")), events).matches == V{"b1 b2 b3 c", "b2 b3 c", "b3 c"});
  CHECK(run(make(cep::skip::to_last("b")), events).matches == V{"b1 b2 b3 c", "b3 c"});
}

TEST_CASE("skip to first of a times stage (AfterMatchSkipITCase.testSkipToFirst)") {
  auto any = [](const ev&) { return true; };
  auto p = P::begin("start", cep::skip::to_first("end"))
               .where(any)
               .times(2)
               .next("end")
               .where(any)
               .times(2);
  CHECK(run(p, seq("ab1 ab2 ab3 ab4 ab5 ab6")).matches == V{"ab1 ab2 ab3 ab4", "ab3 ab4 ab5 ab6"});
  auto q = P::begin("start", cep::skip::to_last("end"))
               .where(any)
               .times(2)
               .next("end")
               .where(any)
               .times(2);
  // AfterMatchSkipITCase.testSkipToLast: skip to the last "end" event.
  CHECK(run(q, seq("ab1 ab2 ab3 ab4 ab5 ab6 ab7")).matches ==
        V{"ab1 ab2 ab3 ab4", "ab4 ab5 ab6 ab7"});
}

TEST_CASE("iterative conditions see the events taken so far") {
  // a, then b's whose values sum to more than 10 (Flink's iterative condition example).
  auto p = P::begin("a")
               .where(is('a'))
               .followed_by("b")
               .where(is('b'))
               .one_or_more()
               .followed_by("c")
               .where([](const ev& x, const cep::context<ev>& ctx) {
                 int sum = 0;
                 for (const auto* b : ctx.events("b")) sum += b->value;
                 return x.sym == 'c' && sum > 10;
               });
  const auto r = run(p, {e("a", 1), e("b1", 2, 4), e("b2", 3, 8), e("c", 4)});
  CHECK(sorted(r.matches) == V{"a b1 b2 c"});
}

TEST_CASE("a key whose matches all ended holds no events") {
  auto p = P::begin("s").where(is('s')).followed_by("l").where(is('l')).within(
      std::chrono::milliseconds(10));
  cep::nfa<ev> n(std::make_shared<cep::compiled_pattern<ev>>(cep::compile(p)));
  cep::key_state<ev> s;
  auto ignore = [](auto&&...) {};
  n.process(s, e("s1", 1), 1, ignore);
  n.process(s, e("s2", 2), 2, ignore);
  CHECK(s.buffer.live_events() == 2);
  CHECK_FALSE(s.idle());
  n.process(s, e("l1", 3), 3, ignore);
  n.advance_time(s, 100, ignore, ignore);
  CHECK(s.buffer.live_events() == 0);
  CHECK(s.buffer.live_nodes() == 0);
  CHECK(s.idle());
}

TEST_CASE("malformed patterns are refused with Flink's messages") {
  CHECK_THROWS_WITH(run(P::begin("a").next("a"), {}), Catch::Contains("Duplicate pattern name: a"));
  CHECK_THROWS_WITH(P::begin("a").until(is('b')),
                    Catch::Contains("only applicable to looping states"));
  CHECK_THROWS_WITH(P::begin("a").not_next("b").optional(),
                    Catch::Contains("not applicable to NOT pattern"));
  CHECK_THROWS_WITH(P::begin("a").times(2).times(3), Catch::Contains("Already applied quantifier"));
  CHECK_THROWS_WITH(run(P::begin("a", cep::skip::to_first("zz")), {}),
                    Catch::Contains("can not be found in the given Pattern"));
}
