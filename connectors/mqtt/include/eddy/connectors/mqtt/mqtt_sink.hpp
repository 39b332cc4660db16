#pragma once
/// The MQTT sink (libmosquitto 2.0.11): publishes one message per record.
///
///     eddy::mqtt::sink_options o;  // or parse_sink_uri("mqtt://127.0.0.1:1883/alerts/{1}?qos=1")
///     o.connection = {"127.0.0.1", 1883};
///     o.topic = "alerts";
///     alerts.sink_to(eddy::mqtt::mqtt_sink<alert>(o, format_alert,
///                                                [](const alert& a) { return "alerts/" + a.device;
///                                                }));
///
/// Topics: `topic_fn(record)` if given; otherwise the topic template of the options, where for
/// the line sink (mqtt_sink_values, the sample jobs) "{N}" is the line's N-th CSV field (from
/// 1) and, with format=json, "{name}" the value of key `name` of the line's JSON object. A
/// record whose template field is missing fails the job naming the record and the template.
///
/// Exactly-once (sink_options::exactly_once, "guarantee=exactly-once", needs a client id): the
/// messages of a checkpoint interval are kept in the checkpoint (two_phase_commit_sink.hpp) and
/// published when it completes (so they appear a checkpoint interval later); once the broker
/// acknowledged them, a retained message on COMMIT-TOPIC/SUBTASK records the transaction (the
/// newest 16 transaction ids). After a restore the sink reads those records (subscribing to
/// COMMIT-TOPIC/#, then publishing a probe to itself: the retained records arrive before the
/// probe) and publishes again only the restored transactions they do not list. Left: a crash
/// while a transaction's messages are being published, before its record, publishes its
/// messages again at the restore (those the broker already had appear twice).
///
/// Guarantee: at-least-once for QoS 1 and 2: a checkpoint (and the job's end) waits until the
/// broker acknowledged every message published before it (PUBACK / PUBCOMP, libmosquitto's
/// on_publish), at most flush_timeout, then the job fails naming the broker. A restore publishes
/// the messages after the restored checkpoint again. QoS 0: a message counts as delivered when
/// it was written to the socket; one in flight when the connection drops is lost. While the
/// broker is away, messages wait in libmosquitto's queue and go out after it reconnects; at most
/// 1,000 wait per subtask: then the writer waits (this is backpressure), logging every 10 s.
/// Threads: publishing runs on the subtask's actor, acknowledgements on libmosquitto's thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eddy/connectors/mqtt/mqtt_options.hpp"
#include "eddy/operators/connector.hpp"
#include "eddy/operators/two_phase_commit_sink.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy::mqtt {

namespace detail {

/// The libmosquitto side of a sink subtask (mqtt_writer.cpp).
class publisher {
 public:
  publisher(sink_options o, std::string name);
  ~publisher();
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;
  void open(const subtask_info& info);
  /// Queues one message; waits while 1,000 are unacknowledged. Throws on a fatal error.
  void publish(const std::string& topic, const std::string& payload);
  /// Waits until every message is acknowledged (throws after flush_timeout).
  void flush();
  /// The topic of a line from the options' template (mqtt_sink_values).
  std::string topic_of_line(const std::string& line);
  /// Exactly-once: publishes the messages, waits for their acknowledgement, then records the
  /// transaction in the retained commit record of `subtask`.
  void commit(std::uint64_t nonce, const std::vector<std::pair<std::string, std::string>>& messages,
              int subtask);
  /// Exactly-once: whether the commit record of `subtask` lists transaction `nonce` (read from
  /// the broker once per publisher, then kept up to date by commit).
  bool committed(std::uint64_t nonce, int subtask);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

template <class T>
class writer final : public input_op<T> {
 public:
  using text_fn = std::function<std::string(const T&)>;
  writer(sink_options o, text_fn payload, text_fn topic, bool line_topics)
      : options_(std::move(o)),
        payload_(std::move(payload)),
        topic_(std::move(topic)),
        line_topics_(line_topics) {}
  void open(const subtask_info& info) override {
    input_op<T>::open(info);
    this->guarded([&] {
      core_ = std::make_unique<publisher>(options_, this->name_);
      core_->open(info);
    });
  }
  void process(std::vector<T>& records) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      for (const auto& r : records) {
        auto payload = payload_(r);
        std::string topic;
        if (topic_)
          topic = topic_(r);
        else if constexpr (std::is_same_v<T, std::string>)
          topic = line_topics_ ? core_->topic_of_line(payload) : options_.topic;
        else
          topic = options_.topic;
        core_->publish(topic, payload);
      }
    });
  }
  void finish() override {
    this->guarded([&] { core_->flush(); });
  }
  void snapshot_state(std::uint64_t, std::vector<state_entry>&) override {
    this->guarded([&] { core_->flush(); });
  }

 private:
  sink_options options_;
  text_fn payload_;
  text_fn topic_;
  bool line_topics_;
  std::unique_ptr<publisher> core_;
};

/// One transaction of the exactly-once mode, as a checkpoint keeps it.
struct mqtt_txn {
  std::int32_t subtask = 0;
  std::uint64_t nonce = 0;
  std::vector<std::pair<std::string, std::string>> messages;  ///< topic, payload
};
EDDY_FIELDS(mqtt_txn, subtask, nonce, messages)

template <class T>
class txn_writer final : public two_phase_commit_sink<T, mqtt_txn> {
 public:
  using text_fn = std::function<std::string(const T&)>;
  txn_writer(sink_options o, text_fn payload, text_fn topic, bool line_topics, std::string name)
      : core_(o, std::move(name)),
        options_(std::move(o)),
        payload_(std::move(payload)),
        topic_(std::move(topic)),
        line_topics_(line_topics) {}
  void open(const subtask_info& info) override {
    index_ = info.index;
    core_.open(info);
  }
  mqtt_txn begin_transaction() override { return mqtt_txn{index_, fresh_nonce(), {}}; }
  void invoke(mqtt_txn& txn, const T& r) override {
    auto payload = payload_(r);
    std::string topic;
    if (topic_)
      topic = topic_(r);
    else if constexpr (std::is_same_v<T, std::string>)
      topic = line_topics_ ? core_.topic_of_line(payload) : options_.topic;
    else
      topic = options_.topic;
    txn.messages.emplace_back(std::move(topic), std::move(payload));
  }
  void pre_commit(mqtt_txn&) override {}  // the messages are in the checkpoint
  void commit(const mqtt_txn& txn) override { core_.commit(txn.nonce, txn.messages, txn.subtask); }
  void abort(const mqtt_txn&) override {}
  void recover_and_commit(const mqtt_txn& txn) override {
    if (!core_.committed(txn.nonce, txn.subtask)) commit(txn);
  }
  void recover_and_abort(const mqtt_txn&) override {}

 private:
  static std::uint64_t fresh_nonce();
  publisher core_;
  sink_options options_;
  text_fn payload_;
  text_fn topic_;
  bool line_topics_;
  int index_ = 0;
};

/// A random transaction id (mqtt_writer.cpp).
std::uint64_t random_nonce();
template <class T>
std::uint64_t txn_writer<T>::fresh_nonce() {
  return random_nonce();
}

/// The Sink of either mode.
template <class T>
Sink<T> make_sink(sink_options o, std::function<std::string(const T&)> payload,
                  std::function<std::string(const T&)> topic, bool line_topics) {
  if (o.exactly_once) {
    return Sink<T>{
        "mqtt sink", delivery_guarantee::exactly_once,
        [o, payload, topic, line_topics](const sink_context&) -> std::unique_ptr<input_op<T>> {
          using op = two_phase_commit_sink_op<T, mqtt_txn>;
          return std::make_unique<op>([o, payload, topic, line_topics](const subtask_info&) {
            return std::make_unique<txn_writer<T>>(o, payload, topic, line_topics, "mqtt sink");
          });
        }};
  }
  const auto g = o.qos == 0 ? delivery_guarantee::none : delivery_guarantee::at_least_once;
  return Sink<T>{"mqtt sink", g, [o, payload, topic, line_topics](const sink_context&) {
                   return std::make_unique<writer<T>>(o, payload, topic, line_topics);
                 }};
}

}  // namespace detail

/// An MQTT sink of records of type T: `payload(record)` is the message, `topic(record)`
/// (optional) its topic, otherwise the options' topic.
template <class T>
Sink<T> mqtt_sink(sink_options o, std::function<std::string(const T&)> payload,
                  std::function<std::string(const T&)> topic = {}) {
  return detail::make_sink<T>(std::move(o), std::move(payload), std::move(topic), false);
}

/// An MQTT sink of lines (the sample jobs' output): one line is one message, its topic from the
/// options' template ("{N}": the N-th CSV field; with format=json, "{name}": a key's value).
inline Sink<std::string> mqtt_sink_values(sink_options o) {
  return detail::make_sink<std::string>(
      std::move(o), [](const std::string& s) { return s; }, nullptr, true);
}

}  // namespace eddy::mqtt
