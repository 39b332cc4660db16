// MATCH_RECOGNIZE, with the examples of Flink's "Pattern Recognition" page.
#include <catch2/catch.hpp>

#include "sql/sql_test_support.hpp"

using namespace eddy::sql;
using namespace eddy::sql::testing;

namespace {

const match_recognize_spec& spec_of(const statement& s) {
  const auto* q = s.as<query>();
  REQUIRE(q != nullptr);
  const auto& sel = std::get<select_core>(q->body.node);
  const auto* m = std::get_if<match_recognize>(&sel.from.at(0).relation.node);
  REQUIRE(m != nullptr);
  return m->spec;
}

row_pattern pattern_of(const std::string& pattern) {
  const auto s = parse_one("SELECT * FROM t MATCH_RECOGNIZE (ORDER BY rowtime PATTERN (" + pattern +
                           ") DEFINE A AS TRUE)");
  check_round_trip({s});
  return spec_of(s).pattern;
}

}  // namespace

TEST_CASE("MATCH_RECOGNIZE: Flink's ticker example") {
  const auto s = parse_and_round_trip(R"(
    SELECT *
    FROM Ticker
        MATCH_RECOGNIZE (
            PARTITION BY symbol
            ORDER BY rowtime
            MEASURES
                START_ROW.rowtime AS start_tstamp,
                LAST(PRICE_DOWN.rowtime) AS bottom_tstamp,
                LAST(PRICE_UP.rowtime) AS end_tstamp
            ONE ROW PER MATCH
            AFTER MATCH SKIP TO LAST PRICE_UP
            PATTERN (START_ROW PRICE_DOWN+ PRICE_UP)
            DEFINE
                PRICE_DOWN AS
                    (LAST(PRICE_DOWN.price, 1) IS NULL AND PRICE_DOWN.price < START_ROW.price) OR
                        PRICE_DOWN.price < LAST(PRICE_DOWN.price, 1),
                PRICE_UP AS
                    PRICE_UP.price > LAST(PRICE_DOWN.price, 1)
        ) MR;
  )");
  const auto& m = spec_of(s[0]);
  CHECK(m.partition_by.size() == 1);
  CHECK(m.measures.size() == 3);
  CHECK(m.measures[1].alias.value == "bottom_tstamp");
  CHECK(m.rows == rows_per_match::one_row);
  REQUIRE(m.skip);
  CHECK(m.skip->kind == skip_kind::to_last);
  CHECK(m.skip->variable.value == "PRICE_UP");
  CHECK(m.pattern.what == row_pattern::kind::concat);
  REQUIRE(m.pattern.items.size() == 3);
  CHECK(m.pattern.items[1].what == row_pattern::kind::repetition);
  CHECK(m.pattern.items[1].quantifier.kind == pattern_quantifier::form::plus);
  CHECK(m.definitions.size() == 2);
  const auto& sel = std::get<select_core>(s[0].as<query>()->body.node);
  CHECK(sel.from[0].relation.alias->name.value == "MR");
}

TEST_CASE("MATCH_RECOGNIZE: WITHIN, ALL ROWS PER MATCH, every AFTER MATCH SKIP, aggregates") {
  const auto s = parse_and_round_trip(R"(
    SELECT *
    FROM Ticker
        MATCH_RECOGNIZE(
            PARTITION BY symbol
            ORDER BY rowtime
            MEASURES
                C.rowtime AS dropTime,
                A.price - C.price AS dropDiff,
                AVG(A.price) AS avgPrice,
                FIRST(A.price) AS startPrice,
                MATCH_ROWTIME() AS mrt,
                CLASSIFIER() AS cls
            ONE ROW PER MATCH
            AFTER MATCH SKIP PAST LAST ROW
            PATTERN (A B* C) WITHIN INTERVAL '1' HOUR
            DEFINE
                B AS B.price > A.price - 10,
                C AS C.price < A.price - 10
        );
    SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts ALL ROWS PER MATCH AFTER MATCH SKIP TO NEXT ROW
      PATTERN (A) DEFINE A AS A.x > 0);
    SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts AFTER MATCH SKIP TO FIRST B
      PATTERN (A B) DEFINE A AS A.x > 0, B AS B.x < 0);
    SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts AFTER MATCH SKIP TO B
      PATTERN (A B) SUBSET AB = (A, B) DEFINE A AS A.x > 0);
  )");
  const auto& m = spec_of(s[0]);
  REQUIRE(m.within);
  CHECK(to_sql(*m.within) == "INTERVAL '1' HOUR");
  CHECK(spec_of(s[1]).rows == rows_per_match::all_rows);
  CHECK(spec_of(s[1]).skip->kind == skip_kind::to_next_row);
  CHECK(spec_of(s[2]).skip->kind == skip_kind::to_first);
  CHECK(spec_of(s[3]).skip->kind == skip_kind::to_variable);
  CHECK(spec_of(s[3]).subsets.size() == 1);
}

TEST_CASE("MATCH_RECOGNIZE patterns: quantifiers, reluctant, alternation, groups, anchors") {
  auto p = pattern_of("A{2,5} B{3} C{2,} D{,4}");
  REQUIRE(p.items.size() == 4);
  CHECK(p.items[0].quantifier.kind == pattern_quantifier::form::range);
  CHECK(p.items[0].quantifier.min == std::optional<std::int64_t>(2));
  CHECK(p.items[0].quantifier.max == std::optional<std::int64_t>(5));
  CHECK(p.items[1].quantifier.kind == pattern_quantifier::form::exact);
  CHECK_FALSE(p.items[2].quantifier.max);
  CHECK_FALSE(p.items[3].quantifier.min);

  p = pattern_of("A B+? C*? D?? E{1,3}?");
  for (const auto& item : p.items) {
    if (item.what == row_pattern::kind::repetition) CHECK(item.quantifier.reluctant);
  }
  CHECK(p.items[3].quantifier.kind == pattern_quantifier::form::question);

  p = pattern_of("A | B C | (D E)+");
  REQUIRE(p.what == row_pattern::kind::alternation);
  REQUIRE(p.items.size() == 3);
  CHECK(p.items[1].what == row_pattern::kind::concat);
  CHECK(p.items[2].what == row_pattern::kind::repetition);
  CHECK(p.items[2].items[0].what == row_pattern::kind::group);

  p = pattern_of("^ A {- B -} PERMUTE(C, D) $");
  REQUIRE(p.items.size() == 5);
  CHECK(p.items[0].what == row_pattern::kind::start_anchor);
  CHECK(p.items[2].what == row_pattern::kind::exclude);
  CHECK(p.items[3].what == row_pattern::kind::permute);
  CHECK(p.items[4].what == row_pattern::kind::end_anchor);
}

TEST_CASE("MATCH_RECOGNIZE errors: a missing DEFINE and a bad quantifier are refused") {
  CHECK_FALSE(parse_statement("SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts PATTERN (A))").ok());
  CHECK_FALSE(
      parse_statement("SELECT * FROM t MATCH_RECOGNIZE (PATTERN (A{x}) DEFINE A AS TRUE)").ok());
  CHECK_FALSE(
      parse_statement("SELECT * FROM t MATCH_RECOGNIZE (PATTERN (A++) DEFINE A AS TRUE)").ok());
}
