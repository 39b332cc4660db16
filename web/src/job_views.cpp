#include "job_views.hpp"

#include <algorithm>
#include <cstdint>

#include "checkpoint_views.hpp"
#include "eddy/runtime/job_json.hpp"

namespace eddy::web {

using nlohmann::json;

json overview_view(const json& jobs, const json& workers, const std::string& mode) {
  int running = 0, finished = 0, canceled = 0, failed = 0;
  for (const auto& j : jobs) {
    const auto s = j.value("state", "");
    if (s == "FINISHED")
      ++finished;
    else if (s == "CANCELED")
      ++canceled;
    else if (s == "FAILED")
      ++failed;
    else
      ++running;  // created, running, restarting, failing, canceling: not ended
  }
  int slots = 0, free = 0;
  for (const auto& w : workers) {
    slots += w.value("slots", 0);
    free += w.value("free", 0);
  }
  return {{"mode", mode},
          {"eddy-version", "0.1.0"},
          {"taskmanagers", workers.size()},
          {"slots-total", slots},
          {"slots-available", free},
          {"jobs-running", running},
          {"jobs-finished", finished},
          {"jobs-cancelled", canceled},
          {"jobs-failed", failed}};
}

namespace {
/// A vertex's state from its subtasks': the least advanced one that has not ended, else the
/// "worst" ended one.
std::string vertex_state(const json& subtasks) {
  bool any_running = false, any_created = false, any_failed = false, any_canceled = false;
  for (const auto& s : subtasks) {
    const auto st = s.value("state", "");
    any_running |= st == "RUNNING";
    any_created |= st == "CREATED";
    any_failed |= st == "FAILED";
    any_canceled |= st == "CANCELED";
  }
  if (any_created) return "CREATED";
  if (any_running) return "RUNNING";
  if (any_failed) return "FAILED";
  if (any_canceled) return "CANCELED";
  return subtasks.empty() ? "CREATED" : "FINISHED";
}

/// Adds a subtask's "latency" (latency_json) to `into`.
void add_latency(latency_histogram& into, const json& subtask) {
  if (subtask.contains("latency")) into.merge(latency_from_json(subtask["latency"].dump()));
}
}  // namespace

json job_view(json job, const std::map<std::string, subtask_rate>& rates) {
  strip_checkpoint_details(job);
  if (!job.contains("subtasks")) job["subtasks"] = json::array();
  for (auto& s : job["subtasks"]) {
    auto it = rates.find(subtask_key(s.value("task", ""), s.value("index", 0)));
    const subtask_rate r = it == rates.end() ? subtask_rate{} : it->second;
    s["records_in_per_second"] = r.records_in_per_second;
    s["records_out_per_second"] = r.records_out_per_second;
    s["backpressure_ratio"] = r.backpressure_ratio;
  }
  auto vertices = json::array();
  if (job.contains("plan") && job["plan"].is_object() && job["plan"].contains("nodes")) {
    for (const auto& node : job["plan"]["nodes"]) {
      json v = node;
      const auto name = node.value("name", "");
      auto subs = json::array();
      double in_rate = 0, out_rate = 0, bp = 0;
      std::uint64_t in = 0, out = 0, dead = 0;
      std::int64_t wm = INT64_MAX, wm_max = INT64_MIN;
      int with_wm = 0;  // subtasks past their first watermark and before the end of time
      latency_histogram latency;
      for (const auto& s : job["subtasks"]) {
        if (s.value("task", "") != name) continue;
        subs.push_back(s);
        add_latency(latency, s);
        in_rate += s.value("records_in_per_second", 0.0);
        out_rate += s.value("records_out_per_second", 0.0);
        bp = std::max(bp, s.value("backpressure_ratio", 0.0));
        in += s.value("records_in", std::uint64_t{0});
        out += s.value("records_out", std::uint64_t{0});
        dead += s.value("dead_letters", std::uint64_t{0});
        const auto w = s.value("watermark", INT64_MIN);
        wm = std::min(wm, w);
        if (w != INT64_MIN && w != INT64_MAX) {
          ++with_wm;
          wm_max = std::max(wm_max, w);
        }
      }
      v["records_in"] = in;
      v["records_out"] = out;
      v["dead_letters"] = dead;
      v["records_in_per_second"] = in_rate;
      v["records_out_per_second"] = out_rate;
      v["backpressure_ratio"] = bp;
      v["watermark"] = (subs.empty() || wm == INT64_MIN) ? json(nullptr) : json(wm);
      // How far its slowest subtask's event time trails its fastest's (while every one of them
      // has a watermark and none has ended).
      v["watermark_skew_ms"] = (with_wm >= 2 && with_wm == static_cast<int>(subs.size()))
                                   ? json(wm_max - wm)
                                   : json(nullptr);
      if (!latency.empty()) v["latency"] = json::parse(latency_json(latency));
      v["state"] = vertex_state(subs);
      v["subtasks"] = std::move(subs);
      vertices.push_back(std::move(v));
    }
  }
  job["vertices"] = std::move(vertices);
  // The job's end-to-end latency: over all its sinks' markers.
  latency_histogram latency;
  for (const auto& s : job["subtasks"]) add_latency(latency, s);
  if (!latency.empty()) job["latency"] = json::parse(latency_json(latency));
  return job;
}

json exceptions_view(const json& job) {
  auto entries = json::array();
  if (job.contains("exceptions"))
    for (auto it = job["exceptions"].rbegin(); it != job["exceptions"].rend(); ++it)
      entries.push_back(*it);
  json root = nullptr;
  json when = nullptr;
  if (job.contains("failure")) {
    root = job["failure"];
  } else if (!entries.empty()) {
    root = entries.front()["message"];
    when = entries.front()["timestamp_ms"];
  }
  if (root.is_string() && when.is_null() && !entries.empty())
    when = entries.front()["timestamp_ms"];
  return {{"root-exception", root}, {"timestamp", when}, {"entries", entries}};
}

}  // namespace eddy::web
