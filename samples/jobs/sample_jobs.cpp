#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "alerts.hpp"
#include "eddy/operators/datastream.hpp"
#include "eddy/runtime/checkpoint_store.hpp"
#include "eddy/runtime/job_program.hpp"
#include "eddy/runtime/log.hpp"
#include "endpoints.hpp"
#include "flag_checks.hpp"
#include "fraud.hpp"
#include "job_runner.hpp"
#include "sample_job.hpp"
#include "sensors.hpp"
#include "wordcount.hpp"

namespace eddy::samples {

namespace {

/// "3 entries: part-0-0-0, .part-0-1-4.inprogress (hidden: uncommitted output), ..." for a
/// directory that is not empty (hidden entries are named too: `ls` does not show them).
std::string directory_contents(const std::string& path) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path, ec))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::string out = std::to_string(names.size()) + (names.size() == 1 ? " entry: " : " entries: ");
  bool hidden_in_progress = false;
  for (std::size_t i = 0; i < names.size() && i < 3; ++i) {
    out += (i ? ", " : "") + names[i];
    if (names[i].rfind(".part-", 0) == 0) hidden_in_progress = true;
  }
  if (names.size() > 3) out += ", ...";
  if (hidden_in_progress)
    out += "; the hidden .part-*.inprogress files are uncommitted output of a run that did not end";
  return out;
}

/// What a fresh run checks of its output directories, and what it says if one is in use.
struct output_check {
  std::string job;             // the job's name
  std::string checkpoint_dir;  // --checkpoint-dir, or empty
};

/// The output directory must be new or empty: part files of an earlier run (with another
/// parallelism, say) would otherwise silently mix into this run's output.
void require_output_dir(const std::string& flag, const std::string& path,
                        const output_check& check) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return;
  if (!std::filesystem::is_directory(path, ec))
    throw std::invalid_argument(flag + ": '" + path + "' exists and is not a directory");
  if (std::filesystem::is_empty(path, ec)) return;
  std::string msg =
      flag + ": directory '" + path + "' is not empty (" + directory_contents(path) + ")";
  std::uint64_t last = 0;
  if (!check.checkpoint_dir.empty() && std::filesystem::exists(check.checkpoint_dir, ec))
    if (auto store = checkpoint_store::open(check.checkpoint_dir))
      if (auto done = (*store)->completed(check.job); done && !done->empty())
        last = done->back().id;
  if (last != 0)
    msg += ": checkpoint " + std::to_string(last) + " of job '" + check.job + "' in " +
           check.checkpoint_dir + " can continue that run: add --resume latest";
  else
    msg += ": remove it or choose another directory";
  throw std::invalid_argument(msg);
}

/// The fault-tolerance flags every sample job accepts.
struct fault_tolerance_options {
  std::string checkpoint_dir;
  int checkpoint_interval_ms = 0;
  std::string resume;  // "latest" or a checkpoint store / savepoint directory
  std::string savepoint_on_stop;
  bool drain = false;
  double source_rate = 0;
  int latency_interval_ms = 0;
};

void add_fault_tolerance_flags(CLI::App& cmd, fault_tolerance_options& o) {
  cmd.add_option("--checkpoint-dir", o.checkpoint_dir,
                 "take exactly-once checkpoints into this directory (an LMDB store; created if "
                 "missing)");
  cmd.add_option("--checkpoint-interval", o.checkpoint_interval_ms,
                 "milliseconds between checkpoints (default 1000 with --checkpoint-dir)")
      ->check(positive_integer("milliseconds", 24 * 3600 * 1000));
  cmd.add_option("--resume", o.resume,
                 "'latest': continue from the last completed checkpoint in --checkpoint-dir (from "
                 "the beginning if it has none); PATH: resume from a savepoint or checkpoint "
                 "directory. The output directories may then hold the earlier run's files");
  cmd.add_option("--savepoint-on-stop", o.savepoint_on_stop,
                 "on SIGTERM or SIGINT take a savepoint under this directory, then stop (prints "
                 "its path; resume with --resume PATH)");
  cmd.add_flag("--drain", o.drain,
               "with --savepoint-on-stop: advance event time to the end before the savepoint, so "
               "every window fires and its output is committed (to end a job for good, Flink's "
               "stop --drain)");
  cmd.add_option("--source-rate", o.source_rate,
                 "slow the sources down to this many records per second (for demonstrations and "
                 "failure tests)")
      ->check(positive_number("records per second", 1e12));
  cmd.add_option("--latency-interval", o.latency_interval_ms,
                 "send latency markers from the sources every this many milliseconds; the sinks "
                 "measure their end-to-end latency (REST API, /metrics; Flink's "
                 "metrics.latency.interval)")
      ->check(positive_integer("milliseconds", 24 * 3600 * 1000));
}

/// How a run starts.
enum class start_kind {
  fresh,     // no --resume: output directories must be new or empty
  resumed,   // from a checkpoint or savepoint: the sinks reconcile the earlier run's files
  restarted  // --resume latest without a completed checkpoint: the earlier run's output goes
};

/// Empties an output directory of an earlier run that left no checkpoint to resume from.
void clear_output_dir(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return;
  for (const auto& e : std::filesystem::directory_iterator(path, ec))
    std::filesystem::remove_all(e.path(), ec);
}

/// Checks the output directory flag `flag` for a run that starts as `kind`.
void prepare_output_dir(start_kind kind, const std::string& flag, const std::string& value,
                        const output_check& check) {
  if (value.empty()) return;
  check_output_uri(flag, value);
  const auto path = output_directory(value);
  if (path.empty()) return;  // a connector: nothing to prepare
  if (kind == start_kind::fresh) require_output_dir(flag, path, check);
  if (kind == start_kind::restarted) clear_output_dir(path);
}

/// Checks the flags and applies them to `env`. `cluster`: the job is built as a job program
/// (job_program.hpp) for a cluster, whose coordinator keeps the checkpoints.
start_kind apply_fault_tolerance(StreamEnvironment& env, const fault_tolerance_options& o,
                                 const std::string& job_name,
                                 const job_build_context* cluster = nullptr) {
  auto& cfg = env.config();
  cfg.source_rate = o.source_rate;
  cfg.latency_interval = std::chrono::milliseconds(o.latency_interval_ms);
  if (o.drain && o.savepoint_on_stop.empty() && !cluster)
    throw std::invalid_argument("--drain needs --savepoint-on-stop DIR");
  if (cluster) {
    if (!o.checkpoint_dir.empty())
      throw std::invalid_argument(
          "--checkpoint-dir: in a cluster the checkpoints go to the coordinator's --state-dir; "
          "give only --checkpoint-interval");
    if (!o.savepoint_on_stop.empty())
      throw std::invalid_argument("--savepoint-on-stop is not available with --cluster");
    if (o.drain)
      throw std::invalid_argument(
          "--drain is not available with --cluster (stop the job with 'eddy stop ID --drain')");
    if (o.checkpoint_interval_ms > 0) {
      cfg.checkpoints.directory = cluster->checkpoint_dir;
      cfg.checkpoints.interval = std::chrono::milliseconds(o.checkpoint_interval_ms);
    }
    if (cluster->resuming) return start_kind::resumed;  // the coordinator restores
    if (o.resume.empty()) return start_kind::fresh;
    if (!cluster->prepare) return start_kind::resumed;  // a worker: the coordinator restores
    if (o.resume == "latest") {
      auto store = checkpoint_store::open(cluster->checkpoint_dir);
      if (!store) throw std::invalid_argument("coordinator store: " + store.error().message);
      auto done = (*store)->completed(job_name);
      if (!done) throw std::invalid_argument("coordinator store: " + done.error().message);
      if (done->empty()) {
        log().warn(
            "no completed checkpoint of job '{}' on the coordinator: starting from the "
            "beginning",
            job_name);
        return start_kind::restarted;
      }
      cfg.restore_from = cluster->checkpoint_dir;
      return start_kind::resumed;
    }
    cfg.restore_from = o.resume;
    return start_kind::resumed;
  }
  if (o.checkpoint_interval_ms > 0 && o.checkpoint_dir.empty())
    throw std::invalid_argument("--checkpoint-interval needs --checkpoint-dir");
  if (!o.checkpoint_dir.empty()) {
    cfg.checkpoints.directory = o.checkpoint_dir;
    cfg.checkpoints.interval =
        std::chrono::milliseconds(o.checkpoint_interval_ms > 0 ? o.checkpoint_interval_ms : 1000);
  }
  if (o.resume.empty()) return start_kind::fresh;
  if (o.resume == "latest") {
    if (o.checkpoint_dir.empty())
      throw std::invalid_argument("--resume latest needs --checkpoint-dir");
    auto store = checkpoint_store::open(o.checkpoint_dir);
    if (!store) throw std::invalid_argument("--checkpoint-dir: " + store.error().message);
    auto done = (*store)->completed(job_name);
    if (!done) throw std::invalid_argument("--checkpoint-dir: " + done.error().message);
    if (done->empty()) {
      log().warn("no completed checkpoint of job '{}' in {}: starting from the beginning", job_name,
                 o.checkpoint_dir);
      return start_kind::restarted;
    }
    cfg.restore_from = o.checkpoint_dir;
    return start_kind::resumed;
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(o.resume, ec))
    throw std::invalid_argument("--resume: no savepoint or checkpoint directory '" + o.resume +
                                "'");
  cfg.restore_from = o.resume;
  return start_kind::resumed;
}

void prepare_sensors_outputs(start_kind kind, const sensors_options& o, const output_check& check) {
  prepare_output_dir(kind, "--output", o.output, check);
  prepare_output_dir(kind, "--late", o.late, check);
  prepare_output_dir(kind, "--alerts", o.alerts, check);
  prepare_output_dir(kind, "--dead-letter", o.dead_letter, check);
}

/// Runs the job; SIGTERM/SIGINT stop it with a savepoint (--savepoint-on-stop) or cancel it.
job_result run_job(StreamEnvironment& env, const std::string& name,
                   const fault_tolerance_options& o) {
  auto handle = env.execute_async(name);
  if (!handle) throw std::invalid_argument(handle.error().message);
  return wait_for_job(*handle, stop_options{name, o.savepoint_on_stop, o.checkpoint_dir, o.drain});
}

void add_wordcount_flags(CLI::App& cmd, wordcount_options& o, fault_tolerance_options& ft) {
  cmd.add_option("--input", o.input,
                 "text file to count the words of, - for stdin, file:///DIR (its files), a "
                 "bounded kafka:// URI, or a postgresql:// URI (table= or query=; rows as CSV "
                 "lines)")
      ->required();
  cmd.add_option("--output", o.output,
                 "output directory (created if missing), kafka:// URI, or postgresql:// URI (an "
                 "existing table: 2 columns, word then count, keyed by word); one 'word,count' "
                 "line per word")
      ->required();
  cmd.add_option("--parallelism,-p", o.parallelism, "parallelism of every operator")
      ->check(positive_integer("subtasks", 128))
      ->capture_default_str();
  add_fault_tolerance_flags(cmd, ft);
}

std::function<job_result()> setup_wordcount(CLI::App& cmd) {
  auto opts = std::make_shared<wordcount_options>();
  auto ft = std::make_shared<fault_tolerance_options>();
  add_wordcount_flags(cmd, *opts, *ft);
  return [opts, ft] {
    check_input("--input", opts->input, true);
    StreamEnvironment env;
    const auto kind = apply_fault_tolerance(env, *ft, "wordcount");
    prepare_output_dir(kind, "--output", opts->output, {"wordcount", ft->checkpoint_dir});
    build_wordcount(env, *opts);
    return run_job(env, "wordcount", *ft);
  };
}

/// Parses a program's arguments with the flags `add` defines (the same as `eddy run JOB`).
/// An unknown flag is named as such (not reported as a missing required one); `--help` gives
/// the flags (as an error: a program builds a job or fails).
template <class Add>
void parse_program_args(const std::string& job, const std::vector<std::string>& args, Add&& add) {
  CLI::App app{"", job};
  add(app);
  if (auto bad = first_unknown_flag(app, args); !bad.empty())
    throw std::invalid_argument(unknown_flag_message(app, bad));
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    throw std::invalid_argument("the flags of " + job + ":\n" + app.help());
  } catch (const CLI::ParseError& e) {
    throw std::invalid_argument(e.what());
  }
}

built_job wordcount_program(const std::vector<std::string>& args, const job_build_context& ctx) {
  wordcount_options opts;
  fault_tolerance_options ft;
  parse_program_args("wordcount", args, [&](CLI::App& a) { add_wordcount_flags(a, opts, ft); });
  StreamEnvironment env;
  if (ctx.prepare) check_input("--input", opts.input, true);
  const auto kind = apply_fault_tolerance(env, ft, "wordcount", &ctx);
  if (ctx.prepare) prepare_output_dir(kind, "--output", opts.output, {"wordcount", {}});
  build_wordcount(env, opts);
  return env.take_job("wordcount");
}

void add_sensors_flags(CLI::App& cmd, sensors_options& o, fault_tolerance_options& ft);

std::function<job_result()> setup_sensors(CLI::App& cmd) {
  auto opts = std::make_shared<sensors_options>();
  auto ft = std::make_shared<fault_tolerance_options>();
  add_sensors_flags(cmd, *opts, *ft);
  return [opts, ft] {
    check_input("--input", opts->input, false, true);
    StreamEnvironment env;
    const auto kind = apply_fault_tolerance(env, *ft, "sensors");
    prepare_sensors_outputs(kind, *opts, {"sensors", ft->checkpoint_dir});
    build_sensors(env, *opts);
    return run_job(env, "sensors", *ft);
  };
}

built_job sensors_program(const std::vector<std::string>& args, const job_build_context& ctx) {
  sensors_options opts;
  fault_tolerance_options ft;
  parse_program_args("sensors", args, [&](CLI::App& a) { add_sensors_flags(a, opts, ft); });
  StreamEnvironment env;
  if (ctx.prepare) check_input("--input", opts.input, false, true);
  const auto kind = apply_fault_tolerance(env, ft, "sensors", &ctx);
  if (ctx.prepare) prepare_sensors_outputs(kind, opts, {"sensors", {}});
  build_sensors(env, opts);
  return env.take_job("sensors");
}

void add_sensors_flags(CLI::App& cmd, sensors_options& o, fault_tolerance_options& ft) {
  auto* opts = &o;
  cmd.add_option("--input", opts->input,
                 "CSV readings: device_id,ts_ms,temperature (a file, - for stdin, "
                 "file:///DIR[?monitor=1s] for a directory's files, a kafka:// URI: one "
                 "message per line, an mqtt:// URI: one message per reading, e.g. "
                 "mqtt://HOST:PORT/sensors/#?client-id=ID&qos=1&format=json, or a postgresql:// "
                 "URI: rows as CSV lines, e.g. query=SELECT device_id, ts_ms, temperature FROM t "
                 "ORDER BY ts_ms)")
      ->required();
  cmd.add_option("--output", opts->output,
                 "directory (or kafka:// or mqtt:// URI) for window results: "
                 "device_id,window_start_ms,window_end_ms,count,avg,max; or a postgresql:// URI "
                 "(table=NAME[&create-table=true]: upserted by device_id, window_start; see "
                 "docs/connectors.md)")
      ->required();
  cmd.add_option("--late", opts->late,
                 "directory (or kafka://, mqtt:// or postgresql:// URI: an existing table) for "
                 "readings "
                 "too late for their window");
  cmd.add_option("--alerts", opts->alerts,
                 "directory (or kafka://, mqtt:// e.g. mqtt://HOST:PORT/alerts/{1}?qos=1, or "
                 "postgresql:// URI: an existing table) for alerts: "
                 "device_id,window_end_ms,ALERT for the third and later adjacent window with "
                 "avg > 80");
  cmd.add_option("--dead-letter", opts->dead_letter,
                 "directory (or kafka:// or mqtt:// URI) for malformed lines (line number and "
                 "reason; from mqtt:// the message's topic); "
                 "without it they are reported on stderr");
  cmd.add_option("--parallelism,-p", opts->parallelism, "parallelism of the windows")
      ->check(positive_integer("subtasks", 128))
      ->capture_default_str();
  add_fault_tolerance_flags(cmd, ft);
}

void add_fraud_flags(CLI::App& cmd, fraud_options& o, fault_tolerance_options& ft) {
  cmd.add_option("--input", o.input,
                 "CSV transactions: card_id,ts_ms,amount, at most 1999 ms out of order (a file, - "
                 "for stdin, file:///DIR for a directory's files, or a kafka://, mqtt:// or "
                 "postgresql:// URI as for sensors)")
      ->required();
  cmd.add_option("--output", o.output,
                 "directory (or URI) for matches: card_id,small_ts,large_ts,large_amount (a "
                 "transaction under 1.00 followed by one over 500.00 within 60 s)")
      ->required();
  cmd.add_option("--timeouts", o.timeouts,
                 "directory (or URI) for small transactions no large one followed within 60 s: "
                 "card_id,small_ts")
      ->required();
  cmd.add_option("--dead-letter", o.dead_letter,
                 "directory (or URI) for malformed and late lines (line number and reason); "
                 "without it they are reported on stderr");
  cmd.add_option("--parallelism,-p", o.parallelism, "parallelism of the pattern matching")
      ->check(positive_integer("subtasks", 128))
      ->capture_default_str();
  add_fault_tolerance_flags(cmd, ft);
}

void prepare_fraud_outputs(start_kind kind, const fraud_options& o, const output_check& check) {
  prepare_output_dir(kind, "--output", o.output, check);
  prepare_output_dir(kind, "--timeouts", o.timeouts, check);
  prepare_output_dir(kind, "--dead-letter", o.dead_letter, check);
}

std::function<job_result()> setup_fraud(CLI::App& cmd) {
  auto opts = std::make_shared<fraud_options>();
  auto ft = std::make_shared<fault_tolerance_options>();
  add_fraud_flags(cmd, *opts, *ft);
  return [opts, ft] {
    check_input("--input", opts->input, false, true);
    StreamEnvironment env;
    const auto kind = apply_fault_tolerance(env, *ft, "fraud");
    prepare_fraud_outputs(kind, *opts, {"fraud", ft->checkpoint_dir});
    build_fraud(env, *opts);
    return run_job(env, "fraud", *ft);
  };
}

built_job fraud_program(const std::vector<std::string>& args, const job_build_context& ctx) {
  fraud_options opts;
  fault_tolerance_options ft;
  parse_program_args("fraud", args, [&](CLI::App& a) { add_fraud_flags(a, opts, ft); });
  StreamEnvironment env;
  if (ctx.prepare) check_input("--input", opts.input, false, true);
  const auto kind = apply_fault_tolerance(env, ft, "fraud", &ctx);
  if (ctx.prepare) prepare_fraud_outputs(kind, opts, {"fraud", {}});
  build_fraud(env, opts);
  return env.take_job("fraud");
}

void add_alerts_flags(CLI::App& cmd, alerts_options& o, fault_tolerance_options& ft) {
  cmd.add_option("--input", o.input,
                 "CSV transactions: card_id,ts_ms,amount, at most 1999 ms out of order (as for "
                 "fraud: a file, -, file:///DIR, or a kafka://, mqtt:// or postgresql:// URI)")
      ->required();
  cmd.add_option("--output", o.output,
                 "directory (or URI) for matches: pattern_id,card_id,first_ts,last_ts,last_amount "
                 "(first and last event of the match)")
      ->required();
  cmd.add_option("--patterns", o.patterns,
                 "file of initial pattern definitions, one per line: 'ID: PATTERN TEXT', "
                 "'ID@VERSION: ...' or JSON {\"id\", \"version\", \"pattern\"} (docs/cep.md); "
                 "later ones come from the control channel 'patterns' (eddy shell: pattern ID "
                 "add|remove ...)");
  cmd.add_option("--rejected", o.rejected,
                 "directory (or URI) for refused definitions (malformed, or a pattern text that "
                 "does not compile) with the reason; without it they are reported on stderr");
  cmd.add_option("--dead-letter", o.dead_letter,
                 "directory (or URI) for malformed and late lines (line number and reason); "
                 "without it they are reported on stderr");
  cmd.add_option("--parallelism,-p", o.parallelism, "parallelism of the pattern matching")
      ->check(positive_integer("subtasks", 128))
      ->capture_default_str();
  add_fault_tolerance_flags(cmd, ft);
}

void prepare_alerts_outputs(start_kind kind, const alerts_options& o, const output_check& check) {
  prepare_output_dir(kind, "--output", o.output, check);
  prepare_output_dir(kind, "--rejected", o.rejected, check);
  prepare_output_dir(kind, "--dead-letter", o.dead_letter, check);
}

std::function<job_result()> setup_alerts(CLI::App& cmd) {
  auto opts = std::make_shared<alerts_options>();
  auto ft = std::make_shared<fault_tolerance_options>();
  add_alerts_flags(cmd, *opts, *ft);
  return [opts, ft] {
    check_input("--input", opts->input, false, true);
    StreamEnvironment env;
    const auto kind = apply_fault_tolerance(env, *ft, "alerts");
    build_alerts(env, *opts);  // reads --patterns first: a bad one is named before any output
    prepare_alerts_outputs(kind, *opts, {"alerts", ft->checkpoint_dir});
    return run_job(env, "alerts", *ft);
  };
}

built_job alerts_program(const std::vector<std::string>& args, const job_build_context& ctx) {
  alerts_options opts;
  fault_tolerance_options ft;
  parse_program_args("alerts", args, [&](CLI::App& a) { add_alerts_flags(a, opts, ft); });
  StreamEnvironment env;
  if (ctx.prepare) check_input("--input", opts.input, false, true);
  const auto kind = apply_fault_tolerance(env, ft, "alerts", &ctx);
  build_alerts(env, opts);
  if (ctx.prepare) prepare_alerts_outputs(kind, opts, {"alerts", {}});
  return env.take_job("alerts");
}

}  // namespace

const std::vector<sample_job>& sample_jobs() {
  static const std::vector<std::string> common_paths = {"--input", "--output", "--checkpoint-dir",
                                                        "--resume", "--savepoint-on-stop"};
  static const std::vector<sample_job> jobs = {
      {"wordcount", "counts the words of a text file (batch)", setup_wordcount, common_paths},
      {"sensors", "10-second event-time windows per device, late data, alerts", setup_sensors,
       [] {
         auto p = common_paths;
         p.insert(p.end(), {"--late", "--alerts", "--dead-letter"});
         return p;
       }()},
      {"fraud", "CEP: per card a small transaction followed by a large one within 60 s",
       setup_fraud,
       [] {
         auto p = common_paths;
         p.insert(p.end(), {"--timeouts", "--dead-letter"});
         return p;
       }()},
      {"alerts",
       "CEP: patterns as text over card transactions, changed while the job runs (eddy shell)",
       setup_alerts,
       [] {
         auto p = common_paths;
         p.insert(p.end(), {"--patterns", "--rejected", "--dead-letter"});
         return p;
       }()},
  };
  return jobs;
}

const sample_job* find_sample_job(const std::string& name) {
  for (const auto& s : sample_jobs())
    if (s.name == name) return &s;
  return nullptr;
}

std::string sample_job_help(const std::string& name) {
  const auto* s = find_sample_job(name);
  if (!s) return {};
  CLI::App app{s->description, name};
  s->setup(app);
  return app.help();
}

std::string check_sample_args(const std::string& name, const std::vector<std::string>& args) {
  const auto* s = find_sample_job(name);
  if (!s) return {};
  CLI::App app{s->description, name};
  s->setup(app);
  auto bad = first_unknown_flag(app, args);
  return bad.empty() ? std::string() : unknown_flag_message(app, bad);
}

std::vector<std::string> resolve_paths_for_cluster(const std::string& name,
                                                   std::vector<std::string> args,
                                                   std::vector<std::string>& notes) {
  const auto* s = find_sample_job(name);
  if (!s) return args;
  auto resolve = [&](const std::string& flag, std::string& value) {
    if (value.empty() || value == "-" || (flag == "--resume" && value == "latest")) return;
    if (is_endpoint_uri(value)) return;  // kafka://..., file:///ABSOLUTE
    std::filesystem::path p(value);
    if (p.is_absolute()) return;
    const auto abs = std::filesystem::absolute(p).lexically_normal().string();
    notes.push_back(flag + " " + value + " -> " + abs);
    value = abs;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    for (const auto& flag : s->path_flags) {
      if (args[i] == flag && i + 1 < args.size()) {
        resolve(flag, args[++i]);
        break;
      }
      if (args[i].rfind(flag + "=", 0) == 0) {
        auto value = args[i].substr(flag.size() + 1);
        resolve(flag, value);
        args[i] = flag + "=" + value;
        break;
      }
    }
  }
  return args;
}

void register_sample_programs(job_registry& registry) {
  registry.add("wordcount", "counts the words of a text file (batch)", wordcount_program);
  registry.add("sensors", "10-second event-time windows per device, late data, alerts",
               sensors_program);
  registry.add("fraud", "CEP: per card a small transaction followed by a large one within 60 s",
               fraud_program);
  registry.add("alerts",
               "CEP: patterns as text over card transactions, changed while the job runs "
               "(eddy shell)",
               alerts_program);
}

}  // namespace eddy::samples
