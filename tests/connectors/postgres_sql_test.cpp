// `eddy sql` with jdbc / postgresql tables (the real binary, EDDY_BIN) against a throwaway
// PostgreSQL server: a table read by its declared columns, an updating GROUP BY upserted into a
// table by its primary key (create-table), an insert-only query appended, and the errors. The
// references are computed by PostgreSQL itself over the same rows.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/postgres_server.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

using Catch::Matchers::Contains;
using eddy::testing::run_eddy;
using eddy::testing::temp_dir;

namespace {

eddy::testing::run_result run_sql(const temp_dir& tmp, const std::string& script) {
  static int n = 0;
  const auto path = tmp.path() / ("script" + std::to_string(n++) + ".sql");
  eddy::testing::write_file(path, script);
  return run_eddy(tmp.path(), {"sql", "-f", path.string()});
}

/// The WITH options of a jdbc table `table` in database `db`.
std::string jdbc(const eddy::testing::postgres_server& pg, const std::string& db,
                 const std::string& table, const std::string& more = "") {
  return "'connector' = 'jdbc', 'url' = 'jdbc:postgresql://127.0.0.1:" + std::to_string(pg.port()) +
         "/" + db + "', 'username' = 'eddy', 'table-name' = '" + table + "'" + more;
}

/// Rows of orders: ids 1..n, four items, prices with cents, every 7th unpaid, every 11th item
/// NULL; the columns in another order than the DDL's (read by name).
void create_orders(eddy::testing::postgres_server& pg, int n) {
  pg.create_database("shop");
  pg.psql(
      "CREATE TABLE orders (paid BOOLEAN, id INTEGER PRIMARY KEY, price NUMERIC(10, 2), item "
      "TEXT);"
      "INSERT INTO orders SELECT i % 7 <> 0, i, (i * 37 % 10000) / 100.0, "
      "CASE WHEN i % 11 = 0 THEN NULL ELSE (ARRAY['apple','pear','plum','fig'])[i % 4 + 1] END "
      "FROM generate_series(1, " +
          std::to_string(n) + ") AS i;",
      "shop");
}

}  // namespace

TEST_CASE("eddy sql upserts an updating GROUP BY into a jdbc table by its primary key",
          "[sql][postgres]") {
  temp_dir tmp("eddy-pg-sql");
  eddy::testing::postgres_server pg;
  create_orders(pg, 3000);
  for (int p : {1, 3}) {
    INFO("parallelism " << p);
    const std::string totals = "totals" + std::to_string(p);
    const auto r = run_sql(
        tmp, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                 "CREATE TABLE orders (id INT, item STRING, price DECIMAL(10, 2), paid BOOLEAN) "
                 "WITH (" +
                 jdbc(pg, "shop", "orders",
                      ", 'scan.partition.column' = 'id', 'scan.partition.num' = '3'") +
                 ");\n"
                 "CREATE TABLE totals (item STRING, n BIGINT, total DECIMAL(38, 2), "
                 "PRIMARY KEY (item) NOT ENFORCED) WITH (" +
                 jdbc(pg, "shop", totals, ", 'create-table' = 'true'") +
                 ");\n"
                 "INSERT INTO totals SELECT COALESCE(item, '?'), COUNT(*), SUM(price) "
                 "FROM orders WHERE paid GROUP BY COALESCE(item, '?');\n");
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.code == 0);
    CHECK(pg.psql("SELECT item, n, total FROM " + totals + " ORDER BY item", "shop") ==
          pg.psql("SELECT COALESCE(item, '?') AS i, COUNT(*), SUM(price) FROM orders "
                  "WHERE paid GROUP BY i ORDER BY i",
                  "shop"));
  }
}

TEST_CASE("eddy sql applies a changelog with deletes to a jdbc table by its primary key",
          "[sql][postgres]") {
  temp_dir tmp("eddy-pg-sql-deletes");
  eddy::testing::postgres_server pg;
  create_orders(pg, 3000);
  // How many items have n paid orders: as an item's count grows, its old n loses it, and an n
  // that no item has any more is deleted (-D).
  for (int p : {1, 2}) {
    INFO("parallelism " << p);
    const std::string hist = "hist" + std::to_string(p);
    const auto r = run_sql(
        tmp, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                 "CREATE TABLE orders (id INT, item STRING, price DECIMAL(10, 2), paid BOOLEAN) "
                 "WITH (" +
                 jdbc(pg, "shop", "orders") +
                 ");\n"
                 "CREATE TABLE hist (n BIGINT, items BIGINT, PRIMARY KEY (n) NOT ENFORCED) WITH (" +
                 jdbc(pg, "shop", hist,
                      ", 'create-table' = 'true', 'sink.buffer-flush.max-rows' = '7'") +
                 ");\n"
                 "INSERT INTO hist SELECT n, COUNT(*) FROM (SELECT id % 40 AS k, COUNT(*) AS n "
                 "FROM orders WHERE paid GROUP BY id % 40) GROUP BY n;\n");
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.code == 0);
    CHECK(pg.psql("SELECT n, items FROM " + hist + " ORDER BY n", "shop") ==
          pg.psql("SELECT n, COUNT(*) FROM (SELECT id % 40 AS k, COUNT(*) AS n FROM orders "
                  "WHERE paid GROUP BY id % 40) AS g GROUP BY n ORDER BY n",
                  "shop"));
  }
}

TEST_CASE("eddy sql appends an insert-only query to a jdbc table without a primary key",
          "[sql][postgres]") {
  temp_dir tmp("eddy-pg-sql-append");
  eddy::testing::postgres_server pg;
  create_orders(pg, 2000);
  pg.psql("CREATE TABLE cheap (id INTEGER, item TEXT, price NUMERIC(10, 2), paid BOOLEAN)", "shop");
  const auto r = run_sql(
      tmp,
      "SET 'parallelism.default' = '2';\n"
      "CREATE TABLE orders (id INT, item STRING, price DECIMAL(10, 2), paid BOOLEAN) WITH (" +
          jdbc(pg, "shop", "orders") +
          ");\n"
          "CREATE TABLE cheap (id INT, item STRING, price DECIMAL(10, 2), paid BOOLEAN) "
          "WITH (" +
          jdbc(pg, "shop", "cheap") +
          ");\n"
          "INSERT INTO cheap SELECT id, UPPER(item), price, NOT paid FROM orders "
          "WHERE price < 20;\n");
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(pg.psql("SELECT id, item, price, paid FROM cheap ORDER BY id", "shop") ==
        pg.psql("SELECT id, UPPER(item), price, NOT paid FROM orders WHERE price < 20 ORDER BY id",
                "shop"));
  CHECK(pg.psql("SELECT count(*) FROM cheap WHERE item IS NULL", "shop") != "0");
}

TEST_CASE("eddy sql: jdbc table errors name the table and the option", "[sql][postgres]") {
  temp_dir tmp("eddy-pg-sql-errors");
  eddy::testing::postgres_server pg;
  create_orders(pg, 10);
  auto error_of = [&](const std::string& with, const std::string& insert) {
    const auto r =
        run_sql(tmp,
                "CREATE TABLE t (id INT, item STRING, price DECIMAL(10, 2), paid BOOLEAN) "
                "WITH (" +
                    with +
                    ");\n"
                    "CREATE TABLE s (id INT, item STRING, price DECIMAL(10, 2), paid BOOLEAN) "
                    "WITH ('connector' = 'blackhole');\n" +
                    insert + "\n");
    CHECK(r.code != 0);
    return r.out + r.err;
  };
  CHECK_THAT(error_of(jdbc(pg, "shop", "orders", ", 'password' = 'secret'"),
                      "INSERT INTO s SELECT * FROM t;"),
             Contains("Table 't' (connector 'jdbc'): 'password' would keep the password in the "
                      "statement: give 'password-file'"));
  CHECK_THAT(error_of(jdbc(pg, "shop", "orders", ", 'scan.fetch-siz' = '10'"),
                      "INSERT INTO s SELECT * FROM t;"),
             Contains("unknown option 'scan.fetch-siz' (did you mean 'scan.fetch-size'?)"));
  CHECK_THAT(
      error_of(jdbc(pg, "shop", "orders", ", 'format' = 'csv'"), "INSERT INTO s SELECT * FROM t;"),
      Contains("connector 'jdbc' reads and writes database rows and takes no 'format'"));
  // An updating query into a table without a primary key: Flink's error.
  CHECK_THAT(error_of(jdbc(pg, "shop", "orders"),
                      "CREATE TABLE u (item STRING, n BIGINT) WITH (" + jdbc(pg, "shop", "u") +
                          ");\nINSERT INTO u SELECT item, COUNT(*) FROM t GROUP BY item;"),
             Contains("please declare a primary key for the sink table"));
}

TEST_CASE("eddy sql looks rows up in a jdbc table for each row of a stream (lookup joins)",
          "[sql][postgres]") {
  temp_dir tmp("eddy-pg-lookup");
  eddy::testing::postgres_server pg;
  create_orders(pg, 200);  // the dimension table: id -> item, price, paid
  // The stream: order lines naming an order id (some not in the table, one NULL).
  std::string lines;
  std::map<int, int> quantity;  // line -> order id
  for (int i = 0; i < 400; ++i) {
    const int id = (i * 7) % 260;  // ids 200..259 are not in the table
    lines += std::to_string(i) + "," + (i == 5 ? std::string() : std::to_string(id)) + "\n";
    if (i != 5) quantity[i] = id;
  }
  std::filesystem::create_directories(tmp.path() / "lines");
  eddy::testing::write_file(tmp.path() / "lines" / "lines.csv", lines);
  // The reference: PostgreSQL's own rows of each id.
  const auto items = pg.psql("SELECT id, COALESCE(item, '') FROM orders ORDER BY id", "shop");
  std::map<int, std::string> item_of;
  {
    std::istringstream in(items);
    std::string row;
    while (std::getline(in, row)) {
      const auto bar = row.find('|');
      if (bar == std::string::npos) continue;
      item_of[std::stoi(row.substr(0, bar))] = row.substr(bar + 1);
    }
  }
  REQUIRE(item_of.size() == 200);
  for (const char* cache : {"",
                            ", 'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = "
                            "'20', 'lookup.partial-cache.expire-after-write' = '1 min'"}) {
    for (const bool left : {false, true}) {
      INFO("cache " << cache << ", left " << left);
      const std::string out =
          (tmp.path() / ("out" + std::to_string(left) + std::to_string(std::string(cache).size())))
              .string();
      const auto r = run_sql(
          tmp,
          "SET 'parallelism.default' = '2';\n"
          "CREATE TABLE lines (line INT, order_id INT) WITH ('connector' = 'filesystem', "
          "'path' = '" +
              (tmp.path() / "lines").string() +
              "', 'format' = 'csv');\n"
              "CREATE TABLE orders (id INT, item STRING, price DECIMAL(10, 2), paid BOOLEAN) "
              "WITH (" +
              jdbc(pg, "shop", "orders", cache) +
              ");\n"
              "CREATE TABLE out_rows (line INT, id INT, item STRING) WITH ("
              "'connector' = 'filesystem', 'path' = '" +
              out + "', 'format' = 'csv');\n" +
              "INSERT INTO out_rows SELECT l.line, o.id, o.item FROM (SELECT *, PROCTIME() AS "
              "p FROM lines) l " +
              (left ? "LEFT " : "") +
              "JOIN orders FOR SYSTEM_TIME AS OF l.p AS o ON l.order_id = o.id;\n");
      INFO("stdout: " << r.out << "\nstderr: " << r.err);
      REQUIRE(r.code == 0);
      std::vector<std::string> want;
      for (int i = 0; i < 400; ++i) {
        const auto q = quantity.find(i);
        const bool found = q != quantity.end() && item_of.contains(q->second);
        if (found)
          want.push_back(std::to_string(i) + "," + std::to_string(q->second) + "," +
                         item_of[q->second]);
        else if (left)
          want.push_back(std::to_string(i) + ",,");
      }
      std::sort(want.begin(), want.end());
      std::vector<std::string> got;
      for (const auto& e : std::filesystem::directory_iterator(out)) {
        if (e.path().filename().string()[0] == '.') continue;
        std::ifstream in(e.path());
        std::string line;
        while (std::getline(in, line)) got.push_back(line);
      }
      std::sort(got.begin(), got.end());
      CHECK(got == want);
    }
  }
  // Errors: a cache option out of range, a query instead of a table.
  const auto bad = run_sql(tmp,
                           "CREATE TABLE lines (line INT, order_id INT) WITH ('connector' = "
                           "'filesystem', 'path' = '" +
                               (tmp.path() / "lines").string() +
                               "', 'format' = 'csv');\n"
                               "CREATE TABLE orders (id INT, item STRING) WITH (" +
                               jdbc(pg, "shop", "orders", ", 'lookup.cache' = 'SOMETIMES'") +
                               ");\n"
                               "SELECT * FROM (SELECT *, PROCTIME() AS p FROM lines) l JOIN "
                               "orders FOR SYSTEM_TIME AS OF l.p AS o ON l.order_id = o.id;\n");
  CHECK(bad.code != 0);
  CHECK_THAT(bad.out + bad.err,
             Contains("Table 'orders': 'lookup.cache' is 'NONE' or 'PARTIAL', not 'SOMETIMES'"));
}
