#pragma once
/// The Kafka source (librdkafka): partitions are its splits.
///
///     eddy::kafka::source_options o;
///     o.bootstrap_servers = "127.0.0.1:9092";
///     o.topics = {"readings"};
///     o.bounded = true;  // stop at the offsets latest at the start
///     env.from_source(eddy::kafka::kafka_source_values(o), "readings")...
///
/// Splits: every partition of the topics (or of the topics matching the pattern) is read by one
/// subtask, chosen as Flink's KafkaSource does: (hash(topic) * 31 + partition) mod parallelism.
/// Partitions are discovered on a background thread when the source starts and, unbounded, every
/// `discovery_interval`; a partition found after the start is read from its earliest offset.
///
/// Positions: a checkpoint holds each partition's next offset (and, bounded, its stop offset) as
/// union state, so a restore at any parallelism gives every partition to its new owner at its
/// offset: with a two-phase-commit sink the job is exactly-once. When a checkpoint completes the
/// offsets are committed to `group` (if given), for monitoring only.
///
/// No polling: the reader consumes from librdkafka's queue without waiting; when the queue is
/// empty it returns source_status::wait and librdkafka's queue callback wakes the subtask when
/// messages arrive. librdkafka's prefetch queue is bounded (queued.max.messages.kbytes), so a
/// subtask without credit stops the fetching.
///
/// Errors: a topic that does not exist fails the job naming it and the brokers; unreachable
/// brokers are waited for (librdkafka reconnects), with a warning naming them every 10 s; a
/// fatal client error fails the job. Every method runs on the subtask's actor except the
/// discovery thread's work, which reaches the reader through a mutex-protected hand-over.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/connectors/kafka/kafka_options.hpp"
#include "eddy/runtime/source.hpp"

namespace eddy::kafka {

/// One consumed message, valid during the call that receives it.
struct message_view {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp = -1;  ///< ms since the epoch (create or log-append time), -1: none
  std::optional<std::string_view> key;
  std::string_view value;
  const void* raw = nullptr;  ///< the librdkafka message (for header())
  /// The last header named `name`, if the message has one.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

namespace detail {

/// The librdkafka side of a reader (kafka_reader.cpp), kept out of this header.
class reader_core {
 public:
  reader_core(source_options options, std::string name);
  ~reader_core();
  reader_core(const reader_core&) = delete;
  reader_core& operator=(const reader_core&) = delete;
  void open(const subtask_info& info, source_waker waker);
  /// Calls `fn(ctx, message)` for at most `max` messages; the status for produce().
  source_status fetch(std::size_t max, void (*fn)(void*, const message_view&), void* ctx);
  void snapshot(std::uint64_t checkpoint_id, std::vector<state_entry>& out);
  void restore(const std::vector<state_entry>& entries);
  void checkpoint_complete(std::uint64_t checkpoint_id);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The reader of a kafka_source: maps each message with `Fn` (message_view -> T).
template <class T, class Fn>
class reader final : public source_op<T> {
 public:
  reader(source_options o, Fn fn, input_op<T>* next)
      : source_op<T>(next), options_(std::move(o)), fn_(std::move(fn)) {}
  void open(const subtask_info& info) override {
    source_op<T>::open(info);
    this->guarded([&] {
      core_ = std::make_unique<reader_core>(options_, this->name_);
      core_->open(info, this->waker());
    });
  }
  source_status produce(std::size_t max_records) override {
    source_status st = source_status::wait;
    this->guarded([&] {
      st = core_->fetch(
          max_records,
          [](void* self, const message_view& m) {
            auto* r = static_cast<reader*>(self);
            r->buffer_.push_back(r->fn_(m));
          },
          this);
    });
    this->emit_buffer();
    return st;
  }
  void snapshot_state(std::uint64_t id, std::vector<state_entry>& out) override {
    this->guarded([&] { core_->snapshot(id, out); });
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    this->guarded([&] { core_->restore(entries); });
  }
  void notify_checkpoint_complete(std::uint64_t id) override {
    this->guarded([&] { core_->checkpoint_complete(id); });
  }

 private:
  source_options options_;
  Fn fn_;
  std::unique_ptr<reader_core> core_;
};

}  // namespace detail

/// A Kafka source of records `fn(message_view)` (Fn: const message_view& -> T).
template <class T, class Fn>
Source<T> kafka_source(source_options options, Fn fn) {
  const bool bounded = options.bounded;
  return Source<T>{"kafka source", bounded, [options, fn](input_op<T>* next) {
                     return std::make_unique<detail::reader<T, Fn>>(options, fn, next);
                   }};
}

/// A Kafka source of message values as strings (one value, one record: the sample jobs' lines).
inline Source<std::string> kafka_source_values(source_options options) {
  return kafka_source<std::string>(std::move(options),
                                   [](const message_view& m) { return std::string(m.value); });
}

/// A Kafka source of (value, origin) pairs, origin "topic/partition@offset": for
/// formats::decode, whose dead letters then say which message was malformed.
inline Source<std::pair<std::string, std::string>> kafka_source_with_origin(
    source_options options) {
  return kafka_source<std::pair<std::string, std::string>>(
      std::move(options), [](const message_view& m) {
        return std::pair<std::string, std::string>(
            std::string(m.value), std::string(m.topic) + "/" + std::to_string(m.partition) + "@" +
                                      std::to_string(m.offset));
      });
}

}  // namespace eddy::kafka
