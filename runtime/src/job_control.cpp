#include "job_control.hpp"

#include <iterator>

#include "eddy/runtime/job_handle.hpp"
#include "stack_sampler.hpp"

namespace eddy::detail {

subtask_metrics live_subtask_metrics::snapshot() const {
  subtask_metrics m;
  m.task = task;
  m.index = index;
  m.credits_per_channel = credits_per_channel;
  m.records_in = records_in.load(std::memory_order_relaxed);
  m.records_out = records_out.load(std::memory_order_relaxed);
  m.batches_in = batches_in.load(std::memory_order_relaxed);
  m.batches_out = batches_out.load(std::memory_order_relaxed);
  m.backpressure_ns = backpressure_ns.load(std::memory_order_relaxed);
  m.backpressure_events = backpressure_events.load(std::memory_order_relaxed);
  m.max_queued_batches = max_queued_batches.load(std::memory_order_relaxed);
  m.max_in_flight_batches = max_in_flight_batches.load(std::memory_order_relaxed);
  m.remote_bytes_out = remote_bytes_out.load(std::memory_order_relaxed);
  m.watermark = watermark.load(std::memory_order_relaxed);
  m.state = static_cast<job_state>(state.load(std::memory_order_relaxed));
  m.input_read = input_read.load(std::memory_order_relaxed);
  m.input_size = input_size.load(std::memory_order_relaxed);
  m.source_records = source_records.load(std::memory_order_relaxed);
  m.tail_records_in = tail_records_in.load(std::memory_order_relaxed);
  m.dead_letters = dead_letters.load(std::memory_order_relaxed);
  if (const auto lag = source_lag.load(std::memory_order_relaxed); lag != no_lag)
    m.source_lag = lag;
  if (has_latency.load(std::memory_order_acquire)) {
    m.latency.counts.resize(latency_counts.size());
    for (std::size_t i = 0; i < latency_counts.size(); ++i)
      m.latency.counts[i] = latency_counts[i].load(std::memory_order_relaxed);
    m.latency.sum_ns = latency_sum_ns.load(std::memory_order_relaxed);
  }
  return m;
}

void live_subtask_metrics::record_latency(std::int64_t ns) noexcept {
  constexpr auto r = std::memory_order_relaxed;
  latency_counts[static_cast<std::size_t>(latency_buckets::index_of(ns))].fetch_add(1, r);
  latency_sum_ns.fetch_add(static_cast<std::uint64_t>(ns < 0 ? 0 : ns), r);
  if (!has_latency.load(r)) has_latency.store(true, std::memory_order_release);
}

void live_subtask_metrics::pack(std::vector<std::uint64_t>& out) const {
  const auto m = snapshot();
  const std::uint64_t packed[] = {m.records_in,
                                  m.records_out,
                                  m.batches_in,
                                  m.batches_out,
                                  m.backpressure_ns,
                                  m.backpressure_events,
                                  m.max_queued_batches,
                                  m.max_in_flight_batches,
                                  m.remote_bytes_out,
                                  static_cast<std::uint64_t>(m.watermark),
                                  static_cast<std::uint64_t>(m.state),
                                  m.input_read,
                                  m.input_size,
                                  m.source_records,
                                  m.tail_records_in,
                                  m.dead_letters,
                                  m.source_lag ? *m.source_lag : no_lag};
  static_assert(std::size(packed) == packed_size, "pack and unpack must agree with packed_size");
  out.insert(out.end(), std::begin(packed), std::end(packed));
  const auto k_at = out.size();
  out.push_back(0);
  out.push_back(m.latency.sum_ns);
  for (std::size_t i = 0; i < m.latency.counts.size(); ++i)
    if (m.latency.counts[i] != 0) {
      out.push_back(i);
      out.push_back(m.latency.counts[i]);
      ++out[k_at];
    }
}

std::size_t live_subtask_metrics::unpack(const std::uint64_t* in, std::size_t avail) {
  if (avail < packed_size + 2) return 0;
  const auto k = in[packed_size];
  if (k > latency_counts.size() || avail - packed_size - 2 < 2 * k) return 0;
  for (std::size_t j = 0; j < k; ++j)
    if (in[packed_size + 2 + 2 * j] >= latency_counts.size()) return 0;
  constexpr auto r = std::memory_order_relaxed;
  records_in.store(in[0], r);
  records_out.store(in[1], r);
  batches_in.store(in[2], r);
  batches_out.store(in[3], r);
  backpressure_ns.store(in[4], r);
  backpressure_events.store(in[5], r);
  max_queued_batches.store(in[6], r);
  max_in_flight_batches.store(in[7], r);
  remote_bytes_out.store(in[8], r);
  watermark.store(static_cast<std::int64_t>(in[9]), r);
  state.store(static_cast<int>(in[10]), r);
  input_read.store(in[11], r);
  input_size.store(in[12], r);
  source_records.store(in[13], r);
  tail_records_in.store(in[14], r);
  dead_letters.store(in[15], r);
  source_lag.store(in[16], r);
  if (k > 0) {
    for (auto& c : latency_counts) c.store(0, r);
    for (std::size_t j = 0; j < k; ++j)
      latency_counts[in[packed_size + 2 + 2 * j]].store(in[packed_size + 3 + 2 * j], r);
    latency_sum_ns.store(in[packed_size + 1], r);
    has_latency.store(true, std::memory_order_release);
  }
  return packed_size + 2 + 2 * k;
}

job_control::job_control(std::string n, std::size_t count, std::size_t channels)
    : name(std::move(n)), channel_in_flight(new std::atomic<int>[channels]) {
  for (std::size_t i = 0; i < channels; ++i) channel_in_flight[i].store(0);
  subtasks.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    subtasks.push_back(std::make_unique<live_subtask_metrics>());
}

void job_control::set_canceler(std::function<void()> fn) {
  std::lock_guard<std::mutex> g(mtx_);
  if (!result_) canceler_ = std::move(fn);  // a job that already ended needs none
}

void job_control::cancel() {
  std::function<void()> fn;
  {
    std::lock_guard<std::mutex> g(mtx_);
    if (result_) return;
    fn = canceler_;
  }
  if (fn) fn();
}

void job_control::set_savepointer(std::function<void(std::shared_ptr<savepoint_request>)> fn) {
  std::lock_guard<std::mutex> g(mtx_);
  if (!result_) savepointer_ = std::move(fn);
}

void job_control::set_killer(std::function<void(int)> fn) {
  std::lock_guard<std::mutex> g(mtx_);
  if (!result_) killer_ = std::move(fn);
}

bool job_control::kill(int sid) {
  std::function<void(int)> fn;
  {
    std::lock_guard<std::mutex> g(mtx_);
    fn = killer_;
  }
  if (!fn) return false;
  fn(sid);
  return true;
}

void job_control::request_savepoint(const std::shared_ptr<savepoint_request>& req) {
  std::function<void(std::shared_ptr<savepoint_request>)> fn;
  {
    std::lock_guard<std::mutex> g(mtx_);
    fn = savepointer_;
  }
  if (!fn) {
    req->fulfil(error{errc::job_failed, "job '" + name + "' is not running"});
    return;
  }
  fn(req);
}

void job_control::complete(job_result r) {
  {
    std::lock_guard<std::mutex> g(mtx_);
    state.store(r.state);
    result_ = std::move(r);
    canceler_ = nullptr;  // drops the supervisor handle
    savepointer_ = nullptr;
    killer_ = nullptr;
  }
  cv_.notify_all();
}

expected<std::uint64_t> job_control::send_control(const std::string& channel, std::string text,
                                                  const std::string& display_id) {
  const std::string who = display_id.empty() ? "'" + name + "'" : display_id;
  const auto s = state.load();
  if (s == job_state::finished || s == job_state::failed || s == job_state::canceled ||
      s == job_state::canceling || s == job_state::failing)
    return error{errc::invalid_argument, "job " + who + " is " + to_string(s) +
                                             "; it takes no "
                                             "control messages"};
  if (!channels->has(channel) && s == job_state::created)
    return error{errc::invalid_argument,
                 "job " + who + " is not running yet (" + to_string(s) + "); try again"};
  return channels->append(who, channel, std::move(text));
}

job_result job_control::wait() {
  std::unique_lock<std::mutex> g(mtx_);
  cv_.wait(g, [&] { return result_.has_value(); });
  return *result_;
}

std::optional<job_result> job_control::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> g(mtx_);
  if (!cv_.wait_for(g, timeout, [&] { return result_.has_value(); })) return std::nullopt;
  return *result_;
}

void job_control::record_exception(std::string message) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::lock_guard g(mtx_);
  if (exceptions_.size() >= 32) exceptions_.erase(exceptions_.begin());
  exceptions_.push_back({now, std::move(message), restarts.load()});
}

}  // namespace eddy::detail

namespace eddy {

std::vector<checkpoint_stats> job_handle::checkpoints() const {
  return ctl_->checkpoints();
}
std::vector<job_exception> job_handle::exceptions() const {
  return ctl_->exceptions();
}
int job_handle::restarts() const {
  return ctl_->restarts.load();
}

job_result job_handle::wait() const {
  return ctl_->wait();
}

std::optional<job_result> job_handle::wait_for(std::chrono::milliseconds timeout) const {
  return ctl_->wait_for(timeout);
}

namespace {
expected<std::string> savepoint(detail::job_control& ctl, const std::string& dir, bool stop,
                                bool drain, std::chrono::milliseconds timeout) {
  if (dir.empty()) return error{errc::invalid_argument, "no savepoint directory given"};
  auto req = std::make_shared<detail::savepoint_request>(dir, stop, drain);
  ctl.request_savepoint(req);
  auto r = req->wait_for(timeout);
  if (!r)
    return error{errc::job_failed, "the savepoint of job '" + ctl.name +
                                       "' did not complete within " +
                                       std::to_string(timeout.count()) + " ms"};
  return std::move(*r);
}
}  // namespace

bool job_handle::kill_subtask(const std::string& task, int index) const {
  for (std::size_t sid = 0; sid < ctl_->subtasks.size(); ++sid) {
    const auto& m = *ctl_->subtasks[sid];
    if (m.index == index && m.task.find(task) != std::string::npos)
      return ctl_->state.load() == job_state::running && ctl_->kill(static_cast<int>(sid));
  }
  return false;
}

expected<std::string> job_handle::trigger_savepoint(const std::string& dir,
                                                    std::chrono::milliseconds timeout) const {
  return savepoint(*ctl_, dir, false, false, timeout);
}

expected<std::string> job_handle::stop_with_savepoint(const std::string& dir,
                                                      std::chrono::milliseconds timeout) const {
  return stop_with_savepoint(dir, false, timeout);
}

expected<std::string> job_handle::stop_with_savepoint(const std::string& dir, bool drain,
                                                      std::chrono::milliseconds timeout) const {
  auto r = savepoint(*ctl_, dir, true, drain, timeout);
  if (r) ctl_->wait();  // the job ends right after its savepoint
  return r;
}

expected<std::uint64_t> job_handle::send_control(const std::string& channel,
                                                 const std::string& text) const {
  return ctl_->send_control(channel, text);
}

std::vector<control_message> job_handle::control_messages(const std::string& channel) const {
  return ctl_->channels->messages(channel);
}

void job_handle::cancel() const {
  ctl_->cancel();
}

expected<std::string> job_handle::flame_graph(int vertex,
                                              std::chrono::milliseconds duration) const {
  if (duration.count() <= 0 || duration > std::chrono::seconds(60))
    return error{errc::invalid_argument, "a flame graph's duration must be 1 ms to 60 s, not " +
                                             std::to_string(duration.count()) + " ms"};
  // (A worker's copy of a job is never marked running: there, only an ended job is refused.)
  const auto s = ctl_->state.load();
  if (s == job_state::finished || s == job_state::failed || s == job_state::canceled)
    return error{errc::invalid_argument,
                 "job '" + ctl_->id + "' is " + to_string(s) + ", not running: nothing to sample"};
  return detail::sample_flame_graph(ctl_.get(), vertex, duration);
}

job_state job_handle::state() const {
  return ctl_->state.load();
}

const std::string& job_handle::name() const {
  return ctl_->name;
}

const std::string& job_handle::id() const {
  return ctl_->id;
}

const std::string& job_handle::plan_json() const {
  return ctl_->plan_json;
}

std::chrono::steady_clock::time_point job_handle::started() const {
  return ctl_->started;
}

std::uint64_t job_handle::aborted_checkpoints() const {
  return ctl_->aborted_checkpoints();
}

std::optional<job_result> job_handle::result() const {
  return ctl_->wait_for(std::chrono::milliseconds(0));
}

std::vector<subtask_metrics> job_handle::metrics() const {
  std::vector<subtask_metrics> out;
  for (const auto& s : ctl_->subtasks) out.push_back(s->snapshot());
  return out;
}

}  // namespace eddy
