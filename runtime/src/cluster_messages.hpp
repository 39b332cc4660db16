#pragma once
// Internal: the messages between the nodes of a cluster (coordinator, workers, clients) and the
// registration of their types with CAF. Every type here crosses the network, so it is a value
// type with an inspect() overload, registered under the same name in every process.
//
// Joining (gate actor, published on the coordinator's port):
//   node -> gate: request (hello_atom) -> std::string nonce
//   node -> gate: request (auth_atom, role, name, proof) -> caf::actor job manager, or an error;
//     proof = hex HMAC-SHA256(secret, nonce + role) when the coordinator has a secret.
// Workers (task manager actor on the worker, job manager on the coordinator):
//   tm -> jm: request (register_atom, tm, name, slots, data address) -> std::int32_t worker id;
//     the data address (HOST:PORT) is where the task manager is published for other workers
//   tm -> jm: request (heartbeat_atom, worker id) -> std::int64_t, every heartbeat interval: the
//     coordinator's heartbeat timeout (ms); a task manager whose heartbeat goes unanswered that
//     long (plus two intervals) stops its subtasks and registers again (self-fencing). A job
//     manager that does not know the id (it declared the worker lost) answers -1 and sends
//     (lost_atom, worker id): the task manager stops its subtasks and registers again (unless
//     it registered anew meanwhile). A task manager registering again replaces its old entry.
// Clients:
//   client -> jm: request (submit_atom, spec json, lib bytes) -> std::string job id
//   client -> jm: request (wait_atom, job id) -> std::string job result json (when it ends)
//   client -> jm: (cancel_atom, job id)
// Jobs (supervisor on the coordinator):
//   supervisor -> jm: request (allocate_atom, job id, slots, preferred) -> (std::vector<caf::actor>
//     a task manager per slot, std::vector<std::string> their data addresses); `preferred`: the
//     previous deployment's task manager per slot, kept where they have room (local recovery);
//     (release_atom, job id) when the job ended
//   jm -> supervisor: (lost_atom, caf::node_id) a worker was declared lost
//   supervisor -> tm: request (spawn_atom, job id, attempt, spec json, lib bytes, sids,
//     supervisor, coordinator, restore) -> std::vector<caf::actor> (one per sid)
// Local recovery: a subtask on a worker also hands its checkpoint snapshots to its task manager
//   (localsnap_atom, sid, id, snapshot_blobs) and reports (chkdone_atom, sid, id) when checkpoint
//   id completed; the task manager keeps the newest completed one per subtask. Before restoring
//   checkpoint id, supervisor -> tm: request (localckpt_atom, job id, id) -> std::vector<int32>
//   the subtasks it holds that checkpoint for; their state is not shipped (restore_payload::
//   local_sids).
//   supervisor -> tm: request (peers_atom, addresses) -> bool: connect directly to these other
//     task managers (so batches do not travel through the coordinator); then
//   supervisor -> tm: (start_atom, job id, attempt, std::vector<caf::actor> all subtasks)
//   subtask -> supervisor: (done_atom, sid, done_report)
//   supervisor -> tm: request (commit_atom, job id, attempt, ok) -> std::string error ("" = ok):
//     runs the job-finished actions of the attempt's subtasks on that worker
//   supervisor -> tm: (drop_atom, job id) forget the job
//   tm -> supervisor: (metrics_atom, sids, packed metrics) every heartbeat interval: the live
//     metrics of its subtasks (live_subtask_metrics::pack)
// Job control (clients -> jm): request (status_atom, job id) -> std::string JSON (job, program,
//   subtask metrics, checkpoints); (workers_atom) -> std::string JSON; (savepoint_atom, job id,
//   dir, stop) -> std::string savepoint path; (rescale_atom, job id, parallelism, dir) ->
//   std::string id of the job resumed from the stop-with-savepoint at that parallelism;
//   (control_atom, job id, channel, text) -> std::uint64_t sequence number of the message on
//   the job's control channel; (ctllog_atom, job id, channel) -> std::string JSON of the
//   messages sent on it
// Exchange between subtasks on different nodes: (rbatch_atom, in_local, std::string) carries
// a Cap'n Proto batch (batch_codec.hpp); watermarks, barriers, end of stream and credits use the
// same messages as locally.
#include <caf/all.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "messages.hpp"

namespace eddy::detail {

using hello_atom = caf::atom_constant<caf::atom("hello")>;
using auth_atom = caf::atom_constant<caf::atom("auth")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;
using submit_atom = caf::atom_constant<caf::atom("submit")>;
using wait_atom = caf::atom_constant<caf::atom("wait")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using allocate_atom = caf::atom_constant<caf::atom("allocate")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using lost_atom = caf::atom_constant<caf::atom("lost")>;
using spawn_atom = caf::atom_constant<caf::atom("spawn")>;
using commit_atom = caf::atom_constant<caf::atom("commit")>;
using drop_atom = caf::atom_constant<caf::atom("drop")>;
using rbatch_atom = caf::atom_constant<caf::atom("rbatch")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using check_atom = caf::atom_constant<caf::atom("check")>;
using holdfin_atom = caf::atom_constant<caf::atom("holdfin")>;
using peers_atom = caf::atom_constant<caf::atom("peers")>;
using localsnap_atom = caf::atom_constant<caf::atom("localsnap")>;
using localckpt_atom = caf::atom_constant<caf::atom("localckpt")>;
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using workers_atom = caf::atom_constant<caf::atom("workers")>;
using rescale_atom = caf::atom_constant<caf::atom("rescale")>;
using ctllog_atom = caf::atom_constant<caf::atom("ctllog")>;

/// What a subtask on another node reports when it ends: its operators' counters and its
/// metrics (the supervisor's own metrics cannot see remote subtasks).
struct done_report {
  std::vector<std::int32_t> nodes;      ///< graph node ids
  std::vector<std::uint64_t> counters;  ///< 3 per node: records in, records out, late
  std::vector<std::uint64_t> metrics;   ///< see subtask_actor's report_done
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, done_report& x) {
  return f(caf::meta::type_name("eddy_done_report"), x.nodes, x.counters, x.metrics);
}

/// The state a subtask on a worker restores: checkpoint id, where it came from, and the encoded
/// operator snapshots of the subtasks being deployed (already split for their parallelism).
struct restore_payload {
  std::uint64_t checkpoint_id = 0;  ///< 0: nothing to restore
  std::string location;
  std::int32_t max_parallelism = 128;
  std::vector<std::string> blobs;
  std::vector<std::int32_t> local_sids;  ///< restore from the task manager's local copy
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, restore_payload& x) {
  return f(caf::meta::type_name("eddy_restore_payload"), x.checkpoint_id, x.location,
           x.max_parallelism, x.blobs, x.local_sids);
}

/// An error reply carrying `msg` (what remote requesters show the user).
inline caf::error cluster_error(const std::string& msg) {
  return caf::make_error(caf::sec::runtime_error, msg);
}

/// The message of an error reply (see cluster_error), or CAF's rendering of other errors.
inline std::string error_text(caf::actor_system& sys, const caf::error& e) {
  const auto& ctx = e.context();
  if (ctx.match_elements<std::string>()) return ctx.get_as<std::string>(0);
  return sys.render(e);
}

/// Registers every type that crosses the network (call on every node's config).
inline void add_cluster_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<snapshot_blobs>("eddy_snapshot_blobs");
  cfg.add_message_type<done_report>("eddy_done_report");
  cfg.add_message_type<restore_payload>("eddy_restore_payload");
  cfg.add_message_type<std::vector<std::int32_t>>("eddy_int_vector");
  cfg.add_message_type<std::vector<std::uint64_t>>("eddy_u64_vector");
  cfg.add_message_type<std::vector<std::pair<int, std::string>>>("eddy_blob_items");
}

}  // namespace eddy::detail
