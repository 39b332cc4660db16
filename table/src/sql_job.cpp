#include "eddy/table/sql_job.hpp"

#include <stdexcept>

#include "eddy/operators/stream_environment.hpp"
#include "eddy/sql/parser.hpp"
#include "eddy/table/sql_session.hpp"

namespace eddy::table {

built_job sql_job_program(const std::vector<std::string>& args, const job_build_context& ctx) {
  // {script} or {script, "-p", N}: `rescale` (job_manager.cpp) adds "-p N" to the arguments.
  std::string parallelism;
  if (args.size() == 3 && (args[1] == "-p" || args[1] == "--parallelism"))
    parallelism = args[2];
  else if (args.size() != 1)
    throw std::invalid_argument(
        "the sql program takes the SQL script, then optionally -p N (the parallelism)");
  const std::string& script = args.front();
  auto fail = [&](const sql::parse_error& e) {
    throw std::invalid_argument(e.where.line == 0 ? e.message : sql::render_error(script, e));
  };
  auto statements = sql::parse_statements(script);
  if (!statements) fail(statements.error());
  if (statements->empty() ||
      !((*statements).back().as<sql::insert>() || (*statements).back().as<sql::statement_set>()))
    throw std::invalid_argument("an SQL job's script ends with an INSERT or a statement set");
  sql_session session;
  for (std::size_t i = 0; i + 1 < statements->size(); ++i) {
    const auto& s = (*statements)[i];
    if (s.as<sql::insert>() || s.as<sql::statement_set>() || s.as<sql::query>())
      throw std::invalid_argument("an SQL job's script runs one INSERT or statement set, last");
    auto r = session.execute(s);
    if (!r) fail(r.error());
  }
  if (!parallelism.empty()) {
    sql::statement set;
    sql::set_option o;
    o.option = sql::table_option{"parallelism.default", parallelism};
    set.node = std::move(o);
    auto r = session.execute(set);
    if (!r) throw std::invalid_argument("-p " + parallelism + ": " + r.error().message);
  }
  StreamEnvironment env;
  // Checkpoints go to the coordinator's store (workers only build the graph).
  auto name = session.plan_dml(statements->back(), env, &ctx.checkpoint_dir);
  if (!name) fail(name.error());
  return env.take_job(*name);
}

}  // namespace eddy::table
