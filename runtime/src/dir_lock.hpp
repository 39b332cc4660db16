#pragma once
// Internal: an exclusive lock on a directory, held by one process at a time.
//
// The lock is an flock(2) on the file `eddy.lock` inside the directory, which also holds the
// holder's pid (for the error message of the process that is refused). The operating system
// releases it when the holder ends, however it ends (SIGKILL included), so a restarted process
// takes over at once. Within one process the same directory may be locked any number of times:
// a process-wide registry shares one lock among its holders (reference counted) and releases it
// with the last one.
//
// Who calls: the coordinator (its --state-dir) and the checkpoint store (its directory).
// Thread-safe.
#include <memory>
#include <string>

#include "eddy/runtime/error.hpp"

namespace eddy::detail {

class dir_lock {
 public:
  /// Locks directory `dir` (which must exist) for this process, or shares this process's lock
  /// of it. `what` names it in errors, e.g. "--state-dir /x" gives "--state-dir /x is in use by
  /// another eddy process (pid 1234)". Errors: another process holds it; the lock file cannot
  /// be opened.
  [[nodiscard]] static expected<std::shared_ptr<dir_lock>> acquire(const std::string& dir,
                                                                   const std::string& what);
  ~dir_lock();
  dir_lock(const dir_lock&) = delete;
  dir_lock& operator=(const dir_lock&) = delete;

  /// The lock file's name inside a locked directory.
  static constexpr const char* file_name = "eddy.lock";

 private:
  explicit dir_lock(std::string key) : key_(std::move(key)) {}
  std::string key_;  // the directory's canonical path (the registry's key)
};

}  // namespace eddy::detail
