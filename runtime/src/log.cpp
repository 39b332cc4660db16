#include "eddy/runtime/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>

namespace eddy {

namespace {

thread_local const std::string* log_job = nullptr;

/// %J: "[job ID] " while a log_job_scope is alive on the thread, else nothing.
class job_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    if (log_job == nullptr || log_job->empty()) return;
    dest.append(std::string_view("[job "));
    dest.append(std::string_view(*log_job));
    dest.append(std::string_view("] "));
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<job_flag>();
  }
};

std::unique_ptr<spdlog::formatter> formatter(const std::string& pattern) {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<job_flag>('J').set_pattern(pattern);
  return f;
}

}  // namespace

log_job_scope::log_job_scope(const std::string& id) noexcept : previous_(log_job) {
  log_job = &id;
}

log_job_scope::~log_job_scope() {
  log_job = previous_;
}

spdlog::logger& log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("eddy")) return existing;
    auto l = spdlog::stderr_color_mt("eddy");
    l->set_level(spdlog::level::warn);
    l->set_formatter(formatter("%Y-%m-%d %H:%M:%S.%e %^%l%$ %J%v"));
    return l;
  }();
  return *logger;
}

expected<bool> set_log_level(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off")
    return error{errc::invalid_argument,
                 "unknown log level '" + std::string(level) +
                     "' (use trace, debug, info, warn, error, critical or off)"};
  log().set_level(lvl);
  return true;
}

expected<void> log_to_file(const std::string& path) {
  // spdlog would create missing directories: a mistyped path is an error here instead.
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir))
    return error{errc::io_error, "--log-file " + path + ": no such directory " + dir.string()};
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
    sink->set_formatter(formatter("%Y-%m-%d %H:%M:%S.%e %l %J%v"));
    auto& l = log();
    l.sinks().clear();
    l.sinks().push_back(std::move(sink));
    l.flush_on(spdlog::level::trace);  // a daemon's file is read while it runs
    return {};
  } catch (const spdlog::spdlog_ex& e) {
    return error{errc::io_error, "--log-file " + path + ": " + e.what()};
  }
}

}  // namespace eddy
