#include "eddy/runtime/job_json.hpp"

#include <nlohmann/json.hpp>

namespace eddy {

std::string subtasks_json(const std::vector<subtask_metrics>& subtasks) {
  auto out = nlohmann::json::array();
  for (const auto& m : subtasks)
    out.push_back({{"task", m.task},
                   {"index", m.index},
                   {"records_in", m.records_in},
                   {"records_out", m.records_out},
                   {"batches_in", m.batches_in},
                   {"batches_out", m.batches_out},
                   {"backpressure_ns", m.backpressure_ns},
                   {"backpressure_events", m.backpressure_events},
                   {"watermark", m.watermark},
                   {"input_read", m.input_read},
                   {"input_size", m.input_size},
                   {"source_records", m.source_records},
                   {"tail_records_in", m.tail_records_in},
                   {"state", to_string(m.state)}});
  return out.dump();
}

std::string checkpoints_json(const std::vector<checkpoint_stats>& checkpoints) {
  auto out = nlohmann::json::array();
  for (const auto& c : checkpoints)
    out.push_back({{"id", c.id},
                   {"timestamp_ms", c.timestamp_ms},
                   {"duration_ms", c.duration.count()},
                   {"bytes", c.bytes},
                   {"savepoint_path", c.savepoint_path}});
  return out.dump();
}

std::string exceptions_json(const std::vector<job_exception>& exceptions) {
  auto out = nlohmann::json::array();
  for (const auto& e : exceptions)
    out.push_back(
        {{"timestamp_ms", e.timestamp_ms}, {"message", e.message}, {"attempt", e.attempt}});
  return out.dump();
}

}  // namespace eddy
