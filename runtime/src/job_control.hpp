#pragma once
// Internal: the state shared between a running job's actors and its job_handle(s).
// Metrics are relaxed atomics written by one subtask actor each and read by any thread.
#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "control_log.hpp"
#include "eddy/runtime/checkpoint_store.hpp"
#include "eddy/runtime/execution_config.hpp"
#include "eddy/runtime/execution_plan.hpp"
#include "eddy/runtime/job_graph.hpp"
#include "eddy/runtime/job_result.hpp"
#include "eddy/runtime/log.hpp"

namespace eddy::detail {

struct restore_set;

/// A savepoint request in flight: fulfilled once by the checkpoint coordinator (or, if nobody
/// did, with an error when the last reference goes). Thread-safe.
class savepoint_request {
 public:
  savepoint_request(std::string dir, bool stop, bool drain = false)
      : dir(std::move(dir)), stop(stop), drain(stop && drain) {}
  ~savepoint_request() {
    fulfil(error{errc::job_failed, "the job ended before the savepoint completed"});
  }
  const std::string dir;
  const bool stop;
  /// Stop --drain: event time advances to the end before the savepoint (every window fires).
  const bool drain;
  void fulfil(expected<std::string> r) {
    {
      std::lock_guard g(mtx_);
      if (result_) return;
      result_.emplace(std::move(r));
    }
    cv_.notify_all();
  }
  /// The result, or nullopt after `timeout`.
  std::optional<expected<std::string>> wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock g(mtx_);
    if (!cv_.wait_for(g, timeout, [&] { return result_.has_value(); })) return std::nullopt;
    return *result_;
  }

 private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::optional<expected<std::string>> result_;
};

struct live_subtask_metrics {
  std::string task;
  int index = 0;
  int credits_per_channel = 0;
  std::atomic<std::uint64_t> records_in{0};
  std::atomic<std::uint64_t> records_out{0};
  std::atomic<std::uint64_t> batches_in{0};
  std::atomic<std::uint64_t> batches_out{0};
  std::atomic<std::uint64_t> backpressure_ns{0};
  std::atomic<std::uint64_t> backpressure_events{0};
  std::atomic<std::uint64_t> max_queued_batches{0};
  std::atomic<std::uint64_t> max_in_flight_batches{0};
  std::atomic<std::uint64_t> remote_bytes_out{0};
  std::atomic<std::int64_t> watermark{INT64_MIN};
  std::atomic<std::uint64_t> input_read{0};
  std::atomic<std::uint64_t> input_size{0};
  std::atomic<std::uint64_t> source_records{0};
  std::atomic<std::uint64_t> tail_records_in{0};
  std::atomic<std::uint64_t> dead_letters{0};
  std::atomic<std::uint64_t> source_lag{no_lag};  ///< no_lag: the source reports none
  static constexpr std::uint64_t no_lag = UINT64_MAX;
  std::atomic<int> state{static_cast<int>(job_state::created)};  ///< a job_state
  /// Latencies of the markers a sink subtask received (latency_histogram.hpp); written by the
  /// subtask's actor only.
  std::array<std::atomic<std::uint64_t>, latency_buckets::count> latency_counts{};
  std::atomic<std::uint64_t> latency_sum_ns{0};
  std::atomic<bool> has_latency{false};

  /// Records one marker's latency (the subtask's actor).
  void record_latency(std::int64_t ns) noexcept;
  [[nodiscard]] subtask_metrics snapshot() const;
  /// The counters as numbers, for a message from another node (see unpack): `packed_size`
  /// numbers, then the latency histogram's non-empty buckets (a count k, the sum, k pairs of
  /// bucket and count).
  void pack(std::vector<std::uint64_t>& out) const;
  /// Sets the counters from what pack wrote at `in` (`avail` numbers there); returns how many
  /// numbers it read, 0 if they are not a packed subtask (nothing set then).
  std::size_t unpack(const std::uint64_t* in, std::size_t avail);
  static constexpr std::size_t packed_size = 17;
};

class job_control {
 public:
  job_control(std::string name, std::size_t subtasks, std::size_t channels);

  const std::string name;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<live_subtask_metrics>> subtasks;
  std::atomic<job_state> state{job_state::created};
  /// Per channel: batches sent and not yet processed by the receiver (sender increments,
  /// receiver decrements after processing). Checks the credit bound independently.
  std::unique_ptr<std::atomic<int>[]> channel_in_flight;

  /// Installed by the runtime; sends a cancel request to the job's supervisor.
  void set_canceler(std::function<void()> fn);
  void cancel();
  /// Installed by the runtime; hands a savepoint request to the job's supervisor.
  void set_savepointer(std::function<void(std::shared_ptr<savepoint_request>)> fn);
  /// Installed by the runtime; asks the supervisor to kill the actor of global subtask `sid`.
  void set_killer(std::function<void(int)> fn);
  bool kill(int sid);
  /// Passes `req` on; fails it at once if the job has ended.
  void request_savepoint(const std::shared_ptr<savepoint_request>& req);
  /// Checkpoint bookkeeping (called by the coordinator and the supervisor).
  /// Keeps the per-subtask details of the newest kept_checkpoint_details checkpoints only.
  void checkpoint_completed(checkpoint_stats s) {
    std::lock_guard g(mtx_);
    checkpoints_.push_back(std::move(s));
    if (checkpoints_.size() > kept_checkpoint_details)
      std::vector<subtask_checkpoint_stats>().swap(
          checkpoints_[checkpoints_.size() - kept_checkpoint_details - 1].subtasks);
  }
  void checkpoint_aborted() { aborted_checkpoints_.fetch_add(1, std::memory_order_relaxed); }
  [[nodiscard]] std::vector<checkpoint_stats> checkpoints() const {
    std::lock_guard g(mtx_);
    return checkpoints_;
  }
  [[nodiscard]] std::uint64_t aborted_checkpoints() const {
    return aborted_checkpoints_.load(std::memory_order_relaxed);
  }
  std::atomic<int> restarts{0};
  std::atomic<std::uint64_t> restored_checkpoint{0};
  /// Records a failure of an attempt (Flink's exception history; called by the supervisor); the
  /// newest 32 are kept.
  void record_exception(std::string message);
  [[nodiscard]] std::vector<job_exception> exceptions() const {
    std::lock_guard g(mtx_);
    return exceptions_;
  }
  /// execution_plan::to_json of the job; set by make_job_context before any other thread sees
  /// the job, read-only afterwards.
  std::string plan_json;
  /// The job's id: NAME-N (N counting the jobs of this process) for embedded jobs, the
  /// coordinator's id in a cluster. In its log lines ("[job ID]", log.hpp) and the REST API.
  /// Set before any other thread sees the job, read-only afterwards.
  std::string id;

  /// The messages of the job's control channels (control_log.hpp), for the job's lifetime. In
  /// memory; the job manager replaces it by a file-backed log before the job starts (before any
  /// other thread sees the job), fixed afterwards.
  std::shared_ptr<control_log> channels = std::make_shared<control_log>();
  /// Sends `text` on control channel `channel`; its sequence number. Errors (naming the job by
  /// `name`, or `display_id` if given): the job is not running yet or has ended, it has no such
  /// channel, the channel has ended.
  [[nodiscard]] expected<std::uint64_t> send_control(const std::string& channel, std::string text,
                                                     const std::string& display_id = {});

  /// Called once by the supervisor when every subtask actor has ended.
  void complete(job_result r);
  job_result wait();
  std::optional<job_result> wait_for(std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mtx_;
  std::vector<checkpoint_stats> checkpoints_;
  std::vector<job_exception> exceptions_;
  std::atomic<std::uint64_t> aborted_checkpoints_{0};
  std::condition_variable cv_;
  std::optional<job_result> result_;
  std::function<void()> canceler_;
  std::function<void(std::shared_ptr<savepoint_request>)> savepointer_;
  std::function<void(int)> killer_;
};

/// Everything a job's actors share, read-only after submission (except `control`).
struct job_context {
  std::string name;
  std::shared_ptr<const job_graph> graph;
  execution_plan plan;
  execution_config config;
  std::shared_ptr<job_control> control;
  /// The checkpoint store (null when checkpoints are off and nothing is restored).
  std::shared_ptr<checkpoint_store> store;
  /// The state the first deployment restores (null: none).
  std::shared_ptr<const restore_set> initial_restore;
};

/// Compiles `graph`, opens the checkpoint store (if checkpoints are on) and loads the state to
/// restore (if `cfg.restore_from` is set). Errors: an invalid graph, a store that cannot be
/// opened, nothing to restore from.
[[nodiscard]] expected<std::shared_ptr<job_context>> make_job_context(
    std::shared_ptr<const job_graph> graph, const execution_config& cfg,
    const std::string& job_name);

/// Logs at `level` on behalf of `job`: the line carries its id ("[job ID]", log.hpp).
template <class... Args>
void job_log(const job_context& job, spdlog::level::level_enum level,
             spdlog::format_string_t<Args...> fmt, Args&&... args) {
  const log_job_scope scope(job.control->id);
  log().log(level, fmt, std::forward<Args>(args)...);
}

}  // namespace eddy::detail
