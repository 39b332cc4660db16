// The job supervisor: deploys a job's subtask actors and monitors them. On a failure it either
// fails the job (cancelling the rest) or, if the restart strategy allows, stops every subtask and
// deploys them again, restored from the last completed checkpoint. It completes the job's
// control block once every subtask actor of the final deployment has ended.
#include "job_supervisor.hpp"

#include "eddy/runtime/log.hpp"

#include <deque>
#include <limits>
#include <map>

#include "checkpoint_coordinator.hpp"
#include "messages.hpp"
#include "restore.hpp"

namespace eddy::detail {

namespace {

using clock_type = std::chrono::steady_clock;

struct supervisor_state {
  std::shared_ptr<const job_context> job;
  std::vector<caf::actor> subtasks;
  caf::actor coordinator;
  std::size_t alive = 0;
  std::size_t done = 0;
  std::optional<error> failure;
  bool canceled = false;
  bool restarting = false;
  std::optional<std::string> stopped;  // stopped with this savepoint
  bool completing = false;             // the result is being published
  std::string last_error;
  std::deque<clock_type::time_point> failures;            // for failure_rate
  std::map<int, operator_counters> op_counters;           // by node id
  std::vector<std::function<void(bool)>> finish_actions;  // of the final deployment
  static inline const char* name = "eddy.job_supervisor";
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

void kill_all(supervisor_actor* self) {
  for (auto& s : self->state.subtasks) self->send_exit(s, caf::exit_reason::user_shutdown);
}

void publish_result(supervisor_actor* self);

/// The job ended: stops the checkpoint coordinator first (a checkpoint it is completing is then
/// in the result and the store is left alone), then publishes the result.
void complete(supervisor_actor* self) {
  auto& st = self->state;
  if (st.completing) return;
  st.completing = true;
  if (!st.coordinator) {
    publish_result(self);
    return;
  }
  self->request(st.coordinator, caf::infinite, stop_atom::value)
      .then([=](bool) { publish_result(self); }, [=](caf::error&) { publish_result(self); });
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
  log().info("job '{}' {} after {:.3f} s{}{}", job.name, to_string(r.state),
             std::chrono::duration<double>(r.wall_time).count(), st.failure ? ": " : "",
             st.failure ? st.failure->message : "");
  st.subtasks.clear();
  if (st.coordinator) self->send_exit(st.coordinator, caf::exit_reason::user_shutdown);
  st.coordinator = nullptr;
  job.control->complete(std::move(r));
  self->quit();
}

void deploy(supervisor_actor* self, std::shared_ptr<const restore_set> restore) {
  auto& st = self->state;
  const auto& job = st.job;
  const auto n = job->plan.subtasks().size();
  st.subtasks.clear();
  st.done = 0;
  st.op_counters.clear();
  st.finish_actions.clear();
  for (std::size_t sid = 0; sid < n; ++sid)
    st.subtasks.push_back(spawn_subtask(self, job, static_cast<int>(sid), st.coordinator, restore));
  st.alive = n;
  auto table = std::make_shared<const std::vector<caf::actor>>(st.subtasks);
  // The coordinator learns the new handles before any subtask starts (and may report to it).
  if (st.coordinator) self->send(st.coordinator, deploy_atom::value, actor_table{table});
  for (auto& s : st.subtasks) self->send(s, start_atom::value, actor_table{table});
  job->control->state.store(job_state::running);
  log().debug("job '{}' deployed {} subtasks", job->name, n);
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
  const auto rs = strategy_of(*st.job);
  if (!fatal && may_restart(self, rs)) {
    log().warn("job '{}' restarting after a failure: {}", st.job->name, msg);
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
  if (st.canceled || st.failure) {
    complete(self);
    return;
  }
  std::shared_ptr<const restore_set> restore;
  if (st.job->store) {
    auto rs = load_restore_set(*st.job->store, st.job->name, *st.job->graph,
                               st.job->config.max_parallelism);
    if (!rs) {
      st.failure = error{rs.error().code,
                         "cannot restart after '" + st.last_error + "': " + rs.error().message};
      complete(self);
      return;
    }
    restore = *rs;
    if (auto r = st.job->store->remove_pending(st.job->name); !r)
      log().warn("job '{}': {}", st.job->name, r.error().message);
  }
  st.restarting = false;
  st.job->control->restarts.fetch_add(1);
  if (restore) st.job->control->restored_checkpoint.store(restore->checkpoint_id);
  log().info("job '{}' restart {} from {}", st.job->name, st.job->control->restarts.load(),
             restore ? "checkpoint " + std::to_string(restore->checkpoint_id) : "the beginning");
  deploy(self, restore);
}

caf::behavior job_supervisor(supervisor_actor* self, std::shared_ptr<const job_context> job) {
  auto& st0 = self->state;
  st0.job = job;
  {
    // Every job has a coordinator: periodic checkpoints need a store; savepoints do not.
    const std::uint64_t last = job->initial_restore ? job->initial_restore->checkpoint_id : 0;
    std::uint64_t newest = last;
    if (job->store)
      if (auto done = job->store->completed(job->name); done && !done->empty())
        newest = std::max(newest, done->back().id);
    st0.coordinator = spawn_checkpoint_coordinator(self->system(), job, job->store, newest);
  }
  if (job->initial_restore)
    job->control->restored_checkpoint.store(job->initial_restore->checkpoint_id);
  deploy(self, job->initial_restore);

  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.reason && !st.canceled && !st.restarting && !st.failure && !st.stopped)
      on_failure(self, "a subtask actor ended abnormally: " + self->system().render(dm.reason));
    if (st.alive > 0 && --st.alive == 0) {
      if (st.restarting) {
        self->delayed_send(self, strategy_of(*st.job).delay, restart_atom::value);
      } else {
        complete(self);
      }
    }
  });

  return {
      [=](done_atom, int, const operator_report& rep, const finish_actions& actions) {
        ++self->state.done;
        for (auto& a : *actions) self->state.finish_actions.push_back(std::move(a));
        for (const auto& [node, c] : *rep) {
          auto& acc = self->state.op_counters[node];
          acc.records_in += c.records_in;
          acc.records_out += c.records_out;
          acc.late_records += c.late_records;
        }
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
        if (st.alive == 0) {  // between a failure and its restart
          complete(self);
          return;
        }
        kill_all(self);
      },
  };
}

}  // namespace

caf::actor spawn_job_supervisor(caf::actor_system& sys, std::shared_ptr<const job_context> job) {
  return sys.spawn(job_supervisor, std::move(job));
}

}  // namespace eddy::detail
