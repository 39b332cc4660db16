#pragma once
/// Job graph -> execution graph.
///
/// Compiling resolves every node's parallelism, every edge's partitioning (automatic -> forward
/// or rebalance), chains consecutive operators (forward edge, equal parallelism, one edge between
/// them, chaining enabled on both) and expands every chain into `parallelism` subtasks connected
/// by channels: forward edges connect subtask i to subtask i, all other kinds connect every pair.
/// Within a chain, consecutive nodes that form (part of) a fusion run (graph_node::fusion_run)
/// are fused, longest group first from the chain's tail, unless fusion is disabled for the job;
/// nodes with side outputs are never fused.
/// Pure data, no actors: built once on submission, then shared read-only.
#include <string>
#include <vector>

#include "eddy/runtime/error.hpp"
#include "eddy/runtime/execution_config.hpp"
#include "eddy/runtime/job_graph.hpp"

namespace eddy {

struct plan_chain {
  int id = 0;
  std::vector<int> nodes;  ///< node ids, head first
  int parallelism = 1;
  std::string name;            ///< "map -> filter -> sink"
  std::vector<int> in_edges;   ///< graph edges into the head
  std::vector<int> out_edges;  ///< graph edges out of the tail (index = chain's edge index)
  std::vector<int> subtasks;   ///< global subtask ids, by index
  /// Operator fusion, parallel to `nodes`: n >= 2 at the last node of a fused group of n nodes
  /// (it and the n - 1 before it run as one loop, see graph_node::make_fused), 0 at the other
  /// nodes of a group, 1 at nodes that are not fused.
  std::vector<int> fused;
};

struct plan_channel {
  int id = 0;
  int edge = 0;           ///< graph edge id
  int from = 0;           ///< sending subtask (global id)
  int to = 0;             ///< receiving subtask (global id)
  int out_local = 0;      ///< index among the sender's output channels
  int in_local = 0;       ///< index among the receiver's input channels
  int logical_input = 0;  ///< the receiving operator's input index
};

struct plan_subtask {
  int id = 0;  ///< global id
  int chain = 0;
  int index = 0;             ///< index within the chain's parallelism
  std::vector<int> inputs;   ///< channel ids by in_local
  std::vector<int> outputs;  ///< channel ids by out_local
  /// route[edge index][target subtask index] -> out_local, or -1 if not connected.
  std::vector<std::vector<int>> route;
};

class execution_plan {
 public:
  /// Validates and compiles the graph. Errors (errc::invalid_graph / invalid_argument) name the
  /// offending operator.
  [[nodiscard]] static expected<execution_plan> compile(const job_graph& g,
                                                        const execution_config& cfg);

  [[nodiscard]] const std::vector<plan_chain>& chains() const noexcept { return chains_; }
  [[nodiscard]] const std::vector<plan_subtask>& subtasks() const noexcept { return subtasks_; }
  [[nodiscard]] const std::vector<plan_channel>& channels() const noexcept { return channels_; }
  /// Resolved parallelism of a node.
  [[nodiscard]] int parallelism_of(int node) const { return node_parallelism_.at(node); }
  /// Resolved partitioning of an edge (never automatic).
  [[nodiscard]] partition_kind kind_of(int edge) const { return edge_kind_.at(edge); }
  /// Chain containing a node.
  [[nodiscard]] int chain_of(int node) const { return node_chain_.at(node); }
  /// Human-readable description (one line per chain and edge), for logs and `eddy run --plan`.
  [[nodiscard]] std::string describe(const job_graph& g) const;
  /// The plan as JSON, for the REST API and the web dashboard (shaped like Flink's
  /// `/jobs/:id/plan`): {"nodes": [{"id" (chain id), "name", "parallelism", "operators":
  /// [{"id" (node id), "name", "fused" (as plan_chain::fused)}], "inputs": [{"id" (the sending
  /// chain), "ship_strategy" (FORWARD, REBALANCE, HASH, BROADCAST), "side_output" (tag or
  /// "")}]}]}.
  [[nodiscard]] std::string to_json(const job_graph& g) const;

 private:
  std::vector<plan_chain> chains_;
  std::vector<plan_subtask> subtasks_;
  std::vector<plan_channel> channels_;
  std::vector<int> node_parallelism_;
  std::vector<partition_kind> edge_kind_;
  std::vector<int> node_chain_;
};

}  // namespace eddy
