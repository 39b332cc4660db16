#pragma once
// Internal: the checkpoint coordinator actor of a job (Flink's CheckpointCoordinator).
//
// Triggers a checkpoint every `interval` (respecting min pause and max concurrent) by sending
// (trigger_atom, id) to every source subtask; sources snapshot their position and send a barrier
// downstream; every subtask acknowledges with its operators' snapshot blobs once it has the
// barrier from all inputs. Blobs go to the checkpoint store as they arrive; when every subtask
// acknowledged, the metadata is written (completing the checkpoint), old checkpoints are removed
// and every subtask is told (chkdone_atom) so two-phase-commit sinks can commit. A subtask that
// finished sends its final snapshot (finished_atom), which stands in for its acknowledgement of
// every later checkpoint (Flink's checkpoints after tasks finished). Sources with a split
// enumerator are triggered through it (it snapshots first, split_enumerator_actor.hpp), and the
// checkpoint also waits for its state. Checkpoints are triggered at
// the sources that still run, and none once all have finished. A decline (a snapshot that failed,
// a source that ended when checkpoints are off) or the timeout aborts the checkpoint; the job
// carries on. Savepoints go to their own store (savepoint_atom). The supervisor pauses it before a
// restart and re-deploys it with the new subtask handles. Ends when its supervisor does.
#include <caf/fwd.hpp>
#include <memory>

#include "eddy/runtime/checkpoint_store.hpp"
#include "job_control.hpp"

namespace eddy::detail {

/// Spawns the coordinator; ids continue after `last_id` (the restored checkpoint's, or 0).
caf::actor spawn_checkpoint_coordinator(caf::actor_system& sys,
                                        std::shared_ptr<const job_context> job,
                                        std::shared_ptr<checkpoint_store> store,
                                        std::uint64_t last_id);

}  // namespace eddy::detail
