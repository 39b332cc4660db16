// Expressions: literals, operators and their precedence, predicates, CASE, CAST, function calls,
// constructors and access; and randomised round trips: random expression trees are printed,
// parsed again and compared with the original tree.
#include <catch2/catch.hpp>

#include <random>

#include "sql/sql_test_support.hpp"

using namespace eddy::sql;
using namespace eddy::sql::testing;

namespace {

/// The expression, printed back (after a round trip check).
std::string canon(const std::string& sql) {
  const expr e = parse_expr_ok(sql);
  const std::string text = to_sql(e);
  const auto again = parse_expression(text);
  REQUIRE(again.ok());
  CHECK(again.value() == e);
  return text;
}

}  // namespace

TEST_CASE("expressions: literals") {
  CHECK(canon("42") == "42");
  CHECK(canon("0.908") == "0.908");
  CHECK(canon(".5") == ".5");
  CHECK(canon("1.5E-3") == "1.5E-3");
  CHECK(canon("1.e3") == "1.e3");
  CHECK(parse_expr_ok("1.e3").as<literal>() != nullptr);
  CHECK(canon("1.") == "1.");
  CHECK(canon("'it''s'") == "'it''s'");
  CHECK(parse_expr_ok("'it''s'").as<literal>()->text == "it's");
  CHECK(canon("X'0aFF'") == "X'0aFF'");
  CHECK(canon("true") == "TRUE");
  CHECK(canon("null") == "NULL");
  CHECK(canon("DATE '2020-01-01'") == "DATE '2020-01-01'");
  CHECK(canon("TIME '12:00:00'") == "TIME '12:00:00'");
  CHECK(canon("TIMESTAMP '2020-01-01 12:00:00.000'") == "TIMESTAMP '2020-01-01 12:00:00.000'");
  CHECK(canon("INTERVAL '10' SECOND") == "INTERVAL '10' SECOND");
  CHECK(canon("INTERVAL '10' MINUTES") == "INTERVAL '10' MINUTE");
  CHECK(canon("INTERVAL '1 02:00' DAY TO MINUTE") == "INTERVAL '1 02:00' DAY TO MINUTE");
  CHECK(canon("INTERVAL '100' DAY(3)") == "INTERVAL '100' DAY(3)");
  CHECK(canon("CURRENT_TIMESTAMP") == "CURRENT_TIMESTAMP");
  CHECK(parse_expr_ok("CURRENT_DATE").as<function_call>()->no_parens);
}

TEST_CASE("expressions: operator precedence and associativity") {
  CHECK(canon("1 + 2 * 3") == "1 + 2 * 3");
  CHECK(canon("(1 + 2) * 3") == "(1 + 2) * 3");
  CHECK(canon("1 - (2 - 3)") == "1 - (2 - 3)");
  CHECK(canon("1 - 2 - 3") == "1 - 2 - 3");
  CHECK(canon("a OR b AND c") == "a OR b AND c");
  CHECK(canon("(a OR b) AND c") == "(a OR b) AND c");
  CHECK(canon("NOT a = b") == "NOT a = b");
  CHECK(canon("(NOT a) = b") == "(NOT a) = b");
  CHECK(canon("- -a") == "- -a");
  CHECK(canon("-(-a)") == "- -a");
  CHECK(canon("-(+a)") == "- +a");
  CHECK(canon("-(NOT a)") == "-(NOT a)");
  CHECK(canon("a - -1") == "a - -1");
  CHECK(canon("a || 'x' || b") == "a || 'x' || b");
  CHECK(canon("a % 2 <> 0") == "a % 2 <> 0");
  CHECK(canon("a != b") == "a <> b");
  const expr e = parse_expr_ok("a + b * c - d");
  const auto* top = e.as<binary>();
  REQUIRE(top != nullptr);
  CHECK(top->op == binary_op::minus);
  CHECK(top->left->as<binary>()->op == binary_op::plus);
}

TEST_CASE("expressions: IS, IN, BETWEEN, LIKE, EXISTS, subqueries") {
  CHECK(canon("a IS NULL") == "a IS NULL");
  CHECK(canon("a IS NOT NULL") == "a IS NOT NULL");
  CHECK(canon("a IS TRUE OR b IS NOT FALSE") == "a IS TRUE OR b IS NOT FALSE");
  CHECK(canon("a IS UNKNOWN") == "a IS UNKNOWN");
  CHECK(canon("a IS DISTINCT FROM b") == "a IS DISTINCT FROM b");
  CHECK(canon("a IS NOT DISTINCT FROM b + 1") == "a IS NOT DISTINCT FROM b + 1");
  CHECK(canon("a IN (1, 2, 3)") == "a IN (1, 2, 3)");
  CHECK(canon("a NOT IN (SELECT b FROM t)") == "a NOT IN (SELECT b FROM t)");
  CHECK(canon("a BETWEEN 1 AND 2") == "a BETWEEN 1 AND 2");
  CHECK(canon("a NOT BETWEEN SYMMETRIC b - 1 AND b + 1") ==
        "a NOT BETWEEN SYMMETRIC b - 1 AND b + 1");
  CHECK(canon("a BETWEEN 1 AND 2 AND c") == "a BETWEEN 1 AND 2 AND c");
  CHECK(canon("a LIKE 'x%'") == "a LIKE 'x%'");
  CHECK(canon("a NOT LIKE 'x!%' ESCAPE '!'") == "a NOT LIKE 'x!%' ESCAPE '!'");
  CHECK(canon("a SIMILAR TO 'x+'") == "a SIMILAR TO 'x+'");
  CHECK(canon("EXISTS (SELECT 1 FROM t)") == "EXISTS (SELECT 1 FROM t)");
  CHECK(canon("NOT EXISTS (SELECT 1 FROM t)") == "NOT EXISTS (SELECT 1 FROM t)");
  CHECK(canon("(SELECT MAX(a) FROM t) + 1") == "(SELECT MAX(a) FROM t) + 1");
}

TEST_CASE("expressions: CASE, CAST, TRY_CAST, EXTRACT") {
  CHECK(canon("CASE a WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'many' END") ==
        "CASE a WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'many' END");
  CHECK(canon("CASE WHEN a > 0 THEN 1 END") == "CASE WHEN a > 0 THEN 1 END");
  CHECK(canon("CAST(a AS DECIMAL(10, 2))") == "CAST(a AS DECIMAL(10, 2))");
  CHECK(canon("TRY_CAST(s AS INT)") == "TRY_CAST(s AS INT)");
  CHECK(canon("CAST(m AS MAP<STRING, ARRAY<INT>>)") == "CAST(m AS MAP<STRING, ARRAY<INT>>)");
  CHECK(canon("EXTRACT(HOUR FROM ts)") == "EXTRACT(HOUR FROM ts)");
}

TEST_CASE("expressions: calls with DISTINCT, FILTER, OVER, *, named arguments, reserved names") {
  CHECK(canon("COUNT(*)") == "COUNT(*)");
  CHECK(canon("count(DISTINCT bidder) FILTER (WHERE price < 10000)") ==
        "count(DISTINCT bidder) FILTER (WHERE price < 10000)");
  CHECK(canon("ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC)") ==
        "ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC)");
  CHECK(canon("SUM(x) OVER w") == "SUM(x) OVER w");
  CHECK(canon("HOUR(`dateTime`)") == "HOUR(`dateTime`)");
  CHECK(canon("LEFT(s, 3)") == "LEFT(s, 3)");
  CHECK(canon("db.my_udf(1)") == "db.my_udf(1)");
  CHECK(canon("f(a => 1, b => 'x')") == "f(a => 1, b => 'x')");
  CHECK(canon("`value` + `day`") == "`value` + `day`");
}

TEST_CASE("expressions: POSITION, TRIM, SUBSTRING and OVERLAY keyword arguments") {
  CHECK(canon("POSITION('b' IN s)") == "POSITION('b' IN s)");
  CHECK(canon("POSITION((a = b) IN s)") == "POSITION((a = b) IN s)");
  CHECK(canon("TRIM(BOTH ' ' FROM s)") == "TRIM(BOTH ' ' FROM s)");
  CHECK(canon("TRIM(LEADING FROM s)") == "TRIM(LEADING FROM s)");
  CHECK(canon("TRIM('x' FROM s)") == "TRIM('x' FROM s)");
  CHECK(canon("TRIM(s)") == "TRIM(s)");
  CHECK(canon("SUBSTRING(s FROM 2 FOR 3)") == "SUBSTRING(s FROM 2 FOR 3)");
  CHECK(canon("SUBSTRING(s FROM 2)") == "SUBSTRING(s FROM 2)");
  CHECK(canon("SUBSTRING(s, 2, 3)") == "SUBSTRING(s, 2, 3)");
  CHECK(canon("OVERLAY(s PLACING 'x' FROM 2 FOR 1)") == "OVERLAY(s PLACING 'x' FROM 2 FOR 1)");
  const expr e = parse_expr_ok("TRIM(TRAILING 'x' FROM s)");
  const auto* f = e.as<function_call>();
  REQUIRE(f != nullptr);
  CHECK(f->syntax == call_syntax::trim);
  CHECK(f->trim_mode == "TRAILING");
  CHECK(f->args.size() == 2);
  CHECK_FALSE(parse_expression("TRIM(BOTH s)").ok());
}

TEST_CASE("expressions: names, ROW / ARRAY / MAP constructors, indexing and field access") {
  CHECK(canon("a.b.c") == "a.b.c");
  CHECK(parse_expr_ok("person.id").as<identifier>()->parts.size() == 2);
  CHECK(canon("ROW(1, 'a')") == "ROW(1, 'a')");
  CHECK(canon("(1, 'a')") == "ROW(1, 'a')");
  CHECK(canon("ARRAY[1, 2, 3]") == "ARRAY[1, 2, 3]");
  CHECK(canon("MAP['k', 1, 'j', 2]") == "MAP['k', 1, 'j', 2]");
  CHECK(canon("a[1]") == "a[1]");
  CHECK(canon("m['k']") == "m['k']");
  CHECK(canon("a[1][2]") == "a[1][2]");
  CHECK(canon("f(x).field") == "f(x).field");
  CHECK(canon("a[1].b") == "a[1].b");
  CHECK(canon("(a).b") == "(a).b");
  CHECK(canon("8.x") == "8 .x");  // found by the fuzzer: 8.`e3` printed as 8.e3
  CHECK(canon("(8).`e3`") == "8 .`e3`");
  CHECK(canon("(a + b)[1]") == "(a + b)[1]");
  CHECK(canon("-a[1]") == "-a[1]");
  CHECK(parse_expr_ok("(a).b").as<field_access>() != nullptr);
}

TEST_CASE("expressions: comments and case-insensitive keywords, identifiers keep case") {
  const expr e = parse_expr_ok("-- a comment\n  MyCol /* inline */ iS nOt NuLl");
  REQUIRE(e.as<is_test>() != nullptr);
  CHECK(e.as<is_test>()->operand->as<identifier>()->parts[0].value == "MyCol");
  CHECK(e.as<is_test>()->negated);
}

// ---- randomised round trips ----

namespace {

struct expr_generator {
  std::mt19937_64 rng;

  int pick(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }

  expr leaf() {
    static const std::vector<std::string> names = {"a", "b", "price", "`value`", "`x y`", "t.c"};
    switch (pick(6)) {
      case 0:
        return expr{literal{literal_kind::number, std::to_string(pick(1000))}, {}};
      case 1:
        return expr{literal{literal_kind::string, pick(2) ? "it's" : ""}, {}};
      case 2:
        return expr{literal{literal_kind::boolean, pick(2) ? "TRUE" : "FALSE"}, {}};
      case 3:
        return expr{literal{literal_kind::null, ""}, {}};
      case 4:
        return expr{interval_literal{std::to_string(pick(60)), "SECOND", std::nullopt, ""}, {}};
      default: {
        const auto parsed = parse_expression(names[pick(static_cast<int>(names.size()))]);
        return parsed.value();
      }
    }
  }

  std::vector<expr> list(int depth, int max) {
    std::vector<expr> out;
    const int n = 1 + pick(max);
    for (int i = 0; i < n; ++i) out.push_back(make(depth - 1));
    return out;
  }

  expr make(int depth) {
    if (depth <= 0 || pick(5) == 0) return leaf();
    switch (pick(17)) {
      case 0:
      case 1:
      case 2: {
        static const binary_op ops[] = {binary_op::or_,      binary_op::and_,   binary_op::eq,
                                        binary_op::neq,      binary_op::lt,     binary_op::ge,
                                        binary_op::concat,   binary_op::plus,   binary_op::minus,
                                        binary_op::multiply, binary_op::divide, binary_op::modulo};
        return expr{binary{ops[pick(12)], make(depth - 1), make(depth - 1)}, {}};
      }
      case 3: {
        static const unary_op ops[] = {unary_op::minus, unary_op::plus, unary_op::not_};
        return expr{unary{ops[pick(3)], make(depth - 1)}, {}};
      }
      case 4: {
        static const is_kind kinds[] = {is_kind::null, is_kind::true_, is_kind::false_,
                                        is_kind::unknown};
        return expr{is_test{make(depth - 1), kinds[pick(4)], pick(2) == 0}, {}};
      }
      case 5:
        return expr{is_distinct_from{make(depth - 1), make(depth - 1), pick(2) == 0}, {}};
      case 6:
        return expr{in_list{make(depth - 1), list(depth, 3), pick(2) == 0}, {}};
      case 7:
        return expr{
            between{make(depth - 1), make(depth - 1), make(depth - 1), pick(2) == 0, pick(2) == 0},
            {}};
      case 8: {
        like l;
        l.operand = make(depth - 1);
        l.pattern = make(depth - 1);
        if (pick(2)) l.escape = make(depth - 1);
        l.negated = pick(2) == 0;
        l.similar = pick(3) == 0;
        return expr{std::move(l), {}};
      }
      case 9: {
        case_expr c;
        if (pick(2)) c.operand = make(depth - 1);
        const int n = 1 + pick(2);
        for (int i = 0; i < n; ++i) c.whens.push_back({make(depth - 1), make(depth - 1)});
        if (pick(2)) c.else_result = make(depth - 1);
        return expr{std::move(c), {}};
      }
      case 10: {
        cast c;
        c.operand = make(depth - 1);
        c.type = parse_data_type(pick(2) ? "DECIMAL(10, 2)" : "ARRAY<INT>").value();
        c.try_cast = pick(2) == 0;
        return expr{std::move(c), {}};
      }
      case 11: {
        function_call f;
        f.name = {ident{pick(2) ? "f" : "COUNT", false, {}}};
        f.distinct = pick(4) == 0;
        for (auto& a : list(depth, 3)) f.args.push_back(function_arg{std::nullopt, std::move(a)});
        if (pick(3) == 0) f.filter = make(depth - 1);
        if (pick(3) == 0) {
          window_spec w;
          w.partition_by = list(depth, 2);
          f.over = over_clause{std::nullopt, std::move(w)};
        }
        return expr{std::move(f), {}};
      }
      case 12:
        return expr{subscript{make(depth - 1), make(depth - 1)}, {}};
      case 13:
        return expr{field_access{make(depth - 1), ident{"fld", false, {}}}, {}};
      case 14:
        return expr{pick(2) ? expr_node{array_constructor{list(depth, 3)}}
                            : expr_node{row_constructor{list(depth, 3)}},
                    {}};
      case 15: {
        function_call f;
        f.name = {ident{"SUBSTRING", false, {}}};
        f.syntax = pick(2) ? call_syntax::substring_from : call_syntax::position_in;
        const int n = f.syntax == call_syntax::position_in ? 2 : 2 + pick(2);
        for (int i = 0; i < n; ++i) f.args.push_back(function_arg{std::nullopt, make(depth - 1)});
        if (f.syntax == call_syntax::position_in) f.name[0].value = "POSITION";
        return expr{std::move(f), {}};
      }
      default:
        return expr{extract{"HOUR", make(depth - 1)}, {}};
    }
  }
};

}  // namespace

TEST_CASE("expressions: random trees print and parse back to the same tree") {
  expr_generator gen{std::mt19937_64(20261206)};
  for (int i = 0; i < 3000; ++i) {
    const expr e = gen.make(1 + i % 6);
    const std::string text = to_sql(e);
    INFO("case " << i << ": " << text);
    const auto parsed = parse_expression(text);
    if (!parsed) FAIL(render_error(text, parsed.error()));
    REQUIRE(parsed.value() == e);
  }
}
