#pragma once
/// A submitted job (Flink's JobClient). Thread-safe: any thread may wait, cancel or read metrics.
/// Copies refer to the same job. The handle stays valid after the job ended.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eddy/runtime/control_channel.hpp"
#include "eddy/runtime/error.hpp"
#include "eddy/runtime/job_result.hpp"

namespace eddy {

namespace detail {
class job_control;
}

class job_handle {
 public:
  explicit job_handle(std::shared_ptr<detail::job_control> ctl) : ctl_(std::move(ctl)) {}

  /// Blocks until the job finished, failed or was canceled.
  [[nodiscard]] job_result wait() const;
  /// Waits at most `timeout`; nullopt if the job is still running.
  [[nodiscard]] std::optional<job_result> wait_for(std::chrono::milliseconds timeout) const;
  /// Asks the job to cancel (asynchronous; wait() returns state canceled). No-op once ended.
  void cancel() const;
  [[nodiscard]] job_state state() const;
  /// The job's name (as submitted).
  [[nodiscard]] const std::string& name() const;
  /// Its id: NAME-N for an embedded job (N counts this process's jobs), what its log lines
  /// carry ("[job ID]") and the REST API of an embedded run names it by.
  [[nodiscard]] const std::string& id() const;
  /// Its execution plan as JSON (execution_plan::to_json: chains, operators, edges).
  [[nodiscard]] const std::string& plan_json() const;
  /// When it was submitted (steady clock).
  [[nodiscard]] std::chrono::steady_clock::time_point started() const;
  /// Checkpoints aborted (failed or timed out) so far.
  [[nodiscard]] std::uint64_t aborted_checkpoints() const;
  /// The result once the job ended (as wait() would return it), else nullopt. Never blocks.
  [[nodiscard]] std::optional<job_result> result() const;
  /// Live per-subtask counters.
  [[nodiscard]] std::vector<subtask_metrics> metrics() const;
  /// Checkpoints completed so far, oldest first.
  [[nodiscard]] std::vector<checkpoint_stats> checkpoints() const;
  /// Samples for `duration` the call stacks of this process's threads while they run the
  /// job's subtasks of vertex `vertex` (a chain of its plan: the REST API's vertex id), one
  /// sample per millisecond of CPU time a thread uses (on-CPU: a subtask waiting for input holds
  /// no thread), and returns them as a flame graph in Flink's JSON (the REST API's
  /// /jobs/ID/vertices/VID/flamegraph; docs/rest-api.md). Blocks for `duration`; samplings run
  /// one at a time per process. Errors (errc::invalid_argument): the job has ended,
  /// `duration` is not in (0, 60 s], another profiler holds SIGPROF.
  [[nodiscard]] expected<std::string> flame_graph(int vertex,
                                                  std::chrono::milliseconds duration) const;
  /// The failures of its attempts so far, oldest first (the newest 32).
  [[nodiscard]] std::vector<job_exception> exceptions() const;
  /// Restarts so far (after failures).
  [[nodiscard]] int restarts() const;
  /// Failure injection (tests, chaos drills): kills the actor of subtask `index` of the operator
  /// chain whose task name contains `task`, as a crash would (no exception, no clean-up in the
  /// actor). The supervisor handles it like any failure. False if no such subtask is running.
  bool kill_subtask(const std::string& task, int index) const;
  /// Sends `text` on the job's control channel `channel` (control_channel.hpp: read by the job's
  /// control channel source of that name, in order, exactly once in effect); returns its
  /// sequence number (1, 2, ... per channel). Does not wait for the job to read it. Errors
  /// (errc::invalid_argument, one line): the job is not running yet or has ended, it has no
  /// such channel, the channel has ended (every other source of the job ended).
  [[nodiscard]] expected<std::uint64_t> send_control(const std::string& channel,
                                                     const std::string& text) const;
  /// The messages sent on `channel` so far, oldest first (empty for an unknown channel).
  [[nodiscard]] std::vector<control_message> control_messages(const std::string& channel) const;
  /// Takes a savepoint (Flink's triggerSavepoint): a checkpoint written to a new store directory
  /// "savepoint-<job>-<id>" under `dir`, which `execution_config::restore_from` (or `eddy run
  /// --resume PATH`) resumes from. Blocks until it completed and returns its path; errors: the
  /// job is not running, a source already finished, the directory cannot be written, or no
  /// completion within `timeout` (the job carries on in every case).
  [[nodiscard]] expected<std::string> trigger_savepoint(
      const std::string& dir, std::chrono::milliseconds timeout = std::chrono::minutes(10)) const;
  /// Takes a savepoint and stops the job (Flink's stop-with-savepoint, without draining): the
  /// sources stop right after their savepoint barrier, sinks commit the output the savepoint
  /// covers, and the job ends as `finished` with job_result::savepoint_path set; windows and
  /// timers not yet fired stay in the savepoint. If the savepoint fails the job carries on and
  /// the error is returned.
  [[nodiscard]] expected<std::string> stop_with_savepoint(
      const std::string& dir, std::chrono::milliseconds timeout = std::chrono::minutes(10)) const;
  /// The same; `drain` (Flink's stop --drain, for ending a job for good): the sources first
  /// advance event time to the end, so every event-time window and timer fires and its output
  /// is committed with the savepoint. A job resumed from such a savepoint would see no window
  /// fire for the data before it: drain to end a job, not to pause it.
  [[nodiscard]] expected<std::string> stop_with_savepoint(
      const std::string& dir, bool drain,
      std::chrono::milliseconds timeout = std::chrono::minutes(10)) const;

 private:
  std::shared_ptr<detail::job_control> ctl_;
};

}  // namespace eddy
