#pragma once
/// StreamEnvironment: where a job is built and executed (Flink's StreamExecutionEnvironment).
///
/// Build a graph with the source functions, transform the returned DataStreams, add sinks, then
/// call execute(). Not thread-safe: build and execute a job from one thread. The environment owns
/// an embedded runtime (an actor system, created on first execute and kept for later jobs); its
/// destructor waits for bounded jobs still running and cancels unbounded ones. Include
/// <eddy/operators/datastream.hpp> to get the template member definitions.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "eddy/operators/connector.hpp"
#include "eddy/runtime/execution_config.hpp"
#include "eddy/runtime/job_graph.hpp"
#include "eddy/runtime/job_handle.hpp"
#include "eddy/runtime/job_program.hpp"
#include "eddy/runtime/local_runtime.hpp"
#include "eddy/runtime/source.hpp"

namespace eddy {

template <class T>
class DataStream;
template <class T, class TsFn>
class WatermarkStrategy;

/// Thrown by StreamEnvironment::execute when the job failed or was canceled; carries the result
/// (with the error naming the failed operator and subtask).
class job_execution_error : public std::runtime_error {
 public:
  explicit job_execution_error(job_result r)
      : std::runtime_error(r.failure ? r.failure->message : std::string("job failed")),
        result(std::move(r)) {}
  job_result result;
};

class StreamEnvironment {
 public:
  StreamEnvironment();
  ~StreamEnvironment();
  StreamEnvironment(const StreamEnvironment&) = delete;
  StreamEnvironment& operator=(const StreamEnvironment&) = delete;

  // ---- configuration (applies to jobs executed afterwards) ----
  /// Default parallelism of operators without set_parallelism (default: number of cores).
  StreamEnvironment& set_parallelism(int p);
  [[nodiscard]] int parallelism() const noexcept { return config_.default_parallelism; }
  StreamEnvironment& set_max_parallelism(int p);
  StreamEnvironment& set_batch_size(std::size_t records);
  StreamEnvironment& set_flush_interval(std::chrono::microseconds interval);
  StreamEnvironment& set_channel_credits(int credits);
  /// Latency markers every `interval` from each source subtask, measured at the sinks (Flink's
  /// setLatencyTrackingInterval, `metrics.latency.interval`; latency_histogram.hpp). 0: off.
  StreamEnvironment& set_latency_tracking_interval(std::chrono::milliseconds interval);
  StreamEnvironment& set_runtime_mode(runtime_mode m);
  StreamEnvironment& disable_operator_chaining();
  /// Runs every operator on its own, even per-record stateless ones that could be fused into
  /// one loop (fusion.hpp); for comparisons and debugging (results are the same).
  StreamEnvironment& disable_operator_fusion();
  /// Checkpoints every `interval` (Flink's enableCheckpointing); the rest of
  /// config().checkpoints (timeout, pauses, retained) keeps its values. See fault-tolerance.md.
  StreamEnvironment& enable_checkpointing(
      std::chrono::milliseconds interval,
      checkpointing_mode mode = checkpointing_mode::exactly_once);
  /// The LMDB checkpoint store directory (created if missing).
  StreamEnvironment& set_checkpoint_dir(std::string dir);
  [[nodiscard]] execution_config& config() noexcept { return config_; }

  // ---- sources ----
  /// The elements of `data`, split over the source's subtasks (in order at parallelism 1).
  template <class T>
  DataStream<T> from_collection(std::vector<T> data);
  template <class T>
  DataStream<T> from_collection(std::initializer_list<T> data) {
    return from_collection(std::vector<T>(data));
  }
  /// fn(i) for i in [0, count); `count == eddy::unbounded` never ends.
  template <class F>
  auto from_generator(std::uint64_t count, F fn);
  /// The lines of a text file (see text_file_source). A missing file fails the job.
  DataStream<std::string> read_text_file(std::string path);
  /// A connector's source (connector.hpp), e.g. Kafka; `name` (default: the source's) names the
  /// operator.
  template <class T>
  DataStream<T> from_source(const Source<T>& source, std::string name = {});
  /// The same with event time: timestamps and watermarks from `strategy` (which needs a
  /// timestamp assigner), generated per source subtask.
  template <class T, class F>
  DataStream<T> from_source(const Source<T>& source, const WatermarkStrategy<T, F>& strategy,
                            std::string name = {});
  /// A user-defined source; `factory` creates one source_function per subtask.
  template <class T>
  DataStream<T> add_source(
      std::function<std::unique_ptr<source_function<T>>(const subtask_info&)> factory,
      std::string name = "source", bool bounded = true);

  // ---- execution ----
  /// Runs the job built so far and blocks until it ends. Returns the result of a finished job;
  /// throws job_execution_error if it failed or was canceled, and std::invalid_argument if the
  /// graph is invalid. The environment is empty afterwards, ready for the next job.
  job_result execute(const std::string& job_name = "eddy job");
  /// Starts the job and returns at once (Flink's executeAsync). Errors: an invalid graph.
  [[nodiscard]] expected<job_handle> execute_async(const std::string& job_name = "eddy job");
  /// The execution plan (chains, parallelism, partitioning) the current graph compiles to.
  [[nodiscard]] std::string explain() const;

  /// The embedded runtime (created on first use).
  local_runtime& runtime();
  /// The graph being built (for the API's templates and tests).
  [[nodiscard]] job_graph& graph() noexcept { return *graph_; }
  /// Hands out the graph built so far and starts a new one: a job program's result
  /// (job_program.hpp), which a cluster runs instead of execute().
  [[nodiscard]] built_job take_job(const std::string& job_name);

 private:
  execution_config config_;
  std::shared_ptr<job_graph> graph_;
  /// Started jobs and whether they are bounded: the destructor waits for bounded ones and
  /// cancels unbounded ones.
  std::vector<std::pair<job_handle, bool>> jobs_;
  std::unique_ptr<local_runtime> runtime_;
};

}  // namespace eddy
