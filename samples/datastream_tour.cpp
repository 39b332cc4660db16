// A tour of the DataStream API, used by docs/datastream.md. Every section is a complete job;
// the program checks its own results and exits non-zero if one is wrong.
#include <eddy/operators/datastream.hpp>
#include <eddy/runtime/serializer.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

// [serialization-type]
struct reading {
  std::string device;
  std::int64_t ts;
  double temp;
};
EDDY_FIELDS(reading, device, ts, temp)
// [serialization-type]

namespace {

int failures = 0;

template <class T>
void expect(const char* what, std::vector<T> got, std::vector<T> want) {
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  if (got != want) {
    std::fprintf(stderr, "datastream_tour: %s: unexpected result\n", what);
    ++failures;
  } else {
    std::printf("ok: %s\n", what);
  }
}

void transformations() {
  // [transformations]
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  auto evens_squared = env.from_generator(10, [](std::uint64_t i) { return static_cast<int>(i); })
                           .filter([](const int& x) { return x % 2 == 0; })
                           .map([](int x) { return x * x; })
                           .collect();
  auto letters = env.from_collection<std::string>({"ab", "c"})
                     .flat_map([](const std::string& s, eddy::collector<char>& out) {
                       for (char c : s) out.collect(c);
                     })
                     .collect();
  env.execute("transformations");
  // evens_squared: 0 4 16 36 64; letters: a b c
  // [transformations]
  expect("filter and map", evens_squared.values(), {0, 4, 16, 36, 64});
  expect("flat_map", letters.values(), {'a', 'b', 'c'});
}

void keyed() {
  // [keyed]
  using sale = std::pair<std::string, int>;  // (product, amount)
  std::vector<sale> sales = {{"tea", 3}, {"cake", 5}, {"tea", 4}, {"cake", 1}, {"jam", 2}};

  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  // Streaming mode (the default): a rolling sum emits every updated total.
  auto rolling =
      env.from_collection(sales).key_by([](const sale& s) { return s.first; }).sum<1>().collect();
  env.execute("rolling sum");

  // Batch mode: only the final total per key.
  env.set_runtime_mode(eddy::runtime_mode::batch);
  auto totals = env.from_collection(sales)
                    .key_by([](const sale& s) { return s.first; })
                    .reduce([](const sale& acc, const sale& s) {
                      return sale{acc.first, acc.second + s.second};
                    })
                    .collect();
  auto largest =
      env.from_collection(sales).key_by([](const sale& s) { return s.first; }).max<1>().collect();
  env.execute("totals");
  // rolling: 5 updates; totals: (cake,6) (jam,2) (tea,7); largest: (cake,5) (jam,2) (tea,4)
  // [keyed]
  if (rolling.size() != sales.size()) ++failures;
  expect("batch reduce", totals.values(), {{"cake", 6}, {"jam", 2}, {"tea", 7}});
  expect("batch max", largest.values(), {{"cake", 5}, {"jam", 2}, {"tea", 4}});
}

void partitioning() {
  // [partitioning]
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  auto a = env.from_collection<int>({1, 2, 3});
  auto b = env.from_collection<int>({10, 20});
  auto merged = a.union_with(b).collect();  // 1 2 3 10 20

  auto spread = env.from_generator(1000, [](std::uint64_t i) { return i; })
                    .rebalance()  // round-robin over the 4 subtasks of the next operator
                    .map([](std::uint64_t x) { return x % 7; })
                    .set_parallelism(4)
                    .name("mod7")
                    .collect();

  auto everywhere = env.from_collection<int>({7})
                        .broadcast()  // each of the 3 subtasks gets every record
                        .map([](int x) { return x + 1; })
                        .set_parallelism(3)
                        .collect();  // 8 8 8

  auto isolated = env.from_collection<int>({1, 2})
                      .map([](int x) { return x * 10; })
                      .disable_chaining()  // runs in its own actor
                      .collect();
  env.execute("partitioning");
  // [partitioning]
  expect("union_with", merged.values(), {1, 2, 3, 10, 20});
  if (spread.size() != 1000) ++failures;
  expect("broadcast", everywhere.values(), {8, 8, 8});
  expect("disable_chaining", isolated.values(), {10, 20});
}

void fusion() {
  // [fusion]
  struct counting_sink {  // a function sink: fused too; close() runs at the end of input
    std::shared_ptr<std::pair<std::uint64_t, std::int64_t>> out;
    std::uint64_t count = 0;
    std::int64_t sum = 0;
    void operator()(std::int64_t v) {
      ++count;
      sum += v;
    }
    void close() { *out = {count, sum}; }
  };
  auto totals = std::make_shared<std::pair<std::uint64_t, std::int64_t>>();
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.from_generator(1000, [](std::uint64_t i) { return static_cast<std::int64_t>(i); })
      .map([](std::int64_t v) { return v * 2; })          // generator, map, filter and sink
      .filter([](std::int64_t v) { return v % 3 != 0; })  // run as one loop
      .add_sink(counting_sink{totals});
  const std::string plan = env.explain();  // "fused: generator + map + filter + sink"
  auto result = env.execute("fusion");
  const auto* filter = result.find_operator("filter");  // counters as if not fused
  // [fusion]
  if (plan.find("fused: generator + map + filter + sink") == std::string::npos ||
      totals->first != 666 || !filter || filter->records_in != 1000 || filter->records_out != 666) {
    std::fprintf(stderr, "datastream_tour: fusion: unexpected result\n");
    ++failures;
  } else {
    std::printf("ok: fusion\n");
  }
}

void files() {
  auto dir = std::filesystem::temp_directory_path() / "eddy-datastream-tour";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "in.txt") << "alpha\nbeta\ngamma\n"; }
  // [files]
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.read_text_file((dir / "in.txt").string())
      .map([](std::string line) { return line + "!"; })
      .write_text_file((dir / "out").string());  // part files in directory "out"
  auto result = env.execute("files");
  // [files]
  std::vector<std::string> lines;
  for (const auto& f : std::filesystem::directory_iterator(dir / "out")) {
    if (f.path().filename().string().front() == '.') continue;  // in-progress files start with '.'
    std::ifstream in(f.path());
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  expect("read_text_file and write_text_file", lines, {"alpha!", "beta!", "gamma!"});
  std::filesystem::remove_all(dir);
}

void custom_source_and_sink() {
  // [custom]
  // A source: one instance per subtask, polled by the runtime.
  class countdown final : public eddy::source_function<int> {
   public:
    eddy::source_status poll(std::vector<int>& out, std::size_t max) override {
      while (n_ > 0 && out.size() < max) out.push_back(n_--);
      return n_ > 0 ? eddy::source_status::more : eddy::source_status::end;
    }

   private:
    int n_ = 5;
  };
  // A sink: every subtask gets its own copy; open() and close() are optional.
  struct summing_sink {
    std::shared_ptr<std::atomic<int>> total;
    int local = 0;
    void open(const eddy::subtask_info&) { local = 0; }
    void operator()(const int& x) { local += x; }
    void close() { *total += local; }
  };
  auto total = std::make_shared<std::atomic<int>>(0);
  eddy::StreamEnvironment env;
  env.set_parallelism(1);
  env.add_source<int>([](const eddy::subtask_info&) { return std::make_unique<countdown>(); },
                      "countdown")
      .add_sink(summing_sink{total}, "sum");
  env.execute("custom source and sink");
  // *total == 15
  // [custom]
  if (total->load() != 15)
    ++failures;
  else
    std::printf("ok: custom source and sink\n");
}

void failures_and_metrics() {
  // [errors]
  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.from_generator(100, [](std::uint64_t i) { return static_cast<int>(i); })
      .map([](int x) {
        if (x == 42) throw std::runtime_error("cannot handle 42");
        return x;
      })
      .name("picky")
      .add_sink([](const int&) {});
  try {
    env.execute("failing job");
  } catch (const eddy::job_execution_error& e) {
    // e.what(): "operator 'picky' (subtask 1/2) failed: cannot handle 42"
    std::printf("job failed as expected: %s\n", e.what());
  }
  // [errors]
}

void serialization() {
  // [serialization]
  std::string bytes = eddy::serialize(reading{"d1", 5, 21.5});
  reading back;
  std::string error;
  bool ok = eddy::deserialize(bytes, back, &error);  // false, with a message, on malformed input
  // [serialization]
  if (!ok || back.device != "d1" || back.ts != 5 || back.temp != 21.5)
    ++failures;
  else
    std::printf("ok: serialization\n");
  bool truncated_ok = eddy::deserialize(std::string_view(bytes).substr(0, 3), back, &error);
  if (truncated_ok || error.empty()) ++failures;
}

}  // namespace

int main() {
  transformations();
  keyed();
  partitioning();
  fusion();
  files();
  custom_source_and_sink();
  failures_and_metrics();
  serialization();
  return failures == 0 ? 0 : 1;
}
