#pragma once
/// SQL jobs on a cluster (`eddy sql --cluster HOST:PORT`): a job graph holds C++ functions that
/// cannot travel, so an INSERT travels as text and is planned on every node identically (as
/// job_program.hpp asks of every program). The client's session (sql_session::set_dml_runner)
/// sends the program `sql` one argument, a script: the session's CREATE / DROP / SET / CREATE
/// FUNCTION statements so far, then the INSERT (or statement set). Each node replays the script
/// into a fresh session and plans its last statement; the planner names operators by their
/// position in the plan, so every node gets the same graph.
///
/// Errors: a script that does not parse or plan throws std::invalid_argument with the message
/// and its place (the submitting client shows it). Thread-safe: each call has its own session.
#include <string>
#include <vector>

#include "eddy/runtime/job_program.hpp"

namespace eddy::table {

/// The program's name in the job registry.
inline constexpr const char* sql_program_name = "sql";

/// The program: args = {script} or {script, "-p", N} (N overrides 'parallelism.default': how
/// `eddy shell`'s rescale and cluster_client::rescale resume a job at another parallelism).
built_job sql_job_program(const std::vector<std::string>& args, const job_build_context& ctx);

}  // namespace eddy::table
