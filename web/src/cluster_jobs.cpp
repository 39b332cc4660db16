#include "eddy/web/cluster_jobs.hpp"

namespace eddy::web {

expected<std::unique_ptr<cluster_jobs>> cluster_jobs::connect(const std::string& host,
                                                              std::uint16_t port,
                                                              const cluster_security& security) {
  auto c = cluster_client::connect(host, port, security);
  if (!c) return c.error();
  return std::unique_ptr<cluster_jobs>(new cluster_jobs(host, port, security, std::move(*c)));
}

cluster_jobs::cluster_jobs(std::string host, std::uint16_t port, cluster_security security,
                           std::unique_ptr<cluster_client> client)
    : host_(std::move(host)),
      port_(port),
      security_(std::move(security)),
      client_(std::move(client)) {}

expected<std::string> cluster_jobs::jobs() {
  std::lock_guard g(mtx_);
  return client_->list_jobs();
}

expected<std::string> cluster_jobs::job(const std::string& id) {
  std::lock_guard g(mtx_);
  return client_->job_status(id);
}

expected<std::string> cluster_jobs::workers() {
  std::lock_guard g(mtx_);
  return client_->workers();
}

expected<std::string> cluster_jobs::submit(const std::string& program,
                                           const std::vector<std::string>& args) {
  std::lock_guard g(mtx_);
  return client_->submit(program, args);
}

expected<void> cluster_jobs::cancel(const std::string& id) {
  std::lock_guard g(mtx_);
  return client_->cancel(id);
}

expected<std::string> cluster_jobs::savepoint(const std::string& id, const std::string& dir,
                                              bool stop, bool drain) {
  // A savepoint blocks until it completed: on a client of its own, so that the dashboard's
  // polling carries on meanwhile.
  auto c = cluster_client::connect(host_, port_, security_);
  if (!c) return c.error();
  return (*c)->savepoint(id, dir, stop, drain);
}

expected<std::string> cluster_jobs::rescale(const std::string& id, int parallelism) {
  auto c = cluster_client::connect(host_, port_, security_);
  if (!c) return c.error();
  return (*c)->rescale(id, parallelism);
}

}  // namespace eddy::web
