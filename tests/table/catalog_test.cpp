// The catalog: CREATE TABLE / VIEW / DROP into table definitions, and errors at their place.
#include <catch2/catch.hpp>

#include "eddy/sql/parser.hpp"
#include "eddy/table/catalog.hpp"

using namespace eddy;

namespace {

sql::result<bool> run(table::catalog& c, const std::string& text) {
  auto s = sql::parse_statement(text);
  REQUIRE(s.ok());
  if (const auto* t = s->as<sql::create_table>()) return c.create_table(*t, s->loc);
  if (const auto* v = s->as<sql::create_view>()) return c.create_view(*v, s->loc);
  return c.drop(*s->as<sql::drop>(), s->loc);
}

std::string error_of(table::catalog& c, const std::string& text) {
  auto r = run(c, text);
  REQUIRE_FALSE(r.ok());
  return sql::render_error(text, r.error());
}

}  // namespace

TEST_CASE("CREATE TABLE gives a table of typed columns, watermark, key and options",
          "[table][catalog]") {
  table::catalog c;
  REQUIRE(run(c,
              "CREATE TABLE bid (auction BIGINT NOT NULL, price DECIMAL(10, 2), extra VARCHAR, "
              "`dateTime` TIMESTAMP(3), ts AS `dateTime`, "
              "WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND, "
              "PRIMARY KEY (auction) NOT ENFORCED) "
              "WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'csv')")
              .ok());
  const auto* t = c.find_table("bid");
  REQUIRE(t);
  CHECK(t->columns.to_string() ==
        "(`auction` BIGINT NOT NULL, `price` DECIMAL(10, 2), `extra` STRING, `dateTime` "
        "TIMESTAMP(3))");
  REQUIRE(t->computed.size() == 1);
  CHECK(t->computed[0].name == "ts");
  CHECK(t->rowtime == "dateTime");
  CHECK(t->primary_key == std::vector<std::string>{"auction"});
  CHECK(t->option("connector") == "filesystem");
  CHECK(t->option("missing", "d") == "d");
  CHECK(c.table_names() == std::vector<std::string>{"bid"});
  // IF NOT EXISTS keeps the table; DROP removes it.
  CHECK(run(c, "CREATE TABLE IF NOT EXISTS bid (a INT)").ok());
  CHECK(c.find_table("bid")->columns.size() == 4);
  CHECK(run(c, "CREATE VIEW v AS SELECT auction FROM bid").ok());
  CHECK(c.view_names() == std::vector<std::string>{"v"});
  CHECK(run(c, "DROP TABLE bid").ok());
  CHECK_FALSE(c.find_table("bid"));
  CHECK(run(c, "DROP TABLE IF EXISTS bid").ok());
}

TEST_CASE("CREATE TABLE errors point at the column, type or name", "[table][catalog]") {
  table::catalog c;
  CHECK(error_of(c, "CREATE TABLE t (a INT, a BIGINT)") ==
        "Column 'a' is defined twice\n  CREATE TABLE t (a INT, a BIGINT)\n"
        "                         ^");
  CHECK_THAT(error_of(c, "CREATE TABLE t (a ARRAY<INT>)"),
             Catch::Contains("Type ARRAY is not supported yet"));
  CHECK_THAT(error_of(c, "CREATE TABLE t (a DECIMAL(40, 2))"),
             Catch::Contains("DECIMAL precision must be between 1 and 38"));
  CHECK_THAT(error_of(c, "CREATE TABLE t (a BIGINT, WATERMARK FOR a AS a)"),
             Catch::Contains("must be TIMESTAMP(3) or TIMESTAMP_LTZ(3), not BIGINT"));
  CHECK_THAT(error_of(c, "CREATE TABLE t (a TIMESTAMP(3), WATERMARK FOR b AS a)"),
             Catch::Contains("rowtime column 'b' of the watermark is not a column"));
  CHECK_THAT(error_of(c, "CREATE TABLE t (a INT, PRIMARY KEY (b) NOT ENFORCED)"),
             Catch::Contains("Primary key column 'b'"));
  CHECK_THAT(error_of(c, "CREATE TABLE c.d.t (a INT)"),
             Catch::Contains("Catalogs and databases are not supported"));
  REQUIRE(run(c, "CREATE TABLE person (id BIGINT)").ok());
  CHECK_THAT(error_of(c, "CREATE TABLE person (id BIGINT)"),
             Catch::Contains("Table or view 'person' already exists"));
  CHECK_THAT(error_of(c, "DROP TABLE persn"),
             Catch::Contains("Table 'persn' does not exist. Did you mean 'person'?"));
  CHECK_THAT(error_of(c, "CREATE TABLE t (a INT) WITH ('k' = '1', 'k' = '2')"),
             Catch::Contains("Option 'k' is given twice"));
}
