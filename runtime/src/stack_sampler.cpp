#include "stack_sampler.hpp"

#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "symbolizer.hpp"

namespace eddy::detail {

namespace {

constexpr int max_depth = 64;
constexpr std::size_t max_samples = 1 << 14;  // 8 MiB of frames per sampling
// The handler's own frame and the kernel's signal trampoline.
constexpr int skipped_frames = 2;

/// One sampling: what the handler fills.
struct session {
  const void* job = nullptr;
  int vertex = 0;
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> dropped{0};
  std::vector<std::array<void*, max_depth>> frames =
      std::vector<std::array<void*, max_depth>>(max_samples);
  std::unique_ptr<std::atomic<int>[]> depth = std::make_unique<std::atomic<int>[]>(max_samples);
};

std::atomic<session*> active{nullptr};
std::atomic<int> handlers_running{0};

// Read by the signal handler: initial-exec TLS needs no allocation on access.
__attribute__((tls_model("initial-exec"))) thread_local const void* current_job = nullptr;
__attribute__((tls_model("initial-exec"))) thread_local int current_vertex = -1;

void on_sigprof(int, siginfo_t*, void*) {
  const int saved_errno = errno;
  handlers_running.fetch_add(1, std::memory_order_acq_rel);
  session* s = active.load(std::memory_order_acquire);
  if (s && current_job == s->job && current_vertex == s->vertex) {
    const auto i = s->next.fetch_add(1, std::memory_order_relaxed);
    if (i < max_samples)
      s->depth[i].store(backtrace(s->frames[i].data(), max_depth), std::memory_order_release);
    else
      s->dropped.fetch_add(1, std::memory_order_relaxed);
  }
  handlers_running.fetch_sub(1, std::memory_order_acq_rel);
  errno = saved_errno;
}

/// The threads that ran a subtask, with the timer of a sampling in progress.
struct registered_thread {
  pid_t tid = 0;
  pthread_t self{};
  timer_t timer{};
  bool armed = false;
};

std::mutex& registry_mutex() {
  static auto* m = new std::mutex;  // never destroyed: threads unregister at their exit
  return *m;
}
std::map<pid_t, registered_thread>& registry() {
  static auto* r = new std::map<pid_t, registered_thread>;
  return *r;
}
/// The interval of the sampling in progress (0: none); guarded by registry_mutex(). A thread
/// that registers meanwhile gets its timer at once.
std::chrono::microseconds sampling_interval{0};

/// Arms `t`'s CPU-time timer (registry_mutex() held); an error message, or empty.
std::string arm(registered_thread& t, std::chrono::microseconds interval) {
  clockid_t clock{};
  if (pthread_getcpuclockid(t.self, &clock) != 0) return {};  // the thread is ending
  sigevent ev{};
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGPROF;
  ev._sigev_un._tid = t.tid;
  if (timer_create(clock, &ev, &t.timer) != 0)
    return std::string("cannot create a CPU-time timer: ") + std::strerror(errno);
  t.armed = true;
  itimerspec spec{};
  spec.it_interval.tv_sec = static_cast<time_t>(interval.count() / 1000000);
  spec.it_interval.tv_nsec = static_cast<long>(interval.count() % 1000000) * 1000;
  spec.it_value = spec.it_interval;
  if (timer_settime(t.timer, 0, &spec, nullptr) != 0)
    return std::string("cannot start a CPU-time timer: ") + std::strerror(errno);
  return {};
}

/// Registers the thread once; unregisters it (deleting an armed timer) when it exits.
struct thread_registration {
  pid_t tid = 0;
  thread_registration() {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    std::lock_guard g(registry_mutex());
    auto& t = registry()[tid];
    t = registered_thread{tid, pthread_self(), {}, false};
    if (sampling_interval.count() > 0) (void)arm(t, sampling_interval);  // best effort
  }
  ~thread_registration() {
    std::lock_guard g(registry_mutex());
    auto it = registry().find(tid);
    if (it == registry().end()) return;
    if (it->second.armed) timer_delete(it->second.timer);
    registry().erase(it);
  }
};

void register_thread() {
  thread_local thread_registration registration;
  (void)registration;
}

/// Installs on_sigprof once; false if another SIGPROF handler is installed.
bool install_handler(std::string& why) {
  static std::mutex m;
  static bool installed = false;
  std::lock_guard g(m);
  if (installed) return true;
  struct sigaction old {};
  if (sigaction(SIGPROF, nullptr, &old) != 0) {
    why = std::string("cannot read the SIGPROF handler: ") + std::strerror(errno);
    return false;
  }
  const bool is_default =
      !(old.sa_flags & SA_SIGINFO) && (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN);
  if (!is_default) {
    why = "another profiler's SIGPROF handler is installed";
    return false;
  }
  void* warm[4];
  (void)backtrace(warm, 4);  // loads libgcc now: backtrace may allocate on its first call only
  struct sigaction sa {};
  sa.sa_sigaction = on_sigprof;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGPROF, &sa, nullptr) != 0) {
    why = std::string("cannot install the SIGPROF handler: ") + std::strerror(errno);
    return false;
  }
  installed = true;
  return true;
}

/// Arms a CPU-time timer sending SIGPROF to every registered thread (and to those that register
/// until disarm_timers); the first error.
std::string arm_timers(std::chrono::microseconds interval) {
  std::lock_guard g(registry_mutex());
  sampling_interval = interval;
  for (auto& [tid, t] : registry())
    if (auto why = arm(t, interval); !why.empty()) return why;
  return {};
}

void disarm_timers() {
  std::lock_guard g(registry_mutex());
  sampling_interval = std::chrono::microseconds(0);
  for (auto& [tid, t] : registry())
    if (t.armed) {
      timer_delete(t.timer);
      t.armed = false;
    }
}

/// A node of the folded call tree.
struct frame_node {
  std::uint64_t value = 0;
  std::map<std::string, frame_node> children;
};

nlohmann::json to_json(const std::string& name, const frame_node& n) {
  auto children = nlohmann::json::array();
  for (const auto& [child, c] : n.children) children.push_back(to_json(child, c));
  return {{"name", name}, {"value", n.value}, {"children", std::move(children)}};
}

}  // namespace

sampling_scope::sampling_scope(const void* job, int vertex) noexcept
    : previous_job_(current_job), previous_vertex_(current_vertex) {
  try {
    register_thread();
  } catch (...) {  // out of memory: the thread is not sampled
  }
  current_job = job;
  current_vertex = vertex;
}

sampling_scope::~sampling_scope() {
  current_job = previous_job_;
  current_vertex = previous_vertex_;
}

expected<std::string> sample_flame_graph(const void* job, int vertex,
                                         std::chrono::milliseconds duration,
                                         std::chrono::microseconds interval) {
  static std::mutex one_at_a_time;
  std::lock_guard serial(one_at_a_time);
  std::string why;
  if (!install_handler(why)) return error{errc::invalid_argument, "flame graph: " + why};
  auto s = std::make_unique<session>();
  s->job = job;
  s->vertex = vertex;
  for (std::size_t i = 0; i < max_samples; ++i) s->depth[i].store(-1, std::memory_order_relaxed);
  active.store(s.get(), std::memory_order_release);
  why = arm_timers(interval);
  if (why.empty()) std::this_thread::sleep_for(duration);
  disarm_timers();
  active.store(nullptr, std::memory_order_release);
  while (handlers_running.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  if (!why.empty()) return error{errc::invalid_argument, "flame graph: " + why};

  // Fold the stacks, callers first. The symbol tables are read once per process (guarded by
  // one_at_a_time).
  static symbolizer names;
  frame_node root;
  const auto taken = std::min(s->next.load(), max_samples);
  std::uint64_t samples = 0;
  for (std::size_t i = 0; i < taken; ++i) {
    const int depth = s->depth[i].load(std::memory_order_acquire);
    if (depth <= skipped_frames) continue;
    ++samples;
    ++root.value;
    frame_node* at = &root;
    for (int f = depth - 1; f >= skipped_frames; --f) {
      // A return address points after its call: name the call's own instruction (not for the
      // interrupted frame, whose address is where it was).
      auto* pc = static_cast<char*>(s->frames[i][static_cast<std::size_t>(f)]);
      if (f > skipped_frames) --pc;
      at = &at->children[names.name_of(pc)];
      ++at->value;
    }
  }
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return nlohmann::json{{"endTimestamp", now},
                        {"duration_ms", duration.count()},
                        {"samples", samples},
                        {"dropped", s->dropped.load()},
                        {"data", to_json("root", root)}}
      .dump();
}

}  // namespace eddy::detail
