#pragma once
// An in-process Kafka mock cluster (librdkafka's rdkafka_mock.h) on loopback for the connector
// tests, with a producer and a consumer of string values. Everything is torn down with the
// object.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace eddy::testing {

class kafka_mock {
 public:
  explicit kafka_mock(int brokers = 3) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    REQUIRE(rk_);
    mc_ = rd_kafka_mock_cluster_new(rk_, brokers);
    REQUIRE(mc_);
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(mc_);
  }
  ~kafka_mock() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(rk_);
  }
  kafka_mock(const kafka_mock&) = delete;
  kafka_mock& operator=(const kafka_mock&) = delete;

  [[nodiscard]] const std::string& bootstrap() const { return bootstrap_; }
  void create_topic(const std::string& name, int partitions) {
    REQUIRE(rd_kafka_mock_topic_create(mc_, name.c_str(), partitions, 1) ==
            RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void broker_down(int id) { rd_kafka_mock_broker_set_down(mc_, id); }
  void broker_up(int id) { rd_kafka_mock_broker_set_up(mc_, id); }

  /// Writes `values` to `topic`, value i to partition i mod `partitions` (-1: librdkafka picks).
  void produce(const std::string& topic, const std::vector<std::string>& values,
               int partitions = -1, std::int64_t timestamp = 0) {
    rd_kafka_t* p = client(RD_KAFKA_PRODUCER, {{"linger.ms", "1"}});
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::int32_t part =
          partitions > 0 ? static_cast<std::int32_t>(i % static_cast<std::size_t>(partitions))
                         : RD_KAFKA_PARTITION_UA;
      const auto& v = values[i];
      for (;;) {
        auto err = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(part),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                                     RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        REQUIRE(err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        rd_kafka_poll(p, 50);
      }
      rd_kafka_poll(p, 0);
    }
    REQUIRE(rd_kafka_flush(p, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(p);
  }

  /// The values of every message in `topic` (each partition from its start), waiting until
  /// `count` arrived or `timeout` passed.
  std::vector<std::string> consume(const std::string& topic, std::size_t count,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    rd_kafka_t* c = client(RD_KAFKA_CONSUMER, {{"group.id", "eddy-tests"},
                                               {"enable.auto.commit", "false"},
                                               {"auto.offset.reset", "earliest"}});
    rd_kafka_poll_set_consumer(c);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(c, topic.c_str(), nullptr);
    REQUIRE(rd_kafka_metadata(c, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR);
    const int parts = md->topic_cnt == 1 ? md->topics[0].partition_cnt : 0;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    auto* list = rd_kafka_topic_partition_list_new(parts);
    for (int i = 0; i < parts; ++i)
      rd_kafka_topic_partition_list_add(list, topic.c_str(), i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c, list);
    rd_kafka_topic_partition_list_destroy(list);
    std::vector<std::string> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 100);
      if (!m) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        out.emplace_back(static_cast<const char*>(m->payload), m->len);
      rd_kafka_message_destroy(m);
    }
    rd_kafka_destroy_flags(c, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return out;
  }

 private:
  rd_kafka_t* client(rd_kafka_type_t type,
                     const std::vector<std::pair<std::string, std::string>>& props) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    REQUIRE(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_.c_str(), err, sizeof err) ==
            RD_KAFKA_CONF_OK);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    for (const auto& [k, v] : props)
      REQUIRE(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK);
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    REQUIRE(rk);
    return rk;
  }
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
  std::string bootstrap_;
};

}  // namespace eddy::testing
