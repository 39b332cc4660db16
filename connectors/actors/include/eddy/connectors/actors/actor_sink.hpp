#pragma once
/// An actor sink: the application's CAF actors subscribe to a job's output and get its records
/// in batches, under credit (actor_protocol.hpp has the messages), in this process or from
/// another node over CAF's middleman (publish_gateway in actor_source.hpp).
///
///     eddy::actors::actor_sink<alert> alerts(sys);
///     stream.sink_to(alerts.sink());
///     sys.spawn(pager_service, alerts.gateway());   // joins with (join_atom, credit)
///
/// Every subscriber gets every record; a batch goes out only when every subscriber has credit
/// for it (batches are cut to the smallest credit), so a slow subscriber slows the job (credit-
/// based backpressure, no unbounded mailbox). Without subscribers the sink waits for one,
/// logging every 10 s what it waits for (records are never dropped). Guarantee: at-least-once,
/// with sequence numbers that make it exactly-once for subscribers that skip what they saw: a
/// sink subtask numbers its records from 0 and checkpoints the number, so after a restore the
/// records since the restored checkpoint come again with the same numbers. When the job
/// finishes, subscribers get end_atom (once every sink subtask finished). Embedded only (the
/// gateway is an actor of `sys`). Threads: the writer runs on its subtask's actor and blocks
/// it while waiting for credit; the gateway on `sys`'s scheduler.
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eddy/connectors/actors/actor_protocol.hpp"
#include "eddy/operators/connector.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy::actors {

struct actor_sink_options {
  std::string name = "actor sink";
  /// How long the sink may wait for a subscriber or for credit before the job fails (0: no
  /// limit; the wait is logged every 10 s either way).
  std::chrono::milliseconds credit_timeout{0};
};

namespace detail {

/// The gateway actor and the subscribers' credit (actor_sink.cpp). Thread-safe.
class sink_hub {
 public:
  sink_hub(caf::actor_system& sys, actor_sink_options o);
  ~sink_hub();
  sink_hub(const sink_hub&) = delete;
  sink_hub& operator=(const sink_hub&) = delete;
  [[nodiscard]] caf::actor gateway() const;
  /// Waits until there is a subscriber and every subscriber has credit; the smallest credit.
  std::int32_t wait_for_credit();
  /// Sends a batch to every subscriber (taking `count` of each one's credit).
  void send(const std::string& blob, std::int32_t count, std::int32_t subtask,
            std::uint64_t first_seq);
  /// A sink subtask finished; after `parallelism` of them, subscribers get end_atom.
  void finished(int parallelism);
  [[nodiscard]] const actor_sink_options& options() const;

  struct state;  ///< shared with the gateway actor (actor_sink.cpp)

 private:
  std::shared_ptr<state> state_;
  caf::actor gateway_;
};

template <class T>
class actor_writer final : public input_op<T> {
 public:
  explicit actor_writer(std::shared_ptr<sink_hub> hub) : hub_(std::move(hub)) {}
  void open(const subtask_info& info) override {
    input_op<T>::open(info);
    index_ = info.index;
    parallelism_ = info.parallelism;
  }
  void process(std::vector<T>& records) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      std::size_t i = 0;
      while (i < records.size()) {
        const auto credit = static_cast<std::size_t>(hub_->wait_for_credit());
        const auto n = std::min(credit, records.size() - i);
        std::vector<T> chunk(
            std::make_move_iterator(records.begin() + static_cast<std::ptrdiff_t>(i)),
            std::make_move_iterator(records.begin() + static_cast<std::ptrdiff_t>(i + n)));
        hub_->send(encode_batch(chunk), static_cast<std::int32_t>(n), index_, seq_);
        seq_ += n;
        i += n;
      }
    });
  }
  void finish() override {
    this->guarded([&] { hub_->finished(parallelism_); });
  }
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    out.push_back(state_entry{"actor-sink-seq", -1, "actor_sink_seq<v1>", serialize(seq_)});
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    for (const auto& e : entries)
      if (e.name == "actor-sink-seq") {
        std::string why;
        if (!deserialize(e.data, seq_, &why))
          throw std::runtime_error(hub_->options().name +
                                   ": sequence number does not decode: " + why);
      }
  }

 private:
  std::shared_ptr<sink_hub> hub_;
  int index_ = 0;
  int parallelism_ = 1;
  std::uint64_t seq_ = 0;
};

}  // namespace detail

template <class T>
class actor_sink {
 public:
  explicit actor_sink(caf::actor_system& sys, actor_sink_options o = {})
      : hub_(std::make_shared<detail::sink_hub>(sys, std::move(o))) {}
  /// The actor subscribers join.
  [[nodiscard]] caf::actor gateway() const { return hub_->gateway(); }
  /// The Sink to give DataStream::sink_to.
  [[nodiscard]] Sink<T> sink() const {
    auto hub = hub_;
    return Sink<T>{
        hub->options().name, delivery_guarantee::at_least_once,
        [hub](const sink_context&) { return std::make_unique<detail::actor_writer<T>>(hub); }};
  }

 private:
  std::shared_ptr<detail::sink_hub> hub_;
};

}  // namespace eddy::actors
