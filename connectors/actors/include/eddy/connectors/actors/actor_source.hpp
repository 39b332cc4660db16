#pragma once
/// An actor source: the application's own CAF actors push records into a running job
/// (actor_protocol.hpp has the messages), in this process or from another node over CAF's
/// middleman (publish()).
///
///     caf::actor_system sys{cfg};                       // the application's actors live here
///     eddy::actors::actor_source<order> orders(sys);    // before the job is built
///     env.from_source(orders.source(), "orders")...;   // the job (embedded)
///     auto h = env.execute_async("shop");
///     sys.spawn(order_service, orders.gateway());      // producers join the gateway
///
/// Flow control: a producer gets `credit` records of credit when it joins and more as the job
/// takes its records, so nothing queues without bound: the gateway holds at most the producers'
/// credit. Guarantees: the gateway keeps every record until the job no longer needs it (without
/// checkpoints: once read; with checkpoints: until a checkpoint covering it completes), so a job
/// that restarts (restart strategy) replays from its checkpoint and every record's effect is
/// seen once. A crash of the process loses what the gateway held (producers would have to send
/// it again: this source has no durable log; a job resumed in a new process from an earlier
/// process's checkpoint starts with the new records, and says in the log that the old ones are
/// lost). Ending: with `producers` = N > 0 the source ends (and a bounded job finishes) once N
/// producers have joined and each has sent end_atom (or died), and everything they pushed was
/// read; with 0 it runs until the job is stopped.
///
/// The source runs at parallelism 1, embedded (the gateway is an actor of `sys`; a job on a
/// cluster cannot reach it). A batch that is not a batch of T fails the job, naming the source.
/// Threads: the gateway runs on `sys`'s scheduler; the reader on its subtask's actor, woken
/// when records arrive.
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "eddy/connectors/actors/actor_protocol.hpp"
#include "eddy/operators/connector.hpp"
#include "eddy/runtime/error.hpp"
#include "eddy/runtime/source.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy::actors {

struct actor_source_options {
  std::string name = "actor source";
  std::int32_t credit = 1024;  ///< records a producer may have pushed and not yet released
  /// The number of producers of a bounded source (end once that many joined and ended); 0:
  /// unbounded.
  int producers = 0;
};

/// What the gateway has seen (for tests and monitoring).
struct gateway_stats {
  std::uint64_t records = 0;      ///< pushed
  std::uint64_t held_max = 0;     ///< most records held at once
  std::uint64_t over_credit = 0;  ///< records pushed beyond a producer's credit
  std::uint64_t producers = 0;    ///< producers that joined
};

namespace detail {

/// The gateway actor and the records it holds (actor_source.cpp). Thread-safe.
class source_hub {
 public:
  source_hub(caf::actor_system& sys, actor_source_options o);
  ~source_hub();
  source_hub(const source_hub&) = delete;
  source_hub& operator=(const source_hub&) = delete;
  [[nodiscard]] caf::actor gateway() const;
  /// The reader of the current deployment: woken when records arrive.
  void attach(source_waker wake);
  /// The batch with sequence number `seq`, if it has arrived (and was not released).
  bool get(std::uint64_t seq, std::shared_ptr<const std::string>& blob);
  /// The oldest batch still held (where a fresh reader starts).
  [[nodiscard]] std::uint64_t first_held() const;
  /// A random number naming this gateway (its batch numbers mean nothing to another one).
  [[nodiscard]] std::uint64_t incarnation() const;
  /// Bounded and every producer has ended and no batch from `seq` on exists.
  [[nodiscard]] bool ended(std::uint64_t seq) const;
  /// Releases the batches before `seq`: their producers get the credit back.
  void release_before(std::uint64_t seq);
  [[nodiscard]] gateway_stats stats() const;
  [[nodiscard]] const actor_source_options& options() const;

  struct state;  ///< shared with the gateway actor (actor_source.cpp)

 private:
  std::shared_ptr<state> state_;
  caf::actor gateway_;
};

/// Logs that a restore cannot replay what another process's gateway held (actor_source.cpp).
void warn_lost_records(const std::string& name);

template <class T>
class actor_reader final : public source_op<T> {
 public:
  actor_reader(std::shared_ptr<source_hub> hub, input_op<T>* next)
      : source_op<T>(next), hub_(std::move(hub)) {}
  void open(const subtask_info& info) override {
    source_op<T>::open(info);
    if (info.parallelism != 1)
      throw std::runtime_error(hub_->options().name +
                               ": an actor source runs at parallelism 1 (it runs at " +
                               std::to_string(info.parallelism) + ")");
    checkpointing_ = info.checkpointing;
    seq_ = hub_->first_held();
    hub_->attach(this->waker());
  }
  source_status produce(std::size_t max) override {
    while (this->buffer_.size() < max) {
      if (next_ >= decoded_.size()) {
        std::shared_ptr<const std::string> blob;
        if (!hub_->get(seq_, blob)) break;
        std::string why;
        if (!decode_batch(*blob, decoded_, &why))
          throw std::runtime_error(hub_->options().name + ": batch " + std::to_string(seq_) +
                                   " is not a batch of this source's records: " + why);
        next_ = offset_;
      }
      while (next_ < decoded_.size() && this->buffer_.size() < max) {
        this->buffer_.push_back(std::move(decoded_[next_++]));
        ++offset_;
      }
      if (next_ >= decoded_.size()) {  // the batch is done
        decoded_.clear();
        next_ = offset_ = 0;
        ++seq_;
        if (!checkpointing_) hub_->release_before(seq_);
      }
    }
    const bool full = this->buffer_.size() >= max;
    this->emit_buffer();
    if (full) return source_status::more;
    return hub_->ended(seq_) ? source_status::end : source_status::wait;
  }
  void snapshot_state(std::uint64_t id, std::vector<state_entry>& out) override {
    pending_[id] = seq_;
    out.push_back(state_entry{"actor-source-position", -1, "actor_source_position<v2>",
                              serialize(std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>{
                                  hub_->incarnation(), seq_, offset_})});
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    for (const auto& e : entries) {
      if (e.name != "actor-source-position") continue;
      std::tuple<std::uint64_t, std::uint64_t, std::uint64_t> st;
      std::string why;
      if (e.type != "actor_source_position<v2>" || !deserialize(e.data, st, &why))
        throw std::runtime_error(hub_->options().name + ": position does not decode: " +
                                 (why.empty() ? "written as " + e.type : why));
      if (std::get<0>(st) != hub_->incarnation()) {
        // Another process's gateway: what it held after the checkpoint is gone.
        detail::warn_lost_records(hub_->options().name);
        continue;
      }
      seq_ = std::get<1>(st);
      offset_ = std::get<2>(st);
      if (seq_ < hub_->first_held())
        throw std::runtime_error(hub_->options().name +
                                 ": the checkpoint's position is older than what the gateway "
                                 "still holds (a restore after a process restart cannot replay "
                                 "an actor source)");
      decoded_.clear();
      next_ = 0;
    }
  }
  void notify_checkpoint_complete(std::uint64_t id) override {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    hub_->release_before(it->second);
    pending_.erase(pending_.begin(), std::next(it));
  }

 private:
  std::shared_ptr<source_hub> hub_;
  bool checkpointing_ = false;
  std::uint64_t seq_ = 0;     // the batch being read
  std::uint64_t offset_ = 0;  // records of it emitted
  std::vector<T> decoded_;
  std::size_t next_ = 0;
  std::map<std::uint64_t, std::uint64_t> pending_;  // checkpoint -> batches before it are done
};

}  // namespace detail

template <class T>
class actor_source {
 public:
  explicit actor_source(caf::actor_system& sys, actor_source_options o = {})
      : hub_(std::make_shared<detail::source_hub>(sys, std::move(o))) {}
  /// The actor producers join.
  [[nodiscard]] caf::actor gateway() const { return hub_->gateway(); }
  /// The Source to give StreamEnvironment::from_source.
  [[nodiscard]] Source<T> source() const {
    auto hub = hub_;
    return Source<T>{
        hub->options().name,
        hub->options().producers > 0,
        [hub](input_op<T>* next) { return std::make_unique<detail::actor_reader<T>>(hub, next); },
        {}};
  }
  [[nodiscard]] gateway_stats stats() const { return hub_->stats(); }

 private:
  std::shared_ptr<detail::source_hub> hub_;
};

/// Publishes `gateway` on `port` (0: any) of `host` through `sys`'s middleman (the system must
/// load caf::io::middleman), so actors on other nodes reach it with caf::io::remote_actor;
/// the port, or an error naming host and port.
expected<std::uint16_t> publish_gateway(caf::actor_system& sys, const caf::actor& gateway,
                                        std::uint16_t port, const std::string& host = "127.0.0.1");

}  // namespace eddy::actors
