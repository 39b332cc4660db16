#pragma once
// Internal: what the job supervisor of a cluster job needs besides the job context.
#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <string>

namespace eddy::detail {

struct cluster_job {
  caf::actor job_manager;  ///< allocates slots (task managers) for each deployment
  std::string job_id;
  std::string spec_json;  ///< job_spec as JSON: every worker rebuilds the graph from it
  std::string lib_bytes;  ///< the job library, if the program comes from one
  int slots = 1;          ///< slots the job needs (its largest parallelism: slot sharing)
};

}  // namespace eddy::detail
