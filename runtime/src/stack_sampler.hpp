#pragma once
// Internal: on-CPU stack sampling of subtasks, for flame graphs (job_handle::flame_graph, the
// REST API's /jobs/ID/vertices/VID/flamegraph).
//
// A subtask actor marks the thread it runs on for the length of each handler (sampling_scope:
// its job and vertex, in two thread-locals); the first time a thread is marked it registers
// itself. sample_flame_graph arms a CPU-time timer on every registered thread (timer_create on
// the thread's CPU clock, SIGPROF to that thread only, SIGEV_THREAD_ID): a thread gets a signal
// per `interval` of CPU time it uses, none while it waits. The handler records the thread's
// call stack (glibc's backtrace, libgcc loaded beforehand) into a preallocated buffer if the
// thread is running the sampled vertex, else nothing (a thread that registers while a sampling
// runs is armed at once). Afterwards the addresses are named (the
// dynamic symbols through dladdr, else the object file's own symbol table) and folded into a
// tree.
//
// The SIGPROF handler is installed at the first sampling and stays (a signal generated just
// before the timers were deleted may still arrive); it does nothing between samplings. Sampling
// is refused if some other SIGPROF handler is installed (another profiler). Blocking system
// calls on a sampled thread are restarted (SA_RESTART); those that never restart (poll, epoll,
// sleeps) may return EINTR while a sampling runs, which the runtime's own waits retry.
#include <chrono>
#include <string>

#include "eddy/runtime/error.hpp"

namespace eddy::detail {

/// Marks the calling thread as running vertex `vertex` of the job `job` (an identity only,
/// never dereferenced) until the scope ends; scopes nest (the innermost wins). Registers the
/// thread with the sampler the first time (a mutex, once per thread); otherwise two
/// thread-local stores. Never throws.
class sampling_scope {
 public:
  sampling_scope(const void* job, int vertex) noexcept;
  ~sampling_scope();
  sampling_scope(const sampling_scope&) = delete;
  sampling_scope& operator=(const sampling_scope&) = delete;

 private:
  const void* previous_job_;
  int previous_vertex_;
};

/// Samples for `duration` the stacks of the threads while they run vertex `vertex` of `job`,
/// one sample per `interval` of a thread's CPU time, and returns them as a flame graph in
/// Flink's JSON: {"endTimestamp" (epoch ms), "duration_ms", "samples", "dropped" (beyond the
/// buffer), "data": {"name": "root", "value", "children": [{"name", "value", "children"}...]}}
/// (callers first; names are demangled function names without their parameter lists, "?" plus
/// the object's name for an address without a symbol). Blocks for `duration` (and waits for a
/// sampling of another caller to end first). Errors (errc::invalid_argument): another SIGPROF
/// handler is installed; a timer cannot be created.
[[nodiscard]] expected<std::string> sample_flame_graph(
    const void* job, int vertex, std::chrono::milliseconds duration,
    std::chrono::microseconds interval = std::chrono::microseconds(1000));

}  // namespace eddy::detail
