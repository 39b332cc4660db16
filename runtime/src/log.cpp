#include "eddy/runtime/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include "eddy/runtime/log.hpp"

#include <filesystem>
#include <mutex>

namespace eddy {

spdlog::logger& log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("eddy")) return existing;
    auto l = spdlog::stderr_color_mt("eddy");
    l->set_level(spdlog::level::warn);
    l->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
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
    sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
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
