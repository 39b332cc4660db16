#pragma once
// Internal: a subtask's chain snapshotted for a checkpoint, in two steps: the operators' parts
// taken at the barrier (on the subtask's actor), then encoded into blobs (on the actor, or on a
// snapshot helper actor when an operator deferred part of its work). Neither blocks beyond the
// operators' own snapshot functions.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "eddy/runtime/job_graph.hpp"
#include "eddy/runtime/snapshot.hpp"
#include "messages.hpp"
#include "task_chain.hpp"

namespace eddy::detail {

/// One operator's snapshot: what it wrote at the barrier and, if it snapshots asynchronously,
/// the function writing the rest.
struct snapshot_part {
  int node;
  operator_snapshot s;
  std::function<void(std::vector<state_entry>&)> later;
  state_entry counters;
};

/// Thrown when an operator's snapshot (its synchronous or its deferred part) fails.
struct part_error {
  std::string op;
  std::string what;
};

/// The snapshots of the chain's operators for checkpoint `id` (`async`: operators may defer
/// part of the work, see operator_base::snapshot_state_async). Throws part_error.
[[nodiscard]] std::vector<snapshot_part> take_snapshot_parts(const job_graph& g, task_chain& chain,
                                                             std::uint64_t id, bool async);

/// Runs the deferred parts and encodes every part into a blob (`finished`: the final snapshot
/// of a finished chain, marked so). Touches nothing of the subtask: runs on the snapshot helper
/// too. Throws part_error if a deferred part fails.
[[nodiscard]] snapshot_blobs encode_snapshot_parts(std::vector<snapshot_part>& parts,
                                                   bool finished);

}  // namespace eddy::detail
