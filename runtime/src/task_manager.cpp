#include "task_manager.hpp"

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include <atomic>
#include <map>
#include <optional>

#include "cluster_messages.hpp"
#include "eddy/runtime/log.hpp"
#include "job_control.hpp"
#include "job_spec.hpp"
#include "node_probe.hpp"
#include "restore.hpp"

namespace eddy::detail {

namespace {

/// "HOST:PORT" of another worker, as the coordinator sends it.
std::optional<std::pair<std::string, std::uint16_t>> split_address(const std::string& a) {
  const auto colon = a.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  try {
    std::size_t used = 0;
    const auto port = std::stoul(a.substr(colon + 1), &used);
    if (used != a.size() - colon - 1 || port == 0 || port > 65535) return std::nullopt;
    return std::make_pair(a.substr(0, colon), static_cast<std::uint16_t>(port));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

struct tm_job {
  std::shared_ptr<const job_context> ctx;
  caf::actor supervisor;
  std::vector<std::int32_t> sids;  // of the current deployment
  // Local recovery copies: snapshots of unconfirmed checkpoints, and the newest completed one,
  // by subtask.
  std::map<std::int32_t, std::map<std::uint64_t, snapshot_blobs>> pending_snapshots;
  std::map<std::int32_t, std::pair<std::uint64_t, snapshot_blobs>> local_snapshots;
  std::map<std::uint32_t, std::vector<caf::actor>> subtasks;  // by attempt
  std::map<std::uint32_t, std::vector<std::function<void(bool)>>> actions;
};

struct tm_state {
  task_manager_options opts;
  std::shared_ptr<task_manager_status> status;
  caf::actor job_manager;
  std::string data_address;  // HOST:PORT other workers connect to
  std::int32_t worker_id = -1;
  /// How long a heartbeat may stay unanswered before this worker fences itself: the
  /// coordinator's heartbeat timeout, from its answers (until the first: its default).
  std::chrono::milliseconds fence_after{10000};
  std::map<std::string, tm_job> jobs;
  std::map<caf::actor_addr, std::pair<std::string, std::uint32_t>> owner;  // subtask -> job
  static inline const char* name = "eddy.task_manager";
};

using tm_actor = caf::stateful_actor<tm_state>;
/// The restore set of a worker's subtasks from what the supervisor sent and the local copies.
expected<std::shared_ptr<const restore_set>> restore_from_payload(const restore_payload& p,
                                                                  const tm_job& job) {
  if (p.checkpoint_id == 0) return std::shared_ptr<const restore_set>();
  auto rs = std::make_shared<restore_set>();
  rs->checkpoint_id = p.checkpoint_id;
  rs->location = p.location;
  rs->max_parallelism = p.max_parallelism;
  std::vector<std::pair<const std::string*, std::string>> blobs;
  for (const auto& blob : p.blobs)
    blobs.emplace_back(&blob, p.location + " (sent by the coordinator)");
  for (auto sid : p.local_sids) {
    auto it = job.local_snapshots.find(sid);
    if (it == job.local_snapshots.end() || it->second.first != p.checkpoint_id)
      return error{errc::runtime_error, "no local copy of checkpoint " +
                                            std::to_string(p.checkpoint_id) + " for subtask " +
                                            std::to_string(sid)};
    for (const auto& [node, blob] : it->second.second.items)
      blobs.emplace_back(&blob, "the local copy of checkpoint " + std::to_string(p.checkpoint_id));
  }
  for (const auto& [blob, where] : blobs) {
    auto s = decode_snapshot(*blob, where);
    if (!s) return s.error();
    auto& op = rs->operators[s->header.operator_uid];
    op.parallelism = s->header.parallelism;
    if (op.subtasks.size() < static_cast<std::size_t>(s->header.parallelism))
      op.subtasks.resize(static_cast<std::size_t>(s->header.parallelism));
    op.subtasks.at(static_cast<std::size_t>(s->header.subtask)) = std::move(*s);
  }
  return std::shared_ptr<const restore_set>(std::move(rs));
}

/// The job's context on this worker: the graph rebuilt from its program, the plan compiled the
/// same way as on the coordinator, metrics local to this worker.
expected<std::shared_ptr<const job_context>> job_context_for(tm_actor* self,
                                                             const std::string& job_id,
                                                             const std::string& spec_json,
                                                             const std::string& lib_bytes) {
  auto& st = self->state;
  if (auto it = st.jobs.find(job_id); it != st.jobs.end() && it->second.ctx) return it->second.ctx;
  auto spec = job_spec_from_json(spec_json);
  if (!spec) return spec.error();
  job_build_context bctx;
  bctx.prepare = false;
  auto built = build_job(*spec, lib_bytes, st.opts.lib_dir, bctx);
  if (!built) return built.error();
  auto cfg = built->config;
  cfg.restore_from.clear();  // the coordinator sends the state to restore
  cfg.checkpoints.directory.clear();
  const auto interval = cfg.checkpoints.interval;
  cfg.checkpoints.interval = {};  // no store here; set again below for the subtasks' behaviour
  auto made = make_job_context(built->graph, cfg, built->name);
  if (!made) return made.error();
  (*made)->config.checkpoints.interval = interval;
  (*made)->control->id = job_id;
  st.jobs[job_id].ctx = *made;
  return std::shared_ptr<const job_context>(*made);
}

void kill_job(tm_actor* self, tm_job& j) {
  for (auto& [attempt, hs] : j.subtasks)
    for (auto& h : hs) {
      self->state.owner.erase(h.address());
      self->send_exit(h, caf::exit_reason::user_shutdown);
    }
  j.subtasks.clear();
}

void register_with(tm_actor* self, caf::actor jm) {
  auto& st = self->state;
  st.job_manager = jm;
  self->monitor(jm);
  self->request(jm, std::chrono::seconds(30), register_atom::value,
                caf::actor_cast<caf::actor>(self), st.opts.name,
                static_cast<std::int32_t>(st.opts.slots), st.data_address)
      .then(
          [=](std::int32_t id) {
            auto& s = self->state;
            if (s.job_manager != jm) return;  // given up meanwhile (lost, or a new connection)
            s.worker_id = id;
            s.status->worker_id = id;
            s.status->registered = true;
            log().info("worker '{}' registered with the coordinator as worker {} ({} slots)",
                       s.opts.name, id, s.opts.slots);
            self->send(self, heartbeat_atom::value);
          },
          [=](caf::error& e) {
            log().error("worker '{}': registration failed: {}", self->state.opts.name,
                        self->system().render(e));
            self->state.status->registered = false;
          });
}

/// Stops every subtask and forgets the coordinator; the worker's main thread registers again.
void unregister(tm_actor* self) {
  auto& st = self->state;
  for (auto& [id, j] : st.jobs) kill_job(self, j);
  st.jobs.clear();
  if (st.opts.view) st.opts.view->clear();
  st.owner.clear();
  st.job_manager = nullptr;
  st.worker_id = -1;
  st.status->registered = false;
}

caf::behavior task_manager(tm_actor* self, task_manager_options opts,
                           std::shared_ptr<task_manager_status> status) {
  self->state.opts = std::move(opts);
  self->state.status = std::move(status);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source != st.job_manager.address()) return;
    log().warn("worker '{}': lost the coordinator ({}); stopping its {} jobs", st.opts.name,
               self->system().render(dm.reason), st.jobs.size());
    unregister(self);
  });
  return {
      [=](register_atom, const caf::actor& jm) { register_with(self, jm); },
      [=](peers_atom, const std::string& own_address) { self->state.data_address = own_address; },
      [=](peers_atom, const std::vector<std::string>& peers) -> caf::result<bool> {
        // Direct connections to the other workers of a deployment: CAF then routes batches
        // over them instead of through the coordinator. A failure only costs speed.
        if (peers.empty()) return true;
        auto rp = self->make_response_promise<bool>();
        auto pending = std::make_shared<std::atomic<std::size_t>>(peers.size());
        const bool tls = self->state.opts.tls;
        auto mm = tls ? self->system().openssl_manager().actor_handle()
                      : self->system().middleman().actor_handle();
        const auto name = self->state.opts.name;
        for (const auto& p : peers) {
          // Off the scheduler's threads: the probe (node_probe.hpp) blocks for up to 10 s on a
          // peer that accepts the connection and stays silent, and CAF's connect would wait
          // for such a peer forever.
          self->system().spawn<caf::detached>([=](caf::blocking_actor* b) mutable {
            auto done = [&] {
              if (--*pending == 0) rp.deliver(true);
            };
            auto hp = split_address(p);
            if (!hp) {
              log().warn("worker '{}': bad worker address '{}'", name, p);
              return done();
            }
            const auto& [host, port] = *hp;
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            if (auto ok = probe_eddy_node(host, port, "worker", tls, deadline); !ok) {
              log().warn(
                  "worker '{}': no direct connection to worker {} ({}); batches to it go "
                  "through the coordinator",
                  name, p, ok.error().message);
              return done();
            }
            b->request(mm, std::chrono::seconds(10), caf::connect_atom::value, host, port)
                .receive([&](const caf::node_id&, caf::strong_actor_ptr&,
                             const std::set<std::string>&) { done(); },
                         [&](caf::error& e) {
                           log().warn(
                               "worker '{}': no direct connection to worker {} ({}); batches "
                               "to it go through the coordinator",
                               name, p, b->system().render(e));
                           done();
                         });
          });
        }
        return rp;
      },
      [=](heartbeat_atom) {
        auto& st = self->state;
        if (!st.job_manager || st.worker_id < 0) return;
        const auto id = st.worker_id;
        // Unanswered for the coordinator's heartbeat timeout (plus two intervals, so that the
        // coordinator declares this worker lost first): it is partitioned from the coordinator
        // or the coordinator hangs, while the connection may stay open for a long time. The
        // subtasks are redeployed elsewhere, so these must not go on (Flink's task managers
        // fail their tasks the same way).
        const auto deadline = st.fence_after + 2 * st.opts.heartbeat_interval;
        self->request(st.job_manager, deadline, heartbeat_atom::value, id)
            .then(
                [=](std::int64_t timeout_ms) {
                  auto& s = self->state;
                  if (timeout_ms < 0 || s.worker_id != id) return;  // lost: (lost_atom) follows
                  s.fence_after = std::chrono::milliseconds(timeout_ms);
                },
                [=](caf::error& e) {
                  auto& s = self->state;
                  if (e != caf::sec::request_timeout || s.worker_id != id) return;
                  log().warn(
                      "worker '{}': no answer from the coordinator for {} ms (its heartbeat "
                      "timeout); stopping the subtasks of {} jobs and registering again",
                      s.opts.name, deadline.count(), s.jobs.size());
                  if (s.job_manager) self->demonitor(s.job_manager);
                  unregister(self);
                });
        for (const auto& [job_id, j] : st.jobs) {
          if (!j.supervisor || !j.ctx || j.sids.empty()) continue;
          std::vector<std::uint64_t> packed;
          for (auto sid : j.sids)
            j.ctx->control->subtasks[static_cast<std::size_t>(sid)]->pack(packed);
          self->send(j.supervisor, metrics_atom::value, j.sids, std::move(packed));
        }
        self->delayed_send(self, st.opts.heartbeat_interval, heartbeat_atom::value);
      },
      [=](spawn_atom, const std::string& job_id, std::uint32_t attempt,
          const std::string& spec_json, const std::string& lib_bytes,
          const std::vector<std::int32_t>& sids, const caf::actor& supervisor,
          const caf::actor& coordinator,
          const restore_payload& payload) -> caf::result<std::vector<caf::actor>> {
        auto ctx = job_context_for(self, job_id, spec_json, lib_bytes);
        if (!ctx)
          return cluster_error("worker '" + self->state.opts.name + "': " + ctx.error().message);
        auto& j = self->state.jobs[job_id];
        j.supervisor = supervisor;
        j.sids = sids;
        if (self->state.opts.view)
          self->state.opts.view->set_job(job_id, job_handle{(*ctx)->control}, sids);
        auto rs = restore_from_payload(payload, j);
        if (!rs)
          return cluster_error("worker '" + self->state.opts.name + "': " + rs.error().message);
        if (!payload.local_sids.empty())
          log().info("worker '{}': job {}: {} subtasks restore checkpoint {} from local copies",
                     self->state.opts.name, job_id, payload.local_sids.size(),
                     payload.checkpoint_id);
        std::vector<caf::actor> out;
        for (auto sid : sids) {
          if (sid < 0 || static_cast<std::size_t>(sid) >= (*ctx)->plan.subtasks().size())
            return cluster_error("worker '" + self->state.opts.name + "': no subtask " +
                                 std::to_string(sid) + " in job " + job_id +
                                 " (the worker built a different graph: same program version?)");
          auto h = spawn_remote_subtask(self, *ctx, sid, supervisor, coordinator, *rs);
          self->state.owner[h.address()] = {job_id, attempt};
          j.subtasks[attempt].push_back(h);
          out.push_back(h);
        }
        log().debug("worker '{}': job {} attempt {}: spawned {} subtasks", self->state.opts.name,
                    job_id, attempt, out.size());
        return out;
      },
      [=](start_atom, const std::string& job_id, std::uint32_t attempt,
          const std::vector<caf::actor>& table) {
        auto it = self->state.jobs.find(job_id);
        if (it == self->state.jobs.end()) return;
        auto handles = std::make_shared<const std::vector<caf::actor>>(table);
        for (auto& h : it->second.subtasks[attempt])
          self->send(h, start_atom::value, actor_table{handles});
      },
      [=](localsnap_atom, std::int32_t sid, std::uint64_t id, snapshot_blobs& blobs) {
        auto& st = self->state;
        auto it = st.owner.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
        if (it == st.owner.end()) return;
        auto jt = st.jobs.find(it->second.first);
        if (jt == st.jobs.end()) return;
        jt->second.pending_snapshots[sid][id] = std::move(blobs);
      },
      [=](chkdone_atom, std::int32_t sid, std::uint64_t id) {
        auto& st = self->state;
        auto it = st.owner.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
        if (it == st.owner.end()) return;
        auto jt = st.jobs.find(it->second.first);
        if (jt == st.jobs.end()) return;
        auto& pend = jt->second.pending_snapshots[sid];
        if (auto p = pend.find(id); p != pend.end())
          jt->second.local_snapshots[sid] = {id, std::move(p->second)};
        pend.erase(pend.begin(), pend.upper_bound(id));
      },
      [=](localckpt_atom, const std::string& job_id,
          std::uint64_t id) -> std::vector<std::int32_t> {
        std::vector<std::int32_t> out;
        auto jt = self->state.jobs.find(job_id);
        if (jt == self->state.jobs.end()) return out;
        for (const auto& [sid, snap] : jt->second.local_snapshots)
          if (snap.first == id) out.push_back(sid);
        return out;
      },
      [=](lost_atom, std::int32_t id) {
        auto& st = self->state;
        if (id != st.worker_id) return;  // about an earlier registration
        log().warn(
            "worker '{}': the coordinator declared this worker lost; stopping its "
            "subtasks and registering again",
            st.opts.name);
        if (st.job_manager) self->demonitor(st.job_manager);
        unregister(self);
      },
      [=](holdfin_atom, const finish_actions& actions) {
        auto& st = self->state;
        auto it = st.owner.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
        if (it == st.owner.end()) return;
        auto jt = st.jobs.find(it->second.first);
        if (jt == st.jobs.end()) return;
        auto& v = jt->second.actions[it->second.second];
        for (auto& a : *actions) v.push_back(std::move(a));
      },
      [=](commit_atom, const std::string& job_id, std::uint32_t attempt, bool ok) -> std::string {
        auto it = self->state.jobs.find(job_id);
        if (it == self->state.jobs.end()) return {};
        std::string err;
        for (auto& a : it->second.actions[attempt]) {
          try {
            a(ok);
          } catch (const std::exception& e) {
            if (err.empty()) err = "worker '" + self->state.opts.name + "': " + e.what();
          }
        }
        it->second.actions.clear();
        return err;
      },
      [=](drop_atom, const std::string& job_id) {
        auto it = self->state.jobs.find(job_id);
        if (it == self->state.jobs.end()) return;
        kill_job(self, it->second);
        self->state.jobs.erase(it);
        if (self->state.opts.view) self->state.opts.view->drop_job(job_id);
      },
  };
}

}  // namespace

caf::actor spawn_task_manager(caf::actor_system& sys, task_manager_options opts,
                              std::shared_ptr<task_manager_status> status) {
  return sys.spawn(task_manager, std::move(opts), std::move(status));
}

}  // namespace eddy::detail
