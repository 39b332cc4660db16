#pragma once
/// The MQTT source (libmosquitto 2.0.11): subscribes to a topic filter and emits one record per
/// message.
///
///     eddy::mqtt::source_options o;  // or parse_source_uri("mqtt://127.0.0.1:1883/sensors/#?...")
///     o.connection = {"127.0.0.1", 1883, "eddy-sensors"};
///     o.topic_filter = "sensors/#";
///     o.wal_dir = "/var/lib/eddy/mqtt-wal";
///     env.from_source(eddy::mqtt::mqtt_source<reading>(o, [](const eddy::mqtt::message_view& m) {
///       return reading{std::string(m.topic_level(1)), std::string(m.payload)};
///     }), "sensors").set_parallelism(1);
///
/// Exactly-once state. libmosquitto acknowledges QoS 1 messages itself: it queues the PUBACK
/// before it calls the message callback and, with its network thread (mosquitto_loop_start,
/// used here), writes it to the socket only after the callback returns (handle_publish.c and
/// packet_mosq.c of 2.0.11; docs/connectors.md has the details). So the callback appends the
/// message to a write-ahead log (an LMDB store in wal_dir/CLIENT-ID) before returning: a
/// message is in the log before the broker learns it was received. The source emits from the
/// log; its position in the log is its checkpoint state; a restore replays the log from the
/// restored position; a completed checkpoint truncates what it covers. A crash (of the job,
/// the connection or the broker) after the log write and before the PUBACK left makes the
/// broker send the message again, with the same message id, when the session resumes: after
/// each connect that resumes it the source drops QoS 1/2 messages while their id, topic and payload
/// equal one of the newest 65,535 logged (their fingerprints are kept in the log;
/// mqtt_redelivery.hpp). With a fixed client id the session is persistent (clean session off), so
/// the broker queues messages while the job is down (its max_queued_messages must be 0, no
/// limit, or large enough: mosquitto drops what is over it). Together: output equal to a
/// failure-free run across crashes at any moment, at QoS 1. QoS 2 is accepted but weaker:
/// libmosquitto delivers a QoS 2 message on PUBREL and holds it only in memory from PUBREC to
/// PUBREL, so a crash in that window loses it (the source warns at the start). QoS 0 messages
/// are not queued by the broker while the job is down.
///
/// Without a client id, or without wal_dir, the log lives in a temporary directory removed at
/// the end: the source then cannot replay after a restore (a restore continues with new
/// messages, and says so in the log). The source reads one session: it runs at parallelism 1
/// (another parallelism fails the job at the start, naming it).
///
/// Connection: reconnects by itself with backoff (1 s up to reconnect_max), logging while the
/// broker is away; a refused login or subscription fails the job naming the broker and reason.
/// The subscription is made when the broker has no session for the client (a persistent
/// session keeps it, and subscribing again would make the broker resend retained messages).
/// Threads: the message callback runs on libmosquitto's thread; everything else on the
/// subtask's actor, which is woken when messages arrive (no polling).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/connectors/mqtt/mqtt_options.hpp"
#include "eddy/operators/connector.hpp"
#include "eddy/runtime/source.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy::mqtt {

/// One received message, valid during the call it is passed to.
struct message_view {
  std::string_view topic;
  std::string_view payload;
  int qos = 0;
  bool retain = false;
  /// Level `i` (from 0) of the topic ("sensors/dev-001/temp": 1 is "dev-001"); empty if the
  /// topic has fewer levels.
  [[nodiscard]] std::string_view topic_level(std::size_t i) const {
    std::size_t start = 0;
    for (std::size_t level = 0;; ++level) {
      const auto slash = topic.find('/', start);
      if (level == i)
        return topic.substr(start, slash == std::string_view::npos ? slash : slash - start);
      if (slash == std::string_view::npos) return {};
      start = slash + 1;
    }
  }
};

namespace detail {

/// The libmosquitto side of a source subtask (mqtt_reader.cpp): the client, the write-ahead log,
/// positions.
class subscription {
 public:
  subscription(source_options o, std::string name);
  ~subscription();
  subscription(const subscription&) = delete;
  subscription& operator=(const subscription&) = delete;
  /// Opens the log and connects (returns at once; the connection is made on libmosquitto's
  /// thread). `wake` is called when messages arrive.
  void open(const subtask_info& info, source_waker wake);
  /// Calls `emit` for up to `max` messages after the position, advancing it; the number.
  /// Throws the first connection, subscription or log error.
  std::size_t poll(std::size_t max, const std::function<void(const message_view&)>& emit);
  void snapshot(std::uint64_t checkpoint, std::vector<state_entry>& out);
  void restore(const std::vector<state_entry>& entries);
  void checkpoint_complete(std::uint64_t checkpoint);
  /// Messages received and logged that poll has not emitted yet.
  [[nodiscard]] std::uint64_t lag() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

template <class T>
class reader final : public source_op<T> {
 public:
  using fn = std::function<T(const message_view&)>;
  reader(source_options o, fn f, input_op<T>* next)
      : source_op<T>(next), options_(std::move(o)), fn_(std::move(f)) {}
  void open(const subtask_info& info) override {
    source_op<T>::open(info);
    sub_ = std::make_unique<subscription>(options_, this->name_);
    sub_->open(info, this->waker());
  }
  source_status produce(std::size_t max) override {
    const auto n = sub_->poll(max, [&](const message_view& m) { this->buffer_.push_back(fn_(m)); });
    this->emit_buffer();
    return n == max ? source_status::more : source_status::wait;
  }
  void snapshot_state(std::uint64_t id, std::vector<state_entry>& out) override {
    sub_->snapshot(id, out);
  }
  void restore_state(const std::vector<state_entry>& entries) override { sub_->restore(entries); }
  void notify_checkpoint_complete(std::uint64_t id) override { sub_->checkpoint_complete(id); }
  [[nodiscard]] std::optional<std::uint64_t> lag() const override {
    return sub_ ? std::optional<std::uint64_t>(sub_->lag()) : std::nullopt;
  }

 private:
  source_options options_;
  fn fn_;
  std::unique_ptr<subscription> sub_;
};

}  // namespace detail

/// A source of records of type T: `fn(message)` makes one record from each message.
template <class T>
Source<T> mqtt_source(source_options o, std::function<T(const message_view&)> fn) {
  return Source<T>{
      "mqtt source",
      false,
      [o, fn](input_op<T>* next) { return std::make_unique<detail::reader<T>>(o, fn, next); },
      {}};
}

/// A source of the payloads (the sample jobs' input lines).
inline Source<std::string> mqtt_source_values(source_options o) {
  return mqtt_source<std::string>(std::move(o),
                                  [](const message_view& m) { return std::string(m.payload); });
}

}  // namespace eddy::mqtt
