#pragma once
/// The REST server's view of jobs run by embedded runtimes in this process (`eddy run
/// --rest-port`).
///
/// Jobs get here two ways: add() (for `eddy run`, through local_runtime's submitted listener,
/// listen_to_local_runtimes()) and submit(), which builds a program of job_registry::global() and
/// runs it on a runtime this object owns. Ids are "NAME-N" like a coordinator's. Thread-safe.
/// Destroying it cancels and waits for the jobs it started itself (not those added).
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "eddy/runtime/job_handle.hpp"
#include "eddy/web/job_backend.hpp"

namespace eddy {
class local_runtime;
}

namespace eddy::web {

struct local_jobs_options {
  /// Where savepoints go when a request names no directory (empty: a request must name one).
  std::string savepoint_dir;
};

class local_jobs final : public job_backend {
 public:
  explicit local_jobs(local_jobs_options opts = {});
  ~local_jobs() override;
  local_jobs(const local_jobs&) = delete;
  local_jobs& operator=(const local_jobs&) = delete;

  /// Registers a running job; `program` and `args`, if known, let rescale() start it again.
  /// Returns its id.
  std::string add(const job_handle& job, const std::string& program = {},
                  const std::vector<std::string>& args = {});
  /// Makes every job any local_runtime of this process submits from now on add() itself here
  /// (add_job_submitted_listener); `program` / `args` are recorded for the first such job (the
  /// one `eddy run PROGRAM ARGS` starts). Undone by the destructor.
  void listen_to_local_runtimes(const std::string& program = {},
                                const std::vector<std::string>& args = {});

  [[nodiscard]] std::string mode() const override { return "embedded"; }
  [[nodiscard]] expected<std::string> jobs() override;
  [[nodiscard]] expected<std::string> job(const std::string& id) override;
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
  struct entry {
    std::string id;
    job_handle handle;
    std::string program;
    std::vector<std::string> args;
    std::string restored_from;
    bool owned = false;  ///< started by submit(): canceled by the destructor
  };
  [[nodiscard]] expected<entry> find(const std::string& id) const;
  expected<std::string> start(const std::string& program, const std::vector<std::string>& args,
                              const std::string& restore_from);

  const local_jobs_options opts_;
  mutable std::mutex mtx_;
  std::vector<entry> jobs_;
  std::uint64_t listener_ = 0;  ///< add_job_submitted_listener's id (0: none)
  bool first_named_ = false;
  std::string first_program_;
  std::vector<std::string> first_args_;
  std::unique_ptr<local_runtime> runtime_;  ///< for submit(); created on first use
};

}  // namespace eddy::web
