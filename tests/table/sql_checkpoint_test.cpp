// SQL jobs with Flink's checkpoint and restart settings: a job whose UDF fails once recovers
// (from its last checkpoint, sources rewound, the CSV sink committing exactly once) and writes
// exactly the reference rows at parallelism 2; without restarts it fails with the UDF's message;
// the settings are checked as SET runs them.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "sql_test_data.hpp"
#include "support/test_support.hpp"

using namespace eddy;
using namespace eddy::testing::sql_data;

namespace {

std::atomic<int> calls{0};
std::atomic<bool> failed{false};

std::vector<sql::scalar_function> fail_once() {
  return fail_once_function(calls, failed, 4000);
}

}  // namespace

TEST_CASE("A SQL job with checkpoints recovers from a failure and writes each row once",
          "[table][session][checkpoint]") {
  testing::temp_dir tmp;
  const auto bids = make_bids(6000, 109);
  write_bids(tmp.path() / "bid", bids, 2, true);
  std::map<std::pair<std::int64_t, std::int64_t>, std::pair<std::int64_t, std::int64_t>> groups;
  for (const auto& b : bids) {
    auto& g = groups[{b.auction % 10, b.ts - b.ts % 10'000}];
    ++g.first;
    g.second += b.price;
  }
  std::vector<std::string> want;
  for (const auto& [k, g] : groups)
    want.push_back(std::to_string(k.first) + "," + stamp(k.second) + "," + std::to_string(g.first) +
                   "," + std::to_string(g.second));
  std::sort(want.begin(), want.end());

  const std::string query =
      "SELECT MOD(auction, 10), window_start, COUNT(*), SUM(price) FROM TABLE(TUMBLE(TABLE bid, "
      "DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND)) WHERE fail_once(price) > 0 GROUP BY "
      "MOD(auction, 10), window_start, window_end;";
  {
    calls = 0;
    failed = false;
    table::sql_session s;
    s.register_function_implementation("test.FailOnce", fail_once());
    const auto out = tmp.path() / "out";
    run_ok(s, recovery_settings() + bid_ddl(tmp.path() / "bid") +
                  sink_ddl(out, "o", "k BIGINT, ws TIMESTAMP(3), n BIGINT, total BIGINT"));
    CHECK(run_ok(s, "INSERT INTO o " + query).message == "[INFO] Job 'insert-into_o' finished.");
    CHECK(failed);
    CHECK(difference(read_part_files(out / "o"), want) == "");
  }
  {
    calls = 0;
    failed = false;
    table::sql_session s;
    s.register_function_implementation("test.FailOnce", fail_once());
    const auto out = tmp.path() / "out-none";
    run_ok(s,
           "SET 'execution.checkpointing.interval' = '20 ms';\n"
           "SET 'restart-strategy.type' = 'none';\n"
           "CREATE FUNCTION fail_once AS 'test.FailOnce';\n" +
               bid_ddl(tmp.path() / "bid") +
               sink_ddl(out, "o", "k BIGINT, ws TIMESTAMP(3), n BIGINT, total BIGINT"));
    CHECK_THAT(error_of(s, "INSERT INTO o " + query),
               Catch::Contains("fail_once: the injected failure"));
  }
  table::sql_session s;
  CHECK_THAT(error_of(s, "SET 'execution.checkpointing.interval' = 'soon';"),
             Catch::Contains("'execution.checkpointing.interval' must be a duration"));
  CHECK_THAT(error_of(s, "SET 'restart-strategy.type' = 'sometimes';"),
             Catch::Contains("must be 'none', 'fixed-delay' or 'failure-rate'"));
  CHECK_THAT(error_of(s, "SET 'execution.checkpointing.mode' = 'twice';"),
             Catch::Contains("'EXACTLY_ONCE' or 'AT_LEAST_ONCE'"));
  CHECK_THAT(error_of(s, "SET 'metrics.latency.interval' = 'often';"),
             Catch::Contains("'metrics.latency.interval' must be a duration"));
}
