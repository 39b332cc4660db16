// `eddy sql --cluster HOST:PORT` against a coordinator and two workers (real `eddy` processes on
// 127.0.0.1): INSERTs and a statement set travel as SQL text, are planned on every node and
// write the same rows as the embedded runtime; SELECT, errors and 'table.dml-sync' = 'false'.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/test_cluster.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using eddy::testing::read_file;
using eddy::testing::run_eddy;
using eddy::testing::temp_dir;
using eddy::testing::test_cluster;

namespace {

std::vector<std::string> lines_of(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string()[0] == '.') continue;
    std::ifstream in(e.path());
    for (std::string l; std::getline(in, l);) out.push_back(l);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("eddy sql --cluster runs INSERTs on the cluster's workers", "[cluster][sql]") {
  temp_dir tmp("eddy-sql-cluster");
  fs::create_directories(tmp.path() / "in");
  std::vector<std::string> want_odd, want_sum;
  {
    std::ofstream a(tmp.path() / "in" / "a.csv"), b(tmp.path() / "in" / "b.csv");
    std::int64_t sums[7] = {};
    for (int i = 0; i < 3000; ++i) {
      (i % 2 ? a : b) << i << ',' << i * 3 << '\n';
      if (i % 2) want_odd.push_back(std::to_string(i) + "," + std::to_string(i * 6));
      sums[i % 7] += i * 3;
    }
    for (int k = 0; k < 7; ++k)
      want_sum.push_back(std::to_string(k) + "," + std::to_string(sums[k]));
  }
  std::sort(want_odd.begin(), want_odd.end());
  auto table = [&](const std::string& name, const std::string& cols, const std::string& dir,
                   const std::string& connector = "filesystem") {
    return "CREATE TABLE " + name + " (" + cols + ") WITH ('connector' = '" + connector + "'" +
           (connector == "filesystem"
                ? ", 'path' = '" + (tmp.path() / dir).string() + "', 'format' = 'csv'"
                : std::string()) +
           ");\n";
  };
  const auto script = tmp.path() / "s.sql";
  {
    std::ofstream s(script);
    s << table("t", "k INT, v BIGINT", "in") << table("odd", "k INT, v BIGINT", "odd")
      << table("odd2", "k INT, v BIGINT", "odd2")
      << table("sums", "k INT, s BIGINT", "sums", "print") << "SET 'parallelism.default' = '3';\n"
      << "INSERT INTO odd SELECT k, v * 2 FROM t WHERE MOD(k, 2) = 1;\n"
      << "EXECUTE STATEMENT SET BEGIN\n"
      << "INSERT INTO odd2 SELECT k, v * 2 FROM t WHERE MOD(k, 2) = 1;\n"
      << "INSERT INTO sums SELECT MOD(k, 7), SUM(v) FROM t GROUP BY MOD(k, 7);\n"
      << "END;\n";
  }
  test_cluster cluster(tmp.path(), 2, 2);
  auto r = run_eddy(tmp.path(), {"sql", "--cluster", cluster.address(), "-f", script.string()});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("[INFO] Job 'insert-into_odd' (insert-into_odd-"));
  CHECK_THAT(r.out, Catch::Contains("[INFO] Job 'insert-into_odd2,sums' ("));
  CHECK(lines_of(tmp.path() / "odd") == want_odd);
  CHECK(lines_of(tmp.path() / "odd2") == want_odd);
  // The print sink printed on the workers ("N> " before each row, as Flink's): the last row of
  // each group is its sum (their output may reach the files a little later).
  CHECK(eddy::testing::eventually(
      [&] {
        const auto printed = cluster.worker(0).out() + cluster.worker(1).out();
        for (const auto& s : want_sum) {
          const auto row = s.substr(0, s.find(',')) + ", " + s.substr(s.find(',') + 1) + "]";
          if (printed.find("> +U[" + row) == std::string::npos &&
              printed.find("> +I[" + row) == std::string::npos)
            return false;
        }
        return true;
      },
      std::chrono::seconds(10)));

  r = run_eddy(tmp.path(),
               {"sql", "--cluster", cluster.address(), "-e",
                "SET 'table.dml-sync' = 'false'; " + table("t", "k INT, v BIGINT", "in") +
                    table("o3", "k INT, v BIGINT", "o3") + "INSERT INTO o3 SELECT * FROM t;"});
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("[INFO] SQL update statement has been successfully submitted "
                                    "to the cluster:\nJob ID: insert-into_o3-"));
  r = run_eddy(tmp.path(), {"sql", "--cluster", cluster.address(), "-e", "SELECT 1;"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("SELECT shows its rows on the embedded runtime only"));
  r = run_eddy(tmp.path(),
               {"sql", "--cluster", cluster.address(), "-e", "INSERT INTO nowhere SELECT 1;"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("Table 'nowhere' not found"));
  r = run_eddy(tmp.path(),
               {"sql", "--cluster", "127.0.0.1:1", "--timeout", "500", "-e", "SELECT 1;"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("cannot reach the coordinator at 127.0.0.1:1"));
}
