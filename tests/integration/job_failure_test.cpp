// Jobs that fail, are canceled or are invalid: the error names the operator, the subtask and the
// cause; nothing leaks (actors, threads, partial output files).
#include <catch2/catch.hpp>

#include "support/test_support.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "eddy/operators/datastream.hpp"
#include "eddy/runtime/key_group.hpp"

namespace fs = std::filesystem;

namespace {

using eddy::testing::read_file;
using eddy::testing::temp_dir;

constexpr int parallelism = 3;
constexpr std::uint64_t records = 300;  // subtask k of 3 emits the indices [100k, 100k + 100)
constexpr std::uint64_t poisoned_offset = 50;

/// Threads of this process.
std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/task")) ++n;
  return n;
}

/// Polls `pred` every 10 ms for up to 10 s; returns its last value. Callers assert on the
/// condition itself, never on the time it took.
template <class Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

/// Asserts that no actor of the environment's runtime is left.
void require_no_actors(eddy::StreamEnvironment& env) {
  eventually([&] { return env.runtime().running_actors() == 0; });
  CHECK(env.runtime().running_actors() == 0);
}

/// The thread count to compare against after a test destroyed its environment. Threads joined
/// by an earlier test's environment may still be listed for a moment (the kernel reaps a thread
/// shortly after pthread_join returns), so first wait until only the main thread is left (the
/// test runner is single-threaded) or the count has stopped changing.
std::size_t thread_baseline() {
  // TSan starts a thread of its own with the first thread the process creates; make it exist
  // before counting, so that it is in the baseline (without a sanitizer this leaves nothing).
  std::thread([] {}).join();
  std::size_t last = thread_count();
  int unchanged_polls = 0;
  eventually([&] {
    const std::size_t now = thread_count();
    unchanged_polls = now == last ? unchanged_polls + 1 : 0;
    last = now;
    return now == 1 || unchanged_polls >= 10;
  });
  return thread_count();
}

/// Asserts that the process is back to `before` threads (after an environment was destroyed).
void require_threads_back_to(std::size_t before) {
  eventually([&] { return thread_count() == before; });
  CHECK(thread_count() == before);
}

/// A generator value function emitting 17 (the poisoned record) at one index of subtask
/// `subtask` (0-based; generator subtask k emits the indices i with i % parallelism == k) and
/// values >= 1000 everywhere else.
auto poisoned_generator(int subtask) {
  const std::uint64_t at = poisoned_offset * parallelism + static_cast<std::uint64_t>(subtask);
  return [at](std::uint64_t i) { return i == at ? 17 : static_cast<int>(i) + 1000; };
}

[[noreturn]] void boom(int x) {
  throw std::runtime_error("boom " + std::to_string(x));
}

/// "(subtask K/3)" for the 0-based subtask index.
std::string subtask_tag(int subtask) {
  return "(subtask " + std::to_string(subtask + 1) + "/" + std::to_string(parallelism) + ")";
}

/// Builds a job with `build`, runs it at parallelism 3 and checks that it fails naming the
/// operator "exploding", subtask `failing` (0-based) and the cause "boom 17"; then that no actor
/// and no thread is left behind.
void expect_failure(const std::function<void(eddy::StreamEnvironment&)>& build, int failing,
                    const std::string& cause = "boom 17") {
  const auto threads_before = thread_baseline();
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(parallelism).set_batch_size(7);
    build(env);
    std::string what;
    eddy::job_result result;
    try {
      env.execute("failing job");
      FAIL("execute did not throw");
    } catch (const eddy::job_execution_error& e) {
      what = e.what();
      result = e.result;
    }
    INFO("error: " << what);
    CHECK(result.state == eddy::job_state::failed);
    CHECK(!result.ok());
    REQUIRE(result.failure.has_value());
    CHECK(result.failure->code == eddy::errc::job_failed);
    CHECK(result.failure->message == what);
    CHECK(what.find("exploding") != std::string::npos);
    CHECK(what.find("subtask") != std::string::npos);
    CHECK(what.find(subtask_tag(failing)) != std::string::npos);
    CHECK(what.find(cause) != std::string::npos);
    require_no_actors(env);
  }
  require_threads_back_to(threads_before);
}

}  // namespace

TEST_CASE("a throwing map fails the job naming the operator, its subtask and the cause",
          "[failure]") {
  const int failing = GENERATE(0, 1, 2);
  expect_failure(
      [&](eddy::StreamEnvironment& env) {
        env.from_generator(records, poisoned_generator(failing))
            .map([](int x) {
              if (x == 17) boom(x);
              return x + 1;
            })
            .name("exploding")
            .collect();
      },
      failing);
}

TEST_CASE("a throwing filter fails the job naming the operator, its subtask and the cause",
          "[failure]") {
  const int failing = GENERATE(0, 1, 2);
  expect_failure(
      [&](eddy::StreamEnvironment& env) {
        env.from_generator(records, poisoned_generator(failing))
            .filter([](const int& x) {
              if (x == 17) boom(x);
              return x % 2 == 0;
            })
            .name("exploding")
            .collect();
      },
      failing);
}

TEST_CASE("a throwing flat_map fails the job naming the operator, its subtask and the cause",
          "[failure]") {
  const int failing = GENERATE(0, 1, 2);
  expect_failure(
      [&](eddy::StreamEnvironment& env) {
        env.from_generator(records, poisoned_generator(failing))
            .flat_map([](int x, eddy::collector<int>& out) {
              out.collect(x);
              if (x == 17) boom(x);
              out.collect(x);
            })
            .name("exploding")
            .collect();
      },
      failing);
}

TEST_CASE(
    "a throwing key function of a keyed reduce fails the job naming the reduce, the subtask "
    "and the cause",
    "[failure][keyed]") {
  // Regression: an exception from the key function, raised in the sending subtask's hash
  // partitioner, used to be attributed to the upstream operator ("operator 'generator' ...") and
  // in batch mode to the combiner under its default name ("operator 'reduce (local)' ...").
  // The key function runs where records are partitioned (the sending subtask) and in the reduce
  // (the receiving subtask). Put the poisoned record on the generator subtask whose index is also
  // the reduce subtask owning key 17, so "the subtask that processed it" is unambiguous.
  const int owner =
      eddy::subtask_of_key_group(eddy::key_group_of(eddy::key_hash(17), 128), 128, parallelism);
  const bool batch_mode = GENERATE(false, true);
  INFO("batch mode " << batch_mode);
  expect_failure(
      [&](eddy::StreamEnvironment& env) {
        if (batch_mode) env.set_runtime_mode(eddy::runtime_mode::batch);
        env.from_generator(records, poisoned_generator(owner))
            .key_by([](const int& x) {
              if (x == 17) boom(x);
              return x % 10;
            })
            .reduce([](const int& a, const int& b) { return a + b; })
            .name("exploding")
            .collect();
      },
      owner);
}

TEST_CASE(
    "a map throwing something other than a std::exception fails the job naming the "
    "operator and its subtask",
    "[failure]") {
  const int failing = GENERATE(0, 2);
  expect_failure(
      [&](eddy::StreamEnvironment& env) {
        env.from_generator(records, poisoned_generator(failing))
            .map([](int x) {
              if (x == 17) throw 17;
              return x;
            })
            .name("exploding")
            .collect();
      },
      failing, "unknown exception");
}

TEST_CASE("a throwing sink function fails the job naming the sink, its subtask and the cause",
          "[failure]") {
  const int failing = GENERATE(0, 1, 2);
  expect_failure(
      [&](eddy::StreamEnvironment& env) {
        env.from_generator(records, poisoned_generator(failing))
            .add_sink([](const int& x) {
              if (x == 17) boom(x);
            })
            .name("exploding");
      },
      failing);
}

TEST_CASE("a sink whose close() throws fails the job naming the sink and its subtask",
          "[failure]") {
  struct closing_sink {
    int index = 0;
    void open(const eddy::subtask_info& info) { index = info.index; }
    void operator()(const int&) {}
    void close() {
      if (index == 1) boom(17);
    }
  };
  expect_failure(
      [&](eddy::StreamEnvironment& env) {
        env.from_generator(records, [](std::uint64_t i) { return static_cast<int>(i); })
            .add_sink(closing_sink{})
            .name("exploding");
      },
      1);
}

TEST_CASE(
    "a source function whose poll throws fails the job naming the source, its subtask and "
    "the cause",
    "[failure][source]") {
  const int failing = GENERATE(0, 1, 2);
  struct lifecycle {
    std::atomic<int> opened{0}, closed{0};
  };
  auto life = std::make_shared<lifecycle>();
  struct throwing_source final : eddy::source_function<int> {
    std::shared_ptr<lifecycle> life;
    int failing = 0, index = 0, polls = 0;
    void open(const eddy::subtask_info& info) override {
      index = info.index;
      ++life->opened;
    }
    void close() override { ++life->closed; }
    eddy::source_status poll(std::vector<int>& out, std::size_t max) override {
      if (++polls == 4 && index == failing) boom(17);
      if (polls > 6) return eddy::source_status::end;
      for (std::size_t i = 0; i < max; ++i) out.push_back(index * 1000 + static_cast<int>(i));
      return eddy::source_status::more;
    }
  };
  expect_failure(
      [&](eddy::StreamEnvironment& env) {
        env.add_source<int>(
               [failing,
                life](const eddy::subtask_info&) -> std::unique_ptr<eddy::source_function<int>> {
                 auto s = std::make_unique<throwing_source>();
                 s->failing = failing;
                 s->life = life;
                 return s;
               },
               "exploding")
            .map([](int x) { return x; })
            .collect();
      },
      failing);
  // Every source that was opened was closed once, the failed one included.
  CHECK(life->opened >= 1);
  CHECK(life->closed == life->opened);
}

TEST_CASE("a source function whose open throws fails the job naming the source and its subtask",
          "[failure][source]") {
  struct unopenable_source final : eddy::source_function<int> {
    void open(const eddy::subtask_info& info) override {
      if (info.index == 2) boom(17);
    }
    eddy::source_status poll(std::vector<int>&, std::size_t) override {
      return eddy::source_status::end;
    }
  };
  expect_failure(
      [](eddy::StreamEnvironment& env) {
        env.add_source<int>(
               [](const eddy::subtask_info&) -> std::unique_ptr<eddy::source_function<int>> {
                 return std::make_unique<unopenable_source>();
               },
               "exploding")
            .collect();
      },
      2);
}

TEST_CASE("a missing input file fails the job naming the file", "[failure][files]") {
  temp_dir tmp{"eddy-fail-test"};
  const auto missing = (tmp.path() / "does-not-exist.txt").string();
  const auto threads_before = thread_baseline();
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(2);
    env.read_text_file(missing).name("exploding").collect();
    try {
      env.execute();
      FAIL("execute did not throw");
    } catch (const eddy::job_execution_error& e) {
      const std::string what = e.what();
      INFO("error: " << what);
      CHECK(e.result.state == eddy::job_state::failed);
      CHECK(what.find("exploding") != std::string::npos);
      CHECK(what.find(missing) != std::string::npos);
    }
    require_no_actors(env);
  }
  require_threads_back_to(threads_before);
}

TEST_CASE(
    "a file sink that cannot create its directory fails the job naming the sink and the "
    "path",
    "[failure][files]") {
  temp_dir tmp{"eddy-fail-test"};
  const auto file = tmp.path() / "a-file";
  { std::ofstream(file) << "x\n"; }
  const auto bad_dir = (file / "sub").string();
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.from_collection({1, 2, 3}).write_text_file(bad_dir).name("exploding");
  try {
    env.execute();
    FAIL("execute did not throw");
  } catch (const eddy::job_execution_error& e) {
    const std::string what = e.what();
    INFO("error: " << what);
    CHECK(e.result.state == eddy::job_state::failed);
    CHECK(what.find("exploding") != std::string::npos);
    CHECK(what.find(bad_dir) != std::string::npos);
  }
  require_no_actors(env);
}

TEST_CASE("a finished job leaves no actors and no threads behind", "[failure][leak]") {
  const auto threads_before = thread_baseline();
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(parallelism).set_batch_size(7);
    auto out = env.from_generator(records, [](std::uint64_t i) { return static_cast<int>(i); })
                   .rebalance()
                   .key_by([](const int& x) { return x % 7; })
                   .sum()
                   .collect();
    CHECK(env.execute().ok());
    CHECK(out.size() == records);
    require_no_actors(env);
  }
  require_threads_back_to(threads_before);
}

TEST_CASE("the environment runs a new job after a failed one", "[failure][reuse]") {
  eddy::StreamEnvironment env;
  env.set_parallelism(parallelism);
  env.from_generator(records, poisoned_generator(1))
      .map([](int x) {
        if (x == 17) boom(x);
        return x;
      })
      .name("exploding")
      .collect();
  CHECK_THROWS_AS(env.execute(), eddy::job_execution_error);
  auto out = env.from_generator(records, [](std::uint64_t i) { return static_cast<int>(i); })
                 .map([](int x) { return x * 2; })
                 .collect();
  auto r = env.execute();
  CHECK(r.ok());
  CHECK(out.size() == records);
  // Only the second job's operators are in its result.
  CHECK(r.find_operator("exploding") == nullptr);
  require_no_actors(env);
}

TEST_CASE("canceling an unbounded job ends it in state canceled with nothing left behind",
          "[failure][cancel]") {
  const auto threads_before = thread_baseline();
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(parallelism).set_batch_size(64);
    auto seen = std::make_shared<std::atomic<std::uint64_t>>(0);
    env.from_generator(eddy::unbounded, [](std::uint64_t i) { return i; })
        .map([](std::uint64_t i) { return i * 3; })
        .rebalance()
        .add_sink([seen](const std::uint64_t&) { seen->fetch_add(1); })
        .set_parallelism(2)
        .name("counter");
    auto h = env.execute_async("endless");
    REQUIRE(h.has_value());
    REQUIRE(eventually([&] { return seen->load() >= 5000; }));
    CHECK(h->state() == eddy::job_state::running);
    h->cancel();
    auto r = h->wait();
    CHECK(r.state == eddy::job_state::canceled);
    CHECK(h->state() == eddy::job_state::canceled);
    REQUIRE(r.failure.has_value());
    CHECK(r.failure->code == eddy::errc::job_canceled);
    CHECK(r.job_name == "endless");
    h->cancel();  // a no-op once the job ended
    CHECK(h->wait().state == eddy::job_state::canceled);
    require_no_actors(env);
  }
  require_threads_back_to(threads_before);
}

TEST_CASE("canceling a job closes each subtask's custom source exactly once",
          "[failure][cancel][source]") {
  struct lifecycle {
    std::atomic<int> opened{0}, closed{0};
    std::atomic<std::uint64_t> polled{0};
  };
  auto life = std::make_shared<lifecycle>();
  struct endless final : eddy::source_function<int> {
    std::shared_ptr<lifecycle> life;
    explicit endless(std::shared_ptr<lifecycle> l) : life(std::move(l)) {}
    void open(const eddy::subtask_info&) override { ++life->opened; }
    eddy::source_status poll(std::vector<int>& out, std::size_t max) override {
      ++life->polled;
      for (std::size_t i = 0; i < max; ++i) out.push_back(static_cast<int>(i));
      return eddy::source_status::more;
    }
    void close() override { ++life->closed; }
  };
  eddy::StreamEnvironment env;
  env.set_parallelism(parallelism);
  env.add_source<int>(
         [life](const eddy::subtask_info&) -> std::unique_ptr<eddy::source_function<int>> {
           return std::make_unique<endless>(life);
         },
         "endless", false)
      .rebalance()
      .add_sink([](const int&) {})
      .set_parallelism(2);
  auto h = env.execute_async();
  REQUIRE(h.has_value());
  REQUIRE(eventually([&] { return life->opened == parallelism && life->polled > 100; }));
  h->cancel();
  CHECK(h->wait().state == eddy::job_state::canceled);
  CHECK(life->opened == parallelism);
  CHECK(life->closed == parallelism);
  require_no_actors(env);
}

TEST_CASE("canceling a job right after submitting it ends it in state canceled",
          "[failure][cancel]") {
  const auto threads_before = thread_baseline();
  {
    eddy::StreamEnvironment env;
    env.set_parallelism(parallelism);
    env.from_generator(eddy::unbounded, [](std::uint64_t i) { return i; })
        .rebalance()
        .map([](std::uint64_t i) { return i + 1; })
        .set_parallelism(2)
        .add_sink([](const std::uint64_t&) {});
    auto h = env.execute_async("short-lived");
    REQUIRE(h.has_value());
    h->cancel();
    CHECK(h->wait().state == eddy::job_state::canceled);
    require_no_actors(env);
  }
  require_threads_back_to(threads_before);
}

TEST_CASE("cancel() after a job finished leaves it finished", "[failure][cancel]") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto out = env.from_collection({1, 2, 3}).collect();
  auto h = env.execute_async();
  REQUIRE(h.has_value());
  CHECK(h->wait().state == eddy::job_state::finished);
  h->cancel();
  CHECK(h->state() == eddy::job_state::finished);
  CHECK(h->wait().state == eddy::job_state::finished);
  CHECK(out.size() == 3);
  require_no_actors(env);
}

TEST_CASE("a failed job leaves no part files: output is committed only when the job finishes",
          "[failure][files]") {
  temp_dir tmp{"eddy-fail-test"};
  const auto dir = tmp.path() / "out";

  SECTION("sink chained with the failing operator, other subtasks finish first") {
    // Subtask 1 fails after writing part of its output; subtasks 0 and 2 end their input and
    // finish before that (it waits for their finish), yet nothing of theirs becomes visible:
    // the job as a whole did not finish.
    auto others_done = std::make_shared<std::atomic<int>>(0);
    {
      eddy::StreamEnvironment env;
      env.set_parallelism(parallelism).set_batch_size(7);
      const auto out_dir = dir.string();
      auto mapped = env.from_generator(records, poisoned_generator(1))
                        .map([others_done](int x) {
                          if (x == 17) {
                            eventually([&] { return others_done->load() == 2; });
                            boom(x);
                          }
                          return x;
                        })
                        .name("exploding");
      mapped.write_text_file(out_dir);
      // The other subtasks count their end through a second sink chained the same way.
      struct end_counter {
        std::shared_ptr<std::atomic<int>> n;
        void operator()(int) const {}
        void close() { ++*n; }
      };
      mapped.add_sink(end_counter{others_done});
      CHECK_THROWS_AS(env.execute(), eddy::job_execution_error);
      CHECK(others_done->load() == 2);
      require_no_actors(env);
    }
    std::vector<std::string> left;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
      left.push_back(e.path().filename().string());
    CHECK(left.empty());
  }

  SECTION("sinks in their own subtasks, canceled by the failure") {
    eddy::StreamEnvironment env;
    env.set_parallelism(parallelism).set_batch_size(7);
    env.from_generator(records, poisoned_generator(1))
        .map([](int x) {
          if (x == 17) boom(x);
          return x;
        })
        .name("exploding")
        .rebalance()
        .write_text_file(dir.string())
        .set_parallelism(2);
    CHECK_THROWS_AS(env.execute(), eddy::job_execution_error);
    require_no_actors(env);
    // No sink can have finished (one input never ended), so nothing may be left at all.
    std::vector<std::string> left;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
      left.push_back(e.path().filename().string());
    CHECK(left.empty());
  }
}

TEST_CASE("invalid job graphs make execute throw std::invalid_argument", "[failure][graph]") {
  eddy::StreamEnvironment env;
  env.set_parallelism(2);

  SECTION("no sink") {
    env.from_collection({1, 2, 3}).map([](int x) { return x + 1; });
    CHECK_THROWS_AS(env.execute(), std::invalid_argument);
  }
  SECTION("empty graph") {
    CHECK_THROWS_AS(env.execute(), std::invalid_argument);
  }
  SECTION("forward edge between different parallelism") {
    env.from_collection({1, 2, 3})
        .forward()
        .map([](int x) { return x; })
        .set_parallelism(3)
        .collect();
    CHECK_THROWS_AS(env.execute(), std::invalid_argument);
  }
  SECTION("unbounded source in batch mode") {
    env.set_runtime_mode(eddy::runtime_mode::batch);
    env.from_generator(eddy::unbounded, [](std::uint64_t i) { return i; }).collect();
    CHECK_THROWS_AS(env.execute(), std::invalid_argument);
    env.set_runtime_mode(eddy::runtime_mode::streaming);
  }
  SECTION("parallelism above max parallelism") {
    env.set_max_parallelism(4);
    env.from_collection({1, 2, 3}).map([](int x) { return x; }).set_parallelism(5).collect();
    CHECK_THROWS_AS(env.execute(), std::invalid_argument);
    env.set_max_parallelism(128);
  }
  SECTION("execute_async reports the invalid graph as an error") {
    env.from_collection({1, 2, 3});
    auto h = env.execute_async();
    REQUIRE(!h.has_value());
    CHECK(h.error().code == eddy::errc::invalid_graph);
    CHECK(h.error().message.find("sink") != std::string::npos);
  }
  SECTION("non-positive settings are rejected when set") {
    CHECK_THROWS_AS(env.set_parallelism(0), std::invalid_argument);
    CHECK_THROWS_AS(env.set_batch_size(0), std::invalid_argument);
    CHECK_THROWS_AS(env.set_channel_credits(0), std::invalid_argument);
    CHECK_THROWS_AS(env.from_collection({1}).set_parallelism(0), std::invalid_argument);
    (void)env.execute_async();  // drops the half-built graph (no sink: rejected)
  }
  // Nothing was started, and the environment still runs a valid job afterwards.
  CHECK(env.runtime().running_actors() == 0);
  auto out = env.from_collection({1, 2, 3}).collect();
  CHECK(env.execute().ok());
  CHECK(out.size() == 3);
}
