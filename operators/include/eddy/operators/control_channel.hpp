#pragma once
/// The control channel source: the lines sent to a running job on a named channel
/// (eddy/runtime/control_channel.hpp has the guarantees) as a DataStream<std::string>.
///
///     auto lines = eddy::from_control_channel(env, "patterns");   // parallelism 1
///     // later, while the job runs:
///     handle.send_control("patterns", "...");                     // embedded
///     // eddy send ID patterns ...  /  cluster_client::send_control   (a cluster)
///
/// - Order and guarantee: the lines come in the order they were sent, each once in effect
///   across restarts from checkpoints (a line after the restored checkpoint is read again, its
///   effect before it is in the restored state). A job resumed from a savepoint into a new job
///   (resume, rescale) starts with the new job's channel: nothing is sent twice.
/// - Event time: the lines carry no timestamp, and the source's watermark is at the end of time
///   from the start, so a control channel never holds back the event time of an operator it
///   feeds (connect it to an event-time stream as it is).
/// - Ending: it ends once every other source of the job has ended (a bounded job finishes by
///   itself); in a job without other sources it runs until the job is canceled or stopped.
/// - One reader: the source runs at parallelism 1 (from_control_channel sets it; with a higher
///   parallelism the readers other than the first end at once).
/// - One source per channel name in a job: a second source of the same name fails the job when
///   it deploys, without restarts ("control channel 'x' has two sources in this job (graph
///   nodes 0 and 1); give each control source of a job its own channel name").
#include <memory>
#include <string>

#include "eddy/operators/connector.hpp"
#include "eddy/operators/datastream.hpp"
#include "eddy/operators/stream_environment.hpp"

namespace eddy {

/// The Source (connector.hpp) of control channel `channel`, for StreamEnvironment::from_source
/// (set its parallelism to 1). Throws std::invalid_argument for an empty channel name.
[[nodiscard]] Source<std::string> control_channel_source(const std::string& channel);

/// env.from_source(control_channel_source(channel), "control channel: CHANNEL") at parallelism 1.
DataStream<std::string> from_control_channel(StreamEnvironment& env, const std::string& channel);

}  // namespace eddy
