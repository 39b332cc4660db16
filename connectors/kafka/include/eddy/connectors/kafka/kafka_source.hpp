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
/// The source's split enumerator (split_enumerator.hpp, one per source on its own actor) lists
/// the partitions when the job starts and, unbounded, every `discovery_interval`, resolves where
/// each starts (and, bounded, stops: the offsets latest at the start) and hands it to its
/// reader; a partition found after the start is read from its earliest offset.
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
/// fatal client error fails the job. A reader runs on its subtask's actor, the enumerator on its
/// own.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/connectors/kafka/kafka_options.hpp"
#include "eddy/connectors/split_watermarks.hpp"
#include "eddy/runtime/source.hpp"
#include "eddy/runtime/split_enumerator.hpp"

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

/// Event time inside the source: `timestamp(record)` (ms; e.g. from message_view::timestamp
/// carried into the record) stamps each record; every partition's watermark is its largest
/// timestamp minus `out_of_orderness` minus 1, and the source emits the minimum over its
/// partitions that are not idle. A partition without messages for `idleness` (0: never) no
/// longer holds the watermark back; when all are idle the source's output is idle.
template <class T>
struct event_time {
  std::function<std::int64_t(const T&)> timestamp;
  std::chrono::milliseconds out_of_orderness{0};
  std::chrono::milliseconds idleness{0};
};

namespace detail {

/// The source's split enumerator (kafka_enumerator.cpp): partitions as splits, owned as
/// partition_owner says, with their start (and, bounded, stop) offsets.
std::unique_ptr<split_enumerator> make_enumerator(const source_options& o);

/// The librdkafka side of a reader (kafka_reader.cpp), kept out of this header.
class reader_core {
 public:
  reader_core(source_options options, std::string name);
  ~reader_core();
  reader_core(const reader_core&) = delete;
  reader_core& operator=(const reader_core&) = delete;
  void open(const subtask_info& info, source_waker waker, std::function<void()> request_split);
  /// Partitions the enumerator assigned (source_base::add_splits).
  void add_splits(const std::vector<std::string>& ids, const std::vector<std::string>& data);
  void no_more_splits();
  /// Calls `fn(ctx, message)` for at most `max` messages; the status for produce().
  source_status fetch(std::size_t max, void (*fn)(void*, const message_view&), void* ctx);
  void snapshot(std::uint64_t checkpoint_id, std::vector<state_entry>& out);
  void restore(const std::vector<state_entry>& entries);
  void checkpoint_complete(std::uint64_t checkpoint_id);
  /// Bounded: messages of this reader's partitions consumed and in all (from the offsets it
  /// got them at to their stop offsets); nullopt when unbounded or before it has partitions.
  [[nodiscard]] std::optional<input_progress> progress() const;
  /// Messages up to the partitions' high watermarks (librdkafka's cached values, refreshed by
  /// fetches) after the next offset to emit, summed; nullopt until a high watermark is known.
  /// A lookup per partition under librdkafka's lock (no request).
  [[nodiscard]] std::optional<std::uint64_t> lag() const;
  /// Changes whenever a partition is added to this reader or finishes.
  [[nodiscard]] std::uint64_t split_version() const;
  /// Calls `fn(ctx, topic, partition, finished)` for every partition this reader owns.
  void for_each_split(void (*fn)(void*, std::string_view, std::int32_t, bool), void* ctx) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The reader of a kafka_source: maps each message with `Fn` (message_view -> T); with event
/// time, stamps each record and emits per-partition watermarks (split_watermarks.hpp).
template <class T, class Fn>
class reader final : public source_op<T> {
 public:
  reader(source_options o, Fn fn, std::optional<event_time<T>> et, input_op<T>* next)
      : source_op<T>(next), options_(std::move(o)), fn_(std::move(fn)), et_(std::move(et)) {
    if (et_) marks_.emplace(et_->out_of_orderness, et_->idleness);
  }
  void open(const subtask_info& info) override {
    source_op<T>::open(info);
    this->guarded([&] {
      core_ = std::make_unique<reader_core>(options_, this->name_);
      core_->open(info, this->waker(), [this] { this->request_split(); });
    });
  }
  void add_splits(const std::vector<std::string>& ids,
                  const std::vector<std::string>& data) override {
    this->guarded([&] { core_->add_splits(ids, data); });
  }
  void no_more_splits() override {
    this->guarded([&] { core_->no_more_splits(); });
  }
  source_status produce(std::size_t max_records) override {
    source_status st = source_status::wait;
    now_ = std::chrono::steady_clock::now();
    this->guarded([&] {
      st = core_->fetch(
          max_records,
          [](void* self, const message_view& m) {
            auto* r = static_cast<reader*>(self);
            r->buffer_.push_back(r->fn_(m));
            if (r->et_) r->stamp(m);
          },
          this);
    });
    if (!et_) {
      this->emit_buffer();
      return st;
    }
    if (!this->buffer_.empty()) {
      this->counters_.records_out += this->buffer_.size();
      this->next_->process(this->buffer_, ts_);
      this->buffer_.clear();
      ts_.clear();
    }
    advance();
    return st;
  }
  [[nodiscard]] std::optional<input_progress> progress() const override {
    return core_ ? core_->progress() : std::nullopt;
  }
  [[nodiscard]] std::optional<std::uint64_t> lag() const override {
    return core_ ? core_->lag() : std::nullopt;
  }
  [[nodiscard]] bool wants_ticks() const override { return et_.has_value(); }
  void on_tick(std::chrono::steady_clock::time_point now) override {
    now_ = now;
    this->guarded([&] { advance(); });
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
  using key = std::pair<std::string, std::int32_t>;
  std::size_t handle(std::string_view topic, std::int32_t partition) {
    if (last_ && last_->first.second == partition && last_->first.first == topic)
      return last_->second;
    auto it = handles_.find(key(std::string(topic), partition));
    if (it == handles_.end())
      it = handles_.emplace(key(std::string(topic), partition), marks_->add(now_)).first;
    last_ = &*it;
    return it->second;
  }
  void stamp(const message_view& m) {
    const std::int64_t ts = et_->timestamp(this->buffer_.back());
    ts_.push_back(ts);
    marks_->record(handle(m.topic, m.partition), ts, now_);
  }
  /// Registers new partitions (they hold the watermark back until they deliver or go idle),
  /// retires finished ones, and emits the watermark or idleness.
  void advance() {
    if (const auto v = core_->split_version(); v != split_version_) {
      split_version_ = v;
      register_splits();
    }
    emit_event_time();
  }
  void register_splits() {
    core_->for_each_split(
        [](void* self, std::string_view topic, std::int32_t partition, bool finished) {
          auto* r = static_cast<reader*>(self);
          const auto h = r->handle(topic, partition);
          if (finished) r->marks_->finish(h);
        },
        this);
  }
  void emit_event_time() {
    bool all_idle = false;
    if (auto wm = marks_->advance(now_, all_idle)) this->next_->on_watermark(*wm);
    if (all_idle && !idle_) this->next_->on_idle();
    idle_ = all_idle;
  }

  source_options options_;
  Fn fn_;
  std::optional<event_time<T>> et_;
  std::optional<connectors::split_watermarks> marks_;
  std::map<key, std::size_t> handles_;
  const std::pair<const key, std::size_t>* last_ = nullptr;
  std::vector<std::int64_t> ts_;
  std::chrono::steady_clock::time_point now_{};
  bool idle_ = false;
  std::uint64_t split_version_ = ~std::uint64_t{0};
  std::unique_ptr<reader_core> core_;
};

}  // namespace detail

/// A Kafka source of records `fn(message_view)` (Fn: const message_view& -> T).
template <class T, class Fn>
Source<T> kafka_source(source_options options, Fn fn) {
  const bool bounded = options.bounded;
  return Source<T>{"kafka source", bounded,
                   [options, fn](input_op<T>* next) {
                     return std::make_unique<detail::reader<T, Fn>>(options, fn, std::nullopt,
                                                                    next);
                   },
                   [options] { return detail::make_enumerator(options); }};
}

/// The same with event time generated per partition inside the source (Flink's per-split
/// watermarks, see event_time): use it instead of a watermark strategy after the source when
/// partitions advance at different speeds, so that a fast partition does not make a slow one's
/// records late.
template <class T, class Fn>
Source<T> kafka_source(source_options options, Fn fn, event_time<T> et) {
  if (!et.timestamp) throw std::invalid_argument("kafka_source: event_time needs a timestamp");
  const bool bounded = options.bounded;
  return Source<T>{"kafka source", bounded,
                   [options, fn, et](input_op<T>* next) {
                     return std::make_unique<detail::reader<T, Fn>>(options, fn, et, next);
                   },
                   [options] { return detail::make_enumerator(options); }};
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
