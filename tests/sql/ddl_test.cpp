// DDL and client statements from Flink's documentation: CREATE TABLE (types, computed and
// metadata columns, watermarks, primary keys, partitions, options, CTAS), CREATE VIEW / FUNCTION,
// DROP, SHOW, DESCRIBE, SET, RESET, USE.
#include <catch2/catch.hpp>

#include "sql/sql_test_support.hpp"

using namespace eddy::sql;
using namespace eddy::sql::testing;

TEST_CASE("CREATE TABLE: every type of issue 18, NOT NULL, nested ARRAY, MAP and ROW") {
  const auto s = parse_and_round_trip(R"(
    CREATE TABLE all_types (
      b BOOLEAN, i INT, j INTEGER NOT NULL, l BIGINT, t TINYINT, s SMALLINT, f FLOAT,
      d DOUBLE, dp DOUBLE PRECISION, dec DECIMAL(10, 2), dec2 DEC(5), n NUMERIC,
      v VARCHAR, v2 VARCHAR(20), str STRING, c CHAR(3), bin BINARY(4), vb VARBINARY(10),
      bs BYTES, dt DATE, tm TIME(3), ts TIMESTAMP(3), ts2 TIMESTAMP, ts3 TIMESTAMP(6) WITHOUT TIME ZONE,
      ltz TIMESTAMP_LTZ(3), ltz2 TIMESTAMP(3) WITH LOCAL TIME ZONE, iv INTERVAL DAY TO SECOND,
      ym INTERVAL YEAR TO MONTH,
      arr ARRAY<INT NOT NULL>, arr2 STRING ARRAY, m MAP<STRING, ARRAY<BIGINT>>,
      ms MULTISET<STRING>,
      r ROW<a INT, `b` STRING 'a description', c ROW<x DOUBLE, y DOUBLE>> NOT NULL,
      r2 ROW(a INT, b STRING)
    ) WITH ('connector' = 'datagen')
  )");
  const auto& t = *s[0].as<create_table>();
  auto type_of = [&](const std::string& name) -> const data_type& {
    for (const auto& c : t.columns) {
      if (c.name.value == name) return c.type;
    }
    FAIL("no column " << name);
    return t.columns[0].type;
  };
  CHECK(type_of("j").name == "INT");
  CHECK(type_of("j").not_null);
  CHECK(type_of("dp").name == "DOUBLE");
  CHECK(type_of("dec").params == std::vector<std::int64_t>{10, 2});
  CHECK(type_of("dec2").name == "DECIMAL");
  CHECK(type_of("ts3").name == "TIMESTAMP");
  CHECK(type_of("ltz2").name == "TIMESTAMP_LTZ");
  CHECK(type_of("ltz2").params == std::vector<std::int64_t>{3});
  CHECK(type_of("iv").interval_to == "SECOND");
  CHECK(type_of("arr").children.at(0).not_null);
  CHECK(type_of("arr2").name == "ARRAY");
  CHECK(type_of("arr2").children.at(0).name == "STRING");
  CHECK(to_sql(type_of("m")) == "MAP<STRING, ARRAY<BIGINT>>");
  CHECK(to_sql(type_of("r")) ==
        "ROW<a INT, `b` STRING 'a description', c ROW<x DOUBLE, y DOUBLE>> NOT NULL");
  CHECK(type_of("r2") == parse_data_type("ROW<a INT, b STRING>").value());
}

TEST_CASE("CREATE TABLE: computed, metadata and virtual columns, watermark, primary key") {
  const auto s = parse_and_round_trip(R"(
    CREATE TEMPORARY TABLE IF NOT EXISTS cat.db.KafkaTable (
      `user_id` BIGINT,
      `item_id` BIGINT,
      `behavior` STRING,
      `event_time` TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
      `partition` BIGINT METADATA VIRTUAL,
      `offset` BIGINT METADATA VIRTUAL,
      headers MAP<STRING, BYTES> METADATA,
      cost AS price * quantity,
      proc AS PROCTIME() COMMENT 'processing time',
      id2 BIGINT PRIMARY KEY NOT ENFORCED,
      WATERMARK FOR `event_time` AS `event_time` - INTERVAL '5' SECOND,
      CONSTRAINT pk PRIMARY KEY (user_id, item_id) NOT ENFORCED
    ) COMMENT 'a table' PARTITIONED BY (behavior) WITH (
      'connector' = 'kafka',
      'topic' = 'user_behavior',
      'properties.bootstrap.servers' = 'localhost:9092',
      'scan.startup.mode' = 'earliest-offset',
      'format' = 'csv',
      'it''s' = 'quoted'
    )
  )");
  const auto& t = *s[0].as<create_table>();
  CHECK(t.temporary);
  CHECK(t.if_not_exists);
  CHECK(t.name.size() == 3);
  REQUIRE(t.columns.size() == 10);
  CHECK(t.columns[3].what == column_def::kind::metadata);
  CHECK(t.columns[3].metadata_key == std::optional<std::string>("timestamp"));
  CHECK(t.columns[4].is_virtual);
  CHECK(t.columns[4].name.value == "partition");
  CHECK_FALSE(t.columns[6].metadata_key);
  CHECK(t.columns[7].what == column_def::kind::computed);
  CHECK(to_sql(*t.columns[7].computed) == "price * quantity");
  CHECK(t.columns[8].comment == std::optional<std::string>("processing time"));
  CHECK(t.columns[9].primary_key);
  REQUIRE(t.watermark);
  CHECK(t.watermark->column[0].value == "event_time");
  REQUIRE(t.primary_key);
  CHECK(t.primary_key->constraint_name->value == "pk");
  CHECK(t.primary_key->columns.size() == 2);
  CHECK(t.primary_key->not_enforced);
  CHECK(t.partitioned_by.size() == 1);
  CHECK(t.options.back().key == "it's");
}

TEST_CASE("CREATE TABLE: columns named like clause keywords") {
  const auto s = parse_and_round_trip(
      "CREATE TABLE t (watermark BIGINT, `primary` INT, `constraint` INT, ts TIMESTAMP(3), "
      "WATERMARK FOR ts AS ts)");
  const auto& t = *s[0].as<create_table>();
  REQUIRE(t.columns.size() == 4);
  CHECK(t.columns[0].name.value == "watermark");
  CHECK(t.watermark);
}

TEST_CASE("CREATE TABLE AS, CREATE VIEW, CREATE FUNCTION, DROP") {
  const auto s = parse_and_round_trip(R"(
    CREATE TABLE my_ctas WITH ('connector' = 'blackhole') AS SELECT id, name FROM source_table;
    CREATE VIEW v AS SELECT * FROM t;
    CREATE TEMPORARY VIEW IF NOT EXISTS v2 (a, b) COMMENT 'view' AS SELECT x, y FROM t;
    CREATE FUNCTION count_char AS 'com.github.nexmark.flink.udf.CountChar';
    CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS f AS 'f.F' LANGUAGE JAVA;
    DROP TABLE t;
    DROP TABLE IF EXISTS db.t;
    DROP TEMPORARY VIEW IF EXISTS v;
    DROP TEMPORARY SYSTEM FUNCTION f;
  )");
  CHECK(s[0].as<create_table>()->as_query.has_value());
  CHECK(s[2].as<create_view>()->columns.size() == 2);
  CHECK(s[4].as<create_function>()->language == "JAVA");
  CHECK(s[6].as<drop>()->if_exists);
  CHECK(s[7].as<drop>()->what == object_kind::view);
  CHECK(s[8].as<drop>()->system);
}

TEST_CASE("SHOW, DESCRIBE, SET, RESET, USE") {
  const auto s = parse_and_round_trip(R"(
    SHOW TABLES; SHOW VIEWS; SHOW FUNCTIONS; SHOW JOBS; SHOW CREATE TABLE t;
    DESCRIBE Orders; DESC db.Orders;
    SET 'parallelism.default' = '4';
    SET 'table.exec.state.ttl' = '1 h';
    SET;
    RESET 'parallelism.default';
    RESET;
    USE CATALOG my_catalog; USE db1;
  )");
  REQUIRE(s.size() == 14);
  CHECK(s[4].as<show>()->what == "CREATE TABLE");
  CHECK(s[6].as<describe>()->name.size() == 2);
  CHECK(s[7].as<set_option>()->option->key == "parallelism.default");
  CHECK(s[7].as<set_option>()->option->value == "4");
  CHECK_FALSE(s[9].as<set_option>()->option);
  CHECK(s[10].as<reset_option>()->key == std::optional<std::string>("parallelism.default"));
  CHECK(s[12].as<use>()->catalog);
}

TEST_CASE("STOP JOB with and without SAVEPOINT and DRAIN") {
  const auto s = parse_and_round_trip(R"(
    STOP JOB 'insert-into_t-1'; STOP JOB 'j' WITH SAVEPOINT; STOP JOB 'j' WITH DRAIN;
    stop job 'j' with savepoint with drain;
  )");
  REQUIRE(s.size() == 4);
  CHECK(*s[0].as<stop_job>() == stop_job{"insert-into_t-1", false, false});
  CHECK(*s[1].as<stop_job>() == stop_job{"j", true, false});
  CHECK(*s[2].as<stop_job>() == stop_job{"j", false, true});
  CHECK(*s[3].as<stop_job>() == stop_job{"j", true, true});
  CHECK(to_sql(s[3]) == "STOP JOB 'j' WITH SAVEPOINT WITH DRAIN");
  CHECK_FALSE(parse_statements("STOP JOB j;").ok());  // the id is a string literal
}

TEST_CASE("data types parse on their own and print canonically") {
  CHECK(to_sql(parse_data_type("integer").value()) == "INT");
  CHECK(to_sql(parse_data_type("numeric(10,2)").value()) == "DECIMAL(10, 2)");
  CHECK(to_sql(parse_data_type("timestamp(3) with local time zone").value()) == "TIMESTAMP_LTZ(3)");
  CHECK(to_sql(parse_data_type("INT ARRAY ARRAY").value()) == "ARRAY<ARRAY<INT>>");
  CHECK(to_sql(parse_data_type("character varying(5)").value()) == "VARCHAR(5)");
  CHECK(to_sql(parse_data_type("my_udt").value()) == "my_udt");
  CHECK_FALSE(parse_data_type("ARRAY<INT").ok());
  CHECK_FALSE(parse_data_type("DECIMAL(a)").ok());
}
