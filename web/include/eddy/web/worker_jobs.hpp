#pragma once
/// The REST server's view of one worker (`eddy worker --rest-port`): the subtasks it runs, read
/// from its worker_view (cluster.hpp), for its own /metrics, /jobs and dashboard. Read-only:
/// jobs are submitted, canceled, savepointed and rescaled at the coordinator, so the server
/// answers those requests with 405 (rest_server.hpp) and the action calls here return an error
/// saying so. A job shows only this worker's subtasks. Thread-safe (worker_view locks).
#include <memory>
#include <string>
#include <vector>

#include "eddy/runtime/cluster.hpp"
#include "eddy/web/job_backend.hpp"

namespace eddy::web {

class worker_jobs final : public job_backend {
 public:
  explicit worker_jobs(std::shared_ptr<const worker_view> view) : view_(std::move(view)) {}

  /// "worker": the REST server then serves only reads.
  [[nodiscard]] std::string mode() const override { return "worker"; }
  /// The jobs with subtasks on this worker, their summaries over those subtasks.
  [[nodiscard]] expected<std::string> jobs() override;
  /// One of them: the summary, its plan and this worker's subtasks (no checkpoints or
  /// exceptions: the coordinator keeps those). Errors: not a job of this worker.
  [[nodiscard]] expected<std::string> job(const std::string& id) override;
  /// This worker, as the one entry.
  [[nodiscard]] expected<std::string> workers() override;
  [[nodiscard]] expected<std::string> submit(const std::string& program,
                                             const std::vector<std::string>& args) override;
  [[nodiscard]] expected<void> cancel(const std::string& id) override;
  [[nodiscard]] expected<std::string> savepoint(const std::string& id, const std::string& dir,
                                                bool stop, bool drain) override;
  [[nodiscard]] expected<std::string> rescale(const std::string& id, int parallelism) override;
  [[nodiscard]] expected<std::string> flame_graph(const std::string& id, int vertex,
                                                  std::chrono::milliseconds duration) override;

 private:
  std::shared_ptr<const worker_view> view_;
};

/// What the REST server answers to a change requested of a worker.
inline constexpr const char* worker_read_only_message =
    "a worker's REST API only reads: submit, cancel, savepoint, stop and rescale jobs at the "
    "coordinator's";

}  // namespace eddy::web
