#include "checkpoint_views.hpp"

#include <algorithm>
#include <string>

#include "eddy/runtime/job_result.hpp"

namespace eddy::web {

using nlohmann::json;

namespace {

/// The checkpoint `id` of `job` with its details, or nullptr (with `why`).
const json* checkpoint_with_details(const json& job, std::uint64_t id, std::string& why) {
  if (job.contains("checkpoints"))
    for (const auto& c : job["checkpoints"]) {
      if (c.value("id", std::uint64_t{0}) != id) continue;
      if (c.contains("subtasks")) return &c;
      why = "checkpoint " + std::to_string(id) + " of job '" + job.value("id", "") +
            "' no longer has its details (kept for the newest " +
            std::to_string(kept_checkpoint_details) + " checkpoints)";
      return nullptr;
    }
  why = "job '" + job.value("id", "") + "' has no completed checkpoint " + std::to_string(id);
  return nullptr;
}

/// The checkpoint's fields without its subtasks.
json checkpoint_summary(const json& c) {
  json out = c;
  out.erase("subtasks");
  return out;
}

/// One vertex's summary over `subtasks` (its entries of a checkpoint's "subtasks").
json vertex_summary(const json& node, const json& subtasks) {
  std::uint64_t bytes = 0;
  int acked = 0, finished = 0;
  std::int64_t e2e = 0, alignment = 0, sync = 0, async = 0;
  for (const auto& s : subtasks) {
    ++acked;
    if (s.value("status", "") == "FINISHED") ++finished;
    bytes += s.value("bytes", std::uint64_t{0});
    e2e = std::max(e2e, s.value("end_to_end_duration_us", std::int64_t{0}));
    alignment = std::max(alignment, s.value("alignment_duration_us", std::int64_t{0}));
    sync = std::max(sync, s.value("sync_duration_us", std::int64_t{0}));
    async = std::max(async, s.value("async_duration_us", std::int64_t{0}));
  }
  return {{"id", node.value("id", -1)},
          {"name", node.value("name", "")},
          {"parallelism", node.value("parallelism", 0)},
          {"num_acknowledged_subtasks", acked},
          {"num_finished_subtasks", finished},
          {"end_to_end_duration_us", e2e},
          {"alignment_duration_us", alignment},
          {"sync_duration_us", sync},
          {"async_duration_us", async},
          {"bytes", bytes}};
}

/// The entries of `c`'s "subtasks" of vertex `vertex`, by index.
json subtasks_of(const json& c, int vertex) {
  auto out = json::array();
  for (const auto& s : c["subtasks"])
    if (s.value("vertex", -1) == vertex) out.push_back(s);
  std::sort(out.begin(), out.end(),
            [](const json& a, const json& b) { return a.value("index", 0) < b.value("index", 0); });
  return out;
}

/// The plan's vertices (its "nodes"), or an empty array.
json plan_vertices(const json& job) {
  if (job.contains("plan") && job["plan"].is_object() && job["plan"].contains("nodes"))
    return job["plan"]["nodes"];
  return json::array();
}

}  // namespace

void strip_checkpoint_details(json& job) {
  if (!job.contains("checkpoints")) return;
  for (auto& c : job["checkpoints"]) {
    c["details"] = c.contains("subtasks");
    c.erase("subtasks");
  }
}

json checkpoints_view(const json& job) {
  auto history = json::array();
  if (job.contains("checkpoints"))
    for (auto it = job["checkpoints"].rbegin(); it != job["checkpoints"].rend(); ++it) {
      history.push_back(checkpoint_summary(*it));
      history.back()["details"] = it->contains("subtasks");
    }
  return {{"counts",
           {{"completed", history.size()},
            {"failed", job.value("aborted_checkpoints", std::uint64_t{0})}}},
          {"latest", history.empty() ? json(nullptr) : history.front()},
          {"history", history}};
}

std::optional<json> checkpoint_details_view(const json& job, std::uint64_t checkpoint,
                                            std::string& why) {
  const json* c = checkpoint_with_details(job, checkpoint, why);
  if (!c) return std::nullopt;
  json out = checkpoint_summary(*c);
  out["is_savepoint"] = !c->value("savepoint_path", "").empty();
  auto vertices = json::array();
  int subtasks = 0;
  for (const auto& node : plan_vertices(job)) {
    vertices.push_back(vertex_summary(node, subtasks_of(*c, node.value("id", -1))));
    subtasks += node.value("parallelism", 0);
  }
  out["num_subtasks"] = subtasks;
  out["num_acknowledged_subtasks"] = (*c)["subtasks"].size();
  out["vertices"] = std::move(vertices);
  return out;
}

std::optional<json> checkpoint_vertex_view(const json& job, std::uint64_t checkpoint, int vertex,
                                           std::string& why) {
  const json* c = checkpoint_with_details(job, checkpoint, why);
  if (!c) return std::nullopt;
  for (const auto& node : plan_vertices(job)) {
    if (node.value("id", -1) != vertex) continue;
    auto subs = subtasks_of(*c, vertex);
    json out = vertex_summary(node, subs);
    out["checkpoint"] = checkpoint;
    out["subtasks"] = std::move(subs);
    return out;
  }
  why = "job '" + job.value("id", "") + "' has no vertex " + std::to_string(vertex);
  return std::nullopt;
}

}  // namespace eddy::web
