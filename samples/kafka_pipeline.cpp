// A job between two Kafka topics: read readings, keep the hot ones, write them to another topic.
// Run without arguments it starts librdkafka's mock cluster in-process (no broker needed) and
// fills the input topic; with `--bootstrap HOST:PORT` it uses your cluster and topics
// "readings" and "hot" (e.g. eddy-kafka-mock serve --topic readings:3 --topic hot:1).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <string>

#include "eddy/connectors/kafka/kafka_sink.hpp"
#include "eddy/connectors/kafka/kafka_source.hpp"
#include "eddy/operators/datastream.hpp"

namespace {

/// Writes "d<i % 5>,<i>,<temperature>" lines to `topic` (the example's input).
void fill(const std::string& bootstrap, const std::string& topic, int n) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
  rd_kafka_t* p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  for (int i = 0; i < n; ++i) {
    const auto v = "d" + std::to_string(i % 5) + "," + std::to_string(i * 100) + "," +
                   std::to_string(60 + i % 40);
    rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                      RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()), RD_KAFKA_V_END);
  }
  rd_kafka_flush(p, 10000);
  rd_kafka_destroy(p);
}

}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap;
  rd_kafka_t* mock_owner = nullptr;
  rd_kafka_mock_cluster_t* mock = nullptr;
  if (argc == 3 && std::string(argv[1]) == "--bootstrap") {
    bootstrap = argv[2];
  } else {
    char err[256];
    mock_owner = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof err);
    mock = rd_kafka_mock_cluster_new(mock_owner, 1);
    rd_kafka_mock_topic_create(mock, "readings", 3, 1);
    rd_kafka_mock_topic_create(mock, "hot", 1, 1);
    bootstrap = rd_kafka_mock_cluster_bootstraps(mock);
    fill(bootstrap, "readings", 1000);
  }

  // [kafka pipeline]
  eddy::kafka::source_options in;
  in.bootstrap_servers = bootstrap;
  in.topics = {"readings"};
  in.bounded = true;  // stop at the offsets that are the latest now (leave out to run for ever)
  eddy::kafka::sink_options out;
  out.bootstrap_servers = bootstrap;
  out.topic = "hot";  // at-least-once by default

  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.from_source(eddy::kafka::kafka_source_values(in), "readings")
      .filter([](const std::string& line) {
        const auto t = line.substr(line.rfind(',') + 1);
        return std::stod(t) > 95.0;
      })
      .name("hot only")
      .sink_to(eddy::kafka::kafka_sink_values(out), "to hot");
  auto result = env.execute("kafka pipeline");
  // [kafka pipeline]

  std::printf("kafka pipeline: %s\n", result.ok() ? "finished" : "failed");
  if (mock) {
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(mock_owner);
  }
  return result.ok() ? 0 : 1;
}
