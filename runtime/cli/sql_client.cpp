// `eddy sql` (see sql_client.hpp).
#include "sql_client.hpp"

#include <editline/readline.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "eddy/rows/temporal.hpp"
#include "eddy/runtime/cluster.hpp"
#include "eddy/sql/keywords.hpp"
#include "eddy/table/sql_job.hpp"
#include "eddy/table/sql_session.hpp"
#include "rest_cli.hpp"

namespace eddy::cli {

namespace {

volatile std::sig_atomic_t sql_stop_signal = 0;
void on_sql_stop_signal(int sig) {  // internal linkage: main.cpp and the shell have theirs
  sql_stop_signal = sig;
}

void print_error(std::string_view text, const sql::parse_error& e) {
  if (e.where.line == 0)
    std::fprintf(stderr, "[ERROR] %s\n", e.message.c_str());
  else
    std::fprintf(stderr, "[ERROR] %s\n", sql::render_error(text, e).c_str());
}

void print_result(const table::statement_result& r) {
  std::fputs(table::render_tableau(r).c_str(), stdout);
  std::fflush(stdout);
}

/// Runs `text`; false after the first error (printed).
bool run_text(table::sql_session& s, std::string_view text) {
  auto r = s.execute_script(text, print_result);
  if (!r) {
    print_error(text, r.error());
    return false;
  }
  return true;
}

/// Whether `buffer` ends a statement: its last non-blank character is ';' outside quotes and
/// comments.
bool statement_complete(const std::string& buffer) {
  char quote = 0;
  bool line_comment = false, block_comment = false;
  char last = 0;
  for (std::size_t i = 0; i < buffer.size(); ++i) {
    const char c = buffer[i];
    const char next = i + 1 < buffer.size() ? buffer[i + 1] : 0;
    if (line_comment) {
      if (c == '\n') line_comment = false;
      continue;
    }
    if (block_comment) {
      if (c == '*' && next == '/') {
        block_comment = false;
        ++i;
      }
      continue;
    }
    if (quote) {
      if (c == quote) quote = 0;
      last = c;
      continue;
    }
    if (c == '\'' || c == '`' || c == '"') {
      quote = c;
    } else if (c == '-' && next == '-') {
      line_comment = true;
      continue;
    } else if (c == '/' && next == '*') {
      block_comment = true;
      continue;
    }
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') last = c;
  }
  return !quote && !block_comment && last == ';';
}

// ---- Tab completion: keywords and the session's table names ----
table::sql_session* completion_session = nullptr;
std::vector<std::string> completion_words;
std::size_t completion_index = 0;

char* next_completion(const char* text, int state) {
  if (state == 0) {
    completion_index = 0;
    completion_words.clear();
    const std::string prefix(text);
    auto upper = prefix;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    for (const auto& k : sql::keywords())
      if (std::string(k).rfind(upper, 0) == 0) completion_words.emplace_back(k);
    if (completion_session) {
      auto names = completion_session->tables().table_names();
      for (const auto& v : completion_session->tables().view_names()) names.push_back(v);
      for (const auto& n : names)
        if (n.rfind(prefix, 0) == 0) completion_words.push_back(n);
    }
  }
  if (completion_index >= completion_words.size()) return nullptr;
  return ::strdup(completion_words[completion_index++].c_str());
}

char** complete(const char* text, int, int) {
  rl_attempted_completion_over = 1;
  return rl_completion_matches(text, next_completion);
}

std::string history_path() {
  const char* home = std::getenv("HOME");
  return home ? std::string(home) + "/.eddy_sql_history" : std::string();
}

int interactive(table::sql_session& s) {
  completion_session = &s;
  rl_attempted_completion_function = complete;
  const auto history = history_path();
  if (!history.empty()) read_history(history.c_str());
  std::printf("Eddy SQL client. Statements end with ';'. Type 'quit;' or Ctrl-D to leave.\n");
  std::string buffer;
  for (;;) {
    char* raw = readline(buffer.empty() ? "eddy-sql> " : "       > ");
    if (!raw) break;
    std::string line(raw);
    std::free(raw);
    if (buffer.empty() && (line == "quit;" || line == "exit;" || line == "quit" || line == "exit"))
      break;
    buffer += (buffer.empty() ? "" : "\n") + line;
    if (!statement_complete(buffer)) continue;
    add_history(buffer.c_str());
    run_text(s, buffer);
    buffer.clear();
  }
  if (!history.empty()) write_history(history.c_str());
  return 0;
}

sql::parse_error plain_error(const std::string& m) {
  sql::parse_error e;
  e.message = m;
  return e;
}

/// SHOW JOBS and STOP JOB on the cluster, as Flink's SQL client shows them.
table::sql_session::job_control cluster_job_control(const table::sql_session& session,
                                                    cluster_client& c) {
  table::sql_session::job_control jc;
  jc.show_jobs = [&c]() -> sql::result<table::statement_result> {
    auto list = c.list_jobs();
    if (!list) return plain_error("SHOW JOBS: " + list.error().message);
    table::statement_result r;
    r.header = {"job id", "job name", "status", "start time"};
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    for (const auto& j : nlohmann::json::parse(*list)) {
      const auto uptime = j.value("uptime_ms", std::int64_t{0});
      r.rows.push_back({j.value("id", ""), j.value("name", ""), j.value("state", ""),
                        rows::format_timestamp(now - uptime, true)});
    }
    return r;
  };
  jc.stop_job = [&c, &session](const sql::stop_job& j) -> sql::result<table::statement_result> {
    table::statement_result r;
    if (!j.with_savepoint) {  // Flink: without a savepoint, STOP JOB cancels the job
      auto ok = c.cancel(j.id);
      if (!ok) return plain_error("STOP JOB '" + j.id + "': " + ok.error().message);
      r.message = "[INFO] Execute statement succeeded.";
      return r;
    }
    std::string dir;
    const auto it = session.settings().find("state.savepoints.dir");
    if (it != session.settings().end())
      dir = it->second.rfind("file://", 0) == 0 ? it->second.substr(7) : it->second;
    auto path = c.savepoint(j.id, dir, true, j.with_drain);
    if (!path) return plain_error("STOP JOB '" + j.id + "': " + path.error().message);
    r.header = {"savepoint path"};
    r.rows.push_back({*path});
    return r;
  };
  return jc;
}

/// Connects to the cluster of `o` and makes `session` run its INSERTs there. The client lives
/// as long as the session uses it. Returns an error message, or "".
std::string use_cluster(const sql_client_options& o, table::sql_session& session,
                        std::unique_ptr<cluster_client>& client) {
  auto hp = parse_host_port(o.cluster);
  if (!hp) return "eddy sql: --cluster: " + hp.error().message;
  cluster_security sec;
  if (!o.secret_file.empty()) {
    auto secret = read_secret_file(o.secret_file);
    if (!secret) return "eddy sql: " + secret.error().message;
    sec.secret = *secret;
  }
  auto c =
      cluster_client::connect(hp->first, hp->second, sec, std::chrono::milliseconds(o.timeout_ms));
  if (!c) return "eddy sql: " + c.error().message;
  client = std::move(*c);
  client->on_notice(
      [](const std::string& text) { std::fprintf(stderr, "eddy sql: %s\n", text.c_str()); });
  session.set_dml_runner([&session, c = client.get(), address = o.cluster](
                             const std::string& script,
                             const std::string& name) -> sql::result<table::statement_result> {
    auto fail = [](const std::string& m) {
      sql::parse_error e;
      e.message = m;
      return e;
    };
    // SET 'execution.savepoint.path': the coordinator restores the job from it.
    auto id = c->submit(table::sql_program_name, {script}, {}, session.savepoint_path());
    if (!id)
      return fail("Submitting '" + name + "' to " + address + " failed: " + id.error().message);
    table::statement_result r;
    const auto sync = session.settings().find("table.dml-sync");
    if (sync != session.settings().end() && sync->second == "false") {
      r.message =
          "[INFO] Submitting SQL update statement to the cluster...\n"
          "[INFO] SQL update statement has been successfully submitted to the cluster:\n"
          "Job ID: " +
          *id;
      return r;
    }
    auto res = c->wait(*id);
    if (!res) return fail("Job '" + name + "' (" + *id + "): " + res.error().message);
    if (!res->ok())
      return fail("Job '" + name + "' (" + *id +
                  ") failed: " + (res->failure ? res->failure->message : std::string("?")));
    r.message = "[INFO] Job '" + name + "' (" + *id + ") finished on " + address + ".";
    return r;
  });
  session.set_job_control(cluster_job_control(session, *client));
  return {};
}

}  // namespace

bool parse_sql_client_args(int argc, char** argv, int first, sql_client_options& out, bool& help,
                           std::string& err) {
  for (int i = first + 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string& dst) {
      if (i + 1 >= argc) {
        err = "eddy sql: " + a + " needs a value";
        return false;
      }
      dst = argv[++i];
      return true;
    };
    if (a == "-h" || a == "--help") {
      help = true;
    } else if (a == "-f" || a == "--file") {
      if (!value(out.file)) return false;
    } else if (a == "-e" || a == "--execute") {
      if (!value(out.statement)) return false;
    } else if (a == "--log-level") {
      if (!value(out.log_level)) return false;
    } else if (a == "--cluster") {
      if (!value(out.cluster)) return false;
    } else if (a == "--secret-file") {
      if (!value(out.secret_file)) return false;
    } else if (a == "--rest-port") {
      std::string t;
      if (!value(t)) return false;
      char* end = nullptr;
      const long port = std::strtol(t.c_str(), &end, 10);
      if (t.empty() || *end != 0 || port < 0 || port > 65535) {
        err = "eddy sql: --rest-port needs a port from 0 to 65535, not '" + t + "'";
        return false;
      }
      out.rest_port = static_cast<int>(port);
    } else if (a == "--timeout") {
      std::string t;
      if (!value(t)) return false;
      char* end = nullptr;
      const long ms = std::strtol(t.c_str(), &end, 10);
      if (t.empty() || *end != 0 || ms <= 0 || ms > 3'600'000) {
        err = "eddy sql: --timeout needs milliseconds from 1 to 3600000, not '" + t + "'";
        return false;
      }
      out.timeout_ms = static_cast<int>(ms);
    } else {
      err = "eddy sql: unexpected '" + a +
            "' (flags: -f FILE, -e STATEMENT, --cluster HOST:PORT, --timeout MS, --secret-file "
            "FILE, --rest-port N)";
      return false;
    }
  }
  if (!out.file.empty() && !out.statement.empty()) {
    err = "eddy sql: give -f or -e, not both";
    return false;
  }
  return true;
}

std::string sql_client_help() {
  return "Usage: eddy sql [-f FILE | -e STATEMENT] [--cluster HOST:PORT] [--log-level LEVEL]\n"
         "Runs Flink SQL statements on the embedded runtime or a cluster (see docs/sql.md).\n"
         "  -f, --file FILE         run the statements of FILE, stop at the first error\n"
         "  -e, --execute STATEMENT run STATEMENT(s) given on the command line\n"
         "  --cluster HOST:PORT     run INSERTs as jobs of this coordinator's cluster (SELECT\n"
         "                          needs the embedded runtime)\n"
         "  --timeout MS            how long to try reaching the cluster (default 10000)\n"
         "  --secret-file FILE      the cluster's secret\n"
         "  --rest-port N           serve the REST API and dashboard meanwhile (docs/rest-api.md)\n"
         "Without -f or -e: interactive on a terminal, else statements from stdin.\n"
         "Exit code: 0 when every statement succeeded, 1 after an error, 2 for bad flags,\n"
         "130/143 when interrupted by SIGINT/SIGTERM (the running job is canceled).\n";
}

namespace {

/// The REST server of `eddy sql --rest-port`: over the cluster with --cluster, else over the
/// jobs this process runs.
expected<std::unique_ptr<rest_service>> start_sql_rest(const sql_client_options& o) {
  rest_flags f;
  f.port = o.rest_port;
  if (o.cluster.empty()) return start_embedded_rest(f, {}, {}, "eddy-savepoints");
  auto hp = parse_host_port(o.cluster);
  if (!hp) return hp.error();
  cluster_security sec;
  if (!o.secret_file.empty()) {
    auto secret = read_secret_file(o.secret_file);
    if (!secret) return secret.error();
    sec.secret = *secret;
  }
  return start_coordinator_rest(f, hp->first, hp->second, sec);
}

}  // namespace

int run_sql_client(const sql_client_options& o) {
  table::sql_session session;
  std::unique_ptr<cluster_client> client;
  if (!o.cluster.empty()) {
    const auto err = use_cluster(o, session, client);
    if (!err.empty()) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
  }
  std::unique_ptr<rest_service> rest;
  if (o.rest_port >= 0) {
    auto served = start_sql_rest(o);
    if (!served) {
      std::fprintf(stderr, "eddy sql: %s\n", served.error().message.c_str());
      return 1;
    }
    rest = std::move(*served);
    std::fprintf(stderr, "REST API on http://127.0.0.1:%u/\n", rest->port());
  }
  struct sigaction sa {};
  sa.sa_handler = on_sql_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  // A watcher turns a signal into a job cancellation (signal handlers only set the flag).
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      if (sql_stop_signal != 0) {
        session.cancel_running_job();
        std::fprintf(stderr, "eddy sql: interrupted, canceling the running job\n");
        std::fflush(nullptr);
        std::_Exit(128 + sql_stop_signal);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  int rc = 0;
  if (!o.file.empty()) {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "eddy sql: cannot read '%s'\n", o.file.c_str());
      rc = 1;
    } else {
      std::stringstream text;
      text << in.rdbuf();
      rc = run_text(session, text.str()) ? 0 : 1;
    }
  } else if (!o.statement.empty()) {
    rc = run_text(session, o.statement) ? 0 : 1;
  } else if (::isatty(0)) {
    rc = interactive(session);
  } else {
    std::stringstream text;
    text << std::cin.rdbuf();  // a signal interrupts the read: nothing of it runs
    if (sql_stop_signal == 0) rc = run_text(session, text.str()) ? 0 : 1;
  }
  done = true;
  watcher.join();
  if (sql_stop_signal != 0) return 128 + sql_stop_signal;
  return rc;
}

}  // namespace eddy::cli
