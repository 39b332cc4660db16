#pragma once
/// A SQL session (Flink's TableEnvironment behind its SQL client): a catalog, settings, and the
/// execution of statements one at a time.
///
/// - DDL (CREATE TABLE / VIEW, DROP), SHOW TABLES / VIEWS, DESCRIBE, SET / RESET and EXPLAIN act
///   on the session and return at once.
/// - INSERT INTO runs its job on an embedded runtime and returns when the job has ended: bounded
///   inputs end by themselves; an unbounded one runs until the job is canceled (the `eddy sql`
///   client cancels it on SIGINT/SIGTERM). (Flink's client submits and returns unless
///   'table.dml-sync' is true; here the job lives in the client's process, so it waits.)
/// - SELECT runs the same way and returns its rows (bounded inputs only make sense here).
///
/// Functions: `CREATE [TEMPORARY [SYSTEM]] FUNCTION [IF NOT EXISTS] name AS 'identifier'` binds
/// `name` to the C++ implementation registered under `identifier` (with
/// register_function_implementation; a Flink script names a Java class there, so an application
/// registers its C++ port under that class name). Eddy registers the Nexmark benchmark's UDFs
/// (`com.github.nexmark.flink.udf.CountChar`) so its queries run as written. add_function
/// registers a function directly (Flink's createTemporarySystemFunction).
///
/// Errors (syntax, unknown table or column, types, unsupported constructs, a failed job) are
/// `sql::parse_error`s: position-less ones (a job failure) have line 0. Not thread-safe: one
/// thread drives a session. execute() blocks while a job runs.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/sql/ast.hpp"
#include "eddy/sql/error.hpp"
#include "eddy/sql/function_registry.hpp"
#include "eddy/sql/parser.hpp"
#include "eddy/table/catalog.hpp"

namespace eddy {
class StreamEnvironment;
}  // namespace eddy

namespace eddy::table {

struct planner_options;

/// What a statement gave: a message, a table to show, or both.
struct statement_result {
  std::string message;              ///< e.g. "[INFO] Execute statement succeeded."
  std::vector<std::string> header;  ///< column names of `rows` (empty: no table)
  std::vector<std::vector<std::string>> rows;
  /// SELECT: the row kinds (`+I`, ...), one per row, shown as Flink's `op` column.
  std::vector<std::string> kinds;
};

/// `rows` under `header` as Flink's tableau result mode draws them (right-aligned cells, `+---+`
/// borders, then "N rows in set" / "Empty set").
[[nodiscard]] std::string render_tableau(const statement_result& r);

class sql_session {
 public:
  sql_session();
  ~sql_session();
  sql_session(const sql_session&) = delete;
  sql_session& operator=(const sql_session&) = delete;

  /// Executes one parsed statement (see above).
  sql::result<statement_result> execute(const sql::statement& s);
  /// Parses `text` and executes its statements in order; stops at the first error. `on_result`
  /// is called after each statement that succeeded.
  template <class OnResult>
  sql::result<bool> execute_script(std::string_view text, OnResult&& on_result) {
    auto statements = sql::parse_statements(text);
    if (!statements) return statements.error();
    for (const auto& s : *statements) {
      auto r = execute(s);
      if (!r) return r.error();
      on_result(*r);
    }
    return true;
  }

  [[nodiscard]] const catalog& tables() const noexcept { return catalog_; }
  /// SET values in force ('parallelism.default', ...).
  [[nodiscard]] const std::map<std::string, std::string>& settings() const noexcept {
    return settings_;
  }
  /// The parallelism jobs run with ('parallelism.default'; default 1).
  [[nodiscard]] int parallelism() const;
  /// The processing-time clock of the session's jobs (ms since the epoch; null: the system
  /// clock), as execution_config::clock: called from every subtask's thread. For tests and
  /// simulations.
  void set_clock(std::function<std::int64_t()> clock) { clock_ = std::move(clock); }
  /// The planner options of the session's settings (parallelism, functions, state TTL).
  [[nodiscard]] planner_options options() const;

  /// Makes `overloads` (one or more signatures; their names are replaced by the SQL name) the
  /// implementation CREATE FUNCTION ... AS 'identifier' binds. Replaces an earlier one.
  void register_function_implementation(std::string identifier,
                                        std::vector<sql::scalar_function> overloads);
  /// Registers a function under its own name for this session's queries. Throws
  /// std::invalid_argument as function_registry::add does.
  void add_function(sql::scalar_function f) { functions_.add(std::move(f)); }

  /// Cancels the job that execute() is waiting for, if any (any thread; signal handlers must
  /// not call it: set a flag and call it from a thread).
  void cancel_running_job();

  /// Runs INSERT jobs elsewhere (`eddy sql --cluster`): an INSERT or statement set is planned
  /// here (its errors are reported here, with their place), then `runner` gets a script that
  /// rebuilds it anywhere (the session's DDL, SET and CREATE FUNCTION statements so far, then
  /// the INSERT; see sql_job.hpp) and the job's name, and returns the statement's result. SELECT
  /// is refused while a runner is set (its rows would stay on the cluster).
  using dml_runner = std::function<sql::result<statement_result>(const std::string& script,
                                                                 const std::string& job_name)>;
  void set_dml_runner(dml_runner runner) { runner_ = std::move(runner); }
  /// `SHOW JOBS` and `STOP JOB 'id' [WITH SAVEPOINT] [WITH DRAIN]` (Flink's SQL client): they
  /// need a cluster (`eddy sql --cluster`), whose client sets these; without them the
  /// statements are refused (an embedded INSERT runs to its end before the next statement).
  struct job_control {
    std::function<sql::result<statement_result>()> show_jobs;
    std::function<sql::result<statement_result>(const sql::stop_job&)> stop_job;
  };
  void set_job_control(job_control c) { job_control_ = std::move(c); }
  /// The 'execution.savepoint.path' setting (a `file://` prefix dropped), or "": the savepoint
  /// or checkpoint directory the next INSERT restores from.
  [[nodiscard]] std::string savepoint_path() const;
  /// Plans `dml` (an INSERT or a statement set) into `env`, with the session's parallelism,
  /// clock, checkpoint and restart settings; returns the job's name (`insert-into_t`).
  /// `cluster_store`: set for a cluster job, where its checkpoints go (the coordinator's store;
  /// empty on workers, which only build the graph); null: the settings' directory, else a
  /// temporary one of the session. For sql_job.hpp.
  sql::result<std::string> plan_dml(const sql::statement& dml, StreamEnvironment& env,
                                    const std::string* cluster_store = nullptr);

 private:
  /// INSERT and EXECUTE STATEMENT SET (every INSERT planned into one job): embedded, or
  /// through runner_.
  sql::result<statement_result> run_dml(const sql::statement& s);
  sql::result<statement_result> execute_one(const sql::statement& s);
  /// Runs the job built in `env` to its end (cancellable by `cancel_running`).
  sql::result<statement_result> run_job(StreamEnvironment& env, const std::string& name);
  sql::result<statement_result> run_select(const sql::query& q, sql::location where);
  sql::result<statement_result> describe(const sql::describe& d, sql::location where);
  sql::result<statement_result> set(const sql::set_option& s, sql::location where);
  sql::result<statement_result> explain(const sql::explain& e, sql::location where);
  sql::result<statement_result> create_function(const sql::create_function& f, sql::location where);

  catalog catalog_;
  std::map<std::string, std::string> settings_;
  sql::function_registry functions_;
  std::map<std::string, std::vector<sql::scalar_function>> implementations_;
  std::function<std::int64_t()> clock_;
  dml_runner runner_;
  job_control job_control_;
  /// The statements that rebuild the session's catalog and settings (for runner_).
  std::string replay_;
  /// The tag plan_dml gave the job (in its part files' names), and the setting that carries it
  /// to a cluster's nodes.
  std::string job_tag_;
  static constexpr const char* job_tag_key = "eddy.internal.job-tag";
  /// The checkpoint directory plan_dml made for the job being run (removed after it).
  std::string temporary_checkpoints_;
  struct running;
  std::shared_ptr<running> running_;
};

}  // namespace eddy::table
