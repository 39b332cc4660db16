#include "checkpoint_coordinator.hpp"

#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "eddy/runtime/log.hpp"
#include "messages.hpp"

namespace eddy::detail {

namespace {

using clock_type = std::chrono::steady_clock;

struct pending_checkpoint {
  clock_type::time_point started;
  std::int64_t timestamp_ms = 0;
  std::set<int> acked;                                // sids
  std::map<int, std::vector<std::string>> blob_keys;  // node id -> key per subtask index
  std::map<int, std::string> enumerator_keys;         // node id -> its enumerator's state
  std::uint64_t bytes = 0;
  std::map<int, subtask_checkpoint_stats> details;  // sid -> how it acknowledged
  // A savepoint: its own store (`target`) and the request to answer; null for checkpoints.
  savepoint_ptr request;
  std::shared_ptr<checkpoint_store> target;
  caf::actor requester;  // the supervisor, told when a stop-with-savepoint completed
};

struct coordinator_state {
  std::shared_ptr<const job_context> job;
  std::shared_ptr<checkpoint_store> store;  // null: savepoints only
  std::vector<caf::actor> subtasks;
  std::vector<int> source_sids;
  std::map<int, caf::actor> enumerators;   // source node id -> its split enumerator
  std::map<int, snapshot_blobs> finished;  // sid -> final snapshot of a finished subtask
  std::uint64_t last_id = 0;
  std::map<std::uint64_t, pending_checkpoint> pending;
  clock_type::time_point last_completion{};
  bool paused = true;
  bool trigger_scheduled = false;
  std::uint64_t attempt = 0;  // deployments; stale timers of earlier ones are ignored
  static inline const char* name = "eddy.checkpoint_coordinator";
};

using coordinator_actor = caf::stateful_actor<coordinator_state>;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Whether periodic checkpoints are on (otherwise the coordinator only takes savepoints).
bool periodic(const coordinator_state& st) {
  return st.store && st.job->config.checkpoints.interval.count() > 0;
}

/// The store a checkpoint's blobs and metadata go to.
checkpoint_store& store_of(coordinator_state& st, const pending_checkpoint& p) {
  return p.target ? *p.target : *st.store;
}

void schedule_trigger(coordinator_actor* self, std::chrono::milliseconds after) {
  auto& st = self->state;
  if (st.trigger_scheduled || st.paused || !periodic(st)) return;
  st.trigger_scheduled = true;
  self->delayed_send(self, after, trigger_atom::value, st.attempt);
}

void abort_checkpoint(coordinator_actor* self, std::uint64_t id, const std::string& why,
                      bool expected_end) {
  auto& st = self->state;
  auto it = st.pending.find(id);
  if (it == st.pending.end()) return;
  auto p = std::move(it->second);
  st.pending.erase(it);
  const char* what = p.request ? "savepoint" : "checkpoint";
  if (expected_end)
    job_log(*st.job, spdlog::level::debug, "job '{}': {} {} aborted: {}", st.job->name, what, id,
            why);
  else
    job_log(*st.job, spdlog::level::warn, "job '{}': {} {} aborted: {}", st.job->name, what, id,
            why);
  if (p.request) {
    p.request->fulfil(error{errc::job_failed, "savepoint " + std::to_string(id) + " of job '" +
                                                  st.job->name + "' failed: " + why});
    const std::string dir = p.target ? p.target->directory() : std::string();
    p.target.reset();  // closes the store before its directory goes
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    return;
  }
  st.job->control->checkpoint_aborted();
  if (auto r = st.store->remove_pending(st.job->name); !r)
    job_log(*st.job, spdlog::level::warn, "job '{}': {}", st.job->name, r.error().message);
}

/// "savepoint-<job>-<id>" under `dir` (characters other than [A-Za-z0-9_.-] become '_').
std::string savepoint_path(const std::string& dir, const std::string& job, std::uint64_t id) {
  std::string name = "savepoint-";
  for (char c : job)
    name.push_back(
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ? c : '_');
  name += "-" + std::to_string(id);
  return (std::filesystem::path(dir) / name).string();
}

void complete_checkpoint(coordinator_actor* self, std::uint64_t id);

/// Completes checkpoint `id` once every subtask and every split enumerator acknowledged it.
void maybe_complete(coordinator_actor* self, std::uint64_t id) {
  auto& s = self->state;
  auto it = s.pending.find(id);
  if (it == s.pending.end()) return;
  if (it->second.acked.size() == s.job->plan.subtasks().size() &&
      it->second.enumerator_keys.size() == s.enumerators.size())
    complete_checkpoint(self, id);
}

/// Stores the snapshot blobs subtask `sid` acknowledged checkpoint `id` with (`finished`: its
/// final snapshot); completes the checkpoint once every subtask did.
void record_ack(coordinator_actor* self, std::uint64_t id, int sid, const snapshot_blobs& blobs,
                bool finished) {
  auto& s = self->state;
  auto it = s.pending.find(id);
  if (it == s.pending.end()) return;  // aborted, or from an earlier deployment
  auto& p = it->second;
  if (p.acked.count(sid)) return;
  const auto& sub = s.job->plan.subtasks()[sid];
  for (const auto& [node, blob] : blobs.items) {
    const auto& n = s.job->graph->node(node);
    const auto key = checkpoint_store::blob_key(s.job->name, id, n.state_uid(), sub.index);
    if (auto r = store_of(s, p).put_blob(key, blob); !r) {
      abort_checkpoint(self, id, r.error().message, false);
      return;
    }
    auto& keys = p.blob_keys[node];
    keys.resize(static_cast<std::size_t>(s.job->plan.parallelism_of(node)));
    keys[static_cast<std::size_t>(sub.index)] = key;
    p.bytes += blob.size();
  }
  auto& d = p.details[sid];
  d.vertex = s.job->plan.chains()[sub.chain].id;
  d.index = sub.index;
  d.finished = finished;
  for (const auto& item : blobs.items) d.bytes += item.second.size();
  if (!finished) {
    using std::chrono::microseconds;
    d.end_to_end = std::chrono::duration_cast<microseconds>(clock_type::now() - p.started);
    d.alignment = microseconds(blobs.alignment_us);
    d.sync = microseconds(blobs.sync_us);
    d.async = microseconds(blobs.async_us);
  }
  p.acked.insert(sid);
  maybe_complete(self, id);
}

/// Stores the state split enumerator `node` acknowledged checkpoint `id` with.
void record_enumerator_ack(coordinator_actor* self, std::uint64_t id, int node,
                           const std::string& blob) {
  auto& s = self->state;
  auto it = s.pending.find(id);
  if (it == s.pending.end() || !s.enumerators.count(node)) return;
  auto& p = it->second;
  const auto& n = s.job->graph->node(node);
  const auto key = checkpoint_store::blob_key(s.job->name, id, n.state_uid() + "/enumerator", 0);
  if (auto r = store_of(s, p).put_blob(key, blob); !r) {
    abort_checkpoint(self, id, r.error().message, false);
    return;
  }
  p.enumerator_keys[node] = key;
  p.bytes += blob.size();
  maybe_complete(self, id);
}

/// Whether some source subtask still runs (otherwise no checkpoint can be triggered).
bool sources_running(const coordinator_state& s) {
  for (int sid : s.source_sids)
    if (!s.finished.count(sid)) return true;
  return false;
}

/// Starts checkpoint (or savepoint) `id` at the sources that still run; subtasks that finished
/// are represented by their final snapshots.
void trigger(coordinator_actor* self, std::uint64_t id, pending_checkpoint p, bool stop,
             bool drain) {
  auto& s = self->state;
  p.started = clock_type::now();
  p.timestamp_ms = now_ms();
  job_log(*s.job, spdlog::level::debug, "job '{}': triggering {} {}", s.job->name,
          p.request ? "savepoint" : "checkpoint", id);
  s.pending.emplace(id, std::move(p));
  // Sources with a split enumerator are triggered by it, after it took its own snapshot.
  std::map<int, std::vector<std::int32_t>> via_enumerator;
  for (const auto& [node, e] : s.enumerators) via_enumerator[node];
  for (int sid : s.source_sids) {
    if (s.finished.count(sid)) continue;
    const auto& sub = s.job->plan.subtasks()[static_cast<std::size_t>(sid)];
    const int node = s.job->plan.chains()[sub.chain].nodes.front();
    if (auto e = via_enumerator.find(node); e != via_enumerator.end())
      e->second.push_back(sid);
    else
      self->send(s.subtasks[sid], trigger_atom::value, id, stop, drain);
  }
  for (const auto& [node, sids] : via_enumerator)
    self->send(s.enumerators[node], trigger_atom::value, id, stop, drain, sids);
  self->delayed_send(self, s.job->config.checkpoints.timeout, timeout_atom::value, id);
  const auto done = s.finished;  // record_ack may complete the checkpoint
  for (const auto& [sid, blobs] : done) record_ack(self, id, sid, blobs, true);
}

void complete_checkpoint(coordinator_actor* self, std::uint64_t id) {
  auto& st = self->state;
  auto it = st.pending.find(id);
  const auto& job = *st.job;
  checkpoint_metadata m;
  m.id = id;
  m.job_name = job.name;
  m.timestamp_ms = it->second.timestamp_ms;
  m.max_parallelism = job.config.max_parallelism;
  for (const auto& n : job.graph->nodes()) {
    checkpoint_metadata::operator_info info;
    info.uid = n.state_uid();
    info.name = n.name;
    info.parallelism = job.plan.parallelism_of(n.id);
    auto keys = it->second.blob_keys.find(n.id);
    if (keys != it->second.blob_keys.end()) info.blob_keys = keys->second;
    if (auto e = it->second.enumerator_keys.find(n.id); e != it->second.enumerator_keys.end())
      info.enumerator_blob_key = e->second;
    info.blob_keys.resize(static_cast<std::size_t>(info.parallelism));
    m.operators.push_back(std::move(info));
  }
  m.is_savepoint = it->second.request != nullptr;
  const auto syncing = clock_type::now();
  auto r = store_of(st, it->second).complete(m);
  job_log(
      job, spdlog::level::debug,
      "job '{}': checkpoint {}: blobs synced and metadata committed in {} ms", job.name, id,
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - syncing).count());
  if (!r) {
    abort_checkpoint(self, id, r.error().message, false);
    return;
  }
  const auto took = clock_type::now() - it->second.started;
  auto p = std::move(it->second);
  st.pending.erase(it);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took);
  std::vector<subtask_checkpoint_stats> details;
  details.reserve(p.details.size());
  for (auto& [sid, d] : p.details) details.push_back(d);  // by sid
  if (p.request) {
    const std::string path = p.target->directory();
    job.control->checkpoint_completed(
        checkpoint_stats{id, m.timestamp_ms, ms, p.bytes, path, std::move(details)});
    job_log(job, spdlog::level::info, "job '{}': savepoint {} written to {} in {} ms ({} bytes)",
            job.name, id, path, ms.count(), p.bytes);
    for (auto& s : st.subtasks) self->send(s, chkdone_atom::value, id);
    if (p.request->stop) {
      // The supervisor learns first, so the subtasks' ends count as a stop, not a failure.
      self->send(p.requester, stopped_atom::value, path);
      for (auto& s : st.subtasks) self->send(s, stop_atom::value);
      st.paused = true;
      // Checkpoints still pending (subtasks' asynchronous parts may acknowledge out of order)
      // cannot complete after the job stopped at this savepoint.
      std::vector<std::uint64_t> rest;
      for (const auto& [pid, pp] : st.pending)
        if (!pp.request) rest.push_back(pid);
      for (auto pid : rest)
        abort_checkpoint(self, pid, "the job stopped at savepoint " + std::to_string(id), true);
    }
    p.target.reset();  // closes the savepoint's store
    p.request->fulfil(path);
    return;
  }
  job.control->checkpoint_completed(
      checkpoint_stats{id, m.timestamp_ms, ms, p.bytes, {}, std::move(details)});
  job_log(job, spdlog::level::info, "job '{}': checkpoint {} completed in {} ms ({} bytes)",
          job.name, id, ms.count(), p.bytes);
  // Older pending checkpoints are subsumed by this one.
  while (!st.pending.empty() && st.pending.begin()->first < id &&
         !st.pending.begin()->second.request)
    abort_checkpoint(self, st.pending.begin()->first,
                     "subsumed by checkpoint " + std::to_string(id), true);
  st.last_completion = clock_type::now();
  if (auto rr = st.store->retain(job.name, job.config.checkpoints.retained); !rr)
    job_log(job, spdlog::level::warn, "job '{}': removing old checkpoints: {}", job.name,
            rr.error().message);
  for (auto& s : st.subtasks) self->send(s, chkdone_atom::value, id);
}

caf::behavior coordinator(coordinator_actor* self, std::shared_ptr<const job_context> job,
                          std::shared_ptr<checkpoint_store> store, std::uint64_t last_id) {
  auto& st = self->state;
  st.job = job;
  st.store = std::move(store);
  st.last_id = last_id;
  const auto& plan = job->plan;
  for (std::size_t sid = 0; sid < plan.subtasks().size(); ++sid) {
    const auto& chain = plan.chains()[plan.subtasks()[sid].chain];
    if (job->graph->node(chain.nodes.front()).kind == node_kind::source)
      st.source_sids.push_back(static_cast<int>(sid));
  }
  const auto& cc = job->config.checkpoints;
  return {
      [=](deploy_atom, const actor_table& handles, const enumerator_table& enumerators) {
        auto& s = self->state;
        s.subtasks = *handles;
        s.enumerators = *enumerators;
        s.finished.clear();
        s.paused = false;
        ++s.attempt;
        s.trigger_scheduled = false;
        schedule_trigger(self, cc.interval);
      },
      [=](pause_atom) {
        auto& s = self->state;
        s.paused = true;
        s.subtasks.clear();
        s.enumerators.clear();
        s.finished.clear();
        while (!s.pending.empty())
          abort_checkpoint(self, s.pending.begin()->first, "the job is restarting", true);
      },
      // The job ended: nothing completes after the reply, so the job's result lists every
      // checkpoint that completed and the store is no longer written.
      [=](stop_atom) -> bool {
        auto& s = self->state;
        s.paused = true;
        s.subtasks.clear();
        while (!s.pending.empty())
          abort_checkpoint(self, s.pending.begin()->first, "the job ended", true);
        return true;
      },
      [=](trigger_atom, std::uint64_t attempt) {
        auto& s = self->state;
        if (attempt != s.attempt) return;
        s.trigger_scheduled = false;
        if (s.paused) return;
        if (static_cast<int>(s.pending.size()) >= std::max(1, cc.max_concurrent)) {
          schedule_trigger(self, std::max(cc.interval / 10, std::chrono::milliseconds(1)));
          return;
        }
        const auto since = clock_type::now() - s.last_completion;
        if (s.last_completion != clock_type::time_point{} && since < cc.min_pause) {
          schedule_trigger(
              self, std::chrono::duration_cast<std::chrono::milliseconds>(cc.min_pause - since) +
                        std::chrono::milliseconds(1));
          return;
        }
        if (sources_running(s)) trigger(self, ++s.last_id, pending_checkpoint{}, false, false);
        schedule_trigger(self, cc.interval);
      },
      [=](savepoint_atom, const savepoint_ptr& req) {
        auto& s = self->state;
        if (s.paused) {
          req->fulfil(error{errc::job_failed, "job '" + s.job->name +
                                                  "' is restarting or stopping; no savepoint now"});
          return;
        }
        if (!sources_running(s)) {
          req->fulfil(error{errc::job_failed,
                            "job '" + s.job->name + "': every source has finished; no savepoint"});
          return;
        }
        const std::uint64_t id = ++s.last_id;
        const auto path = savepoint_path(req->dir, s.job->name, id);
        std::error_code ec;
        if (std::filesystem::exists(path, ec)) {
          req->fulfil(error{errc::invalid_argument,
                            "cannot write the savepoint: '" + path + "' already exists"});
          return;
        }
        auto store = checkpoint_store::open(path);
        if (!store) {
          req->fulfil(error{store.error().code, "cannot write the savepoint to '" + path +
                                                    "': " + store.error().message});
          return;
        }
        pending_checkpoint p;
        p.request = req;
        p.target = std::move(*store);
        p.requester = caf::actor_cast<caf::actor>(self->current_sender());
        trigger(self, id, std::move(p), req->stop, req->drain);
      },
      [=](timeout_atom, std::uint64_t id) {
        abort_checkpoint(self, id, "timed out after " + std::to_string(cc.timeout.count()) + " ms",
                         false);
      },
      [=](decline_atom, int sid, std::uint64_t id, const std::string& why) {
        auto& s = self->state;
        if (!s.pending.count(id)) return;
        const bool source_ended = why == "source ended";
        abort_checkpoint(self, id,
                         "subtask " + s.job->control->subtasks[sid]->task + " declined: " + why,
                         source_ended);
      },
      [=](ack_atom, int sid, std::uint64_t id, const snapshot_blobs& blobs) {
        record_ack(self, id, sid, blobs, false);
      },
      [=](ack_atom, std::int32_t node, std::uint64_t id, const std::string& blob) {
        record_enumerator_ack(self, id, node, blob);
      },
      [=](finished_atom, int sid, const snapshot_blobs& blobs) {
        auto& s = self->state;
        if (sid < 0 || static_cast<std::size_t>(sid) >= s.subtasks.size() ||
            self->current_sender() != s.subtasks[static_cast<std::size_t>(sid)])
          return;  // from an earlier deployment
        s.finished[sid] = blobs;
        std::vector<std::uint64_t> ids;
        for (const auto& [id, p] : s.pending)
          if (!p.acked.count(sid)) ids.push_back(id);
        for (auto id : ids) record_ack(self, id, sid, blobs, true);
      },
  };
}

}  // namespace

caf::actor spawn_checkpoint_coordinator(caf::actor_system& sys,
                                        std::shared_ptr<const job_context> job,
                                        std::shared_ptr<checkpoint_store> store,
                                        std::uint64_t last_id) {
  // Detached: LMDB writes and fsyncs block this actor's own thread, not a scheduler worker the
  // job's subtasks run on.
  return sys.spawn<caf::detached>(coordinator, std::move(job), std::move(store), last_id);
}

}  // namespace eddy::detail
