#pragma once
/// A submitted job (Flink's JobClient). Thread-safe: any thread may wait, cancel or read metrics.
/// Copies refer to the same job. The handle stays valid after the job ended.
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

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
  /// Live per-subtask counters.
  [[nodiscard]] std::vector<subtask_metrics> metrics() const;
  /// Checkpoints completed so far, oldest first.
  [[nodiscard]] std::vector<checkpoint_stats> checkpoints() const;
  /// Restarts so far (after failures).
  [[nodiscard]] int restarts() const;

 private:
  std::shared_ptr<detail::job_control> ctl_;
};

}  // namespace eddy
