#pragma once
// Internal: the REST API's answers, shaped from a job_backend's JSON (job_backend.hpp) and the
// sampler's rates. Pure functions, any thread.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "rate_sampler.hpp"

namespace eddy::web {

/// /overview: jobs by state, workers and slots, the mode.
[[nodiscard]] nlohmann::json overview_view(const nlohmann::json& jobs,
                                           const nlohmann::json& workers, const std::string& mode);
/// The job's subtasks with their rates ("records_in_per_second", "records_out_per_second",
/// "backpressure_ratio") added, and "vertices": the plan's chains with their subtasks' counters
/// summed (rates, records), their backpressure (the highest of their subtasks), their watermark
/// (the lowest; null before the first) and their state.
[[nodiscard]] nlohmann::json job_view(nlohmann::json job,
                                      const std::map<std::string, subtask_rate>& rates);
/// /jobs/ID/exceptions: {"root-exception" (the failure, else the newest, else null),
/// "timestamp", "entries" (newest first)}.
[[nodiscard]] nlohmann::json exceptions_view(const nlohmann::json& job);

}  // namespace eddy::web
