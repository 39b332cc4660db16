// The Kafka sink's exactly-once mode (kafka_txn_sink.hpp) against librdkafka's mock cluster, as
// far as the mock goes: it has no read_committed (aborted records stay visible) and does not
// fence, so a failure test can show only that nothing is lost; the recovery decision (was a
// checkpointed transaction committed?) is tested directly on the sink's core.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "eddy/connectors/kafka/kafka_sink.hpp"
#include "eddy/connectors/kafka/kafka_source.hpp"
#include "eddy/operators/datastream.hpp"
#include "support/failure_injection.hpp"
#include "support/kafka_mock.hpp"
#include "support/test_support.hpp"

namespace {

eddy::kafka::sink_options txn_options(const eddy::testing::kafka_mock& k,
                                      const std::string& topic) {
  eddy::kafka::sink_options o;
  o.bootstrap_servers = k.bootstrap();
  o.topic = topic;
  o.guarantee = eddy::delivery_guarantee::exactly_once;
  o.transactional_id_prefix = "eddy-test";
  o.flush_timeout = std::chrono::seconds(20);
  return o;
}

/// "value|header" of every message in `topic` (read with the Kafka source, bounded).
std::vector<std::string> read_back(const eddy::testing::kafka_mock& k, const std::string& topic) {
  eddy::kafka::source_options o;
  o.bootstrap_servers = k.bootstrap();
  o.topics = {topic};
  o.bounded = true;
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  auto out = env.from_source(eddy::kafka::kafka_source<std::string>(
                                 o,
                                 [](const eddy::kafka::message_view& m) {
                                   return std::string(m.value) + "|" +
                                          std::string(m.header("eddy-txn").value_or("-"));
                                 }))
                 .collect();
  REQUIRE(env.execute("read back").ok());
  return out.values();
}

std::vector<std::string> values_of(const std::vector<std::string>& lines) {
  std::vector<std::string> v;
  for (const auto& l : lines) v.push_back(l.substr(0, l.find('|')));
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> numbered(std::size_t n) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(std::to_string(i));
  std::sort(v.begin(), v.end());
  return v;
}

eddy::subtask_info subtask() {
  eddy::subtask_info info;
  info.task_name = "sink";
  return info;
}

}  // namespace

TEST_CASE("the exactly-once kafka sink writes every record once, in transactions", "[kafka][txn]") {
  eddy::testing::kafka_mock k;
  k.create_topic("out", 3);
  eddy::testing::temp_dir tmp("eddy-kafka-txn");
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.set_batch_size(64);
  eddy::testing::enable_checkpoints(env, tmp.path() / "chk");
  env.from_generator(3000, [](std::uint64_t i) { return std::to_string(i); })
      .sink_to(eddy::kafka::kafka_sink_values(txn_options(k, "out")));
  REQUIRE(env.execute("kafka txn sink").ok());
  const auto got = read_back(k, "out");
  CHECK(values_of(got) == numbered(3000));
  // Every message names its transaction ("<prefix>-<subtask>-<k>:<nonce>").
  std::map<std::string, int> per_txn;
  for (const auto& l : got) {
    const auto h = l.substr(l.find('|') + 1);
    INFO(l);
    REQUIRE(h.rfind("eddy-test-", 0) == 0);
    ++per_txn[h];
  }
  CHECK(per_txn.size() >= 2);  // one per subtask at least
}

TEST_CASE("the exactly-once kafka sink loses nothing across a failure and restart",
          "[kafka][txn][checkpoint]") {
  eddy::testing::kafka_mock k;
  k.create_topic("out", 2);
  eddy::testing::temp_dir tmp("eddy-kafka-txn-fail");
  auto sw = std::make_shared<eddy::testing::failure_switch>();
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.set_batch_size(64);
  eddy::testing::enable_checkpoints(env, tmp.path() / "chk");
  env.from_generator(20000, [](std::uint64_t i) { return i; })
      .map(eddy::testing::failing_map(sw))
      .map([](std::uint64_t i) { return std::to_string(i); })
      .sink_to(eddy::kafka::kafka_sink_values(txn_options(k, "out")));
  const auto result = eddy::testing::run_with_failure(env, *sw);
  REQUIRE(result.ok());
  CHECK(result.restarts == 1);
  // The mock keeps the records of the transaction the failure aborted visible (a read_committed
  // reader of a real cluster would not see them), so only "nothing lost" can be checked here.
  auto got = values_of(read_back(k, "out"));
  got.erase(std::unique(got.begin(), got.end()), got.end());
  CHECK(got == numbered(20000));
}

TEST_CASE("after a restore, a committed transaction is left alone", "[kafka][txn]") {
  eddy::testing::kafka_mock k;
  k.create_topic("out", 1);
  eddy::kafka::detail::txn_core core(txn_options(k, "out"), "sink");
  core.open(subtask());
  auto txn = core.begin();
  for (int i = 0; i < 10; ++i) core.write(txn, std::nullopt, "a" + std::to_string(i), -1);
  core.pre_commit(txn);
  REQUIRE(txn.first_offsets.size() == 1);
  core.commit(txn);
  CHECK(core.committed(txn));

  // A new incarnation (another process after a crash) recovers the checkpointed transaction.
  eddy::kafka::detail::txn_core after(txn_options(k, "out"), "sink");
  after.open(subtask());
  after.recover_and_commit(txn);
  CHECK(read_back(k, "out").size() == 10);
}

TEST_CASE("after a restore, a transaction that is not in the topic is produced again, once",
          "[kafka][txn]") {
  eddy::testing::kafka_mock k;
  k.create_topic("out", 2);
  // What a read_committed reader sees where an aborted transaction was: its offsets hold other
  // messages (here another producer's, without Eddy's header) or nothing. The mock cannot hide
  // an aborted transaction, so the checkpointed transaction is made up: its first message was
  // at offset 1 of partition 0.
  k.produce("out", {"x0", "x1", "x2", "x3"}, 2);
  eddy::kafka::kafka_txn lost;
  lost.id = "eddy-test-0-3";
  lost.nonce = 42;
  lost.records = {{false, "", "r0", 0}, {true, "k", "r1", 1}, {false, "", "r2", 0}};
  lost.first_offsets = {{0, 1}, {1, 1}};
  {
    eddy::kafka::detail::txn_core core(txn_options(k, "out"), "sink");
    core.open(subtask());
    CHECK_FALSE(core.committed(lost));
    core.recover_and_commit(lost);
    CHECK(core.committed(lost));  // its copy carries its marker, in the same partitions
  }
  auto got = read_back(k, "out");
  CHECK(values_of(got) == std::vector<std::string>{"r0", "r1", "r2", "x0", "x1", "x2", "x3"});
  for (const auto& l : got)
    if (l[0] == 'r') CHECK(l.find("|eddy-test-0-3:42") != std::string::npos);
  // A second failure before the next checkpoint: the restore from the same checkpoint finds
  // the copy and writes nothing.
  eddy::kafka::detail::txn_core again(txn_options(k, "out"), "sink");
  again.open(subtask());
  again.recover_and_commit(lost);
  CHECK(read_back(k, "out").size() == 7);
}

TEST_CASE("the exactly-once kafka sink needs a transactional id prefix", "[kafka][txn]") {
  eddy::testing::kafka_mock k;
  auto o = txn_options(k, "out");
  o.transactional_id_prefix.clear();
  CHECK_THROWS_WITH(eddy::kafka::kafka_sink_values(o),
                    Catch::Contains("needs a transactional_id_prefix"));
}
