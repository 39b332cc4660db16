#pragma once
/// Word count: the classic first job.
#include <string>
#include <string_view>

#include "eddy/operators/collector.hpp"

namespace eddy {
class StreamEnvironment;
}

namespace eddy::samples {

struct wordcount_options {
  std::string input;   ///< text file
  std::string output;  ///< output directory (created if missing)
  int parallelism = 1;
};

/// Splits a line into words: ASCII letters are lower-cased, every maximal run of [a-z0-9] is a
/// word and every other byte separates words.
void tokenize(std::string_view line, collector<std::pair<std::string, std::uint64_t>>& out);

/// Adds the word-count job to `env` (batch mode: one final `word,count` line per word).
void build_wordcount(StreamEnvironment& env, const wordcount_options& opts);

}  // namespace eddy::samples
