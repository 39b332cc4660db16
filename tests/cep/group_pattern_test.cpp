// Group patterns: Flink's GroupITCase (flink-cep src/test/.../nfa/GroupITCase.java) reproduced.
// Matches are compared as sorted event lists, as Flink's comparePatterns does.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "nfa_driver.hpp"

using namespace eddy;
using namespace eddy::cep_test;
using P = cep::pattern<ev>;
using V = std::vector<std::string>;

namespace {
/// The matches with each match's events sorted ("a1 b1 c"), sorted.
V flat(const V& matches) {
  V out;
  for (const auto& m : matches) {
    std::istringstream in(m);
    V names;
    for (std::string w; in >> w;) names.push_back(w);
    std::sort(names.begin(), names.end());
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : " ") + n;
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}
P a_then_b() {
  return P::begin("middle1").where(is('a')).followed_by("middle2").where(is('b'));
}
}  // namespace

TEST_CASE("group followed by, times 2: c (a b){2} d (testGroupFollowedByTimes)") {
  auto p = P::begin("start")
               .where(is('c'))
               .followed_by(a_then_b())
               .times(2)
               .followed_by("end")
               .where(is('d'));
  CHECK(flat(run(p, seq("c a1 b1 a2 b2 d")).matches) == V{"a1 a2 b1 b2 c d"});
}

TEST_CASE("group one or more: c (a b)+ d (testGroupFollowedByOneOrMore)") {
  auto p = P::begin("start")
               .where(is('c'))
               .followed_by(a_then_b())
               .one_or_more()
               .followed_by("end")
               .where(is('d'));
  CHECK(flat(run(p, seq("c a1 b1 a2 b2 d")).matches) == V{"a1 a2 b1 b2 c d", "a1 b1 c d"});
}

TEST_CASE("group one or more until d (testGroupFollowedByOneOrMoreWithUntilCondition)") {
  auto p = P::begin("start")
               .where(is('c'))
               .followed_by(a_then_b())
               .one_or_more()
               .until(is('d'))
               .followed_by("end")
               .where(is('d'));
  CHECK(flat(run(p, seq("c a1 b1 a2 b2 d")).matches) == V{"a1 a2 b1 b2 c d", "a1 b1 c d"});
}

TEST_CASE("nested optional groups: d (a (b c)*)? e (testGroupNest)") {
  auto inner = P::begin("middle2").where(is('b')).followed_by("middle3").where(is('c'));
  auto middle = P::begin("middle1").where(is('a')).followed_by(inner).one_or_more().optional();
  auto p = P::begin("start").where(is('d')).followed_by(middle).optional().followed_by("end").where(
      is('e'));
  CHECK(flat(run(p, seq("d a1 b1 c1 b2 c2 e")).matches) ==
        V{"a1 b1 b2 c1 c2 d e", "a1 b1 c1 d e", "a1 d e", "d e"});
}

TEST_CASE("a pattern that begins with a group: (a b){1,2} d (testGroupBegin)") {
  auto p = P::begin(a_then_b()).times(1, 2).followed_by("end").where(is('d'));
  CHECK(flat(run(p, seq("a1 b1 a2 b2 d")).matches) == V{"a1 a2 b1 b2 d", "a1 b1 d", "a2 b2 d"});
}

TEST_CASE(
    "a group that starts with an optional stage: a (b? c) d (testGroupStartsWithOptionalPattern)") {
  auto g = P::begin("middle1").where(is('b')).optional().next("middle2").where(is('c'));
  auto p = P::begin("start").where(is('a')).next(g).next("d").where(is('d'));
  CHECK(flat(run(p, seq("a c d")).matches) == V{"a c d"});
}

TEST_CASE("an optional group: a (b c)? d (testFollowedByOptionalGroupPattern)") {
  auto g = P::begin("middle1").where(is('b')).next("middle2").where(is('c'));
  auto p = P::begin("start").where(is('a')).followed_by(g).optional().next("d").where(is('d'));
  CHECK(flat(run(p, seq("a d1 d2")).matches) == V{"a d1"});
}

TEST_CASE("the events of a repeated group are listed per member stage") {
  auto p = P::begin("start")
               .where(is('c'))
               .followed_by(a_then_b())
               .times(2)
               .followed_by("end")
               .where(is('d'));
  CHECK(run(p, seq("c a1 b1 a2 b2 d")).matches == V{"c a1 a2 b1 b2 d"});
  CHECK_THROWS_WITH(P::begin(a_then_b()).where(is('a')),
                    Catch::Contains("GroupPattern does not support where clause"));
  CHECK_THROWS_WITH(P::begin(a_then_b()).one_or_more().greedy(),
                    Catch::Contains("not applicable to group pattern"));
}

TEST_CASE("a group that can match no event cannot repeat without bound") {
  const auto maybe_a = P::begin("m").where(is('a')).one_or_more().optional();
  auto p = P::begin("start").where(is('c'));
  p.followed_by(maybe_a);
  CHECK_THROWS_WITH(p.one_or_more(),
                    "the group (m) can match no event, all its stages being optional: it cannot "
                    "repeat without bound");
  auto bounded = P::begin("start").where(is('c'));
  CHECK_NOTHROW(bounded.followed_by(maybe_a).times(1, 3));
  auto with_b = P::begin("start").where(is('c'));
  CHECK_NOTHROW(with_b.followed_by(P::begin("m").where(is('a')).optional().next("n").where(is('b')))
                    .one_or_more());
}
