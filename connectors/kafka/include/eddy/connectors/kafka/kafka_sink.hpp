#pragma once
/// The Kafka sink (librdkafka producer): one producer per sink subtask.
///
///     eddy::kafka::sink_options o;
///     o.bootstrap_servers = "127.0.0.1:9092";
///     o.topic = "windows";
///     stream.map(format).sink_to(eddy::kafka::kafka_sink_values(o));
///
/// Guarantees (sink_options::guarantee):
/// - at-least-once (default): every checkpoint waits until the brokers acknowledged every
///   message written before it (Flink's flush on snapshot), so a restore replays only what may
///   be written twice; the job's end waits the same way.
/// - none: no waiting; messages in flight at a failure may be lost.
/// - exactly-once: a Kafka transaction per checkpoint, committed when it completes
///   (kafka_txn_sink.hpp; needs transactional_id_prefix).
///
/// Keys and partitions: `key_fn` (if set) gives each record's key; `partition_fn` (if set) its
/// partition (nullopt: let the partitioner choose). Without a partition, librdkafka's
/// partitioner ("properties.partitioner", default consistent_random) chooses by key, or at
/// random for a record without one. A partition the topic does not have fails the job.
/// Errors: a message the brokers reject (or that times out, message.timeout.ms) fails the job
/// naming the topic and reason; a full local queue makes the writer wait for the brokers (this
/// is backpressure), warning every 10 s. Every method runs on the sink subtask's actor; a
/// checkpoint and the job's end block it until acknowledged (at most flush_timeout, then the
/// job fails).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/connectors/kafka/kafka_options.hpp"
#include "eddy/connectors/kafka/kafka_txn_sink.hpp"
#include "eddy/runtime/operator.hpp"

namespace eddy::kafka {

namespace detail {

/// The librdkafka side of a writer (kafka_writer.cpp).
class writer_core {
 public:
  writer_core(sink_options options, std::string name);
  ~writer_core();
  writer_core(const writer_core&) = delete;
  writer_core& operator=(const writer_core&) = delete;
  void open(const subtask_info& info);
  /// Queues one message (copies key and value) for `partition` (-1: the partitioner's choice);
  /// waits while librdkafka's queue is full.
  void write(std::optional<std::string_view> key, std::string_view value,
             std::int32_t partition = -1);
  /// Serves delivery reports; throws the first delivery failure.
  void poll();
  /// Waits until every queued message is acknowledged (throws on failure or flush_timeout).
  void flush();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The writer of a kafka_sink: `value_fn(record)` is the message value, `key_fn` its key,
/// `partition_fn` its partition.
template <class T>
class writer final : public input_op<T> {
 public:
  using value_fn = std::function<std::string(const T&)>;
  using key_fn = std::function<std::optional<std::string>(const T&)>;
  using partition_fn = std::function<std::optional<std::int32_t>(const T&)>;
  writer(sink_options o, value_fn v, key_fn k, partition_fn p = {})
      : options_(std::move(o)),
        value_(std::move(v)),
        key_(std::move(k)),
        partition_(std::move(p)) {}
  void open(const subtask_info& info) override {
    input_op<T>::open(info);
    this->guarded([&] {
      core_ = std::make_unique<writer_core>(options_, this->name_);
      core_->open(info);
    });
  }
  void process(std::vector<T>& records) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      for (const auto& r : records) {
        std::int32_t p = -1;
        if (partition_) {
          if (auto chosen = partition_(r)) p = *chosen;
        }
        if (key_) {
          auto k = key_(r);
          core_->write(k ? std::optional<std::string_view>(*k) : std::nullopt, value_(r), p);
        } else {
          core_->write(std::nullopt, value_(r), p);
        }
      }
      core_->poll();
    });
  }
  void finish() override {
    this->guarded([&] { core_->flush(); });
  }
  void snapshot_state(std::uint64_t, std::vector<state_entry>&) override {
    if (options_.guarantee == delivery_guarantee::at_least_once)
      this->guarded([&] { core_->flush(); });
  }

 private:
  sink_options options_;
  value_fn value_;
  key_fn key_;
  partition_fn partition_;
  std::unique_ptr<writer_core> core_;
};

}  // namespace detail

/// A Kafka sink of records of type T: `value(record)` is each message's value, `key(record)`
/// (optional) its key, `partition(record)` (optional) its partition.
template <class T>
Sink<T> kafka_sink(sink_options options, std::function<std::string(const T&)> value,
                   std::function<std::optional<std::string>(const T&)> key = {},
                   std::function<std::optional<std::int32_t>(const T&)> partition = {}) {
  const auto g = options.guarantee;
  if (g == delivery_guarantee::exactly_once) {
    if (options.transactional_id_prefix.empty())
      throw std::invalid_argument("kafka sink: exactly-once needs a transactional_id_prefix");
    return Sink<T>{
        "kafka sink", g,
        [options, value, key, partition](const sink_context&) -> std::unique_ptr<input_op<T>> {
          using op = two_phase_commit_sink_op<T, kafka_txn>;
          return std::make_unique<op>([options, value, key, partition](const subtask_info&) {
            return std::make_unique<detail::txn_sink<T>>(options, value, key, partition);
          });
        }};
  }
  return Sink<T>{"kafka sink", g, [options, value, key, partition](const sink_context&) {
                   return std::make_unique<detail::writer<T>>(options, value, key, partition);
                 }};
}

/// A Kafka sink of strings: one record is one message value (the sample jobs' output lines).
inline Sink<std::string> kafka_sink_values(sink_options options) {
  return kafka_sink<std::string>(std::move(options), [](const std::string& s) { return s; });
}

}  // namespace eddy::kafka
