// eddy-kafka-mock: a Kafka mock cluster on loopback (librdkafka's rdkafka_mock.h), and a line
// producer and consumer, to try the Kafka connector without a broker and to test it.
//
//   eddy-kafka-mock serve [--brokers N] [--topic NAME:PARTITIONS]...
//       prints "bootstrap HOST:PORT,..." and serves until SIGTERM/SIGINT; commands on stdin:
//       "down ID" / "up ID" take broker ID (1..N) down or up, "topic NAME:PARTITIONS" creates one.
//   eddy-kafka-mock produce --bootstrap B --topic T [--partitions P]
//       one message per stdin line (line i to partition i mod P with --partitions, else by
//       librdkafka's partitioner); prints "produced N".
//   eddy-kafka-mock consume --bootstrap B --topic T --count N [--timeout-ms MS]
//       prints the values of the first N messages (each partition from its start, in order
//       within a partition); exit 1 if fewer arrived within the timeout.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <unistd.h>
#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "eddy-kafka-mock: %s\n", msg.c_str());
  std::exit(2);
}

rd_kafka_t* client(rd_kafka_type_t type,
                   const std::vector<std::pair<std::string, std::string>>& props) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
      die(k + "=" + v + ": " + err);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) die(std::string("cannot create a Kafka client: ") + err);
  return rk;
}

std::pair<std::string, int> topic_spec(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) return {s, 1};
  try {
    return {s.substr(0, colon), std::stoi(s.substr(colon + 1))};
  } catch (...) {
    die("--topic " + s + ": expected NAME:PARTITIONS");
  }
}

int serve(int brokers, const std::vector<std::string>& topics) {
  rd_kafka_t* rk = client(RD_KAFKA_PRODUCER, {{"log_level", "0"}});
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) die("cannot start the mock cluster");
  auto create = [&](const std::string& spec) {
    auto [name, parts] = topic_spec(spec);
    if (rd_kafka_mock_topic_create(mc, name.c_str(), parts, 1) != RD_KAFKA_RESP_ERR_NO_ERROR)
      std::fprintf(stderr, "eddy-kafka-mock: cannot create topic %s\n", name.c_str());
  };
  for (const auto& t : topics) create(t);
  std::printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind("down ", 0) == 0) {
      rd_kafka_mock_broker_set_down(mc, std::stoi(line.substr(5)));
    } else if (line.rfind("up ", 0) == 0) {
      rd_kafka_mock_broker_set_up(mc, std::stoi(line.substr(3)));
    } else if (line.rfind("topic ", 0) == 0) {
      create(line.substr(6));
    } else if (!line.empty()) {
      std::fprintf(stderr, "eddy-kafka-mock: unknown command '%s'\n", line.c_str());
      continue;
    }
    std::printf("ok %s\n", line.c_str());
    std::fflush(stdout);
  }
  // End of the commands: serve until a signal ends the process.
  for (;;) pause();
}

int produce(const std::string& bootstrap, const std::string& topic, int partitions) {
  rd_kafka_t* rk =
      client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}, {"linger.ms", "5"}});
  std::string line;
  std::uint64_t n = 0;
  while (std::getline(std::cin, line)) {
    const int32_t part = partitions > 0
                             ? static_cast<int32_t>(n % static_cast<unsigned>(partitions))
                             : RD_KAFKA_PARTITION_UA;
    for (;;) {
      auto err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(part),
                                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                   RD_KAFKA_V_VALUE(line.data(), line.size()), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        die(std::string("produce: ") + rd_kafka_err2str(err));
      rd_kafka_poll(rk, 100);
    }
    ++n;
    rd_kafka_poll(rk, 0);
  }
  if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) die("flush timed out");
  rd_kafka_destroy(rk);
  std::printf("produced %llu\n", static_cast<unsigned long long>(n));
  return 0;
}

int consume(const std::string& bootstrap, const std::string& topic, long count, int timeout_ms) {
  rd_kafka_t* rk = client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                              {"group.id", "eddy-kafka-mock"},
                                              {"enable.auto.commit", "false"},
                                              {"auto.offset.reset", "earliest"}});
  rd_kafka_poll_set_consumer(rk);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  int parts = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (rd_kafka_metadata(rk, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
        parts = md->topics[0].partition_cnt;
      rd_kafka_metadata_destroy(md);
      if (parts > 0) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  rd_kafka_topic_destroy(rkt);
  if (parts == 0) die("topic " + topic + " not found on " + bootstrap);
  auto* list = rd_kafka_topic_partition_list_new(parts);
  for (int p = 0; p < parts; ++p)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  long got = 0;
  while (got < count && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fwrite(m->payload, 1, m->len, stdout);
      std::fputc('\n', stdout);
      ++got;
    }
    rd_kafka_message_destroy(m);
  }
  std::fflush(stdout);
  rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  if (got < count) {
    std::fprintf(stderr, "eddy-kafka-mock: %ld of %ld messages within %d ms\n", got, count,
                 timeout_ms);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Kafka mock cluster, producer and consumer (for trying and testing Eddy)",
               "eddy-kafka-mock"};
  app.require_subcommand(1);
  int brokers = 1;
  std::vector<std::string> topics;
  auto* s = app.add_subcommand("serve", "start a mock cluster on loopback");
  s->add_option("--brokers", brokers, "number of brokers")->check(CLI::Range(1, 16));
  s->add_option("--topic", topics, "NAME:PARTITIONS to create");
  std::string bootstrap, topic;
  int partitions = 0;
  auto* p = app.add_subcommand("produce", "stdin lines to messages");
  p->add_option("--bootstrap", bootstrap)->required();
  p->add_option("--topic", topic)->required();
  p->add_option("--partitions", partitions, "line i goes to partition i mod P");
  long count = 0;
  int timeout_ms = 30000;
  auto* c = app.add_subcommand("consume", "print message values");
  c->add_option("--bootstrap", bootstrap)->required();
  c->add_option("--topic", topic)->required();
  c->add_option("--count", count)->required();
  c->add_option("--timeout-ms", timeout_ms);
  CLI11_PARSE(app, argc, argv);
  if (s->parsed()) return serve(brokers, topics);
  if (p->parsed()) return produce(bootstrap, topic, partitions);
  return consume(bootstrap, topic, count, timeout_ms);
}
