// The `eddy` binary: runs sample jobs on the embedded runtime (`eddy run JOB ...`) or on a
// cluster (`eddy run --cluster HOST:PORT JOB ...`), and starts cluster nodes (`eddy coordinator`,
// `eddy worker`).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <optional>

#include "eddy/operators/stream_environment.hpp"
#include "eddy/runtime/cluster.hpp"
#include "eddy/runtime/job_program.hpp"
#include "eddy/runtime/local_runtime.hpp"
#include "eddy/runtime/log.hpp"
#include "eddy/table/connector_tables.hpp"
#include "eddy/table/sql_job.hpp"
#include "flag_checks.hpp"
#include "job_runner.hpp"
#include "progress_line.hpp"
#include "rest_cli.hpp"
#include "sample_job.hpp"
#include "shell.hpp"
#include "sql_client.hpp"

namespace {

void print_summary(const eddy::job_result& r) {
  if (!r.savepoint_path.empty())
    std::printf("job '%s' stopped with a savepoint after %.3f s\nsavepoint: %s\n",
                r.job_name.c_str(), std::chrono::duration<double>(r.wall_time).count(),
                r.savepoint_path.c_str());
  else
    std::printf("job '%s' %s in %.3f s\n", r.job_name.c_str(), eddy::to_string(r.state),
                std::chrono::duration<double>(r.wall_time).count());
  if (!r.checkpoints.empty() || r.restored_checkpoint != 0 || r.restarts != 0) {
    std::string restored;
    if (r.restored_checkpoint != 0)
      restored = "; restored from checkpoint " + std::to_string(r.restored_checkpoint);
    std::printf("checkpoints: %zu completed, %llu aborted%s; %d restarts\n", r.checkpoints.size(),
                static_cast<unsigned long long>(r.aborted_checkpoints), restored.c_str(),
                r.restarts);
  }
  if (const auto latency = r.latency(); !latency.empty())  // --latency-interval
    std::printf("latency: %llu markers, p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms\n",
                static_cast<unsigned long long>(latency.total()), latency.quantile(0.5) / 1e6,
                latency.quantile(0.99) / 1e6, latency.quantile(0.999) / 1e6);
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

volatile std::sig_atomic_t stop_signal = 0;
extern "C" void on_stop(int) {
  stop_signal = 1;
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

/// A node ends by leaving the process: its actor system keeps running threads (cluster.hpp).
[[noreturn]] void exit_now(int code) {
  std::fflush(nullptr);
  std::_Exit(code);
}

/// The security flags every cluster command takes.
struct security_flags {
  std::string secret_file, tls_cert, tls_key, tls_ca;
  bool insecure = false;
  void add(CLI::App& cmd, bool listens) {
    cmd.add_option("--secret-file", secret_file,
                   "file holding the cluster secret: nodes must prove they know it");
    cmd.add_option("--tls-cert", tls_cert, "TLS certificate of this node (PEM)");
    cmd.add_option("--tls-key", tls_key, "TLS private key of this node (PEM)");
    cmd.add_option("--tls-ca", tls_ca, "CA certificate that signed every node's certificate");
    if (listens)
      cmd.add_flag("--insecure", insecure,
                   "allow listening on a non-loopback address without a secret or TLS");
  }
  /// Takes one of the security flags with `take(flag, value)` (see take_value).
  template <class Take>
  bool take(Take&& take) {
    return take("--secret-file", secret_file) || take("--tls-cert", tls_cert) ||
           take("--tls-key", tls_key) || take("--tls-ca", tls_ca);
  }
  eddy::expected<eddy::cluster_security> resolve() const {
    eddy::cluster_security s;
    if (!secret_file.empty()) {
      auto secret = eddy::read_secret_file(secret_file);
      if (!secret) return secret.error();
      s.secret = *secret;
    }
    s.tls_cert = tls_cert;
    s.tls_key = tls_key;
    s.tls_ca = tls_ca;
    s.insecure = insecure;
    return s;
  }
};

/// Reads the global --log-level flags before the command word; returns the command's index.
int skip_log_level(int argc, char** argv, std::string& log_level) {
  int first = 1;
  while (first < argc) {
    const std::string a = argv[first];
    if (a == "--log-level" && first + 1 < argc) {
      log_level = argv[first + 1];
      first += 2;
    } else if (a.rfind("--log-level=", 0) == 0) {
      log_level = a.substr(12);
      ++first;
    } else {
      break;
    }
  }
  return first;
}

/// If argv[i] is `flag VALUE` or `flag=VALUE`, stores the value (advancing i past it) and
/// returns true; a missing value sets `err`.
bool take_value(int argc, char** argv, int& i, const std::string& flag, std::string& out,
                std::string& err) {
  const std::string a = argv[i];
  if (a == flag) {
    if (i + 1 >= argc) {
      err = flag + " needs a value";
      return true;
    }
    out = argv[++i];
    return true;
  }
  if (a.rfind(flag + "=", 0) == 0) {
    out = a.substr(flag.size() + 1);
    return true;
  }
  return false;
}

/// `eddy run [--cluster HOST:PORT] [--detach] [--job-lib LIB] [security flags] JOB ARGS...`:
/// the cluster flags may stand anywhere after `run`; everything else is the job's. Returns
/// nullopt if the command line names neither a cluster nor a job library (then CLI11 parses it
/// as an embedded run of a sample job).
struct cluster_run {
  std::string address, job_lib, job, log_level;
  std::chrono::milliseconds timeout{10000};  ///< --timeout: for reaching the coordinator
  bool detach = false;
  bool cluster = false;  ///< false: an embedded run of a job library's program
  security_flags security;
  std::vector<std::string> args;
};

/// `--timeout MS`: a whole number of milliseconds above 0; sets `err` otherwise.
void parse_timeout(const std::string& text, std::chrono::milliseconds& out, std::string& err) {
  std::size_t used = 0;
  long long ms = 0;
  try {
    ms = std::stoll(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used != text.size() || ms < 1)
    err = "--timeout: must be a whole number of milliseconds above 0 (got '" + text + "')";
  else
    out = std::chrono::milliseconds(ms);
}

std::optional<cluster_run> parse_cluster_run(int argc, char** argv, std::string& err) {
  // `run` is the first word that is not the global --log-level flag or its value.
  cluster_run r;
  const int first = skip_log_level(argc, argv, r.log_level);
  if (first >= argc || std::string(argv[first]) != "run") return std::nullopt;
  bool cluster = false;
  for (int i = first + 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto take = [&](const char* flag, std::string& out) {
      return take_value(argc, argv, i, flag, out, err);
    };
    if (take("--cluster", r.address)) {
      cluster = true;
      continue;
    }
    if (a == "--detach") {
      r.detach = true;
      continue;
    }
    if (take("--job-lib", r.job_lib) || r.security.take(take) || take("--log-level", r.log_level))
      continue;
    if (std::string timeout; take("--timeout", timeout)) {
      if (err.empty()) parse_timeout(timeout, r.timeout, err);
      continue;
    }
    if (r.job.empty() && a.rfind("-", 0) != 0) {
      r.job = a;
      continue;
    }
    r.args.push_back(a);
  }
  r.cluster = cluster;
  if (!cluster) {
    if (r.detach) err = "--detach needs --cluster HOST:PORT";
    if (r.job_lib.empty()) return std::nullopt;
  }
  return r;
}

bool wants_help(const std::vector<std::string>& args) {
  return std::find(args.begin(), args.end(), "--help") != args.end() ||
         std::find(args.begin(), args.end(), "-h") != args.end();
}

/// `eddy shell [flags]` or a one-shot command (`eddy jobs --cluster ...`): the flags --cluster,
/// --json, --timeout MS and the security flags may stand anywhere; the other words are the
/// command. Returns nullopt if argv names neither.
struct shell_invocation {
  bool shell = false;
  bool help = false;  ///< --help: print the usage and exit
  eddy::cli::shell_options opts;
  security_flags security;
  std::string log_level;
  std::vector<std::string> words;
};

std::optional<shell_invocation> parse_shell_invocation(int argc, char** argv, std::string& err) {
  shell_invocation r;
  const int first = skip_log_level(argc, argv, r.log_level);
  if (first >= argc) return std::nullopt;
  const std::string cmd = argv[first];
  const auto& names = eddy::cli::shell_commands();
  r.shell = cmd == "shell";
  if (!r.shell && (cmd == "run" || cmd == "help" || cmd == "quit" ||
                   std::find(names.begin(), names.end(), cmd) == names.end()))
    return std::nullopt;
  std::string timeout;
  for (int i = r.shell ? first + 1 : first; i < argc; ++i) {
    const std::string a = argv[i];
    auto take = [&](const char* flag, std::string& out) {
      return take_value(argc, argv, i, flag, out, err);
    };
    if (a == "--json") {
      r.opts.json = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      r.help = true;
      continue;
    }
    if (take("--cluster", r.opts.cluster) || take("--timeout", timeout) || r.security.take(take) ||
        take("--log-level", r.log_level))
      continue;
    if (std::string port; r.shell && take("--rest-port", port)) {
      char* end = nullptr;
      const long p = std::strtol(port.c_str(), &end, 10);
      if (port.empty() || *end != 0 || p < 0 || p > 65535)
        err = "eddy shell: --rest-port needs a port from 0 to 65535, not '" + port + "'";
      r.opts.rest_port = static_cast<int>(p);
      continue;
    }
    if (r.shell) {
      err = "eddy shell: unexpected '" + a +
            "' (flags: --cluster, --json, --timeout, --secret-file, --tls-*, --rest-port)";
      return r;
    }
    r.words.push_back(a);
  }
  if (!timeout.empty()) parse_timeout(timeout, r.opts.timeout, err);
  return r;
}

/// `eddy shell --help` and `eddy COMMAND --help`.
void print_shell_help(const shell_invocation& si) {
  const std::string flags =
      "  --cluster HOST:PORT   a coordinator (default for the shell: an embedded coordinator and\n"
      "                        worker in this process)\n"
      "  --json                print JSON\n"
      "  --timeout MS          how long to try reaching the cluster (default 10000)\n"
      "  --secret-file FILE, --tls-cert FILE, --tls-key FILE, --tls-ca FILE: see "
      "docs/deployment.md\n";
  if (si.shell) {
    std::printf(
        "Usage: eddy shell [--cluster HOST:PORT] [--json] [--timeout MS] [security flags]\n"
        "                  [--rest-port N]\n"
        "Interactive job control on a terminal; one command per line from a pipe or file (script\n"
        "mode). Flags:\n%s"
        "  --rest-port N         serve the cluster's REST API and dashboard on 127.0.0.1:N while\n"
        "                        the shell runs (docs/rest-api.md)\n"
        "Commands (type help in the shell):\n%s",
        flags.c_str(), eddy::cli::command_help({}).c_str());
    return;
  }
  const std::string name = si.words.empty() ? std::string() : si.words.front();
  std::printf("Usage: eddy %s --cluster HOST:PORT [--json] [--timeout MS]\n%sFlags:\n%s",
              name.c_str(), eddy::cli::command_help(name).c_str(), flags.c_str());
}

/// "unknown job 'wordcnt' (did you mean 'wordcount'?)" for a name no sample job has.
std::string unknown_job_message(const std::string& job) {
  std::vector<std::string> names;
  for (const auto& s : eddy::samples::sample_jobs()) names.push_back(s.name);
  auto guess = eddy::samples::closest_word(job, names);
  return "unknown job '" + job + "'" +
         (guess.empty() ? std::string(" (eddy run --list shows the jobs)")
                        : " (did you mean '" + guess + "'?)");
}

/// A sample job's --help and flag checks, before anything is sent to a cluster. Returns the exit
/// code if the command is done (help printed or an error), else nullopt.
std::optional<int> check_sample_job_args(const cluster_run& r) {
  if (!r.job_lib.empty()) return std::nullopt;  // the library's programs check their own
  if (!eddy::samples::find_sample_job(r.job)) return fail(unknown_job_message(r.job), 2);
  if (wants_help(r.args)) {
    std::printf("%s", eddy::samples::sample_job_help(r.job).c_str());
    return 0;
  }
  if (auto bad = eddy::samples::check_sample_args(r.job, r.args); !bad.empty())
    return fail(r.job + ": " + bad, 2);
  return std::nullopt;
}

/// Runs an embedded job to its end and prints its summary; returns the exit code (the job's
/// failure, a signal that canceled it, or bad input, each said in one `eddy: ` line).
/// `progress`: show the progress line on a terminal meanwhile.
int report_run(const std::function<eddy::job_result()>& run, bool progress = false) {
  try {
    std::optional<eddy::job_result> r;
    {
      std::optional<eddy::cli::progress_line> line;
      if (progress) line.emplace();
      r = run();
    }  // the line is erased before the summary
    print_summary(*r);
    return 0;
  } catch (const eddy::samples::job_interrupted& e) {
    fail(e.what());
    return e.exit_code;
  } catch (const eddy::job_execution_error& e) {
    return fail("job failed: " + std::string(e.what()));
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

/// `eddy run --job-lib LIB JOB ARGS...` without --cluster: the library's program on the embedded
/// runtime, stopped by SIGTERM/SIGINT like the sample jobs.
int run_library_embedded(const cluster_run& r) {
  if (r.job.empty()) return fail("name the job library's program to run", 2);
  auto reg = eddy::load_job_library(r.job_lib);
  if (!reg) return fail(reg.error().message, 2);
  auto program = (*reg)->find(r.job);
  if (!program) {
    std::vector<std::string> names;
    std::string all;
    for (const auto& [n, d] : (*reg)->list()) {
      names.push_back(n);
      all += (all.empty() ? "" : ", ") + n;
    }
    auto guess = eddy::samples::closest_word(r.job, names);
    return fail("job library '" + r.job_lib + "' has no program '" + r.job + "'" +
                    (guess.empty() ? " (it has: " + all + ")" : " (did you mean '" + guess + "'?)"),
                2);
  }
  eddy::built_job job;
  try {
    job = (*program)(r.args, eddy::job_build_context{});
  } catch (const std::exception& e) {
    return fail(r.job + ": " + e.what(), 2);
  }
  if (!job.graph) return fail("job '" + r.job + "' built no graph");
  if (job.name.empty()) job.name = r.job;
  eddy::local_runtime runtime;
  auto handle = runtime.submit(job.graph, job.config, job.name);
  if (!handle) return fail(handle.error().message, 2);
  return report_run([&] {
    return eddy::samples::wait_for_job(
        *handle, eddy::samples::stop_options{job.name, {}, job.config.checkpoints.directory});
  });
}

int run_on_cluster(const cluster_run& r) {
  if (r.job.empty()) return fail("name a job to run (eddy run --list shows the jobs)", 2);
  if (auto done = check_sample_job_args(r)) return *done;
  auto hp = eddy::parse_host_port(r.address);
  if (!hp) return fail("--cluster: " + hp.error().message, 2);
  auto sec = r.security.resolve();
  if (!sec) return fail(sec.error().message, 2);
  std::vector<std::string> notes;
  const auto args = eddy::samples::resolve_paths_for_cluster(r.job, r.args, notes);
  for (const auto& n : notes)
    std::fprintf(stderr,
                 "eddy: %s (the cluster's nodes read and write paths on their own machines)\n",
                 n.c_str());
  auto client = eddy::cluster_client::connect(hp->first, hp->second, *sec, r.timeout);
  if (!client) return fail(client.error().message);
  (*client)->on_notice([](const std::string& text) {  // e.g. the job waits for slots, and why
    std::fprintf(stderr, "eddy: %s\n", text.c_str());
  });
  auto id = (*client)->submit(r.job, args, r.job_lib);
  if (!id) return fail(id.error().message);
  if (r.detach) {
    std::printf("%s\n", id->c_str());
    return 0;
  }
  std::fprintf(stderr, "eddy: submitted job %s to %s\n", id->c_str(), r.address.c_str());
  auto res = (*client)->wait(*id);
  if (!res) return fail(res.error().message);
  if (!res->ok())
    return fail("job failed: " + (res->failure ? res->failure->message : std::string("?")));
  print_summary(*res);
  std::uint64_t bytes = 0;
  for (const auto& s : res->subtasks) bytes += s.remote_bytes_out;
  std::printf("network: %llu bytes of batches between nodes\n",
              static_cast<unsigned long long>(bytes));
  return 0;
}

/// Checks an embedded `eddy run JOB ARGS...` before CLI11 parses it, so that an unknown job or
/// flag is named as such (CLI11 would list the unexpected words, or report a required flag as
/// missing when it was only misspelt). Returns the error message, or "".
std::string check_run_words(int argc, char** argv, const CLI::App& run) {
  std::string log_level;
  int i = skip_log_level(argc, argv, log_level);
  if (i >= argc || std::string(argv[i]) != "run") return {};
  for (++i; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--log-level" || a == "--rest-port" || a == "--rest-host") {
      ++i;
      continue;
    }
    if (a.rfind("-", 0) == 0) continue;  // --list, --help, --log-level=X
    break;
  }
  if (i >= argc) return {};
  const std::string job = argv[i];
  const CLI::App* cmd = nullptr;
  try {
    cmd = run.get_subcommand(job);
  } catch (const CLI::OptionNotFound&) {
    return unknown_job_message(job);
  }
  std::vector<std::string> rest(argv + i + 1, argv + argc);
  auto bad = eddy::samples::first_unknown_flag(
      *cmd, rest, {"--log-level", "--rest-port", "--rest-host", "--quiet"});
  return bad.empty() ? std::string() : job + ": " + eddy::samples::unknown_flag_message(*cmd, bad);
}

}  // namespace

int main(int argc, char** argv) {
  eddy::samples::register_sample_programs(eddy::job_registry::global());
  eddy::job_registry::global().add(eddy::table::sql_program_name,
                                   "an INSERT of `eddy sql --cluster` (its SQL script)",
                                   eddy::table::sql_job_program);
  eddy::table::register_connector_tables();  // kafka, mqtt, jdbc tables in `eddy sql`
  {
    std::string log_level;
    const int first = skip_log_level(argc, argv, log_level);
    if (first < argc && std::string(argv[first]) == "sql") {
      eddy::cli::sql_client_options o;
      bool help = false;
      std::string err;
      if (!eddy::cli::parse_sql_client_args(argc, argv, first, o, help, err)) return fail(err, 2);
      if (help) {
        std::fputs(eddy::cli::sql_client_help().c_str(), stdout);
        return 0;
      }
      if (!o.log_level.empty()) log_level = o.log_level;
      if (!log_level.empty())
        if (auto ok = eddy::set_log_level(log_level); !ok) return fail(ok.error().message, 2);
      exit_now(eddy::cli::run_sql_client(o));
    }
  }
  {
    std::string err;
    auto cr = parse_cluster_run(argc, argv, err);
    if (!err.empty()) return fail(err + " (see --help)", 2);
    if (cr) {
      if (!cr->log_level.empty())
        if (auto ok = eddy::set_log_level(cr->log_level); !ok) return fail(ok.error().message, 2);
      const int rc = cr->cluster ? run_on_cluster(*cr) : run_library_embedded(*cr);
      exit_now(rc);
    }
  }
  {
    std::string err;
    auto si = parse_shell_invocation(argc, argv, err);
    if (!err.empty()) return fail(err, 2);
    if (si && si->help) {
      print_shell_help(*si);
      return 0;
    }
    if (si) {
      if (!si->log_level.empty())
        if (auto ok = eddy::set_log_level(si->log_level); !ok) return fail(ok.error().message, 2);
      auto sec = si->security.resolve();
      if (!sec) return fail(sec.error().message, 2);
      si->opts.security = *sec;
      exit_now(si->shell ? eddy::cli::run_shell(si->opts)
                         : eddy::cli::run_one_command(si->opts, si->words));
    }
  }
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
  // Documented here for --help; parse_cluster_run handles them before CLI11 runs.
  eddy::cli::rest_flags run_rest;
  run->add_option("--rest-port", run_rest.port,
                  "serve the REST API, /metrics and the dashboard on this port while the job runs "
                  "(0: any free port; see docs/rest-api.md)")
      ->check(CLI::Range(0, 65535));
  run->add_option("--rest-host", run_rest.host, "address of the REST server (loopback only)")
      ->capture_default_str();
  bool quiet = false;
  run->add_flag("--quiet", quiet,
                "no progress line on the terminal while the job runs (there is none when stderr "
                "is not a terminal)");
  std::string cluster_address;
  run->add_option("--cluster", cluster_address,
                  "HOST:PORT of a coordinator: run the job on that cluster instead of the embedded "
                  "runtime (also --detach, --timeout MS, --job-lib LIB, --secret-file, --tls-*)");

  // Handled before CLI11 runs; listed here for --help.
  app.add_subcommand("sql",
                     "the SQL client: eddy sql [-f FILE | -e STATEMENT] [--cluster HOST:PORT] (see "
                     "docs/sql.md)")
      ->allow_extras();
  // Handled by parse_shell_invocation before CLI11 runs; listed here for --help.
  app.add_subcommand("shell",
                     "interactive job control (eddy shell [--cluster HOST:PORT] [--json]; see "
                     "docs/shell.md); the commands jobs, status, cancel, savepoint, stop, resume, "
                     "rescale, checkpoints, watch and workers also run one-shot with --cluster")
      ->allow_extras();
  auto* coord = app.add_subcommand("coordinator", "start a cluster coordinator");
  std::string listen = "127.0.0.1:6123";
  eddy::coordinator_options co;
  security_flags coord_sec;
  int hb_ms = 1000, hb_timeout_ms = 10000, slot_timeout_s = 60;
  coord->add_option("--listen", listen, "HOST:PORT to accept workers and clients on (port 0: any)")
      ->capture_default_str();
  coord
      ->add_option("--state-dir", co.state_dir,
                   "directory for checkpoints, job libraries and the running jobs (a restarted "
                   "coordinator resumes them from here)")
      ->capture_default_str();
  const auto day_ms = 24LL * 3600 * 1000;
  coord->add_option("--heartbeat-interval", hb_ms, "milliseconds between worker heartbeats")
      ->check(eddy::samples::positive_integer("milliseconds", day_ms))
      ->capture_default_str();
  coord
      ->add_option("--heartbeat-timeout", hb_timeout_ms,
                   "milliseconds without a heartbeat after which a worker is lost")
      ->check(eddy::samples::positive_integer("milliseconds", day_ms))
      ->capture_default_str();
  coord
      ->add_option("--slot-timeout", slot_timeout_s,
                   "seconds a job waits for enough free slots before it fails")
      ->check(eddy::samples::positive_integer("seconds", 7 * 24 * 3600))
      ->capture_default_str();
  eddy::cli::rest_flags coord_rest;
  coord
      ->add_option("--rest-port", coord_rest.port,
                   "serve the REST API, /metrics and the web dashboard on this port (0: any free "
                   "port; see docs/rest-api.md)")
      ->check(CLI::Range(0, 65535));
  coord
      ->add_option("--rest-host", coord_rest.host,
                   "address of the REST server (not loopback: needs --secret-file or --insecure)")
      ->capture_default_str();
  coord_sec.add(*coord, true);
  std::string coord_log_file;
  coord->add_option("--log-file", coord_log_file,
                    "write the log to this file (appended to) instead of stderr");

  auto* token_cmd = app.add_subcommand(
      "rest-token", "print the REST API's bearer token for a cluster secret (docs/rest-api.md)");
  std::string token_secret_file;
  token_cmd->add_option("--secret-file", token_secret_file, "file holding the cluster secret")
      ->required();

  auto* work = app.add_subcommand("worker", "start a cluster worker");
  std::string coordinator_address = "127.0.0.1:6123";
  eddy::worker_options wo;
  security_flags work_sec;
  int worker_hb_ms = 1000;
  work->add_option("--coordinator", coordinator_address, "HOST:PORT of the coordinator")
      ->capture_default_str();
  work->add_option("--slots", wo.slots, "subtask slots this worker offers")
      ->check(eddy::samples::positive_integer("slots", 1024))
      ->capture_default_str();
  work->add_option("--host", wo.host,
                   "address other workers reach this one on (it listens there on a free port)")
      ->capture_default_str();
  work->add_option("--name", wo.name, "name in the coordinator's logs (default host:pid)");
  work->add_option("--work-dir", wo.work_dir, "where job libraries shipped to it are stored");
  work->add_option("--heartbeat-interval", worker_hb_ms, "milliseconds between heartbeats")
      ->check(eddy::samples::positive_integer("milliseconds", day_ms))
      ->capture_default_str();
  work->add_option("--threads", wo.threads,
                   "scheduler threads running the subtasks (default: the number of cores)")
      ->check(eddy::samples::positive_integer("threads", 1024));
  eddy::cli::rest_flags work_rest;
  work->add_option("--rest-port", work_rest.port,
                   "serve this worker's read-only REST API, /metrics and dashboard on this port "
                   "(0: any free port; see docs/rest-api.md)")
      ->check(CLI::Range(0, 65535));
  work->add_option("--rest-host", work_rest.host,
                   "address of the REST server (not loopback: needs --secret-file or --insecure)")
      ->capture_default_str();
  work_sec.add(*work, true);
  std::string work_log_file;
  work->add_option("--log-file", work_log_file,
                   "write the log to this file (appended to) instead of stderr");

  if (auto bad = check_run_words(argc, argv, *run); !bad.empty()) return fail(bad, 2);
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

  if (coord->parsed()) {
    auto hp = eddy::parse_host_port(listen);
    if (!hp) return fail("--listen: " + hp.error().message, 2);
    auto sec = coord_sec.resolve();
    if (!sec) return fail(sec.error().message, 2);
    co.host = hp->first;
    co.port = hp->second;
    co.security = *sec;
    co.heartbeat_interval = std::chrono::milliseconds(hb_ms);
    co.heartbeat_timeout = std::chrono::milliseconds(hb_timeout_ms);
    co.slot_timeout = std::chrono::seconds(slot_timeout_s);
    if (!coord_log_file.empty())
      if (auto ok = eddy::log_to_file(coord_log_file); !ok) return fail(ok.error().message, 2);
    if (auto ok = eddy::cli::check_rest_flags(coord_rest, co.security); !ok)
      return fail(ok.error().message, 2);
    install_stop_handlers();
    std::unique_ptr<eddy::cli::rest_service> rest;
    std::string rest_error;
    auto r = eddy::run_coordinator(
        co, [&] { return stop_signal != 0 || !rest_error.empty(); },
        [&](std::uint16_t port) {
          std::printf("eddy coordinator listening on %s:%u\n", co.host.c_str(), port);
          if (coord_rest.wanted()) {
            auto served = eddy::cli::start_coordinator_rest(coord_rest, co.host, port, co.security);
            if (served) {
              rest = std::move(*served);
              std::printf("REST API on http://%s:%u/\n", coord_rest.host.c_str(), rest->port());
            } else {
              rest_error = served.error().message;
            }
          }
          std::fflush(stdout);
        });
    rest.reset();
    if (!rest_error.empty()) exit_now(fail(rest_error));
    if (!r) exit_now(fail(r.error().message));
    exit_now(0);
  }
  if (work->parsed()) {
    auto hp = eddy::parse_host_port(coordinator_address);
    if (!hp) return fail("--coordinator: " + hp.error().message, 2);
    auto sec = work_sec.resolve();
    if (!sec) return fail(sec.error().message, 2);
    wo.coordinator_host = hp->first;
    wo.coordinator_port = hp->second;
    wo.security = *sec;
    wo.heartbeat_interval = std::chrono::milliseconds(worker_hb_ms);
    if (!work_log_file.empty())
      if (auto ok = eddy::log_to_file(work_log_file); !ok) return fail(ok.error().message, 2);
    if (auto ok = eddy::cli::check_rest_flags(work_rest, wo.security); !ok)
      return fail(ok.error().message, 2);
    install_stop_handlers();
    std::unique_ptr<eddy::cli::rest_service> rest;
    if (work_rest.wanted()) {
      wo.view = std::make_shared<eddy::worker_view>();
      auto served = eddy::cli::start_worker_rest(work_rest, wo.view, wo.security);
      if (!served) return fail(served.error().message);
      rest = std::move(*served);
      std::printf("REST API on http://%s:%u/\n", work_rest.host.c_str(), rest->port());
      std::fflush(stdout);
    }
    auto r = eddy::run_worker(wo, [] { return stop_signal != 0; });
    rest.reset();
    if (!r) exit_now(fail(r.error().message));
    exit_now(0);
  }

  if (token_cmd->parsed()) {
    auto secret = eddy::read_secret_file(token_secret_file);
    if (!secret) return fail("--secret-file: " + secret.error().message, 2);
    std::printf("%s\n", eddy::rest_api_token(*secret).c_str());
    return 0;
  }
  if (run->parsed()) {
    if (list) {
      for (const auto& s : eddy::samples::sample_jobs())
        std::printf("%-12s %s\n", s.name.c_str(), s.description.c_str());
      return 0;
    }
    if (!job) return fail("name a job to run (eddy run --list shows the jobs)", 2);
    std::unique_ptr<eddy::cli::rest_service> rest;
    if (run_rest.wanted()) {
      if (auto ok = eddy::cli::check_rest_flags(run_rest, {}); !ok)
        return fail(ok.error().message, 2);
      const auto name = run->get_subcommands().front()->get_name();
      auto served = eddy::cli::start_embedded_rest(
          run_rest, name, eddy::cli::program_args_of_run(argc, argv, name), "eddy-savepoints");
      if (!served) return fail(served.error().message);
      rest = std::move(*served);
      std::fprintf(stderr, "REST API on http://%s:%u/\n", run_rest.host.c_str(), rest->port());
    }
    const int rc = report_run(job, !quiet);
    rest.reset();
    return rc;
  }
  return 0;
}
