#pragma once
/// The sample jobs that `eddy run JOB` knows. Each registers its flags on its own CLI11
/// subcommand and returns the function that runs it (called after parsing).
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "eddy/runtime/job_program.hpp"
#include "eddy/runtime/job_result.hpp"

namespace eddy::samples {

struct sample_job {
  std::string name;
  std::string description;
  /// Adds the job's flags to `cmd`; the returned function runs the job and returns its result
  /// (throws std::exception with a one-line message on bad input, job_execution_error on failure).
  std::function<std::function<job_result()>(CLI::App& cmd)> setup;
};

/// All sample jobs, in the order `eddy run --list` shows them.
const std::vector<sample_job>& sample_jobs();

/// Adds the sample jobs as job programs (job_program.hpp), so a cluster can run them: the
/// programs take the same flags as `eddy run JOB`.
void register_sample_programs(job_registry& registry);

}  // namespace eddy::samples
