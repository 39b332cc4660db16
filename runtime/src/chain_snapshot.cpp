#include "chain_snapshot.hpp"

#include <exception>

#include "eddy/runtime/serializer.hpp"
#include "restore.hpp"

namespace eddy::detail {

std::vector<snapshot_part> take_snapshot_parts(const job_graph& g, task_chain& chain,
                                               std::uint64_t id, bool async) {
  std::vector<snapshot_part> parts;
  for (std::size_t i = 0; i < chain.ops.size(); ++i) {
    const int node = chain.op_nodes[i];
    if (node < 0) continue;
    const auto& n = g.node(node);
    auto& op = *chain.ops[i];
    snapshot_part p{node, {}, {}, {}};
    p.s.header.checkpoint_id = id;
    p.s.header.operator_uid = n.state_uid();
    p.s.header.operator_name = n.name;
    p.s.header.subtask = chain.info.index;
    p.s.header.parallelism = chain.info.parallelism;
    p.s.header.max_parallelism = chain.info.max_parallelism;
    try {
      if (async)
        p.later = op.snapshot_state_async(id, p.s.entries);
      else
        op.snapshot_state(id, p.s.entries);
    } catch (const std::exception& e) {
      throw part_error{n.name, e.what()};
    }
    const auto& c = op.counters();
    p.counters = state_entry{
        counters_entry, -1, "counters",
        serialize(std::vector<std::uint64_t>{c.records_in, c.records_out, c.late_records})};
    parts.push_back(std::move(p));
  }
  return parts;
}

snapshot_blobs encode_snapshot_parts(std::vector<snapshot_part>& parts, bool finished) {
  snapshot_blobs blobs;
  for (auto& p : parts) {
    try {
      if (p.later) p.later(p.s.entries);
    } catch (const std::exception& e) {
      throw part_error{p.s.header.operator_name, e.what()};
    } catch (...) {
      throw part_error{p.s.header.operator_name, "unknown exception"};
    }
    p.s.entries.push_back(std::move(p.counters));
    if (finished) p.s.entries.push_back(state_entry{finished_entry, -1, "finished", {}});
    blobs.items.emplace_back(p.node, encode_snapshot(std::move(p.s)));
  }
  return blobs;
}

}  // namespace eddy::detail
