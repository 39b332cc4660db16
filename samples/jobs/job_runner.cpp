#include "job_runner.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "eddy/operators/stream_environment.hpp"
#include "eddy/runtime/log.hpp"

namespace eddy::samples {

namespace {

volatile std::sig_atomic_t stop_signal = 0;
volatile std::sig_atomic_t stop_count = 0;

// Not extern "C": GCC gives extern "C" functions external linkage even in an unnamed namespace.
void on_run_stop_signal(int sig) {
  stop_signal = sig;
  stop_count = stop_count + 1;
}

void install_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_run_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

const char* signal_name(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

/// Ends the process at once (a second signal, or a cancel that does not finish).
[[noreturn]] void give_up(const std::string& why, int sig) {
  std::fprintf(stderr, "eddy: %s; exiting without waiting\n", why.c_str());
  std::fflush(nullptr);
  std::_Exit(128 + sig);
}

/// The newest checkpoint a resume of this run would start from (0: none).
std::uint64_t last_checkpoint(const job_handle& h, const job_result& r) {
  std::uint64_t id = r.restored_checkpoint;
  for (const auto& c : r.checkpoints)
    if (c.savepoint_path.empty()) id = std::max(id, c.id);
  for (const auto& c : h.checkpoints())
    if (c.savepoint_path.empty()) id = std::max(id, c.id);
  return id;
}

/// Cancels the job after `sig` and throws job_interrupted with what the user can do next.
[[noreturn]] void cancel_after_signal(const job_handle& handle, const stop_options& o, int sig) {
  std::fprintf(stderr, "eddy: %s: canceling job '%s' (again to exit at once)\n", signal_name(sig),
               o.job.c_str());
  handle.cancel();
  const int count = stop_count;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::optional<job_result> r;
  while (!(r = handle.wait_for(std::chrono::milliseconds(50)))) {
    if (stop_count != count) give_up("a second signal while canceling", sig);
    if (std::chrono::steady_clock::now() >= until)
      give_up("job '" + o.job + "' did not stop within 10 s of the cancel", sig);
  }
  if (r->state == job_state::finished) {
    // It ended by itself meanwhile: its output is complete.
    throw job_interrupted("job '" + o.job + "' finished before the cancel took effect", 128 + sig);
  }
  std::string msg = "job '" + o.job + "' canceled by " + signal_name(sig) +
                    "; output not yet committed was discarded";
  if (o.checkpoint_dir.empty()) {
    msg += "\neddy: nothing was checkpointed: run the same command again to start over";
  } else if (const auto id = last_checkpoint(handle, *r); id != 0) {
    msg += "\neddy: checkpoint " + std::to_string(id) + " in " + o.checkpoint_dir +
           " holds the run's progress: continue with the same command and --resume latest";
  } else {
    msg +=
        "\neddy: no checkpoint completed yet: run the same command again (with or without "
        "--resume latest) to start over";
  }
  throw job_interrupted(msg, 128 + sig);
}

}  // namespace

job_result wait_for_job(const job_handle& handle, const stop_options& o) {
  install_handlers();
  for (;;) {
    if (auto r = handle.wait_for(std::chrono::milliseconds(50))) {
      if (!r->ok()) throw job_execution_error(*r);
      return *r;
    }
    const int sig = stop_signal;
    if (sig == 0) continue;
    if (o.savepoint_on_stop.empty()) cancel_after_signal(handle, o, sig);
    std::fprintf(stderr, "eddy: %s: %s job '%s' with a savepoint under %s\n", signal_name(sig),
                 o.drain ? "draining and stopping" : "stopping", o.job.c_str(),
                 o.savepoint_on_stop.c_str());
    auto path = handle.stop_with_savepoint(o.savepoint_on_stop, o.drain);
    if (path) {
      auto r = handle.wait();
      if (!r.ok()) throw job_execution_error(r);
      return r;
    }
    log().error("stopping with a savepoint failed: {}; canceling the job", path.error().message);
    handle.cancel();
    auto r = handle.wait();
    if (r.ok()) return r;  // it finished meanwhile
    throw std::runtime_error("the savepoint failed (" + path.error().message +
                             "); the job was canceled");
  }
}

}  // namespace eddy::samples
