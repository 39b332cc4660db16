// The `eddy` binary: runs sample jobs on the embedded runtime (`eddy run JOB ...`).
// Later versions add the coordinator, worker and shell commands.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "eddy/operators/stream_environment.hpp"
#include "eddy/runtime/log.hpp"
#include "sample_job.hpp"

namespace {

void print_summary(const eddy::job_result& r) {
  if (!r.savepoint_path.empty())
    std::printf("job '%s' stopped with a savepoint after %.3f s\nsavepoint: %s\n",
                r.job_name.c_str(), std::chrono::duration<double>(r.wall_time).count(),
                r.savepoint_path.c_str());
  else
    std::printf("job '%s' %s in %.3f s\n", r.job_name.c_str(), eddy::to_string(r.state),
                std::chrono::duration<double>(r.wall_time).count());
  if (!r.checkpoints.empty() || r.restored_checkpoint != 0 || r.restarts != 0)
    std::printf(
        "checkpoints: %zu completed, %llu aborted; restored from checkpoint %llu; %d "
        "restarts\n",
        r.checkpoints.size(), static_cast<unsigned long long>(r.aborted_checkpoints),
        static_cast<unsigned long long>(r.restored_checkpoint), r.restarts);
  std::printf("%-24s %11s %14s %14s\n", "operator", "parallelism", "records in", "records out");
  for (const auto& o : r.operators)
    std::printf("%-24s %11d %14llu %14llu\n", o.name.c_str(), o.parallelism,
                static_cast<unsigned long long>(o.records_in),
                static_cast<unsigned long long>(o.records_out));
}

int fail(const std::string& msg, int code = 1) {
  std::fprintf(stderr, "eddy: %s\n", msg.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Eddy: a stream processor built on actors.", "eddy"};
  app.set_version_flag("--version", std::string("eddy 0.1.0"));
  app.require_subcommand(1);
  app.fallthrough();  // global flags (--log-level) may also follow the subcommands
  std::string log_level = "warn";
  app.add_option("--log-level", log_level,
                 "log level on stderr: trace, debug, info, warn, error, critical, off")
      ->capture_default_str();

  auto* run = app.add_subcommand("run", "run a sample job on the embedded runtime");
  bool list = false;
  run->add_flag("--list", list, "list the sample jobs and exit");
  run->require_subcommand(0, 1);
  run->fallthrough();
  std::function<eddy::job_result()> job;
  for (const auto& s : eddy::samples::sample_jobs()) {
    auto* cmd = run->add_subcommand(s.name, s.description);
    auto fn = s.setup(*cmd);
    cmd->callback([&job, fn] { job = fn; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    // An unknown word after `run` is an unknown job, not an extra argument.
    if (run->parsed() && !list && run->get_subcommands().empty() &&
        msg.find("not expected") != std::string::npos && run->remaining_size() > 0)
      return fail("unknown job '" + run->remaining().front() + "' (eddy run --list shows the jobs)",
                  2);
    return fail(msg + " (see --help)", 2);
  }

  if (auto ok = eddy::set_log_level(log_level); !ok) return fail(ok.error().message, 2);

  if (run->parsed()) {
    if (list) {
      for (const auto& s : eddy::samples::sample_jobs())
        std::printf("%-12s %s\n", s.name.c_str(), s.description.c_str());
      return 0;
    }
    if (!job) return fail("name a job to run (eddy run --list shows the jobs)", 2);
    try {
      auto r = job();
      print_summary(r);
      return 0;
    } catch (const eddy::job_execution_error& e) {
      return fail("job failed: " + std::string(e.what()));
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  }
  return 0;
}
