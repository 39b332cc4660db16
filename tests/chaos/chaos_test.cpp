// Chaos test: a coordinator and three workers of the real `eddy` binary on 127.0.0.1 run the
// checkpointed sensors job (keyed 10 s event-time windows) while a driver thread SIGKILLs a
// random worker or the coordinator at random moments and restarts what it killed (the
// coordinator on the same state directory and port, workers anew). The committed output must
// equal the output of a failure-free run of the same input.
//
// Environment (see docs/testing.md):
//   EDDY_CHAOS_SEED   the seed of the kill schedule (default: random; always printed)
//   EDDY_CHAOS_KILLS  how many kills (default 5, the CI version; e.g. 30 for a long run)
//   EDDY_CHAOS_DIR    keep the processes' logs and outputs in this directory (default: a
//                     temporary directory, removed at the end)
// Every wait is bounded and says what it waited for; every child process is killed when the
// test ends, also when it fails.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/eddy_process.hpp"
#include "support/test_cluster.hpp"
#include "support/test_data.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::testing::committed_lines;
using eddy::testing::count_of;
using eddy::testing::eddy_process;
using eddy::testing::eventually;
using eddy::testing::run_eddy;
using eddy::testing::sensor_readings_csv;
using eddy::testing::write_file;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr int workers = 3;
constexpr int slots_per_worker = 2;  // a job at -p 3 fits on two workers
constexpr int parallelism = 3;
constexpr double source_rate = 3000;  // readings per second
constexpr auto min_pause = 300ms;     // between a recovery and the next kill
constexpr auto max_pause = 2500ms;
constexpr auto max_restart_delay = 800ms;  // between a kill and the restart
constexpr auto recovery_timeout = 60s;

/// A positive integer from the environment variable `name`, or `fallback` if it is unset.
std::optional<std::uint64_t> env_number(const char* name, std::uint64_t fallback,
                                        std::string& error) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const auto n = std::strtoull(v, &end, 10);
  if (*end != '\0' || v[0] == '-') {
    error = std::string(name) + "='" + v + "' is not a non-negative integer";
    return std::nullopt;
  }
  return n;
}

/// A TCP port on 127.0.0.1 that is free now, below Linux's ephemeral range (32768-60999), so
/// that no outgoing connection takes it while the coordinator is down. 0 if none was found.
std::uint16_t free_port() {
  std::random_device rd;
  for (int attempt = 0; attempt < 500; ++attempt) {
    const auto port = static_cast<std::uint16_t>(20000 + rd() % 12000);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return port;
  }
  return 0;
}

/// The last `n` lines of `text`.
std::string tail(const std::string& text, std::size_t n = 30) {
  auto pos = text.size();
  for (std::size_t i = 0; i <= n && pos != std::string::npos && pos > 0; ++i)
    pos = text.rfind('\n', pos - 1);
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

/// A coordinator and `workers` workers that can be killed and restarted one at a time. Not
/// thread-safe: one thread at a time drives it. The destructor kills every process.
class chaos_cluster {
 public:
  chaos_cluster(fs::path dir, std::uint16_t port) : dir_(std::move(dir)), port_(port) {}

  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] fs::path state_dir() const { return dir_ / "state"; }

  /// Starts the coordinator on the cluster's port; an error says why it did not listen.
  std::string start_coordinator() {
    if (coordinator_) past_logs_ += coordinator_->err();
    coordinator_ = std::make_unique<eddy_process>(
        dir_, std::vector<std::string>{"coordinator", "--listen", address(), "--state-dir",
                                       state_dir().string(), "--heartbeat-interval", "100",
                                       "--heartbeat-timeout", "1500", "--log-level", "info"});
    const bool up = eventually(
        [&] {
          return coordinator_->out().find("listening on") != std::string::npos ||
                 !coordinator_->running() || coordinator_->wait_for(0ms) >= 0;
        },
        20s);
    if (up && coordinator_->out().find("listening on") != std::string::npos) return {};
    return "the coordinator did not listen on " + address() +
           " within 20 s: " + tail(coordinator_->err(), 10);
  }
  void start_worker(std::size_t i) {
    if (workers_.size() <= i) workers_.resize(i + 1);
    workers_[i] = std::make_unique<eddy_process>(
        dir_, std::vector<std::string>{"worker", "--coordinator", address(), "--slots",
                                       std::to_string(slots_per_worker), "--name",
                                       "w" + std::to_string(i), "--work-dir",
                                       (dir_ / ("w" + std::to_string(i))).string(),
                                       "--heartbeat-interval", "100", "--log-level", "info"});
  }
  /// SIGKILLs the coordinator (and reaps it); returns its pid.
  pid_t kill_coordinator() {
    const auto pid = coordinator_->pid();
    coordinator_->kill();
    return pid;
  }
  pid_t kill_worker(std::size_t i) {
    const auto pid = workers_.at(i)->pid();
    workers_.at(i)->kill();
    return pid;
  }
  [[nodiscard]] pid_t coordinator_pid() const { return coordinator_->pid(); }
  [[nodiscard]] pid_t worker_pid(std::size_t i) const { return workers_.at(i)->pid(); }

  /// The current coordinator's log.
  [[nodiscard]] std::string log() const { return coordinator_->err(); }
  /// The logs of every coordinator so far, oldest first.
  [[nodiscard]] std::string all_logs() const { return past_logs_ + log(); }
  [[nodiscard]] std::string worker_log(std::size_t i) const { return workers_.at(i)->err(); }

  /// Whether the coordinator still records a job to resume (STATE_DIR/jobs/*.json).
  [[nodiscard]] bool job_recorded() const {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(state_dir() / "jobs", ec))
      if (e.path().extension() == ".json") return true;
    return false;
  }
  /// The job finished: a coordinator logged it, and none records it any more (a coordinator
  /// killed between the two resumes it and finishes it again).
  [[nodiscard]] bool job_finished() const {
    return all_logs().find("job 'sensors' FINISHED") != std::string::npos && !job_recorded();
  }
  /// Why the job cannot finish any more ("" while it can).
  [[nodiscard]] std::string job_failure() const {
    const auto logs = all_logs();
    for (const auto* what : {"job 'sensors' FAILED", "job 'sensors' CANCELED", "cannot resume job"})
      if (auto pos = logs.find(what); pos != std::string::npos)
        return logs.substr(pos, logs.find('\n', pos) - pos);
    return {};
  }

 private:
  fs::path dir_;
  std::uint16_t port_;
  std::unique_ptr<eddy_process> coordinator_;
  std::vector<std::unique_ptr<eddy_process>> workers_;
  std::string past_logs_;
};

/// Kills and restarts processes of `cluster` at random moments (seeded), waiting after each
/// kill until the job recovered. Runs on its own thread; reports through `error` and `kills`.
class chaos_driver {
 public:
  chaos_driver(chaos_cluster& cluster, std::uint64_t seed, int kills, clock_type::time_point t0,
               const std::atomic<bool>& abort)
      : c_(cluster), rng_(seed), kills_(kills), t0_(t0), abort_(abort) {}

  void run() {
    bool coordinator_killed = false, worker_killed = false;
    for (int k = 0; k < kills_ && error.empty(); ++k) {
      if (!pause(uniform(min_pause, max_pause))) return;
      if (c_.job_finished()) {
        error = "the job finished after only " + std::to_string(k) + " of " +
                std::to_string(kills_) + " kills (its input should last longer)";
        return;
      }
      // The last kill goes to the kind not killed yet, so every run kills both.
      auto target = static_cast<int>(rng_() % (workers + 1));
      if (k == kills_ - 1 && !coordinator_killed) target = workers;
      if (k == kills_ - 1 && !worker_killed && target == workers && coordinator_killed)
        target = static_cast<int>(rng_() % workers);
      const auto restart_delay = uniform(0ms, max_restart_delay);
      if (target == workers) {
        coordinator_killed = true;
        kill_coordinator(restart_delay);
      } else {
        worker_killed = true;
        kill_worker(static_cast<std::size_t>(target), restart_delay);
      }
      if (error.empty()) ++kills;
    }
  }

  std::string error;
  int kills = 0;

 private:
  std::chrono::milliseconds uniform(std::chrono::milliseconds lo, std::chrono::milliseconds hi) {
    return lo + std::chrono::milliseconds(rng_() %
                                          static_cast<std::uint64_t>(hi.count() - lo.count() + 1));
  }
  [[nodiscard]] double now_s() const {
    return std::chrono::duration<double>(clock_type::now() - t0_).count();
  }
  /// Sleeps `d`; false if the test gave up meanwhile.
  bool pause(std::chrono::milliseconds d) {
    const auto end = clock_type::now() + d;
    while (clock_type::now() < end) {
      if (abort_) return false;
      std::this_thread::sleep_for(10ms);
    }
    return !abort_;
  }
  /// Waits until `pred` holds, for at most recovery_timeout; otherwise sets `error` to say
  /// that it waited for `what`.
  template <class Pred>
  bool await(Pred&& pred, const std::string& what) {
    const auto end = clock_type::now() + recovery_timeout;
    while (!pred()) {
      if (auto f = c_.job_failure(); !f.empty()) {
        error = "while waiting for " + what + ": " + f;
        return false;
      }
      if (abort_ || clock_type::now() > end) {
        error = "waited " +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::seconds>(recovery_timeout).count()) +
                " s for " + what + "; the coordinator's log ends with:\n" + tail(c_.log());
        return false;
      }
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }

  void kill_worker(std::size_t i, std::chrono::milliseconds restart_delay) {
    const auto offset = c_.log().size();
    const auto name = "'w" + std::to_string(i) + "'";
    std::printf("chaos: kill worker %zu (pid %d) at %.1f s\n", i, c_.kill_worker(i), now_s());
    std::fflush(stdout);
    if (!pause(restart_delay)) return;
    c_.start_worker(i);
    std::printf("chaos: restart worker %zu (pid %d) at %.1f s\n", i, c_.worker_pid(i), now_s());
    std::fflush(stdout);
    // The coordinator sees the connection close, restarts the job if the worker ran part of
    // it, and takes the new worker in.
    std::string log;  // what `m` points into
    std::smatch m;
    const std::regex lost(name + " lost \\([^\\n]*\\); ([0-9]+) jobs ran there");
    if (!await(
            [&] {
              log = c_.log().substr(offset);
              return std::regex_search(log, m, lost);
            },
            "the coordinator to lose worker " + std::to_string(i)))
      return;
    const bool ran_job = std::stoi(m[1].str()) > 0;
    if (ran_job) {
      const std::regex restarted(
          "job 'sensors' restart ([0-9]+) from (checkpoint [0-9]+|the beginning)");
      if (!await(
              [&] {
                log = c_.log().substr(offset);
                return std::regex_search(log, m, restarted) ||
                       log.find("job 'sensors' FINISHED") != std::string::npos;
              },
              "the job to restart after killing worker " + std::to_string(i)))
        return;
      if (!std::regex_search(log, m, restarted))
        std::printf("chaos: the job finished before it restarted, at %.1f s\n", now_s());
      else
        std::printf("chaos: job restarted from %s (restart %s) at %.1f s\n", m[2].str().c_str(),
                    m[1].str().c_str(), now_s());
    } else {
      std::printf("chaos: worker %zu ran no subtasks, nothing to restart\n", i);
    }
    std::fflush(stdout);
    if (!await(
            [&] {
              return c_.log().substr(offset).find(name + " registered with") != std::string::npos;
            },
            "worker " + std::to_string(i) + " to register again"))
      return;
    std::printf("chaos: worker %zu registered again at %.1f s\n", i, now_s());
    std::fflush(stdout);
  }

  void kill_coordinator(std::chrono::milliseconds restart_delay) {
    std::printf("chaos: kill coordinator (pid %d) at %.1f s\n", c_.kill_coordinator(), now_s());
    std::fflush(stdout);
    if (!pause(restart_delay)) return;
    if (auto e = c_.start_coordinator(); !e.empty()) {
      error = e;
      return;
    }
    std::printf("chaos: restart coordinator (pid %d) at %.1f s\n", c_.coordinator_pid(), now_s());
    std::fflush(stdout);
    if (!await([&] { return count_of(c_.log(), "' registered with") >= workers; },
               "the " + std::to_string(workers) + " workers to register with the new coordinator"))
      return;
    if (!c_.job_recorded()) {
      std::printf("chaos: no job to resume (it had finished) at %.1f s\n", now_s());
      std::fflush(stdout);
      return;
    }
    std::string log;  // what `m` points into
    std::smatch m;
    // The coordinator resumes the recorded job from its store's newest checkpoint.
    const std::regex resumed("restoring job 'sensors' from checkpoint ([0-9]+)");
    if (!await(
            [&] {
              log = c_.log();
              return log.find("resuming job ") != std::string::npos &&
                     std::regex_search(log, m, resumed);
            },
            "the new coordinator to resume the job"))
      return;
    std::printf("chaos: job resumed from checkpoint %s at %.1f s\n", m[1].str().c_str(), now_s());
    std::fflush(stdout);
  }

  chaos_cluster& c_;
  std::mt19937_64 rng_;
  int kills_;
  clock_type::time_point t0_;
  const std::atomic<bool>& abort_;
};

/// Joins the driver thread when the test ends, also on a failed REQUIRE (after telling it to
/// stop), so that the cluster outlives it.
struct driver_thread {
  std::atomic<bool> abort{false};
  std::thread thread;
  ~driver_thread() {
    abort = true;
    if (thread.joinable()) thread.join();
  }
};

}  // namespace

TEST_CASE(
    "a coordinator and three workers killed at random during a checkpointed sensors job commit "
    "the failure-free output",
    "[chaos]") {
  std::string bad;
  const auto seed_default = std::random_device{}();
  const auto seed = env_number("EDDY_CHAOS_SEED", seed_default, bad);
  const auto kills = env_number("EDDY_CHAOS_KILLS", 5, bad);
  INFO(bad);
  REQUIRE(bad.empty());
  REQUIRE(*kills >= 1);
  REQUIRE(*kills <= 1000);
  const int n_kills = static_cast<int>(*kills);
  std::printf("chaos: seed %llu, %d kills (EDDY_CHAOS_SEED=%llu EDDY_CHAOS_KILLS=%d to repeat)\n",
              static_cast<unsigned long long>(*seed), n_kills,
              static_cast<unsigned long long>(*seed), n_kills);
  std::fflush(stdout);

  std::optional<eddy::testing::temp_dir> tmp;
  fs::path dir;
  if (const char* keep = std::getenv("EDDY_CHAOS_DIR"); keep && *keep) {
    dir = fs::absolute(keep) / ("chaos-" + std::to_string(*seed));
    fs::remove_all(dir);
    fs::create_directories(dir);
  } else {
    tmp.emplace("eddy-chaos");
    dir = tmp->path();
  }

  // Input for as long as the kills take at most (every pause at its longest, and a second per
  // kill for the job running while a worker registers again on a loaded machine), and a little
  // more, at source_rate: the job cannot finish before the last kill.
  const auto job_seconds =
      n_kills * (std::chrono::duration<double>(max_pause + max_restart_delay).count() + 1) + 6;
  const int readings = static_cast<int>(job_seconds * source_rate);
  const auto input = dir / "readings.csv";
  write_file(input, sensor_readings_csv(readings, static_cast<std::uint32_t>(*seed)));
  auto ref_args = eddy::testing::sensors_args(input, dir / "ref", parallelism);
  ref_args.insert(ref_args.begin(), "run");
  const auto ref = run_eddy(dir, ref_args);
  INFO("failure-free run: " << ref.err);
  REQUIRE(ref.code == 0);

  const auto port = free_port();
  REQUIRE(port != 0);
  chaos_cluster cluster(dir, port);
  {
    const auto e = cluster.start_coordinator();
    INFO(e);
    REQUIRE(e.empty());
  }
  for (std::size_t i = 0; i < workers; ++i) cluster.start_worker(i);
  {
    INFO("waited 20 s for " << workers << " workers to register: " << tail(cluster.log()));
    REQUIRE(
        eventually([&] { return count_of(cluster.log(), "' registered with") >= workers; }, 20s));
  }

  auto args = eddy::testing::sensors_args(input, dir / "run", parallelism);
  for (const auto* a : {"--checkpoint-interval", "200", "--detach"}) args.emplace_back(a);
  args.emplace_back("--source-rate");
  args.emplace_back(std::to_string(static_cast<int>(source_rate)));
  args.insert(args.begin(), {"run", "--cluster", cluster.address()});
  const auto t0 = clock_type::now();
  const auto submitted = run_eddy(dir, args);
  INFO("eddy run --detach: " << submitted.out << submitted.err);
  REQUIRE(submitted.code == 0);
  std::printf("chaos: submitted %zu readings (%.0f s at %.0f/s) as job %s", std::size_t(readings),
              readings / source_rate, source_rate, submitted.out.c_str());
  std::fflush(stdout);
  {
    // The coordinator resumes a job only from a completed checkpoint: the first kill waits
    // for one.
    INFO("waited 30 s for the first checkpoint: " << tail(cluster.log()));
    REQUIRE(
        eventually([&] { return cluster.log().find(" completed in ") != std::string::npos; }, 30s));
  }

  driver_thread driver;
  chaos_driver chaos(cluster, *seed, n_kills, t0, driver.abort);
  std::atomic<bool> driver_done{false};
  driver.thread = std::thread([&] {
    chaos.run();
    driver_done = true;
  });
  // Bounded: every kill takes at most its pause, its restart delay and two recovery waits.
  const auto kill_deadline =
      clock_type::now() + n_kills * (max_pause + max_restart_delay + 2 * recovery_timeout);
  while (!driver_done && clock_type::now() < kill_deadline) std::this_thread::sleep_for(50ms);
  const bool driver_in_time = driver_done.load();
  driver.abort = true;
  driver.thread.join();
  INFO("coordinator logs:\n" << tail(cluster.all_logs(), 60));
  INFO("driver: " << chaos.error);
  REQUIRE(driver_in_time);
  REQUIRE(chaos.error.empty());
  REQUIRE(chaos.kills == n_kills);

  const auto finish_timeout = std::chrono::seconds(static_cast<int>(job_seconds) + 120);
  const bool finished = eventually(
      [&] { return cluster.job_finished() || !cluster.job_failure().empty(); }, finish_timeout);
  INFO("waited up to " << finish_timeout.count()
                       << " s for the job to finish; failure: " << cluster.job_failure());
  REQUIRE(finished);
  REQUIRE(cluster.job_failure().empty());
  std::printf("chaos: job finished at %.1f s after %d kills\n",
              std::chrono::duration<double>(clock_type::now() - t0).count(), chaos.kills);
  std::fflush(stdout);

  for (const auto* out : {"windows", "late", "alerts", "dead"}) {
    INFO("output " << out);
    const auto want = committed_lines(dir / "ref" / out);
    const auto got = committed_lines(dir / "run" / out);
    CHECK(got.size() == want.size());
    CHECK(got == want);
  }
}
