// The Kafka source and sink in whole jobs, against an in-process mock cluster.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "eddy/connectors/kafka/kafka_sink.hpp"
#include "eddy/connectors/kafka/kafka_source.hpp"
#include "eddy/operators/datastream.hpp"
#include "support/eddy_process.hpp"
#include "support/kafka_mock.hpp"

// A namespace of its own: test files are compiled in unity batches (tests/CMakeLists.txt).
namespace kafka_connector_test {

namespace {

std::vector<std::string> numbered(std::size_t n, const std::string& prefix = "v") {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

eddy::kafka::source_options bounded_source(const eddy::testing::kafka_mock& k,
                                           const std::string& topic) {
  eddy::kafka::source_options o;
  o.bootstrap_servers = k.bootstrap();
  o.topics = {topic};
  o.bounded = true;
  return o;
}

}  // namespace

TEST_CASE("a bounded kafka source reads every partition once, at any parallelism") {
  eddy::testing::kafka_mock k;
  k.create_topic("in", 5);
  const auto values = numbered(2000);
  k.produce("in", values, 5);
  for (int p : {1, 2, 3, 7}) {
    DYNAMIC_SECTION("parallelism " << p) {
      eddy::StreamEnvironment env;
      env.set_parallelism(p);
      auto out =
          env.from_source(eddy::kafka::kafka_source_values(bounded_source(k, "in"))).collect();
      auto r = env.execute("kafka bounded");
      REQUIRE(r.ok());
      CHECK(sorted(out.values()) == sorted(values));
    }
  }
}

TEST_CASE("a bounded kafka source stops at the offsets latest at its start") {
  eddy::testing::kafka_mock k;
  k.create_topic("grow", 2);
  k.produce("grow", numbered(100, "a"), 2);
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.config().source_rate = 200;  // slow: more messages arrive while it reads
  auto out = env.from_source(eddy::kafka::kafka_source_values(bounded_source(k, "grow"))).collect();
  auto h = env.execute_async("kafka stop offsets");
  REQUIRE(h);
  // Once records arrive the source has taken its stop offsets: what comes now is past them.
  for (int i = 0; i < 400 && out.size() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(out.size() > 0);
  k.produce("grow", numbered(50, "b"), 2);
  auto r = h->wait();
  REQUIRE(r.ok());
  CHECK(sorted(out.values()) == sorted(numbered(100, "a")));
}

TEST_CASE("a bounded kafka source reports how much of its partitions it read") {
  eddy::testing::kafka_mock k;
  k.create_topic("progress", 5);
  k.produce("progress", numbered(2000), 5);
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.config().source_rate = 4000;  // about half a second: seen part-way
  auto out =
      env.from_source(eddy::kafka::kafka_source_values(bounded_source(k, "progress"))).collect();
  auto h = env.execute_async("kafka progress");
  REQUIRE(h);
  const auto totals = [&] {
    std::pair<std::uint64_t, std::uint64_t> t{0, 0};
    for (const auto& m : h->metrics()) {
      t.first += m.input_read;
      t.second += m.input_size;
    }
    return t;
  };
  bool part_way = false;
  for (int i = 0; i < 1000 && !part_way && !h->result(); ++i) {
    const auto [read, size] = totals();
    part_way = size > 0 && read > 0 && read < size;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(part_way);
  REQUIRE(h->wait().ok());
  CHECK(out.size() == 2000);
  CHECK(totals() == std::pair<std::uint64_t, std::uint64_t>{2000, 2000});  // messages
}

TEST_CASE("a kafka source reports its lag behind the partitions' high watermarks") {
  eddy::testing::kafka_mock k;
  k.create_topic("lag", 5);
  k.produce("lag", numbered(2000), 5);
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.config().source_rate = 4000;  // about half a second: seen part-way
  auto o = bounded_source(k, "lag");
  o.bounded = false;
  auto out = env.from_source(eddy::kafka::kafka_source_values(o)).collect();
  auto h = env.execute_async("kafka lag");
  REQUIRE(h);
  // The lag over the source subtasks that report one (nullopt: none reports yet).
  const auto lag = [&] {
    std::optional<std::uint64_t> sum;
    for (const auto& m : h->metrics())
      if (m.source_lag) sum = sum.value_or(0) + *m.source_lag;
    return sum;
  };
  using eddy::testing::eventually;
  CHECK(eventually(
      [&] {
        const auto l = lag();
        return l && *l > 0 && *l <= 2000;
      },
      std::chrono::seconds(5)));
  REQUIRE(eventually([&] { return out.size() == 2000; }, std::chrono::seconds(10)));
  CHECK(eventually([&] { return lag() == std::optional<std::uint64_t>(0); },
                   std::chrono::seconds(5)));
  h->cancel();
  (void)h->wait();
}

TEST_CASE("kafka source messages carry partition, offset, key and timestamp") {
  eddy::testing::kafka_mock k;
  k.create_topic("meta", 1);
  k.produce("meta", {"x", "y"}, 1, 1700000000123);
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  auto src = eddy::kafka::kafka_source<std::string>(
      bounded_source(k, "meta"), [](const eddy::kafka::message_view& m) {
        return std::string(m.topic) + "/" + std::to_string(m.partition) + "@" +
               std::to_string(m.offset) + " " + std::string(m.value) +
               " t=" + std::to_string(m.timestamp) + (m.key ? " key" : " nokey");
      });
  auto out = env.from_source(src).collect();
  REQUIRE(env.execute("kafka meta").ok());
  CHECK(out.values() == std::vector<std::string>{"meta/0@0 x t=1700000000123 nokey",
                                                 "meta/0@1 y t=1700000000123 nokey"});
}

TEST_CASE("a kafka source over a topic that does not exist fails the job naming it") {
  eddy::testing::kafka_mock k;
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.from_source(eddy::kafka::kafka_source_values(bounded_source(k, "missing"))).collect();
  auto h = env.execute_async("kafka missing topic");
  REQUIRE(h);
  auto r = h->wait();
  REQUIRE(!r.ok());
  REQUIRE(r.failure);
  CHECK(r.failure->message.find("topic 'missing' does not exist") != std::string::npos);
}

TEST_CASE(
    "an unbounded kafka source restored from a checkpoint at another parallelism reads on "
    "exactly once") {
  eddy::testing::kafka_mock k;
  k.create_topic("live", 4);
  k.produce("live", numbered(400, "a"), 4);
  const auto dir =
      std::filesystem::temp_directory_path() / ("eddy-kafka-restore-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  eddy::kafka::source_options o;
  o.bootstrap_servers = k.bootstrap();
  o.topics = {"live"};
  o.discovery_interval = std::chrono::milliseconds(200);
  std::vector<std::string> first_run;
  std::string savepoint;
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(3);
    env.enable_checkpointing(std::chrono::milliseconds(50));
    env.set_checkpoint_dir(dir.string());
    auto out = env.from_source(eddy::kafka::kafka_source_values(o)).collect();
    auto h = env.execute_async("kafka live");
    REQUIRE(h);
    // collect() commits per checkpoint: wait until the first 400 are committed.
    for (int i = 0; i < 600 && out.size() < 400; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(out.size() == 400);
    auto sp = h->stop_with_savepoint((dir / "sp").string());
    REQUIRE(sp);
    savepoint = *sp;
    first_run = out.values();
  }
  k.produce("live", numbered(300, "b"), 4);
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.config().restore_from = savepoint;
  auto out = env.from_source(eddy::kafka::kafka_source_values(o)).collect();
  auto h = env.execute_async("kafka live");
  REQUIRE(h);
  for (int i = 0; i < 600 && out.size() < 300; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  h->cancel();
  (void)h->wait();
  CHECK(sorted(first_run) == sorted(numbered(400, "a")));
  CHECK(sorted(out.values()) == sorted(numbered(300, "b")));
  std::filesystem::remove_all(dir);
}

TEST_CASE("the kafka sink writes every record (at-least-once, no failure: exactly once)") {
  eddy::testing::kafka_mock k;
  k.create_topic("out", 3);
  eddy::StreamEnvironment env;
  env.set_parallelism(3);
  eddy::kafka::sink_options o;
  o.bootstrap_servers = k.bootstrap();
  o.topic = "out";
  env.from_generator(3000, [](std::uint64_t i) { return "r" + std::to_string(i); })
      .sink_to(eddy::kafka::kafka_sink_values(o));
  REQUIRE(env.execute("kafka sink").ok());
  CHECK(sorted(k.consume("out", 3000)) == sorted(numbered(3000, "r")));
}

TEST_CASE("the kafka sink writes each record to the partition its partition function names") {
  eddy::testing::kafka_mock k;
  k.create_topic("parts", 3);
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(2);
    eddy::kafka::sink_options o;
    o.bootstrap_servers = k.bootstrap();
    o.topic = "parts";
    env.from_generator(900, [](std::uint64_t i) { return i; })
        .sink_to(eddy::kafka::kafka_sink<std::uint64_t>(
            o, [](const std::uint64_t& i) { return std::to_string(i); },
            [](const std::uint64_t& i) {
              return std::optional<std::string>("k" + std::to_string(i));
            },
            [](const std::uint64_t& i) -> std::optional<std::int32_t> {
              if (i % 10 == 9) return std::nullopt;  // the partitioner's choice
              return static_cast<std::int32_t>(i % 3);
            }));
    REQUIRE(env.execute("kafka sink partitions").ok());
  }
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  auto back = env.from_source(eddy::kafka::kafka_source<std::string>(
                                  bounded_source(k, "parts"),
                                  [](const eddy::kafka::message_view& m) {
                                    return std::string(m.value) + "@" +
                                           std::to_string(m.partition) + " " +
                                           std::string(m.key.value_or("-"));
                                  }))
                  .collect();
  REQUIRE(env.execute("read back").ok());
  const auto got = back.values();
  REQUIRE(got.size() == 900);
  std::size_t chosen = 0;
  for (const auto& line : got) {
    INFO(line);
    const auto at = line.find('@');
    const auto i = std::stoull(line.substr(0, at));
    const auto part = std::stoi(line.substr(at + 1));
    CHECK(line.substr(line.find(' ') + 1) == "k" + std::to_string(i));
    if (i % 10 != 9) {
      CHECK(part == static_cast<int>(i % 3));
      ++chosen;
    }
  }
  CHECK(chosen == 810);
}

TEST_CASE("a kafka sink record for a partition the topic does not have fails the job") {
  eddy::testing::kafka_mock k;
  k.create_topic("one", 1);
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  eddy::kafka::sink_options o;
  o.bootstrap_servers = k.bootstrap();
  o.topic = "one";
  env.from_generator(10, [](std::uint64_t i) { return i; })
      .sink_to(eddy::kafka::kafka_sink<std::uint64_t>(
          o, [](const std::uint64_t& i) { return std::to_string(i); }, {},
          [](const std::uint64_t&) { return std::optional<std::int32_t>(7); }));
  try {
    (void)env.execute("kafka sink bad partition");
    FAIL("the job did not fail");
  } catch (const std::exception& e) {
    CHECK_THAT(e.what(), Catch::Contains("topic one") && Catch::Contains("nknown partition"));
  }
}

TEST_CASE("the kafka sink waits for a broker that is down, then delivers everything") {
  eddy::testing::kafka_mock k(1);
  k.create_topic("later", 1);
  k.broker_down(1);
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  eddy::kafka::sink_options o;
  o.bootstrap_servers = k.bootstrap();
  o.topic = "later";
  env.from_generator(500, [](std::uint64_t i) { return "r" + std::to_string(i); })
      .sink_to(eddy::kafka::kafka_sink_values(o));
  auto h = env.execute_async("kafka sink waits");
  REQUIRE(h);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(!h->wait_for(std::chrono::milliseconds(0)).has_value());  // still waiting
  k.broker_up(1);
  auto r = h->wait();
  REQUIRE(r.ok());
  CHECK(sorted(k.consume("later", 500)) == sorted(numbered(500, "r")));
}

TEST_CASE("kafka round trip: source -> map -> sink") {
  eddy::testing::kafka_mock k;
  k.create_topic("a", 3);
  k.create_topic("b", 2);
  k.produce("a", numbered(1000), 3);
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  eddy::kafka::sink_options o;
  o.bootstrap_servers = k.bootstrap();
  o.topic = "b";
  env.from_source(eddy::kafka::kafka_source_values(bounded_source(k, "a")))
      .map([](std::string s) { return s + "!"; })
      .sink_to(eddy::kafka::kafka_sink_values(o));
  REQUIRE(env.execute("kafka round trip").ok());
  auto expected = numbered(1000);
  for (auto& s : expected) s += "!";
  CHECK(sorted(k.consume("b", 1000)) == sorted(expected));
}

TEST_CASE("a kafka source waits for a broker that is down, then reads everything") {
  eddy::testing::kafka_mock k(1);
  k.create_topic("paused", 2);
  k.produce("paused", numbered(300), 2);
  k.broker_down(1);
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto out =
      env.from_source(eddy::kafka::kafka_source_values(bounded_source(k, "paused"))).collect();
  auto h = env.execute_async("kafka source waits");
  REQUIRE(h);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  CHECK(!h->wait_for(std::chrono::milliseconds(0)).has_value());  // still waiting
  k.broker_up(1);
  auto r = h->wait();
  REQUIRE(r.ok());
  CHECK(sorted(out.values()) == sorted(numbered(300)));
}

namespace {
struct stamped {
  std::string value;
  std::int64_t ts = 0;
};
EDDY_FIELDS(stamped, value, ts)

eddy::kafka::event_time<stamped> by_value_ts(std::chrono::milliseconds idleness = {}) {
  return {[](const stamped& s) { return s.ts; }, std::chrono::milliseconds(0), idleness};
}

struct counter {
  std::int64_t create_accumulator() const { return 0; }
  void add(std::int64_t& a, const stamped&) const { ++a; }
  std::int64_t get_result(const std::int64_t& a) const { return a; }
};

stamped parse_stamped(const eddy::kafka::message_view& m) {
  const std::string v(m.value);
  return {v, std::stoll(v.substr(v.find(',') + 1))};
}

/// An unbounded job over `topic` with per-partition event time (idleness 200 ms) counting 100 ms
/// windows at `parallelism`: the counts once four windows closed (or after about 5 s).
std::vector<std::int64_t> first_window_counts(const eddy::testing::kafka_mock& k,
                                              const std::string& topic, int parallelism) {
  eddy::kafka::source_options o;
  o.bootstrap_servers = k.bootstrap();
  o.topics = {topic};  // unbounded
  eddy::StreamEnvironment env;
  env.set_parallelism(parallelism);
  auto counts = env.from_source(eddy::kafka::kafka_source<stamped>(
                                    o, parse_stamped, by_value_ts(std::chrono::milliseconds(200))))
                    .key_by([](const stamped&) { return 0; })
                    .window(eddy::TumblingEventTimeWindows::of(std::chrono::milliseconds(100)))
                    .aggregate(counter{})
                    .collect();
  auto h = env.execute_async("windows of " + topic);
  REQUIRE(h);
  for (int i = 0; i < 200 && counts.size() < 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  h->cancel();
  (void)h->wait();
  return counts.values();
}
}  // namespace

TEST_CASE("per-partition watermarks: a partition read ahead does not make another's records late") {
  eddy::testing::kafka_mock k;
  k.create_topic("two", 2);
  // Both partitions hold timestamps 0..999 in order; value i goes to partition i % 2.
  std::vector<std::string> values;
  for (int t = 0; t < 1000; ++t) {
    values.push_back("p0," + std::to_string(t));
    values.push_back("p1," + std::to_string(t));
  }
  k.produce("two", values, 2);
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  auto counts = env.from_source(eddy::kafka::kafka_source<stamped>(bounded_source(k, "two"),
                                                                   parse_stamped, by_value_ts()))
                    .key_by([](const stamped&) { return 0; })
                    .window(eddy::TumblingEventTimeWindows::of(std::chrono::milliseconds(100)))
                    .aggregate(counter{})
                    .collect();
  auto r = env.execute("per-split watermarks");
  REQUIRE(r.ok());
  // Ten windows of 100 ms, each with 100 records of each partition; nothing late.
  CHECK(counts.values() == std::vector<std::int64_t>(10, 200));
}

TEST_CASE("per-partition watermarks: an idle partition stops holding event time back") {
  eddy::testing::kafka_mock k;
  k.create_topic("half", 2);
  std::vector<std::string> values;
  for (int t = 0; t < 500; ++t) values.push_back("p0," + std::to_string(t));
  k.produce("half", values, 1);  // all in partition 0; partition 1 stays empty
  // Windows [0,100) .. [300,400) close once partition 1 is idle (its watermark would otherwise
  // stay at the minimum); [400,500) waits for a later record.
  CHECK(first_window_counts(k, "half", 1) == std::vector<std::int64_t>(4, 100));
}

TEST_CASE(
    "per-partition watermarks: a reader that owns no partition does not hold event time back") {
  eddy::testing::kafka_mock k;
  k.create_topic("single", 1);
  std::vector<std::string> values;
  for (int t = 0; t < 500; ++t) values.push_back("p0," + std::to_string(t));
  k.produce("single", values, 1);
  // At parallelism 2 one reader owns no partition: [0,100) .. [300,400) close once it is idle.
  CHECK(first_window_counts(k, "single", 2) == std::vector<std::int64_t>(4, 100));
}

}  // namespace kafka_connector_test
