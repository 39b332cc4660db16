// VALUES, SELECT without FROM, INSERT column lists and EXECUTE STATEMENT SET run by a session:
// constant rows with their common column types and Flink's EXPR$n names, INSERT ... VALUES into a
// CSV table, several INSERTs as one job (both forms of a statement set), and the errors.
#include <catch2/catch.hpp>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

using namespace eddy;
using namespace eddy::testing::sql_data;

TEST_CASE("VALUES and SELECT without FROM give constant rows of the cells' common types",
          "[table][session][values]") {
  table::sql_session s;
  const auto t =
      run_ok(s, "SELECT * FROM (VALUES (1, 'a', 1.5), (30000000000, NULL, 2)) AS T(k, name, x);");
  CHECK(t.header == std::vector<std::string>{"k", "name", "x"});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0] == std::vector<std::string>{"1", "a", "1.5"});
  CHECK(t.rows[1] == std::vector<std::string>{"30000000000", "null", "2.0"});
  const auto unnamed = run_ok(s, "SELECT * FROM (VALUES (1, TRUE));");
  CHECK(unnamed.header == std::vector<std::string>{"EXPR$0", "EXPR$1"});
  const auto no_from = run_ok(s, "SELECT 1 + 1, UPPER('abc') AS u WHERE 2 > 1;");
  CHECK(no_from.header == std::vector<std::string>{"EXPR$0", "u"});
  REQUIRE(no_from.rows.size() == 1);
  CHECK(no_from.rows[0] == std::vector<std::string>{"2", "ABC"});
  CHECK(run_ok(s, "SELECT 1 WHERE 1 > 2;").rows.empty());
  const auto grouped =
      run_ok(s, "SELECT k, COUNT(*) AS n FROM (VALUES (1), (2), (1)) AS T(k) GROUP BY k;");
  CHECK(replay(grouped) == std::multiset<std::string>{"1,2", "2,1"});

  CHECK_THAT(error_of(s, "SELECT * FROM (VALUES (1, 2), (3)) AS T(a, b);"),
             Catch::Contains("different numbers of columns (2 and 1)"));
  CHECK_THAT(error_of(s, "SELECT * FROM (VALUES (1), ('x'));"),
             Catch::Contains("The cells of a VALUES column have types INT and CHAR(1)"));
  CHECK_THAT(error_of(s, "SELECT COUNT(*);"), Catch::Contains("SELECT without FROM with GROUP BY"));
}

TEST_CASE("INSERT ... VALUES and EXECUTE STATEMENT SET write CSV tables in one job",
          "[table][session][values]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(500, 5);
  write_bids(tmp.path() / "bid", bids, 2);
  std::vector<std::string> want_cheap, want_all;
  for (const auto& b : bids) {
    want_all.push_back(std::to_string(b.auction));
    if (b.price < 1'000'000) want_cheap.push_back(std::to_string(b.auction));
  }
  want_cheap.push_back("7");
  std::sort(want_all.begin(), want_all.end());
  std::sort(want_cheap.begin(), want_cheap.end());
  for (const int p : {1, 3}) {
    CAPTURE(p);
    table::sql_session s;
    const auto out = tmp.path() / ("out-" + std::to_string(p));
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") + sink_ddl(out, "v", "a BIGINT, b VARCHAR") +
                  sink_ddl(out, "all_bids", "a BIGINT") + sink_ddl(out, "cheap", "a BIGINT"));
    CHECK(run_ok(s, "INSERT INTO v VALUES (1, 'one'), (2, NULL);").message ==
          "[INFO] Job 'insert-into_v' finished.");
    CHECK(read_part_files(out / "v") == std::vector<std::string>{"1,one", "2,"});
    // A column list: the others are NULL.
    run_ok(s, "INSERT INTO v (b, a) VALUES ('x', 5);\nINSERT INTO v (a) SELECT 6;");
    CHECK(read_part_files(out / "v") == std::vector<std::string>{"1,one", "2,", "5,x", "6,"});
    CHECK_THAT(error_of(s, "INSERT INTO v (c) VALUES (1);"),
               Catch::Contains("Unknown target column 'c'"));
    CHECK_THAT(error_of(s, "INSERT INTO v (a, a) VALUES (1, 2);"),
               Catch::Contains("Target column 'a' is assigned more than once"));
    CHECK_THAT(error_of(s, "INSERT INTO v (a) VALUES (1, 'x');"),
               Catch::Contains("Number of INSERT target columns (1) does not equal number of "
                               "source items (2)"));
    const auto set = run_ok(s,
                            "EXECUTE STATEMENT SET BEGIN\n"
                            "INSERT INTO all_bids SELECT auction FROM bid;\n"
                            "INSERT INTO cheap SELECT auction FROM bid WHERE price < 1000000;\n"
                            "END;");
    CHECK(set.message == "[INFO] Job 'insert-into_all_bids,cheap' finished.");
    CHECK(difference(read_part_files(out / "all_bids"), want_all) == "");
    // The SQL client's form, adding to the same table.
    run_ok(s,
           "BEGIN STATEMENT SET;\n"
           "INSERT INTO cheap VALUES (7);\n"
           "END;");
    CHECK(difference(read_part_files(out / "cheap"), want_cheap) == "");
  }
}
