#pragma once
// Flink's job settings of a SQL session (SET 'key' = 'value') applied to a job's
// execution_config: checkpoints ('execution.checkpointing.interval', '.mode', '.timeout',
// 'state.checkpoints.dir' / 'execution.checkpointing.dir') and the restart strategy
// ('restart-strategy.type' = 'none' | 'fixed-delay' | 'failure-rate' with its
// 'restart-strategy.fixed-delay.*' / 'restart-strategy.failure-rate.*' keys). Internal to
// eddy_table.
#include <map>
#include <string>

#include "eddy/runtime/execution_config.hpp"

namespace eddy::table {

/// Checks one SET: an error message naming the key and the expected form, or "" (keys not
/// listed above are not checked).
std::string check_execution_setting(const std::string& key, const std::string& value);

/// Applies the settings to `cfg`. Checkpointing is on when the interval is set and above 0; its
/// store is `checkpoint_dir` if given (a cluster's coordinator store), else the settings'
/// directory (a `file://` prefix is dropped). Returns "" or an error message; sets
/// `needs_directory` when checkpointing is on without any directory (the caller provides one).
std::string apply_execution_settings(const std::map<std::string, std::string>& settings,
                                     const std::string& checkpoint_dir, execution_config& cfg,
                                     bool& needs_directory);

}  // namespace eddy::table
