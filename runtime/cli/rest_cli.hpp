#pragma once
// The `eddy` binary's REST flags: `--rest-port` / `--rest-host` of `eddy coordinator`, `eddy
// worker` and `eddy run`, and `eddy rest-token` (docs/rest-api.md). The servers live until the
// returned object is destroyed.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eddy/runtime/cluster.hpp"
#include "eddy/runtime/error.hpp"

namespace eddy::cli {

struct rest_flags {
  int port = -1;  ///< -1: no REST server; 0: any free port
  std::string host = "127.0.0.1";
  [[nodiscard]] bool wanted() const { return port >= 0; }
};

/// A running REST server and what it serves.
class rest_service {
 public:
  virtual ~rest_service() = default;
  [[nodiscard]] virtual std::uint16_t port() const = 0;
};

/// Checks the flags: a non-loopback host needs a secret (its token guards the API) unless
/// `insecure`. Errors name the flag.
[[nodiscard]] expected<void> check_rest_flags(const rest_flags& f, const cluster_security& sec);

/// Serves the coordinator listening on `coordinator_port` (connects to it as a client).
[[nodiscard]] expected<std::unique_ptr<rest_service>> start_coordinator_rest(
    const rest_flags& f, const std::string& coordinator_host, std::uint16_t coordinator_port,
    const cluster_security& sec);

/// Serves what a worker runs (read-only: web/worker_jobs.hpp), with the cluster secret's token.
[[nodiscard]] expected<std::unique_ptr<rest_service>> start_worker_rest(
    const rest_flags& f, std::shared_ptr<const worker_view> view, const cluster_security& sec);

/// Serves the jobs this process's embedded runtimes start from now on; the first is recorded as
/// program `program` with `args` (so that it can be rescaled); savepoints without a directory go
/// to `savepoint_dir`.
[[nodiscard]] expected<std::unique_ptr<rest_service>> start_embedded_rest(
    const rest_flags& f, const std::string& program, const std::vector<std::string>& args,
    const std::string& savepoint_dir);

/// The arguments of `eddy run JOB ARGS` after the job's name, without the flags `eddy run`
/// itself takes (--rest-port, --rest-host, --log-level and their values, --quiet).
[[nodiscard]] std::vector<std::string> program_args_of_run(int argc, char** argv,
                                                           const std::string& job);

}  // namespace eddy::cli
