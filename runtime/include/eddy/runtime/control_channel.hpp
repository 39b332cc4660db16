#pragma once
/// Control channels: lines of text sent to a running job by name ("patterns", "config"), read by
/// the job's control channel source (eddy/operators/control_channel.hpp) as a DataStream of
/// strings. Senders: job_handle::send_control (embedded), cluster_client::send_control and
/// `eddy send` / `eddy shell` (a cluster).
///
/// The job keeps every message of its channels in a log (on the coordinator for a cluster job,
/// also written to a file under its state directory so that a restarted coordinator resuming
/// the job has it; in the job's process when embedded), numbered 1, 2, ... per channel. The
/// source's split enumerator (below) hands each message to the source's reader as a split with the
/// id "INCARNATION/SEQ", so the split machinery (split_enumerator.hpp) gives the guarantee: a
/// message is in the checkpoint either as known to the enumerator and emitted (or held) by the
/// reader, or not at all; after a restart from a checkpoint the messages after it are handed
/// over again. Every message's effect is therefore seen once (exactly once in effect). The
/// incarnation (a random number per job run) makes a position from another job's log (a
/// savepoint resumed into a new job, a rescale) mean nothing: the new job starts with its own
/// log's messages, while what the old ones did lives on in the restored operator state.
///
/// Ending: the control source ends when every other source of the job has ended, so a bounded
/// job still finishes by itself; a job whose only sources are control channels runs until it is
/// canceled or stopped. Messages sent after the end are refused.
///
/// Threads: the log is thread-safe; the enumerator is called on its actor only.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eddy/runtime/split_enumerator.hpp"

namespace eddy {

/// One message of a job's control channel: its sequence number (1, 2, ... per channel of a job
/// run) and its text.
struct control_message {
  std::uint64_t seq = 0;
  std::string text;
};

namespace detail {
class control_log;
}

/// The split enumerator of a control channel source. The connector makes it; the runtime
/// recognises it when it spawns the source's enumerator actor and attaches the job's log
/// (attach), after which discover lists the channel's messages as splits owned by reader 0.
class control_channel_enumerator final : public split_enumerator {
 public:
  explicit control_channel_enumerator(std::string channel) : channel_(std::move(channel)) {}
  [[nodiscard]] const std::string& channel() const noexcept { return channel_; }
  /// Called by the runtime before the first discover; without it discover lists nothing.
  void attach(std::shared_ptr<detail::control_log> log) { log_ = std::move(log); }
  /// Every message of the channel so far, as "INCARNATION/SEQ" in sequence order.
  std::optional<std::vector<std::string>> discover(bool initial) override;
  /// Unused: the log wakes the enumerator's actor when a message arrives (nothing polls).
  [[nodiscard]] std::chrono::milliseconds discovery_interval() const override {
    return std::chrono::hours(1);
  }
  [[nodiscard]] int owner(const std::string&, int) const override { return 0; }
  /// The message's text ("" for an id of another incarnation, which cannot be assigned).
  [[nodiscard]] std::string split_data(const std::string& id) const override;

 private:
  std::string channel_;
  std::shared_ptr<detail::control_log> log_;
};

}  // namespace eddy
