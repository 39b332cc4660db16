// The job supervisor: deploys a job's subtask actors and monitors them. On a failure it either
// fails the job (cancelling the rest) or, if the restart strategy allows, stops every subtask and
// deploys them again, restored from the last completed checkpoint. It completes the job's
// control block once every subtask actor of the final deployment has ended.
//
// In a cluster (cluster_job set) a deployment is asynchronous: the job manager allocates a task
// manager per slot (subtask i of every chain goes to slot i: Flink's slot sharing), each task
// manager spawns its subtasks (restored from the state the supervisor sends it) and starts them
// once every handle is known. A worker declared lost counts as the failure of its subtasks. At
// the end the task managers of the final deployment run the job-finished actions (sinks commit)
// before the result is published.
#include "job_supervisor.hpp"

#include "eddy/runtime/log.hpp"
#include "eddy/runtime/serializer.hpp"

#include <deque>
#include <limits>
#include <map>
#include <set>

#include "checkpoint_coordinator.hpp"
#include "cluster_job.hpp"
#include "cluster_messages.hpp"
#include "messages.hpp"
#include "restore.hpp"
#include "split_enumerator_actor.hpp"

namespace eddy::detail {

namespace {

using clock_type = std::chrono::steady_clock;

struct supervisor_state {
  std::shared_ptr<const job_context> job;
  std::shared_ptr<const cluster_job> cluster;  // null: embedded
  std::vector<caf::actor> subtasks;
  caf::actor coordinator;
  enumerator_table enumerators;                // of the current deployment
  std::shared_ptr<const restore_set> restore;  // what the current deployment restores
  std::set<caf::actor_addr> live;  // subtask actors of the current deployment not yet ended
  bool deploying = false;          // a cluster deployment is waiting for task managers
  bool restart_scheduled = false;
  /// The first checkpoint id of this run: a restart restores from this run's checkpoints only,
  /// else from the job's initial restore (a savepoint), else from the beginning.
  std::uint64_t first_own_checkpoint = 1;
  std::uint32_t attempt = 0;                   // deployments so far
  std::vector<caf::actor> attempt_tms;         // task managers of the current deployment
  std::vector<std::string> attempt_addresses;  // their data addresses
  std::vector<caf::actor> slot_tms;            // the task manager of each slot (last allocation)
  std::set<caf::actor> all_tms;                // every task manager that ran part of the job
  std::size_t done = 0;
  std::optional<error> failure;
  bool canceled = false;
  bool restarting = false;
  std::optional<std::string> stopped;  // stopped with this savepoint
  bool completing = false;             // the result is being published
  std::string last_error;
  std::deque<clock_type::time_point> failures;   // for failure_rate
  std::map<int, operator_counters> op_counters;  // by node id
  std::set<int> control_nodes;  // sources that are control channels (their enumerators said so)
  std::set<int> done_sids;      // subtasks of the current deployment that finished
  bool control_ended = false;   // the control channels of this deployment were ended
  std::vector<std::function<void(bool)>> finish_actions;  // of the final deployment
  static inline const char* name = "eddy.job_supervisor";
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

void kill_enumerators(supervisor_actor* self) {
  auto& st = self->state;
  if (!st.enumerators) return;
  for (const auto& [node, e] : *st.enumerators) self->send_exit(e, caf::exit_reason::user_shutdown);
  st.enumerators = nullptr;
}

void kill_all(supervisor_actor* self) {
  for (auto& s : self->state.subtasks)
    if (s) self->send_exit(s, caf::exit_reason::user_shutdown);
  kill_enumerators(self);
}

/// The end rule of control channels (control_channel.hpp): once every source subtask of the
/// deployment that is not a control channel has finished, the control channels end too (their
/// enumerators hand over what the log holds and tell the readers there is no more). A job whose
/// only sources are control channels keeps them open.
void maybe_end_control(supervisor_actor* self) {
  auto& st = self->state;
  if (st.control_ended || st.control_nodes.empty() || !st.enumerators) return;
  const auto& plan = st.job->plan;
  bool other = false;
  for (std::size_t sid = 0; sid < plan.subtasks().size(); ++sid) {
    const int head = plan.chains()[plan.subtasks()[sid].chain].nodes.front();
    if (st.job->graph->node(head).kind != node_kind::source || st.control_nodes.count(head))
      continue;
    other = true;
    if (!st.done_sids.count(static_cast<int>(sid))) return;
  }
  if (!other) return;
  st.control_ended = true;
  job_log(*st.job, spdlog::level::info,
          "job '{}': every other source ended; ending its control channels", st.job->name);
  for (int node : st.control_nodes)
    if (auto it = st.enumerators->find(node); it != st.enumerators->end())
      self->send(it->second, ctlend_atom::value);
}

/// Spawns the split enumerators of the deployment's sources (split_enumerator_actor.hpp), gives
/// them the subtask handles, then tells the checkpoint coordinator both (in this order: an
/// enumerator knows its readers before the coordinator can trigger it).
void deploy_enumerators(supervisor_actor* self, const actor_table& table) {
  auto& st = self->state;
  kill_enumerators(self);
  auto enums = std::make_shared<std::map<int, caf::actor>>();
  for (const auto& n : st.job->graph->nodes()) {
    if (n.kind != node_kind::source || !n.make_enumerator) continue;
    std::optional<operator_snapshot> restored;
    if (st.restore)
      if (auto it = st.restore->operators.find(n.state_uid()); it != st.restore->operators.end())
        restored = it->second.enumerator;
    auto e = spawn_split_enumerator(self->system(), st.job, n.id, caf::actor_cast<caf::actor>(self),
                                    st.coordinator, std::move(restored));
    self->send(e, deploy_atom::value, table);
    enums->emplace(n.id, std::move(e));
  }
  st.enumerators = enums;
  if (st.coordinator) self->send(st.coordinator, deploy_atom::value, table, st.enumerators);
}

void publish_result(supervisor_actor* self);
void commit_on_workers(supervisor_actor* self);

/// The job ended: stops the checkpoint coordinator first (a checkpoint it is completing is then
/// in the result and the store is left alone), then publishes the result.
void complete(supervisor_actor* self) {
  auto& st = self->state;
  if (st.completing) return;
  st.completing = true;
  if (!st.coordinator) {
    commit_on_workers(self);
    return;
  }
  self->request(st.coordinator, caf::infinite, stop_atom::value)
      .then([=](bool) { commit_on_workers(self); }, [=](caf::error&) { commit_on_workers(self); });
}

/// Cluster jobs: the task managers of the final deployment run the job-finished actions of
/// their subtasks (sinks commit or discard their last output); then the result is published.
void commit_on_workers(supervisor_actor* self) {
  auto& st = self->state;
  if (!st.cluster || st.attempt_tms.empty()) {
    publish_result(self);
    return;
  }
  auto pending = std::make_shared<std::size_t>(st.attempt_tms.size());
  const bool ok = !st.failure;
  for (const auto& tm : st.attempt_tms) {
    auto one_done = [=](const std::string& err) {
      auto& s = self->state;
      if (!err.empty() && !s.failure)
        s.failure = error{errc::job_failed, "committing the output failed: " + err};
      if (--*pending == 0) publish_result(self);
    };
    self->request(tm, std::chrono::seconds(60), commit_atom::value, st.cluster->job_id, st.attempt,
                  ok)
        .then([=](const std::string& err) { one_done(err); },
              [=](caf::error& e) {
                // A lost worker cannot commit: its output is not committed, which is only an
                // error for a job that otherwise finished.
                one_done(ok ? "a worker did not commit (" + self->system().render(e) + ")" : "");
              });
  }
}

void publish_result(supervisor_actor* self) {
  auto& st = self->state;
  const auto& job = *st.job;
  // The job finished: sinks make their last output visible; otherwise they discard it.
  for (auto& a : st.finish_actions) {
    try {
      a(!st.failure);
    } catch (const std::exception& e) {
      if (!st.failure)
        st.failure =
            error{errc::job_failed, std::string("committing the output failed: ") + e.what()};
    }
  }
  st.finish_actions.clear();
  job_result r;
  r.job_name = job.name;
  r.wall_time = std::chrono::steady_clock::now() - job.control->started;
  if (st.failure) {
    r.state = st.failure->code == errc::job_canceled ? job_state::canceled : job_state::failed;
    r.failure = st.failure;
  } else {
    r.state = job_state::finished;
    if (st.stopped) r.savepoint_path = *st.stopped;
  }
  for (const auto& n : job.graph->nodes()) {
    operator_metrics m;
    m.name = n.name;
    m.node_id = n.id;
    m.parallelism = job.plan.parallelism_of(n.id);
    if (auto it = st.op_counters.find(n.id); it != st.op_counters.end()) {
      m.records_in = it->second.records_in;
      m.records_out = it->second.records_out;
      m.late_records = it->second.late_records;
    }
    r.operators.push_back(std::move(m));
  }
  for (const auto& s : job.control->subtasks) r.subtasks.push_back(s->snapshot());
  r.checkpoints = job.control->checkpoints();
  r.aborted_checkpoints = job.control->aborted_checkpoints();
  r.restarts = job.control->restarts.load();
  r.restored_checkpoint = job.control->restored_checkpoint.load();
  job_log(job, spdlog::level::info, "job '{}' {} after {:.3f} s{}{}", job.name, to_string(r.state),
          std::chrono::duration<double>(r.wall_time).count(), st.failure ? ": " : "",
          st.failure ? st.failure->message : "");
  st.subtasks.clear();
  kill_enumerators(self);
  st.restore = nullptr;
  if (st.coordinator) self->send_exit(st.coordinator, caf::exit_reason::user_shutdown);
  st.coordinator = nullptr;
  job.control->complete(std::move(r));
  if (st.cluster) {  // after complete(): the job manager reads the result
    for (const auto& tm : st.all_tms) self->send(tm, drop_atom::value, st.cluster->job_id);
    self->send(st.cluster->job_manager, release_atom::value, st.cluster->job_id);
  }
  self->quit();
}

void cluster_deploy(supervisor_actor* self, std::shared_ptr<const restore_set> restore);

void deploy(supervisor_actor* self, std::shared_ptr<const restore_set> restore) {
  auto& st = self->state;
  const auto& job = st.job;
  const auto n = job->plan.subtasks().size();
  st.subtasks.clear();
  st.restore = restore;
  st.done = 0;
  st.done_sids.clear();
  st.control_ended = false;
  st.op_counters.clear();
  st.finish_actions.clear();
  ++st.attempt;
  if (st.cluster) {
    cluster_deploy(self, std::move(restore));
    return;
  }
  for (std::size_t sid = 0; sid < n; ++sid) {
    st.subtasks.push_back(spawn_subtask(self, job, static_cast<int>(sid), st.coordinator, restore));
    st.live.insert(st.subtasks.back().address());
  }
  auto table = std::make_shared<const std::vector<caf::actor>>(st.subtasks);
  // The coordinator learns the new handles before any subtask starts (and may report to it).
  deploy_enumerators(self, table);
  for (auto& s : st.subtasks) self->send(s, start_atom::value, actor_table{table});
  job->control->state.store(job_state::running);
  job_log(*job, spdlog::level::debug, "job '{}' deployed {} subtasks", job->name, n);
}

/// The effective restart strategy (Flink's defaults).
restart_strategy strategy_of(const job_context& job) {
  if (job.config.restart) return *job.config.restart;
  if (job.config.checkpoints.interval.count() > 0)
    return restart_strategy::fixed_delay(std::numeric_limits<int>::max(), std::chrono::seconds(1));
  return restart_strategy::no_restart();
}

/// Whether the strategy allows another restart now (records the failure).
bool may_restart(supervisor_actor* self, const restart_strategy& rs) {
  auto& st = self->state;
  const auto now = clock_type::now();
  switch (rs.type) {
    case restart_strategy::kind::no_restart:
      return false;
    case restart_strategy::kind::fixed_delay:
      return st.job->control->restarts.load() < rs.attempts;
    case restart_strategy::kind::failure_rate:
      st.failures.push_back(now);
      while (!st.failures.empty() && now - st.failures.front() > rs.interval)
        st.failures.pop_front();
      return static_cast<int>(st.failures.size()) <= rs.max_failures;
  }
  return false;
}

void on_failure(supervisor_actor* self, const std::string& msg, bool fatal = false) {
  auto& st = self->state;
  if (st.failure || st.canceled || st.restarting || st.stopped) return;
  st.job->control->record_exception(msg);
  const auto rs = strategy_of(*st.job);
  if (!fatal && may_restart(self, rs)) {
    job_log(*st.job, spdlog::level::warn, "job '{}' restarting after a failure: {}", st.job->name,
            msg);
    st.restarting = true;
    st.last_error = msg;
    st.job->control->state.store(job_state::restarting);
    if (st.coordinator) self->send(st.coordinator, pause_atom::value);
    kill_all(self);
    return;
  }
  std::string full = msg;
  if (st.job->control->restarts.load() > 0)
    full += " (after " + std::to_string(st.job->control->restarts.load()) +
            " restarts; the restart strategy allows no more)";
  st.failure = error{errc::job_failed, full};
  st.job->control->state.store(job_state::failing);
  kill_all(self);
}

void restart(supervisor_actor* self) {
  auto& st = self->state;
  st.restart_scheduled = false;
  if (st.canceled || st.failure) {
    complete(self);
    return;
  }
  std::shared_ptr<const restore_set> restore;
  if (st.job->store) {
    auto rs = load_restore_set(*st.job->store, st.job->name, *st.job->graph,
                               st.job->config.max_parallelism, st.first_own_checkpoint);
    if (!rs) {
      st.failure = error{rs.error().code,
                         "cannot restart after '" + st.last_error + "': " + rs.error().message};
      complete(self);
      return;
    }
    restore = *rs;
    if (auto r = st.job->store->remove_pending(st.job->name); !r)
      job_log(*st.job, spdlog::level::warn, "job '{}': {}", st.job->name, r.error().message);
  }
  if (!restore) restore = st.job->initial_restore;  // no checkpoint of this run completed yet
  st.restarting = false;
  st.job->control->restarts.fetch_add(1);
  if (restore) st.job->control->restored_checkpoint.store(restore->checkpoint_id);
  job_log(*st.job, spdlog::level::info, "job '{}' restart {} from {}", st.job->name,
          st.job->control->restarts.load(),
          restore ? "checkpoint " + std::to_string(restore->checkpoint_id) : "the beginning");
  deploy(self, restore);
}

/// Every subtask actor of the deployment ended: restart (after the strategy's delay) or
/// complete the job.
void maybe_all_ended(supervisor_actor* self) {
  auto& st = self->state;
  if (!st.live.empty() || st.deploying || st.completing || st.restart_scheduled) return;
  if (st.restarting && !st.failure && !st.canceled) {
    st.restart_scheduled = true;
    self->delayed_send(self, strategy_of(*st.job).delay, restart_atom::value);
  } else {
    complete(self);
  }
}
/// The state the subtasks `sids` restore, split for their parallelism (throws like
/// restore_for).
restore_payload make_payload(const job_context& job, const restore_set* rs,
                             const std::vector<std::int32_t>& sids) {
  restore_payload p;
  if (!rs) return p;
  p.checkpoint_id = rs->checkpoint_id;
  p.location = rs->location;
  p.max_parallelism = rs->max_parallelism;
  for (auto sid : sids) {
    const auto& sub = job.plan.subtasks()[static_cast<std::size_t>(sid)];
    const auto& chain = job.plan.chains()[static_cast<std::size_t>(sub.chain)];
    for (int node : chain.nodes) {
      const auto& n = job.graph->node(node);
      auto r = restore_for(*rs, n.state_uid(), n.name, sub.index, chain.parallelism);
      if (!r.found) continue;
      operator_snapshot s;
      s.header.checkpoint_id = rs->checkpoint_id;
      s.header.operator_uid = n.state_uid();
      s.header.operator_name = n.name;
      s.header.subtask = sub.index;
      s.header.parallelism = chain.parallelism;
      s.header.max_parallelism = rs->max_parallelism;
      s.entries = std::move(r.entries);
      s.entries.push_back(state_entry{
          counters_entry, -1, "counters",
          serialize(std::vector<std::uint64_t>{r.counters.records_in, r.counters.records_out,
                                               r.counters.late_records})});
      p.blobs.push_back(encode_snapshot(s));
    }
  }
  return p;
}

void cluster_start(supervisor_actor* self, std::uint32_t attempt);

/// Every task manager answered the deployment: connect the workers, then start the subtasks
/// (or, if the job failed or was canceled meanwhile, let them end).
void cluster_deployed(supervisor_actor* self) {
  auto& st = self->state;
  st.deploying = false;
  if (st.failure || st.canceled || st.restarting) {
    maybe_all_ended(self);
    return;
  }
  // Direct connections between the workers first (each pair once), then the start.
  st.deploying = true;
  auto pending = std::make_shared<std::size_t>(st.attempt_tms.size());
  const auto attempt = st.attempt;
  for (std::size_t i = 0; i < st.attempt_tms.size(); ++i) {
    std::vector<std::string> peers(st.attempt_addresses.begin() + static_cast<long>(i) + 1,
                                   st.attempt_addresses.end());
    self->request(st.attempt_tms[i], std::chrono::seconds(30), peers_atom::value, peers)
        .then(
            [=](bool) {
              if (--*pending == 0) cluster_start(self, attempt);
            },
            [=](caf::error&) {
              if (--*pending == 0) cluster_start(self, attempt);
            });
  }
}

void cluster_start(supervisor_actor* self, std::uint32_t attempt) {
  auto& st = self->state;
  st.deploying = false;
  if (attempt != st.attempt || st.failure || st.canceled || st.restarting) {
    maybe_all_ended(self);
    return;
  }
  auto table = std::make_shared<const std::vector<caf::actor>>(st.subtasks);
  deploy_enumerators(self, table);
  for (const auto& tm : st.attempt_tms)
    self->send(tm, start_atom::value, st.cluster->job_id, st.attempt, st.subtasks);
  st.job->control->state.store(job_state::running);
  job_log(*st.job, spdlog::level::debug, "job '{}' deployed {} subtasks on {} workers",
          st.job->name, st.subtasks.size(), st.attempt_tms.size());
}

void spawn_on_workers(supervisor_actor* self, std::uint32_t attempt,
                      const std::vector<caf::actor>& slot_tms,
                      const std::vector<std::string>& addresses,
                      std::shared_ptr<const restore_set> restore,
                      std::map<caf::actor, std::set<std::int32_t>> local) {
  auto& st = self->state;
  const auto& job = *st.job;
  std::map<caf::actor, std::vector<std::int32_t>> groups;
  std::map<caf::actor, std::string> address_of;
  for (std::size_t k = 0; k < slot_tms.size() && k < addresses.size(); ++k)
    address_of[slot_tms[k]] = addresses[k];
  for (std::size_t sid = 0; sid < job.plan.subtasks().size(); ++sid) {
    const auto index = static_cast<std::size_t>(job.plan.subtasks()[sid].index);
    groups[slot_tms[index % slot_tms.size()]].push_back(static_cast<std::int32_t>(sid));
  }
  std::vector<restore_payload> payloads;
  std::size_t local_count = 0;
  try {
    for (const auto& [tm, sids] : groups) {
      // State the worker holds a local copy of is not shipped.
      std::vector<std::int32_t> shipped, local_sids;
      for (auto sid : sids) (local[tm].count(sid) ? local_sids : shipped).push_back(sid);
      payloads.push_back(make_payload(job, restore.get(), shipped));
      if (restore) {
        payloads.back().checkpoint_id = restore->checkpoint_id;
        payloads.back().location = restore->location;
        payloads.back().max_parallelism = restore->max_parallelism;
        payloads.back().local_sids = std::move(local_sids);
        local_count += payloads.back().local_sids.size();
      }
    }
  } catch (const std::exception& e) {
    st.deploying = false;
    if (!st.failure) st.failure = error{errc::incompatible_state, e.what()};
    maybe_all_ended(self);
    return;
  }
  if (local_count > 0)
    job_log(job, spdlog::level::info,
            "job '{}': {} of {} subtasks restore checkpoint {} from their workers' local copies",
            job.name, local_count, job.plan.subtasks().size(), restore->checkpoint_id);
  auto pending = std::make_shared<std::size_t>(groups.size());
  std::size_t i = 0;
  for (const auto& [tm, sids] : groups) {
    st.attempt_tms.push_back(tm);
    st.attempt_addresses.push_back(address_of[tm]);
    st.all_tms.insert(tm);
    self->request(tm, std::chrono::seconds(120), spawn_atom::value, st.cluster->job_id, attempt,
                  st.cluster->spec_json, st.cluster->lib_bytes, sids,
                  caf::actor_cast<caf::actor>(self), st.coordinator, payloads[i++])
        .then(
            [=](const std::vector<caf::actor>& hs) {
              auto& s = self->state;
              for (std::size_t k = 0; k < hs.size() && k < sids.size(); ++k) {
                s.subtasks[static_cast<std::size_t>(sids[k])] = hs[k];
                self->monitor(hs[k]);
                s.live.insert(hs[k].address());
                if (s.failure || s.canceled || s.restarting)
                  self->send_exit(hs[k], caf::exit_reason::user_shutdown);
              }
              if (--*pending == 0) cluster_deployed(self);
            },
            [=](caf::error& e) {
              on_failure(self, "deploying job '" + self->state.job->name +
                                   "' on a worker failed: " + error_text(self->system(), e));
              if (--*pending == 0) cluster_deployed(self);
            });
  }
}

/// Before restoring: which subtasks each task manager holds a local copy of the checkpoint for.
void ask_local_copies(supervisor_actor* self, std::uint32_t attempt,
                      const std::vector<caf::actor>& slot_tms,
                      const std::vector<std::string>& addresses,
                      std::shared_ptr<const restore_set> restore) {
  std::set<caf::actor> tms(slot_tms.begin(), slot_tms.end());
  auto local = std::make_shared<std::map<caf::actor, std::set<std::int32_t>>>();
  auto pending = std::make_shared<std::size_t>(tms.size());
  auto done = [=] {
    if (--*pending == 0) spawn_on_workers(self, attempt, slot_tms, addresses, restore, *local);
  };
  for (const auto& tm : tms)
    self->request(tm, std::chrono::seconds(10), localckpt_atom::value, self->state.cluster->job_id,
                  restore->checkpoint_id)
        .then(
            [=](const std::vector<std::int32_t>& sids) {
              (*local)[tm].insert(sids.begin(), sids.end());
              done();
            },
            [=](caf::error&) { done(); });  // then everything is shipped to it
}

void cluster_deploy(supervisor_actor* self, std::shared_ptr<const restore_set> restore) {
  auto& st = self->state;
  const auto attempt = st.attempt;
  st.subtasks.assign(st.job->plan.subtasks().size(), caf::actor{});
  st.attempt_tms.clear();
  st.attempt_addresses.clear();
  st.deploying = true;
  self->request(st.cluster->job_manager, caf::infinite, allocate_atom::value, st.cluster->job_id,
                static_cast<std::int32_t>(st.cluster->slots), st.slot_tms)
      .then(
          [=](const std::vector<caf::actor>& slot_tms, const std::vector<std::string>& addresses) {
            if (slot_tms.empty()) {
              auto& s = self->state;
              s.deploying = false;
              if (!s.failure) s.failure = error{errc::job_failed, "no slots were allocated"};
              maybe_all_ended(self);
              return;
            }
            self->state.slot_tms = slot_tms;
            if (!restore) {
              spawn_on_workers(self, attempt, slot_tms, addresses, restore, {});
              return;
            }
            ask_local_copies(self, attempt, slot_tms, addresses, restore);
          },
          [=](caf::error& e) {
            auto& s = self->state;
            s.deploying = false;
            if (!s.failure)
              s.failure = error{errc::job_failed, "cannot deploy job '" + s.job->name +
                                                      "': " + error_text(self->system(), e)};
            maybe_all_ended(self);
          });
}

caf::behavior job_supervisor(supervisor_actor* self, std::shared_ptr<const job_context> job,
                             std::shared_ptr<const cluster_job> cluster) {
  auto& st0 = self->state;
  st0.job = job;
  st0.cluster = std::move(cluster);
  {
    // Every job has a coordinator: periodic checkpoints need a store; savepoints do not.
    const std::uint64_t last = job->initial_restore ? job->initial_restore->checkpoint_id : 0;
    std::uint64_t newest = last;
    if (job->store)
      if (auto done = job->store->completed(job->name); done && !done->empty())
        newest = std::max(newest, done->back().id);
    st0.coordinator = spawn_checkpoint_coordinator(self->system(), job, job->store, newest);
    st0.first_own_checkpoint = newest + 1;
  }
  if (job->initial_restore)
    job->control->restored_checkpoint.store(job->initial_restore->checkpoint_id);
  deploy(self, job->initial_restore);

  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (!st.live.erase(dm.source)) return;  // not of the current deployment
    if (dm.reason && !st.canceled && !st.restarting && !st.failure && !st.stopped)
      on_failure(self, "a subtask actor ended abnormally: " + self->system().render(dm.reason));
    maybe_all_ended(self);
  });

  return {
      [=](done_atom, int sid, const done_report& d) {
        auto& st = self->state;
        if (sid < 0 || static_cast<std::size_t>(sid) >= st.subtasks.size() ||
            self->current_sender() != st.subtasks[static_cast<std::size_t>(sid)])
          return;  // from an earlier deployment
        ++st.done;
        st.done_sids.insert(sid);
        for (std::size_t i = 0; i < d.nodes.size() && 3 * i + 2 < d.counters.size(); ++i) {
          auto& acc = st.op_counters[d.nodes[i]];
          acc.records_in += d.counters[3 * i];
          acc.records_out += d.counters[3 * i + 1];
          acc.late_records += d.counters[3 * i + 2];
        }
        job->control->subtasks[static_cast<std::size_t>(sid)]->unpack(d.metrics.data(),
                                                                      d.metrics.size());
        maybe_end_control(self);
      },
      [=](metrics_atom, const std::vector<std::int32_t>& sids,
          const std::vector<std::uint64_t>& packed) {
        // Live metrics of subtasks on a worker (sent every heartbeat interval), one after
        // another in the order of sids (live_subtask_metrics::pack).
        std::size_t at = 0;
        for (auto sid : sids) {
          if (sid < 0 || static_cast<std::size_t>(sid) >= job->control->subtasks.size()) return;
          const auto used = job->control->subtasks[static_cast<std::size_t>(sid)]->unpack(
              packed.data() + at, packed.size() - at);
          if (used == 0) return;
          at += used;
        }
      },
      [=](lost_atom, const caf::node_id& node) {
        auto& st = self->state;
        std::vector<caf::actor_addr> gone;
        for (const auto& a : st.live)
          if (a.node() == node) gone.push_back(a);
        if (gone.empty()) return;
        for (const auto& a : gone) st.live.erase(a);
        on_failure(self, "a worker was lost (" + std::to_string(gone.size()) +
                             " subtasks of the job ran there)");
        maybe_all_ended(self);
      },
      [=](done_atom, int sid, const operator_report& rep, const finish_actions& actions) {
        ++self->state.done;
        self->state.done_sids.insert(sid);
        for (auto& a : *actions) self->state.finish_actions.push_back(std::move(a));
        for (const auto& [node, c] : *rep) {
          auto& acc = self->state.op_counters[node];
          acc.records_in += c.records_in;
          acc.records_out += c.records_out;
          acc.late_records += c.late_records;
        }
        maybe_end_control(self);
      },
      [=](control_atom, std::int32_t node) {
        // Sent by the enumerator of a control channel source (each deployment: the same nodes).
        auto& st = self->state;
        if (!st.enumerators || !st.enumerators->count(node) ||
            st.enumerators->at(node) != self->current_sender())
          return;  // from an earlier deployment's enumerator
        st.control_nodes.insert(node);
        maybe_end_control(self);
      },
      [=](failed_atom, int, const std::string& msg, bool fatal) { on_failure(self, msg, fatal); },
      [=](restart_atom) { restart(self); },
      [=](savepoint_atom, const savepoint_ptr& req) {
        auto& st = self->state;
        if (st.failure || st.canceled || st.restarting || st.stopped || !st.coordinator) {
          req->fulfil(error{errc::job_failed, "job '" + job->name + "' is " +
                                                  to_string(job->control->state.load()) +
                                                  "; no savepoint now"});
          return;
        }
        self->send(st.coordinator, savepoint_atom::value, req);
      },
      [=](stopped_atom, const std::string& path) { self->state.stopped = path; },
      [=](kill_atom, int sid) {
        auto& st = self->state;
        if (sid >= 0 && static_cast<std::size_t>(sid) < st.subtasks.size())
          self->send_exit(st.subtasks[static_cast<std::size_t>(sid)], caf::exit_reason::kill);
      },
      [=](cancel_atom) {
        auto& st = self->state;
        if (st.failure || st.canceled) return;
        st.canceled = true;
        st.failure = error{errc::job_canceled, "job '" + job->name + "' was canceled"};
        job->control->state.store(job_state::canceling);
        if (st.live.empty() && !st.deploying) {  // between a failure and its restart
          complete(self);
          return;
        }
        kill_all(self);
      },
  };
}

}  // namespace

caf::actor spawn_job_supervisor(caf::actor_system& sys, std::shared_ptr<const job_context> job,
                                std::shared_ptr<const cluster_job> cluster) {
  return sys.spawn(job_supervisor, std::move(job), std::move(cluster));
}

void connect_control(job_control& ctl, const caf::actor& sup) {
  ctl.set_canceler([sup] { caf::anon_send(sup, cancel_atom::value); });
  ctl.set_killer([sup](int sid) { caf::anon_send(sup, kill_atom::value, sid); });
  ctl.set_savepointer([sup](std::shared_ptr<savepoint_request> req) {
    caf::anon_send(sup, savepoint_atom::value, std::move(req));
  });
}

}  // namespace eddy::detail
