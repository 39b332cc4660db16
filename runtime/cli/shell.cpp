// The job control commands of `eddy shell` (see shell.hpp and docs/shell.md).
#include "shell.hpp"

#include <editline/readline.h>
#include <poll.h>
#include <sys/select.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <mutex>
#include <string_view>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "eddy/runtime/job_program.hpp"
#include "eddy/runtime/log.hpp"
#include "flag_checks.hpp"
#include "rest_cli.hpp"
#include "sample_job.hpp"
#include "shell_text.hpp"

namespace eddy::cli {

namespace {

using nlohmann::json;

/// SIGINT/SIGTERM in script mode (see run_shell): commands stop, submitted jobs are canceled.
volatile std::sig_atomic_t stop_signal = 0;
void on_shell_stop_signal(int sig) {  // internal linkage: main.cpp and the samples have theirs
  stop_signal = sig;
}

bool ended_state(const std::string& state) {
  return state == "FINISHED" || state == "FAILED" || state == "CANCELED";
}

struct command {
  std::string name;
  std::string usage;
  std::string help;
};

const std::vector<command>& commands() {
  static const std::vector<command> cmds = {
      {"help", "help [COMMAND]", "list the commands, or explain one"},
      {"run", "run [--job-lib LIB] JOB [ARGS...]",
       "submit a job (a sample job or a program of LIB); prints its id"},
      {"jobs", "jobs", "the jobs: id, name, state, uptime, parallelism, records, last checkpoint"},
      {"status", "status ID",
       "one job: per subtask records in/out, records/s, backpressure, watermark"},
      {"cancel", "cancel ID", "cancel a job"},
      {"savepoint", "savepoint ID [DIR]",
       "take a savepoint (DIR on the coordinator; default STATE_DIR/savepoints); prints its path"},
      {"stop", "stop ID [--savepoint DIR] [--drain]",
       "stop a job with a savepoint (--drain: every event-time window fires first); prints its "
       "path"},
      {"resume", "resume SAVEPOINT JOB [ARGS...]",
       "submit a job restoring from a savepoint or checkpoint; prints its id"},
      {"rescale", "rescale ID N",
       "stop with a savepoint and resume at parallelism N (-p N); prints the new job's id"},
      {"checkpoints", "checkpoints ID", "a job's completed checkpoints and savepoints"},
      {"watch", "watch ID [SECONDS]",
       "a live view of a job, refreshed every second until a key is pressed, the job ends or "
       "SECONDS passed"},
      {"workers", "workers", "the workers: slots used and free, last heartbeat"},
      {"send", "send ID CHANNEL TEXT...",
       "send a line to the job's control channel CHANNEL (TEXT: the rest of the line as typed); "
       "prints its sequence number"},
      {"pattern", "pattern ID add|remove PATTERN_ID [TEXT...]",
       "add or replace (TEXT: the pattern text), or remove, a CEP pattern of a job with dynamic "
       "patterns: a definition on its channel 'patterns'"},
      {"patterns", "patterns ID", "the pattern definitions sent to a job's channel 'patterns'"},
      {"quit", "quit", "leave the shell (also exit, Ctrl-D)"},
  };
  return cmds;
}

std::string closest_command(const std::string& word) {
  std::string best;
  std::size_t best_d = 3;  // suggest only close matches
  for (const auto& c : commands()) {
    const auto d = samples::edit_distance(word, c.name);
    if (d < best_d) {
      best_d = d;
      best = c.name;
    }
  }
  return best;
}

std::string duration_text(std::int64_t ms) {
  char buf[64];
  if (ms < 60'000)
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
  else if (ms < 3'600'000)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms / 1000 % 60));
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60));
  return buf;
}

std::string watermark_text(std::int64_t w) {
  if (w == std::numeric_limits<std::int64_t>::min()) return "-";
  if (w == std::numeric_limits<std::int64_t>::max()) return "end";
  return std::to_string(w);
}

/// A command's outcome: what to print (stdout), or an error line.
struct outcome {
  bool ok = true;
  std::string text;
  static outcome fail(std::string msg) { return {false, std::move(msg)}; }
};

class session {
 public:
  /// `remote`: the cluster is not this process's embedded one (its nodes may be other
  /// machines, where relative paths mean nothing).
  session(std::unique_ptr<cluster_client> client, bool json, bool remote = false,
          std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : client_(std::move(client)), json_(json), remote_(remote), timeout_(timeout) {}

  /// Runs one command line (already split into words). `line`: the line as typed, if it was
  /// (commands that take free text, such as send, take it from there, quotes kept); empty for
  /// a one-shot command, whose text is its words joined with spaces.
  outcome execute(std::vector<std::string> words, bool interactive, const std::string& line = {}) {
    bool json = json_;
    if (auto it = std::find(words.begin(), words.end(), "--json"); it != words.end()) {
      json = true;
      words.erase(it);
    }
    if (words.empty()) return {};
    const auto name = words[0];
    const std::vector<std::string> args(words.begin() + 1, words.end());
    auto need = [&](std::size_t n) -> std::optional<outcome> {
      if (args.size() >= n) return std::nullopt;
      for (const auto& c : commands())
        if (c.name == name) return outcome::fail("usage: " + c.usage);
      return outcome::fail("usage error");
    };
    if (name == "help") return help(args, json);
    if (name == "run") {
      if (auto u = need(1)) return *u;
      std::string lib;
      std::size_t first = 0;
      if (args[0] == "--job-lib") {
        if (args.size() < 3) return outcome::fail("usage: run [--job-lib LIB] JOB [ARGS...]");
        lib = args[1];
        first = 2;
      }
      return submit(args[first], {args.begin() + static_cast<long>(first) + 1, args.end()}, lib, {},
                    json);
    }
    if (name == "resume") {
      if (auto u = need(2)) return *u;
      return submit(args[1], {args.begin() + 2, args.end()}, {}, args[0], json);
    }
    if (name == "jobs") return jobs(json);
    if (name == "workers") return workers(json);
    if (name == "status") {
      if (auto u = need(1)) return *u;
      return status(args[0], json);
    }
    if (name == "checkpoints") {
      if (auto u = need(1)) return *u;
      return checkpoints(args[0], json);
    }
    if (name == "cancel") {
      if (auto u = need(1)) return *u;
      auto r = client_->cancel(args[0]);
      if (r) let_go_.push_back(args[0]);
      if (!r) return outcome::fail(r.error().message);
      return {true, json ? json::object({{"id", args[0]}, {"canceled", true}}).dump() + "\n"
                         : "canceling " + args[0] + "\n"};
    }
    if (name == "savepoint" || name == "stop") {
      if (auto u = need(1)) return *u;
      std::string dir;
      bool drain = false;
      if (name == "savepoint" && args.size() > 1) dir = args[1];
      if (name == "stop")
        for (std::size_t i = 1; i < args.size(); ++i) {
          if (args[i] == "--drain") {
            drain = true;
          } else if (args[i] == "--savepoint" && i + 1 < args.size()) {
            dir = args[++i];
          } else {
            return outcome::fail("stop: unexpected '" + args[i] +
                                 "' (usage: stop ID [--savepoint DIR] [--drain])");
          }
        }
      auto r = client_->savepoint(args[0], dir, name == "stop", drain);
      if (!r) return outcome::fail(r.error().message);
      if (name == "stop") let_go_.push_back(args[0]);
      return {true,
              json ? json::object({{"id", args[0]}, {"savepoint", *r}}).dump() + "\n" : *r + "\n"};
    }
    if (name == "rescale") {
      if (auto u = need(2)) return *u;
      int p = 0;
      try {
        p = std::stoi(args[1]);
      } catch (...) {
      }
      if (p < 1) return outcome::fail("rescale: the parallelism must be a positive number");
      auto r = client_->rescale(args[0], p);
      if (r) let_go_.push_back(args[0]);  // stopped with a savepoint
      return submitted(r, json);
    }
    if (name == "send") {
      if (auto u = need(3)) return *u;
      const auto text = line.empty() ? join_words(args, 2) : rest_after_words(line, 3);
      return send(args[0], args[1], text, json);
    }
    if (name == "pattern") {
      if (auto u = need(3)) return *u;
      if (args[1] == "add") {
        if (auto u = need(4)) return *u;
        const auto text = line.empty() ? join_words(args, 3) : rest_after_words(line, 4);
        return pattern(args[0], args[2], text, json);
      }
      if (args[1] == "remove") {
        if (args.size() > 3) return outcome::fail("usage: pattern ID remove PATTERN_ID");
        return pattern(args[0], args[2], {}, json);
      }
      return outcome::fail("pattern: '" + args[1] +
                           "' is neither add nor remove (usage: pattern ID add|remove "
                           "PATTERN_ID [TEXT...])");
    }
    if (name == "patterns") {
      if (auto u = need(1)) return *u;
      return patterns(args[0], json);
    }
    if (name == "watch") {
      if (auto u = need(1)) return *u;
      if (args.size() > 2) return outcome::fail("usage: watch ID [SECONDS]");
      int seconds = 0;  // 0: no limit
      if (args.size() > 1) {
        try {
          std::size_t used = 0;
          seconds = std::stoi(args[1], &used);
          if (used != args[1].size()) seconds = 0;
        } catch (...) {
        }
        if (seconds < 1) return outcome::fail("watch: SECONDS must be a positive whole number");
      }
      return watch(args[0], interactive, seconds, json);
    }
    auto guess = closest_command(name);
    return outcome::fail("unknown command '" + name + "'" +
                         (guess.empty() ? std::string(" (help lists the commands)")
                                        : " (did you mean '" + guess + "'?)"));
  }

  /// The jobs this session submitted that have not ended and that it did not cancel, stop or
  /// rescale itself (a job being canceled is not waited for either): what the end of an
  /// embedded cluster would lose. Each as {id, name}.
  expected<std::vector<std::pair<std::string, std::string>>> unfinished_jobs() {
    std::vector<std::pair<std::string, std::string>> out;
    if (submitted_.empty()) return out;
    auto list = client_->list_jobs();
    if (!list) return list.error();
    for (const auto& j : json::parse(*list, nullptr, false)) {
      if (!j.is_object()) continue;
      const auto id = j.value("id", "");
      const auto state = j.value("state", "");
      if (std::find(submitted_.begin(), submitted_.end(), id) == submitted_.end() ||
          std::find(let_go_.begin(), let_go_.end(), id) != let_go_.end() || ended_state(state) ||
          state == "CANCELING")
        continue;
      out.emplace_back(id, j.value("name", ""));
    }
    return out;
  }

  /// The state of job `id` ("" if unknown) and its failure message, if any.
  std::pair<std::string, std::string> state_of(const std::string& id) {
    auto st = client_->job_status(id);
    if (!st) return {};
    auto j = json::parse(*st, nullptr, false);
    if (!j.is_object()) return {};
    return {j.value("state", ""), j.contains("failure") ? j["failure"].get<std::string>() : ""};
  }

  expected<void> cancel(const std::string& id) { return client_->cancel(id); }

  /// Job ids, for completion.
  std::vector<std::string> job_ids() {
    std::vector<std::string> out;
    auto list = client_->list_jobs();
    if (!list) return out;
    for (const auto& j : json::parse(*list, nullptr, false))
      if (j.is_object()) out.push_back(j.value("id", ""));
    return out;
  }

 private:
  /// The commands (or one), as a table or, with --json, as [{"command", "usage", "help"}].
  outcome help(const std::vector<std::string>& args, bool as_json) {
    auto as_object = [](const auto& c) {
      return json::object({{"command", c.name}, {"usage", c.usage}, {"help", c.help}});
    };
    if (!args.empty()) {
      for (const auto& c : commands())
        if (c.name == args[0])
          return {true, as_json ? as_object(c).dump() + "\n" : c.usage + "\n  " + c.help + "\n"};
      return outcome::fail("no command '" + args[0] + "'");
    }
    if (as_json) {
      auto list = json::array();
      for (const auto& c : commands()) list.push_back(as_object(c));
      return {true, list.dump() + "\n"};
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : commands()) rows.push_back({c.usage, c.help});
    return {true, table(rows) + "Every command takes --json.\n"};
  }

  /// `run` and `resume`: a sample job's --help and unknown flags are answered here; relative paths
  /// of a sample job (and the savepoint) are made absolute for a remote cluster, saying so.
  outcome submit(const std::string& job, std::vector<std::string> args, const std::string& lib,
                 std::string savepoint, bool json) {
    if (lib.empty() && samples::find_sample_job(job)) {
      if (std::find(args.begin(), args.end(), "--help") != args.end() ||
          std::find(args.begin(), args.end(), "-h") != args.end())
        return {true, samples::sample_job_help(job)};
      if (auto bad = samples::check_sample_args(job, args); !bad.empty())
        return outcome::fail(job + ": " + bad);
    }
    if (remote_) {
      std::vector<std::string> notes;
      args = samples::resolve_paths_for_cluster(job, std::move(args), notes);
      if (!savepoint.empty() && std::filesystem::path(savepoint).is_relative()) {
        const auto abs = std::filesystem::absolute(savepoint).lexically_normal().string();
        notes.push_back("savepoint " + savepoint + " -> " + abs);
        savepoint = abs;
      }
      for (const auto& n : notes)
        std::fprintf(stderr,
                     "eddy: %s (the cluster's nodes read and write paths on their own "
                     "machines)\n",
                     n.c_str());
    }
    return submitted(client_->submit(job, args, lib, savepoint), json);
  }

  outcome submitted(const expected<std::string>& id, bool json) {
    if (!id) return outcome::fail(id.error().message);
    submitted_.push_back(*id);
    return {true, json ? json::object({{"id", *id}}).dump() + "\n" : *id + "\n"};
  }

  /// A job just submitted is CREATED until it is deployed (it may wait for slots): waits up to
  /// the session's timeout for it to be deployed. Errors: no such job; still not deployed.
  expected<void> await_deployed(const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    for (;;) {
      auto st = client_->job_status(id);
      if (!st) return st.error();
      auto j = json::parse(*st, nullptr, false);
      const auto state = j.is_object() ? j.value("state", "") : std::string();
      if (state != "CREATED") return {};
      if (std::chrono::steady_clock::now() >= deadline || stop_signal != 0)
        return error{errc::invalid_argument, "job " + id + " is not running yet (CREATED; waited " +
                                                 std::to_string(timeout_.count()) +
                                                 " ms, --timeout)"};
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  /// `send`: a line on a job's control channel.
  outcome send(const std::string& id, const std::string& channel, const std::string& text,
               bool as_json) {
    if (auto ready = await_deployed(id); !ready) return outcome::fail(ready.error().message);
    auto seq = client_->send_control(id, channel, text);
    if (!seq) return outcome::fail(seq.error().message);
    return {true,
            as_json ? json::object({{"id", id}, {"channel", channel}, {"seq", *seq}}).dump() + "\n"
                    : channel + " #" + std::to_string(*seq) + "\n"};
  }

  /// The definitions sent on a job's channel "patterns" (messages that are not JSON objects
  /// are left out).
  expected<std::vector<json>> sent_definitions(const std::string& id) {
    auto log = client_->control_messages(id, "patterns");
    if (!log) return log.error();
    std::vector<json> out;
    for (const auto& m : json::parse(*log, nullptr, false)) {
      auto d = json::parse(m.value("text", ""), nullptr, false);
      if (!d.is_object()) continue;
      d["seq"] = m.value("seq", std::uint64_t{0});
      out.push_back(std::move(d));
    }
    return out;
  }

  /// `pattern ID add|remove`: a definition (cep/pattern_definition_json.hpp's JSON form) on the
  /// channel "patterns"; `text` empty: remove. The version is the time in milliseconds, or one
  /// more than the highest sent so far, so that it always grows.
  outcome pattern(const std::string& id, const std::string& pattern_id, const std::string& text,
                  bool as_json) {
    for (char c : pattern_id)
      if (c == ' ' || c == '\t' || c == ':' || c == '@' || c == '"')
        return outcome::fail("pattern: the pattern id '" + pattern_id +
                             "' has a character an id cannot have ('" + std::string(1, c) + "')");
    if (auto ready = await_deployed(id); !ready) return outcome::fail(ready.error().message);
    auto sent = sent_definitions(id);
    if (!sent) return outcome::fail(sent.error().message);
    std::int64_t version = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    for (const auto& d : *sent)
      if (d.contains("version") && d["version"].is_number_integer())
        version = std::max(version, d["version"].get<std::int64_t>() + 1);
    json def = {{"id", pattern_id}, {"version", version}};
    if (text.empty())
      def["remove"] = true;
    else
      def["pattern"] = text;
    auto seq = client_->send_control(id, "patterns", def.dump());
    if (!seq) return outcome::fail(seq.error().message);
    if (as_json)
      return {true, json::object({{"id", id},
                                  {"pattern", pattern_id},
                                  {"version", version},
                                  {"removed", text.empty()},
                                  {"seq", *seq}})
                            .dump() +
                        "\n"};
    return {true, "pattern " + pattern_id + " version " + std::to_string(version) +
                      (text.empty() ? " (remove)" : "") + " sent to " + id + " (patterns #" +
                      std::to_string(*seq) + ")\n"};
  }

  /// `patterns ID`: what was sent on the channel "patterns", oldest first.
  outcome patterns(const std::string& id, bool as_json) {
    auto sent = sent_definitions(id);
    if (!sent) return outcome::fail(sent.error().message);
    if (as_json) return {true, json(*sent).dump() + "\n"};
    if (sent->empty()) return {true, "no pattern definitions sent to " + id + "\n"};
    std::vector<std::vector<std::string>> rows = {{"SEQ", "PATTERN", "VERSION", "DEFINITION"}};
    for (const auto& d : *sent) {
      const bool removes = d.value("remove", false) || !d.contains("pattern") ||
                           !d["pattern"].is_string() || d["pattern"].get<std::string>().empty();
      rows.push_back({std::to_string(d.value("seq", std::uint64_t{0})), d.value("id", ""),
                      d.contains("version") ? d["version"].dump() : "-",
                      removes ? "(remove)" : d["pattern"].get<std::string>()});
    }
    return {true, table(rows)};
  }

  outcome jobs(bool as_json) {
    auto list = client_->list_jobs();
    if (!list) return outcome::fail(list.error().message);
    if (as_json) return {true, *list + "\n"};
    std::vector<std::vector<std::string>> rows = {{"ID", "NAME", "STATE", "UPTIME", "PARALLELISM",
                                                   "RECORDS-IN", "RECORDS-OUT", "CHECKPOINT"}};
    std::string waits;  // why jobs wait for slots, below the table
    for (const auto& j : json::parse(*list)) {
      const auto ckpt = j.value("last_checkpoint", std::uint64_t{0});
      rows.push_back({j.value("id", ""), j.value("name", ""), j.value("state", ""),
                      duration_text(j.value("uptime_ms", std::int64_t{0})),
                      std::to_string(j.value("parallelism", 0)),
                      std::to_string(j.value("records_in", std::uint64_t{0})),
                      std::to_string(j.value("records_out", std::uint64_t{0})),
                      ckpt ? std::to_string(ckpt) : "-"});
      if (j.contains("waiting"))
        waits += j.value("id", "") + " " + j["waiting"].value("reason", "") + "\n";
    }
    if (rows.size() == 1) return {true, "no jobs\n"};
    return {true, table(rows) + waits};
  }

  outcome workers(bool as_json) {
    auto list = client_->workers();
    if (!list) return outcome::fail(list.error().message);
    if (as_json) return {true, *list + "\n"};
    std::vector<std::vector<std::string>> rows = {
        {"ID", "NAME", "ADDRESS", "SLOTS", "USED", "FREE", "HEARTBEAT"}};
    for (const auto& w : json::parse(*list))
      rows.push_back({std::to_string(w.value("id", 0)), w.value("name", ""), w.value("address", ""),
                      std::to_string(w.value("slots", 0)), std::to_string(w.value("used", 0)),
                      std::to_string(w.value("free", 0)),
                      std::to_string(w.value("heartbeat_ms_ago", 0)) + " ms ago"});
    if (rows.size() == 1) return {true, "no workers\n"};
    return {true, table(rows)};
  }

  /// Two samples `window` apart give the rates.
  outcome status(const std::string& id, bool as_json,
                 std::chrono::milliseconds window = std::chrono::milliseconds(500)) {
    auto first = client_->job_status(id);
    if (!first) return outcome::fail(first.error().message);
    std::this_thread::sleep_for(window);
    auto second = client_->job_status(id);
    if (!second) return outcome::fail(second.error().message);
    auto a = json::parse(*first);
    auto b = json::parse(*second);
    const double secs = std::chrono::duration<double>(window).count();
    auto& subs = b["subtasks"];
    for (std::size_t i = 0; i < subs.size() && i < a["subtasks"].size(); ++i) {
      const auto& before = a["subtasks"][i];
      auto& now = subs[i];
      now["records_per_sec"] = static_cast<double>(now.value("records_in", std::uint64_t{0}) -
                                                   before.value("records_in", std::uint64_t{0})) /
                               secs;
      now["backpressure_ratio"] =
          std::min(1.0, static_cast<double>(now.value("backpressure_ns", std::uint64_t{0}) -
                                            before.value("backpressure_ns", std::uint64_t{0})) /
                            (secs * 1e9));
    }
    if (as_json) return {true, b.dump() + "\n"};
    std::string args;
    for (const auto& x : b["args"]) args += " " + x.get<std::string>();
    std::string out = b.value("id", "") + "  " + b.value("name", "") + "  " + b.value("state", "") +
                      "  up " + duration_text(b.value("uptime_ms", std::int64_t{0})) +
                      "  restarts " + std::to_string(b.value("restarts", 0)) +
                      "\n  program: " + b.value("program", "") + args + "\n";
    if (b.contains("failure")) out += "  failure: " + b["failure"].get<std::string>() + "\n";
    if (b.contains("waiting")) out += "  " + b["waiting"].value("reason", "") + "\n";
    std::vector<std::vector<std::string>> rows = {{"OPERATOR CHAIN", "SUBTASK", "STATE",
                                                   "RECORDS-IN", "RECORDS-OUT", "RECORDS/S",
                                                   "BACKPRESSURE", "WATERMARK"}};
    for (const auto& s : subs) {
      char rate[32], bp[32];
      std::snprintf(rate, sizeof rate, "%.0f", s.value("records_per_sec", 0.0));
      std::snprintf(bp, sizeof bp, "%.0f%%", 100.0 * s.value("backpressure_ratio", 0.0));
      rows.push_back({s.value("task", ""), std::to_string(s.value("index", 0)),
                      s.value("state", ""), std::to_string(s.value("records_in", std::uint64_t{0})),
                      std::to_string(s.value("records_out", std::uint64_t{0})), rate, bp,
                      watermark_text(s.value("watermark", std::int64_t{0}))});
    }
    return {true, out + table(rows)};
  }

  outcome checkpoints(const std::string& id, bool as_json) {
    auto st = client_->job_status(id);
    if (!st) return outcome::fail(st.error().message);
    auto j = json::parse(*st);
    if (as_json) return {true, j["checkpoints"].dump() + "\n"};
    std::vector<std::vector<std::string>> rows = {{"ID", "DURATION", "BYTES", "SAVEPOINT"}};
    for (const auto& c : j["checkpoints"])
      rows.push_back({std::to_string(c.value("id", std::uint64_t{0})),
                      std::to_string(c.value("duration_ms", std::int64_t{0})) + " ms",
                      std::to_string(c.value("bytes", std::uint64_t{0})),
                      c.value("savepoint_path", "")});
    std::string aborted =
        std::to_string(j.value("aborted_checkpoints", std::uint64_t{0})) + " aborted\n";
    if (rows.size() == 1) return {true, "no completed checkpoints, " + aborted};
    return {true, table(rows) + aborted};
  }

  /// Refreshes the job's status every second until a key is pressed (on a terminal), the job
  /// ended or `seconds` passed (0: no limit; scripts watching an unbounded job need one). With
  /// --json: one status object per line, no screen clearing.
  outcome watch(const std::string& id, bool interactive, int seconds, bool as_json) {
    using std::chrono::milliseconds;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (;;) {
      auto window = milliseconds(1000);  // status() measures rates over it
      if (seconds > 0) {
        const auto left =
            std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now());
        window = std::clamp(left, milliseconds(100), window);
      }
      auto s = status(id, as_json, window);
      if (!s.ok) return s;
      const bool screen = interactive && !as_json;
      std::printf("%s%s", screen ? "\033[H\033[2J" : "", s.text.c_str());
      if (screen) std::printf("(press Enter to stop watching)\n");
      std::fflush(stdout);
      if (seconds > 0 && std::chrono::steady_clock::now() >= until) return {};
      if (stop_signal) return outcome::fail("watch: interrupted");
      auto st = client_->job_status(id);
      if (st) {
        const auto state = json::parse(*st).value("state", "");
        if (ended_state(state)) return {};
      }
      if (interactive) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(0, &fds);
        timeval tv{0, 0};
        if (::select(1, &fds, nullptr, nullptr, &tv) > 0) {
          std::string discard;
          std::getline(std::cin, discard);
          return {};
        }
      }
    }
  }

  std::unique_ptr<cluster_client> client_;
  bool json_;
  bool remote_;
  std::chrono::milliseconds timeout_;   // how long send and pattern wait for a deploying job
  std::vector<std::string> submitted_;  // ids of the jobs run, resume and rescale started
  std::vector<std::string> let_go_;     // ids this session canceled, stopped or rescaled
};

// ---- connecting -------------------------------------------------------------------------------

std::atomic<bool> embedded_stop{false};

/// Starts a coordinator and a worker in this process (the shell's embedded default); returns
/// the coordinator's port. Their threads run until the process exits.
expected<std::uint16_t> start_embedded() {
  auto state =
      std::filesystem::temp_directory_path() / ("eddy-shell-" + std::to_string(::getpid()));
  auto port = std::make_shared<std::promise<expected<std::uint16_t>>>();
  auto fut = port->get_future();
  std::thread([state, port] {
    coordinator_options o;
    o.port = 0;
    o.state_dir = state.string();
    o.threads = 2;
    auto r = run_coordinator(
        o, [] { return embedded_stop.load(); }, [port](std::uint16_t p) { port->set_value(p); });
    if (!r) port->set_value(r.error());
  }).detach();
  auto p = fut.get();
  if (!p) return p.error();
  std::thread([p = *p] {
    worker_options w;
    w.coordinator_port = p;
    w.slots = 16;
    w.name = "embedded";
    w.heartbeat_interval = std::chrono::milliseconds(500);
    [[maybe_unused]] auto r = run_worker(w, [] { return embedded_stop.load(); });
  }).detach();
  return *p;
}

/// Connects, retrying until the timeout.
expected<std::unique_ptr<cluster_client>> connect(const shell_options& opts) {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  if (opts.cluster.empty()) {
    auto p = start_embedded();
    if (!p) return p.error();
    port = *p;
  } else {
    auto hp = parse_host_port(opts.cluster);
    if (!hp) return hp.error();
    host = hp->first;
    port = hp->second;
  }
  const auto end = std::chrono::steady_clock::now() + opts.timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    auto c = cluster_client::connect(host, port, opts.security,
                                     std::max(left, std::chrono::milliseconds(1)));
    if (c && opts.rest_port >= 0) {
      // Served for the rest of the process (the shell ends with it).
      static std::unique_ptr<rest_service> rest;
      rest_flags f;
      f.port = opts.rest_port;
      auto served = start_coordinator_rest(f, host, port, opts.security);
      if (!served) return served.error();
      rest = std::move(*served);
      std::fprintf(stderr, "REST API on http://127.0.0.1:%u/\n", rest->port());
    }
    if (c) return c;
    // invalid_argument: refused, or not an Eddy coordinator there; trying again cannot help.
    const bool final = c.error().code == errc::invalid_argument;
    if (final || std::chrono::steady_clock::now() >= end)
      return error{c.error().code, final ? c.error().message
                                         : "cluster unreachable at " + host + ":" +
                                               std::to_string(port) + " (gave up after " +
                                               std::to_string(opts.timeout.count()) +
                                               " ms): " + c.error().message};
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// ---- line editing -----------------------------------------------------------------------------

session* completing = nullptr;
std::vector<std::string> candidates;

char* next_candidate(const char* text, int state) {
  static std::size_t i = 0;
  if (state == 0) i = 0;
  const std::string prefix = text;
  while (i < candidates.size()) {
    const auto& c = candidates[i++];
    if (c.rfind(prefix, 0) == 0) return ::strdup(c.c_str());
  }
  return nullptr;
}

/// Commands first; job names after run/resume; job ids after the commands that take one.
char** complete(const char* text, int start, int) {
  rl_attempted_completion_over = 1;
  const auto words = split_words(std::string(rl_line_buffer, static_cast<std::size_t>(start)));
  candidates.clear();
  if (words.empty()) {
    for (const auto& c : commands()) candidates.push_back(c.name);
  } else if ((words[0] == "run" && words.size() == 1) ||
             (words[0] == "resume" && words.size() == 2)) {
    for (const auto& [name, desc] : job_registry::global().list()) candidates.push_back(name);
  } else if (words.size() == 1 && completing) {
    static const std::vector<std::string> take_id = {"status",  "cancel",  "savepoint",   "stop",
                                                     "rescale", "watch",   "checkpoints", "send",
                                                     "pattern", "patterns"};
    if (std::find(take_id.begin(), take_id.end(), words[0]) != take_id.end())
      candidates = completing->job_ids();
  } else if (words[0] == "help" && words.size() == 1) {
    for (const auto& c : commands()) candidates.push_back(c.name);
  }
  return rl_completion_matches(text, next_candidate);
}

std::string history_file() {
  const char* home = std::getenv("HOME");
  return (home ? std::string(home) : std::string(".")) + "/.eddy_history";
}

int report(const outcome& o) {
  if (o.ok) {
    std::fputs(o.text.c_str(), stdout);
    std::fflush(stdout);
    return 0;
  }
  std::fprintf(stderr, "eddy: %s\n", o.text.c_str());
  return 1;
}

/// Waits until the embedded worker registered with the embedded coordinator (a job submitted
/// before would wait for slots on "0 workers"); gives up after `timeout` saying so.
void await_embedded_worker(cluster_client& client, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto list = client.workers();
    if (list) {
      auto w = json::parse(*list, nullptr, false);
      if (w.is_array() && !w.empty()) return;
    }
    if (std::chrono::steady_clock::now() >= end || stop_signal) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr,
               "eddy: the embedded worker has not registered with the embedded coordinator after "
               "%lld ms; jobs wait for its slots\n",
               static_cast<long long>(timeout.count()));
}

/// One line of stdin at a time, without blocking SIGINT/SIGTERM handling: false at the end of
/// input or once a stop signal arrived.
class script_reader {
 public:
  bool next(std::string& line) {
    for (;;) {
      if (stop_signal) return false;
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        line = buf_.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        buf_.erase(0, nl + 1);
        return true;
      }
      if (eof_) {
        if (buf_.empty()) return false;
        line = std::move(buf_);
        buf_.clear();
        return true;
      }
      pollfd p{0, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;  // a timeout or a signal: check the flag again
      char chunk[4096];
      const auto n = ::read(0, chunk, sizeof chunk);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  std::string buf_;
  bool eof_ = false;
};

/// Cancels `jobs` after a stop signal, saying so; returns the exit code (128 + the signal).
int cancel_on_signal(session& s, const std::vector<std::pair<std::string, std::string>>& jobs) {
  const int sig = stop_signal;
  std::string ids;
  for (const auto& [id, name] : jobs) {
    ids += (ids.empty() ? "" : ", ") + id;
    if (auto r = s.cancel(id); !r)
      std::fprintf(stderr, "eddy: cannot cancel %s: %s\n", id.c_str(), r.error().message.c_str());
  }
  if (jobs.empty())
    std::fprintf(stderr, "eddy: %s: stopped\n", sig == SIGINT ? "interrupted" : "terminated");
  else
    std::fprintf(stderr, "eddy: %s: canceled %zu job%s of the embedded cluster: %s\n",
                 sig == SIGINT ? "interrupted" : "terminated", jobs.size(),
                 jobs.size() == 1 ? "" : "s", ids.c_str());
  return 128 + sig;
}

/// Script mode on the embedded cluster, at the end of input: waits for the jobs the script
/// started to end, then prints one line per job, "ID NAME STATE" (with --json an object with
/// id, name, state and failure). Returns 1 if one did not finish, 128 + signal if a stop signal
/// canceled them, else 0.
int await_script_jobs(session& s, bool as_json) {
  auto jobs = s.unfinished_jobs();
  if (!jobs) {
    std::fprintf(stderr, "eddy: cannot list the jobs to wait for: %s\n",
                 jobs.error().message.c_str());
    return 1;
  }
  if (jobs->empty()) return 0;
  std::string ids;
  for (const auto& [id, name] : *jobs) ids += " " + id;
  std::fprintf(
      stderr, "eddy: waiting for %zu job%s to end (embedded cluster):%s (SIGINT/SIGTERM cancels)\n",
      jobs->size(), jobs->size() == 1 ? "" : "s", ids.c_str());
  int rc = 0;
  for (const auto& [id, name] : *jobs) {
    std::pair<std::string, std::string> st;
    for (;;) {
      if (stop_signal) {
        auto left = s.unfinished_jobs();
        return cancel_on_signal(s, left ? *left : *jobs);
      }
      st = s.state_of(id);
      if (st.first.empty() || ended_state(st.first)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const auto state = st.first.empty() ? std::string("UNKNOWN") : st.first;
    if (state != "FINISHED") rc = 1;
    if (as_json) {
      auto o = json::object({{"id", id}, {"name", name}, {"state", state}});
      if (!st.second.empty()) o["failure"] = st.second;
      std::printf("%s\n", o.dump().c_str());
    } else {
      std::printf("%s %s %s\n", id.c_str(), name.c_str(), state.c_str());
    }
    std::fflush(stdout);
    if (!st.second.empty())
      std::fprintf(stderr, "eddy: job %s %s: %s\n", id.c_str(), state.c_str(), st.second.c_str());
  }
  return rc;
}

}  // namespace

std::string command_help(const std::string& name) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : commands()) {
    if (c.name == name) return c.usage + "\n  " + c.help + "\n";
    rows.push_back({c.usage, c.help});
  }
  return table(rows);
}

const std::vector<std::string>& shell_commands() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& c : commands()) v.push_back(c.name);
    return v;
  }();
  return names;
}

int run_one_command(const shell_options& opts, const std::vector<std::string>& words) {
  if (opts.cluster.empty()) {
    std::fprintf(stderr,
                 "eddy: %s needs --cluster HOST:PORT (without one, use eddy shell, whose "
                 "embedded cluster lives as long as the shell)\n",
                 words.empty() ? "a command" : words[0].c_str());
    return 2;
  }
  auto client = connect(opts);
  if (!client) {
    std::fprintf(stderr, "eddy: %s\n", client.error().message.c_str());
    return 1;
  }
  session s(std::move(*client), opts.json, !opts.cluster.empty(), opts.timeout);
  return report(s.execute(words, ::isatty(0) != 0));
}

int run_shell(const shell_options& opts) {
  auto client = connect(opts);
  if (!client) {
    std::fprintf(stderr, "eddy: %s\n", client.error().message.c_str());
    return 1;
  }
  const bool embedded = opts.cluster.empty();
  if (embedded) await_embedded_worker(**client, opts.timeout);
  session s(std::move(*client), opts.json, !opts.cluster.empty(), opts.timeout);
  const bool interactive = ::isatty(0) != 0;
  if (!interactive) {
    // Script mode: a command per line, only results on stdout; non-zero if any failed. The
    // embedded cluster ends with the shell: at the end of input it waits for the script's jobs.
    // SIGINT/SIGTERM stop reading and cancel them.
    struct sigaction sa {};
    sa.sa_handler = on_shell_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    int rc = 0;
    script_reader in;
    for (std::string line; in.next(line);) {
      auto words = split_words(line);
      if (words.empty() || words[0].rfind("#", 0) == 0) continue;
      if (words[0] == "quit" || words[0] == "exit") break;
      if (report(s.execute(words, false, line)) != 0) rc = 1;
      if (stop_signal) break;
    }
    if (stop_signal) {
      std::vector<std::pair<std::string, std::string>> jobs;
      if (embedded)
        if (auto left = s.unfinished_jobs()) jobs = std::move(*left);
      return cancel_on_signal(s, jobs);
    }
    if (embedded) {
      const int waited = await_script_jobs(s, opts.json);
      if (waited != 0) return waited;
    }
    return rc;
  }
  std::printf(
      "Eddy shell, connected to %s. Type help for the commands.\n",
      opts.cluster.empty() ? "an embedded cluster (1 worker, 16 slots)" : opts.cluster.c_str());
  const auto history = history_file();
  using_history();
  read_history(history.c_str());
  completing = &s;
  rl_attempted_completion_function = complete;
  for (;;) {
    char* raw = readline("eddy> ");
    if (!raw) break;  // Ctrl-D
    std::string line = raw;
    std::free(raw);
    auto words = split_words(line);
    if (words.empty()) continue;
    add_history(line.c_str());
    write_history(history.c_str());
    if (words[0] == "quit" || words[0] == "exit") break;
    report(s.execute(words, true, line));
  }
  completing = nullptr;
  if (embedded) {  // the embedded cluster ends with the shell: say what that ends
    auto jobs = s.unfinished_jobs();
    if (jobs && !jobs->empty()) {
      std::string ids;
      for (const auto& [id, name] : *jobs) {
        ids += (ids.empty() ? "" : ", ") + id;
        [[maybe_unused]] auto r = s.cancel(id);
      }
      std::fprintf(stderr,
                   "eddy: leaving the shell ends its embedded cluster: canceled %zu running job%s: "
                   "%s\n",
                   jobs->size(), jobs->size() == 1 ? "" : "s", ids.c_str());
    }
  }
  return 0;
}

}  // namespace eddy::cli
