#pragma once
/// The embedded runtime: an actor system in this process that runs jobs (Flink's MiniCluster).
///
/// Owns the CAF actor system and its scheduler threads; destroying it waits for every running
/// job's actors to end, so cancel or wait for jobs first. Thread-safe: jobs may be submitted from
/// any thread. CAF stays behind this header (pimpl) so users do not compile it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "eddy/runtime/error.hpp"
#include "eddy/runtime/execution_config.hpp"
#include "eddy/runtime/job_graph.hpp"
#include "eddy/runtime/job_handle.hpp"

namespace eddy {

struct runtime_options {
  int threads = 0;  ///< scheduler threads; 0 = number of cores
};

class local_runtime {
 public:
  explicit local_runtime(runtime_options opts = {});
  ~local_runtime();
  local_runtime(const local_runtime&) = delete;
  local_runtime& operator=(const local_runtime&) = delete;

  /// Compiles and starts a job. Fails (without starting anything) if the graph is invalid.
  [[nodiscard]] expected<job_handle> submit(std::shared_ptr<const job_graph> graph,
                                            const execution_config& cfg,
                                            const std::string& job_name);

  /// Actors currently alive in this runtime (0 when no job runs).
  [[nodiscard]] std::size_t running_actors() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Process-wide listeners (Flink's JobListener::onJobSubmitted): every local_runtime::submit
/// calls each, on the submitting thread, right after a job started; `eddy run --rest-port` and
/// its progress line use them. Returns an id for remove_job_submitted_listener. Thread-safe;
/// `fn` must not block and must not add or remove listeners.
std::uint64_t add_job_submitted_listener(std::function<void(const job_handle&)> fn);
/// Removes a listener; once it returns, the listener is not called any more (a call in progress
/// on another thread may still be running).
void remove_job_submitted_listener(std::uint64_t id);

}  // namespace eddy
