#pragma once
/// Writing lines to part files in a directory (Flink's FileSink with a row format), as a
/// connector sink: `file:///DIR?rolling.size=64MB&rolling.interval=10min` on the command line.
///
///     eddy::files::file_sink_options o;
///     o.path = "/data/out";
///     o.rolling.max_part_size = 64ull << 20;
///     stream.sink_to(eddy::files::file_sink<std::string>(o), "out");
///
/// The same operator as DataStream::write_text_file (operators/sinks.hpp): exactly once with
/// checkpoints (files are hidden, ".part-*.inprogress", until the checkpoint after them
/// completes, then renamed to "part-<node>-<subtask>-<n>[-<k>]"), all committed when a bounded
/// job finishes. A new file starts at every checkpoint and when the rolling policy says (size or
/// age). Errors (an uncreatable directory, a full disk) fail the job naming the path.
#include <string>

#include "eddy/connectors/connector_uri.hpp"
#include "eddy/operators/connector.hpp"
#include "eddy/operators/sinks.hpp"
#include "eddy/operators/to_text.hpp"
#include "eddy/runtime/error.hpp"

namespace eddy::files {

struct file_sink_options {
  std::string path;        ///< the directory (created if missing)
  rolling_policy rolling;  ///< "rolling.size" (e.g. 64MB), "rolling.interval" (e.g. 10min; 0: off)
  /// Put after "part-" in the file names: jobs writing one directory one after another (SQL
  /// INSERTs into a table) each give their own, so that no file of one replaces another's.
  std::string part_prefix;
};

/// The options of `file:///DIR[?rolling.size=SIZE&rolling.interval=DURATION]`; errors name the
/// URI and the option.
[[nodiscard]] expected<file_sink_options> parse_file_sink_uri(const connectors::connector_uri& uri);

/// A sink writing `fmt(record)` (a std::string) as one line per record.
template <class T, class Fmt>
Sink<T> file_sink(file_sink_options o, Fmt fmt) {
  using format = eddy::detail::string_format<Fmt>;
  return Sink<T>{"file sink", delivery_guarantee::exactly_once,
                 [o, fmt](const sink_context& c) -> std::unique_ptr<input_op<T>> {
                   return std::make_unique<text_file_sink_op<T, format>>(
                       o.path, c.node_id, format{fmt}, o.rolling, o.part_prefix);
                 }};
}

/// A sink writing each record as the line print() would (strings as they are).
template <class T>
Sink<T> file_sink(file_sink_options o) {
  using format = eddy::detail::default_text_format;
  return Sink<T>{"file sink", delivery_guarantee::exactly_once,
                 [o](const sink_context& c) -> std::unique_ptr<input_op<T>> {
                   return std::make_unique<text_file_sink_op<T, format>>(
                       o.path, c.node_id, format{}, o.rolling, o.part_prefix);
                 }};
}

}  // namespace eddy::files
