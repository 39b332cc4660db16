#include "restore.hpp"

#include <set>

#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/log.hpp"
#include "eddy/runtime/serializer.hpp"

namespace eddy::detail {

expected<std::shared_ptr<const restore_set>> load_restore_set(checkpoint_store& store,
                                                              const std::string& job,
                                                              const job_graph& graph,
                                                              int max_parallelism,
                                                              std::uint64_t min_id) {
  auto done = store.completed(job);
  if (!done) return done.error();
  std::erase_if(*done, [&](const auto& m) { return m.id < min_id; });
  std::set<std::string> uids;
  for (const auto& n : graph.nodes()) uids.insert(n.state_uid());
  for (auto it = done->rbegin(); it != done->rend(); ++it) {
    const auto& m = *it;
    auto rs = std::make_shared<restore_set>();
    rs->checkpoint_id = m.id;
    rs->location = store.directory();
    rs->max_parallelism = m.max_parallelism;
    bool corrupt = false;
    for (const auto& o : m.operators) {
      auto& op = rs->operators[o.uid];
      op.parallelism = o.parallelism;
      for (std::size_t i = 0; i < o.blob_keys.size() && !corrupt; ++i) {
        const std::string where = "checkpoint " + std::to_string(m.id) + ", operator '" + o.name +
                                  "' (uid " + o.uid + "), subtask " + std::to_string(i + 1) +
                                  " in " + store.directory();
        if (o.blob_keys[i].empty()) {
          op.subtasks.emplace_back();
          continue;
        }
        auto blob = store.get_blob(o.blob_keys[i]);
        if (!blob) {
          log().error("{}: {}", where, blob.error().message);
          corrupt = true;
          break;
        }
        auto snap = decode_snapshot(*blob, where);
        if (!snap) {
          log().error("{}", snap.error().message);
          corrupt = true;
          break;
        }
        op.subtasks.push_back(std::move(*snap));
      }
      if (!corrupt && !o.enumerator_blob_key.empty()) {
        const std::string where = "checkpoint " + std::to_string(m.id) + ", operator '" + o.name +
                                  "' (uid " + o.uid + "), split enumerator in " + store.directory();
        auto blob = store.get_blob(o.enumerator_blob_key);
        auto snap = blob ? decode_snapshot(*blob, where)  // its errors name `where`
                         : expected<operator_snapshot>(
                               error{blob.error().code, where + ": " + blob.error().message});
        if (!snap) {
          log().error("{}", snap.error().message);
          corrupt = true;
        } else {
          op.enumerator = std::move(*snap);
        }
      }
      if (corrupt) break;
    }
    if (corrupt) {
      log().error("checkpoint {} of job '{}' in {} is unreadable; trying the one before", m.id, job,
                  store.directory());
      continue;
    }
    if (rs->max_parallelism != max_parallelism)
      return error{errc::incompatible_state,
                   "checkpoint " + std::to_string(m.id) + " in " + store.directory() +
                       " was taken with max parallelism " + std::to_string(rs->max_parallelism) +
                       ", the job has " + std::to_string(max_parallelism) +
                       " (key groups cannot change)"};
    for (const auto& [uid, op] : rs->operators) {
      bool has_state = false;
      for (const auto& s : op.subtasks)
        for (const auto& e : s.entries) has_state = has_state || e.name != counters_entry;
      has_state = has_state || op.enumerator;
      if (has_state && !uids.count(uid))
        return error{errc::incompatible_state,
                     "checkpoint " + std::to_string(m.id) + " in " + store.directory() +
                         " holds state of operator uid '" + uid +
                         "', which the job does not have (operators changed: give stateful "
                         "operators stable ids with uid(\"...\"))"};
    }
    log().info("restoring job '{}' from checkpoint {} in {}", job, m.id, store.directory());
    return std::shared_ptr<const restore_set>(std::move(rs));
  }
  if (!done->empty())
    return error{errc::corrupt_data, "no readable completed checkpoint of job '" + job + "' in " +
                                         store.directory() + " (all are corrupt, see the log)"};
  return std::shared_ptr<const restore_set>();
}

subtask_restore restore_for(const restore_set& rs, const std::string& uid,
                            const std::string& op_name, int index, int parallelism) {
  subtask_restore out;
  auto it = rs.operators.find(uid);
  if (it == rs.operators.end()) return out;
  out.found = true;
  const auto& op = it->second;
  const bool same = op.parallelism == parallelism;
  // At another parallelism the subtasks restore as finished only if every old one had finished
  // (a partly finished operator is a source chain some of whose subtasks ran out of input: their
  // state is empty or committed, so the new subtasks simply run, and end when nothing is left).
  bool all_finished = same;
  if (!same) {
    std::size_t finished = 0;
    for (const auto& s : op.subtasks)
      for (const auto& e : s.entries) finished += e.name == finished_entry ? 1 : 0;
    all_finished = finished == static_cast<std::size_t>(op.parallelism);
  }
  for (std::size_t old = 0; old < op.subtasks.size(); ++old) {
    for (const auto& e : op.subtasks[old].entries) {
      if (e.name == counters_entry) {
        // Same parallelism: the subtask's own counters; otherwise subtask 0 takes the sum.
        if ((same && static_cast<int>(old) == index) || (!same && index == 0)) {
          std::vector<std::uint64_t> c;
          if (deserialize(e.data, c) && c.size() == 3) {
            out.counters.records_in += c[0];
            out.counters.records_out += c[1];
            out.counters.late_records += c[2];
          }
        }
        continue;
      }
      if (e.name == finished_entry) {
        if ((same && static_cast<int>(old) == index) || (!same && all_finished && old == 0))
          out.entries.push_back(e);
        continue;
      }
      if (e.key_group >= rs.max_parallelism)  // only a damaged snapshot holds one: no silent drop
        throw std::runtime_error("operator '" + op_name + "' (uid " + uid + "): state entry '" +
                                 e.name + "' has key group " + std::to_string(e.key_group) +
                                 ", outside the snapshot's max parallelism " +
                                 std::to_string(rs.max_parallelism) + " (damaged snapshot)");
      if (e.key_group >= 0) {
        // At the same parallelism a subtask gets back what it wrote: for a keyed operator those
        // are exactly its key groups; a combiner (keyed state before the exchange) keeps its
        // own partial results, which matters when its subtask restores as finished.
        if (same ? static_cast<int>(old) == index
                 : subtask_of_key_group(e.key_group, rs.max_parallelism, parallelism) == index)
          out.entries.push_back(e);
      } else if (same) {
        if (static_cast<int>(old) == index) out.entries.push_back(e);
      } else if (e.name.rfind("__broadcast:", 0) == 0) {
        if (old == 0) out.entries.push_back(e);  // broadcast state: every copy is the same
      } else if (e.name.rfind("__union:", 0) == 0) {
        out.entries.push_back(e);  // union state (Flink's): every subtask gets every entry
      } else {
        throw std::runtime_error(
            "operator '" + op_name + "' (uid " + uid + ") has non-keyed state '" + e.name +
            "' written at parallelism " + std::to_string(op.parallelism) +
            ", which cannot be split for parallelism " + std::to_string(parallelism));
      }
    }
  }
  return out;
}

}  // namespace eddy::detail
