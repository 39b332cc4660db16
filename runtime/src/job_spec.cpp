#include "job_spec.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <type_traits>

#include "cluster_security.hpp"
#include "eddy/runtime/job_json.hpp"
#include "eddy/runtime/log.hpp"

namespace eddy::detail {

using nlohmann::json;

std::string to_json(const job_spec& s) {
  return json{{"program", s.program},           {"args", s.args},
              {"lib_name", s.lib_name},         {"lib_hash", s.lib_hash},
              {"restore_from", s.restore_from}, {"job_id", s.job_id}}
      .dump();
}

expected<job_spec> job_spec_from_json(std::string_view text) {
  try {
    auto j = json::parse(text);
    job_spec s;
    s.program = j.at("program").get<std::string>();
    s.args = j.at("args").get<std::vector<std::string>>();
    s.lib_name = j.value("lib_name", "");
    s.lib_hash = j.value("lib_hash", "");
    s.job_id = j.value("job_id", "");
    s.restore_from = j.value("restore_from", "");
    return s;
  } catch (const std::exception& e) {
    return error{errc::invalid_argument, std::string("malformed job description: ") + e.what()};
  }
}

std::string to_json(const job_result& r) {
  json j;
  j["job_name"] = r.job_name;
  j["state"] = static_cast<int>(r.state);
  j["wall_time_ns"] = r.wall_time.count();
  for (const auto& o : r.operators)
    j["operators"].push_back({{"name", o.name},
                              {"node_id", o.node_id},
                              {"parallelism", o.parallelism},
                              {"records_in", o.records_in},
                              {"records_out", o.records_out},
                              {"late_records", o.late_records}});
  for (const auto& s : r.subtasks)
    j["subtasks"].push_back({{"task", s.task},
                             {"index", s.index},
                             {"records_in", s.records_in},
                             {"records_out", s.records_out},
                             {"batches_in", s.batches_in},
                             {"batches_out", s.batches_out},
                             {"backpressure_ns", s.backpressure_ns},
                             {"backpressure_events", s.backpressure_events},
                             {"max_queued_batches", s.max_queued_batches},
                             {"max_in_flight_batches", s.max_in_flight_batches},
                             {"remote_bytes_out", s.remote_bytes_out},
                             {"watermark", s.watermark},
                             {"state", static_cast<int>(s.state)},
                             {"credits_per_channel", s.credits_per_channel}});
  if (r.failure)
    j["failure"] = {{"code", static_cast<int>(r.failure->code)}, {"message", r.failure->message}};
  j["checkpoints"] = json::parse(checkpoints_json(r.checkpoints));
  j["aborted_checkpoints"] = r.aborted_checkpoints;
  j["restarts"] = r.restarts;
  j["restored_checkpoint"] = r.restored_checkpoint;
  j["savepoint_path"] = r.savepoint_path;
  return j.dump();
}

namespace {
/// Integer field `key` of `j` as T. It must be a JSON integer within T's range: nlohmann's own
/// conversion takes floats and out-of-range numbers with undefined behaviour.
template <class T>
T int_field(const json& j, const char* key) {
  const json& v = j.at(key);
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (std::is_signed_v<T> ? i >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
                                  i <= static_cast<std::int64_t>(std::numeric_limits<T>::max())
                            : i >= 0)
      return static_cast<T>(i);
  } else {
    throw std::invalid_argument(std::string("'") + key + "' is not an integer: " + v.dump());
  }
  throw std::out_of_range(std::string("'") + key + "' is out of range: " + v.dump());
}
template <class T>
T int_field_or(const json& j, const char* key, T fallback) {
  return j.is_object() && j.contains(key) ? int_field<T>(j, key) : fallback;
}
}  // namespace

expected<job_result> job_result_from_json(std::string_view text) {
  try {
    auto j = json::parse(text);
    job_result r;
    r.job_name = j.at("job_name").get<std::string>();
    r.state = static_cast<job_state>(int_field<int>(j, "state"));
    r.wall_time = std::chrono::nanoseconds(int_field<std::int64_t>(j, "wall_time_ns"));
    for (const auto& o : j.value("operators", json::array())) {
      operator_metrics m;
      m.name = o.at("name");
      m.node_id = int_field<int>(o, "node_id");
      m.parallelism = int_field<int>(o, "parallelism");
      m.records_in = int_field<std::uint64_t>(o, "records_in");
      m.records_out = int_field<std::uint64_t>(o, "records_out");
      m.late_records = int_field<std::uint64_t>(o, "late_records");
      r.operators.push_back(std::move(m));
    }
    for (const auto& o : j.value("subtasks", json::array())) {
      subtask_metrics m;
      m.task = o.at("task");
      m.index = int_field<int>(o, "index");
      m.records_in = int_field<std::uint64_t>(o, "records_in");
      m.records_out = int_field<std::uint64_t>(o, "records_out");
      m.batches_in = int_field<std::uint64_t>(o, "batches_in");
      m.batches_out = int_field<std::uint64_t>(o, "batches_out");
      m.backpressure_ns = int_field<std::uint64_t>(o, "backpressure_ns");
      m.backpressure_events = int_field<std::uint64_t>(o, "backpressure_events");
      m.max_queued_batches = int_field<std::uint64_t>(o, "max_queued_batches");
      m.max_in_flight_batches = int_field<std::uint64_t>(o, "max_in_flight_batches");
      m.remote_bytes_out = int_field_or(o, "remote_bytes_out", std::uint64_t{0});
      m.watermark = int_field_or(o, "watermark", std::numeric_limits<std::int64_t>::min());
      m.state = static_cast<job_state>(int_field_or(o, "state", 0));
      m.credits_per_channel = int_field<int>(o, "credits_per_channel");
      r.subtasks.push_back(std::move(m));
    }
    if (j.contains("failure"))
      r.failure = error{static_cast<errc>(int_field<int>(j["failure"], "code")),
                        j["failure"].at("message").get<std::string>()};
    for (const auto& o : j.value("checkpoints", json::array())) {
      checkpoint_stats c;
      c.id = int_field<std::uint64_t>(o, "id");
      c.timestamp_ms = int_field<std::int64_t>(o, "timestamp_ms");
      c.duration = std::chrono::milliseconds(int_field<std::int64_t>(o, "duration_ms"));
      c.bytes = int_field<std::uint64_t>(o, "bytes");
      c.savepoint_path = o.at("savepoint_path");
      for (const auto& d : o.value("subtasks", json::array())) {
        using std::chrono::microseconds;
        subtask_checkpoint_stats t;
        t.vertex = int_field<int>(d, "vertex");
        t.index = int_field<int>(d, "index");
        t.finished = d.value("status", "") == "FINISHED";
        t.end_to_end = microseconds(int_field<std::int64_t>(d, "end_to_end_duration_us"));
        t.alignment = microseconds(int_field<std::int64_t>(d, "alignment_duration_us"));
        t.sync = microseconds(int_field<std::int64_t>(d, "sync_duration_us"));
        t.async = microseconds(int_field<std::int64_t>(d, "async_duration_us"));
        t.bytes = int_field<std::uint64_t>(d, "bytes");
        c.subtasks.push_back(t);
      }
      r.checkpoints.push_back(std::move(c));
    }
    r.aborted_checkpoints = int_field_or(j, "aborted_checkpoints", std::uint64_t{0});
    r.restarts = int_field_or(j, "restarts", 0);
    r.restored_checkpoint = int_field_or(j, "restored_checkpoint", std::uint64_t{0});
    r.savepoint_path = j.value("savepoint_path", "");
    return r;
  } catch (const std::exception& e) {
    return error{errc::invalid_argument, std::string("malformed job result: ") + e.what()};
  }
}

namespace {

/// Job libraries loaded by this process, by hash. Never unloaded: actors may still run their
/// code.
struct library_cache {
  std::mutex mtx;
  std::map<std::string, std::shared_ptr<job_registry>> by_hash;
};

library_cache& libraries() {
  static library_cache c;
  return c;
}

expected<std::shared_ptr<job_registry>> load_library(const job_spec& spec, const std::string& bytes,
                                                     const std::string& dir) {
  auto& cache = libraries();
  std::lock_guard g(cache.mtx);
  if (auto it = cache.by_hash.find(spec.lib_hash); it != cache.by_hash.end()) return it->second;
  if (bytes.empty())
    return error{errc::invalid_argument, "job library '" + spec.lib_name + "' was not shipped"};
  if (sha256_hex(bytes) != spec.lib_hash)
    return error{errc::corrupt_data, "job library '" + spec.lib_name +
                                         "' does not match its hash (damaged in transit)"};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return error{errc::io_error,
                 "cannot create the job library directory " + dir + ": " + ec.message()};
  const auto path =
      (std::filesystem::path(dir) /
       (spec.lib_hash + "-" + std::filesystem::path(spec.lib_name).filename().string()))
          .string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return error{errc::io_error, "cannot write the job library to " + path};
  }
  auto loaded = load_job_library(path, spec.lib_name);
  if (!loaded) return loaded.error();
  auto reg = *loaded;
  log().info("loaded job library {} ({} programs)", path, reg->list().size());
  cache.by_hash.emplace(spec.lib_hash, reg);
  return reg;
}

}  // namespace

expected<built_job> build_job(const job_spec& spec, const std::string& lib_bytes,
                              const std::string& lib_dir, const job_build_context& ctx) {
  std::shared_ptr<const job_program> program;
  if (!spec.lib_name.empty()) {
    auto reg = load_library(spec, lib_bytes, lib_dir);
    if (!reg) return reg.error();
    program = (*reg)->find(spec.program);
    if (!program)
      return error{errc::invalid_argument,
                   "job library '" + spec.lib_name + "' has no program '" + spec.program + "'"};
  } else {
    program = job_registry::global().find(spec.program);
    if (!program) return error{errc::invalid_argument, "unknown job '" + spec.program + "'"};
  }
  try {
    auto b = (*program)(spec.args, ctx);
    if (!b.graph) return error{errc::invalid_argument, "job '" + spec.program + "' built no graph"};
    if (b.name.empty()) b.name = spec.program;
    return b;
  } catch (const std::exception& e) {
    return error{errc::invalid_argument, spec.program + ": " + e.what()};
  }
}

}  // namespace eddy::detail
