#pragma once
/// Sources: the head of a source chain. The subtask actor calls `produce` once per `produce`
/// message while its outputs hold credit; a source emits at most `max_records` records into its
/// chain per call and says whether it has more, is idle (nothing available now; the actor polls
/// again after a short delay), waits (nothing available now; the source calls its waker when
/// there is, and the actor does not poll meanwhile) or has ended (the actor then finishes the
/// chain). Called only from the subtask's actor. Exceptions are reported as the source
/// operator's failure.
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/runtime/operator.hpp"

namespace eddy {

enum class source_status {
  more,  ///< call again as soon as credit allows
  idle,  ///< nothing to emit right now; poll again later
  wait,  ///< nothing to emit right now; the source's waker says when (no polling meanwhile)
  end,   ///< the source is exhausted (bounded input)
};

/// Wakes the subtask actor of a source that returned source_status::wait: the actor calls
/// `produce` again soon after. Thread-safe and cheap: any thread (a client library's callback,
/// a fetcher thread) may call wake() any number of times; wakes that come while one is pending
/// are merged, and a wake after the subtask ended does nothing. A wake that comes while the
/// actor is producing is not lost: the actor calls `produce` once more afterwards.
class source_waker {
 public:
  /// `notify` sends the wake to the actor (the runtime's; tests pass their own).
  explicit source_waker(std::function<void()> notify = {}) : state_(std::make_shared<state>()) {
    state_->notify = std::move(notify);
  }
  void wake() const {
    if (state_->notify && !state_->pending.exchange(true, std::memory_order_acq_rel))
      state_->notify();
  }
  /// Called by the actor when it handles a wake, before it calls `produce`.
  void clear() const { state_->pending.store(false, std::memory_order_release); }

 private:
  struct state {
    std::atomic<bool> pending{false};
    std::function<void()> notify;
  };
  std::shared_ptr<state> state_;
};

/// How much of a bounded input one source subtask has read, in the input's units (bytes of a
/// file's ranges, messages of bounded Kafka partitions).
struct input_progress {
  std::uint64_t read = 0;
  std::uint64_t size = 0;  ///< what the subtask reads in all (0: unknown)
};

class source_base : public operator_base {
 public:
  /// Emits up to `max_records` records downstream.
  virtual source_status produce(std::size_t max_records) = 0;
  /// How far the subtask got through a bounded input (for `eddy run`'s progress line and the
  /// REST API); nullopt for an unbounded input or one of unknown size. Called on the subtask's
  /// actor after produce; must be cheap.
  [[nodiscard]] virtual std::optional<input_progress> progress() const { return std::nullopt; }
  /// The source's lag: records its input holds for this subtask that it has not emitted yet
  /// (Kafka: up to its partitions' high watermarks; MQTT: messages received and logged);
  /// nullopt if the source cannot tell. For the REST API and /metrics. Called on the subtask's
  /// actor after produce; must be cheap.
  [[nodiscard]] virtual std::optional<std::uint64_t> lag() const { return std::nullopt; }
  /// The waker of this source's subtask; set by the runtime before open(). A source that
  /// returns source_status::wait keeps a copy for the threads that learn of new data.
  void set_waker(source_waker w) { waker_ = std::move(w); }
  [[nodiscard]] const source_waker& waker() const noexcept { return waker_; }

  // ---- sources with a split enumerator (split_enumerator.hpp) ----
  /// Splits the enumerator assigned to this reader: their ids and what the enumerator gives
  /// with them (split_enumerator::split_data), index by index. Called on the subtask's actor,
  /// between produce calls (after open and restore_state); the actor calls produce afterwards.
  virtual void add_splits(const std::vector<std::string>& ids,
                          const std::vector<std::string>& data) {
    (void)ids;
    (void)data;
  }
  /// The enumerator has no more splits for this reader (a bounded source): once its own are
  /// done, the reader's produce returns end. Called like add_splits.
  virtual void no_more_splits() {}
  /// Asks the enumerator for a split (on-demand assignment); the answer comes as add_splits or
  /// no_more_splits. Ask once and wait (return source_status::wait) for the answer. Set by the
  /// runtime before open(); does nothing for a source without an enumerator.
  void request_split() const {
    if (split_requester_) split_requester_();
  }
  void set_split_requester(std::function<void()> f) { split_requester_ = std::move(f); }

 private:
  source_waker waker_;
  std::function<void()> split_requester_;
};

/// Base for typed sources: buffers records and hands them to the chain one batch at a time.
template <class T>
class source_op : public source_base {
 public:
  explicit source_op(input_op<T>* next) : next_(next) { this->downstream_ = next; }
  void finish() override { next_->finish(); }

 protected:
  /// Passes the filled buffer down the chain and clears it.
  void emit_buffer() {
    if (buffer_.empty()) return;
    this->counters_.records_out += buffer_.size();
    next_->process(buffer_);
    buffer_.clear();
  }
  input_op<T>* next_;
  std::vector<T> buffer_;
};

/// A user-defined source (Flink's SourceFunction): one instance per subtask.
template <class T>
class source_function {
 public:
  virtual ~source_function() = default;
  /// Called once on the subtask before the first poll. May throw.
  virtual void open(const subtask_info&) {}
  /// Appends at most `max` records to `out` and reports the source's state. May throw.
  virtual source_status poll(std::vector<T>& out, std::size_t max) = 0;
  /// Called once when the source ended or the job stops.
  virtual void close() {}
  /// Checkpoints: the position to resume from after the records polled so far (an offset, a
  /// count, ...), or nullopt if this source cannot be replayed, in which case a job with
  /// checkpoints enabled fails at its first checkpoint saying so. Called between polls.
  virtual std::optional<std::string> snapshot_position() { return std::nullopt; }
  /// Resumes from a position snapshot_position returned (called after open, before any poll).
  virtual void restore_position(std::string_view position) { (void)position; }
};

}  // namespace eddy
