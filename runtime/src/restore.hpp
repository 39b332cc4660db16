#pragma once
// Internal: loading the state a job restores from (the newest readable completed checkpoint of a
// checkpoint store) and handing each subtask its part.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eddy/runtime/checkpoint_store.hpp"
#include "eddy/runtime/error.hpp"
#include "eddy/runtime/job_graph.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/snapshot.hpp"

namespace eddy::detail {

/// The decoded snapshots of one completed checkpoint, by operator state uid.
struct restore_set {
  std::uint64_t checkpoint_id = 0;
  std::string location;  ///< store directory, for messages
  int max_parallelism = 128;
  struct op {
    int parallelism = 1;
    std::vector<operator_snapshot> subtasks;  ///< by old subtask index (may be fewer: no state)
    /// A source's split enumerator state (split_enumerator.hpp), if it has one.
    std::optional<operator_snapshot> enumerator;
  };
  std::map<std::string, op> operators;
};

/// Loads the newest completed checkpoint of `job` in `store` whose blobs all decode; a corrupt
/// one is reported (log, with its id and location) and the previous one tried. Checks that every
/// operator in the checkpoint exists in `graph` (by state uid) and that max parallelism matches.
/// No completed checkpoint: nullptr. `min_id`: checkpoints with a smaller id are not
/// considered (a restart takes only its own run's checkpoints: older ones of the same job name
/// in the store are of an earlier run).
[[nodiscard]] expected<std::shared_ptr<const restore_set>> load_restore_set(
    checkpoint_store& store, const std::string& job, const job_graph& graph, int max_parallelism,
    std::uint64_t min_id = 0);

/// The state entries of operator `uid` for subtask `index` of `parallelism` (see
/// operator_base::restore_state), and its counters. Throws std::runtime_error naming the
/// operator if its non-keyed state cannot be split for a new parallelism.
struct subtask_restore {
  std::vector<state_entry> entries;
  operator_counters counters;
  bool found = false;
};
[[nodiscard]] subtask_restore restore_for(const restore_set& rs, const std::string& uid,
                                          const std::string& op_name, int index, int parallelism);

/// Name of the runtime's entry holding an operator's counters.
inline constexpr const char* counters_entry = "__counters";
/// Name of the runtime's entry marking the final snapshot of an operator subtask that had
/// finished: restored, it ends at once without processing anything.
inline constexpr const char* finished_entry = "__finished";

}  // namespace eddy::detail
