#include "eddy/web/worker_jobs.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "eddy/runtime/job_json.hpp"

namespace eddy::web {

using nlohmann::json;

namespace {

/// This worker's subtasks of the job (their live counters).
std::vector<subtask_metrics> local_subtasks(const worker_view::job& j) {
  const auto all = j.handle.metrics();
  std::vector<subtask_metrics> out;
  for (auto sid : j.sids)
    if (sid >= 0 && static_cast<std::size_t>(sid) < all.size())
      out.push_back(all[static_cast<std::size_t>(sid)]);
  return out;
}

/// The job's state as this worker sees it: its subtasks' (the least advanced one that has not
/// ended, else the worst ended one).
const char* state_of(const std::vector<subtask_metrics>& subs) {
  bool created = false, running = false, failed = false, canceled = false;
  for (const auto& m : subs) {
    created |= m.state == job_state::created;
    running |= m.state == job_state::running;
    failed |= m.state == job_state::failed;
    canceled |= m.state == job_state::canceled;
  }
  if (created) return "CREATED";
  if (running) return "RUNNING";
  if (failed) return "FAILED";
  if (canceled) return "CANCELED";
  return subs.empty() ? "CREATED" : "FINISHED";
}

json summary(const worker_view::job& j, const std::vector<subtask_metrics>& subs) {
  std::uint64_t in = 0, out = 0;
  for (const auto& m : subs) {
    in += m.records_in;
    out += m.records_out;
  }
  int parallelism = 1;
  const auto plan = json::parse(j.handle.plan_json(), nullptr, false);
  if (plan.is_object() && plan.contains("nodes"))
    for (const auto& n : plan["nodes"])
      parallelism = std::max(parallelism, n.value("parallelism", 1));
  return {{"id", j.id},
          {"name", j.handle.name()},
          {"state", state_of(subs)},
          {"uptime_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - j.handle.started())
                            .count()},
          {"parallelism", parallelism},
          {"records_in", in},
          {"records_out", out},
          {"subtasks_here", subs.size()}};
}

error read_only() {
  return error{errc::invalid_argument, worker_read_only_message};
}

}  // namespace

expected<std::string> worker_jobs::jobs() {
  auto out = json::array();
  for (const auto& j : view_->jobs()) out.push_back(summary(j, local_subtasks(j)));
  return out.dump();
}

expected<std::string> worker_jobs::job(const std::string& id) {
  for (const auto& j : view_->jobs()) {
    if (j.id != id) continue;
    const auto subs = local_subtasks(j);
    auto o = summary(j, subs);
    o["plan"] = json::parse(j.handle.plan_json(), nullptr, false);
    o["subtasks"] = json::parse(subtasks_json(subs));
    o["checkpoints"] = json::array();
    o["aborted_checkpoints"] = 0;
    o["exceptions"] = json::array();
    return o.dump();
  }
  return error{errc::invalid_argument, "no job with id '" + id + "' on this worker"};
}

expected<std::string> worker_jobs::workers() {
  int used = 0;
  for (const auto& j : view_->jobs()) used += static_cast<int>(j.sids.size());
  const int slots = view_->slots();
  auto out = json::array();
  out.push_back({{"id", 0},
                 {"name", view_->name()},
                 {"address", view_->address()},
                 {"slots", slots},
                 {"used", used},
                 {"free", std::max(0, slots - used)},
                 {"heartbeat_ms_ago", 0}});
  return out.dump();
}

expected<std::string> worker_jobs::submit(const std::string&, const std::vector<std::string>&) {
  return read_only();
}
expected<void> worker_jobs::cancel(const std::string&) {
  return read_only();
}
expected<std::string> worker_jobs::savepoint(const std::string&, const std::string&, bool, bool) {
  return read_only();
}
expected<std::string> worker_jobs::rescale(const std::string&, int) {
  return read_only();
}

expected<std::string> worker_jobs::flame_graph(const std::string& id, int vertex,
                                               std::chrono::milliseconds duration) {
  for (const auto& j : view_->jobs())
    if (j.id == id) return j.handle.flame_graph(vertex, duration);
  return error{errc::invalid_argument, "no job with id '" + id + "' on this worker"};
}

}  // namespace eddy::web
