#pragma once
/// The REST server's view of a cluster: every call goes to the coordinator through a
/// cluster_client (cluster.hpp), as `eddy shell --cluster` does. `eddy coordinator --rest-port`
/// connects one to itself. Thread-safe (calls are serialized on the one client, except
/// savepoints and rescaling, which block for long and get a client of their own).
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "eddy/runtime/cluster.hpp"
#include "eddy/web/job_backend.hpp"

namespace eddy::web {

class cluster_jobs final : public job_backend {
 public:
  /// Connects to the coordinator at host:port (cluster_client::connect; its errors).
  static expected<std::unique_ptr<cluster_jobs>> connect(const std::string& host,
                                                         std::uint16_t port,
                                                         const cluster_security& security);

  [[nodiscard]] std::string mode() const override { return "cluster"; }
  [[nodiscard]] expected<std::string> jobs() override;
  [[nodiscard]] expected<std::string> job(const std::string& id) override;
  [[nodiscard]] expected<std::string> workers() override;
  [[nodiscard]] expected<std::string> submit(const std::string& program,
                                             const std::vector<std::string>& args) override;
  [[nodiscard]] expected<void> cancel(const std::string& id) override;
  [[nodiscard]] expected<std::string> savepoint(const std::string& id, const std::string& dir,
                                                bool stop, bool drain) override;
  [[nodiscard]] expected<std::string> rescale(const std::string& id, int parallelism) override;

 private:
  cluster_jobs(std::string host, std::uint16_t port, cluster_security security,
               std::unique_ptr<cluster_client> client);
  const std::string host_;
  const std::uint16_t port_;
  const cluster_security security_;
  std::mutex mtx_;
  std::unique_ptr<cluster_client> client_;
};

}  // namespace eddy::web
