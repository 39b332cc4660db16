#include "rate_sampler.hpp"

#include <nlohmann/json.hpp>

namespace eddy::web {

rate_sampler::rate_sampler(job_backend& backend, std::chrono::milliseconds interval)
    : backend_(backend), interval_(interval) {
  thread_ = std::thread([this] { run(); });
}

rate_sampler::~rate_sampler() {
  {
    std::lock_guard g(mtx_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::map<std::string, subtask_rate> rate_sampler::rates(const std::string& job_id) const {
  std::lock_guard g(mtx_);
  auto it = rates_.find(job_id);
  return it == rates_.end() ? std::map<std::string, subtask_rate>{} : it->second;
}

void rate_sampler::run() {
  std::unique_lock g(mtx_);
  while (!stop_) {
    g.unlock();
    sample();
    g.lock();
    cv_.wait_for(g, interval_, [this] { return stop_; });
  }
}

void rate_sampler::sample() {
  using nlohmann::json;
  auto list = backend_.jobs();
  if (!list) return;  // the coordinator is unreachable: keep the last rates
  const auto jobs = json::parse(*list, nullptr, false);
  if (!jobs.is_array()) return;
  std::map<std::string, std::map<std::string, reading>> now_readings;
  std::map<std::string, std::map<std::string, subtask_rate>> now_rates;
  for (const auto& j : jobs) {
    if (j.value("state", "") != "RUNNING") continue;
    const auto id = j.value("id", "");
    auto detail = backend_.job(id);
    if (!detail) continue;
    const auto d = json::parse(*detail, nullptr, false);
    if (!d.is_object() || !d.contains("subtasks")) continue;
    const auto at = std::chrono::steady_clock::now();
    auto& readings = now_readings[id];
    auto& rates = now_rates[id];
    const auto prev_job = last_.find(id);
    for (const auto& s : d["subtasks"]) {
      const auto key = subtask_key(s.value("task", ""), s.value("index", 0));
      reading r{at, s.value("records_in", 0.0), s.value("records_out", 0.0),
                s.value("backpressure_ns", 0.0)};
      readings[key] = r;
      if (prev_job == last_.end()) continue;
      auto prev = prev_job->second.find(key);
      if (prev == prev_job->second.end()) continue;
      const double secs = std::chrono::duration<double>(at - prev->second.at).count();
      if (secs <= 0) continue;
      subtask_rate rate;
      // A restarted subtask counts from 0 again: no negative rates.
      rate.records_in_per_second = std::max(0.0, r.records_in - prev->second.records_in) / secs;
      rate.records_out_per_second = std::max(0.0, r.records_out - prev->second.records_out) / secs;
      rate.backpressure_ratio = std::min(
          1.0, std::max(0.0, r.backpressure_ns - prev->second.backpressure_ns) / (secs * 1e9));
      rates[key] = rate;
    }
  }
  last_ = std::move(now_readings);
  std::lock_guard g(mtx_);
  rates_ = std::move(now_rates);
}

}  // namespace eddy::web
