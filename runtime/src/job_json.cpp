#include "eddy/runtime/job_json.hpp"

#include <nlohmann/json.hpp>

namespace eddy {

namespace {

nlohmann::json latency_object(const latency_histogram& h) {
  auto buckets = nlohmann::json::array();
  for (std::size_t i = 0; i < h.counts.size(); ++i)
    if (h.counts[i] != 0) buckets.push_back({i, h.counts[i]});
  return {{"count", h.total()},
          {"mean_us", h.mean() / 1e3},
          {"p50_us", h.quantile(0.5) / 1e3},
          {"p99_us", h.quantile(0.99) / 1e3},
          {"p999_us", h.quantile(0.999) / 1e3},
          {"sum_ns", h.sum_ns},
          {"buckets", std::move(buckets)}};
}

}  // namespace

std::string latency_json(const latency_histogram& h) {
  return latency_object(h).dump();
}

latency_histogram latency_from_json(std::string_view text) {
  latency_histogram h;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("buckets") || !j["buckets"].is_array()) return h;
  h.counts.assign(latency_buckets::count, 0);
  for (const auto& b : j["buckets"]) {
    if (!b.is_array() || b.size() != 2 || !b[0].is_number_unsigned() || !b[1].is_number_unsigned())
      continue;
    const auto i = b[0].get<std::size_t>();
    if (i < h.counts.size()) h.counts[i] += b[1].get<std::uint64_t>();
  }
  if (j.contains("sum_ns") && j["sum_ns"].is_number_unsigned()) h.sum_ns = j["sum_ns"];
  return h;
}

std::string subtasks_json(const std::vector<subtask_metrics>& subtasks) {
  auto out = nlohmann::json::array();
  for (const auto& m : subtasks) {
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
                   {"dead_letters", m.dead_letters},
                   {"source_lag", m.source_lag ? nlohmann::json(*m.source_lag) : nullptr},
                   {"state", to_string(m.state)}});
    if (!m.latency.empty()) out.back()["latency"] = latency_object(m.latency);
  }
  return out.dump();
}

std::string checkpoints_json(const std::vector<checkpoint_stats>& checkpoints) {
  auto out = nlohmann::json::array();
  for (const auto& c : checkpoints) {
    out.push_back({{"id", c.id},
                   {"timestamp_ms", c.timestamp_ms},
                   {"duration_ms", c.duration.count()},
                   {"bytes", c.bytes},
                   {"savepoint_path", c.savepoint_path}});
    if (c.subtasks.empty()) continue;
    auto subtasks = nlohmann::json::array();
    for (const auto& d : c.subtasks)
      subtasks.push_back({{"vertex", d.vertex},
                          {"index", d.index},
                          {"status", d.finished ? "FINISHED" : "COMPLETED"},
                          {"end_to_end_duration_us", d.end_to_end.count()},
                          {"alignment_duration_us", d.alignment.count()},
                          {"sync_duration_us", d.sync.count()},
                          {"async_duration_us", d.async.count()},
                          {"bytes", d.bytes}});
    out.back()["subtasks"] = std::move(subtasks);
  }
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
