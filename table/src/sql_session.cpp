#include "eddy/table/sql_session.hpp"

#include "duration_text.hpp"
#include "execution_settings.hpp"

#include <unistd.h>
#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>

#include <algorithm>
#include <mutex>
#include <utility>

#include "eddy/operators/stream_environment.hpp"
#include "eddy/sql/parser.hpp"
#include "eddy/sql/printer.hpp"
#include "eddy/table/bundled_functions.hpp"
#include "eddy/table/planner.hpp"
#include "eddy/table/row_text.hpp"

namespace eddy::table {

namespace {

const char* ok_message = "[INFO] Execute statement succeeded.";

statement_result message(std::string m) {
  statement_result r;
  r.message = std::move(m);
  return r;
}

std::string job_failure(const job_result& r) {
  if (r.state == job_state::canceled) return "the job was canceled";
  return r.failure ? r.failure->message : std::string("the job failed");
}

}  // namespace

struct sql_session::running {
  std::mutex mtx;
  std::optional<job_handle> job;
  bool cancel_requested = false;
};

sql_session::sql_session() : running_(std::make_shared<running>()) {
  for (auto& [identifier, overloads] : bundled_functions())
    register_function_implementation(identifier, std::move(overloads));
}

void sql_session::register_function_implementation(std::string identifier,
                                                   std::vector<sql::scalar_function> overloads) {
  implementations_[std::move(identifier)] = std::move(overloads);
}

sql::result<statement_result> sql_session::create_function(const sql::create_function& f,
                                                           sql::location where) {
  auto name = simple_name(f.name, where);
  if (!name) return name.error();
  if (f.language == "PYTHON")
    return error_at(where, "Python functions are not supported: register a C++ implementation");
  const auto it = implementations_.find(f.class_name);
  if (it == implementations_.end())
    return error_at(where, "No implementation is registered for function class '" + f.class_name +
                               "': register its C++ port with "
                               "sql_session::register_function_implementation (docs/sql.md)");
  if (!functions_.find(*name).empty()) {
    if (f.if_not_exists) return message(ok_message);
    return error_at(f.name.front().loc, "Function '" + *name + "' already exists");
  }
  try {
    for (auto overload : it->second) {
      overload.name = *name;
      functions_.add(std::move(overload));
    }
  } catch (const std::invalid_argument& e) {
    return error_at(where, e.what());
  }
  return message(ok_message);
}
sql_session::~sql_session() = default;

planner_options sql_session::options() const {
  planner_options o;
  o.parallelism = parallelism();
  o.functions = &functions_;
  if (const auto it = settings_.find("table.exec.state.ttl"); it != settings_.end()) {
    const auto ms = parse_duration(it->second);  // validated by SET
    if (ms && *ms > 0)
      o.state_ttl = state_ttl_config::new_builder(std::chrono::milliseconds(*ms)).build();
  }
  if (const auto it = settings_.find("table.optimizer.agg-phase-strategy"); it != settings_.end())
    o.two_phase_window_aggregates = it->second != "ONE_PHASE";  // validated by SET
  return o;
}

int sql_session::parallelism() const {
  const auto it = settings_.find("parallelism.default");
  if (it == settings_.end()) return 1;
  return std::stoi(it->second);  // validated by SET
}

void sql_session::cancel_running_job() {
  std::lock_guard<std::mutex> g(running_->mtx);
  running_->cancel_requested = true;
  if (running_->job) running_->job->cancel();
}

sql::result<statement_result> sql_session::execute(const sql::statement& s) {
  auto r = execute_one(s);
  if (r && (s.as<sql::create_table>() || s.as<sql::create_view>() || s.as<sql::drop>() ||
            s.as<sql::set_option>() || s.as<sql::reset_option>() || s.as<sql::create_function>()))
    replay_ += sql::to_sql(s) + ";\n";
  return r;
}

sql::result<statement_result> sql_session::execute_one(const sql::statement& s) {
  const auto where = s.loc;
  if (const auto* t = s.as<sql::create_table>()) {
    auto r = catalog_.create_table(*t, where);
    if (!r) return r.error();
    return message(ok_message);
  }
  if (const auto* v = s.as<sql::create_view>()) {
    auto r = catalog_.create_view(*v, where);
    if (!r) return r.error();
    return message(ok_message);
  }
  if (const auto* d = s.as<sql::drop>()) {
    auto r = catalog_.drop(*d, where);
    if (!r) return r.error();
    return message(ok_message);
  }
  if (const auto* sh = s.as<sql::show>()) {
    statement_result r;
    if (sh->what == "TABLES") {
      r.header = {"table name"};
      auto names = catalog_.table_names();
      for (const auto& v : catalog_.view_names()) names.push_back(v);
      std::sort(names.begin(), names.end());
      for (auto& n : names) r.rows.push_back({n});
    } else if (sh->what == "VIEWS") {
      r.header = {"view name"};
      for (auto& n : catalog_.view_names()) r.rows.push_back({n});
    } else if (sh->what == "JOBS") {
      if (!job_control_.show_jobs)
        return error_at(where,
                        "SHOW JOBS needs a cluster (eddy sql --cluster HOST:PORT): here "
                        "an INSERT runs to its end before the next statement");
      return job_control_.show_jobs();
    } else {
      return error_at(where, "SHOW " + sh->what + " is not supported yet");
    }
    return r;
  }
  if (const auto* j = s.as<sql::stop_job>()) {
    if (!job_control_.stop_job)
      return error_at(where,
                      "STOP JOB needs a cluster (eddy sql --cluster HOST:PORT): here an "
                      "INSERT runs to its end before the next statement");
    return job_control_.stop_job(*j);
  }
  if (const auto* d = s.as<sql::describe>()) return describe(*d, where);
  if (const auto* set_stmt = s.as<sql::set_option>()) return set(*set_stmt, where);
  if (const auto* reset = s.as<sql::reset_option>()) {
    if (reset->key)
      settings_.erase(*reset->key);
    else
      settings_.clear();
    return message("[INFO] Session property has been reset.");
  }
  if (s.as<sql::insert>() || s.as<sql::statement_set>()) return run_dml(s);
  if (const auto* q = s.as<sql::query>()) return run_select(*q, where);
  if (const auto* e = s.as<sql::explain>()) return explain(*e, where);
  if (const auto* f = s.as<sql::create_function>()) return create_function(*f, where);
  return error_at(where, "USE is not supported: Eddy has one catalog and one database");
}

sql::result<statement_result> sql_session::describe(const sql::describe& d, sql::location where) {
  auto name = simple_name(d.name, where);
  if (!name) return name.error();
  statement_result r;
  r.header = {"name", "type", "null", "key", "extras", "watermark"};
  if (const auto* t = catalog_.find_table(*name)) {
    const auto watermark = t->watermark ? sql::to_sql(*t->watermark) : std::string();
    for (const auto& f : t->columns) {
      const bool key =
          std::find(t->primary_key.begin(), t->primary_key.end(), f.name) != t->primary_key.end();
      auto type = f.type.with_nullable(true).to_string();
      if (t->rowtime == f.name) type += " *ROWTIME*";
      r.rows.push_back({f.name, type, f.type.nullable ? "TRUE" : "FALSE",
                        key ? "PRI(" + f.name + ")" : "", "",
                        t->rowtime == f.name ? watermark : ""});
    }
    for (const auto& c : t->computed) {
      sql::scope physical;
      for (const auto& f : t->columns) physical.push_back({t->name, f.name, f.type});
      auto e = sql::compile_expression(c.expression, physical, &functions_);
      if (!e) return e.error();
      auto type = (*e)->type().with_nullable(true).to_string();
      if (t->rowtime == c.name) type += " *ROWTIME*";
      r.rows.push_back({c.name, type, (*e)->type().nullable ? "TRUE" : "FALSE", "",
                        "AS " + sql::to_sql(c.expression), t->rowtime == c.name ? watermark : ""});
    }
    return r;
  }
  if (catalog_.find_view(*name)) {
    StreamEnvironment env;
    planner p(catalog_, env, options());
    sql::query q;
    sql::select_core core;
    sql::select_item star;
    star.what = sql::select_item::kind::wildcard;
    core.items.push_back(star);
    sql::table_with_joins from;
    sql::named_table nt;
    nt.name = d.name;
    from.relation.node = nt;
    from.relation.loc = where;
    core.from.push_back(std::move(from));
    q.body.node = std::move(core);
    q.loc = where;
    auto planned = p.plan_query(q);
    if (!planned) return planned.error();
    for (const auto& c : planned->columns)
      r.rows.push_back({c.name, c.type.with_nullable(true).to_string(),
                        c.type.nullable ? "TRUE" : "FALSE", "", "", ""});
    return r;
  }
  std::string msg = "Table or view '" + *name + "' does not exist";
  if (const auto near = catalog_.nearest_name(*name); !near.empty())
    msg += ". Did you mean '" + near + "'?";
  return error_at(d.name.empty() ? where : d.name.front().loc, msg);
}

sql::result<statement_result> sql_session::set(const sql::set_option& s, sql::location where) {
  if (!s.option) {
    statement_result r;
    r.header = {"key", "value"};
    for (const auto& [k, v] : settings_) r.rows.push_back({k, v});
    return r;
  }
  const auto& [key, value] = *s.option;
  if (key == "parallelism.default") {
    int p = 0;
    try {
      std::size_t used = 0;
      p = std::stoi(value, &used);
      if (used != value.size()) p = 0;
    } catch (const std::exception&) {
      p = 0;
    }
    if (p < 1 || p > 1024)
      return error_at(
          where, "'parallelism.default' must be an integer from 1 to 1024, not '" + value + "'");
  }
  if (key == "table.exec.state.ttl" && !parse_duration(value))
    return error_at(where,
                    "'table.exec.state.ttl' must be a duration such as '1 h', '30 min' or "
                    "'0' (no TTL), not '" +
                        value + "'");
  if (key == "table.optimizer.agg-phase-strategy" && value != "AUTO" && value != "ONE_PHASE" &&
      value != "TWO_PHASE")
    return error_at(where,
                    "'table.optimizer.agg-phase-strategy' must be 'AUTO', 'ONE_PHASE' or "
                    "'TWO_PHASE', not '" +
                        value + "'");
  if (auto e = check_execution_setting(key, value); !e.empty()) return error_at(where, e);
  settings_[key] = value;
  return message("[INFO] Session property has been set.");
}

sql::result<statement_result> sql_session::explain(const sql::explain& e, sql::location where) {
  StreamEnvironment env;
  planner p(catalog_, env, options());
  std::vector<std::string> lines;
  if (const auto* ins = e.target->as<sql::insert>()) {
    auto plan = p.plan_insert(*ins, where);
    if (!plan) return plan.error();
    lines = *plan;
  } else if (const auto* q = e.target->as<sql::query>()) {
    auto plan = p.plan_query(*q);
    if (!plan) return plan.error();
    lines = plan->explain;
  } else {
    return error_at(where, "EXPLAIN takes a query or an INSERT");
  }
  std::string text = "== Optimized Physical Plan ==\n";
  for (const auto& l : lines) text += l + "\n";
  return message(text);
}

std::string sql_session::savepoint_path() const {
  const auto it = settings_.find("execution.savepoint.path");
  if (it == settings_.end()) return {};
  return it->second.rfind("file://", 0) == 0 ? it->second.substr(7) : it->second;
}

sql::result<std::string> sql_session::plan_dml(const sql::statement& s, StreamEnvironment& env,
                                               const std::string* cluster_store) {
  env.set_parallelism(parallelism());
  if (clock_) env.config().clock = clock_;
  bool needs_directory = false;
  if (auto e = apply_execution_settings(settings_, cluster_store ? *cluster_store : std::string(),
                                        env.config(), needs_directory);
      !e.empty())
    return error_at(s.loc, e);
  if (needs_directory && !cluster_store) {
    // Flink keeps checkpoints in the JobManager's memory by default; Eddy's store is LMDB: a
    // directory of this job's own, removed when the job has ended (run_dml).
    static std::atomic<int> n{0};
    const auto dir =
        std::filesystem::temp_directory_path() /
        ("eddy-sql-checkpoints-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    env.config().checkpoints.directory = dir.string();
    temporary_checkpoints_ = dir.string();
  }
  // Flink's 'execution.savepoint.path': the job restores from that savepoint (or checkpoint
  // store). On a cluster the coordinator restores (the client submits with the path).
  if (const auto sp = savepoint_path(); !sp.empty() && !cluster_store) {
    std::error_code ec;
    if (!std::filesystem::is_directory(sp, ec))
      return error_at(s.loc, "'execution.savepoint.path' = '" + sp +
                                 "': no such directory (a savepoint, or a checkpoint directory)");
    env.config().restore_from = sp;
  }
  // A tag unique to this job (the same on every node of a cluster: it travels in the script).
  auto tag = settings_.find(job_tag_key);
  if (tag != settings_.end()) {
    job_tag_ = tag->second;
  } else {
    static std::atomic<unsigned> n{0};
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    job_tag_ = std::to_string(now) + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
  }
  auto o = options();
  o.job_tag = job_tag_;
  planner p(catalog_, env, o);
  if (const auto* ins = s.as<sql::insert>()) {
    auto plan = p.plan_insert(*ins, s.loc);
    if (!plan) return plan.error();
    return "insert-into_" + ins->table.back().value;
  }
  const auto* set = s.as<sql::statement_set>();
  if (!set) return error_at(s.loc, "Expected an INSERT or EXECUTE STATEMENT SET");
  if (set->inserts.empty()) return error_at(s.loc, "The statement set holds no INSERT");
  std::string names;
  for (const auto& ins : set->inserts) {
    auto plan = p.plan_insert(ins, ins.source.loc.line ? ins.source.loc : s.loc);
    if (!plan) return plan.error();
    const auto& sink = ins.table.back().value;
    if (("," + names + ",").find("," + sink + ",") == std::string::npos)
      names += (names.empty() ? "" : ",") + sink;
  }
  return "insert-into_" + names;
}

sql::result<statement_result> sql_session::run_dml(const sql::statement& s) {
  StreamEnvironment env;
  auto name = plan_dml(s, env);
  if (!name) return name.error();
  auto result = runner_ ? runner_(replay_ + "SET '" + job_tag_key + "' = '" + job_tag_ + "';\n" +
                                      sql::to_sql(s) + ";\n",
                                  *name)
                        : run_job(env, *name);
  if (!temporary_checkpoints_.empty()) {  // made by plan_dml for this job
    std::error_code ec;
    std::filesystem::remove_all(temporary_checkpoints_, ec);
    temporary_checkpoints_.clear();
  }
  return result;
}

sql::result<statement_result> sql_session::run_job(StreamEnvironment& env,
                                                   const std::string& name) {
  auto handle = env.execute_async(name);
  if (!handle) return error_at(sql::location{0, 0, 0}, handle.error().message);
  {
    std::lock_guard<std::mutex> g(running_->mtx);
    running_->job = *handle;
    if (running_->cancel_requested) handle->cancel();
  }
  const auto result = handle->wait();
  {
    std::lock_guard<std::mutex> g(running_->mtx);
    running_->job.reset();
    running_->cancel_requested = false;
  }
  if (!result.ok())
    return error_at(sql::location{0, 0, 0}, "Job '" + name + "' failed: " + job_failure(result));
  return message("[INFO] Job '" + name + "' finished.");
}

sql::result<statement_result> sql_session::run_select(const sql::query& q, sql::location where) {
  if (runner_)
    return error_at(where,
                    "SELECT shows its rows on the embedded runtime only: with --cluster, INSERT "
                    "the query INTO a table (connector 'print', 'filesystem', ...)");
  StreamEnvironment env;
  env.set_parallelism(parallelism());
  if (clock_) env.config().clock = clock_;
  planner p(catalog_, env, options());
  auto plan = p.plan_query(q);
  if (!plan) return plan.error();
  (void)where;
  auto collected = plan->stream->collect();
  auto handle = env.execute_async("select");
  if (!handle) return error_at(sql::location{0, 0, 0}, handle.error().message);
  {
    std::lock_guard<std::mutex> g(running_->mtx);
    running_->job = *handle;
    if (running_->cancel_requested) handle->cancel();
  }
  const auto result = handle->wait();
  {
    std::lock_guard<std::mutex> g(running_->mtx);
    running_->job.reset();
    running_->cancel_requested = false;
  }
  if (!result.ok())
    return error_at(sql::location{0, 0, 0}, "The query failed: " + job_failure(result));
  statement_result r;
  std::vector<rows::logical_type> types;
  for (const auto& c : plan->columns) {
    r.header.push_back(c.name);
    types.push_back(c.type);
  }
  for (const auto& b : collected.values())
    for (std::size_t i = 0; i < b.size(); ++i) {
      std::vector<std::string> row;
      for (std::size_t c = 0; c < types.size(); ++c)
        row.push_back(print_value(b.column(c).get(b.row(i)), types[c]));
      r.rows.push_back(std::move(row));
      r.kinds.emplace_back(rows::short_string(b.kind(i)));
    }
  return r;
}

std::string render_tableau(const statement_result& r) {
  std::string out;
  if (!r.message.empty()) out += r.message + "\n";
  if (r.header.empty()) return out;
  std::vector<std::string> header = r.header;
  std::vector<std::vector<std::string>> rows = r.rows;
  if (!r.kinds.empty()) {
    header.insert(header.begin(), "op");
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i].insert(rows[i].begin(), r.kinds[i]);
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string border = "+";
  for (auto w : width) border += std::string(w + 2, '-') + "+";
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l = "|";
    for (std::size_t c = 0; c < cells.size(); ++c)
      l += " " + std::string(width[c] - cells[c].size(), ' ') + cells[c] + " |";
    return l + "\n";
  };
  if (rows.empty()) return out + "Empty set\n";
  out += border + "\n" + line(header) + border + "\n";
  for (const auto& row : rows) out += line(row);
  out += border + "\n";
  out += std::to_string(rows.size()) + (rows.size() == 1 ? " row in set\n" : " rows in set\n");
  return out;
}

}  // namespace eddy::table
