// eddy-bench: throughput benchmarks (W1, W2, W2 with checkpoints, W2 on a cluster of worker
// processes, CEP, SQL) and the recovery time after a failure. Prints one JSON line per
// implementation or figure; never asserts timings. Workloads are defined in docs/performance.md.
#include <CLI/CLI.hpp>

#include <absl/container/flat_hash_map.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cep_bench.hpp"
#include "metrics_bench.hpp"
#include "nexmark_bench.hpp"
#include "operator_bench.hpp"
#include "sql_bench.hpp"
#ifdef EDDY_BENCH_CONNECTORS
#include "connector_bench.hpp"
#endif
#if defined(EDDY_BENCH_MQTT) || defined(EDDY_BENCH_POSTGRES)
#include "iot_bench.hpp"
#endif
#include "eddy/operators/datastream.hpp"
#include "eddy/runtime/cluster.hpp"
#include "eddy/runtime/job_program.hpp"
#include "eddy/runtime/log.hpp"

namespace {

struct event {
  std::uint64_t key;
  std::int64_t value;
  std::int64_t ts_ms;
};

EDDY_FIELDS(event, key, value, ts_ms)  // crosses nodes in the cluster run

inline event make_event(std::uint64_t i) {
  return event{i % 10000, static_cast<std::int64_t>((i * 7) % 1000),
               static_cast<std::int64_t>(i / 100)};
}

struct totals {
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::int64_t> sum{0};
};

/// Per-subtask counting sink: accumulates locally, publishes once at the end.
struct counting_sink {
  std::shared_ptr<totals> out;
  std::uint64_t count = 0;
  std::int64_t sum = 0;
  void operator()(const event& e) {
    ++count;
    sum += e.value;
  }
  void close() {
    out->count += count;
    out->sum += sum;
  }
};

void print_line(const char* workload, const char* impl, int parallelism, std::uint64_t events,
                double seconds, const std::string& checksum) {
  std::printf(
      "{\"workload\":\"%s\",\"impl\":\"%s\",\"parallelism\":%d,\"events\":%llu,\"seconds\":%.6f,"
      "\"events_per_sec\":%.0f,\"checksum\":\"%s\"}\n",
      workload, impl, parallelism, static_cast<unsigned long long>(events), seconds,
      static_cast<double>(events) / seconds, checksum.c_str());
  std::fflush(stdout);
}

/// --no-fusion: run the jobs with operator fusion disabled (to measure what it brings).
bool g_fusion = true;

std::string w1_baseline(std::uint64_t n, double& seconds) {
  auto t0 = std::chrono::steady_clock::now();
  std::uint64_t count = 0;
  std::int64_t sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    event e = make_event(i);
    e.value *= 2;
    if (e.value % 3 != 0) {
      ++count;
      sum += e.value;
    }
  }
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return std::to_string(count) + ":" + std::to_string(sum);
}

std::string w1_eddy(std::uint64_t n, int parallelism, std::size_t batch, double& seconds) {
  eddy::StreamEnvironment env;
  env.set_parallelism(parallelism).set_batch_size(batch);
  if (!g_fusion) env.disable_operator_fusion();
  auto out = std::make_shared<totals>();
  env.from_generator(n, [](std::uint64_t i) { return make_event(i); })
      .map([](event e) {
        e.value *= 2;
        return e;
      })
      .filter([](const event& e) { return e.value % 3 != 0; })
      .add_sink(counting_sink{out});
  env.runtime();  // start the actor system before timing
  auto t0 = std::chrono::steady_clock::now();
  env.execute("w1");
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return std::to_string(out->count.load()) + ":" + std::to_string(out->sum.load());
}

// ---- W2: keyed event-time tumbling window sum ----

struct sum_values {
  std::int64_t create_accumulator() const { return 0; }
  void add(std::int64_t& acc, const event& e) const { acc += e.value; }
  std::int64_t get_result(const std::int64_t& acc) const { return acc; }
};

/// Counts window results and sums their sums.
struct result_sink {
  std::shared_ptr<totals> out;
  std::uint64_t count = 0;
  std::int64_t sum = 0;
  void operator()(const std::int64_t& s) {
    ++count;
    sum += s;
  }
  void close() {
    out->count += count;
    out->sum += sum;
  }
};

std::string w2_baseline(std::uint64_t n, double& seconds) {
  auto t0 = std::chrono::steady_clock::now();
  absl::flat_hash_map<std::uint64_t, std::int64_t> window;  // sums of the open window by key
  std::int64_t window_end = std::numeric_limits<std::int64_t>::min();
  std::uint64_t count = 0;
  std::int64_t sum = 0;
  auto fire = [&] {
    for (const auto& [k, s] : window) {
      ++count;
      sum += s;
    }
    window.clear();
  };
  for (std::uint64_t i = 0; i < n; ++i) {
    const event e = make_event(i);
    const std::int64_t end = e.ts_ms - e.ts_ms % 1000 + 1000;
    if (end != window_end) {  // timestamps are monotonous: the previous window is complete
      fire();
      window_end = end;
    }
    window[e.key] += e.value;
  }
  fire();
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return std::to_string(count) + ":" + std::to_string(sum);
}

/// Checkpoints of a W2 run (interval 0: none).
struct checkpointing {
  std::chrono::milliseconds interval{0};
  std::string directory;
  std::chrono::milliseconds latency_interval{0};  ///< latency markers (metrics), 0: none
};

/// The W2 pipeline: generator -> timestamps -> key_by -> 1 s tumbling window sum -> `sink`.
template <class Sink>
void add_w2(eddy::StreamEnvironment& env, std::uint64_t n, Sink sink) {
  env.from_generator(n, [](std::uint64_t i) { return make_event(i); })
      .assign_timestamps_and_watermarks(
          eddy::WatermarkStrategy<event>::for_monotonous_timestamps().with_timestamp_assigner(
              [](const event& e) { return e.ts_ms; }))
      .key_by([](const event& e) { return e.key; })
      .window(eddy::TumblingEventTimeWindows::of(std::chrono::milliseconds(1000)))
      .aggregate(sum_values{})
      .add_sink(std::move(sink));
}

std::string w2_job(std::uint64_t n, int parallelism, std::size_t batch, const checkpointing& chk,
                   eddy::job_result* result, double& seconds) {
  eddy::StreamEnvironment env;
  env.set_parallelism(parallelism).set_batch_size(batch);
  if (!g_fusion) env.disable_operator_fusion();
  env.set_latency_tracking_interval(chk.latency_interval);
  if (chk.interval.count() > 0) {
    env.config().checkpoints.interval = chk.interval;
    env.config().checkpoints.mode = eddy::checkpointing_mode::exactly_once;
    env.config().checkpoints.directory = chk.directory;
  }
  auto out = std::make_shared<totals>();
  add_w2(env, n, result_sink{out});
  env.runtime();
  auto t0 = std::chrono::steady_clock::now();
  auto r = env.execute("w2");
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (result) *result = std::move(r);
  return std::to_string(out->count.load()) + ":" + std::to_string(out->sum.load());
}

std::string w2_eddy(std::uint64_t n, int parallelism, std::size_t batch, double& seconds) {
  return w2_job(n, parallelism, batch, checkpointing{}, nullptr, seconds);
}

// ---- W2 on a cluster: a coordinator and worker processes on 127.0.0.1 ----

/// Per-subtask window-result totals, written as one "count sum" file per sink subtask when it
/// closes (a cluster's sinks run in other processes).
struct file_totals_sink {
  std::string dir;
  std::uint64_t count = 0;
  std::int64_t sum = 0;
  void operator()(const std::int64_t& s) {
    ++count;
    sum += s;
  }
  void close() {
    static std::atomic<int> n{0};
    std::ofstream out(std::filesystem::path(dir) /
                      ("totals-" + std::to_string(::getpid()) + "-" + std::to_string(n++)));
    out << count << " " << sum << "\n";
  }
};

/// The W2 job as a program (job_program.hpp): --events N -p P --batch-size B --output DIR.
eddy::built_job w2_program(const std::vector<std::string>& args, const eddy::job_build_context&) {
  std::uint64_t n = 0;
  int parallelism = 1;
  std::size_t batch = 1024;
  std::string dir;
  int credits = eddy::execution_config{}.remote_channel_credits;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--events")
      n = std::stoull(args[i + 1]);
    else if (args[i] == "-p")
      parallelism = std::stoi(args[i + 1]);
    else if (args[i] == "--batch-size")
      batch = std::stoull(args[i + 1]);
    else if (args[i] == "--output")
      dir = args[i + 1];
    else if (args[i] == "--remote-credits")
      credits = std::stoi(args[i + 1]);
    else
      throw std::invalid_argument("unknown flag " + args[i]);
  }
  eddy::StreamEnvironment env;
  env.set_parallelism(parallelism).set_batch_size(batch);
  env.config().remote_channel_credits = credits;
  add_w2(env, n, file_totals_sink{dir});
  return env.take_job("w2");
}

/// A child process running this binary with `args`; its stdout is readable through `out`.
struct child {
  pid_t pid = -1;
  FILE* out = nullptr;
  ~child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (out) std::fclose(out);
  }
};

std::unique_ptr<child> spawn_self(const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  auto c = std::make_unique<child>();
  c->pid = ::fork();
  if (c->pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    std::vector<char*> argv;
    static char self[] = "/proc/self/exe";
    argv.push_back(self);
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  c->out = ::fdopen(fds[0], "r");
  return c;
}

/// W2 at `parallelism` on a coordinator and `workers` worker processes; prints the cluster's
/// line (with the bytes exchanged between nodes) next to the embedded run's.
bool w2_cluster(std::uint64_t events, int parallelism, std::size_t batch, int workers, int repeat,
                int remote_credits) {
  // The workers share this machine: each gets its share of the cores as scheduler threads.
  const int threads =
      std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / std::max(1, workers));
  auto coordinator = spawn_self({"coordinator-node"});
  char line[256] = {};
  if (!std::fgets(line, sizeof line, coordinator->out)) {
    std::fprintf(stderr, "eddy-bench: the coordinator did not start\n");
    return false;
  }
  const std::string address = std::string(line).substr(0, std::string(line).find('\n'));
  std::vector<std::unique_ptr<child>> nodes;
  for (int w = 0; w < workers; ++w)
    nodes.push_back(
        spawn_self({"worker-node", address, std::to_string(parallelism), std::to_string(threads)}));
  auto hp = eddy::parse_host_port(address);
  auto client = eddy::cluster_client::connect(hp->first, hp->second, {});
  if (!client) {
    std::fprintf(stderr, "eddy-bench: %s\n", client.error().message.c_str());
    return false;
  }
  // Wait until every worker registered (a job would otherwise wait for slots).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  struct run {
    double seconds;
    std::string checksum;
    std::uint64_t bytes;
  };
  std::vector<run> cluster_runs, local_runs;
  for (int r = 0; r < repeat; ++r) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("eddy-bench-w2-" + std::to_string(::getpid()) + "-" + std::to_string(r));
    std::filesystem::create_directories(dir);
    const auto t0 = std::chrono::steady_clock::now();
    auto id = (*client)->submit(
        "w2", {"--events", std::to_string(events), "-p", std::to_string(parallelism),
               "--batch-size", std::to_string(batch), "--output", dir.string(), "--remote-credits",
               std::to_string(remote_credits)});
    if (!id) {
      std::fprintf(stderr, "eddy-bench: %s\n", id.error().message.c_str());
      return false;
    }
    auto res = (*client)->wait(*id);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!res || !res->ok()) {
      std::fprintf(
          stderr, "eddy-bench: the cluster run failed: %s\n",
          res ? (res->failure ? res->failure->message.c_str() : "?") : res.error().message.c_str());
      return false;
    }
    std::uint64_t count = 0, bytes = 0;
    std::int64_t sum = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(e.path());
      std::uint64_t c = 0;
      std::int64_t s = 0;
      in >> c >> s;
      count += c;
      sum += s;
    }
    std::filesystem::remove_all(dir);
    for (const auto& s : res->subtasks) bytes += s.remote_bytes_out;
    cluster_runs.push_back({secs, std::to_string(count) + ":" + std::to_string(sum), bytes});
    double ls = 0;
    auto lc = w2_eddy(events, parallelism, batch, ls);
    local_runs.push_back({ls, lc, 0});
  }
  auto median = [](std::vector<run> v) {
    std::sort(v.begin(), v.end(), [](const run& a, const run& b) { return a.seconds < b.seconds; });
    return v[v.size() / 2];
  };
  const auto c = median(cluster_runs);
  const auto l = median(local_runs);
  print_line("w2", "eddy", parallelism, events, l.seconds, l.checksum);
  std::printf(
      "{\"workload\":\"w2\",\"impl\":\"eddy-cluster\",\"workers\":%d,\"parallelism\":%d,"
      "\"events\":%llu,\"seconds\":%.6f,\"events_per_sec\":%.0f,\"checksum\":\"%s\","
      "\"network_bytes\":%llu,\"network_mb_per_sec\":%.1f,\"ratio_to_embedded\":%.3f}\n",
      workers, parallelism, static_cast<unsigned long long>(events), c.seconds,
      static_cast<double>(events) / c.seconds, c.checksum.c_str(),
      static_cast<unsigned long long>(c.bytes), static_cast<double>(c.bytes) / 1e6 / c.seconds,
      l.seconds / c.seconds);
  std::fflush(stdout);
  client->reset();
  coordinator.reset();  // first, so that it does not report the workers lost
  for (const auto& r : cluster_runs)
    if (r.checksum != l.checksum) {
      std::fprintf(stderr, "eddy-bench: cluster checksum %s differs from embedded %s\n",
                   r.checksum.c_str(), l.checksum.c_str());
      return false;
    }
  return true;
}

/// The hidden node modes the cluster run starts (this binary knows the w2 program).
int run_node(int argc, char** argv) {
  const std::string mode = argv[1];
  (void)eddy::set_log_level("warn");
  if (mode == "coordinator-node") {
    eddy::coordinator_options o;
    o.port = 0;
    o.state_dir = (std::filesystem::temp_directory_path() /
                   ("eddy-bench-state-" + std::to_string(::getpid())))
                      .string();
    auto r = eddy::run_coordinator(
        o, [] { return ::getppid() == 1; },
        [&](std::uint16_t port) {
          std::printf("127.0.0.1:%u\n", port);
          std::fflush(stdout);
        });
    std::filesystem::remove_all(o.state_dir);
    std::fflush(nullptr);
    std::_Exit(r ? 0 : 1);
  }
  if (argc < 4) return 2;
  eddy::worker_options o;
  auto hp = eddy::parse_host_port(argv[2]);
  if (!hp) return 2;
  o.coordinator_host = hp->first;
  o.coordinator_port = hp->second;
  o.slots = std::atoi(argv[3]);
  o.threads = argc > 4 ? std::atoi(argv[4]) : 0;
  auto r = eddy::run_worker(o, [] { return ::getppid() == 1; });
  std::fflush(nullptr);
  std::_Exit(r ? 0 : 1);
}

using run_fn = std::string (*)(std::uint64_t, int, std::size_t, double&);
using base_fn = std::string (*)(std::uint64_t, double&);

/// Runs eddy and the baseline alternately (so both see the same machine noise) and prints the
/// median run of each. Returns false if a checksum differs.
bool compare(const char* workload, run_fn eddy_fn, base_fn base, std::uint64_t events,
             int parallelism, std::size_t batch, int repeat) {
  std::vector<std::pair<double, std::string>> eddy_runs, base_runs;
  for (int r = 0; r < repeat; ++r) {
    double s = 0;
    auto c = eddy_fn(events, parallelism, batch, s);
    eddy_runs.emplace_back(s, c);
    c = base(events, s);
    base_runs.emplace_back(s, c);
  }
  auto median = [](std::vector<std::pair<double, std::string>> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto e = median(eddy_runs);
  auto b = median(base_runs);
  print_line(workload, "eddy", parallelism, events, e.first, e.second);
  print_line(workload, "baseline", 1, events, b.first, b.second);
  for (const auto& run : eddy_runs) {
    if (run.second != b.second) {
      std::fprintf(stderr, "eddy-bench: %s checksum mismatch: eddy %s, baseline %s\n", workload,
                   run.second.c_str(), b.second.c_str());
      return false;
    }
  }
  return true;
}

/// A directory for checkpoints: `given`, or a fresh temporary one removed on destruction.
class checkpoint_dir {
 public:
  explicit checkpoint_dir(const std::string& given) {
    if (!given.empty()) {
      path_ = given;
      return;
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "eddy-bench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory");
    path_ = tmpl;
    owned_ = true;
  }
  ~checkpoint_dir() {
    std::error_code ec;
    if (owned_) std::filesystem::remove_all(path_, ec);
  }
  checkpoint_dir(const checkpoint_dir&) = delete;
  checkpoint_dir& operator=(const checkpoint_dir&) = delete;
  /// A fresh store directory `name` inside it (removed first if it exists).
  [[nodiscard]] std::string run(const std::string& name) const {
    auto d = path_ / name;
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
    return d.string();
  }

 private:
  std::filesystem::path path_;
  bool owned_ = false;
};

template <class T>
T median_of(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// W2 with and without exactly-once checkpoints (and the baseline), alternating, `repeat` times
/// each: prints the usual W2 lines, one for eddy with checkpoints and one with the checkpoint
/// figures. Returns false if a checksum differs.
bool w2_checkpoints(std::uint64_t events, int parallelism, std::size_t batch, int repeat,
                    std::chrono::milliseconds interval, const std::string& dir_arg) {
  checkpoint_dir dir(dir_arg);
  struct run {
    double seconds;
    std::string checksum;
    eddy::job_result result;
  };
  std::vector<std::pair<double, std::string>> plain, base;
  std::vector<run> chk;
  for (int r = 0; r < repeat; ++r) {
    double s = 0;
    auto c = w2_eddy(events, parallelism, batch, s);
    plain.emplace_back(s, c);
    eddy::job_result result;
    const checkpointing cc{interval, dir.run("w2-run-" + std::to_string(r))};
    c = w2_job(events, parallelism, batch, cc, &result, s);
    chk.push_back(run{s, c, std::move(result)});
    c = w2_baseline(events, s);
    base.emplace_back(s, c);
  }
  const auto p = median_of(plain);
  const auto b = median_of(base);
  std::sort(chk.begin(), chk.end(),
            [](const run& x, const run& y) { return x.seconds < y.seconds; });
  const auto& c = chk[chk.size() / 2];
  print_line("w2", "eddy", parallelism, events, p.first, p.second);
  print_line("w2", "baseline", 1, events, b.first, b.second);
  print_line("w2", "eddy+checkpoints", parallelism, events, c.seconds, c.checksum);
  // Checkpoint durations over every checkpointed run; count and bytes of the median run.
  std::vector<long long> durations;
  for (const auto& x : chk)
    for (const auto& k : x.result.checkpoints) durations.push_back(k.duration.count());
  const long long med = durations.empty() ? -1 : median_of(durations);
  const long long max =
      durations.empty() ? -1 : *std::max_element(durations.begin(), durations.end());
  const std::uint64_t bytes = c.result.checkpoints.empty() ? 0 : c.result.checkpoints.back().bytes;
  std::printf(
      "{\"workload\":\"w2\",\"impl\":\"checkpoints\",\"parallelism\":%d,\"events\":%llu,"
      "\"checkpoint_interval_ms\":%lld,\"mode\":\"exactly_once\",\"checkpoints\":%zu,"
      "\"aborted_checkpoints\":%llu,\"checkpoint_ms_median\":%lld,\"checkpoint_ms_max\":%lld,"
      "\"checkpoint_bytes\":%llu,\"throughput_ratio\":%.3f}\n",
      parallelism, static_cast<unsigned long long>(events),
      static_cast<long long>(interval.count()), c.result.checkpoints.size(),
      static_cast<unsigned long long>(c.result.aborted_checkpoints), med, max,
      static_cast<unsigned long long>(bytes), p.first / c.seconds);
  std::fflush(stdout);
  bool ok = true;
  for (const auto& x : plain) ok = ok && x.second == b.second;
  for (const auto& x : chk) ok = ok && x.checksum == b.second;
  if (!ok)
    std::fprintf(stderr, "eddy-bench: w2 checksum mismatch (baseline %s)\n", b.second.c_str());
  return ok;
}

// ---- recovery: time from a failure to the first record processed after the restart ----

/// Shared between the benchmark driver and the job's functions.
struct recovery_probe {
  std::atomic<std::uint64_t> keys_filled{0};
  std::atomic<std::int64_t> filled_at_ms{0};  // system clock, like checkpoint timestamps
  std::atomic<bool> fail_now{false};
  std::atomic<bool> armed{true};
  std::atomic<std::int64_t> failed_at_ns{0};  // steady clock
  /// Steady clock times at which each subtask of the restarted job processed its first record.
  std::mutex mtx;
  std::vector<std::int64_t> recovered_ns;
  [[nodiscard]] std::size_t recovered() {
    std::lock_guard g(mtx);
    return recovered_ns.size();
  }
};

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Keeps a fat value per key (created at the key's first record) and reads it at every record.
/// A copy made after the failure belongs to the restarted job: its first record (after reading
/// the restored state, which decodes the subtask's whole restored "payload" state) marks the
/// recovery of its subtask.
struct fat_state {
  std::shared_ptr<recovery_probe> probe;
  std::uint64_t keys;
  std::size_t value_bytes;
  std::int64_t built_at_ns = steady_ns();
  bool recovered = false;

  fat_state(std::shared_ptr<recovery_probe> p, std::uint64_t k, std::size_t v)
      : probe(std::move(p)), keys(k), value_bytes(v) {}
  fat_state(const fat_state& o)
      : probe(o.probe), keys(o.keys), value_bytes(o.value_bytes), built_at_ns(steady_ns()) {}

  void process_element(const std::uint64_t& key,
                       eddy::keyed_context<std::uint64_t, std::uint64_t, std::uint64_t>& ctx,
                       eddy::collector<std::uint64_t>&) {
    auto v = ctx.value_state<std::string>("payload");
    auto cur = v.value();
    if (!cur) {
      v.update(std::string(value_bytes, static_cast<char>('a' + key % 26)));
      if (probe->keys_filled.fetch_add(1) + 1 == keys)
        probe->filled_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
    } else if (cur->size() != value_bytes) {
      throw std::runtime_error("restored state has the wrong size");
    }
    if (recovered) return;
    const auto failed = probe->failed_at_ns.load();
    if (failed != 0 && built_at_ns > failed) {
      recovered = true;
      const auto now = steady_ns();
      std::lock_guard g(probe->mtx);
      probe->recovered_ns.push_back(now);
    }
  }
};

struct recovery_figures {
  double recovery_ms = 0;      // to the first record processed by the restarted job
  double recovery_ms_all = 0;  // to the first record of its last subtask
  std::uint64_t checkpoint_bytes = 0;
  long long checkpoint_ms = 0;
  std::uint64_t restored_checkpoint = 0;
};

/// One recovery run; false if something went wrong (printed).
bool recovery_run(std::uint64_t keys, std::size_t value_bytes, int parallelism,
                  std::chrono::milliseconds interval, const std::string& dir,
                  recovery_figures& fig) {
  using namespace std::chrono;
  auto probe = std::make_shared<recovery_probe>();
  eddy::StreamEnvironment env;
  env.set_parallelism(parallelism);
  env.config().checkpoints.interval = interval;
  env.config().checkpoints.directory = dir;
  const auto restart_delay = milliseconds(0);
  env.config().restart = eddy::restart_strategy::fixed_delay(1, restart_delay);
  env.from_generator(eddy::unbounded, [keys](std::uint64_t i) { return i % keys; })
      .map([probe](std::uint64_t k) {
        if (probe->fail_now.load(std::memory_order_relaxed) && probe->armed.exchange(false)) {
          probe->failed_at_ns = steady_ns();
          throw std::runtime_error("injected failure");
        }
        return k;
      })
      .key_by([](std::uint64_t k) { return k; })
      .process(fat_state(probe, keys, value_bytes))
      .add_sink([](const std::uint64_t&) {});
  auto started = env.execute_async("recovery");
  if (!started) {
    std::fprintf(stderr, "eddy-bench: %s\n", started.error().message.c_str());
    return false;
  }
  auto handle = *started;
  auto give_up = steady_clock::now() + minutes(5);
  // Fail once a checkpoint triggered after every key had its value has completed.
  for (;;) {
    if (handle.wait_for(milliseconds(5)) || steady_clock::now() > give_up) {
      std::fprintf(stderr, "eddy-bench: the job ended or took too long before the failure\n");
      handle.cancel();
      return false;
    }
    const auto filled = probe->filled_at_ms.load();
    if (filled == 0) continue;
    bool covered = false;
    for (const auto& c : handle.checkpoints()) covered = covered || c.timestamp_ms >= filled;
    if (covered) break;
  }
  probe->fail_now = true;
  while (probe->recovered() < static_cast<std::size_t>(parallelism) &&
         !handle.wait_for(milliseconds(1)) && steady_clock::now() < give_up) {
  }
  handle.cancel();
  const auto r = handle.wait();
  if (probe->recovered() < static_cast<std::size_t>(parallelism)) {
    std::fprintf(stderr, "eddy-bench: the job did not recover (%s)\n",
                 r.failure ? r.failure->message.c_str() : to_string(r.state));
    return false;
  }
  const auto [first, last] =
      std::minmax_element(probe->recovered_ns.begin(), probe->recovered_ns.end());
  const auto failed = probe->failed_at_ns.load();
  const auto delay_ms = static_cast<double>(restart_delay.count());
  fig.recovery_ms = static_cast<double>(*first - failed) / 1e6 - delay_ms;
  fig.recovery_ms_all = static_cast<double>(*last - failed) / 1e6 - delay_ms;
  fig.restored_checkpoint = r.restored_checkpoint;
  for (const auto& c : r.checkpoints)
    if (c.id == r.restored_checkpoint) {
      fig.checkpoint_bytes = c.bytes;
      fig.checkpoint_ms = c.duration.count();
    }
  return r.restarts == 1;
}

bool recovery(double state_mb, std::size_t value_bytes, int parallelism, int repeat,
              std::chrono::milliseconds interval, const std::string& dir_arg) {
  checkpoint_dir dir(dir_arg);
  const auto keys = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(state_mb * 1024 * 1024 / static_cast<double>(value_bytes)));
  std::vector<recovery_figures> runs;
  for (int r = 0; r < repeat; ++r) {
    recovery_figures fig;
    if (!recovery_run(keys, value_bytes, parallelism, interval,
                      dir.run("recovery-run-" + std::to_string(r)), fig))
      return false;
    runs.push_back(fig);
  }
  std::sort(runs.begin(), runs.end(),
            [](const auto& a, const auto& b) { return a.recovery_ms < b.recovery_ms; });
  const auto& m = runs[runs.size() / 2];
  std::printf(
      "{\"workload\":\"recovery\",\"parallelism\":%d,\"keys\":%llu,\"value_bytes\":%zu,"
      "\"state_bytes\":%llu,\"checkpoint_bytes\":%llu,\"checkpoint_ms\":%lld,"
      "\"restored_checkpoint\":%llu,\"recovery_ms\":%.1f,\"recovery_ms_all_subtasks\":%.1f,"
      "\"recovery_ms_min\":%.1f,\"recovery_ms_max\":%.1f}\n",
      parallelism, static_cast<unsigned long long>(keys), value_bytes,
      static_cast<unsigned long long>(keys * value_bytes),
      static_cast<unsigned long long>(m.checkpoint_bytes), m.checkpoint_ms,
      static_cast<unsigned long long>(m.restored_checkpoint), m.recovery_ms, m.recovery_ms_all,
      runs.front().recovery_ms, runs.back().recovery_ms);
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  eddy::job_registry::global().add("w2", "the W2 workload", w2_program);
  if (argc >= 2 &&
      (std::string(argv[1]) == "coordinator-node" || std::string(argv[1]) == "worker-node"))
    return run_node(argc, argv);
  CLI::App app{"Eddy benchmarks: prints one JSON line per implementation", "eddy-bench"};
  app.require_subcommand(1);
  std::uint64_t events = 50'000'000;
  int parallelism = 1;
  std::size_t batch = 1024;
  std::string log_level = "warn";
  int repeat = 1;
  int checkpoint_interval_ms = 0;
  std::string checkpoint_dir_arg;
  double state_mb = 100;
  std::size_t value_bytes = 1024;
  app.add_option("--log-level", log_level, "log level on stderr")->capture_default_str();
  auto* w1 = app.add_subcommand("w1", "W1: generator -> map -> filter -> counting sink");
  auto* w2 = app.add_subcommand(
      "w2", "W2: generator -> key_by -> 1 s tumbling event-time window sum -> counting sink");
  auto* rec = app.add_subcommand(
      "recovery",
      "time from a failure to the first record processed after the restart, with N MB of keyed "
      "state restored from a checkpoint");
  for (auto* c : {w1, w2, rec}) {
    c->add_option("--parallelism,-p", parallelism, "parallelism")
        ->capture_default_str()
        ->check(CLI::Range(1, 128));
    c->add_option("--repeat", repeat, "runs of each implementation; the median is printed")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
  }
  for (auto* c : {w1, w2}) {
    c->add_option("--events,-n", events, "number of events")->capture_default_str();
    c->add_option("--batch-size", batch, "records per batch")->capture_default_str();
    c->add_flag(
        "--no-fusion", [](std::int64_t) { g_fusion = false; },
        "disable operator fusion (each operator runs on its own)");
  }
  int cluster_workers = 0;
  int remote_credits = eddy::execution_config{}.remote_channel_credits;
  w2->add_option("--remote-credits", remote_credits,
                 "with --cluster-workers: credits of channels between nodes")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  w2->add_option("--cluster-workers", cluster_workers,
                 "run W2 on a coordinator and this many worker processes on 127.0.0.1 (and "
                 "embedded, to compare)")
      ->check(CLI::Range(1, 64));
  bool w2_with_metrics = false;
  w2->add_flag("--metrics", w2_with_metrics,
               "also run W2 while this process serves the REST API and /metrics is scraped once "
               "a second, and compare");
  w2->add_option("--checkpoint-interval", checkpoint_interval_ms,
                 "also run W2 with exactly-once checkpoints at this interval (ms) and compare")
      ->check(CLI::Range(1, 3'600'000));
  for (auto* c : {w2, rec})
    c->add_option("--checkpoint-dir", checkpoint_dir_arg,
                  "checkpoint store directory (default: a temporary one, removed afterwards)");
  rec->add_option("--state-mb", state_mb, "keyed state in MiB (keys x value bytes)")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 100000.0));
  rec->add_option("--value-bytes", value_bytes, "bytes of state per key")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 30));
  int recovery_interval_ms = 1000;
  rec->add_option("--checkpoint-interval", recovery_interval_ms, "checkpoint interval (ms)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3'600'000));
  eddy::bench::cep_options cep_opts;
  auto* cep = app.add_subcommand(
      "cep",
      "CEP: a followed_by b+ followed_by c within 10 s over N keys, against a hand-written "
      "matcher; and bytes of state per open partial match");
  cep->add_option("--events,-n", cep_opts.events, "number of events")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  cep->add_option("--keys", cep_opts.keys, "number of keys")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  cep->add_option("--parallelism,-p", cep_opts.parallelism,
                  "parallelism of the Eddy job (default: 1 and 2)")
      ->check(CLI::Range(1, 128));
  cep->add_option("--repeat", cep_opts.repeat, "runs of each implementation; the median is printed")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cep->add_option("--state-events", cep_opts.state_events,
                  "events of the prefix the state per partial match is measured on (default: "
                  "three windows of event time)");
  eddy::bench::sql_options sql_opts;
  auto* sqlb = app.add_subcommand(
      "sql",
      "Nexmark q1 and q2 over N bids in CSV files, as SQL (sql_session, INSERT INTO blackhole) "
      "against the hand-written DataStream job");
  sqlb->add_option("--events,-n", sql_opts.events, "number of bid rows")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  sqlb->add_option("--files", sql_opts.files, "CSV files the rows are spread over")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  sqlb->add_option("--parallelism,-p", sql_opts.parallelism,
                   "parallelism of both jobs (default: 1 and 2)")
      ->check(CLI::Range(1, 128));
  sqlb->add_option("--only", sql_opts.only,
                   "run one implementation alone, unchecked (to profile it)")
      ->check(CLI::IsMember({"sql", "datastream"}));
  sqlb->add_option("--repeat", sql_opts.repeat,
                   "runs of each implementation; the median is printed")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  eddy::bench::nexmark_options nexmark_opts;
  auto* nexmark = eddy::bench::add_nexmark_command(app, nexmark_opts);
  eddy::bench::operator_options op_opts;
  auto* ops = app.add_subcommand(
      "operators",
      "the interval join and event-time session windows driven directly in one thread (the "
      "operators and their state alone)");
  ops->add_option("--events,-n", op_opts.events, "number of events")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  ops->add_option("--repeat", op_opts.repeat, "runs of each workload; the median is printed")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
#ifdef EDDY_BENCH_CONNECTORS
  std::uint64_t kafka_messages = 1'000'000;
  int kafka_partitions = 32;
  auto* kafka = app.add_subcommand(
      "kafka", "Kafka source -> map -> sink against a bare librdkafka consumer (mock cluster)");
  kafka->add_option("--messages,-n", kafka_messages, "messages of 100 bytes")
      ->capture_default_str();
  kafka
      ->add_option("--partitions", kafka_partitions,
                   "partitions (the mock keeps about 5 MB of each)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  std::uint64_t format_lines = 2'000'000;
  auto* formats = app.add_subcommand(
      "formats", "CSV and JSON decoding against a from_chars loop and simdjson alone");
  formats->add_option("--lines,-n", format_lines, "lines")->capture_default_str();
  for (auto* c : {kafka, formats}) {
    c->add_option("--repeat", repeat, "runs of each implementation; the median is printed")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
  }
  kafka->add_option("--parallelism,-p", parallelism, "parallelism")
      ->capture_default_str()
      ->check(CLI::Range(1, 128));
#endif
#if defined(EDDY_BENCH_MQTT) || defined(EDDY_BENCH_POSTGRES)
  std::vector<CLI::App*> iot_commands;
#endif
#ifdef EDDY_BENCH_MQTT
  std::string mqtt_uri;
  std::uint64_t mqtt_messages = 200'000;
  auto* mqtt = app.add_subcommand(
      "mqtt", "MQTT source (QoS 1, persistent session) against mosquitto_sub, on a running broker");
  mqtt->add_option("--uri", mqtt_uri, "mqtt://HOST:PORT[/TOPIC] (max_queued_messages 0)")
      ->required();
  mqtt->add_option("--messages,-n", mqtt_messages, "messages of about 60 bytes")
      ->capture_default_str();
  iot_commands.push_back(mqtt);
#endif
#ifdef EDDY_BENCH_POSTGRES
  std::string pg_uri;
  std::uint64_t pg_rows = 200'000;
  int pg_checkpoint_ms = 1000;
  auto* pg = app.add_subcommand(
      "pg", "PostgreSQL sink (upsert, append exactly-once) against COPY, on a running server");
  pg->add_option("--uri", pg_uri, "postgresql://USER@HOST:PORT/DB (max_prepared_transactions > 0)")
      ->required();
  pg->add_option("--rows,-n", pg_rows, "rows")->capture_default_str();
  pg->add_option("--parallelism,-p", parallelism, "parallelism of the Eddy jobs")
      ->capture_default_str()
      ->check(CLI::Range(1, 128));
  pg->add_option("--checkpoint-interval", pg_checkpoint_ms,
                 "checkpoint interval (ms) of the exactly-once append job")
      ->capture_default_str()
      ->check(CLI::Range(1, 3'600'000));
  iot_commands.push_back(pg);
#endif
#if defined(EDDY_BENCH_MQTT) || defined(EDDY_BENCH_POSTGRES)
  for (auto* c : iot_commands)
    c->add_option("--repeat", repeat, "runs of each implementation; the median is printed")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
#endif
  CLI11_PARSE(app, argc, argv);
  if (auto ok = eddy::set_log_level(log_level); !ok) {
    std::fprintf(stderr, "eddy-bench: %s\n", ok.error().message.c_str());
    return 2;
  }
#ifdef EDDY_BENCH_CONNECTORS
  if (kafka->parsed() &&
      !eddy::bench::kafka_source_bench(kafka_messages, kafka_partitions, parallelism, repeat))
    return 1;
  if (formats->parsed() && !eddy::bench::formats_bench(format_lines, repeat)) return 1;
#endif
#ifdef EDDY_BENCH_MQTT
  if (mqtt->parsed() && !eddy::bench::mqtt_source_bench(mqtt_uri, mqtt_messages, repeat)) return 1;
#endif
#ifdef EDDY_BENCH_POSTGRES
  if (pg->parsed() &&
      !eddy::bench::postgres_sink_bench(pg_uri, pg_rows, parallelism, repeat, pg_checkpoint_ms))
    return 1;
#endif
  if (w1->parsed() && !compare("w1", w1_eddy, w1_baseline, events, parallelism, batch, repeat))
    return 1;
  if (w2->parsed()) {
    if (cluster_workers > 0) {
      if (!w2_cluster(events, parallelism, batch, cluster_workers, repeat, remote_credits))
        return 1;
    } else if (w2_with_metrics) {
      if (!eddy::bench::w2_metrics_bench(
              parallelism, events, repeat,
              [&](double& s, std::chrono::milliseconds latency_interval, eddy::job_result* r) {
                return w2_job(events, parallelism, batch, checkpointing{{}, {}, latency_interval},
                              r, s);
              }))
        return 1;
    } else if (checkpoint_interval_ms > 0) {
      if (!w2_checkpoints(events, parallelism, batch, repeat,
                          std::chrono::milliseconds(checkpoint_interval_ms), checkpoint_dir_arg))
        return 1;
    } else if (!compare("w2", w2_eddy, w2_baseline, events, parallelism, batch, repeat)) {
      return 1;
    }
  }
  if (cep->parsed() && !eddy::bench::cep_bench(cep_opts)) return 1;
  if (ops->parsed() && !eddy::bench::operator_bench(op_opts)) return 1;
  if (sqlb->parsed() && !eddy::bench::sql_bench(sql_opts)) return 1;
  if (nexmark->parsed() && !eddy::bench::nexmark_bench(nexmark_opts)) return 1;
  if (rec->parsed() &&
      !recovery(state_mb, value_bytes, parallelism, repeat,
                std::chrono::milliseconds(recovery_interval_ms), checkpoint_dir_arg))
    return 1;
  return 0;
}
