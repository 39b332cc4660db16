#pragma once
/// Logging. The library logs through one spdlog logger named "eddy" that writes to stderr (never
/// stdout, which belongs to the user's print sinks). An application may register its own logger
/// named "eddy" before the first log call to redirect it. Thread-safe.
#include <spdlog/logger.h>

#include <string_view>

#include "eddy/runtime/error.hpp"

namespace eddy {

/// The library's logger (created on first use; default level: warn).
spdlog::logger& log();

/// Sets the level from a name: trace, debug, info, warn, error, critical, off.
[[nodiscard]] expected<bool> set_log_level(std::string_view level);

}  // namespace eddy
