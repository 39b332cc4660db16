#pragma once
/// What the REST server (rest_server.hpp) serves: the jobs of an embedded runtime (local_jobs.hpp)
/// or of a cluster's coordinator (cluster_jobs.hpp).
///
/// Every call returns JSON text in the shapes of cluster_client (cluster.hpp), so the server
/// and the dashboard see one format whichever runtime runs the jobs. Implementations are
/// thread-safe: the server calls them from its worker threads and its metrics sampler at once.
/// Calls may block (a savepoint blocks until it completed); none waits forever.
#include <chrono>
#include <string>
#include <vector>

#include "eddy/runtime/error.hpp"

namespace eddy::web {

class job_backend {
 public:
  virtual ~job_backend() = default;
  /// "embedded", "cluster" or "worker" (read-only: the server refuses actions, worker_jobs.hpp).
  [[nodiscard]] virtual std::string mode() const = 0;
  /// The jobs: a JSON array of summaries (cluster_client::list_jobs).
  [[nodiscard]] virtual expected<std::string> jobs() = 0;
  /// One job (cluster_client::job_status: the summary, "program", "args", "subtasks",
  /// "checkpoints", "aborted_checkpoints", "plan" (execution_plan::to_json), "exceptions"
  /// [{"timestamp_ms", "message", "attempt"}], and "failure" / "savepoint_path" once it ended).
  /// Errors: unknown id.
  [[nodiscard]] virtual expected<std::string> job(const std::string& id) = 0;
  /// The nodes that run subtasks: a JSON array (cluster_client::workers; embedded: this
  /// process, as one worker).
  [[nodiscard]] virtual expected<std::string> workers() = 0;
  /// Starts program `program` (job_program.hpp) with `args`; its id. Errors: unknown program,
  /// bad arguments (the program's message).
  [[nodiscard]] virtual expected<std::string> submit(const std::string& program,
                                                     const std::vector<std::string>& args) = 0;
  /// Asks a job to cancel (returns at once). Errors: unknown id.
  [[nodiscard]] virtual expected<void> cancel(const std::string& id) = 0;
  /// Takes a savepoint into `dir` (empty: the backend's default directory); `stop`: the job then
  /// stops, after advancing event time to the end if `drain`. Blocks until it completed; its
  /// path. Errors: unknown id, no directory, the job is not running, the savepoint failed.
  [[nodiscard]] virtual expected<std::string> savepoint(const std::string& id,
                                                        const std::string& dir, bool stop,
                                                        bool drain) = 0;
  /// Stops the job with a savepoint and starts it again from there with `parallelism`; the new
  /// job's id. Errors: unknown id, a job not started from a program, the savepoint failed.
  [[nodiscard]] virtual expected<std::string> rescale(const std::string& id, int parallelism) = 0;
  /// Samples the stacks of vertex `vertex`'s subtasks that run in this process for `duration`
  /// (job_handle::flame_graph): Flink's flame graph JSON. Blocks for `duration`. Errors:
  /// unknown id, the job has ended, a bad duration; a backend whose subtasks run elsewhere (a
  /// cluster's coordinator) does not sample (this default).
  [[nodiscard]] virtual expected<std::string> flame_graph(const std::string& id, int vertex,
                                                          std::chrono::milliseconds duration) {
    (void)id;
    (void)vertex;
    (void)duration;
    return error{errc::invalid_argument, flame_graph_elsewhere_message};
  }

  /// Why a cluster's coordinator answers no flame graph.
  static constexpr const char* flame_graph_elsewhere_message =
      "flame graphs are sampled where the subtasks run: ask the REST API of the worker "
      "(eddy worker --rest-port) that runs them";
};

}  // namespace eddy::web
