#include "prometheus_text.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <set>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace eddy::web {

using nlohmann::json;

namespace {

using labels = std::map<std::string, std::string>;

prometheus::Family<prometheus::Gauge>& gauge(prometheus::Registry& r, const std::string& name,
                                             const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Counter>& counter(prometheus::Registry& r, const std::string& name,
                                                 const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

double num(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_number() ? it->get<double>() : 0.0;
}

/// Names of the job's tasks (chains) holding a dead-letter operator (the plan's operators with
/// "dead_letters"): their subtasks have the dead-letter metrics, 0 included.
std::set<std::string> dead_letter_tasks(const json& job) {
  std::set<std::string> out;
  if (!job.contains("plan") || !job["plan"].is_object() || !job["plan"].contains("nodes"))
    return out;
  for (const auto& node : job["plan"]["nodes"]) {
    if (!node.contains("operators")) continue;
    for (const auto& op : node["operators"])
      if (op.value("dead_letters", false)) out.insert(node.value("name", ""));
  }
  return out;
}

}  // namespace

std::string prometheus_text(const json& jobs, const std::vector<json>& details,
                            const json& workers) {
  prometheus::Registry reg;
  auto& jobs_by_state = gauge(reg, "eddy_jobs", "Jobs by state");
  std::map<std::string, int> states;
  for (const auto& j : jobs) ++states[j.value("state", "")];
  for (const char* s : {"CREATED", "RUNNING", "RESTARTING", "FAILING", "CANCELING", "FINISHED",
                        "CANCELED", "FAILED"})
    jobs_by_state.Add({{"state", s}}).Set(states[s]);

  auto& uptime = gauge(reg, "eddy_job_uptime_seconds", "Time since the job was submitted");
  auto& restarts = counter(reg, "eddy_job_restarts_total", "Restarts after failures");
  auto& ckpts = counter(reg, "eddy_job_checkpoints_total", "Completed checkpoints");
  auto& ckpts_failed = counter(reg, "eddy_job_checkpoints_failed_total", "Aborted checkpoints");
  auto& ckpt_duration = gauge(reg, "eddy_job_last_checkpoint_duration_seconds",
                              "Trigger to completion of the last completed checkpoint");
  auto& ckpt_size = gauge(reg, "eddy_job_last_checkpoint_size_bytes",
                          "Size of the last completed checkpoint's state (the job's state size)");
  auto& rec_in = counter(reg, "eddy_task_records_in_total", "Records a subtask received");
  auto& rec_out = counter(reg, "eddy_task_records_out_total", "Records a subtask sent");
  auto& rate_in = gauge(reg, "eddy_task_records_in_per_second",
                        "Records received per second over the last sampling interval");
  auto& rate_out = gauge(reg, "eddy_task_records_out_per_second",
                         "Records sent per second over the last sampling interval");
  auto& batches_in = counter(reg, "eddy_task_batches_in_total", "Batches a subtask received");
  auto& batches_out = counter(reg, "eddy_task_batches_out_total", "Batches a subtask sent");
  auto& bp_seconds = counter(reg, "eddy_task_backpressure_seconds_total",
                             "Time a subtask's output waited for credit");
  auto& bp_ratio = gauge(reg, "eddy_task_backpressure_ratio",
                         "Share of the last sampling interval spent waiting for credit (0..1)");
  auto& watermark = gauge(reg, "eddy_task_watermark_milliseconds",
                          "The subtask's event time (lowest watermark of its inputs), epoch ms");
  auto& watermark_lag =
      gauge(reg, "eddy_task_watermark_lag_milliseconds",
            "Wall-clock time minus the subtask's watermark (for event time close to now)");
  auto& latency = gauge(reg, "eddy_task_latency_seconds",
                        "End-to-end latency of the latency markers a sink subtask received "
                        "(execution_config::latency_interval), by quantile");
  auto& markers =
      counter(reg, "eddy_task_latency_markers_total", "Latency markers a sink subtask received");
  auto& dead = counter(reg, "eddy_task_dead_letters_total",
                       "Records a subtask's dead-letter operators received (as_dead_letters)");
  auto& lag = gauge(reg, "eddy_task_source_lag_records",
                    "Records the source's input holds for the subtask that it has not emitted "
                    "yet (Kafka: to the partitions' high watermarks; MQTT: received, not emitted)");
  auto& job_dead =
      counter(reg, "eddy_job_dead_letters_total", "Dead letters of the job, over its subtasks");
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const auto& d : details) {
    const labels job{{"job_id", d.value("id", "")}, {"job_name", d.value("name", "")}};
    uptime.Add(job).Set(num(d, "uptime_ms") / 1000.0);
    restarts.Add(job).Increment(num(d, "restarts"));
    const auto& cps = d.contains("checkpoints") ? d["checkpoints"] : json::array();
    ckpts.Add(job).Increment(static_cast<double>(cps.size()));
    ckpts_failed.Add(job).Increment(num(d, "aborted_checkpoints"));
    if (!cps.empty()) {
      ckpt_duration.Add(job).Set(num(cps.back(), "duration_ms") / 1000.0);
      ckpt_size.Add(job).Set(num(cps.back(), "bytes"));
    }
    if (!d.contains("subtasks")) continue;
    const auto dead_tasks = dead_letter_tasks(d);
    if (!dead_tasks.empty()) {
      double n = 0;
      for (const auto& s : d["subtasks"]) n += num(s, "dead_letters");
      job_dead.Add(job).Increment(n);
    }
    for (const auto& s : d["subtasks"]) {
      labels l = job;
      l["task"] = s.value("task", "");
      l["subtask"] = std::to_string(s.value("index", 0));
      rec_in.Add(l).Increment(num(s, "records_in"));
      rec_out.Add(l).Increment(num(s, "records_out"));
      rate_in.Add(l).Set(num(s, "records_in_per_second"));
      rate_out.Add(l).Set(num(s, "records_out_per_second"));
      batches_in.Add(l).Increment(num(s, "batches_in"));
      batches_out.Add(l).Increment(num(s, "batches_out"));
      bp_seconds.Add(l).Increment(num(s, "backpressure_ns") / 1e9);
      bp_ratio.Add(l).Set(num(s, "backpressure_ratio"));
      if (dead_tasks.count(l["task"]) != 0) dead.Add(l).Increment(num(s, "dead_letters"));
      if (s.contains("source_lag") && s["source_lag"].is_number())
        lag.Add(l).Set(num(s, "source_lag"));
      if (s.contains("latency")) {
        const auto& lat = s["latency"];
        markers.Add(l).Increment(num(lat, "count"));
        for (const auto& [q, key] : {std::pair{"0.5", "p50_us"}, std::pair{"0.99", "p99_us"},
                                     std::pair{"0.999", "p999_us"}}) {
          labels lq = l;
          lq["quantile"] = q;
          latency.Add(lq).Set(num(lat, key) / 1e6);
        }
      }
      const auto wm = s.value("watermark", INT64_MIN);
      if (wm != INT64_MIN) {
        watermark.Add(l).Set(static_cast<double>(wm));
        watermark_lag.Add(l).Set(static_cast<double>(now_ms - wm));
      }
    }
  }

  auto& slots = gauge(reg, "eddy_worker_slots", "Subtask slots a worker offers");
  auto& slots_free = gauge(reg, "eddy_worker_slots_free", "Free subtask slots of a worker");
  auto& beat = gauge(reg, "eddy_worker_heartbeat_age_seconds", "Time since a worker's heartbeat");
  for (const auto& w : workers) {
    const labels l{{"worker", w.value("name", "")}, {"address", w.value("address", "")}};
    slots.Add(l).Set(num(w, "slots"));
    slots_free.Add(l).Set(num(w, "free"));
    beat.Add(l).Set(num(w, "heartbeat_ms_ago") / 1000.0);
  }
  return prometheus::TextSerializer().Serialize(reg.Collect());
}

}  // namespace eddy::web
