#pragma once
// Internal: the actor running one source's split enumerator (split_enumerator.hpp) beside the
// job supervisor, one per source with an enumerator and deployment (the supervisor spawns it
// with the state the deployment restores and ends it before the next one).
//
// Protocol (messages.hpp): on (deploy_atom, handles) it sends every reader of its source an
// empty (split_atom, {}, false) so the reader knows whom to ask, discovers, and sends what the
// discovery assigned; a reader's (splitreq_atom, index) is answered when a split is there (or,
// for a bounded source, with no_more). A checkpoint's (trigger_atom, id, stop, sids) from the
// coordinator is answered with (ack_atom, node, id, blob) and then forwarded to those reader
// subtasks, so assignments and reader snapshots never disagree. Discovery runs again every
// discovery_interval() (a delayed message to itself: nothing polls). A failure of the
// enumerator (discover threw) is reported to the supervisor as (failed_atom, -1, message,
// false), which restarts or fails the job. Detached: discover may block.
#include <caf/fwd.hpp>
#include <memory>
#include <optional>

#include "eddy/runtime/snapshot.hpp"
#include "job_control.hpp"

namespace eddy::detail {

/// Spawns the enumerator of source node `node` of `job`; `restored` is its state in the
/// checkpoint the deployment restores (nullopt: a fresh start).
caf::actor spawn_split_enumerator(caf::actor_system& sys, std::shared_ptr<const job_context> job,
                                  int node, caf::actor supervisor, caf::actor coordinator,
                                  std::optional<operator_snapshot> restored);

}  // namespace eddy::detail
