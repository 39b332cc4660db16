#pragma once
/// Reading the lines of one text file, or of stdin / a pipe, as a connector source: the
/// operator behind StreamEnvironment::read_text_file (operators/sources.hpp, text_file_source).
///
///     env.from_source(eddy::files::text_file_lines_source("/data/in.txt"), "in")...
///
/// A regular file is split into byte ranges over the subtasks, its positions checkpointed as
/// union state (a restore at another parallelism redistributes the ranges left). `-`, a pipe or
/// another stream is read by subtask 0 from its start to its end, once: it cannot be rewound, so
/// a restore or restart that would read it again fails naming the input. Bounded.
#include <memory>
#include <string>

#include "eddy/operators/connector.hpp"
#include "eddy/operators/sources.hpp"

namespace eddy::files {

/// A source of the lines of `path` (`-`: stdin).
inline Source<std::string> text_file_lines_source(std::string path) {
  // Shared by every attempt of the job: a stream read by a failed attempt is not read again.
  auto progress = std::make_shared<eddy::detail::stream_input_progress>();
  return Source<std::string>{
      "file source", true,
      [path, progress](input_op<std::string>* next) {
        return std::unique_ptr<source_base>(new text_file_source(path, next, progress));
      },
      nullptr};
}

}  // namespace eddy::files
