#pragma once
// Internal: reads the running jobs' subtask counters every interval, on a thread of its own, and
// keeps the rates between the last two readings (records/s, share of time backpressured), for
// the REST API and /metrics. Thread-safe.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "eddy/web/job_backend.hpp"

namespace eddy::web {

struct subtask_rate {
  double records_in_per_second = 0;
  double records_out_per_second = 0;
  double backpressure_ratio = 0;  ///< 0..1: share of the interval spent without credit
};

/// "TASK#INDEX", the key of a subtask's rates.
[[nodiscard]] inline std::string subtask_key(const std::string& task, int index) {
  return task + "#" + std::to_string(index);
}

class rate_sampler {
 public:
  /// Starts the thread; `backend` must outlive this object.
  rate_sampler(job_backend& backend, std::chrono::milliseconds interval);
  ~rate_sampler();
  rate_sampler(const rate_sampler&) = delete;
  rate_sampler& operator=(const rate_sampler&) = delete;

  /// The rates of a job's subtasks by subtask_key (empty before two readings, or for a job that
  /// does not run).
  [[nodiscard]] std::map<std::string, subtask_rate> rates(const std::string& job_id) const;

 private:
  struct reading {
    std::chrono::steady_clock::time_point at;
    double records_in = 0, records_out = 0, backpressure_ns = 0;
  };
  void run();
  void sample();

  job_backend& backend_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<std::string, std::map<std::string, reading>> last_;        // sampler thread only
  std::map<std::string, std::map<std::string, subtask_rate>> rates_;  // under mtx_
  std::thread thread_;
};

}  // namespace eddy::web
