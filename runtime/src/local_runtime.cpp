#include "eddy/runtime/local_runtime.hpp"

#include "eddy/runtime/log.hpp"

#include <map>
#include <mutex>
#include <thread>

#include "job_control.hpp"
#include "job_supervisor.hpp"
#include "messages.hpp"
#include "restore.hpp"

namespace eddy {

namespace {
std::mutex& listener_mutex() {
  static std::mutex m;
  return m;
}
struct listeners {
  std::uint64_t next = 1;
  std::map<std::uint64_t, std::function<void(const job_handle&)>> fns;
};
listeners& submitted_listeners() {
  static listeners l;
  return l;
}
}  // namespace

struct local_runtime::impl {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
};

local_runtime::local_runtime(runtime_options opts) : impl_(std::make_unique<impl>()) {
  int threads = opts.threads > 0
                    ? opts.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl_->cfg.set("scheduler.max-threads", threads);
  // CAF's default lets an actor keep its thread as long as it has messages. A source that keeps
  // producing (sending itself `produce`) would then starve every other actor on that thread,
  // including the job supervisor that must cancel it. A bounded throughput re-schedules it after
  // this many messages.
  impl_->cfg.set("scheduler.max-throughput", 64);
  impl_->sys = std::make_unique<caf::actor_system>(impl_->cfg);
  log().debug("embedded runtime started with {} scheduler threads", threads);
}

local_runtime::~local_runtime() {
  // ~actor_system waits for all actors: jobs must have ended (callers cancel and wait first).
  impl_->sys.reset();
}

expected<job_handle> local_runtime::submit(std::shared_ptr<const job_graph> graph,
                                           const execution_config& cfg,
                                           const std::string& job_name) {
  auto made = detail::make_job_context(std::move(graph), cfg, job_name);
  if (!made) return made.error();
  auto job = std::move(*made);
  log().debug("job '{}' plan:\n{}", job_name, job->plan.describe(*job->graph));
  auto ctl = job->control;
  auto sup = detail::spawn_job_supervisor(*impl_->sys, std::move(job));
  detail::connect_control(*ctl, sup);
  job_handle handle{std::move(ctl)};
  std::vector<std::function<void(const job_handle&)>> fns;
  {
    std::lock_guard g(listener_mutex());
    for (const auto& [id, fn] : submitted_listeners().fns) fns.push_back(fn);
  }
  for (const auto& fn : fns) fn(handle);
  return handle;
}

std::uint64_t add_job_submitted_listener(std::function<void(const job_handle&)> fn) {
  std::lock_guard g(listener_mutex());
  auto& l = submitted_listeners();
  l.fns.emplace(l.next, std::move(fn));
  return l.next++;
}

void remove_job_submitted_listener(std::uint64_t id) {
  std::lock_guard g(listener_mutex());
  submitted_listeners().fns.erase(id);
}

std::size_t local_runtime::running_actors() const {
  return impl_->sys->registry().running();
}

}  // namespace eddy
