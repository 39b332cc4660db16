#pragma once
// Internal: the REST API's checkpoint answers, shaped from a job_backend's job JSON (its
// "checkpoints", job_json.hpp checkpoints_json, and "plan"). Pure functions, any thread.
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

namespace eddy::web {

/// Replaces each checkpoint's per-subtask "subtasks" by "details": whether the checkpoint has
/// them (the job JSON stays small; /jobs/ID/checkpoints/details/CID serves them).
void strip_checkpoint_details(nlohmann::json& job);
/// /jobs/ID/checkpoints: {"counts": {"completed", "failed"}, "latest", "history" (newest
/// first)}, without the per-subtask details.
[[nodiscard]] nlohmann::json checkpoints_view(const nlohmann::json& job);
/// /jobs/ID/checkpoints/details/CID: the checkpoint's fields, "num_subtasks",
/// "num_acknowledged_subtasks" and "vertices": per vertex of the plan {"id", "name",
/// "parallelism", "num_acknowledged_subtasks", "num_finished_subtasks", the highest
/// "end_to_end_duration_us", "alignment_duration_us", "sync_duration_us", "async_duration_us" of
/// its subtasks and their summed "bytes"}. nullopt if the job has no such checkpoint or no
/// longer keeps its details (`why` says which).
[[nodiscard]] std::optional<nlohmann::json> checkpoint_details_view(const nlohmann::json& job,
                                                                    std::uint64_t checkpoint,
                                                                    std::string& why);
/// /jobs/ID/checkpoints/details/CID/subtasks/VID: the vertex's entry of checkpoint_details_view
/// with its "subtasks" (job_json.hpp's per-subtask fields, by index). nullopt (with `why`) as
/// there, or for an unknown vertex.
[[nodiscard]] std::optional<nlohmann::json> checkpoint_vertex_view(const nlohmann::json& job,
                                                                   std::uint64_t checkpoint,
                                                                   int vertex, std::string& why);

}  // namespace eddy::web
