#include <algorithm>
#include <thread>

#include "eddy/operators/datastream.hpp"
#include "eddy/runtime/execution_plan.hpp"
#include "eddy/runtime/log.hpp"

namespace eddy {

StreamEnvironment::StreamEnvironment() : graph_(std::make_shared<job_graph>()) {
  config_.default_parallelism = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

StreamEnvironment::~StreamEnvironment() {
  // A bounded job still running is waited for; an unbounded one (started with execute_async) is
  // canceled, so that shutting the embedded runtime down never waits for ever.
  for (const auto& [h, bounded] : jobs_) {
    if (h.wait_for(std::chrono::milliseconds(0))) continue;
    if (!bounded) {
      log().info("canceling an unbounded job still running when its environment is destroyed");
      h.cancel();
    }
    (void)h.wait();
  }
}

StreamEnvironment& StreamEnvironment::set_parallelism(int p) {
  if (p < 1)
    throw std::invalid_argument("parallelism must be at least 1, got " + std::to_string(p));
  config_.default_parallelism = p;
  return *this;
}
StreamEnvironment& StreamEnvironment::set_max_parallelism(int p) {
  if (p < 1 || p > 32768)
    throw std::invalid_argument("max parallelism must be in [1, 32768], got " + std::to_string(p));
  config_.max_parallelism = p;
  return *this;
}
StreamEnvironment& StreamEnvironment::set_batch_size(std::size_t records) {
  if (records < 1) throw std::invalid_argument("batch size must be at least 1");
  config_.batch_size = records;
  return *this;
}
StreamEnvironment& StreamEnvironment::set_flush_interval(std::chrono::microseconds interval) {
  if (interval.count() < 1) throw std::invalid_argument("flush interval must be positive");
  config_.flush_interval = interval;
  return *this;
}
StreamEnvironment& StreamEnvironment::set_latency_tracking_interval(
    std::chrono::milliseconds interval) {
  if (interval.count() < 0)
    throw std::invalid_argument("latency tracking interval must not be negative");
  config_.latency_interval = interval;
  return *this;
}
StreamEnvironment& StreamEnvironment::set_channel_credits(int credits) {
  if (credits < 1) throw std::invalid_argument("channel credits must be at least 1");
  config_.channel_credits = credits;
  return *this;
}
StreamEnvironment& StreamEnvironment::enable_checkpointing(std::chrono::milliseconds interval,
                                                           checkpointing_mode mode) {
  if (interval.count() <= 0)
    throw std::invalid_argument("the checkpoint interval must be positive");
  config_.checkpoints.interval = interval;
  config_.checkpoints.mode = mode;
  return *this;
}

StreamEnvironment& StreamEnvironment::set_checkpoint_dir(std::string dir) {
  config_.checkpoints.directory = std::move(dir);
  return *this;
}

StreamEnvironment& StreamEnvironment::set_runtime_mode(runtime_mode m) {
  config_.mode = m;
  return *this;
}
StreamEnvironment& StreamEnvironment::disable_operator_chaining() {
  config_.chaining = false;
  return *this;
}
StreamEnvironment& StreamEnvironment::disable_operator_fusion() {
  config_.fusion = false;
  return *this;
}

DataStream<std::string> StreamEnvironment::read_text_file(std::string path) {
  auto& n = graph_->add_node(node_kind::source, "read_text_file");
  // Shared by every attempt of the job: a stream read by a failed attempt is not read again.
  auto progress = std::make_shared<detail::stream_input_progress>();
  n.make_source = [path, progress](operator_base* next) -> std::unique_ptr<source_base> {
    return std::make_unique<text_file_source>(path, detail::as_input<std::string>(next), progress);
  };
  detail::set_output_type<std::string>(n);
  return DataStream<std::string>(this, n.id);
}

local_runtime& StreamEnvironment::runtime() {
  if (!runtime_) runtime_ = std::make_unique<local_runtime>();
  return *runtime_;
}

expected<job_handle> StreamEnvironment::execute_async(const std::string& job_name) {
  auto graph = std::move(graph_);
  graph_ = std::make_shared<job_graph>();
  bool bounded = true;
  for (const auto& n : graph->nodes())
    if (n.kind == node_kind::source && !n.bounded) bounded = false;
  auto h = runtime().submit(std::move(graph), config_, job_name);
  if (h) {
    // Forget jobs that ended, keep the running ones for the destructor.
    std::erase_if(jobs_, [](const auto& j) {
      return j.first.wait_for(std::chrono::milliseconds(0)).has_value();
    });
    jobs_.emplace_back(*h, bounded);
  }
  return h;
}

built_job StreamEnvironment::take_job(const std::string& job_name) {
  built_job b;
  b.graph = std::move(graph_);
  graph_ = std::make_shared<job_graph>();
  b.config = config_;
  b.name = job_name;
  return b;
}

job_result StreamEnvironment::execute(const std::string& job_name) {
  auto h = execute_async(job_name);
  if (!h) throw std::invalid_argument(h.error().message);
  auto r = h->wait();
  if (!r.ok()) throw job_execution_error(std::move(r));
  return r;
}

std::string StreamEnvironment::explain() const {
  auto plan = execution_plan::compile(*graph_, config_);
  if (!plan) return "invalid job graph: " + plan.error().message;
  return plan->describe(*graph_);
}

}  // namespace eddy
