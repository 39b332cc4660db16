// Cluster nodes: the coordinator and worker processes and the client (see cluster.hpp).
#include "eddy/runtime/cluster.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "cluster_messages.hpp"
#include "dir_lock.hpp"
#include "eddy/runtime/log.hpp"
#include "job_manager.hpp"
#include "job_spec.hpp"
#include "node_probe.hpp"
#include "task_manager.hpp"
#include "tls_error_queue.hpp"

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
      if (!detail::tls_error_queue_fix_active())
        log().warn(
            "TLS: OpenSSL's I/O functions do not resolve to Eddy's error-queue fix "
            "(tls_error_queue.hpp); connections may drop when another one closes");
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
    // Announced in CAF's handshake: node_probe.cpp tells Eddy nodes from other servers by it, and
    // CAF refuses peers without it.
    set("middleman.app-identifiers", std::vector<std::string>{app_identifier});
  }
};

using clock_type = std::chrono::steady_clock;

std::string address_text(const std::string& host, std::uint16_t port) {
  return host + ":" + std::to_string(port);
}

/// Time left until `deadline`, at least `floor` (CAF requests need a positive timeout).
std::chrono::milliseconds left_until(
    clock_type::time_point deadline,
    std::chrono::milliseconds floor = std::chrono::milliseconds(100)) {
  return std::max(
      floor, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()));
}

/// Runs `f` on a thread of its own, polling `stop` every 100 ms while it runs. `f` must end by
/// itself (its blocking calls carry deadlines). Returns nullopt when `stop` turned true first:
/// then the thread is left to end on its own (the process is about to exit), so `f` must not
/// refer to the caller's locals.
template <class T>
std::optional<T> run_interruptible(std::function<T()> f, const std::function<bool()>& stop) {
  if (!stop) return f();
  auto task = std::make_shared<std::packaged_task<T()>>(std::move(f));
  auto result = task->get_future();
  std::thread runner([task] { (*task)(); });
  while (result.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    if (stop()) {
      runner.detach();
      return std::nullopt;
    }
  }
  runner.join();
  return result.get();
}

/// Whether host:port can be listened on, checked before anything is created (run_coordinator):
/// binds a socket there the way CAF's publish does (SO_REUSEADDR) and closes it again.
expected<void> check_listen_address(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const auto where = address_text(host, port);
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    return error{errc::invalid_argument,
                 "cannot listen on " + where + ": cannot resolve the host: " + ::gai_strerror(rc)};
  int err = 0;
  for (auto* a = found; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const bool ok = ::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 1) == 0;
    err = ok ? 0 : errno;
    ::close(fd);
    if (ok) break;
  }
  ::freeaddrinfo(found);
  if (err == EADDRINUSE)
    return error{errc::io_error, "cannot listen on " + where +
                                     ": address already in use (another coordinator or another "
                                     "program listens there; choose another --listen port)"};
  if (err != 0)
    return error{errc::io_error, "cannot listen on " + where + ": " + std::strerror(err)};
  return {};
}

/// Connects to the actor an Eddy node of kind `kind` publishes at host:port, by `deadline`
/// (CAF's own remote_actor would wait forever for a peer that does not answer; node_probe.hpp).
expected<caf::actor> connect_actor(caf::actor_system& sys, const cluster_security& sec,
                                   const std::string& host, std::uint16_t port,
                                   const std::string& kind, clock_type::time_point deadline) {
  if (auto ok = probe_eddy_node(host, port, kind, sec.tls(), deadline); !ok) return ok.error();
  const auto where = address_text(host, port);
  auto mm = sec.tls() ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
  caf::scoped_actor self{sys};
  expected<caf::actor> out = error{errc::runtime_error, "no answer"};
  self->request(mm, left_until(deadline), caf::connect_atom::value, host, port)
      .receive(
          [&](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
            if (ptr)
              out = caf::actor_cast<caf::actor>(std::move(ptr));
            else
              out = error{errc::invalid_argument,
                          where + " is not an Eddy " + kind + ": nothing is published there"};
          },
          [&](caf::error& e) {
            if (e == caf::sec::request_timeout)
              out = error{errc::invalid_argument,
                          where + " is not an Eddy " + kind + ": no " + (sec.tls() ? "TLS " : "") +
                              "handshake within the deadline" +
                              (sec.tls() ? " (is it an Eddy " + kind + " using TLS?)" : "")};
            else
              out = error{errc::io_error,
                          "cannot reach the " + kind + " at " + where + ": " + error_text(sys, e)};
          });
  return out;
}

/// Passes the gate: returns the job manager. `refused` is set when the coordinator said no
/// (as opposed to not answering). Each request gives up at `deadline` (at least 1 s).
expected<caf::actor> authenticate(caf::actor_system& sys, const caf::actor& gate,
                                  const cluster_security& sec, const std::string& role,
                                  const std::string& name, const std::string& where,
                                  clock_type::time_point deadline, bool* refused = nullptr) {
  caf::scoped_actor self{sys};
  std::string nonce;
  std::optional<error> err;
  const auto floor = std::chrono::milliseconds(1000);
  self->request(gate, left_until(deadline, floor), hello_atom::value)
      .receive([&](const std::string& n) { nonce = n; },
               [&](caf::error& e) {
                 if (e == caf::sec::unexpected_message)
                   err = error{errc::invalid_argument,
                               where +
                                   " is not an Eddy coordinator: the Eddy node there does "
                                   "not take clients (a worker?)"};
                 else
                   err = error{errc::io_error, "the coordinator at " + where +
                                                   " did not answer: " + error_text(sys, e)};
               });
  if (err) return *err;
  const std::string proof =
      nonce.empty() || sec.secret.empty() ? std::string() : gate_proof(sec.secret, nonce, role);
  caf::actor jm;
  self->request(gate, left_until(deadline, floor), auth_atom::value, role, name, proof)
      .receive([&](const caf::actor& a) { jm = a; },
               [&](caf::error& e) {
                 if (e == caf::sec::request_timeout) {
                   err = error{errc::io_error, "the coordinator at " + where +
                                                   " did not answer: " + error_text(sys, e)};
                   return;
                 }
                 if (refused) *refused = true;
                 err = error{errc::invalid_argument, error_text(sys, e)};
               });
  if (err) return *err;
  return jm;
}

/// Connects to the coordinator and passes its gate, by `deadline`.
expected<caf::actor> reach_coordinator(caf::actor_system& sys, const cluster_security& sec,
                                       const std::string& host, std::uint16_t port,
                                       const std::string& role, const std::string& name,
                                       clock_type::time_point deadline, bool* refused = nullptr) {
  auto gate = connect_actor(sys, sec, host, port, "coordinator", deadline);
  if (!gate) return gate.error();
  return authenticate(sys, *gate, sec, role, name, address_text(host, port), deadline, refused);
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
  // A busy port is reported before anything is created; a state directory in use by another
  // process before anything in it is touched.
  if (opts.port != 0)
    if (auto ok = check_listen_address(opts.host, opts.port); !ok) return ok.error();
  std::error_code ec;
  std::filesystem::create_directories(opts.state_dir, ec);
  if (ec)
    return error{errc::io_error,
                 "cannot create the state directory '" + opts.state_dir + "': " + ec.message()};
  auto lock = dir_lock::acquire(opts.state_dir, "--state-dir " + opts.state_dir);
  if (!lock) return lock.error();
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
  if (!port) {
    caf::anon_send_exit(jm, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    return error{errc::io_error, "cannot listen on " + address_text(opts.host, opts.port) + ": " +
                                     sys->render(port.error())};
  }
  log().info("coordinator listening on {}:{} (state in {}, {}{})", opts.host, *port, opts.state_dir,
             opts.security.secret.empty() ? "no secret" : "secret required",
             opts.security.tls() ? ", TLS" : "");
  if (on_listening) on_listening(*port);
  while (!stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Leaked with the actor system: the state directory stays locked while its actors run, i.e.
  // until the process ends.
  [[maybe_unused]] auto* kept = new std::shared_ptr<dir_lock>(std::move(*lock));
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
  to.view = opts.view;
  auto status = std::make_shared<task_manager_status>();
  auto tm = spawn_task_manager(*sys, to, status);
  // Other workers connect here directly when they send this one batches.
  auto port = opts.security.tls() ? caf::openssl::publish(tm, 0, opts.host.c_str(), true)
                                  : sys->middleman().publish(tm, 0, opts.host.c_str(), true);
  if (!port)
    return error{errc::io_error,
                 "worker cannot listen on " + opts.host + ": " + sys->render(port.error())};
  caf::anon_send(tm, peers_atom::value, opts.host + ":" + std::to_string(*port));
  if (opts.view)
    opts.view->set_identity(to.name, opts.host + ":" + std::to_string(*port), opts.slots);
  // Waits `d`, or less when stopped.
  auto pause = [&](std::chrono::milliseconds d) {
    const auto until = clock_type::now() + d;
    while (clock_type::now() < until && !stop_requested())
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  };
  const auto where = address_text(opts.coordinator_host, opts.coordinator_port);
  constexpr std::chrono::milliseconds first_backoff{500}, max_backoff{5000};
  auto backoff = first_backoff;
  std::string last_error;
  int failures = 0;
  while (!stop_requested()) {
    if (!status->registered) {
      // Connecting runs on a thread of its own (with a deadline) so that a stop request is
      // seen at once, whatever the other side does.
      auto refused = std::make_shared<bool>(false);
      auto attempt = run_interruptible<expected<caf::actor>>(
          [sys, sec = opts.security, host = opts.coordinator_host, port = opts.coordinator_port,
           name = to.name, refused] {
            return reach_coordinator(*sys, sec, host, port, "worker", name,
                                     clock_type::now() + std::chrono::seconds(10), refused.get());
          },
          stop_requested);
      if (!attempt) break;  // stopped
      if (!*attempt) {
        if (*refused) return attempt->error();
        const auto& msg = attempt->error().message;
        if (msg != last_error || failures % 10 == 0)
          log().warn("worker '{}': {} (trying again in {} ms, then at most every {} s)", to.name,
                     msg, backoff.count(), max_backoff.count() / 1000);
        last_error = msg;
        ++failures;
        pause(backoff);
        backoff = std::min(backoff * 2, max_backoff);
        continue;
      }
      if (failures > 0) log().info("worker '{}': reached the coordinator at {}", to.name, where);
      failures = 0;
      last_error.clear();
      backoff = first_backoff;
      caf::anon_send(tm, register_atom::value, **attempt);
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
  std::function<void(const std::string&)> on_notice;
};

cluster_client::cluster_client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

cluster_client::~cluster_client() {
  impl_->jm = nullptr;
  impl_->sys.reset();
}

expected<std::unique_ptr<cluster_client>> cluster_client::connect(
    const std::string& host, std::uint16_t port, const cluster_security& security,
    std::chrono::milliseconds timeout) {
  if (auto ok = check_security(security, "", ""); !ok) return ok.error();
  auto p = std::make_unique<impl>();
  p->cfg = std::make_unique<node_config>(security, 2);
  p->sys = std::make_unique<caf::actor_system>(*p->cfg);
  auto jm = reach_coordinator(*p->sys, security, host, port, "client", "eddy run",
                              clock_type::now() + std::max(timeout, std::chrono::milliseconds(1)));
  if (!jm) return jm.error();
  p->jm = *jm;
  return std::unique_ptr<cluster_client>(new cluster_client(std::move(p)));
}

void cluster_client::on_notice(std::function<void(const std::string&)> handler) {
  impl_->on_notice = std::move(handler);
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

namespace {

/// While a client waits for a job: asks the coordinator for the job's status every second and
/// reports, once each, that the job waits for slots (and why) and that it got them.
class slot_watch {
 public:
  slot_watch(caf::actor_system& sys, caf::actor jm, std::string job_id,
             std::function<void(const std::string&)> notice)
      : thread_([this, &sys, jm = std::move(jm), job_id = std::move(job_id),
                 notice = std::move(notice)] { run(sys, jm, job_id, notice); }) {}
  ~slot_watch() {
    {
      std::lock_guard g(mtx_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  slot_watch(const slot_watch&) = delete;
  slot_watch& operator=(const slot_watch&) = delete;

 private:
  void run(caf::actor_system& sys, const caf::actor& jm, const std::string& job_id,
           const std::function<void(const std::string&)>& notice) {
    std::string reported;  // the reason last reported; empty: not waiting
    auto poll = std::chrono::milliseconds(300);
    for (;;) {
      {
        std::unique_lock g(mtx_);
        if (cv_.wait_for(g, poll, [&] { return done_; })) return;
      }
      poll = std::chrono::milliseconds(1000);
      auto status = ask_status(sys, jm, job_id);
      if (!status) continue;
      const auto waiting = status->find("waiting");
      if (waiting != status->end() && waiting->is_object()) {
        const auto reason = waiting->value("reason", std::string());
        // The free slots change as workers come and go: report the reason when it changes.
        if (!reason.empty() && reason != reported) notice("job " + job_id + " " + reason);
        reported = reason;
      } else if (!reported.empty()) {
        notice("job " + job_id + " got its slots");
        reported.clear();
      }
    }
  }

  static std::optional<nlohmann::json> ask_status(caf::actor_system& sys, const caf::actor& jm,
                                                  const std::string& job_id) {
    caf::scoped_actor self{sys};
    std::optional<nlohmann::json> out;
    self->request(jm, std::chrono::seconds(5), status_atom::value, job_id)
        .receive(
            [&](const std::string& json) {
              auto j = nlohmann::json::parse(json, nullptr, false);
              if (!j.is_discarded()) out = std::move(j);
            },
            [&](caf::error&) {});
    return out;
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace

expected<job_result> cluster_client::wait(const std::string& job_id) {
  auto notice =
      impl_->on_notice ? impl_->on_notice : [](const std::string& text) { log().warn("{}", text); };
  slot_watch watch(*impl_->sys, impl_->jm, job_id, notice);
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
                                                bool stop, bool drain) {
  return ask(*impl_->sys, impl_->jm, std::chrono::minutes(11), savepoint_atom::value, job_id, dir,
             stop, drain);
}

expected<std::string> cluster_client::rescale(const std::string& job_id, int parallelism,
                                              const std::string& dir) {
  return ask(*impl_->sys, impl_->jm, std::chrono::minutes(11), rescale_atom::value, job_id,
             static_cast<std::int32_t>(parallelism), dir);
}

expected<std::uint64_t> cluster_client::send_control(const std::string& job_id,
                                                     const std::string& channel,
                                                     const std::string& text) {
  caf::scoped_actor self{*impl_->sys};
  expected<std::uint64_t> out = error{errc::runtime_error, "no answer"};
  self->request(impl_->jm, std::chrono::seconds(30), control_atom::value, job_id, channel, text)
      .receive([&](std::uint64_t seq) { out = seq; },
               [&](caf::error& e) {
                 out = error{errc::invalid_argument, error_text(*impl_->sys, e)};
               });
  return out;
}

expected<std::string> cluster_client::control_messages(const std::string& job_id,
                                                       const std::string& channel) {
  return ask(*impl_->sys, impl_->jm, std::chrono::seconds(30), ctllog_atom::value, job_id, channel);
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
