#pragma once
// Internal: spawning a job's supervisor actor.
#include <caf/fwd.hpp>
#include <memory>

#include "job_control.hpp"

namespace eddy::detail {

struct cluster_job;

/// Spawns the supervisor of `job`, which deploys the job at once and completes `job->control`
/// at the end. It deploys the subtasks in this process, or, for a cluster job (`cluster` set),
/// on the task managers the job manager allocates.
caf::actor spawn_job_supervisor(caf::actor_system& sys, std::shared_ptr<const job_context> job,
                                std::shared_ptr<const cluster_job> cluster = nullptr);

/// Routes the job handle's cancel, kill and savepoint requests to `supervisor`.
void connect_control(job_control& ctl, const caf::actor& supervisor);

}  // namespace eddy::detail
