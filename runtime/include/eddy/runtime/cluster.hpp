#pragma once
/// Running Eddy as a cluster: a coordinator, workers, and clients that submit jobs.
///
/// The coordinator runs the job manager, every job's supervisor and checkpoint coordinator, and
/// owns the authoritative checkpoint store under its state directory. Workers register their
/// slots with it, send heartbeats and run the subtasks it assigns. Nodes talk through CAF's
/// middleman (TCP, optionally TLS); batches between subtasks on different nodes are Cap'n Proto
/// messages (batch_codec.hpp). Jobs are job programs (job_program.hpp): every node rebuilds the
/// graph from the program's name and arguments.
///
/// Who calls: the `eddy` binary (`eddy coordinator`, `eddy worker`, `eddy run --cluster`) and
/// tests. run_coordinator / run_worker block the calling thread until `stop_requested` returns
/// true; they leave their actor system running (the process is expected to exit right after:
/// ending a node is the same as losing it, which the cluster survives). CAF stays behind this
/// header.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "eddy/runtime/error.hpp"
#include "eddy/runtime/job_handle.hpp"
#include "eddy/runtime/job_result.hpp"

namespace eddy {

/// How nodes prove they belong to the cluster and protect their traffic.
struct cluster_security {
  /// Shared secret (empty: none). A node must answer the coordinator's challenge with it
  /// (HMAC-SHA256 over a fresh nonce); refused nodes are logged with their address.
  std::string secret;
  /// TLS (caf_openssl): certificate and key of this node and the CA that signed every node's
  /// certificate. All three or none.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  /// Allows listening on a non-loopback address without a secret or TLS.
  bool insecure = false;
  [[nodiscard]] bool tls() const noexcept { return !tls_cert.empty(); }
};

/// Reads a secret file (surrounding whitespace removed). Errors: unreadable or empty file.
[[nodiscard]] expected<std::string> read_secret_file(const std::string& path);

/// The bearer token of the REST API for a cluster secret: lower-case hex of
/// HMAC-SHA256(secret, "eddy rest api"). Requests to a REST server started with a secret carry
/// "Authorization: Bearer TOKEN" (`eddy rest-token --secret-file F` prints it).
[[nodiscard]] std::string rest_api_token(const std::string& secret);

/// Splits "HOST:PORT". Errors name the bad part.
[[nodiscard]] expected<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& s);

struct coordinator_options {
  std::string host = "127.0.0.1";  ///< address to listen on
  std::uint16_t port = 6123;       ///< 0: any free port (reported to on_listening)
  cluster_security security;
  std::string state_dir = "eddy-state";  ///< checkpoints, job libraries, running jobs
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{10000};  ///< a silent worker is lost after this
  std::chrono::milliseconds slot_timeout{60000};       ///< a job waits this long for slots
  int threads = 0;                                     ///< scheduler threads; 0: cores
};

/// Starts a coordinator and blocks until `stop_requested()` is true (polled every 100 ms).
/// `on_listening` gets the port once it accepts connections. Errors, each before anything is
/// created or changed: bad options (e.g. a non-loopback address without secret, TLS or
/// insecure); a port that cannot be opened ("cannot listen on HOST:PORT: address already in
/// use ..."); a state_dir locked by another process ("--state-dir DIR is in use by another eddy
/// process (pid N)"; the lock, STATE_DIR/eddy.lock, is held until the process ends and the OS
/// releases it however the process ends). Jobs still running when it stops are resumed by the
/// next coordinator on the same state_dir.
expected<void> run_coordinator(const coordinator_options& opts,
                               const std::function<bool()>& stop_requested,
                               const std::function<void(std::uint16_t)>& on_listening);

/// What a worker runs, for its own REST API and /metrics (`eddy worker --rest-port`): written
/// by the worker's task manager as it deploys and drops subtasks, read from any thread (every
/// call takes a lock; none blocks otherwise). A job's handle shows only this worker's subtasks
/// as live: the others' counters stay at zero here.
class worker_view {
 public:
  struct job {
    std::string id;                  ///< the coordinator's job id
    job_handle handle;               ///< the worker's copy of the job (plan, live counters)
    std::vector<std::int32_t> sids;  ///< indices into handle.metrics() of this worker's subtasks
  };
  [[nodiscard]] std::vector<job> jobs() const {
    std::lock_guard g(mtx_);
    return jobs_;
  }
  [[nodiscard]] std::string name() const {
    std::lock_guard g(mtx_);
    return name_;
  }
  [[nodiscard]] std::string address() const {
    std::lock_guard g(mtx_);
    return address_;
  }
  [[nodiscard]] int slots() const {
    std::lock_guard g(mtx_);
    return slots_;
  }

  // ---- written by the worker ----
  void set_identity(std::string name, std::string address, int slots) {
    std::lock_guard g(mtx_);
    name_ = std::move(name);
    address_ = std::move(address);
    slots_ = slots;
  }
  /// The job's current deployment on this worker (replaces an earlier one).
  void set_job(const std::string& id, job_handle handle, std::vector<std::int32_t> sids) {
    std::lock_guard g(mtx_);
    for (auto& j : jobs_)
      if (j.id == id) {
        j.handle = std::move(handle);
        j.sids = std::move(sids);
        return;
      }
    jobs_.push_back(job{id, std::move(handle), std::move(sids)});
  }
  void drop_job(const std::string& id) {
    std::lock_guard g(mtx_);
    std::erase_if(jobs_, [&](const job& j) { return j.id == id; });
  }
  void clear() {
    std::lock_guard g(mtx_);
    jobs_.clear();
  }

 private:
  mutable std::mutex mtx_;
  std::string name_, address_;
  int slots_ = 0;
  std::vector<job> jobs_;
};

struct worker_options {
  std::string coordinator_host = "127.0.0.1";
  std::uint16_t coordinator_port = 6123;
  int slots = 1;
  std::string name;                ///< shown in logs; default host:pid
  std::string host = "127.0.0.1";  ///< address other workers reach this one on
  cluster_security security;
  std::string work_dir;  ///< job libraries shipped to this worker; default a temp directory
  std::chrono::milliseconds heartbeat_interval{1000};
  int threads = 0;
  /// If set, kept up to date with what the worker runs (its REST API reads it).
  std::shared_ptr<worker_view> view;
};

/// Starts a worker and blocks until `stop_requested()` is true (it returns within ~100 ms of
/// that, whatever it waits for). It connects (and reconnects, after losing the coordinator)
/// until registered: each attempt gives up after 10 s, and the pause between attempts grows
/// from 0.5 s to 5 s. Something other than a coordinator at the address ("HOST:PORT is not an
/// Eddy coordinator: ...") is logged and retried the same way. Errors: bad options; the
/// coordinator refused it (wrong secret) - then it returns at once.
expected<void> run_worker(const worker_options& opts, const std::function<bool()>& stop_requested);

/// A connection to a coordinator for submitting and watching jobs.
class cluster_client {
 public:
  /// Connects and authenticates (role "client"), giving up after `timeout`. Errors:
  /// errc::io_error: nothing answers at host:port, or the coordinator did not answer in time
  /// (trying again later makes sense); errc::invalid_argument: something that is not an Eddy
  /// coordinator listens there ("HOST:PORT is not an Eddy coordinator: ..."), or the
  /// coordinator refused this client (wrong secret).
  static expected<std::unique_ptr<cluster_client>> connect(
      const std::string& host, std::uint16_t port, const cluster_security& security,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~cluster_client();
  cluster_client(const cluster_client&) = delete;
  cluster_client& operator=(const cluster_client&) = delete;

  /// Submits program `program` with `args`; `job_lib`: path of a job library to ship (empty:
  /// a program of the eddy binary). Returns the job id. Errors: the coordinator's message
  /// (unknown program, bad arguments, a job of that name already running).
  [[nodiscard]] expected<std::string> submit(const std::string& program,
                                             const std::vector<std::string>& args,
                                             const std::string& job_lib = {},
                                             const std::string& restore_from = {});
  /// Blocks until the job ended and returns its result. Meanwhile it reports through the notice
  /// handler that the job waits for slots, with the reason ("job ID waits for 4 slots (2 free
  /// on 1 worker); it fails after --slot-timeout 60 s"), and that it got them.
  [[nodiscard]] expected<job_result> wait(const std::string& job_id);
  /// Where wait() reports; default: the log (warn).
  void on_notice(std::function<void(const std::string&)> handler);
  [[nodiscard]] expected<void> cancel(const std::string& job_id);
  /// The coordinator's jobs as JSON: [{"id", "name", "state" (Flink's names), "uptime_ms",
  /// "parallelism", "records_in", "records_out", "restarts", "last_checkpoint"}...], and while
  /// a job waits for slots "waiting": {"slots", "free", "workers", "waited_ms",
  /// "slot_timeout_ms", "reason"} ("waits for 4 slots (2 free on 1 worker); it fails after
  /// --slot-timeout 60 s").
  [[nodiscard]] expected<std::string> list_jobs();
  /// One job as JSON: the list's fields plus "program", "args", "job_library",
  /// "restored_from", "subtasks" [{"task", "index", "records_in", "records_out",
  /// "backpressure_ns", "watermark"}], "checkpoints" [{"id", "timestamp_ms", "duration_ms",
  /// "bytes", "savepoint_path"}], "aborted_checkpoints", and "failure" / "savepoint_path" once
  /// it ended. Errors: unknown job id.
  [[nodiscard]] expected<std::string> job_status(const std::string& job_id);
  /// The workers as JSON: [{"id", "name", "address", "slots", "used", "free",
  /// "heartbeat_ms_ago"}...].
  [[nodiscard]] expected<std::string> workers();
  /// Takes a savepoint of a running job into `dir` on the coordinator (empty: STATE_DIR/
  /// savepoints); `stop`: the job then stops (Flink's stop-with-savepoint); `drain` (with
  /// `stop`): event time first advances to the end, so every window fires (job_handle's
  /// stop_with_savepoint). Returns its path.
  [[nodiscard]] expected<std::string> savepoint(const std::string& job_id, const std::string& dir,
                                                bool stop, bool drain = false);
  /// Sends `text` on control channel `channel` of a job (job_handle::send_control, held by the
  /// coordinator); returns its sequence number. Errors (one line): unknown job id, the job is
  /// not running yet or has ended, it has no such channel, the channel has ended.
  [[nodiscard]] expected<std::uint64_t> send_control(const std::string& job_id,
                                                     const std::string& channel,
                                                     const std::string& text);
  /// The messages sent on a job's control channel as JSON: [{"seq", "text"}...], oldest first.
  /// Errors: unknown job id, no such channel.
  [[nodiscard]] expected<std::string> control_messages(const std::string& job_id,
                                                       const std::string& channel);
  /// Stops the job with a savepoint and resumes it from there with "-p parallelism" in its
  /// arguments. Returns the new job's id.
  [[nodiscard]] expected<std::string> rescale(const std::string& job_id, int parallelism,
                                              const std::string& dir = {});

 private:
  struct impl;
  explicit cluster_client(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace eddy
