#include "execution_settings.hpp"

#include <chrono>

#include "duration_text.hpp"

namespace eddy::table {

namespace {

std::string duration_error(const std::string& key, const std::string& value) {
  return "'" + key + "' must be a duration such as '10 s', '1 min' or '500 ms', not '" + value +
         "'";
}

bool is_count(const std::string& v) {
  if (v.empty() || v.size() > 9) return false;
  for (char c : v)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::string check_execution_setting(const std::string& key, const std::string& value) {
  if (key == "execution.checkpointing.interval" || key == "execution.checkpointing.timeout" ||
      key == "restart-strategy.fixed-delay.delay" || key == "restart-strategy.failure-rate.delay" ||
      key == "restart-strategy.failure-rate.failure-rate-interval" ||
      key == "metrics.latency.interval") {
    if (!parse_duration(value)) return duration_error(key, value);
  } else if (key == "execution.checkpointing.mode") {
    if (value != "EXACTLY_ONCE" && value != "AT_LEAST_ONCE")
      return "'execution.checkpointing.mode' must be 'EXACTLY_ONCE' or 'AT_LEAST_ONCE', not '" +
             value + "'";
  } else if (key == "restart-strategy.type" || key == "restart-strategy") {
    if (value != "none" && value != "off" && value != "disable" && value != "fixed-delay" &&
        value != "failure-rate")
      return "'" + key + "' must be 'none', 'fixed-delay' or 'failure-rate', not '" + value + "'";
  } else if (key == "restart-strategy.fixed-delay.attempts" ||
             key == "restart-strategy.failure-rate.max-failures-per-interval") {
    if (!is_count(value)) return "'" + key + "' must be a count, not '" + value + "'";
  }
  return {};
}

std::string apply_execution_settings(const std::map<std::string, std::string>& settings,
                                     const std::string& checkpoint_dir, execution_config& cfg,
                                     bool& needs_directory) {
  needs_directory = false;
  auto get = [&](const std::string& k) {
    const auto it = settings.find(k);
    return it == settings.end() ? std::string() : it->second;
  };
  auto ms = [&](const std::string& k, std::int64_t fallback) {
    const auto v = get(k);
    if (v.empty()) return std::chrono::milliseconds(fallback);
    return std::chrono::milliseconds(parse_duration(v).value_or(fallback));
  };
  for (const auto& [k, v] : settings)
    if (auto e = check_execution_setting(k, v); !e.empty()) return e;
  const auto interval = ms("execution.checkpointing.interval", 0);
  if (interval.count() > 0) {
    cfg.checkpoints.interval = interval;
    if (get("execution.checkpointing.mode") == "AT_LEAST_ONCE")
      cfg.checkpoints.mode = checkpointing_mode::at_least_once;
    if (!get("execution.checkpointing.timeout").empty())
      cfg.checkpoints.timeout = ms("execution.checkpointing.timeout", 600'000);
    std::string dir = checkpoint_dir;
    if (dir.empty()) dir = get("execution.checkpointing.dir");
    if (dir.empty()) dir = get("state.checkpoints.dir");
    if (dir.rfind("file://", 0) == 0) dir = dir.substr(7);
    cfg.checkpoints.directory = dir;
    needs_directory = dir.empty();
  }
  cfg.latency_interval = ms("metrics.latency.interval", 0);
  auto type = get("restart-strategy.type");
  if (type.empty()) type = get("restart-strategy");
  if (type == "none" || type == "off" || type == "disable") {
    cfg.restart = restart_strategy::no_restart();
  } else if (type == "fixed-delay") {
    const auto attempts = get("restart-strategy.fixed-delay.attempts");
    cfg.restart = restart_strategy::fixed_delay(attempts.empty() ? 1 : std::stoi(attempts),
                                                ms("restart-strategy.fixed-delay.delay", 1000));
  } else if (type == "failure-rate") {
    const auto n = get("restart-strategy.failure-rate.max-failures-per-interval");
    cfg.restart = restart_strategy::failure_rate(
        n.empty() ? 1 : std::stoi(n),
        ms("restart-strategy.failure-rate.failure-rate-interval", 60'000),
        ms("restart-strategy.failure-rate.delay", 1000));
  }
  return {};
}

}  // namespace eddy::table
