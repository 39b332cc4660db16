#include "eddy/runtime/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include "eddy/runtime/log.hpp"

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

}  // namespace eddy
