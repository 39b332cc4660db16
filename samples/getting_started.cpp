// The first job of docs/getting-started.md: count words in a few lines of text and print them.
// Build: part of the Eddy build (build/bin/sample-getting-started).
// [example]
#include <eddy/operators/datastream.hpp>

#include <string>
#include <utility>

int main() {
  using word_count = std::pair<std::string, int>;

  eddy::StreamEnvironment env;
  env.set_parallelism(2);
  env.set_runtime_mode(eddy::runtime_mode::batch);  // bounded input: one final count per word

  env.from_collection<std::string>({"to be or not to be", "that is the question"})
      .flat_map([](const std::string& line, eddy::collector<word_count>& out) {
        std::size_t start = 0;
        while (start < line.size()) {
          std::size_t end = line.find(' ', start);
          if (end == std::string::npos) end = line.size();
          if (end > start) out.collect({line.substr(start, end - start), 1});
          start = end + 1;
        }
      })
      .name("split")
      .key_by([](const word_count& wc) { return wc.first; })
      .sum<1>()
      .name("count")
      .print();  // "1> to,2" ...: the prefix is the printing subtask

  eddy::job_result result = env.execute("getting started");
  const auto* count = result.find_operator("count");
  return count && count->records_out == 8 ? 0 : 1;  // 8 distinct words
}
// [example]
