#pragma once
// Checkpoint barrier alignment over a subtask's input channels (Flink's CheckpointBarrierHandler),
// used by subtask_actor.cpp on the actor's thread:
// - a checkpoint is aligned once its barrier came from every channel that has not ended (a
//   channel that ended without it no longer counts; with no open channel it never aligns here:
//   the end of input finishes the subtask instead);
// - in exactly-once mode a channel that delivered barrier `id` is blocked until `id` is aligned
//   (the actor holds its later entries back); in at-least-once mode nothing is blocked;
// - checkpoints align in id order; one that aligns releases the channels blocked for it.
// Pure logic, no I/O.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace eddy::detail {

class barrier_aligner {
 public:
  explicit barrier_aligner(std::size_t channels = 0, bool exactly_once = true)
      : exactly_once_(exactly_once), blocked_for_(channels, 0), ended_(channels, false) {}

  /// Channel `i` delivered the barrier of checkpoint `id`.
  void on_barrier(std::size_t i, std::uint64_t id) {
    auto& got = pending_[id];
    if (got.empty()) first_barrier_[id] = std::chrono::steady_clock::now();
    got.insert(i);
    if (exactly_once_) blocked_for_[i] = id;
  }
  /// Channel `i` ended (it no longer holds any alignment up).
  void on_end(std::size_t i) { ended_[i] = true; }

  /// Whether channel `i` waits for a checkpoint to align (its entries must be held back).
  [[nodiscard]] bool blocked(std::size_t i) const { return blocked_for_[i] != 0; }

  /// The next aligned checkpoint, if any, which releases the channels blocked for it; call
  /// again until it returns nothing. `released`: whether a channel was unblocked (the actor then
  /// puts the entries it held back first).
  struct aligned {
    std::uint64_t id = 0;
    bool released = false;
  };
  std::optional<aligned> take_aligned() {
    if (pending_.empty()) return std::nullopt;
    auto it = pending_.begin();
    std::size_t open = 0;
    for (std::size_t i = 0; i < ended_.size(); ++i) {
      const bool got = it->second.count(i) != 0;
      if (ended_[i] && !got) continue;
      ++open;
      if (!got) return std::nullopt;
    }
    if (open == 0) return std::nullopt;
    aligned a{it->first, false};
    pending_.erase(it);
    for (auto& b : blocked_for_)
      if (b == a.id) {
        b = 0;
        a.released = true;
      }
    return a;
  }

  /// When the first barrier of checkpoint `id` came (for the log), if it is known; forgets it
  /// and every earlier one.
  std::optional<std::chrono::steady_clock::time_point> take_first_barrier_time(std::uint64_t id) {
    std::optional<std::chrono::steady_clock::time_point> t;
    if (auto f = first_barrier_.find(id); f != first_barrier_.end()) t = f->second;
    first_barrier_.erase(first_barrier_.begin(), first_barrier_.upper_bound(id));
    return t;
  }

 private:
  bool exactly_once_;
  std::vector<std::uint64_t> blocked_for_;  // per channel: the checkpoint it waits for (0: none)
  std::vector<bool> ended_;
  std::map<std::uint64_t, std::set<std::size_t>> pending_;  // checkpoint -> channels with barrier
  std::map<std::uint64_t, std::chrono::steady_clock::time_point> first_barrier_;
};

}  // namespace eddy::detail
