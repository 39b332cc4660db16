// The Nexmark queries (tests/sql/nexmark/, copied from the nexmark repository) parse, and each
// statement prints back to SQL that parses to the same tree.
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "sql/sql_test_support.hpp"

using namespace eddy::sql;
using namespace eddy::sql::testing;

namespace {

// Nexmark's runner replaces ${NAME} placeholders before submitting the SQL; so does the test.
std::string load(const std::string& name) {
  std::string sql = read_file(std::string(EDDY_SQL_TEST_DIR) + "/nexmark/" + name);
  sql = std::regex_replace(sql, std::regex(R"(\$\{NEXMARK_TABLE\})"), "datagen");
  return std::regex_replace(sql, std::regex(R"(\$\{[A-Z_]+\})"), "1");
}

const insert& last_insert(const std::vector<statement>& statements) {
  REQUIRE(!statements.empty());
  const auto* i = statements.back().as<insert>();
  REQUIRE(i != nullptr);
  return *i;
}

}  // namespace

TEST_CASE("nexmark DDL: the datagen, kafka and view definitions parse and round-trip") {
  for (const char* f :
       {"ddl_gen.sql", "ddl_gen_v2.sql", "ddl_kafka.sql", "ddl_views.sql", "insert_kafka.sql"}) {
    INFO(f);
    parse_and_round_trip(load(f));
  }
  const auto ddl = parse_ok(load("ddl_gen.sql"));
  REQUIRE(ddl.size() == 1);
  const auto* t = ddl[0].as<create_table>();
  REQUIRE(t != nullptr);
  REQUIRE(t->columns.size() == 5);
  CHECK(t->columns[1].type.name == "ROW");
  CHECK(t->columns[1].type.fields.size() == 8);
  CHECK(t->columns[1].type.fields[6].name.value == "dateTime");
  CHECK(t->columns[1].type.fields[6].type->name == "TIMESTAMP");
  CHECK(t->columns[1].type.fields[6].type->params == std::vector<std::int64_t>{3});
  CHECK(t->columns[4].what == column_def::kind::computed);
  REQUIRE(t->watermark);
  CHECK(to_sql(t->watermark->strategy) == "`dateTime` - INTERVAL '4' SECOND");
  CHECK(t->options.size() == 7);
  CHECK(t->options[0].key == "connector");
  CHECK(t->options[0].value == "nexmark");
  const auto views = parse_ok(load("ddl_views.sql"));
  CHECK(views.size() == 3);
}

TEST_CASE("nexmark q0 to q23 parse and round-trip") {
  for (int q = 0; q <= 23; ++q) {
    const std::string name = "q" + std::to_string(q) + ".sql";
    INFO(name);
    const auto statements = parse_and_round_trip(load(name));
    CHECK(statements.size() >= 2);
    CHECK(last_insert(statements).table[0].value == "nexmark_q" + std::to_string(q));
  }
}

TEST_CASE("nexmark q5: window table functions in subqueries joined on window bounds") {
  const auto s = parse_ok(load("q5.sql"));
  const auto& body = std::get<select_core>(last_insert(s).source.body.node);
  REQUIRE(body.from.size() == 1);
  const auto& from = body.from[0];
  REQUIRE(from.joins.size() == 1);
  CHECK(from.relation.alias->name.value == "AuctionBids");
  const auto& inner = std::get<derived_table>(from.relation.node);
  const auto& inner_select = std::get<select_core>(inner.subquery->body.node);
  const auto& tvf = std::get<table_function>(inner_select.from[0].relation.node);
  const auto* call = tvf.call.as<function_call>();
  REQUIRE(call != nullptr);
  CHECK(call->name[0].value == "HOP");
  REQUIRE(call->args.size() == 4);
  CHECK(call->args[0].value->as<table_arg>() != nullptr);
  CHECK(call->args[1].value->as<descriptor>() != nullptr);
  CHECK(to_sql(*call->args[3].value) == "INTERVAL '10' SECOND");
}

TEST_CASE("nexmark q9 and q18: subqueries in FROM without an alias, ROW_NUMBER OVER") {
  const auto s = parse_ok(load("q18.sql"));
  const auto& body = std::get<select_core>(last_insert(s).source.body.node);
  const auto& derived = body.from[0].relation;
  CHECK_FALSE(derived.alias.has_value());
  const auto& inner =
      std::get<select_core>(std::get<derived_table>(derived.node).subquery->body.node);
  REQUIRE(inner.items.size() == 2);
  CHECK(inner.items[0].what == select_item::kind::wildcard);
  const auto* rn = inner.items[1].value->as<function_call>();
  REQUIRE(rn != nullptr);
  REQUIRE(rn->over);
  CHECK(rn->over->spec->partition_by.size() == 2);
  CHECK(rn->over->spec->order_by[0].ascending == std::optional<bool>(false));
  parse_and_round_trip(load("q9.sql"));
}

TEST_CASE("nexmark q11: legacy SESSION group window with SESSION_START and SESSION_END") {
  const auto s = parse_ok(load("q11.sql"));
  const auto& body = std::get<select_core>(last_insert(s).source.body.node);
  REQUIRE(body.group_by.size() == 2);
  CHECK(to_sql(body.group_by[1]) == "SESSION(B.`dateTime`, INTERVAL '10' SECOND)");
  CHECK(to_sql(*body.items[2].value) == "SESSION_START(B.`dateTime`, INTERVAL '10' SECOND)");
}

TEST_CASE("nexmark q13: a temporal join FOR SYSTEM_TIME AS OF") {
  const auto s = parse_ok(load("q13.sql"));
  const auto& body = std::get<select_core>(last_insert(s).source.body.node);
  const auto& j = body.from[0].joins.at(0);
  const auto& t = std::get<named_table>(j.relation.node);
  REQUIRE(t.system_time);
  CHECK(to_sql(*t.system_time) == "B.p_time");
  CHECK(j.relation.alias->name.value == "S");
}

TEST_CASE("nexmark q15: COUNT DISTINCT with FILTER (WHERE ...)") {
  const auto s = parse_ok(load("q15.sql"));
  const auto& body = std::get<select_core>(last_insert(s).source.body.node);
  const auto* c = body.items[6].value->as<function_call>();
  REQUIRE(c != nullptr);
  CHECK(c->distinct);
  REQUIRE(c->filter);
  CHECK(to_sql(*c->filter) == "price < 10000");
  CHECK(body.items[6].alias->value == "rank1_bidders");
}
