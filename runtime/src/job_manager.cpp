#include "job_manager.hpp"

#include <caf/io/middleman.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "cluster_job.hpp"
#include "cluster_messages.hpp"
#include "cluster_security.hpp"
#include "eddy/runtime/job_json.hpp"
#include "eddy/runtime/log.hpp"
#include "job_control.hpp"
#include "job_spec.hpp"
#include "job_supervisor.hpp"

namespace eddy::detail {

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

struct worker_entry {
  caf::actor tm;
  std::string name;
  std::string data_address;
  int slots = 0;
  caf::node_id node;
  clock_type::time_point last_beat;
  std::map<std::string, int> used;  // job id -> slots
  [[nodiscard]] int free() const {
    int n = slots;
    for (const auto& [j, k] : used) n -= k;
    return n;
  }
};

struct job_entry {
  std::string id;
  std::string name;
  job_spec spec;
  std::string lib_bytes;
  std::shared_ptr<job_control> control;
  caf::actor supervisor;
  std::vector<caf::response_promise> waiters;
  std::optional<std::string> result_json;
  int slots = 1;
};

struct alloc_request {
  std::string job_id;
  int slots = 0;
  std::vector<caf::actor> preferred;
  caf::typed_response_promise<std::vector<caf::actor>, std::vector<std::string>> rp;
  clock_type::time_point since;
  clock_type::time_point deadline;
};

struct jm_state {
  job_manager_options opts;
  std::map<std::int32_t, worker_entry> workers;
  std::int32_t next_worker = 1;
  std::map<std::string, job_entry> jobs;
  std::uint64_t next_job = 1;
  std::vector<alloc_request> waiting;
  static inline const char* name = "eddy.job_manager";

  [[nodiscard]] std::string store_dir() const {
    return (fs::path(opts.state_dir) / "checkpoints").string();
  }
  [[nodiscard]] std::string lib_dir() const { return (fs::path(opts.state_dir) / "libs").string(); }
  [[nodiscard]] std::string jobs_dir() const {
    return (fs::path(opts.state_dir) / "jobs").string();
  }
  [[nodiscard]] std::string savepoint_dir() const {
    return (fs::path(opts.state_dir) / "savepoints").string();
  }
  [[nodiscard]] int free_slots() const {
    int n = 0;
    for (const auto& [id, w] : workers) n += w.free();
    return n;
  }
};

using jm_actor = caf::stateful_actor<jm_state>;
bool ended(job_state s) {
  return s == job_state::finished || s == job_state::failed || s == job_state::canceled;
}

void release_slots(jm_actor* self, const std::string& job_id) {
  for (auto& [id, w] : self->state.workers) w.used.erase(job_id);
}

using allocation = std::pair<std::vector<caf::actor>, std::vector<std::string>>;

/// Takes `n` slots for `job_id`: slot k on `preferred[k]` if that worker is alive and has room
/// (its subtasks can then restore from local copies), the others spread over the workers (most
/// free slots first).
std::optional<allocation> try_allocate(jm_actor* self, const std::string& job_id, int n,
                                       const std::vector<caf::actor>& preferred = {}) {
  auto& st = self->state;
  if (st.free_slots() < n) return std::nullopt;
  allocation out;
  out.first.resize(static_cast<std::size_t>(n));
  out.second.resize(static_cast<std::size_t>(n));
  for (int k = 0; k < n && static_cast<std::size_t>(k) < preferred.size(); ++k)
    for (auto& [id, w] : st.workers)
      if (w.tm == preferred[static_cast<std::size_t>(k)] && w.free() > 0) {
        w.used[job_id] += 1;
        out.first[static_cast<std::size_t>(k)] = w.tm;
        out.second[static_cast<std::size_t>(k)] = w.data_address;
        break;
      }
  for (int k = 0; k < n; ++k) {
    if (out.first[static_cast<std::size_t>(k)]) continue;
    worker_entry* best = nullptr;
    for (auto& [id, w] : st.workers)
      if (w.free() > 0 && (!best || w.free() > best->free())) best = &w;
    best->used[job_id] += 1;
    out.first[static_cast<std::size_t>(k)] = best->tm;
    out.second[static_cast<std::size_t>(k)] = best->data_address;
  }
  return out;
}

/// Serves waiting allocations in order while slots suffice.
void retry_waiting(jm_actor* self) {
  auto& st = self->state;
  for (auto it = st.waiting.begin(); it != st.waiting.end();) {
    if (auto got = try_allocate(self, it->job_id, it->slots, it->preferred)) {
      log().info("job {}: got its {} slots", it->job_id, it->slots);
      it->rp.deliver(std::move(got->first), std::move(got->second));
      it = st.waiting.erase(it);
    } else {
      ++it;
    }
  }
}

void worker_lost(jm_actor* self, std::int32_t id, const std::string& why) {
  auto& st = self->state;
  auto it = st.workers.find(id);
  if (it == st.workers.end()) return;
  auto w = std::move(it->second);
  st.workers.erase(it);
  log().warn("worker {} '{}' lost ({}); {} jobs ran there", id, w.name, why, w.used.size());
  for (const auto& [job_id, n] : w.used)
    if (auto j = st.jobs.find(job_id); j != st.jobs.end() && j->second.supervisor)
      self->send(j->second.supervisor, lost_atom::value, w.node);
}

void persist(jm_actor* self, const job_spec& spec) {
  std::error_code ec;
  fs::create_directories(self->state.jobs_dir(), ec);
  std::ofstream out(fs::path(self->state.jobs_dir()) / (spec.job_id + ".json"), std::ios::trunc);
  out << to_json(spec);
  if (!out)
    log().warn("cannot record job {} under {}: a coordinator restart will not resume it",
               spec.job_id, self->state.jobs_dir());
}

/// jobs/<id>.control: the job's control channel log (control_log.hpp), so that a restarted
/// coordinator resuming the job still has the messages sent after its last checkpoint.
std::string control_log_path(jm_actor* self, const std::string& job_id) {
  return (fs::path(self->state.jobs_dir()) / (job_id + ".control")).string();
}

void unpersist(jm_actor* self, const std::string& job_id) {
  std::error_code ec;
  fs::remove(fs::path(self->state.jobs_dir()) / (job_id + ".json"), ec);
  fs::remove(control_log_path(self, job_id), ec);
}

/// Builds, plans and starts a job. `resume`: a coordinator restart resuming a recorded job
/// (its outputs are not prepared again; it must restore from a checkpoint).
expected<std::string> start_job(jm_actor* self, job_spec spec, const std::string& lib_bytes,
                                bool resume) {
  auto& st = self->state;
  if (!spec.lib_name.empty()) spec.lib_hash = sha256_hex(lib_bytes);
  job_build_context bctx;
  bctx.prepare = !resume;
  bctx.checkpoint_dir = st.store_dir();
  bctx.resuming = !spec.restore_from.empty();
  auto built = build_job(spec, lib_bytes, st.lib_dir(), bctx);
  if (!built) return built.error();
  for (const auto& [id, j] : st.jobs)
    if (j.name == built->name && !j.result_json && !ended(j.control->state.load()))
      return error{errc::invalid_argument,
                   "a job named '" + built->name + "' is already running (" + id + ")"};
  auto cfg = built->config;
  if (cfg.checkpoints.interval.count() > 0) cfg.checkpoints.directory = st.store_dir();
  if (!spec.restore_from.empty()) cfg.restore_from = spec.restore_from;
  if (resume) {
    auto store = checkpoint_store::open(st.store_dir());
    if (!store) return store.error();
    auto done = (*store)->completed(built->name);
    if (!done) return done.error();
    if (!done->empty())
      cfg.restore_from = st.store_dir();
    else if (spec.restore_from.empty())
      return error{errc::invalid_argument,
                   "no completed checkpoint of job '" + built->name + "' to resume from"};
  }
  auto made = make_job_context(built->graph, cfg, built->name);
  if (!made) return made.error();
  auto ctx = std::move(*made);
  if (spec.job_id.empty()) spec.job_id = built->name + "-" + std::to_string(st.next_job++);
  ctx->control->id = spec.job_id;
  {
    std::error_code ec;
    fs::create_directories(st.jobs_dir(), ec);
    const auto path = control_log_path(self, spec.job_id);
    if (resume) {
      // Same incarnation and messages: the restored enumerators hand the ones after the
      // checkpoint over again. A log that does not read back fails the resume loudly.
      auto loaded = control_log::load_file(path);
      if (!loaded) return loaded.error();
      ctx->control->channels = std::move(*loaded);
    } else if (auto created = control_log::create_file(path)) {
      ctx->control->channels = std::move(*created);
    } else {
      log().warn(
          "{}; job {} keeps its control channel messages in memory only: those sent "
          "after its last checkpoint are lost if the coordinator restarts",
          created.error().message, spec.job_id);
    }
  }
  int slots = 1;
  for (const auto& c : ctx->plan.chains()) slots = std::max(slots, c.parallelism);
  auto cj = std::make_shared<cluster_job>();
  cj->job_manager = caf::actor_cast<caf::actor>(self);
  cj->job_id = spec.job_id;
  cj->spec_json = to_json(spec);
  cj->lib_bytes = lib_bytes;
  cj->slots = slots;
  auto& j = st.jobs[spec.job_id];
  j.id = spec.job_id;
  j.name = built->name;
  j.spec = spec;
  j.lib_bytes = lib_bytes;
  j.control = ctx->control;
  j.slots = slots;
  persist(self, spec);
  log().info("job {} ('{}') submitted: {} subtasks, {} slots", spec.job_id, built->name,
             ctx->plan.subtasks().size(), slots);
  j.supervisor = spawn_job_supervisor(self->system(), std::move(ctx), std::move(cj));
  connect_control(*j.control, j.supervisor);
  return spec.job_id;
}

/// Resumes the jobs a previous coordinator recorded as running.
void resume_recorded_jobs(jm_actor* self) {
  auto& st = self->state;
  std::error_code ec;
  if (!fs::is_directory(st.jobs_dir(), ec)) return;
  for (const auto& e : fs::directory_iterator(st.jobs_dir(), ec)) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto spec = job_spec_from_json(ss.str());
    if (!spec) {
      log().error("cannot resume the job recorded in {}: {}", e.path().string(),
                  spec.error().message);
      continue;
    }
    std::string lib_bytes;
    if (!spec->lib_name.empty()) {
      std::ifstream lib(fs::path(st.lib_dir()) /
                            (spec->lib_hash + "-" + fs::path(spec->lib_name).filename().string()),
                        std::ios::binary);
      std::stringstream ls;
      ls << lib.rdbuf();
      lib_bytes = ls.str();
    }
    // Keep job ids unique after the restart.
    if (auto dash = spec->job_id.rfind('-'); dash != std::string::npos) {
      try {
        st.next_job =
            std::max<std::uint64_t>(st.next_job, std::stoull(spec->job_id.substr(dash + 1)) + 1);
      } catch (...) {
      }
    }
    const auto id = spec->job_id;
    auto r = start_job(self, std::move(*spec), lib_bytes, true);
    if (r) {
      log().warn("resuming job {} after a coordinator restart", id);
    } else {
      log().error("cannot resume job {} after a coordinator restart: {}", id, r.error().message);
      unpersist(self, id);
    }
  }
}

std::string jobs_json(const jm_state& st);
std::string job_status_json(const jm_state& st, const job_entry& j);
std::string waiting_reason(const jm_state& st, const alloc_request& r);
std::string workers_json(const jm_state& st);

caf::behavior job_manager(jm_actor* self, job_manager_options opts) {
  self->state.opts = std::move(opts);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    for (const auto& [id, w] : st.workers)
      if (w.tm.address() == dm.source) {
        worker_lost(self, id, "connection closed: " + self->system().render(dm.reason));
        return;
      }
  });
  self->send(self, check_atom::value);
  resume_recorded_jobs(self);
  return {
      [=](register_atom, const caf::actor& tm, const std::string& name, std::int32_t slots,
          const std::string& data_address) -> std::int32_t {
        auto& st = self->state;
        // A worker registering again (it fenced itself, or was told it was lost) while its
        // old entry is still here: that entry is gone for good (its subtasks were stopped).
        std::vector<std::int32_t> stale;
        for (const auto& [old_id, w] : st.workers)
          if (w.tm == tm) stale.push_back(old_id);
        for (auto old_id : stale) worker_lost(self, old_id, "registered again");
        const auto id = st.next_worker++;
        auto& w = st.workers[id];
        w.tm = tm;
        w.name = name;
        w.data_address = data_address;
        w.slots = slots;
        w.node = tm.node();
        w.last_beat = clock_type::now();
        self->monitor(tm);
        log().info("worker {} '{}' registered with {} slots ({} workers, {} free slots)", id, name,
                   slots, st.workers.size(), st.free_slots());
        retry_waiting(self);
        return id;
      },
      [=](heartbeat_atom, std::int32_t id) -> std::int64_t {
        if (auto it = self->state.workers.find(id); it != self->state.workers.end()) {
          it->second.last_beat = clock_type::now();
          return self->state.opts.heartbeat_timeout.count();  // how long it may go unanswered
        }
        if (self->current_sender()) {
          // Declared lost (e.g. its link was down for a while): it must start over.
          self->send(caf::actor_cast<caf::actor>(self->current_sender()), lost_atom::value, id);
        }
        return -1;
      },
      [=](check_atom) {
        auto& st = self->state;
        const auto now = clock_type::now();
        std::vector<std::int32_t> silent;
        for (const auto& [id, w] : st.workers)
          if (now - w.last_beat > st.opts.heartbeat_timeout) silent.push_back(id);
        for (auto id : silent)
          worker_lost(
              self, id,
              "no heartbeat for " + std::to_string(st.opts.heartbeat_timeout.count()) + " ms");
        for (auto it = st.waiting.begin(); it != st.waiting.end();) {
          if (now >= it->deadline) {
            it->rp.deliver(cluster_error(
                "job " + it->job_id + " needs " + std::to_string(it->slots) +
                " slots, but the cluster has " + std::to_string(st.free_slots()) +
                " free slots on " + std::to_string(st.workers.size()) + " workers (waited " +
                std::to_string(st.opts.slot_timeout.count() / 1000) +
                " s; start more workers or lower the parallelism)"));
            it = st.waiting.erase(it);
          } else {
            ++it;
          }
        }
        self->delayed_send(self,
                           std::min(st.opts.heartbeat_interval, std::chrono::milliseconds(500)),
                           check_atom::value);
      },
      [=](allocate_atom, const std::string& job_id, std::int32_t slots,
          const std::vector<caf::actor>& preferred)
          -> caf::result<std::vector<caf::actor>, std::vector<std::string>> {
        auto& st = self->state;
        release_slots(self, job_id);
        retry_waiting(self);
        if (auto got = try_allocate(self, job_id, slots, preferred))
          return {std::move(got->first), std::move(got->second)};
        auto rp = self->make_response_promise<std::vector<caf::actor>, std::vector<std::string>>();
        const auto now = clock_type::now();
        st.waiting.push_back(
            alloc_request{job_id, slots, preferred, rp, now, now + st.opts.slot_timeout});
        log().warn("job {} {}", job_id, waiting_reason(st, st.waiting.back()));
        return rp;
      },
      [=](release_atom, const std::string& job_id) {
        auto& st = self->state;
        release_slots(self, job_id);
        std::erase_if(st.waiting, [&](const alloc_request& r) { return r.job_id == job_id; });
        unpersist(self, job_id);
        auto it = st.jobs.find(job_id);
        if (it != st.jobs.end()) {
          auto& j = it->second;
          j.result_json = to_json(j.control->wait());
          j.supervisor = nullptr;
          for (auto& w : j.waiters) w.deliver(*j.result_json);
          j.waiters.clear();
        }
        retry_waiting(self);
      },
      [=](submit_atom, const std::string& spec_json,
          const std::string& lib_bytes) -> caf::result<std::string> {
        auto spec = job_spec_from_json(spec_json);
        if (!spec) return cluster_error(spec.error().message);
        spec->job_id.clear();
        auto r = start_job(self, std::move(*spec), lib_bytes, false);
        if (!r) {
          // Info, not warn: the client gets the reason (and prints it); an embedded shell shares
          // this process's stderr, where a warning would print it twice.
          log().info("job submission refused: {}", r.error().message);
          return cluster_error(r.error().message);
        }
        return *r;
      },
      [=](wait_atom, const std::string& job_id) -> caf::result<std::string> {
        auto it = self->state.jobs.find(job_id);
        if (it == self->state.jobs.end()) return cluster_error("no job " + job_id);
        if (it->second.result_json) return *it->second.result_json;
        auto rp = self->make_response_promise();
        it->second.waiters.push_back(rp);
        return rp;
      },
      [=](cancel_atom, const std::string& job_id) -> caf::result<bool> {
        auto it = self->state.jobs.find(job_id);
        if (it == self->state.jobs.end()) return cluster_error("no job " + job_id);
        it->second.control->cancel();
        return true;
      },
      [=](list_atom) -> std::string { return jobs_json(self->state); },
      [=](status_atom, const std::string& job_id) -> caf::result<std::string> {
        auto it = self->state.jobs.find(job_id);
        if (it == self->state.jobs.end()) return cluster_error("no job " + job_id);
        return job_status_json(self->state, it->second);
      },
      [=](workers_atom) -> std::string { return workers_json(self->state); },
      [=](control_atom, const std::string& job_id, const std::string& channel,
          const std::string& text) -> caf::result<std::uint64_t> {
        auto it = self->state.jobs.find(job_id);
        if (it == self->state.jobs.end()) return cluster_error("no job " + job_id);
        auto r = it->second.control->send_control(channel, text, job_id);
        if (!r) return cluster_error(r.error().message);
        return *r;
      },
      [=](ctllog_atom, const std::string& job_id,
          const std::string& channel) -> caf::result<std::string> {
        auto it = self->state.jobs.find(job_id);
        if (it == self->state.jobs.end()) return cluster_error("no job " + job_id);
        const auto& log = *it->second.control->channels;
        if (!log.has(channel))
          return cluster_error("job " + job_id + " has no control channel '" + channel + "'");
        auto out = nlohmann::json::array();
        for (const auto& m : log.messages(channel))
          out.push_back({{"seq", m.seq}, {"text", m.text}});
        return out.dump();
      },
      [=](savepoint_atom, const std::string& job_id, const std::string& dir, bool stop,
          bool drain) -> caf::result<std::string> {
        auto it = self->state.jobs.find(job_id);
        if (it == self->state.jobs.end()) return cluster_error("no job " + job_id);
        auto req = std::make_shared<savepoint_request>(
            dir.empty() ? self->state.savepoint_dir() : dir, stop, drain);
        it->second.control->request_savepoint(req);
        auto rp = self->make_response_promise<std::string>();
        // The request completes on the job's checkpoint coordinator; wait for it off the
        // scheduler's threads.
        self->system().spawn<caf::detached>([req, rp]() mutable {
          auto r = req->wait_for(std::chrono::minutes(10));
          if (!r)
            rp.deliver(cluster_error("the savepoint did not complete within 10 minutes"));
          else if (!*r)
            rp.deliver(cluster_error(r->error().message));
          else
            rp.deliver(**r);
        });
        return rp;
      },
      [=](rescale_atom, const std::string& job_id, std::int32_t parallelism,
          const std::string& dir) -> caf::result<std::string> {
        auto it = self->state.jobs.find(job_id);
        if (it == self->state.jobs.end()) return cluster_error("no job " + job_id);
        if (parallelism < 1) return cluster_error("the parallelism must be at least 1");
        auto spec = it->second.spec;
        spec.job_id.clear();
        set_parallelism_arg(spec.args, parallelism);
        const auto lib = it->second.lib_bytes;
        auto ctl = it->second.control;
        auto req = std::make_shared<savepoint_request>(
            dir.empty() ? self->state.savepoint_dir() : dir, true);
        ctl->request_savepoint(req);
        auto rp = self->make_response_promise<std::string>();
        auto jm = caf::actor_cast<caf::actor>(self);
        // Stop with a savepoint, wait until the job ended, then submit it again restoring from
        // the savepoint at the new parallelism (key groups and splits are redistributed).
        self->system().spawn<caf::detached>([=](caf::blocking_actor* b) mutable {
          auto r = req->wait_for(std::chrono::minutes(10));
          if (!r || !*r) {
            rp.deliver(cluster_error("rescaling " + job_id + ": the savepoint failed: " +
                                     (r ? r->error().message : std::string("timed out"))));
            return;
          }
          ctl->wait();
          spec.restore_from = **r;
          b->request(jm, caf::infinite, submit_atom::value, to_json(spec), lib)
              .receive([&](const std::string& id) { rp.deliver(id); },
                       [&](caf::error& e) {
                         rp.deliver(cluster_error("rescaling " + job_id + ": the savepoint " + **r +
                                                  " was written, but resuming from it "
                                                  "failed: " +
                                                  error_text(b->system(), e)));
                       });
        });
        return rp;
      },
  };
}

/// Why a job waits for slots, e.g. "waits for 4 slots (2 free on 1 worker); it fails after
/// --slot-timeout 60 s".
std::string waiting_reason(const jm_state& st, const alloc_request& r) {
  const auto workers = st.workers.size();
  const auto timeout_s =
      std::chrono::duration_cast<std::chrono::seconds>(r.deadline - r.since).count();
  return "waits for " + std::to_string(r.slots) + " slots (" + std::to_string(st.free_slots()) +
         " free on " + std::to_string(workers) + (workers == 1 ? " worker" : " workers") +
         "); it fails after --slot-timeout " + std::to_string(timeout_s) + " s";
}

/// A job's summary: what `jobs` shows.
nlohmann::json job_summary(const jm_state& st, const job_entry& j) {
  std::uint64_t in = 0, out = 0;
  for (const auto& s : j.control->subtasks) {
    in += s->records_in.load(std::memory_order_relaxed);
    out += s->records_out.load(std::memory_order_relaxed);
  }
  const auto checkpoints = j.control->checkpoints();
  std::int64_t uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - j.control->started)
                               .count();
  if (j.result_json) {
    auto r = job_result_from_json(*j.result_json);
    if (r) uptime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(r->wall_time).count();
  }
  nlohmann::json o = {{"id", j.id},
                      {"name", j.name},
                      {"state", to_string(j.control->state.load())},
                      {"uptime_ms", uptime_ms},
                      {"parallelism", j.slots},
                      {"records_in", in},
                      {"records_out", out},
                      {"restarts", j.control->restarts.load()},
                      {"last_checkpoint", checkpoints.empty() ? 0 : checkpoints.back().id}};
  for (const auto& r : st.waiting) {
    if (r.job_id != j.id) continue;
    const auto now = clock_type::now();
    o["waiting"] = {
        {"slots", r.slots},
        {"free", st.free_slots()},
        {"workers", st.workers.size()},
        {"waited_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now - r.since).count()},
        {"slot_timeout_ms",
         std::chrono::duration_cast<std::chrono::milliseconds>(r.deadline - r.since).count()},
        {"reason", waiting_reason(st, r)}};
  }
  return o;
}

std::string jobs_json(const jm_state& st) {
  auto out = nlohmann::json::array();
  for (const auto& [id, j] : st.jobs) out.push_back(job_summary(st, j));
  return out.dump();
}

std::string job_status_json(const jm_state& st, const job_entry& j) {
  auto o = job_summary(st, j);
  o["program"] = j.spec.program;
  o["args"] = j.spec.args;
  o["job_library"] = j.spec.lib_name;
  o["restored_from"] = j.spec.restore_from;
  if (!j.control->plan_json.empty()) o["plan"] = nlohmann::json::parse(j.control->plan_json);
  o["exceptions"] = nlohmann::json::parse(exceptions_json(j.control->exceptions()));
  std::vector<subtask_metrics> subtasks;
  for (const auto& s : j.control->subtasks) subtasks.push_back(s->snapshot());
  o["subtasks"] = nlohmann::json::parse(subtasks_json(subtasks));
  o["checkpoints"] = nlohmann::json::parse(checkpoints_json(j.control->checkpoints()));
  o["aborted_checkpoints"] = j.control->aborted_checkpoints();
  if (j.result_json) {
    auto r = job_result_from_json(*j.result_json);
    if (r && r->failure) o["failure"] = r->failure->message;
    if (r && !r->savepoint_path.empty()) o["savepoint_path"] = r->savepoint_path;
  }
  return o.dump();
}

std::string workers_json(const jm_state& st) {
  auto out = nlohmann::json::array();
  const auto now = clock_type::now();
  for (const auto& [id, w] : st.workers) {
    int used = 0;
    for (const auto& [job, n] : w.used) used += n;
    out.push_back(
        {{"id", id},
         {"name", w.name},
         {"address", w.data_address},
         {"slots", w.slots},
         {"used", used},
         {"free", w.free()},
         {"heartbeat_ms_ago",
          std::chrono::duration_cast<std::chrono::milliseconds>(now - w.last_beat).count()}});
  }
  return out.dump();
}

// ---- gate -------------------------------------------------------------------------------------

struct gate_state {
  caf::actor job_manager;
  std::string secret;
  std::map<caf::node_id, std::string> nonces;
  static inline const char* name = "eddy.gate";
};

using gate_actor = caf::stateful_actor<gate_state>;

caf::behavior gate(gate_actor* self, caf::actor jm, std::string secret) {
  self->state.job_manager = std::move(jm);
  self->state.secret = std::move(secret);
  return {
      [=](hello_atom) -> std::string {
        auto& st = self->state;
        if (st.secret.empty() || !self->current_sender()) return {};
        auto nonce = random_nonce();
        st.nonces[self->current_sender()->node()] = nonce;
        return nonce;
      },
      [=](auth_atom, const std::string& role, const std::string& name,
          const std::string& proof) -> caf::result<caf::actor> {
        auto& st = self->state;
        if (st.secret.empty()) return st.job_manager;
        if (!self->current_sender()) return cluster_error("refused: anonymous node");
        const auto node = self->current_sender()->node();
        auto it = st.nonces.find(node);
        const bool ok = it != st.nonces.end() &&
                        equal_constant_time(proof, gate_proof(st.secret, it->second, role));
        if (it != st.nonces.end()) st.nonces.erase(it);
        if (ok) {
          log().info("admitted {} '{}'", role, name);
          return st.job_manager;
        }
        // Log the refusal with the peer's address (the middleman knows it), then answer: the
        // refused node waits for the answer, so it is still connected for the lookup.
        auto rp = self->make_response_promise<caf::actor>();
        const auto refusal = "the coordinator refused this " + role +
                             ": wrong or missing cluster secret (--secret-file)";
        self->request(self->system().middleman().actor_handle(), std::chrono::seconds(5),
                      caf::get_atom::value, node)
            .then(
                [=](const caf::node_id&, const std::string& host, std::uint16_t port) mutable {
                  log().warn("refused {} '{}' from {}:{}: it does not know the cluster secret",
                             role, name, host.empty() ? "?" : host, port);
                  rp.deliver(cluster_error(refusal));
                },
                [=](caf::error&) mutable {
                  log().warn(
                      "refused {} '{}' (address unknown): it does not know the cluster secret",
                      role, name);
                  rp.deliver(cluster_error(refusal));
                });
        return rp;
      },
  };
}

}  // namespace

std::string gate_proof(const std::string& secret, const std::string& nonce,
                       const std::string& role) {
  return hmac_hex(secret, nonce + "/" + role);
}

caf::actor spawn_job_manager(caf::actor_system& sys, job_manager_options opts) {
  return sys.spawn(job_manager, std::move(opts));
}

caf::actor spawn_gate(caf::actor_system& sys, caf::actor job_manager, std::string secret) {
  return sys.spawn(gate, std::move(job_manager), std::move(secret));
}

}  // namespace eddy::detail
