#pragma once
/// Checkpoint state of a reader that holds splits with a position each (a file and its next
/// byte, a range and its rows read): union state, so that a restore at another parallelism
/// deals every old reader's unfinished splits out among the new readers. The state is the
/// parallelism it was written at and the (split, position) pairs. Used by the directory and
/// PostgreSQL sources; runs on the reader's subtask actor.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "eddy/runtime/state_snapshot.hpp"
#include "eddy/runtime/subtask_info.hpp"

namespace eddy::connectors {

/// The entry holding `splits` of a reader at `parallelism`; `name` starts with "__union:".
[[nodiscard]] state_entry snapshot_split_positions(
    const std::string& name, const std::string& type, int parallelism,
    const std::map<std::string, std::int64_t>& splits);

/// This reader's splits from the restored entries called `name`: at the parallelism they were
/// written at, the reader's own; at another, every old reader's, dealt out by split id. Throws
/// std::runtime_error naming the state if an entry has another type or does not decode.
[[nodiscard]] std::map<std::string, std::int64_t> restore_split_positions(
    const std::vector<state_entry>& entries, const std::string& name, const std::string& type,
    const subtask_info& info);

}  // namespace eddy::connectors
