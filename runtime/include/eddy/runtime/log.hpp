#pragma once
/// Logging. The library logs through one spdlog logger named "eddy" that writes to stderr (never
/// stdout, which belongs to the user's print sinks). An application may register its own logger
/// named "eddy" before the first log call to redirect it. Thread-safe.
#include <spdlog/logger.h>

#include <string>
#include <string_view>

#include "eddy/runtime/error.hpp"

namespace eddy {

/// The library's logger (created on first use; default level: warn).
spdlog::logger& log();

/// While alive, the calling thread's log lines carry "[job ID] " after the level: the runtime
/// sets one around the handlers of a job's subtasks and source enumerators (so that what
/// operators and user code log names its job) and around each line its supervisor and
/// checkpoint coordinator log. Nests
/// (the innermost wins); `id` must outlive the scope. Thread-local, never blocks.
class log_job_scope {
 public:
  explicit log_job_scope(const std::string& id) noexcept;
  ~log_job_scope();
  log_job_scope(const log_job_scope&) = delete;
  log_job_scope& operator=(const log_job_scope&) = delete;

 private:
  const std::string* previous_;
};

/// Sets the level from a name: trace, debug, info, warn, error, critical, off.
[[nodiscard]] expected<bool> set_log_level(std::string_view level);
/// Sends the library's log to the file at `path` (appended to, created if missing) instead of
/// stderr: `--log-file` of the daemons. Call before any thread logs. Errors: the file cannot be
/// opened (the message names it and why).
[[nodiscard]] expected<void> log_to_file(const std::string& path);

}  // namespace eddy
