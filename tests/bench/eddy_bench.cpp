// eddy-bench: throughput benchmarks. Prints one JSON line per implementation; never asserts
// timings. Workloads are defined in docs/performance.md.
#include <CLI/CLI.hpp>

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eddy/operators/datastream.hpp"
#include "eddy/runtime/log.hpp"

namespace {

struct event {
  std::uint64_t key;
  std::int64_t value;
  std::int64_t ts_ms;
};

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

std::string w2_eddy(std::uint64_t n, int parallelism, std::size_t batch, double& seconds) {
  eddy::StreamEnvironment env;
  env.set_parallelism(parallelism).set_batch_size(batch);
  auto out = std::make_shared<totals>();
  env.from_generator(n, [](std::uint64_t i) { return make_event(i); })
      .assign_timestamps_and_watermarks(
          eddy::WatermarkStrategy<event>::for_monotonous_timestamps().with_timestamp_assigner(
              [](const event& e) { return e.ts_ms; }))
      .key_by([](const event& e) { return e.key; })
      .window(eddy::TumblingEventTimeWindows::of(std::chrono::milliseconds(1000)))
      .aggregate(sum_values{})
      .add_sink(result_sink{out});
  env.runtime();
  auto t0 = std::chrono::steady_clock::now();
  env.execute("w2");
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return std::to_string(out->count.load()) + ":" + std::to_string(out->sum.load());
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Eddy benchmarks: prints one JSON line per implementation", "eddy-bench"};
  app.require_subcommand(1);
  std::uint64_t events = 50'000'000;
  int parallelism = 1;
  std::size_t batch = 1024;
  std::string log_level = "warn";
  int repeat = 1;
  app.add_option("--log-level", log_level, "log level on stderr")->capture_default_str();
  auto* w1 = app.add_subcommand("w1", "W1: generator -> map -> filter -> counting sink");
  auto* w2 = app.add_subcommand(
      "w2", "W2: generator -> key_by -> 1 s tumbling event-time window sum -> counting sink");
  for (auto* c : {w1, w2}) {
    c->add_option("--events,-n", events, "number of events")->capture_default_str();
    c->add_option("--parallelism,-p", parallelism, "parallelism")
        ->capture_default_str()
        ->check(CLI::Range(1, 128));
    c->add_option("--batch-size", batch, "records per batch")->capture_default_str();
    c->add_option("--repeat", repeat, "runs of each implementation; the median is printed")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
  }
  CLI11_PARSE(app, argc, argv);
  if (auto ok = eddy::set_log_level(log_level); !ok) {
    std::fprintf(stderr, "eddy-bench: %s\n", ok.error().message.c_str());
    return 2;
  }
  if (w1->parsed() && !compare("w1", w1_eddy, w1_baseline, events, parallelism, batch, repeat))
    return 1;
  if (w2->parsed() && !compare("w2", w2_eddy, w2_baseline, events, parallelism, batch, repeat))
    return 1;
  return 0;
}
