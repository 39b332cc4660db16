#pragma once
// `eddy run`'s progress display: while a job runs, one line on the terminal, `NAME STATE m:ss |
// in N (r/s) | out N (r/s) | P% ETA m:ss | checkpoints N | restarts N` (records the source
// operators emitted and the sink operators received, their rates, the share of file inputs read
// and the time left, checkpoints taken, restarts), rewritten twice a second and erased when the
// job ends, before the summary; cut to the terminal's width. Nothing is written when the stream is
// not a terminal. Follows the jobs this process's embedded runtimes start (the newest one).
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "eddy/runtime/job_handle.hpp"

namespace eddy::cli {

/// The line for a job; `previous` / `seconds`: the counters of the last line and the time since
/// it, for the rates. Exposed for tests.
struct progress_counters {
  std::uint64_t in = 0;  ///< records the source operators emitted
  std::uint64_t out =
      0;  ///< records the sink operators (the last of chains without outputs) received
  bool in_known = false;         ///< the plan has sources
  bool out_known = false;        ///< the plan has sinks
  std::uint64_t input_read = 0;  ///< bytes of bounded inputs of known size read (files)
  std::uint64_t input_size = 0;  ///< their size (0: none)
};
[[nodiscard]] progress_counters progress_of(const job_handle& job);
[[nodiscard]] std::string progress_text(const job_handle& job, const progress_counters& now,
                                        const progress_counters& previous, double seconds);

class progress_line {
 public:
  /// Starts following jobs if `fd` is a terminal (else does nothing).
  explicit progress_line(int fd = 2);
  /// Erases the line and stops.
  ~progress_line();
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

 private:
  void run();
  const int fd_;
  std::uint64_t listener_ = 0;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::optional<job_handle> job_;
  std::thread thread_;
};

}  // namespace eddy::cli
