#include "rest_cli.hpp"

#include "eddy/web/cluster_jobs.hpp"
#include "eddy/web/local_jobs.hpp"
#include "eddy/web/rest_server.hpp"
#include "eddy/web/worker_jobs.hpp"

namespace eddy::cli {

namespace {

bool loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

class served final : public rest_service {
 public:
  served(std::unique_ptr<web::job_backend> backend, std::unique_ptr<web::rest_server> server)
      : backend_(std::move(backend)), server_(std::move(server)) {}
  ~served() override { server_.reset(); }  // the server first: it uses the backend
  [[nodiscard]] std::uint16_t port() const override { return server_->port(); }

 private:
  std::unique_ptr<web::job_backend> backend_;
  std::unique_ptr<web::rest_server> server_;
};

expected<std::unique_ptr<rest_service>> serve(std::unique_ptr<web::job_backend> backend,
                                              const rest_flags& f, const std::string& secret) {
  web::rest_options o;
  o.host = f.host;
  o.port = static_cast<std::uint16_t>(f.port);
  if (!secret.empty()) o.token = rest_api_token(secret);
  auto server = web::rest_server::start(*backend, o);
  if (!server) return server.error();
  return std::unique_ptr<rest_service>(new served(std::move(backend), std::move(*server)));
}

}  // namespace

expected<void> check_rest_flags(const rest_flags& f, const cluster_security& sec) {
  if (f.port > 65535) return error{errc::invalid_argument, "--rest-port: not a port (0 to 65535)"};
  if (f.wanted() && !loopback(f.host) && sec.secret.empty() && !sec.insecure)
    return error{errc::invalid_argument,
                 "--rest-host " + f.host +
                     " is not a loopback address: give --secret-file (requests then need its "
                     "token) or --insecure"};
  return {};
}

expected<std::unique_ptr<rest_service>> start_coordinator_rest(const rest_flags& f,
                                                               const std::string& coordinator_host,
                                                               std::uint16_t coordinator_port,
                                                               const cluster_security& sec) {
  // A coordinator listening on every address is reached on loopback.
  const auto host =
      coordinator_host == "0.0.0.0" || coordinator_host == "::" ? "127.0.0.1" : coordinator_host;
  auto backend = web::cluster_jobs::connect(host, coordinator_port, sec);
  if (!backend) return backend.error();
  return serve(std::move(*backend), f, sec.secret);
}

expected<std::unique_ptr<rest_service>> start_worker_rest(const rest_flags& f,
                                                          std::shared_ptr<const worker_view> view,
                                                          const cluster_security& sec) {
  return serve(std::make_unique<web::worker_jobs>(std::move(view)), f, sec.secret);
}

expected<std::unique_ptr<rest_service>> start_embedded_rest(const rest_flags& f,
                                                            const std::string& program,
                                                            const std::vector<std::string>& args,
                                                            const std::string& savepoint_dir) {
  auto backend = std::make_unique<web::local_jobs>(web::local_jobs_options{savepoint_dir});
  backend->listen_to_local_runtimes(program, args);
  return serve(std::move(backend), f, {});
}

std::vector<std::string> program_args_of_run(int argc, char** argv, const std::string& job) {
  std::vector<std::string> out;
  bool after_job = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rest-port" || a == "--rest-host" || a == "--log-level") {
      ++i;
      continue;
    }
    if (a == "--quiet") continue;
    if (a.rfind("--rest-port=", 0) == 0 || a.rfind("--rest-host=", 0) == 0 ||
        a.rfind("--log-level=", 0) == 0)
      continue;
    if (after_job)
      out.push_back(a);
    else if (a == job)
      after_job = true;
  }
  return out;
}

}  // namespace eddy::cli
