#pragma once
/// Job programs: how a cluster runs C++ jobs.
///
/// A job graph holds C++ functions, which cannot travel between processes. So a cluster runs
/// *programs*: a program is a named function that builds a job graph from command-line style
/// arguments. The coordinator and every worker that runs part of the job call the same program
/// with the same arguments and get the same graph (a program must be deterministic: same
/// arguments, same operators in the same order); each node then instantiates only its subtasks.
///
/// Programs come from the `eddy` binary itself (the sample jobs) or from a job library: a shared
/// library that defines
///
///     extern "C" void eddy_register_jobs(eddy::job_registry& registry) {
///       registry.add("myjob", "what it does", [](const std::vector<std::string>& args,
///                                               const eddy::job_build_context& ctx) { ... });
///     }
///
/// `eddy run --cluster HOST:PORT --job-lib libmyjob.so myjob ARGS...` ships the library to the
/// coordinator, which passes it on to the workers; each loads it with dlopen.
///
/// Errors: a program throws std::exception with a one-line message for bad arguments; the
/// submitting client sees that message. Thread-safety: the registry is filled before jobs run
/// and then only read; programs may be called concurrently from several threads.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "eddy/runtime/error.hpp"
#include "eddy/runtime/execution_config.hpp"
#include "eddy/runtime/job_graph.hpp"

namespace eddy {

/// What a program is asked to do.
struct job_build_context {
  /// True on the coordinator when the job is submitted: check inputs and prepare outputs (the
  /// same checks as an embedded run). False on workers, which only build the graph.
  bool prepare = true;
  /// The coordinator's checkpoint store (its --state-dir): jobs that checkpoint in a cluster use
  /// it, `--resume latest` resumes from it. Empty on workers.
  std::string checkpoint_dir;
  /// The job will restore from a savepoint or checkpoint (`eddy shell`'s resume and rescale):
  /// its outputs hold an earlier run's files, which its sinks reconcile (do not require them
  /// empty).
  bool resuming = false;
};

/// A built job: its graph, its configuration and its name.
struct built_job {
  std::shared_ptr<const job_graph> graph;
  execution_config config;
  std::string name;
};

using job_program =
    std::function<built_job(const std::vector<std::string>& args, const job_build_context& ctx)>;

/// Named programs (the process has one, `job_registry::global()`).
class job_registry {
 public:
  virtual ~job_registry() = default;
  /// Adds a program; one with the same name is replaced for later lookups.
  virtual void add(const std::string& name, const std::string& description, job_program p) = 0;
  /// The program called `name`, or null.
  [[nodiscard]] virtual std::shared_ptr<const job_program> find(const std::string& name) const = 0;
  /// Names and descriptions, sorted by name.
  [[nodiscard]] virtual std::vector<std::pair<std::string, std::string>> list() const = 0;

  /// The registry of this process (thread-safe).
  static job_registry& global();
  /// A new, empty registry (thread-safe), e.g. for the programs of one job library.
  static std::unique_ptr<job_registry> make();
};

/// Sets "-p P" in a program's arguments, replacing a -p / --parallelism / --parallelism=N
/// there (the convention the sample jobs follow; rescaling uses it).
void set_parallelism_arg(std::vector<std::string>& args, int p);

/// Loads the job library at `path` (dlopen; the library stays loaded for the process's life)
/// and returns a new registry holding the programs its eddy_register_jobs added. Errors
/// (invalid_argument): the file cannot be loaded, defines no eddy_register_jobs, or that
/// function threw. `name` is the library's name in messages (default: `path`). May block on
/// the file system; any thread.
[[nodiscard]] expected<std::shared_ptr<job_registry>> load_job_library(const std::string& path,
                                                                       std::string name = {});

}  // namespace eddy

/// The entry point a job library defines (see above); exported even when the library is built
/// with hidden visibility.
extern "C" __attribute__((visibility("default"))) void eddy_register_jobs(
    eddy::job_registry& registry);
