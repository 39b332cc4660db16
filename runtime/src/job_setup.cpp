// Turning a compiled job into the context its actors share (embedded and cluster alike).
#include <atomic>
#include <cstdint>
#include <string>

#include "eddy/runtime/checkpoint_store.hpp"
#include "job_control.hpp"
#include "restore.hpp"

namespace eddy::detail {

expected<std::shared_ptr<job_context>> make_job_context(std::shared_ptr<const job_graph> graph,
                                                        const execution_config& cfg,
                                                        const std::string& job_name) {
  auto plan = execution_plan::compile(*graph, cfg);
  if (!plan) return plan.error();
  auto job = std::make_shared<job_context>();
  job->name = job_name;
  job->graph = std::move(graph);
  job->plan = std::move(plan.value());
  job->config = cfg;
  job->control = std::make_shared<job_control>(job_name, job->plan.subtasks().size(),
                                               job->plan.channels().size());
  for (std::size_t sid = 0; sid < job->plan.subtasks().size(); ++sid) {
    const auto& st = job->plan.subtasks()[sid];
    auto& m = *job->control->subtasks[sid];
    m.task = job->plan.chains()[st.chain].name;  // fixed before any thread reads them
    m.index = st.index;
    m.credits_per_channel = cfg.channel_credits;
  }
  job->control->plan_json = job->plan.to_json(*job->graph);
  static std::atomic<std::uint64_t> jobs_made{0};
  job->control->id = job_name + "-" + std::to_string(++jobs_made);
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
    auto rs = load_restore_set(*from, job_name, *job->graph, cfg.max_parallelism);
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
  return job;
}

}  // namespace eddy::detail
