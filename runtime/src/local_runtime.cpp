#include "eddy/runtime/local_runtime.hpp"

#include "eddy/runtime/log.hpp"

#include <thread>

#include "job_control.hpp"
#include "job_supervisor.hpp"
#include "messages.hpp"
#include "restore.hpp"

namespace eddy {

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
  auto plan = execution_plan::compile(*graph, cfg);
  if (!plan) return plan.error();
  auto job = std::make_shared<detail::job_context>();
  job->name = job_name;
  job->graph = std::move(graph);
  job->plan = std::move(plan.value());
  job->config = cfg;
  job->control = std::make_shared<detail::job_control>(job_name, job->plan.subtasks().size(),
                                                       job->plan.channels().size());
  for (std::size_t sid = 0; sid < job->plan.subtasks().size(); ++sid) {
    const auto& st = job->plan.subtasks()[sid];
    auto& m = *job->control->subtasks[sid];
    m.task = job->plan.chains()[st.chain].name;  // fixed before any thread reads them
    m.index = st.index;
    m.credits_per_channel = cfg.channel_credits;
  }
  const auto& cc = cfg.checkpoints;
  if (cc.interval.count() > 0) {
    if (cc.directory.empty())
      return error{errc::invalid_argument,
                   "checkpointing is enabled but no checkpoint directory is set"};
    auto store = checkpoint_store::open(cc.directory);
    if (!store) return store.error();
    job->store = std::move(*store);
  }
  if (!cfg.restore_from.empty()) {
    std::shared_ptr<checkpoint_store> from = job->store;
    if (!from || from->directory() != cfg.restore_from) {
      auto opened = checkpoint_store::open(cfg.restore_from);
      if (!opened) return opened.error();
      from = std::move(*opened);
    }
    auto rs = detail::load_restore_set(*from, job_name, *job->graph, cfg.max_parallelism);
    if (!rs) return rs.error();
    if (!*rs)
      return error{errc::invalid_argument, "nothing to resume from: " + cfg.restore_from +
                                               " holds no completed checkpoint of job '" +
                                               job_name + "'"};
    job->initial_restore = *rs;
    if (job->store) {
      if (auto r = job->store->remove_pending(job_name); !r) return r.error();
    }
  }
  log().debug("job '{}' plan:\n{}", job_name, job->plan.describe(*job->graph));
  auto ctl = job->control;
  auto sup = detail::spawn_job_supervisor(*impl_->sys, std::move(job));
  ctl->set_canceler([sup] { caf::anon_send(sup, detail::cancel_atom::value); });
  ctl->set_killer([sup](int sid) { caf::anon_send(sup, detail::kill_atom::value, sid); });
  ctl->set_savepointer([sup](std::shared_ptr<detail::savepoint_request> req) {
    caf::anon_send(sup, detail::savepoint_atom::value, std::move(req));
  });
  return job_handle{std::move(ctl)};
}

std::size_t local_runtime::running_actors() const {
  return impl_->sys->registry().running();
}

}  // namespace eddy
