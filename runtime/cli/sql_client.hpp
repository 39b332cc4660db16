#pragma once
// `eddy sql`: the SQL client (issue 18; docs/sql.md "The SQL client"). Runs statements on an
// embedded runtime through eddy::table::sql_session:
//   eddy sql -f script.sql      run a script, stop at the first error (exit 1), exit 0 at its end
//   eddy sql -e "STATEMENT;"    the same for statements given on the command line
//   eddy sql                    interactive on a terminal (libedit line editing, history in
//                               ~/.eddy_sql_history, statements end with ';', Tab completes
//                               keywords and table names); a script from stdin otherwise
//   --cluster HOST:PORT         INSERTs run as jobs of that cluster (eddy/table/sql_job.hpp):
//                               the client waits for each (SET 'table.dml-sync' = 'false':
//                               it only submits and prints the job id, as Flink's client)
// Results are printed to stdout (tables as Flink's tableau mode), errors to stderr with the line
// and a caret. SIGINT/SIGTERM cancel the running job and end the client (exit 130 / 143).
#include <string>

namespace eddy::cli {

struct sql_client_options {
  std::string file;         ///< -f
  std::string statement;    ///< -e
  std::string log_level;    ///< --log-level (also accepted before `sql`)
  std::string cluster;      ///< --cluster HOST:PORT (empty: the embedded runtime)
  int timeout_ms = 10000;   ///< --timeout: how long to try reaching the cluster
  std::string secret_file;  ///< --secret-file: the cluster's secret
  int rest_port = -1;       ///< --rest-port: serve the REST API meanwhile (-1: no; 0: any port)
};

/// Parses `eddy sql ...` (argv[first] is "sql"). Returns false and sets `err` on bad flags;
/// `help` is set for -h/--help.
bool parse_sql_client_args(int argc, char** argv, int first, sql_client_options& out, bool& help,
                           std::string& err);
/// The usage text of `eddy sql --help`.
std::string sql_client_help();
/// Runs the client; returns the process exit code.
int run_sql_client(const sql_client_options& o);

}  // namespace eddy::cli
