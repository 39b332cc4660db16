#pragma once
/// Operators: the batch-at-a-time processing interface every chained operator implements.
///
/// Contract:
/// - One virtual call per batch per operator (`process`); the per-record loop inside a concrete
///   operator is a template instantiated with the user's function, so user code is inlined.
/// - An operator is owned by its subtask actor and only ever called from that actor: no locking.
/// - `process` may mutate or move from the records it is given; the caller clears the vector
///   afterwards. An operator passes its output to `next` (or keeps it, for sinks).
/// - `finish` is called exactly once, after the last `process`, when every input has ended; the
///   operator emits what it still holds (e.g. batch-mode aggregates) and then calls
///   `next->finish()`.
/// - Records may carry event-time timestamps: `timestamps` is either empty (no timestamps) or
///   holds one timestamp (ms) per record, parallel to `records`. Operators keep it parallel (a
///   filter compacts both; a map keeps it; a flat_map repeats the input's timestamp per output).
/// - `on_watermark(t)` says no record with timestamp <= t follows; it travels through the chain
///   in order with the batches (the default forwards it to the next operator).
/// - `on_tick(now)` is called periodically (the job's auto-watermark interval) on operators whose
///   `wants_ticks()` is true: for periodic watermarks, idleness and processing-time timers.
/// - User code may throw. Concrete operators catch such exceptions and rethrow them as
///   `operator_error`, which names the operator and subtask; the subtask actor turns it into a
///   job failure. `operator_error` never crosses a module boundary beyond the actor.
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "eddy/runtime/snapshot.hpp"
#include "eddy/runtime/subtask_info.hpp"

namespace eddy {

/// A failure in an operator (normally in user code), with the operator and subtask named.
class operator_error : public std::runtime_error {
 public:
  operator_error(const std::string& op, int subtask, int parallelism, const std::string& what)
      : std::runtime_error("operator '" + op + "' (subtask " + std::to_string(subtask + 1) + "/" +
                           std::to_string(parallelism) + ") failed: " + what),
        operator_name(op),
        subtask_index(subtask) {}
  std::string operator_name;
  int subtask_index;
};

/// Watermark that ends event time: emitted when an input ends, so every event-time window fires.
inline constexpr std::int64_t max_watermark = std::numeric_limits<std::int64_t>::max();
/// Watermark before any: no input has advanced event time yet.
inline constexpr std::int64_t min_watermark = std::numeric_limits<std::int64_t>::min();

/// Per-operator counters, read by the subtask actor when it reports.
struct operator_counters {
  std::uint64_t records_in = 0;
  std::uint64_t records_out = 0;
  std::uint64_t late_records = 0;  ///< event-time records too late for their window
};

class operator_base {
 public:
  virtual ~operator_base() = default;
  /// Called once before any data, on the subtask's actor. May throw (reported as a failure).
  virtual void open(const subtask_info& info) { info_ = info; }
  /// End of all input; emit remaining results, then call next's finish (see the contract above).
  virtual void finish() = 0;
  /// Event time advanced to `watermark` (see the contract above). Default: forward.
  virtual void on_watermark(std::int64_t watermark) {
    if (downstream_) downstream_->on_watermark(watermark);
  }
  /// The input went idle: no records nor watermarks will come from it for a while, so event time
  /// downstream must not wait for it. Default: forward. (Sent by watermark generators with
  /// idleness; any record or watermark makes the channel active again.)
  virtual void on_idle() {
    if (downstream_) downstream_->on_idle();
  }
  /// Periodic processing-time callback, only if wants_ticks().
  virtual void on_tick(std::chrono::steady_clock::time_point) {}
  [[nodiscard]] virtual bool wants_ticks() const { return false; }
  /// How often on_tick should be called (the subtask ticks at the smallest interval its
  /// operators ask for, so on_tick may come more often). Default: the auto-watermark interval.
  [[nodiscard]] virtual std::chrono::milliseconds tick_interval() const {
    return info_.auto_watermark_interval;
  }

  /// Processing time now, in milliseconds since the epoch (the job's clock, see
  /// execution_config::clock).
  [[nodiscard]] std::int64_t current_processing_time() const {
    if (info_.clock) return info_.clock();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // ---- checkpoints (see snapshot.hpp, state_snapshot.hpp) ----
  /// Appends this operator's state for checkpoint `checkpoint_id`: keyed state one entry per key
  /// group, other state with key group -1. Called on the subtask's actor when the checkpoint's
  /// barrier has been received from every input (between batches). Default: no state.
  virtual void snapshot_state(std::uint64_t checkpoint_id, std::vector<state_entry>& out) {
    (void)checkpoint_id;
    (void)out;
  }
  /// Asynchronous snapshots (Flink's): called instead of snapshot_state for periodic checkpoints
  /// and savepoints, at the same moment. Appends to `out` what must be written now and may
  /// return a function that appends the rest later, on another thread, while this operator
  /// processes records again: it must own everything it reads (a copy of the state as it is now)
  /// and must not touch the operator (a copy of a value that shares mutable data with the
  /// operator, such as a shared_ptr, is not a copy). The entries may come in another order than
  /// snapshot_state's (a restore finds them by name and key group). It may throw (the subtask
  /// then fails, as for a snapshot that cannot be taken). Default: snapshot_state(checkpoint_id,
  /// out), nothing deferred.
  virtual std::function<void(std::vector<state_entry>&)> snapshot_state_async(
      std::uint64_t checkpoint_id, std::vector<state_entry>& out) {
    snapshot_state(checkpoint_id, out);
    return {};
  }
  /// Restores the state a checkpoint holds for this subtask: the keyed entries of the key groups
  /// it owns (from every subtask that wrote them) and the operator entries (key group -1) of the
  /// subtask with the same index. At another parallelism, operator entries named "__union:..."
  /// go to every subtask (Flink's union list state: each picks its share, e.g. a source's
  /// remaining ranges; idempotent commits) and "__broadcast:..." ones are taken from old subtask
  /// 0 by every subtask; other operator entries cannot be split (the restore fails naming the
  /// operator).
  /// Called once after open(), before any record. Throws if the state does not fit (the runtime
  /// then fails the restore with the operator named).
  virtual void restore_state(const std::vector<state_entry>& entries) { (void)entries; }
  /// Checkpoint `checkpoint_id` completed: every subtask has stored its state. Two-phase-commit
  /// sinks make the output covered by it visible here.
  virtual void notify_checkpoint_complete(std::uint64_t checkpoint_id) { (void)checkpoint_id; }
  /// An action to run once the whole job has ended, after every subtask ended, with `true` if
  /// it finished successfully: a sink's final commit (its output becomes visible only then, so a
  /// job that fails leaves nothing half-done) or discard. Called once after finish(); empty:
  /// none. Runs on the supervisor's thread after this operator is gone, so it must own what it
  /// needs. May throw (a finished job then fails).
  virtual std::function<void(bool succeeded)> take_job_finished_action() { return {}; }
  /// Restores the counters (the runtime checkpoints them so job totals stay exact).
  void restore_counters(const operator_counters& c) { counters_ = c; }

  /// Connects side output `tag` to the writer that sends it downstream (called while the chain
  /// is built, before open()). Operators look it up with side_output().
  void set_side_output(const std::string& tag, operator_base* writer) {
    side_outputs_.emplace_back(tag, writer);
  }
  /// The writer of side output `tag`, or null when nothing consumes it.
  [[nodiscard]] operator_base* side_output(const std::string& tag) const {
    for (const auto& [t, w] : side_outputs_)
      if (t == tag) return w;
    return nullptr;
  }

  void set_name(std::string n) { name_ = std::move(n); }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const operator_counters& counters() const noexcept { return counters_; }
  [[nodiscard]] const subtask_info& info() const noexcept { return info_; }

 protected:
  /// Runs `fn` and rethrows anything it throws as an `operator_error` naming this operator.
  /// Errors already wrapped by an operator further down the chain pass through unchanged.
  template <class Fn>
  void guarded(Fn&& fn) {
    try {
      fn();
    } catch (const operator_error&) {
      throw;
    } catch (const std::exception& e) {
      throw operator_error(name_, info_.index, info_.parallelism, e.what());
    } catch (...) {
      throw operator_error(name_, info_.index, info_.parallelism, "unknown exception");
    }
  }

  operator_counters counters_;
  std::string name_;
  subtask_info info_;
  operator_base* downstream_ = nullptr;  ///< the next operator in the chain (null for sinks)
  std::vector<std::pair<std::string, operator_base*>> side_outputs_;
};

/// An operator consuming records of type T.
template <class T>
class input_op : public operator_base {
 public:
  /// Processes one batch of records without timestamps (see the contract above).
  virtual void process(std::vector<T>& records) = 0;
  /// Processes one batch with timestamps (empty, or one per record). Operators that do not use
  /// timestamps (sinks) need not override it.
  virtual void process(std::vector<T>& records, std::vector<std::int64_t>& timestamps) {
    (void)timestamps;
    process(records);
  }
};

/// An operator with two inputs of types A and B (connect, co-process functions, broadcast state,
/// interval joins). It is always the head of its chain; the subtask passes each batch to
/// process1 or process2 by the edge's input index (0 or 1). Watermarks are the minimum over the
/// channels of both inputs, as for one input. Timestamps as for input_op::process.
template <class A, class B>
class two_input_op : public operator_base {
 public:
  virtual void process1(std::vector<A>& records, std::vector<std::int64_t>& timestamps) = 0;
  virtual void process2(std::vector<B>& records, std::vector<std::int64_t>& timestamps) = 0;
};

namespace detail {
/// `op` (the next operator in a chain, or null) as an input_op<T>; throws std::logic_error if
/// its input type is not T (a bug in the API that built the chain).
template <class T>
input_op<T>* as_input(operator_base* op) {
  auto* in = dynamic_cast<input_op<T>*>(op);
  if (!in && op)
    throw std::logic_error("eddy: operator type mismatch in chain at '" + op->name() + "'");
  return in;
}
}  // namespace detail

/// Base for operators that use or keep timestamps: the one-argument form forwards to the
/// two-argument form with no timestamps.
template <class T>
class timed_input_op : public input_op<T> {
 public:
  using input_op<T>::process;
  void process(std::vector<T>& records) final {
    no_timestamps_.clear();
    process(records, no_timestamps_);
  }

 private:
  std::vector<std::int64_t> no_timestamps_;
};

}  // namespace eddy
