#pragma once
// Internal: the messages exchanged by a job's actors (CAF headers stay in runtime/src).
//
// Channel protocol, in order per channel:
//   downstream: (batch_atom, in_local, batch_ptr)  (watermark_atom, in_local, t)
//               (eos_atom, in_local)
//   upstream:   (credit_atom, out_local, n)
// Control:  (start_atom, handles) supervisor -> subtask; (done_atom, sid, report) and
//           (failed_atom, sid, message) subtask -> supervisor; (cancel_atom) -> supervisor;
//           (produce_atom), (flush_atom) and (tick_atom) a subtask to itself.
#include <caf/all.hpp>
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

/// Handles of all subtask actors of a job, by global subtask id (local exchange only).
using actor_table = std::shared_ptr<const std::vector<caf::actor>>;

/// Operator counters of one finished subtask: (node id, counters) per operator.
using operator_report = std::shared_ptr<const std::vector<std::pair<int, operator_counters>>>;

struct job_context;
/// Spawns the actor of global subtask `sid`; it reports to `supervisor`.
caf::actor spawn_subtask(caf::event_based_actor* supervisor, std::shared_ptr<const job_context> job,
                         int sid);

}  // namespace eddy::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::batch_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::detail::actor_table)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(eddy::detail::operator_report)
