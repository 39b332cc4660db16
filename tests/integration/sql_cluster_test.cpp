// `eddy sql --cluster HOST:PORT` against a coordinator and two workers (real `eddy` processes on
// 127.0.0.1): INSERTs and a statement set travel as SQL text, are planned on every node and
// write the same rows as the embedded runtime; SELECT, errors and 'table.dml-sync' = 'false'.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "eddy/rows/temporal.hpp"
#include "support/test_cluster.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using eddy::testing::read_file;
using eddy::testing::run_eddy;
using eddy::testing::temp_dir;
using eddy::testing::test_cluster;
namespace rows = eddy::rows;

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

namespace {

/// The value after `label` on its line of `text` ("Job ID: X" -> X), or "".
std::string value_after(const std::string& text, const std::string& label) {
  const auto at = text.find(label);
  if (at == std::string::npos) return {};
  const auto start = at + label.size();
  return text.substr(start, text.find('\n', start) - start);
}

/// The one cell of a one-row tableau ("| /path |").
std::string single_cell(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> cells;
  for (std::string l; std::getline(in, l);)
    if (l.size() > 2 && l[0] == '|') {
      auto v = l.substr(1, l.rfind('|') - 1);
      v.erase(0, v.find_first_not_of(' '));
      v.erase(v.find_last_not_of(' ') + 1);
      cells.push_back(v);
    }
  return cells.size() == 2 ? cells[1] : std::string();  // header, then the row
}

}  // namespace

TEST_CASE(
    "an SQL job stopped WITH SAVEPOINT resumes at another parallelism from "
    "'execution.savepoint.path', exactly once",
    "[cluster][sql]") {
  temp_dir tmp("eddy-sql-cluster-savepoint");
  const int n = 12000;  // ids 0..n-1 at 1500 rows/s: about 8 s in all
  // Each id once into `ids`; per 1 s of event time (100 ids) and id % 3 a count and a sum.
  std::vector<std::string> want_ids, want_windows;
  for (int i = 0; i < n; ++i) want_ids.push_back(std::to_string(i));
  std::sort(want_ids.begin(), want_ids.end());
  for (int w = 0; w < n / 100; ++w)
    for (int k = 0; k < 3; ++k) {
      long count = 0, sum = 0;
      for (int i = w * 100; i < (w + 1) * 100; ++i)
        if (i % 3 == k) ++count, sum += i;
      want_windows.push_back(rows::format_timestamp(w * 1000L) + "," + std::to_string(k) + "," +
                             std::to_string(count) + "," + std::to_string(sum));
    }
  std::sort(want_windows.begin(), want_windows.end());
  const auto ddl =
      // A rescale hands a subtask the rest of other subtasks' sequence ranges, so its ids (and
      // times) go back: the watermark waits for the end (the windows are in the savepoint).
      "CREATE TABLE gen (id BIGINT, ts AS TO_TIMESTAMP_LTZ(id * 10, 3), "
      "WATERMARK FOR ts AS ts - INTERVAL '1000' SECOND) "
      "WITH ('connector' = 'datagen', 'rows-per-second' = '1500', 'fields.id.kind' = "
      "'sequence', 'fields.id.start' = '0', 'fields.id.end' = '" +
      std::to_string(n - 1) +
      "');\n"
      "CREATE TABLE ids (id BIGINT) WITH ('connector' = 'filesystem', 'path' = '" +
      (tmp.path() / "ids").string() +
      "', 'format' = 'csv');\n"
      "CREATE TABLE windows (window_start TIMESTAMP(3), k BIGINT, n BIGINT, s BIGINT) WITH "
      "('connector' = 'filesystem', 'path' = '" +
      (tmp.path() / "windows").string() +
      "', 'format' = 'csv');\n"
      "SET 'execution.checkpointing.interval' = '300 ms';\n";
  const std::string job =
      "EXECUTE STATEMENT SET BEGIN\n"
      "INSERT INTO ids SELECT id FROM gen;\n"
      "INSERT INTO windows SELECT CAST(window_start AS TIMESTAMP(3)), MOD(id, 3), COUNT(*), "
      "SUM(id) FROM TABLE(TUMBLE(TABLE gen, DESCRIPTOR(ts), INTERVAL '1' SECOND)) "
      "GROUP BY window_start, window_end, MOD(id, 3);\n"
      "END;\n";
  test_cluster cluster(tmp.path(), 2, 3);
  auto r = run_eddy(tmp.path(), {"sql", "--cluster", cluster.address(), "-e",
                                 ddl +
                                     "SET 'parallelism.default' = '2';\n"
                                     "SET 'table.dml-sync' = 'false';\n" +
                                     job});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const auto id = value_after(r.out, "Job ID: ");
  REQUIRE(!id.empty());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  r = run_eddy(tmp.path(), {"sql", "--cluster", cluster.address(), "-e", "SHOW JOBS;"});
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains(id) && Catch::Contains("RUNNING"));
  r = run_eddy(tmp.path(), {"sql", "--cluster", cluster.address(), "-e",
                            "STOP JOB '" + id + "' WITH SAVEPOINT;"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const auto savepoint = single_cell(r.out);
  REQUIRE(fs::is_directory(savepoint));
  const auto partial = lines_of(tmp.path() / "ids");
  CHECK(partial.size() < static_cast<std::size_t>(n));  // stopped midway
  // The same statement set at parallelism 3 from the savepoint: it runs to the sequence's end.
  r = run_eddy(tmp.path(), {"sql", "--cluster", cluster.address(), "-e",
                            ddl +
                                "SET 'parallelism.default' = '3';\n"
                                "SET 'execution.savepoint.path' = '" +
                                savepoint + "';\n" + job});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(lines_of(tmp.path() / "ids") == want_ids);
  CHECK(lines_of(tmp.path() / "windows") == want_windows);
  // Without a cluster the job statements are refused.
  r = run_eddy(tmp.path(), {"sql", "-e", "SHOW JOBS;"});
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("SHOW JOBS needs a cluster (eddy sql --cluster HOST:PORT)"));
}
