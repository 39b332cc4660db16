// Operator fusion (fusion.hpp): runs of chained per-record stateless operators execute as one
// loop. Every job here runs twice, fused and with fusion disabled, and must give the same
// output and the same per-operator counters; exceptions name the operator whose function threw;
// checkpointed functions in a fused group recover exactly; the plan fuses only nodes that are
// consecutive in one chain.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/operators/datastream.hpp"
#include "support/failure_injection.hpp"
#include "support/test_support.hpp"

namespace {

using eddy::testing::sorted;
using eddy::testing::temp_dir;

/// A sink function gathering records into a shared vector (add_sink, so it can be fused).
template <class T>
struct gather {
  struct shared {
    std::mutex m;
    std::vector<T> values;
  };
  std::shared_ptr<shared> out = std::make_shared<shared>();
  void operator()(const T& v) {
    std::lock_guard<std::mutex> lock(out->m);
    out->values.push_back(v);
  }
};

using counters = std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>;

counters operator_counters(const eddy::job_result& r) {
  counters c;
  for (const auto& o : r.operators)
    c[o.name + "#" + std::to_string(o.node_id)] = {o.records_in, o.records_out};
  return c;
}

std::size_t fused_groups(const std::string& plan) {
  std::size_t n = 0;
  for (auto p = plan.find("fused:"); p != std::string::npos; p = plan.find("fused:", p + 1)) ++n;
  return n;
}

/// Builds a job with `build(env)` (which returns a function reading its output), runs it fused
/// and unfused, and checks that output and counters agree and that the fused run fused
/// `expected_groups` groups. Returns the (sorted) output.
template <class Build>
auto run_both(int parallelism, std::size_t expected_groups, Build build) {
  eddy::StreamEnvironment fused_env;
  fused_env.set_parallelism(parallelism).set_batch_size(100);
  auto fused_out = build(fused_env);
  CHECK(fused_groups(fused_env.explain()) == expected_groups);
  auto fused = fused_env.execute("fused");

  eddy::StreamEnvironment plain_env;
  plain_env.set_parallelism(parallelism).set_batch_size(100).disable_operator_fusion();
  auto plain_out = build(plain_env);
  CHECK(fused_groups(plain_env.explain()) == 0);
  auto plain = plain_env.execute("plain");

  CHECK(operator_counters(fused) == operator_counters(plain));
  auto a = sorted(fused_out());
  CHECK(a == sorted(plain_out()));
  return a;
}

}  // namespace

TEST_CASE("a generator fused with a map, a filter and a sink counts like separate operators",
          "[fusion]") {
  for (int p : {1, 2}) {
    auto out = run_both(p, 1, [](eddy::StreamEnvironment& env) {
      gather<std::int64_t> sink;
      env.from_generator(10000, [](std::uint64_t i) { return static_cast<std::int64_t>(i); })
          .map([](std::int64_t v) { return v * 3; })
          .filter([](std::int64_t v) { return v % 2 == 1; })
          .add_sink(sink);
      return [sink] { return sink.out->values; };
    });
    REQUIRE(out.size() == 5000);
    CHECK(out.front() == 3);
    CHECK(out.back() == 3 * 9999);
  }
}

TEST_CASE("fused transformations change types, expand and keep batches bounded", "[fusion]") {
  std::vector<std::string> lines;
  for (int i = 0; i < 500; ++i)
    lines.push_back("line " + std::to_string(i) + (i % 3 == 0 ? " x y z" : ""));
  auto out = run_both(2, 1, [&](eddy::StreamEnvironment& env) {
    auto words = env.from_collection(lines)
                     .filter([](const std::string& l) { return !l.empty(); })
                     .flat_map([](std::string l, eddy::collector<std::string>& c) {
                       std::size_t b = 0;
                       for (std::size_t e; (e = l.find(' ', b)) != std::string::npos; b = e + 1)
                         c.collect(l.substr(b, e - b));
                       c.collect(l.substr(b));
                     })
                     .map([](const std::string& w) { return std::make_pair(w, w.size()); })
                     .collect();
    return [words] { return words.values(); };
  });
  CHECK(out.size() == 500 * 2 + 167 * 3);
}

TEST_CASE("fused operators keep event-time timestamps for the windows after them", "[fusion]") {
  std::vector<std::pair<int, std::int64_t>> events;  // (key, timestamp)
  for (int i = 0; i < 3000; ++i) events.emplace_back(i % 7, i);
  auto out = run_both(1, 1, [&](eddy::StreamEnvironment& env) {
    auto counts =
        env.from_collection(events)
            .assign_timestamps_and_watermarks(
                eddy::WatermarkStrategy<std::pair<int, std::int64_t>>::for_bounded_out_of_orderness(
                    std::chrono::milliseconds(0))
                    .with_timestamp_assigner(
                        [](const std::pair<int, std::int64_t>& e) { return e.second; }))
            .map([](std::pair<int, std::int64_t> e) { return std::make_pair(e.first * 10, 1); })
            .filter([](const std::pair<int, int>& e) { return e.first != 30; })
            .key_by([](const std::pair<int, int>& e) { return e.first; })
            .window(eddy::TumblingEventTimeWindows::of(std::chrono::milliseconds(500)))
            .reduce([](std::pair<int, int> a, const std::pair<int, int>& b) {
              a.second += b.second;
              return a;
            })
            .collect();
    return [counts] { return counts.values(); };
  });
  // 6 keys, 6 windows of 500 ms each: every key in every window.
  REQUIRE(out.size() == 36);
}

TEST_CASE("an exception in a fused function names the operator that threw", "[fusion]") {
  for (int failing : {1, 2, 3}) {
    eddy::StreamEnvironment env;
    gather<std::uint64_t> sink;
    env.from_generator(5000, [](std::uint64_t i) { return i; })
        .map([failing](std::uint64_t i) {
          if (failing == 1 && i == 1234) throw std::runtime_error("bad record 1234");
          return i;
        })
        .name("parse")
        .filter([failing](std::uint64_t i) {
          if (failing == 2 && i == 2345) throw std::runtime_error("bad record 2345");
          return true;
        })
        .name("check")
        .add_sink(
            [failing, sink](std::uint64_t i) mutable {
              if (failing == 3 && i == 3456) throw std::runtime_error("bad record 3456");
              sink(i);
            },
            "store");
    REQUIRE(fused_groups(env.explain()) == 1);
    const char* names[] = {"", "operator 'parse'", "operator 'check'", "operator 'store'"};
    const char* records[] = {"", "bad record 1234", "bad record 2345", "bad record 3456"};
    try {
      env.execute("failing");
      FAIL("the job should have failed");
    } catch (const eddy::job_execution_error& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(what.find(names[failing]) != std::string::npos);
      CHECK(what.find(records[failing]) != std::string::npos);
    }
  }
}

namespace {
/// A map with checkpointed state: a running count mixed into every value (so a wrongly
/// restored count shows in the output).
struct numbering {
  std::uint64_t n = 0;
  std::uint64_t operator()(std::uint64_t v) { return v * 16 + (++n % 16); }
  std::uint64_t snapshot_state() const { return n; }
  void restore_state(std::uint64_t v) { n = v; }
};
/// A sink with checkpointed totals, published at the end.
struct totals_sink {
  struct totals {
    std::mutex m;
    std::uint64_t count = 0, sum = 0;
  };
  std::shared_ptr<totals> out = std::make_shared<totals>();
  std::pair<std::uint64_t, std::uint64_t> mine{0, 0};
  void operator()(std::uint64_t v) {
    ++mine.first;
    mine.second += v;
  }
  void close() {
    std::lock_guard<std::mutex> lock(out->m);
    out->count += mine.first;
    out->sum += mine.second;
  }
  std::pair<std::uint64_t, std::uint64_t> snapshot_state() const { return mine; }
  void restore_state(std::pair<std::uint64_t, std::uint64_t> v) { mine = v; }
};
}  // namespace

TEST_CASE("checkpointed functions in a fused group recover exactly after a failure",
          "[fusion][checkpoint]") {
  constexpr std::uint64_t n = 20000;
  auto job = [&](eddy::StreamEnvironment& env, std::shared_ptr<eddy::testing::failure_switch> sw) {
    totals_sink sink;
    env.from_generator(n, [](std::uint64_t i) { return i; })
        .map(eddy::testing::failing_map(std::move(sw)))
        .map(numbering{})
        .uid("numbering")
        .add_sink(sink);
    return sink.out;
  };
  eddy::StreamEnvironment reference;
  auto expected = job(reference, std::make_shared<eddy::testing::failure_switch>());
  reference.execute("reference");

  temp_dir dir;
  eddy::StreamEnvironment env;
  eddy::testing::checkpointed_env(env, 1, dir.path());
  auto sw = std::make_shared<eddy::testing::failure_switch>();
  auto got = job(env, sw);
  REQUIRE(fused_groups(env.explain()) == 1);
  auto r = eddy::testing::run_with_failure(env, *sw);
  REQUIRE(r.ok());
  CHECK(got->count == n);
  CHECK(got->count == expected->count);
  CHECK(got->sum == expected->sum);
}

TEST_CASE("the plan fuses only operators that are consecutive in one chain", "[fusion]") {
  SECTION("a different parallelism splits the run") {
    auto out = run_both(1, 1, [](eddy::StreamEnvironment& env) {
      gather<std::uint64_t> sink;
      env.from_generator(1000, [](std::uint64_t i) { return i; })
          .map([](std::uint64_t i) { return i + 1; })
          .set_parallelism(2)
          .filter([](std::uint64_t i) { return i % 10 != 0; })
          .set_parallelism(2)
          .add_sink(sink)
          .set_parallelism(2);
      return [sink] { return sink.out->values; };
    });
    CHECK(out.size() == 900);
  }
  SECTION("a stream read twice ends the run at the fan-out") {
    auto out = run_both(1, 3, [](eddy::StreamEnvironment& env) {
      gather<std::uint64_t> sink;
      auto s = env.from_generator(1000, [](std::uint64_t i) { return i; }).map([](std::uint64_t i) {
        return i * 2;
      });
      s.filter([](std::uint64_t i) { return i % 4 == 0; }).add_sink(sink);
      s.filter([](std::uint64_t i) { return i % 4 != 0; }).add_sink(sink);
      return [sink] { return sink.out->values; };
    });
    CHECK(out.size() == 1000);
  }
  SECTION("disabled chaining leaves the operator on its own") {
    run_both(1, 1, [](eddy::StreamEnvironment& env) {
      gather<std::uint64_t> sink;
      env.from_generator(1000, [](std::uint64_t i) { return i; })
          .map([](std::uint64_t i) { return i + 1; })
          .disable_chaining()
          .filter([](std::uint64_t i) { return i % 2 == 0; })
          .add_sink(sink);
      return [sink] { return sink.out->values; };
    });
  }
  SECTION("a long run is cut into groups of at most four") {
    auto out = run_both(1, 2, [](eddy::StreamEnvironment& env) {
      gather<std::uint64_t> sink;
      env.from_generator(100, [](std::uint64_t i) { return i; })
          .map([](std::uint64_t i) { return i + 1; })
          .map([](std::uint64_t i) { return i + 1; })
          .map([](std::uint64_t i) { return i + 1; })
          .map([](std::uint64_t i) { return i + 1; })
          .map([](std::uint64_t i) { return i + 1; })
          .add_sink(sink);
      return [sink] { return sink.out->values; };
    });
    REQUIRE(out.size() == 100);
    CHECK(out.front() == 5);
  }
}

namespace {
/// Passes batches on and records the largest it saw (chained after a fused group).
class batch_probe final : public eddy::timed_input_op<int> {
 public:
  batch_probe(eddy::input_op<int>* next, std::shared_ptr<std::size_t> largest)
      : next_(next), largest_(std::move(largest)) {
    downstream_ = next;
  }
  using eddy::timed_input_op<int>::process;
  void process(std::vector<int>& records, std::vector<std::int64_t>& ts) override {
    counters_.records_in += records.size();
    counters_.records_out += records.size();
    *largest_ = std::max(*largest_, records.size());
    next_->process(records, ts);
  }
  void finish() override { next_->finish(); }

 private:
  eddy::input_op<int>* next_;
  std::shared_ptr<std::size_t> largest_;
};
}  // namespace

TEST_CASE("fused groups that expand several times still emit bounded batches", "[fusion]") {
  auto largest = std::make_shared<std::size_t>(0);
  auto out = run_both(1, 1, [largest](eddy::StreamEnvironment& env) {
    *largest = 0;
    auto times_100 = [](int x, eddy::collector<int>& c) {
      for (int k = 0; k < 100; ++k) c.collect(x);
    };
    auto counts = env.from_collection<int>({1, 2, 3})
                      .flat_map(times_100)
                      .flat_map<int>([](auto x, auto& c) {  // explicit output type
                        for (int k = 0; k < 100; ++k) c.collect(x);
                      })
                      .add_op<int>("probe",
                                   [largest](eddy::operator_base* next) {
                                     return std::make_unique<batch_probe>(
                                         dynamic_cast<eddy::input_op<int>*>(next), largest);
                                   })
                      .collect();
    return [counts, largest] {
      CHECK(*largest <= 100);  // the batch size
      CHECK(*largest > 0);
      return counts.values();
    };
  });
  CHECK(out.size() == 30000);
}

TEST_CASE("fused stages take generators returning references and maps returning their argument",
          "[fusion]") {
  static const std::vector<std::string> words = {"alpha", "beta", "gamma"};
  auto out = run_both(1, 1, [](eddy::StreamEnvironment& env) {
    gather<std::string> sink;
    env.from_generator(30, [](std::uint64_t i) -> const std::string& { return words[i % 3]; })
        .filter([](const std::string& w) { return w != "beta"; })
        .map([](std::string&& w) -> std::string&& {
          w += "!";
          return std::move(w);
        })
        .add_sink(sink);
    return [sink] { return sink.out->values; };
  });
  REQUIRE(out.size() == 20);
  CHECK(out.front() == "alpha!");
  CHECK(out.back() == "gamma!");
}
