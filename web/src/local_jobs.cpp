#include "eddy/web/local_jobs.hpp"

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "eddy/runtime/job_json.hpp"
#include "eddy/runtime/job_program.hpp"
#include "eddy/runtime/local_runtime.hpp"

namespace eddy::web {

namespace {

using nlohmann::json;

std::int64_t ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

/// The highest parallelism of the job's chains (what its slots would be on a cluster).
int parallelism_of(const job_handle& h) {
  int p = 1;
  const auto plan = json::parse(h.plan_json(), nullptr, false);
  if (plan.is_object() && plan.contains("nodes"))
    for (const auto& n : plan["nodes"]) p = std::max(p, n.value("parallelism", 1));
  return p;
}

json summary(const std::string& id, const job_handle& h, const std::optional<job_result>& r) {
  std::uint64_t in = 0, out = 0;
  for (const auto& m : h.metrics()) {
    in += m.records_in;
    out += m.records_out;
  }
  const auto checkpoints = h.checkpoints();
  const std::int64_t uptime =
      r ? std::chrono::duration_cast<std::chrono::milliseconds>(r->wall_time).count()
        : ms_since(h.started());
  return {{"id", id},
          {"name", h.name()},
          {"state", to_string(r ? r->state : h.state())},
          {"uptime_ms", uptime},
          {"parallelism", parallelism_of(h)},
          {"records_in", in},
          {"records_out", out},
          {"restarts", h.restarts()},
          {"last_checkpoint", checkpoints.empty() ? 0 : checkpoints.back().id}};
}

}  // namespace

local_jobs::local_jobs(local_jobs_options opts) : opts_(std::move(opts)) {}

local_jobs::~local_jobs() {
  if (listener_ != 0) remove_job_submitted_listener(listener_);
  std::vector<job_handle> owned;
  {
    std::lock_guard g(mtx_);
    for (const auto& e : jobs_)
      if (e.owned) owned.push_back(e.handle);
  }
  for (const auto& h : owned) h.cancel();
  for (const auto& h : owned) (void)h.wait();
  runtime_.reset();
}

std::string local_jobs::add(const job_handle& job, const std::string& program,
                            const std::vector<std::string>& args) {
  std::lock_guard g(mtx_);
  for (const auto& e : jobs_)
    if (&e.handle.name() == &job.name()) return e.id;  // the same job (listener and start())
  entry e{job.id(), job, program, args, {}, false};
  if (e.program.empty() && first_named_) {
    e.program = first_program_;
    e.args = first_args_;
    first_named_ = false;
  }
  jobs_.push_back(e);
  return e.id;
}

void local_jobs::listen_to_local_runtimes(const std::string& program,
                                          const std::vector<std::string>& args) {
  {
    std::lock_guard g(mtx_);
    first_named_ = !program.empty();
    first_program_ = program;
    first_args_ = args;
  }
  if (listener_ == 0)
    listener_ = add_job_submitted_listener([this](const job_handle& h) { add(h); });
}

expected<local_jobs::entry> local_jobs::find(const std::string& id) const {
  std::lock_guard g(mtx_);
  for (const auto& e : jobs_)
    if (e.id == id) return e;
  return error{errc::invalid_argument, "unknown job id '" + id + "'"};
}

expected<std::string> local_jobs::jobs() {
  std::vector<entry> all;
  {
    std::lock_guard g(mtx_);
    all = jobs_;
  }
  auto out = json::array();
  for (const auto& e : all) out.push_back(summary(e.id, e.handle, e.handle.result()));
  return out.dump();
}

expected<std::string> local_jobs::job(const std::string& id) {
  auto e = find(id);
  if (!e) return e.error();
  const auto& h = e->handle;
  const auto r = h.result();
  auto o = summary(e->id, h, r);
  o["program"] = e->program;
  o["args"] = e->args;
  o["job_library"] = "";
  o["restored_from"] = e->restored_from;
  o["plan"] = json::parse(h.plan_json(), nullptr, false);
  o["exceptions"] = json::parse(exceptions_json(h.exceptions()));
  o["subtasks"] = json::parse(subtasks_json(h.metrics()));
  o["checkpoints"] = json::parse(checkpoints_json(h.checkpoints()));
  o["aborted_checkpoints"] = h.aborted_checkpoints();
  if (r && r->failure) o["failure"] = r->failure->message;
  if (r && !r->savepoint_path.empty()) o["savepoint_path"] = r->savepoint_path;
  return o.dump();
}

expected<std::string> local_jobs::workers() {
  std::vector<entry> all;
  {
    std::lock_guard g(mtx_);
    all = jobs_;
  }
  int used = 0;
  for (const auto& e : all)
    for (const auto& m : e.handle.metrics())
      if (m.state == job_state::running || m.state == job_state::created) ++used;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto out = json::array();
  out.push_back({{"id", 0},
                 {"name", "embedded"},
                 {"address", "this process"},
                 {"slots", cores},
                 {"used", used},
                 {"free", std::max(0, cores - used)},
                 {"heartbeat_ms_ago", 0}});
  return out.dump();
}

expected<std::string> local_jobs::start(const std::string& program,
                                        const std::vector<std::string>& args,
                                        const std::string& restore_from) {
  auto prog = job_registry::global().find(program);
  if (!prog) return error{errc::invalid_argument, "unknown program '" + program + "'"};
  built_job built;
  try {
    job_build_context ctx;
    ctx.resuming = !restore_from.empty();
    built = (*prog)(args, ctx);
  } catch (const std::exception& e) {
    return error{errc::invalid_argument, program + ": " + e.what()};
  }
  if (!restore_from.empty()) built.config.restore_from = restore_from;
  local_runtime* rt = nullptr;
  {
    std::lock_guard g(mtx_);
    if (!runtime_) runtime_ = std::make_unique<local_runtime>();
    rt = runtime_.get();
  }
  auto h = rt->submit(built.graph, built.config, built.name);
  if (!h) return h.error();
  const auto id = add(*h);  // or the id the listener gave it
  std::lock_guard g(mtx_);
  for (auto& e : jobs_)
    if (e.id == id) {
      e.program = program;
      e.args = args;
      e.restored_from = restore_from;
      e.owned = true;
    }
  return id;
}

expected<std::string> local_jobs::submit(const std::string& program,
                                         const std::vector<std::string>& args) {
  return start(program, args, {});
}

expected<void> local_jobs::cancel(const std::string& id) {
  auto e = find(id);
  if (!e) return e.error();
  e->handle.cancel();
  return {};
}

expected<std::string> local_jobs::savepoint(const std::string& id, const std::string& dir,
                                            bool stop, bool drain) {
  auto e = find(id);
  if (!e) return e.error();
  const std::string target = dir.empty() ? opts_.savepoint_dir : dir;
  if (target.empty())
    return error{errc::invalid_argument,
                 "no savepoint directory: give one (target-directory) or start with "
                 "--savepoint-dir"};
  return stop ? e->handle.stop_with_savepoint(target, drain) : e->handle.trigger_savepoint(target);
}

expected<std::string> local_jobs::flame_graph(const std::string& id, int vertex,
                                              std::chrono::milliseconds duration) {
  auto e = find(id);
  if (!e) return e.error();
  return e->handle.flame_graph(vertex, duration);
}

expected<std::string> local_jobs::rescale(const std::string& id, int parallelism) {
  auto e = find(id);
  if (!e) return e.error();
  if (e->program.empty())
    return error{errc::invalid_argument,
                 "job '" + id + "' was not started from a program, so it cannot be started again"};
  if (parallelism < 1) return error{errc::invalid_argument, "parallelism must be at least 1"};
  auto path = savepoint(id, {}, true, false);
  if (!path) return path.error();
  auto args = e->args;
  set_parallelism_arg(args, parallelism);
  return start(e->program, args, *path);
}

}  // namespace eddy::web
