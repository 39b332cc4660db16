// Partitioned filesystem sinks (PARTITIONED BY): Nexmark q10 as the nexmark repository writes it
// (its path aside) at parallelism 1 and 4, with a failure and checkpoints at parallelism 2 (each
// row written once); Flink's directory layout and escaping; success files at a checkpoint by the
// partition-time trigger (the operator driven directly) and at the end of a bounded job; errors.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "eddy/rows/temporal.hpp"
#include "eddy/table/partitioned_file_sink.hpp"
#include "sql_test_data.hpp"
#include "support/test_support.hpp"

namespace sql_partitioned_sink_test {

namespace fs = std::filesystem;
using namespace eddy;
using namespace eddy::testing::sql_data;

/// Every committed line under `root`, as "<dir relative to root>|<line>", sorted; and whether
/// each partition directory holds a _SUCCESS file and no hidden (uncommitted) file.
struct tree {
  std::vector<std::string> lines;
  std::set<std::string> partitions, with_success, with_hidden;
};

tree read_tree(const fs::path& root) {
  tree t;
  if (!fs::exists(root)) return t;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const auto dir = fs::relative(e.path().parent_path(), root).string();
    const auto name = e.path().filename().string();
    t.partitions.insert(dir);
    if (name == "_SUCCESS") {
      t.with_success.insert(dir);
      continue;
    }
    if (name[0] == '.') {
      t.with_hidden.insert(dir + "/" + name);
      continue;
    }
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) t.lines.push_back(dir + "|" + line);
  }
  std::sort(t.lines.begin(), t.lines.end());
  return t;
}

/// What q10 writes for `bids`: dt=yyyy-MM-dd/hm=HH%3Amm|auction,bidder,price,dateTime,extra.
std::vector<std::string> q10_reference(const std::vector<bid>& bids) {
  std::vector<std::string> want;
  for (const auto& b : bids) {
    const auto text = stamp(b.ts);  // "2015-07-15 00:01:02.345"
    want.push_back("dt=" + text.substr(0, 10) + "/hm=" + text.substr(11, 2) + "%3A" +
                   text.substr(14, 2) + "|" + std::to_string(b.auction) + "," +
                   std::to_string(b.bidder) + "," + std::to_string(b.price) + "," + text + "," +
                   quoted(b.extra));
  }
  std::sort(want.begin(), want.end());
  return want;
}

std::string q10_ddl(const fs::path& out) {
  return "CREATE TABLE nexmark_q10 (\n"
         "  auction  BIGINT,\n"
         "  bidder  BIGINT,\n"
         "  price  BIGINT,\n"
         "  `dateTime`  TIMESTAMP(3),\n"
         "  extra  VARCHAR,\n"
         "  dt STRING,\n"
         "  hm STRING\n"
         ") PARTITIONED BY (dt, hm) WITH (\n"
         "  'connector' = 'filesystem',\n"
         "  'path' = '" +
         out.string() +
         "',\n"
         "  'format' = 'csv',\n"
         "  'sink.partition-commit.trigger' = 'partition-time',\n"
         "  'sink.partition-commit.delay' = '1 min',\n"
         "  'sink.partition-commit.policy.kind' = 'success-file',\n"
         "  'partition.time-extractor.timestamp-pattern' = '$dt $hm:00',\n"
         "  'sink.rolling-policy.rollover-interval' = '1min',\n"
         "  'sink.rolling-policy.check-interval' = '1min'\n"
         ");\n";
}

const char* const q10 =
    "INSERT INTO nexmark_q10\n"
    "SELECT auction, bidder, price, `dateTime`, extra, DATE_FORMAT(`dateTime`, 'yyyy-MM-dd'), "
    "DATE_FORMAT(`dateTime`, 'HH:mm')\n"
    "FROM bid";

std::atomic<int> calls{0};
std::atomic<bool> failed{false};

std::vector<sql::scalar_function> fail_once() {
  return fail_once_function(calls, failed, 3000);
}

}  // namespace sql_partitioned_sink_test

using namespace sql_partitioned_sink_test;

TEST_CASE("Nexmark q10 writes each bid into its partition directory at parallelism 1 and 4",
          "[table][session][partitioned][nexmark]") {
  testing::temp_dir tmp;
  auto bids = make_bids(3000, 61);
  // Spread over about 10 minutes of event time: a partition (dt, hm) per minute.
  for (auto& b : bids) b.ts = bids.front().ts + (b.ts - bids.front().ts) * 30;
  write_bids(tmp.path() / "bid", bids, 2, true);
  const auto want = q10_reference(bids);
  for (const int p : {1, 4}) {
    CAPTURE(p);
    const auto out = tmp.path() / ("out-" + std::to_string(p));
    table::sql_session s;
    run_ok(s, "SET 'parallelism.default' = '" + std::to_string(p) + "';\n" +
                  bid_ddl(tmp.path() / "bid") + q10_ddl(out));
    CHECK(run_ok(s, std::string(q10) + ";").message ==
          "[INFO] Job 'insert-into_nexmark_q10' finished.");
    const auto t = read_tree(out);
    CHECK(difference(t.lines, want) == "");
    CHECK(t.partitions.size() > 4);
    CHECK(t.with_success == t.partitions);  // a bounded job commits every partition
    CHECK(t.with_hidden.empty());
  }
}

TEST_CASE("A partitioned sink with checkpoints recovers from a failure and writes each row once",
          "[table][session][partitioned][checkpoint]") {
  testing::temp_dir tmp;
  auto bids = make_bids(5000, 67);
  for (auto& b : bids) b.ts = bids.front().ts + (b.ts - bids.front().ts) * 30;  // 17 partitions
  write_bids(tmp.path() / "bid", bids, 2, true);
  sql_partitioned_sink_test::calls = 0;
  sql_partitioned_sink_test::failed = false;
  const auto out = tmp.path() / "out";
  table::sql_session s;
  s.register_function_implementation("test.FailOnce", sql_partitioned_sink_test::fail_once());
  run_ok(s, recovery_settings() + bid_ddl(tmp.path() / "bid") + q10_ddl(out));
  CHECK(run_ok(s, std::string(q10) + " WHERE fail_once(price) > 0;").message ==
        "[INFO] Job 'insert-into_nexmark_q10' finished.");
  CHECK(sql_partitioned_sink_test::failed);
  const auto t = read_tree(out);
  CHECK(difference(t.lines, q10_reference(bids)) == "");
  CHECK(t.partitions.size() > 10);
  CHECK(t.with_success == t.partitions);
  for (const auto& h : t.with_hidden) UNSCOPED_INFO(h);
  CHECK(t.with_hidden.empty());
}

TEST_CASE("A partitioned sink commits a partition at the checkpoint after the watermark passes it",
          "[table][partitioned]") {
  testing::temp_dir tmp;
  auto plan = std::make_shared<table::partitioned_sink_plan>();
  plan->table = "t";
  plan->path = (tmp.path() / "out").string();
  plan->partition_columns = {1};
  plan->partition_names = {"dt"};
  plan->data_columns = {0};
  table::row_format csv;
  plan->encoder = std::make_shared<const table::line_row_encoder>(
      std::vector<std::string>{"v"}, std::vector<rows::logical_type>{rows::bigint_type()}, csv);
  plan->partition_time_trigger = true;
  plan->commit_delay_ms = 60'000;
  plan->success_file = "_DONE";
  plan->timestamp_pattern = "$dt:00";
  table::partitioned_file_sink_op op(plan, 7);
  subtask_info info;
  info.checkpointing = true;
  op.open(info);
  std::vector<rows::row_batch> in(1, rows::row_batch(std::vector<rows::logical_type>{
                                         rows::bigint_type(), rows::varchar_type()}));
  for (const char* dt : {"2020-01-01 10:00", "2020-01-01 10:05", "2020-01-01 10:05"})
    in[0].append_row({rows::value(std::int64_t{1}), rows::value(std::string(dt))});
  op.process(in);
  const auto p1000 = fs::path(plan->path) / "dt=2020-01-01 10%3A00";
  const auto p1005 = fs::path(plan->path) / "dt=2020-01-01 10%3A05";
  // The watermark passes 10:00 + 1 min, not 10:05 + 1 min.
  op.on_watermark(*rows::parse_timestamp("2020-01-01 10:02:00"));
  std::vector<state_entry> state;
  op.snapshot_state(1, state);
  CHECK(!fs::exists(p1000 / "_DONE"));  // not before the checkpoint completes
  op.notify_checkpoint_complete(1);
  CHECK(fs::exists(p1000 / "_DONE"));
  CHECK(!fs::exists(p1005 / "_DONE"));
  const auto t = read_tree(plan->path);
  CHECK(t.lines == std::vector<std::string>{"dt=2020-01-01 10%3A00|1", "dt=2020-01-01 10%3A05|1",
                                            "dt=2020-01-01 10%3A05|1"});
  op.on_watermark(*rows::parse_timestamp("2020-01-01 10:06:00"));
  op.snapshot_state(2, state);
  op.notify_checkpoint_complete(2);
  CHECK(fs::exists(p1005 / "_DONE"));
  CHECK(table::partition_path_segment("hm", "00:01") == "hm=00%3A01");
  CHECK(table::partition_path_segment("p", "a/b=c%") == "p=a%2Fb%3Dc%25");
  CHECK(table::partition_path_segment("p", "") == "p=__DEFAULT_PARTITION__");
}

TEST_CASE("Partitioned filesystem tables refuse what they cannot do, at its place",
          "[table][session][partitioned]") {
  testing::temp_dir tmp;
  write_bids(tmp.path() / "bid", make_bids(5, 3), 1);
  table::sql_session s;
  run_ok(s, bid_ddl(tmp.path() / "bid") + q10_ddl(tmp.path() / "out"));
  CHECK_THAT(error_of(s, "SELECT * FROM nexmark_q10;"), Catch::Contains("does not exist"));
  CHECK_THAT(error_of(s,
                      "CREATE TABLE p2 (a BIGINT) PARTITIONED BY (b) WITH ('connector' = "
                      "'filesystem', 'path' = '/tmp/x', 'format' = 'csv');"),
             Catch::Contains("Partition column 'b' is not a physical column"));
  run_ok(s,
         "CREATE TABLE meta (a BIGINT, b STRING) PARTITIONED BY (b) WITH ('connector' = "
         "'filesystem', 'path' = '" +
             (tmp.path() / "m").string() +
             "', 'format' = 'csv', 'sink.partition-commit.policy.kind' = 'metastore');\n"
             "CREATE TABLE trig (a BIGINT, b STRING) PARTITIONED BY (b) WITH ('connector' = "
             "'filesystem', 'path' = '" +
             (tmp.path() / "m").string() +
             "', 'format' = 'csv', 'sink.partition-commit.trigger' = 'sometimes');\n"
             "CREATE TABLE bh (a BIGINT, b STRING) PARTITIONED BY (b) WITH ('connector' = "
             "'blackhole');\n");
  CHECK_THAT(error_of(s, "INSERT INTO meta SELECT price, channel FROM bid;"),
             Catch::Contains("'metastore' needs a Hive metastore"));
  CHECK_THAT(error_of(s, "INSERT INTO trig SELECT price, channel FROM bid;"),
             Catch::Contains("must be 'process-time' or 'partition-time'"));
  CHECK_THAT(error_of(s, "INSERT INTO bh SELECT price, channel FROM bid;"),
             Catch::Contains("PARTITIONED BY is supported for 'filesystem' tables only"));
}
