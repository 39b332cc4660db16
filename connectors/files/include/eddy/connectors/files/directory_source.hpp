#pragma once
/// Reading the text files of a directory, once or as they appear (Flink's FileSource with
/// monitorContinuously): `file:///DIR` and `file:///DIR?monitor=1s` on the command line.
///
///     eddy::files::directory_options o;
///     o.path = "/data/incoming";
///     o.monitor_interval = std::chrono::seconds(1);  // 0: read what is there, then end
///     env.from_source(eddy::files::directory_lines_source(o), "incoming")...
///
/// Splits: every regular file directly in the directory (names starting with '.' or '_' are
/// skipped: write a file under such a name and rename it into place when it is complete, as for
/// Flink) is read by one subtask, chosen by a hash of its name, from its first line to its end;
/// lines as read_text_file gives them. Files are taken to be complete when they appear: a file
/// that grows after it was read is not read again. Monitoring lists the directory every
/// `monitor_interval` (a timer thread wakes the subtask; nothing is polled in between) and never
/// ends; without it the source ends once the files present at the start are read.
///
/// Positions: each file's next byte (or that it is done) is union state, so a restore at any
/// parallelism gives every file to its new owner at its position; with a two-phase-commit sink
/// the job is exactly once. Errors (a missing directory, an unreadable file) fail the job naming
/// the path and the system's reason. Runs on the subtask's actor, except the timer thread.
#include <chrono>
#include <string>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/operators/connector.hpp"
#include "eddy/runtime/error.hpp"

namespace eddy::files {

struct directory_options {
  std::string path;                               ///< the directory
  std::chrono::milliseconds monitor_interval{0};  ///< "monitor=1s"; 0: bounded
};

/// The options of `file:///DIR[?monitor=DURATION]`; errors name the URI and the option.
[[nodiscard]] expected<directory_options> parse_directory_uri(const connectors::connector_uri& uri);

namespace detail {
std::unique_ptr<source_base> make_directory_reader(const directory_options& o,
                                                   input_op<std::string>* next);
}  // namespace detail

/// A source of the lines of the directory's files.
inline Source<std::string> directory_lines_source(directory_options o) {
  const bool bounded = o.monitor_interval.count() == 0;
  return Source<std::string>{"directory source", bounded, [o](input_op<std::string>* next) {
                               return detail::make_directory_reader(o, next);
                             }};
}

}  // namespace eddy::files
