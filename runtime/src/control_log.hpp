#pragma once
// Internal: the messages of a job's control channels (eddy/runtime/control_channel.hpp), kept
// for the job's lifetime by its job_control (embedded: in the job's process; cluster: on the
// coordinator, where the job's split enumerators run). Thread-safe: senders (a job_handle, the
// job manager) append from any thread; the enumerator actors read.
//
// A channel exists once a deployment's enumerator attached it (so a job that is not deployed
// yet has none) or a loaded file had messages of it; it stays (with its messages) until the job
// ends. `close` refuses further messages (every other source of the job ended); a new
// deployment's attach opens it again.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "eddy/runtime/control_channel.hpp"
#include "eddy/runtime/error.hpp"

namespace eddy::detail {

class control_log {
 public:
  /// An in-memory log. `incarnation`: 0 draws a random one.
  explicit control_log(std::uint64_t incarnation = 0);
  ~control_log();
  control_log(const control_log&) = delete;
  control_log& operator=(const control_log&) = delete;

  /// A log kept in file `path` as well (a cluster job's, under the coordinator's state
  /// directory): `create_file` starts it afresh (a new incarnation; an old file is replaced),
  /// `load_file` reads it back with the same incarnation and messages (a restarted coordinator
  /// resuming the job: the restored enumerators hand the messages after their checkpoint over
  /// again; a missing file gives a fresh log). Every append is written and flushed (fdatasync)
  /// to the file before it counts: a message a sender was told is sent is in the file. Errors
  /// name the file (and for a corrupt one the line). Blocks on file I/O.
  /// The file: a first line "eddy control log v1 INCARNATION", then per message a line
  /// "m SEQ CHANNEL_BYTES TEXT_BYTES" followed by the channel's name, the text and a newline
  /// (any bytes). A torn last record (a write the coordinator died in, never acknowledged) is
  /// cut off.
  [[nodiscard]] static expected<std::shared_ptr<control_log>> create_file(const std::string& path);
  [[nodiscard]] static expected<std::shared_ptr<control_log>> load_file(const std::string& path);

  /// A random number naming this log (split ids of another log never match its messages).
  [[nodiscard]] std::uint64_t incarnation() const noexcept { return incarnation_; }

  /// Declares `channel` (open) and how to wake its enumerator when a message arrives (called
  /// by the enumerator's actor of each deployment; replaces the previous wake). `source` names
  /// the job graph's source node reading it: a channel has one reader, so if another source
  /// attached it before, nothing changes and the result is that source's node id.
  [[nodiscard]] std::optional<int> attach(const std::string& channel, int source,
                                          std::function<void()> wake);
  /// Appends `text`; returns its sequence number. Errors (errc::invalid_argument): no such
  /// channel (naming the job's channels), or the channel was closed (with the reason given).
  [[nodiscard]] expected<std::uint64_t> append(const std::string& job, const std::string& channel,
                                               std::string text);
  /// The channel's messages, oldest first (empty if there is no such channel).
  [[nodiscard]] std::vector<control_message> messages(const std::string& channel) const;
  /// The text of message `seq`, if it exists.
  [[nodiscard]] std::optional<std::string> text(const std::string& channel,
                                                std::uint64_t seq) const;
  /// Refuses further messages on `channel`, saying `why`.
  void close(const std::string& channel, std::string why);
  [[nodiscard]] bool has(const std::string& channel) const;
  /// The attached channels' names, sorted.
  [[nodiscard]] std::vector<std::string> channels() const;

 private:
  struct channel_state {
    std::vector<control_message> messages;
    std::function<void()> wake;
    std::optional<std::string> closed;  // why
    int source = -1;                    // the job graph node reading it
  };
  /// Opens path_ for appending (fd_); false with `why` set on failure.
  bool open_for_append(std::string& why);

  const std::uint64_t incarnation_;
  std::string path_;  // empty: in memory only
  int fd_ = -1;
  mutable std::mutex mtx_;
  std::map<std::string, channel_state> channels_;
};

}  // namespace eddy::detail
