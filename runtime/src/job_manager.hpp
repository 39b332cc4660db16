#pragma once
// Internal: the coordinator's actors. The job manager keeps the workers (task managers, their
// slots and heartbeats) and the jobs (spawning a job supervisor per job, allocating slots for
// each deployment, answering clients). The gate is the one actor published on the coordinator's
// port: a node must pass its challenge (the cluster secret) to learn the job manager.
// Protocol: cluster_messages.hpp.
#include <caf/fwd.hpp>
#include <chrono>
#include <string>

namespace eddy::detail {

struct job_manager_options {
  std::string state_dir;  ///< checkpoints (LMDB store), job libraries, running jobs' specs
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{10000};  ///< then a silent worker is lost
  std::chrono::milliseconds slot_timeout{60000};       ///< a job waits this long for slots
};

caf::actor spawn_job_manager(caf::actor_system& sys, job_manager_options opts);

/// `secret` empty: every node is let in.
caf::actor spawn_gate(caf::actor_system& sys, caf::actor job_manager, std::string secret);

/// The proof a node sends to the gate (see cluster_messages.hpp).
std::string gate_proof(const std::string& secret, const std::string& nonce,
                       const std::string& role);

}  // namespace eddy::detail
