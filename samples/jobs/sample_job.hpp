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
  /// The flags whose values are paths (resolved before a cluster submission).
  std::vector<std::string> path_flags;
};

/// All sample jobs, in the order `eddy run --list` shows them.
const std::vector<sample_job>& sample_jobs();

/// The sample job called `name`, or null.
const sample_job* find_sample_job(const std::string& name);

/// The help text of sample job `name` (its flags, as `eddy run NAME --help` prints them), or ""
/// if there is no such sample job.
std::string sample_job_help(const std::string& name);

/// "unknown flag '--inptu' (did you mean '--input'?)" if `args` hold a flag sample job `name`
/// does not define; "" if all are known (or `name` is not a sample job).
std::string check_sample_args(const std::string& name, const std::vector<std::string>& args);

/// `args` of sample job `name` with relative paths made absolute against this process's working
/// directory: a cluster's nodes read and write them on their own machines, where the client's
/// directory means nothing. Appends "FLAG VALUE -> ABSOLUTE" to `notes` for each path changed.
/// Arguments of other jobs come back unchanged.
std::vector<std::string> resolve_paths_for_cluster(const std::string& name,
                                                   std::vector<std::string> args,
                                                   std::vector<std::string>& notes);

/// Adds the sample jobs as job programs (job_program.hpp), so a cluster can run them: the
/// programs take the same flags as `eddy run JOB`.
void register_sample_programs(job_registry& registry);

}  // namespace eddy::samples
