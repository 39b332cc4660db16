#include <catch2/catch.hpp>

#include "support/expect_operator_error.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "eddy/operators/basic_ops.hpp"
#include "eddy/operators/collector.hpp"
#include "eddy/operators/datastream.hpp"
#include "eddy/operators/keyed_reduce_op.hpp"
#include "eddy/operators/sinks.hpp"
#include "eddy/runtime/execution_plan.hpp"
#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/operator.hpp"

// A namespace of its own: test files are compiled in unity batches (tests/CMakeLists.txt).
namespace operators_test {

namespace {

/// The end of a test chain: records every batch it receives and counts finish() calls.
template <class T>
class recording_op final : public eddy::input_op<T> {
 public:
  void process(std::vector<T>& records) override {
    last_vector = &records;
    batches.push_back(records);
  }
  void finish() override { ++finished; }

  [[nodiscard]] std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
    return out;
  }
  [[nodiscard]] std::vector<std::size_t> batch_sizes() const {
    std::vector<std::size_t> out;
    for (const auto& b : batches) out.push_back(b.size());
    return out;
  }

  std::vector<std::vector<T>> batches;
  const std::vector<T>* last_vector = nullptr;
  int finished = 0;
};

/// A sink that throws (to test that errors further down pass through unchanged).
template <class T>
class throwing_op final : public eddy::input_op<T> {
 public:
  void process(std::vector<T>&) override {
    this->guarded([] { throw std::runtime_error("downstream broke"); });
  }
  void finish() override {}
};

eddy::subtask_info info(int index = 0, int parallelism = 1, std::size_t batch_size = 4) {
  eddy::subtask_info i;
  i.job_name = "test job";
  i.task_name = "test task";
  i.index = index;
  i.parallelism = parallelism;
  i.batch_size = batch_size;
  return i;
}

template <class In, class Out, class F>
auto make_map(F f, eddy::input_op<Out>* next) {
  return std::make_unique<eddy::map_op<In, Out, F>>(std::move(f), next);
}
template <class T, class F>
auto make_filter(F f, eddy::input_op<T>* next) {
  return std::make_unique<eddy::filter_op<T, F>>(std::move(f), next);
}
template <class In, class Out, class F>
auto make_flat_map(F f, eddy::input_op<Out>* next) {
  return std::make_unique<eddy::flat_map_op<In, Out, F>>(std::move(f), next);
}
template <class T, class K, class KeyFn, class ReduceFn>
auto make_reduce(KeyFn k, ReduceFn r, bool final_only, eddy::input_op<T>* next) {
  // final_only takes effect through the job's runtime mode at open(): see open_reduce().
  (void)final_only;
  return std::make_unique<eddy::keyed_reduce_op<T, K, KeyFn, ReduceFn>>(
      std::move(k), std::move(r), eddy::reduce_role::final, next);
}

using eddy::testing::expect_operator_error;

using word_count = std::pair<std::string, int>;

}  // namespace

// ---- map ------------------------------------------------------------------------------------

TEST_CASE("map with equal input and output type transforms the batch in place") {
  recording_op<int> sink;
  auto op = make_map<int, int>([](int x) { return x * 10; }, &sink);
  op->open(info());
  std::vector<int> in{1, 2, 3};
  const auto* data = in.data();
  op->process(in);
  REQUIRE(sink.batches.size() == 1);
  CHECK(sink.batches[0] == std::vector<int>{10, 20, 30});
  CHECK(sink.last_vector == &in);  // the same vector is passed on: no copy
  CHECK(in.data() == data);        // and no reallocation
  CHECK(op->counters().records_in == 3);
  CHECK(op->counters().records_out == 3);
  op->finish();
  CHECK(sink.finished == 1);
}

TEST_CASE("map changing the record type emits converted records") {
  recording_op<std::string> sink;
  auto op = make_map<int, std::string>([](int x) { return std::to_string(x) + "!"; }, &sink);
  op->open(info());
  std::vector<int> a{1, 2};
  std::vector<int> b{3};
  op->process(a);
  op->process(b);
  REQUIRE(sink.batches.size() == 2);
  CHECK(sink.batches[0] == std::vector<std::string>{"1!", "2!"});
  CHECK(sink.batches[1] == std::vector<std::string>{"3!"});
  CHECK(op->counters().records_in == 3);
  CHECK(op->counters().records_out == 3);
}

TEST_CASE("map over strings moves each record into the function") {
  recording_op<std::string> sink;
  auto op = make_map<std::string, std::string>(
      [](std::string s) {
        s += s;
        return s;
      },
      &sink);
  op->open(info());
  std::vector<std::string> in{"ab", std::string(100, 'x')};
  op->process(in);
  REQUIRE(sink.batches.size() == 1);
  CHECK(sink.batches[0] == std::vector<std::string>{"abab", std::string(200, 'x')});
}

// ---- filter ---------------------------------------------------------------------------------

TEST_CASE("filter keeps matching trivially copyable records in order") {
  recording_op<int> sink;
  auto op = make_filter<int>([](const int& x) { return x % 3 == 0; }, &sink);
  op->open(info());
  std::vector<int> in;
  for (int i = 0; i < 20; ++i) in.push_back(i);
  op->process(in);
  REQUIRE(sink.batches.size() == 1);
  CHECK(sink.batches[0] == std::vector<int>{0, 3, 6, 9, 12, 15, 18});
  CHECK(in == std::vector<int>{0, 3, 6, 9, 12, 15, 18});  // compacted in place
  CHECK(op->counters().records_in == 20);
  CHECK(op->counters().records_out == 7);
}

TEST_CASE("filter compacts non-trivially-copyable records without corrupting them") {
  recording_op<std::string> sink;
  auto op = make_filter<std::string>([](const std::string& s) { return s.size() % 2 == 0; }, &sink);
  op->open(info());
  std::vector<std::string> in;
  std::vector<std::string> expected;
  for (int i = 0; i < 50; ++i) {
    // Long strings (heap allocated) and short ones (SSO) mixed.
    std::string s(static_cast<std::size_t>(i * 7 % 41), static_cast<char>('a' + i % 26));
    s += std::to_string(i);
    if (s.size() % 2 == 0) expected.push_back(s);
    in.push_back(std::move(s));
  }
  op->process(in);
  REQUIRE(sink.batches.size() == 1);
  CHECK(sink.batches[0] == expected);
  CHECK(op->counters().records_in == 50);
  CHECK(op->counters().records_out == expected.size());
}

TEST_CASE("filter passes nothing downstream when no record matches") {
  recording_op<int> sink;
  auto op = make_filter<int>([](const int&) { return false; }, &sink);
  op->open(info());
  std::vector<int> in{1, 2, 3};
  op->process(in);
  CHECK(sink.batches.empty());
  CHECK(in.empty());
  CHECK(op->counters().records_in == 3);
  CHECK(op->counters().records_out == 0);
  op->finish();
  CHECK(sink.finished == 1);
}

TEST_CASE("filter that keeps everything passes the batch unchanged") {
  recording_op<std::string> sink;
  auto op = make_filter<std::string>([](const std::string&) { return true; }, &sink);
  op->open(info());
  std::vector<std::string> in{"a", "b", "c"};
  op->process(in);
  REQUIRE(sink.batches.size() == 1);
  CHECK(sink.batches[0] == std::vector<std::string>{"a", "b", "c"});
}

// ---- flat_map -------------------------------------------------------------------------------

TEST_CASE("flat_map output is passed on in chunks of the batch size") {
  recording_op<int> sink;
  auto op =
      make_flat_map<int, int>([](int x, eddy::collector<int>& out) { out.collect(x); }, &sink);
  op->open(info(0, 1, /*batch_size=*/4));
  std::vector<int> in;
  for (int i = 0; i < 10; ++i) in.push_back(i);
  op->process(in);
  CHECK(sink.batch_sizes() == std::vector<std::size_t>{4, 4, 2});
  std::vector<int> expected;
  for (int i = 0; i < 10; ++i) expected.push_back(i);
  CHECK(sink.all() == expected);
  CHECK(op->counters().records_in == 10);
  CHECK(op->counters().records_out == 10);
}

TEST_CASE("flat_map with several outputs per record keeps batches bounded") {
  recording_op<std::string> sink;
  auto op = make_flat_map<std::string, std::string>(
      [](std::string line, eddy::collector<std::string>& out) {
        std::size_t start = 0;
        for (;;) {
          auto sp = line.find(' ', start);
          out.collect(line.substr(start, sp - start));
          if (sp == std::string::npos) break;
          start = sp + 1;
        }
      },
      &sink);
  op->open(info(0, 1, /*batch_size=*/4));
  std::vector<std::string> in{"a b c", "d e f", "g h i", "j"};
  op->process(in);
  // Output is passed on once it reaches the batch size, so a batch holds fewer than
  // batch_size + (outputs of one record) records.
  for (auto n : sink.batch_sizes()) {
    CHECK(n >= 1);
    CHECK(n < 4 + 3);
  }
  CHECK(sink.batches.size() >= 2);
  CHECK(sink.all() == std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"});
  CHECK(op->counters().records_in == 4);
  CHECK(op->counters().records_out == 10);
}

TEST_CASE("flat_map with no output passes nothing downstream") {
  recording_op<int> sink;
  auto op = make_flat_map<int, int>([](int, eddy::collector<int>&) {}, &sink);
  op->open(info());
  std::vector<int> in{1, 2, 3};
  op->process(in);
  CHECK(sink.batches.empty());
  CHECK(op->counters().records_out == 0);
  op->finish();
  CHECK(sink.finished == 1);
}

TEST_CASE("flat_map collector emplace constructs records") {
  recording_op<word_count> sink;
  auto op = make_flat_map<std::string, word_count>(
      [](std::string w, eddy::collector<word_count>& out) { out.emplace(std::move(w), 1); }, &sink);
  op->open(info());
  std::vector<std::string> in{"x", "y"};
  op->process(in);
  CHECK(sink.all() == std::vector<word_count>{{"x", 1}, {"y", 1}});
}

// ---- keyed reduce ---------------------------------------------------------------------------

namespace {
auto word_key = [](const word_count& w) { return w.first; };
auto add_counts = [](const word_count& acc, const word_count& v) {
  return word_count{acc.first, acc.second + v.second};
};
}  // namespace

TEST_CASE("keyed reduce in streaming mode emits every updated accumulator") {
  recording_op<word_count> sink;
  auto op = make_reduce<word_count, std::string>(word_key, add_counts, false, &sink);
  op->open(info());  // streaming mode
  std::vector<word_count> in{{"a", 1}, {"b", 1}, {"a", 2}, {"a", 3}, {"b", 5}};
  op->process(in);
  REQUIRE(sink.batches.size() == 1);
  CHECK(sink.batches[0] ==
        std::vector<word_count>{{"a", 1}, {"b", 1}, {"a", 3}, {"a", 6}, {"b", 6}});
  std::vector<word_count> more{{"b", 1}};
  op->process(more);
  REQUIRE(sink.batches.size() == 2);
  CHECK(sink.batches[1] == std::vector<word_count>{{"b", 7}});
  CHECK(op->key_count() == 2);
  CHECK(op->counters().records_in == 6);
  CHECK(op->counters().records_out == 6);
  op->finish();
  CHECK(sink.finished == 1);
  CHECK(sink.batches.size() == 2);  // nothing more at the end in streaming mode
}

TEST_CASE("keyed reduce in final-only mode emits one value per key at finish in chunks") {
  recording_op<word_count> sink;
  auto op = make_reduce<word_count, std::string>(word_key, add_counts, true, &sink);
  auto batch_info = info(0, 1, /*batch_size=*/4);
  batch_info.mode = eddy::runtime_mode::batch;
  op->open(batch_info);
  for (int round = 0; round < 3; ++round) {
    std::vector<word_count> in;
    for (int k = 0; k < 10; ++k) in.emplace_back("key" + std::to_string(k), k);
    op->process(in);
  }
  CHECK(sink.batches.empty());
  CHECK(op->key_count() == 10);
  CHECK(op->counters().records_in == 30);
  CHECK(op->counters().records_out == 0);
  op->finish();
  CHECK(sink.finished == 1);
  CHECK(sink.batch_sizes() == std::vector<std::size_t>{4, 4, 2});
  auto all = sink.all();
  std::sort(all.begin(), all.end());
  std::vector<word_count> expected;
  for (int k = 0; k < 10; ++k) expected.emplace_back("key" + std::to_string(k), 3 * k);
  std::sort(expected.begin(), expected.end());
  CHECK(all == expected);
  CHECK(op->counters().records_out == 10);
  CHECK(op->key_count() == 0);  // state released
}

TEST_CASE("keyed reduce in final-only mode with no input emits nothing but finishes") {
  recording_op<int> sink;
  auto op = make_reduce<int, int>([](const int& x) { return x; },
                                  [](const int& a, const int& b) { return a + b; }, true, &sink);
  op->open(info());
  op->finish();
  CHECK(sink.batches.empty());
  CHECK(sink.finished == 1);
}

// ---- sinks ----------------------------------------------------------------------------------

namespace {
struct sink_log {
  int opened = 0;
  int closed = 0;
  int open_index = -1;
  std::vector<int> values;
};

/// A sink function with open/close members; shares its log so the copy inside the operator is
/// observable.
struct logging_sink_fn {
  std::shared_ptr<sink_log> log;
  void open(const eddy::subtask_info& i) {
    ++log->opened;
    log->open_index = i.index;
  }
  void close() { ++log->closed; }
  void operator()(const int& x) { log->values.push_back(x); }
};
}  // namespace

TEST_CASE("function sink calls open and close members of the function object") {
  auto log = std::make_shared<sink_log>();
  eddy::function_sink_op<int, logging_sink_fn> op(logging_sink_fn{log});
  op.open(info(2, 3));
  CHECK(log->opened == 1);
  CHECK(log->open_index == 2);
  CHECK(log->closed == 0);
  std::vector<int> a{1, 2};
  std::vector<int> b{3};
  op.process(a);
  op.process(b);
  CHECK(log->values == std::vector<int>{1, 2, 3});
  CHECK(op.counters().records_in == 3);
  op.finish();
  CHECK(log->closed == 1);
  CHECK(log->opened == 1);
}

TEST_CASE("function sink works with a plain lambda without open or close") {
  std::vector<int> seen;
  auto fn = [&seen](const int& x) { seen.push_back(x); };
  eddy::function_sink_op<int, decltype(fn)> op(fn);
  op.open(info());
  std::vector<int> in{4, 5, 6};
  op.process(in);
  op.finish();
  CHECK(seen == std::vector<int>{4, 5, 6});
  CHECK(op.counters().records_in == 3);
}

TEST_CASE("collect sink gathers records from several batches and operator instances") {
  eddy::collected<std::string> target;
  eddy::collect_sink_op<std::string> op1(target);
  eddy::collect_sink_op<std::string> op2(target);
  op1.open(info(0, 2));
  op2.open(info(1, 2));
  std::vector<std::string> a{"a", "b"};
  std::vector<std::string> b{"c"};
  op1.process(a);
  op2.process(b);
  op1.finish();
  op2.finish();
  CHECK(target.size() == 3);
  CHECK(target.values() == std::vector<std::string>{"a", "b", "c"});
  CHECK(op1.counters().records_in == 2);
  CHECK(op2.counters().records_in == 1);
}

// ---- chains and errors ----------------------------------------------------------------------

TEST_CASE("a map -> filter -> collect chain produces the expected records and counters") {
  eddy::collected<int> target;
  eddy::collect_sink_op<int> sink(target);
  auto filter = make_filter<int>([](const int& x) { return x % 2 == 0; }, &sink);
  auto map = make_map<int, int>([](int x) { return x + 1; }, filter.get());
  sink.open(info());
  filter->open(info());
  map->open(info());
  for (int round = 0; round < 3; ++round) {
    std::vector<int> in{0, 1, 2, 3};
    map->process(in);
  }
  map->finish();
  CHECK(target.values() == std::vector<int>{2, 4, 2, 4, 2, 4});
  CHECK(map->counters().records_in == 12);
  CHECK(map->counters().records_out == 12);
  CHECK(filter->counters().records_in == 12);
  CHECK(filter->counters().records_out == 6);
  CHECK(sink.counters().records_in == 6);
}

TEST_CASE("an exception in a map function becomes an operator_error naming operator and subtask") {
  recording_op<int> sink;
  auto op = make_map<int, int>(
      [](int x) {
        if (x == 3) throw std::runtime_error("bad record 3");
        return x;
      },
      &sink);
  op->set_name("parse");
  op->open(info(1, 3));
  std::vector<int> in{1, 2, 3};
  auto e = expect_operator_error([&] { op->process(in); });
  CHECK(std::string(e.what()) == "operator 'parse' (subtask 2/3) failed: bad record 3");
  CHECK(e.operator_name == "parse");
  CHECK(e.subtask_index == 1);
}

TEST_CASE("an exception in a filter predicate becomes an operator_error") {
  recording_op<std::string> sink;
  auto op = make_filter<std::string>(
      [](const std::string& s) -> bool {
        if (s == "boom") throw std::invalid_argument("cannot judge 'boom'");
        return true;
      },
      &sink);
  op->set_name("judge");
  op->open(info(0, 1));
  std::vector<std::string> in{"ok", "boom"};
  auto e = expect_operator_error([&] { op->process(in); });
  CHECK_THAT(e.what(), Catch::Contains("'judge'") && Catch::Contains("(subtask 1/1)") &&
                           Catch::Contains("cannot judge 'boom'"));
}

TEST_CASE("an exception in a flat_map function becomes an operator_error") {
  recording_op<int> sink;
  auto op = make_flat_map<int, int>(
      [](int x, eddy::collector<int>&) {
        if (x > 1) throw std::out_of_range("too big");
      },
      &sink);
  op->set_name("splitter");
  op->open(info(4, 5));
  std::vector<int> in{1, 2};
  auto e = expect_operator_error([&] { op->process(in); });
  CHECK_THAT(e.what(), Catch::Contains("'splitter'") && Catch::Contains("(subtask 5/5)") &&
                           Catch::Contains("too big"));
}

TEST_CASE("an exception in a reduce function becomes an operator_error") {
  recording_op<word_count> sink;
  auto op = make_reduce<word_count, std::string>(
      word_key,
      [](const word_count&, const word_count&) -> word_count {
        throw std::runtime_error("reduce failed");
      },
      false, &sink);
  op->set_name("counter");
  op->open(info(2, 3));
  std::vector<word_count> in{{"a", 1}, {"a", 1}};
  auto e = expect_operator_error([&] { op->process(in); });
  CHECK(std::string(e.what()) == "operator 'counter' (subtask 3/3) failed: reduce failed");
}

TEST_CASE("an exception in a sink's close becomes an operator_error at finish") {
  struct failing_close {
    void close() { throw std::runtime_error("flush failed"); }
    void operator()(const int&) {}
  };
  eddy::function_sink_op<int, failing_close> op(failing_close{});
  op.set_name("closer");
  op.open(info(1, 3));
  auto e = expect_operator_error([&] { op.finish(); });
  CHECK(std::string(e.what()) == "operator 'closer' (subtask 2/3) failed: flush failed");
}

TEST_CASE("a non-standard exception is reported as unknown exception") {
  recording_op<int> sink;
  auto op = make_map<int, int>(
      [](int x) -> int {
        if (x) throw 42;
        return x;
      },
      &sink);
  op->set_name("odd");
  op->open(info());
  std::vector<int> in{1};
  auto e = expect_operator_error([&] { op->process(in); });
  CHECK_THAT(e.what(), Catch::Contains("'odd'") && Catch::Contains("unknown exception"));
}

TEST_CASE("an operator_error from further down the chain passes through unchanged") {
  throwing_op<int> down;
  down.set_name("downstream-sink");
  down.open(info(0, 2));
  auto op = make_map<int, int>([](int x) { return x; }, &down);
  op->set_name("upstream-map");
  op->open(info(0, 2));
  std::vector<int> in{1};
  auto e = expect_operator_error([&] { op->process(in); });
  CHECK(e.operator_name == "downstream-sink");
  CHECK(std::string(e.what()) ==
        "operator 'downstream-sink' (subtask 1/2) failed: downstream broke");
}

// ---- keyed reduce built through the DataStream API ------------------------------------------

namespace {
/// Creates the operator of graph node `node` chained to `next`, opens it and returns it.
std::unique_ptr<eddy::operator_base> instantiate(eddy::StreamEnvironment& env, int node,
                                                 eddy::operator_base* next) {
  auto op = env.graph().node(node).make_operator(next);
  auto i = info();
  i.mode = env.config().mode;
  op->open(i);
  return op;
}

/// Feeds one batch 0, 1, 0, 1 into a sum-per-value operator.
void feed_sum(eddy::operator_base& op) {
  auto* in = dynamic_cast<eddy::input_op<int>*>(&op);
  REQUIRE(in != nullptr);
  std::vector<int> batch{0, 1, 0, 1};
  in->process(batch);
}
}  // namespace

TEST_CASE("keyed sum built in batch mode emits only final values at the end of input") {
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.set_runtime_mode(eddy::runtime_mode::batch);
  auto summed = env.from_generator(4, [](std::uint64_t i) { return static_cast<int>(i % 2); })
                    .key_by([](const int& x) { return x; })
                    .sum();
  summed.add_sink([](const int&) {});
  recording_op<int> rec;
  auto op = instantiate(env, summed.node_id(), &rec);
  feed_sum(*op);
  CHECK(rec.batches.empty());
  op->finish();
  auto all = rec.all();
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<int>{0, 2});
}

TEST_CASE("keyed sum built in streaming mode emits every update") {
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  auto summed = env.from_generator(4, [](std::uint64_t i) { return static_cast<int>(i % 2); })
                    .key_by([](const int& x) { return x; })
                    .sum();
  summed.add_sink([](const int&) {});
  recording_op<int> rec;
  auto op = instantiate(env, summed.node_id(), &rec);
  feed_sum(*op);
  CHECK(rec.all() == std::vector<int>{0, 1, 0, 2});
}

// Regression: the runtime mode used to be captured when the stream was built, not when the job
// runs; StreamEnvironment's configuration applies to jobs executed afterwards.
TEST_CASE("keyed aggregations follow the runtime mode set after the stream was built") {
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  auto summed = env.from_generator(4, [](std::uint64_t i) { return static_cast<int>(i % 2); })
                    .key_by([](const int& x) { return x; })
                    .sum();
  summed.add_sink([](const int&) {});
  env.set_runtime_mode(eddy::runtime_mode::batch);  // after building, before execution
  REQUIRE(eddy::execution_plan::compile(env.graph(), env.config()).has_value());
  recording_op<int> rec;
  auto op = instantiate(env, summed.node_id(), &rec);
  feed_sum(*op);
  CHECK(rec.batches.empty());  // batch mode: nothing before the end of input
  op->finish();
  auto all = rec.all();
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<int>{0, 2});
}

// Regression (performance): the state map used key_hash() itself, whose low bits are the key
// group, so absl's per-slot tags (the low 7 bits) collided for all keys of one subtask.
TEST_CASE("keyed state hashing is independent of the key group assignment") {
  constexpr int maxp = 128;
  for (int parallelism : {128, 4}) {
    INFO("parallelism " << parallelism);
    std::set<std::size_t> control_bytes;
    int owned = 0;
    for (int k = 0; owned < 2000; ++k) {
      const std::string key = "user-" + std::to_string(k);
      const int kg = eddy::key_group_of(eddy::key_hash(key), maxp);
      if (eddy::subtask_of_key_group(kg, maxp, parallelism) != 0) continue;
      ++owned;
      control_bytes.insert(eddy::state_key_hash<std::string>{}(key)&0x7f);
    }
    // 2000 keys with well-mixed hashes cover nearly all 128 values of the low 7 bits.
    CHECK(control_bytes.size() > 100);
  }
}

}  // namespace operators_test
