// The job supervisor: spawns and monitors a job's subtask actors, fails the job on the first
// subtask failure (cancelling the rest), and completes the job's control block once every
// subtask actor has ended. Restarts come with checkpoints (a later issue).
#include "job_supervisor.hpp"

#include "eddy/runtime/log.hpp"

#include <map>

#include "messages.hpp"

namespace eddy::detail {

namespace {

struct supervisor_state {
  std::shared_ptr<const job_context> job;
  std::vector<caf::actor> subtasks;
  std::size_t alive = 0;
  std::size_t done = 0;
  std::optional<error> failure;
  bool canceled = false;
  std::map<int, operator_counters> op_counters;  // by node id
  static inline const char* name = "eddy.job_supervisor";
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

void kill_all(supervisor_actor* self) {
  for (auto& s : self->state.subtasks) self->send_exit(s, caf::exit_reason::user_shutdown);
}

void complete(supervisor_actor* self) {
  auto& st = self->state;
  const auto& job = *st.job;
  job_result r;
  r.job_name = job.name;
  r.wall_time = std::chrono::steady_clock::now() - job.control->started;
  if (st.failure) {
    r.state = st.failure->code == errc::job_canceled ? job_state::canceled : job_state::failed;
    r.failure = st.failure;
  } else {
    r.state = job_state::finished;
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
  log().info("job '{}' {} after {:.3f} s{}{}", job.name, to_string(r.state),
             std::chrono::duration<double>(r.wall_time).count(), st.failure ? ": " : "",
             st.failure ? st.failure->message : "");
  st.subtasks.clear();
  job.control->complete(std::move(r));
  self->quit();
}

caf::behavior job_supervisor(supervisor_actor* self, std::shared_ptr<const job_context> job) {
  self->state.job = job;
  const auto n = job->plan.subtasks().size();
  for (std::size_t sid = 0; sid < n; ++sid)
    self->state.subtasks.push_back(spawn_subtask(self, job, static_cast<int>(sid)));
  self->state.alive = n;
  auto table = std::make_shared<const std::vector<caf::actor>>(self->state.subtasks);
  for (auto& s : self->state.subtasks) self->send(s, start_atom::value, actor_table{table});
  job->control->state.store(job_state::running);
  log().debug("job '{}' deployed {} subtasks", job->name, n);

  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.reason && !st.failure && !st.canceled) {
      st.failure = error{errc::job_failed,
                         "a subtask actor ended abnormally: " + self->system().render(dm.reason)};
      job->control->state.store(job_state::failing);
      kill_all(self);
    }
    if (--st.alive == 0) complete(self);
  });

  return {
      [=](done_atom, int, const operator_report& rep) {
        ++self->state.done;
        for (const auto& [node, c] : *rep) {
          auto& acc = self->state.op_counters[node];
          acc.records_in += c.records_in;
          acc.records_out += c.records_out;
          acc.late_records += c.late_records;
        }
      },
      [=](failed_atom, int, const std::string& msg) {
        auto& st = self->state;
        if (st.failure) return;
        st.failure = error{errc::job_failed, msg};
        job->control->state.store(job_state::failing);
        kill_all(self);
      },
      [=](cancel_atom) {
        auto& st = self->state;
        if (st.failure || st.alive == 0) return;
        st.canceled = true;
        st.failure = error{errc::job_canceled, "job '" + job->name + "' was canceled"};
        job->control->state.store(job_state::canceling);
        kill_all(self);
      },
  };
}

}  // namespace

caf::actor spawn_job_supervisor(caf::actor_system& sys, std::shared_ptr<const job_context> job) {
  return sys.spawn(job_supervisor, std::move(job));
}

}  // namespace eddy::detail
