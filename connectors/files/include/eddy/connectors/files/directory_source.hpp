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
/// Flink) is one split. The source's split enumerator (split_enumerator.hpp, on its own actor)
/// lists the directory and hands the files out on demand: a reader asks for the next file when
/// it has finished its last, so readers that drew large files take fewer. A reader reads a file
/// from its first line to its end; lines as read_text_file gives them. Files are taken to be
/// complete when they appear: a file that grows after it was read is not read again.
/// Monitoring lists the directory again every `monitor_interval` (a delayed message to the
/// enumerator: nothing is polled in between) and never ends; without it the source ends once
/// the files present at the start are read. In a cluster the enumerator lists the directory on
/// the coordinator's machine and the workers read the files: give a path all of them see.
///
/// Positions: each reader's unfinished files with their next byte are union state and the
/// enumerator's checkpoint holds the files not handed out yet, so a restore at any parallelism
/// reads every file once, from where it was; with a two-phase-commit sink the job is exactly
/// once. Errors (a missing directory, an unreadable file) fail the job naming the path and the
/// system's reason. Readers run on their subtasks' actors.
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
std::unique_ptr<split_enumerator> make_directory_enumerator(const directory_options& o);
}  // namespace detail

/// A source of the lines of the directory's files.
inline Source<std::string> directory_lines_source(directory_options o) {
  const bool bounded = o.monitor_interval.count() == 0;
  return Source<std::string>{
      "directory source", bounded,
      [o](input_op<std::string>* next) { return detail::make_directory_reader(o, next); },
      [o] { return detail::make_directory_enumerator(o); }};
}

}  // namespace eddy::files
