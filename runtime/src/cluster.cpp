// Cluster nodes: the coordinator and worker processes and the client (see cluster.hpp).
#include "eddy/runtime/cluster.hpp"

#include <unistd.h>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cluster_messages.hpp"
#include "eddy/runtime/log.hpp"
#include "job_manager.hpp"
#include "job_spec.hpp"
#include "task_manager.hpp"

namespace eddy {

namespace {

using namespace detail;

bool is_loopback(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "localhost" || host == "::1";
}

expected<void> check_security(const cluster_security& s, const std::string& host,
                              const std::string& what) {
  const bool any_tls = !s.tls_cert.empty() || !s.tls_key.empty() || !s.tls_ca.empty();
  if (any_tls && (s.tls_cert.empty() || s.tls_key.empty() || s.tls_ca.empty()))
    return error{errc::invalid_argument, "TLS needs all of --tls-cert, --tls-key and --tls-ca"};
  for (const auto& f : {s.tls_cert, s.tls_key, s.tls_ca}) {
    std::error_code ec;
    if (!f.empty() && !std::filesystem::is_regular_file(f, ec))
      return error{errc::invalid_argument, "no such TLS file '" + f + "'"};
  }
  if (!host.empty() && !is_loopback(host) && s.secret.empty() && !s.tls() && !s.insecure)
    return error{errc::invalid_argument,
                 "refusing to " + what + " " + host +
                     " without --secret-file or TLS: anyone who reaches it could join the "
                     "cluster (pass --insecure to do it anyway)"};
  return {};
}

int thread_count(int requested) {
  return requested > 0 ? requested
                       : static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
}

/// The actor system configuration every node uses.
class node_config : public caf::actor_system_config {
 public:
  node_config(const cluster_security& sec, int threads) {
    add_cluster_types(*this);
    load<caf::io::middleman>();
    if (sec.tls()) {
      load<caf::openssl::manager>();
      openssl_certificate = sec.tls_cert;
      openssl_key = sec.tls_key;
      openssl_cafile = sec.tls_ca;
    }
    set("scheduler.max-threads", thread_count(threads));
    set("scheduler.max-throughput", 64);  // see local_runtime.cpp
    // CAF's automatic connections would open a port on every interface, unauthenticated:
    // workers instead connect to each other themselves (task_manager.cpp, peers_atom).
    set("middleman.enable-automatic-connections", false);
    // Messages from the network are deserialized on the I/O thread instead of being handed to
    // another thread first: W2 on two workers ran 21-23 M events/s with 0, 19-21 M with 1.
    set("middleman.workers", 0);
  }
};

expected<caf::actor> connect_actor(caf::actor_system& sys, const cluster_security& sec,
                                   const std::string& host, std::uint16_t port) {
  auto r = sec.tls() ? caf::openssl::remote_actor(sys, host, port)
                     : sys.middleman().remote_actor(host, port);
  if (!r)
    return error{errc::io_error, "cannot reach the coordinator at " + host + ":" +
                                     std::to_string(port) + ": " + sys.render(r.error())};
  return *r;
}
/// Passes the gate: returns the job manager. `refused` is set when the coordinator said no
/// (as opposed to not answering).
expected<caf::actor> authenticate(caf::actor_system& sys, const caf::actor& gate,
                                  const cluster_security& sec, const std::string& role,
                                  const std::string& name, bool* refused = nullptr) {
  caf::scoped_actor self{sys};
  std::string nonce;
  std::optional<error> err;
  self->request(gate, std::chrono::seconds(10), hello_atom::value)
      .receive(
          [&](const std::string& n) { nonce = n; },
          [&](caf::error& e) {
            err = error{errc::io_error, "the coordinator did not answer: " + error_text(sys, e)};
          });
  if (err) return *err;
  const std::string proof =
      nonce.empty() || sec.secret.empty() ? std::string() : gate_proof(sec.secret, nonce, role);
  caf::actor jm;
  self->request(gate, std::chrono::seconds(10), auth_atom::value, role, name, proof)
      .receive([&](const caf::actor& a) { jm = a; },
               [&](caf::error& e) {
                 if (refused) *refused = true;
                 err = error{errc::invalid_argument, error_text(sys, e)};
               });
  if (err) return *err;
  return jm;
}

}  // namespace

expected<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error{errc::io_error, "cannot read the secret file '" + path + "'"};
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  const auto b = s.find_first_not_of(" \t\r\n");
  const auto e = s.find_last_not_of(" \t\r\n");
  if (b == std::string::npos)
    return error{errc::invalid_argument, "the secret file '" + path + "' is empty"};
  return s.substr(b, e - b + 1);
}

expected<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return error{errc::invalid_argument, "'" + s + "' is not HOST:PORT"};
  const auto host = s.substr(0, colon);
  const auto port_text = s.substr(colon + 1);
  try {
    std::size_t used = 0;
    const auto port = std::stoul(port_text, &used);
    if (used != port_text.size() || port > 65535) throw std::out_of_range("port");
    return std::make_pair(host, static_cast<std::uint16_t>(port));
  } catch (const std::exception&) {
    return error{errc::invalid_argument, "bad port '" + port_text + "' in '" + s + "'"};
  }
}

expected<void> run_coordinator(const coordinator_options& opts,
                               const std::function<bool()>& stop_requested,
                               const std::function<void(std::uint16_t)>& on_listening) {
  if (auto ok = check_security(opts.security, opts.host, "listen on"); !ok) return ok.error();
  std::error_code ec;
  std::filesystem::create_directories(opts.state_dir, ec);
  if (ec)
    return error{errc::io_error,
                 "cannot create the state directory '" + opts.state_dir + "': " + ec.message()};
  // Leaked on purpose: the process ends right after (see cluster.hpp).
  auto* cfg = new node_config(opts.security, opts.threads);
  auto* sys = new caf::actor_system(*cfg);
  job_manager_options jo;
  jo.state_dir = opts.state_dir;
  jo.heartbeat_interval = opts.heartbeat_interval;
  jo.heartbeat_timeout = opts.heartbeat_timeout;
  jo.slot_timeout = opts.slot_timeout;
  auto jm = spawn_job_manager(*sys, jo);
  auto gate = spawn_gate(*sys, jm, opts.security.secret);
  auto port = opts.security.tls()
                  ? caf::openssl::publish(gate, opts.port, opts.host.c_str(), true)
                  : sys->middleman().publish(gate, opts.port, opts.host.c_str(), true);
  if (!port)
    return error{errc::io_error, "cannot listen on " + opts.host + ":" + std::to_string(opts.port) +
                                     ": " + sys->render(port.error())};
  log().info("coordinator listening on {}:{} (state in {}, {}{})", opts.host, *port, opts.state_dir,
             opts.security.secret.empty() ? "no secret" : "secret required",
             opts.security.tls() ? ", TLS" : "");
  if (on_listening) on_listening(*port);
  while (!stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return {};
}

expected<void> run_worker(const worker_options& opts, const std::function<bool()>& stop_requested) {
  if (opts.slots < 1) return error{errc::invalid_argument, "--slots must be at least 1"};
  if (auto ok = check_security(opts.security, opts.host, "accept other workers on"); !ok)
    return ok.error();
  auto* cfg = new node_config(opts.security, opts.threads);
  auto* sys = new caf::actor_system(*cfg);  // leaked on purpose (see cluster.hpp)
  task_manager_options to;
  char hostname[256] = {};
  ::gethostname(hostname, sizeof hostname - 1);
  to.name =
      opts.name.empty() ? std::string(hostname) + ":" + std::to_string(::getpid()) : opts.name;
  to.slots = opts.slots;
  to.heartbeat_interval = opts.heartbeat_interval;
  to.lib_dir =
      opts.work_dir.empty()
          ? (std::filesystem::temp_directory_path() / ("eddy-worker-" + std::to_string(::getpid())))
                .string()
          : opts.work_dir;
  to.tls = opts.security.tls();
  auto status = std::make_shared<task_manager_status>();
  auto tm = spawn_task_manager(*sys, to, status);
  // Other workers connect here directly when they send this one batches.
  auto port = opts.security.tls() ? caf::openssl::publish(tm, 0, opts.host.c_str(), true)
                                  : sys->middleman().publish(tm, 0, opts.host.c_str(), true);
  if (!port)
    return error{errc::io_error,
                 "worker cannot listen on " + opts.host + ": " + sys->render(port.error())};
  caf::anon_send(tm, peers_atom::value, opts.host + ":" + std::to_string(*port));
  int attempts = 0;
  while (!stop_requested()) {
    if (!status->registered) {
      auto gate = connect_actor(*sys, opts.security, opts.coordinator_host, opts.coordinator_port);
      if (!gate) {
        if (attempts++ % 10 == 0)
          log().warn("worker '{}': {} (retrying)", to.name, gate.error().message);
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      bool refused = false;
      auto jm = authenticate(*sys, *gate, opts.security, "worker", to.name, &refused);
      if (!jm) {
        if (refused) return jm.error();
        log().warn("worker '{}': {} (retrying)", to.name, jm.error().message);
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      attempts = 0;
      caf::anon_send(tm, register_atom::value, *jm);
      for (int i = 0; i < 100 && !status->registered && !stop_requested(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return {};
}

// ---- client -------------------------------------------------------------------------------------

struct cluster_client::impl {
  std::unique_ptr<node_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor jm;
};

cluster_client::cluster_client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

cluster_client::~cluster_client() {
  impl_->jm = nullptr;
  impl_->sys.reset();
}

expected<std::unique_ptr<cluster_client>> cluster_client::connect(
    const std::string& host, std::uint16_t port, const cluster_security& security) {
  if (auto ok = check_security(security, "", ""); !ok) return ok.error();
  auto p = std::make_unique<impl>();
  p->cfg = std::make_unique<node_config>(security, 2);
  p->sys = std::make_unique<caf::actor_system>(*p->cfg);
  auto gate = connect_actor(*p->sys, security, host, port);
  if (!gate) return gate.error();
  auto jm = authenticate(*p->sys, *gate, security, "client", "eddy run");
  if (!jm) return jm.error();
  p->jm = *jm;
  return std::unique_ptr<cluster_client>(new cluster_client(std::move(p)));
}

expected<std::string> cluster_client::submit(const std::string& program,
                                             const std::vector<std::string>& args,
                                             const std::string& job_lib,
                                             const std::string& restore_from) {
  job_spec spec;
  spec.program = program;
  spec.args = args;
  spec.restore_from = restore_from;
  std::string lib_bytes;
  if (!job_lib.empty()) {
    std::ifstream in(job_lib, std::ios::binary);
    if (!in) return error{errc::io_error, "cannot read the job library '" + job_lib + "'"};
    std::stringstream ss;
    ss << in.rdbuf();
    lib_bytes = ss.str();
    spec.lib_name = std::filesystem::path(job_lib).filename().string();
  }
  caf::scoped_actor self{*impl_->sys};
  expected<std::string> out = error{errc::runtime_error, "no answer"};
  self->request(impl_->jm, std::chrono::seconds(120), submit_atom::value, to_json(spec), lib_bytes)
      .receive([&](const std::string& id) { out = id; },
               [&](caf::error& e) {
                 out = error{errc::invalid_argument, error_text(*impl_->sys, e)};
               });
  return out;
}

expected<job_result> cluster_client::wait(const std::string& job_id) {
  caf::scoped_actor self{*impl_->sys};
  expected<job_result> out = error{errc::runtime_error, "no answer"};
  self->request(impl_->jm, caf::infinite, wait_atom::value, job_id)
      .receive([&](const std::string& json) { out = job_result_from_json(json); },
               [&](caf::error& e) {
                 out = error{errc::runtime_error, "lost the coordinator while waiting for job " +
                                                      job_id + ": " + error_text(*impl_->sys, e)};
               });
  return out;
}

expected<void> cluster_client::cancel(const std::string& job_id) {
  caf::scoped_actor self{*impl_->sys};
  expected<void> out;
  self->request(impl_->jm, std::chrono::seconds(30), cancel_atom::value, job_id)
      .receive([&](bool) {},
               [&](caf::error& e) {
                 out = error{errc::invalid_argument, error_text(*impl_->sys, e)};
               });
  return out;
}

namespace {
/// A request to the job manager answered with a string.
template <class Timeout, class... Ts>
expected<std::string> ask(caf::actor_system& sys, const caf::actor& jm, Timeout timeout,
                          Ts&&... xs) {
  caf::scoped_actor self{sys};
  expected<std::string> out = error{errc::runtime_error, "no answer"};
  self->request(jm, timeout, std::forward<Ts>(xs)...)
      .receive([&](const std::string& s) { out = s; },
               [&](caf::error& e) {
                 out = error{errc::invalid_argument, error_text(sys, e)};
               });
  return out;
}
}  // namespace

expected<std::string> cluster_client::job_status(const std::string& job_id) {
  return ask(*impl_->sys, impl_->jm, std::chrono::seconds(30), status_atom::value, job_id);
}

expected<std::string> cluster_client::workers() {
  return ask(*impl_->sys, impl_->jm, std::chrono::seconds(30), workers_atom::value);
}

expected<std::string> cluster_client::savepoint(const std::string& job_id, const std::string& dir,
                                                bool stop) {
  return ask(*impl_->sys, impl_->jm, std::chrono::minutes(11), savepoint_atom::value, job_id, dir,
             stop);
}

expected<std::string> cluster_client::rescale(const std::string& job_id, int parallelism,
                                              const std::string& dir) {
  return ask(*impl_->sys, impl_->jm, std::chrono::minutes(11), rescale_atom::value, job_id,
             static_cast<std::int32_t>(parallelism), dir);
}

expected<std::string> cluster_client::list_jobs() {
  caf::scoped_actor self{*impl_->sys};
  expected<std::string> out = error{errc::runtime_error, "no answer"};
  self->request(impl_->jm, std::chrono::seconds(30), list_atom::value)
      .receive([&](const std::string& json) { out = json; },
               [&](caf::error& e) {
                 out = error{errc::runtime_error, error_text(*impl_->sys, e)};
               });
  return out;
}

}  // namespace eddy
