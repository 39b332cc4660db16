#pragma once
// Internal: spawning a job's supervisor actor.
#include <caf/fwd.hpp>
#include <memory>

#include "job_control.hpp"

namespace eddy::detail {

/// Spawns the supervisor, which deploys the job at once and completes `job->control` at the end.
caf::actor spawn_job_supervisor(caf::actor_system& sys, std::shared_ptr<const job_context> job);

}  // namespace eddy::detail
