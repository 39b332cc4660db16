#pragma once
// Internal: what a cluster knows about a submitted job (its program and arguments), how job
// results travel back to clients (JSON), and loading programs from job libraries.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/runtime/error.hpp"
#include "eddy/runtime/job_program.hpp"
#include "eddy/runtime/job_result.hpp"

namespace eddy::detail {

struct job_spec {
  std::string program;            ///< program name (job_registry)
  std::vector<std::string> args;  ///< its arguments
  std::string lib_name;           ///< job library file name, empty: a program of the binary
  std::string lib_hash;           ///< SHA-256 of the library's bytes (hex)
  /// Restore from this savepoint or checkpoint store (on the coordinator), if not empty.
  std::string restore_from;
  std::string job_id;  ///< set by the coordinator
};

[[nodiscard]] std::string to_json(const job_spec& s);
[[nodiscard]] expected<job_spec> job_spec_from_json(std::string_view json);

[[nodiscard]] std::string to_json(const job_result& r);
[[nodiscard]] expected<job_result> job_result_from_json(std::string_view json);

/// Builds the job `spec` describes: its program comes from the job library (`lib_bytes`, cached
/// under `lib_dir` by hash and loaded once per process) or from job_registry::global(). Errors
/// name the program and what went wrong (unknown program, library not loadable, the program's
/// own message for bad arguments).
[[nodiscard]] expected<built_job> build_job(const job_spec& spec, const std::string& lib_bytes,
                                            const std::string& lib_dir,
                                            const job_build_context& ctx);

}  // namespace eddy::detail
