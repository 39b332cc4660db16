#include "split_enumerator_actor.hpp"

#include <caf/all.hpp>

#include "eddy/runtime/control_channel.hpp"
#include "eddy/runtime/log.hpp"
#include "messages.hpp"
#include "split_assignment.hpp"

namespace eddy::detail {

namespace {

constexpr const char* state_name = "__enumerator";
constexpr const char* state_type = "split_assignment<v1>";

struct enumerator_state {
  std::shared_ptr<const job_context> job;
  int node = 0;
  caf::actor supervisor;
  caf::actor coordinator;
  std::unique_ptr<split_enumerator> enumerator;
  std::unique_ptr<split_assignment> assignment;
  actor_table all;                  // every subtask of the deployment, by sid
  std::vector<caf::actor> readers;  // by subtask index
  std::vector<int> reader_sids;     // by subtask index
  bool failed = false;
  bool restored = false;                          // the deployment restored the enumerator's state
  bool discovered_once = false;                   // a discovery succeeded
  control_channel_enumerator* control = nullptr;  // a control channel's (the log wakes it)
  bool control_ended = false;                     // its readers were told there is no more
  static inline const char* name = "eddy.split_enumerator";
};

using enumerator_actor = caf::stateful_actor<enumerator_state>;

void send_out(enumerator_actor* self, const split_assignment::outbox& out) {
  auto& st = self->state;
  for (const auto& [index, ids] : out.splits) {
    if (index < 0 || static_cast<std::size_t>(index) >= st.readers.size()) continue;
    std::vector<std::string> data;
    data.reserve(ids.size());
    for (const auto& id : ids) data.push_back(st.enumerator->split_data(id));
    self->send(st.readers[static_cast<std::size_t>(index)], split_atom::value, ids, data,
               out.no_more.count(index) > 0);
  }
  for (int index : out.no_more)
    if (!out.splits.count(index) && index >= 0 &&
        static_cast<std::size_t>(index) < st.readers.size())
      self->send(st.readers[static_cast<std::size_t>(index)], split_atom::value,
                 std::vector<std::string>{}, std::vector<std::string>{}, true);
}

/// An error no restart mends (the job as built is wrong): the job fails without restarting.
struct job_definition_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Runs `f`; an exception fails the job (once) naming the source: a job_definition_error for
/// good, any other as a failure the restart strategy may restart from.
template <class F>
void guarded(enumerator_actor* self, F&& f) {
  auto& st = self->state;
  if (st.failed) return;
  const log_job_scope scope(st.job->control->id);  // what the enumerator logs names the job
  auto fail = [&](const char* what, bool fatal) {
    st.failed = true;
    self->send(st.supervisor, failed_atom::value, -1,
               "source '" + st.job->graph->node(st.node).name + "': " + what, fatal);
  };
  try {
    f();
  } catch (const job_definition_error& e) {
    fail(e.what(), true);
  } catch (const std::exception& e) {
    fail(e.what(), false);
  }
}

void discover(enumerator_actor* self) {
  auto& st = self->state;
  guarded(self, [&] {
    auto found = st.enumerator->discover(!st.restored && !st.discovered_once);
    if (!found) {  // cannot list now: the enumerator said why
      self->delayed_send(self, st.enumerator->retry_interval(), discover_atom::value);
      return;
    }
    st.discovered_once = true;
    split_assignment::outbox out;
    st.assignment->discovered(*found, *st.enumerator, out);
    const auto every = st.enumerator->discovery_interval();
    if (every.count() == 0)
      st.assignment->discovery_done(out);
    else if (!st.control)  // a control channel's log wakes it instead
      self->delayed_send(self, every, discover_atom::value);
    send_out(self, out);
  });
}

caf::behavior split_enumerator_behavior(enumerator_actor* self,
                                        std::shared_ptr<const job_context> job, int node,
                                        caf::actor supervisor, caf::actor coordinator,
                                        std::optional<operator_snapshot> restored) {
  auto& st = self->state;
  st.job = job;
  st.node = node;
  st.supervisor = std::move(supervisor);
  st.coordinator = std::move(coordinator);
  const auto& plan = job->plan;
  for (std::size_t sid = 0; sid < plan.subtasks().size(); ++sid) {
    const auto& sub = plan.subtasks()[sid];
    if (plan.chains()[sub.chain].nodes.front() != node) continue;
    if (st.reader_sids.size() <= static_cast<std::size_t>(sub.index))
      st.reader_sids.resize(static_cast<std::size_t>(sub.index) + 1, -1);
    st.reader_sids[static_cast<std::size_t>(sub.index)] = static_cast<int>(sid);
  }
  st.assignment = std::make_unique<split_assignment>(static_cast<int>(st.reader_sids.size()));
  guarded(self, [&] {
    st.enumerator = job->graph->node(node).make_enumerator();
    if (!st.enumerator) throw std::runtime_error("the source made no split enumerator");
    if (restored)
      for (const auto& e : restored->entries)
        if (e.name == state_name) {
          if (e.type != state_type)
            throw std::runtime_error("the split enumerator's state was written as " + e.type);
          st.assignment->restore(e.data);
          st.restored = true;
        }
    if (auto* c = dynamic_cast<control_channel_enumerator*>(st.enumerator.get())) {
      // A control channel: its messages come from the job's log, which wakes this actor.
      auto other = job->control->channels->attach(c->channel(), static_cast<int>(node),
                                                  [w = caf::actor_cast<caf::weak_actor_ptr>(self)] {
                                                    if (auto a = caf::actor_cast<caf::actor>(w))
                                                      caf::anon_send(a, discover_atom::value);
                                                  });
      if (other)
        throw job_definition_error("control channel '" + c->channel() +
                                   "' has two sources in this job (graph nodes " +
                                   std::to_string(*other) + " and " + std::to_string(node) +
                                   "); give each control source of a job its own channel name");
      st.control = c;
      c->attach(job->control->channels);
      self->send(st.supervisor, control_atom::value, static_cast<std::int32_t>(node));
    }
  });
  return {
      [=](deploy_atom, const actor_table& handles) {
        auto& s = self->state;
        if (s.failed) return;
        s.all = handles;
        for (int sid : s.reader_sids)
          s.readers.push_back((*handles)[static_cast<std::size_t>(sid)]);
        for (std::size_t i = 0; i < s.readers.size(); ++i)
          // A control channel's messages all go to reader 0: the others end at once.
          self->send(s.readers[i], split_atom::value, std::vector<std::string>{},
                     std::vector<std::string>{}, s.control && i > 0);
        discover(self);
      },
      [=](discover_atom) {
        // Not before deploy_atom: what a discovery assigns would reach no reader (a control
        // channel's log may wake this actor before the supervisor's deploy_atom arrives; the
        // deployment discovers everything anyway).
        auto& s = self->state;
        if (s.all && !s.control_ended) discover(self);
      },
      [=](ctlend_atom) {
        // Every other source ended: hand over what the log holds, refuse more, end the reader.
        auto& s = self->state;
        if (!s.control || s.control_ended || s.failed || s.readers.empty()) return;
        s.job->control->channels->close(
            s.control->channel(), "every other source of job '" + s.job->name + "' has ended");
        discover(self);
        s.control_ended = true;
        self->send(s.readers.front(), split_atom::value, std::vector<std::string>{},
                   std::vector<std::string>{}, true);
      },
      [=](splitreq_atom, std::int32_t index) {
        guarded(self, [&] {
          split_assignment::outbox out;
          self->state.assignment->requested(index, out);
          send_out(self, out);
        });
      },
      [=](trigger_atom, std::uint64_t id, bool stop, bool drain,
          const std::vector<std::int32_t>& sids) {
        auto& s = self->state;
        if (s.failed) return;
        operator_snapshot snap;
        snap.header.checkpoint_id = id;
        snap.header.operator_uid = s.job->graph->node(s.node).state_uid();
        snap.header.operator_name = s.job->graph->node(s.node).name;
        snap.header.parallelism = static_cast<int>(s.reader_sids.size());
        snap.header.max_parallelism = s.job->config.max_parallelism;
        snap.entries.push_back(state_entry{state_name, -1, state_type, s.assignment->snapshot()});
        self->send(s.coordinator, ack_atom::value, static_cast<std::int32_t>(s.node), id,
                   encode_snapshot(std::move(snap)));
        // After the snapshot: assignments sent before it reach the readers before the trigger.
        if (!s.all) return;  // not deployed: cannot happen (the supervisor deploys it first)
        for (auto sid : sids)
          if (sid >= 0 && static_cast<std::size_t>(sid) < s.all->size())
            self->send((*s.all)[static_cast<std::size_t>(sid)], trigger_atom::value, id, stop,
                       drain);
      },
  };
}

}  // namespace

caf::actor spawn_split_enumerator(caf::actor_system& sys, std::shared_ptr<const job_context> job,
                                  int node, caf::actor supervisor, caf::actor coordinator,
                                  std::optional<operator_snapshot> restored) {
  return sys.spawn<caf::detached>(split_enumerator_behavior, std::move(job), node,
                                  std::move(supervisor), std::move(coordinator),
                                  std::move(restored));
}

}  // namespace eddy::detail
