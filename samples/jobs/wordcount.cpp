// [wordcount]
#include "wordcount.hpp"

#include "eddy/operators/datastream.hpp"
#include "endpoints.hpp"

namespace eddy::samples {

void tokenize(std::string_view line, collector<std::pair<std::string, std::uint64_t>>& out) {
  std::string word;
  for (char ch : line) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      word.push_back(static_cast<char>(c));
    } else if (!word.empty()) {
      out.emplace(std::move(word), 1);
      word.clear();
    }
  }
  if (!word.empty()) out.emplace(std::move(word), 1);
}

void build_wordcount(StreamEnvironment& env, const wordcount_options& opts) {
  using word_count = std::pair<std::string, std::uint64_t>;
  env.set_parallelism(opts.parallelism);
  env.set_runtime_mode(runtime_mode::batch);  // emit one final count per word
  auto counts = read_lines(env, opts.input)
                    .flat_map([](const std::string& line, collector<word_count>& out) {
                      tokenize(line, out);
                    })
                    .name("tokenize")
                    .key_by([](const word_count& wc) { return wc.first; })
                    .sum<1>()
                    .name("count");
  write_lines(counts, opts.output,
              [](const word_count& wc) {  // one "word,count" line per word
                return wc.first + "," + std::to_string(wc.second);
              })
      .name("write");
}

}  // namespace eddy::samples
// [wordcount]
