#pragma once
/// What a connector (connectors/...) hands to the DataStream API: a Source<T> makes one reader
/// per source subtask, a Sink<T> one writer per sink subtask (Flink's Source and Sink, adapted
/// to subtask actors).
///
///     auto src = eddy::kafka::kafka_source_lines(options);          // a Source<std::string>
///     env.from_source(src, "readings").map(...).sink_to(eddy::kafka::kafka_sink_lines(out));
///
/// Contract for the readers and writers (the operators a connector implements):
/// - A reader is a source_op<T> (source.hpp): called only on its subtask's actor, never blocking
///   it. A reader over a blocking client fetches on another thread (or lets the client's own
///   threads fetch) into a bounded hand-over queue, returns source_status::wait when the queue is
///   empty and calls its waker (source_base::waker()) when data arrives: an idle source costs no
///   CPU. Its splits and their positions go into checkpoints as "__union:" entries so that a
///   restore at another parallelism redistributes them (operator.hpp, restore_state).
/// - A writer is an input_op<T>: it declares its guarantee (delivery_guarantee); an at-least-once
///   writer makes everything it was given durable in snapshot_state (before the checkpoint can
///   complete), an exactly-once one rides the two-phase commit (two_phase_commit_sink.hpp).
/// - Errors a user must see (an unreachable system, a rejected write) fail the job with the
///   connector, the address and the reason named; transient ones are retried and logged.
#include <functional>
#include <memory>
#include <string>

#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/source.hpp"
#include "eddy/runtime/split_enumerator.hpp"

namespace eddy {

/// What a sink guarantees after a failure and a restore from the last checkpoint.
enum class delivery_guarantee {
  none,           ///< records may be lost (and duplicated)
  at_least_once,  ///< nothing is lost; records after the last checkpoint may be written twice
  exactly_once,   ///< every record's effect is visible once (transactions, two-phase commit)
};

/// "none", "at-least-once", "exactly-once".
inline const char* to_string(delivery_guarantee g) {
  switch (g) {
    case delivery_guarantee::none:
      return "none";
    case delivery_guarantee::at_least_once:
      return "at-least-once";
    case delivery_guarantee::exactly_once:
      return "exactly-once";
  }
  return "?";
}

/// A connector's source of records of type T.
template <class T>
struct Source {
  std::string name;     ///< default operator name
  bool bounded = true;  ///< whether the input ends (a bounded job then finishes by itself)
  /// One reader per subtask; `next` is the chain it emits into. Called on the subtask's actor.
  std::function<std::unique_ptr<source_base>(input_op<T>* next)> make_reader;
  /// Optional: the source's split enumerator (split_enumerator.hpp), made once per deployment
  /// on the enumerator's actor; its readers then get their splits by add_splits.
  std::function<std::unique_ptr<split_enumerator>()> make_enumerator;
};

/// What a sink's writer is told when it is made.
struct sink_context {
  int node_id = 0;  ///< the sink's node in the job graph, unique within the job (file names use it)
};

/// A connector's sink for records of type T.
template <class T>
struct Sink {
  std::string name;  ///< default operator name
  delivery_guarantee guarantee = delivery_guarantee::at_least_once;
  /// One writer per subtask. Called on the subtask's actor.
  std::function<std::unique_ptr<input_op<T>>(const sink_context&)> make_writer;
};

}  // namespace eddy
