#pragma once
// Internal: the messages exchanged by a job's actors (CAF headers stay in runtime/src).
//
// Channel protocol, in order per channel:
//   downstream: (batch_atom, in_local, batch_ptr)  (watermark_atom, in_local, t)
//               (eos_atom, in_local)  (latency_atom, in_local, stamp): a latency marker, the
//               wall clock (ns since the epoch) at its source (latency_marks.hpp)
//   upstream:   (credit_atom, out_local, n)
// Control:  (start_atom, handles) supervisor -> subtask; (done_atom, sid, report, actions) and
//           (failed_atom, sid, message, fatal) subtask -> supervisor; (cancel_atom) -> supervisor;
//           (produce_atom), (flush_atom) and (tick_atom) a subtask to itself.
#include <caf/all.hpp>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "eddy/runtime/batch.hpp"
#include "eddy/runtime/operator.hpp"

namespace eddy::detail {

using batch_atom = caf::atom_constant<caf::atom("batch")>;
using eos_atom = caf::atom_constant<caf::atom("eos")>;
using credit_atom = caf::atom_constant<caf::atom("credit")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using failed_atom = caf::atom_constant<caf::atom("failed")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using produce_atom = caf::atom_constant<caf::atom("produce")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using watermark_atom = caf::atom_constant<caf::atom("watermark")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using latency_atom = caf::atom_constant<caf::atom("latency")>;
// A source's waker (source_waker, any thread) -> its subtask: (wake_atom) data is available.
using wake_atom = caf::atom_constant<caf::atom("wake")>;
// Checkpoints (see checkpoint_coordinator.hpp):
//   coordinator -> source subtask: (trigger_atom, id, stop, drain); `stop`: a
//   stop-with-savepoint, the source produces nothing after its barrier; `drain`: it first
//   advances event time to the end (max watermark)
//   subtask -> downstream, in band: (barrier_atom, in_local, id)
//   subtask -> coordinator: (ack_atom, sid, id, snapshot_blobs) or (decline_atom, sid, id, why)
//   coordinator -> every subtask: (chkdone_atom, id) once the checkpoint is stored
//   supervisor -> coordinator: (deploy_atom, handles) after (re)deployment, (pause_atom) before
//   a restart, request (stop_atom) -> bool once the job ended (nothing completes after it)
// Split enumerators (split_enumerator_actor.hpp): supervisor -> enumerator (deploy_atom,
//   handles); enumerator -> reader subtask (split_atom, ids, data, no_more) (an empty one first,
//   telling the reader its enumerator); reader -> enumerator (splitreq_atom, reader index);
//   coordinator -> enumerator (trigger_atom, id, stop, drain, source sids to trigger): the
//   enumerator answers (ack_atom, node, id, blob) and then triggers those sids itself; supervisor
//   -> coordinator (deploy_atom, handles, enumerators).
// Control channels (control_channel.hpp): a control source's enumerator -> supervisor
// (control_atom,
//   node) "this source is a control channel"; supervisor -> that enumerator (ctlend_atom) once
//   every other source subtask of the deployment has ended: it hands over what the log holds,
//   closes the channel and tells its readers there is no more. The log -> enumerator
//   (discover_atom) when a message arrives.
using control_atom = caf::atom_constant<caf::atom("control")>;
using ctlend_atom = caf::atom_constant<caf::atom("ctlend")>;
using split_atom = caf::atom_constant<caf::atom("split")>;
using splitreq_atom = caf::atom_constant<caf::atom("splitreq")>;
using discover_atom = caf::atom_constant<caf::atom("discover")>;
// Savepoints: runtime -> supervisor -> coordinator: (savepoint_atom, request); once a
//   stop-with-savepoint completed: coordinator -> supervisor (stopped_atom, path), then
//   coordinator -> every subtask (chkdone_atom, id) and (stop_atom): the subtask ends at once.
using trigger_atom = caf::atom_constant<caf::atom("trigger")>;
using barrier_atom = caf::atom_constant<caf::atom("barrier")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using decline_atom = caf::atom_constant<caf::atom("decline")>;
using chkdone_atom = caf::atom_constant<caf::atom("chkdone")>;
// An asynchronous snapshot's helper -> its subtask: (asnap_atom, id, snapshot_blobs) when done,
// (asnap_atom, id, operator, message, fatal) when it failed (fatal: the operator's deferred part
// threw; otherwise encoding failed).
using asnap_atom = caf::atom_constant<caf::atom("asnap")>;
using deploy_atom = caf::atom_constant<caf::atom("deploy")>;
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using savepoint_atom = caf::atom_constant<caf::atom("savepoint")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using stopped_atom = caf::atom_constant<caf::atom("stopped")>;
using kill_atom = caf::atom_constant<caf::atom("kill")>;
// A subtask that finished while checkpoints are on: subtask -> coordinator (finished_atom, sid,
// snapshot_blobs) with its final state (entries "__finished"); it stands in for the subtask's
// acknowledgement of every later checkpoint.
using finished_atom =
    caf::atom_constant<caf::atom("finished")>;  // runtime -> supervisor: (kill, sid)

class savepoint_request;
using savepoint_ptr = std::shared_ptr<savepoint_request>;

/// Handles of all subtask actors of a job, by global subtask id (local exchange only).
using actor_table = std::shared_ptr<const std::vector<caf::actor>>;

/// The split enumerator actors of a job's sources, by graph node id (local exchange only).
using enumerator_table = std::shared_ptr<const std::map<int, caf::actor>>;

/// Operator counters of one finished subtask: (node id, counters) per operator.
using operator_report = std::shared_ptr<const std::vector<std::pair<int, operator_counters>>>;

/// Actions to run when the job has finished successfully (operator_base::take_job_finished_action).
using finish_actions = std::shared_ptr<std::vector<std::function<void(bool)>>>;

/// The encoded snapshots of one subtask at a checkpoint: (graph node id, blob) per operator.
/// A value (not a pointer) so that acknowledgements can come from another node.
struct snapshot_blobs {
  std::vector<std::pair<int, std::string>> items;
  // How the subtask took them (subtask_checkpoint_stats), in microseconds; 0 in a final
  // snapshot.
  std::int64_t alignment_us = 0;
  std::int64_t sync_us = 0;
  std::int64_t async_us = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_blobs& x) {
  return f(caf::meta::type_name("eddy_snapshot_blobs"), x.items, x.alignment_us, x.sync_us,
           x.async_us);
}

struct job_context;
struct restore_set;
/// Spawns the actor of global subtask `sid`; it reports to `supervisor`, acknowledges
/// checkpoints to `coordinator` (may be invalid: no checkpoints) and restores its operators from
/// `restore` (may be null).
caf::actor spawn_subtask(caf::event_based_actor* supervisor, std::shared_ptr<const job_context> job,
                         int sid, caf::actor coordinator,
                         std::shared_ptr<const restore_set> restore);
/// Spawns the actor of global subtask `sid` on a worker: it reports to the (remote) `supervisor`
/// with serializable messages and hands its job-finished actions to `task_manager`.
caf::actor spawn_remote_subtask(caf::event_based_actor* task_manager,
                                std::shared_ptr<const job_context> job, int sid,
                                caf::actor supervisor, caf::actor coordinator,
                                std::shared_ptr<const restore_set> restore);

}  // namespace eddy::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::batch_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::detail::actor_table)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::detail::enumerator_table)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::detail::operator_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::detail::finish_actions)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::detail::savepoint_ptr)
