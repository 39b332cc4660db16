#pragma once
/// How `eddy run` waits for a job on the embedded runtime: until it ends, or until SIGTERM or
/// SIGINT, which stop it with a savepoint (`--savepoint-on-stop DIR`) or else cancel it. A
/// canceled job's uncommitted output is discarded by its sinks; what a checkpointed run can be
/// resumed from is said on stderr. Called from the main thread of the `eddy` binary only (it
/// installs signal handlers for SIGTERM and SIGINT). Blocks until the job ended; a job that does
/// not end within 10 s of a cancel, or a second signal, ends the process (exit 128 + signal).
#include <stdexcept>
#include <string>

#include "eddy/runtime/job_handle.hpp"
#include "eddy/runtime/job_result.hpp"

namespace eddy::samples {

struct stop_options {
  std::string job;                ///< the job's name, for messages
  std::string savepoint_on_stop;  ///< savepoint directory on a signal; empty: cancel
  std::string checkpoint_dir;     ///< the run's checkpoint store (empty: none), for messages
  bool drain = false;             ///< stop --drain: every event-time window fires first
};

/// Thrown when a signal canceled the job: what() is the message for the user (several lines,
/// no trailing newline), exit_code is 128 + the signal's number.
class job_interrupted : public std::runtime_error {
 public:
  job_interrupted(const std::string& message, int code)
      : std::runtime_error(message), exit_code(code) {}
  int exit_code;
};

/// Waits for `handle` as described above. Returns the result of a job that finished or stopped
/// with a savepoint; throws job_execution_error (stream_environment.hpp) if it failed, and
/// job_interrupted if a signal canceled it.
job_result wait_for_job(const job_handle& handle, const stop_options& o);

}  // namespace eddy::samples
