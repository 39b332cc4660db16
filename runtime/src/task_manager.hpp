#pragma once
// Internal: the task manager actor of a worker node. It registers the worker's slots with the
// coordinator's job manager, sends heartbeats, spawns and starts the subtasks the job
// supervisors assign to it, keeps their job-finished actions until the job commits, and kills
// every subtask when the coordinator is lost (its connection closes, or it leaves heartbeats
// unanswered for its heartbeat timeout: a partitioned worker fences itself). Protocol:
// cluster_messages.hpp; the worker's main thread first tells it its data address with (peers_atom,
// "HOST:PORT").
#include <atomic>
#include <caf/fwd.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "eddy/runtime/cluster.hpp"

namespace eddy::detail {

struct task_manager_options {
  std::string name;  ///< shown in the coordinator's logs
  int slots = 1;
  std::string lib_dir;  ///< where shipped job libraries are written
  std::chrono::milliseconds heartbeat_interval{1000};
  bool tls = false;                   ///< connect to other workers with TLS
  std::shared_ptr<worker_view> view;  ///< if set, told what the worker runs (may be null)
};

/// Shared with the worker's main thread: whether the task manager is registered with a job
/// manager (false again once that connection is lost).
struct task_manager_status {
  std::atomic<bool> registered{false};
  std::atomic<int> worker_id{-1};
};

caf::actor spawn_task_manager(caf::actor_system& sys, task_manager_options opts,
                              std::shared_ptr<task_manager_status> status);

}  // namespace eddy::detail
