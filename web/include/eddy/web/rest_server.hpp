#pragma once
/// The REST API, Prometheus metrics and web dashboard of a coordinator or an embedded run
/// (docs/rest-api.md, docs/web-ui.md).
///
/// An HTTP server (cpp-httplib) on its own threads serves, over a job_backend:
///   GET  /overview, /config, /jobs, /jobs/overview, /jobs/ID, /jobs/ID/plan,
///        /jobs/ID/vertices/VID, /jobs/ID/checkpoints, /jobs/ID/exceptions, /taskmanagers
///   GET  /metrics                  the Prometheus text format
///   POST /jobs                     {"program", "args"}: submit a job program
///   PATCH /jobs/ID?mode=cancel     cancel (Flink's form)
///   POST /jobs/ID/savepoints       {"target-directory", "cancel-job"}
///   POST /jobs/ID/stop             {"targetDirectory", "drain"}: stop with a savepoint
///   PATCH /jobs/ID/rescaling?parallelism=N
///   GET  /                         the dashboard (HTML, CSS and JS compiled into the binary)
/// Answers are JSON; errors are {"errors": ["message"]} with 400 (bad request), 401 (missing or
/// wrong token), 404 (no such job or path), 405 or 500 (the backend failed; the message says
/// how). With a token, every request but the dashboard's files needs "Authorization: Bearer
/// TOKEN". A sampler thread reads the running jobs every `sample_interval` to give rates
/// (records/s, backpressure ratio) to the API and the metrics.
///
/// Who calls: `eddy coordinator --rest-port`, `eddy run --rest-port`, tests. start() returns once
/// the port is bound; the destructor stops the server and the sampler (it waits for requests in
/// flight, which a savepoint can make long). The backend must outlive the server.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "eddy/runtime/error.hpp"
#include "eddy/web/job_backend.hpp"

namespace eddy::web {

struct rest_options {
  std::string host = "127.0.0.1";  ///< address to listen on
  std::uint16_t port = 8081;       ///< 0: any free port (see rest_server::port)
  /// Bearer token every API request must carry (rest_api_token of the cluster secret); empty:
  /// none.
  std::string token;
  std::chrono::milliseconds sample_interval{1000};
};

class rest_server {
 public:
  /// Binds the port and starts serving. Errors: a port that cannot be bound ("cannot listen on
  /// HOST:PORT for the REST API: ...").
  static expected<std::unique_ptr<rest_server>> start(job_backend& backend, rest_options opts);
  ~rest_server();
  rest_server(const rest_server&) = delete;
  rest_server& operator=(const rest_server&) = delete;

  /// The port it listens on.
  [[nodiscard]] std::uint16_t port() const noexcept;

 private:
  struct impl;
  explicit rest_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace eddy::web
