#pragma once
// Internal: the operators of one subtask, instantiated from the job graph's factories.
// Owned by the subtask actor; built and used on that actor only.
#include <memory>
#include <vector>

#include "eddy/runtime/error.hpp"
#include "eddy/runtime/job_graph.hpp"
#include "eddy/runtime/record_writer.hpp"
#include "job_control.hpp"

namespace eddy::detail {

struct task_chain {
  /// All operators in chain order (source first, writer last); owns them.
  std::vector<std::unique_ptr<operator_base>> ops;
  /// Graph node id of each entry in `ops` (-1 for the record writer).
  std::vector<int> op_nodes;
  source_base* source = nullptr;         ///< set for source chains
  std::unique_ptr<input_adapter> input;  ///< set for chains fed by channels
  writer_control* writer = nullptr;      ///< set when the chain has output edges
  std::vector<writer_control*> writers;  ///< every writer: the main one and side outputs
  std::vector<operator_base*> side_writers;
  /// The operators of dead-letter nodes (graph_node::dead_letters), counted in publish_live_counts.
  std::vector<const operator_base*> dead_letter_ops;
  subtask_info info;

  /// Builds the chain of subtask `st`; `port` receives the writer's batches. Throws
  /// operator_error if a factory or an operator's open() throws.
  static std::unique_ptr<task_chain> build(const job_context& job, const plan_subtask& st,
                                           output_port* port);
  /// Calls open() on every operator (may throw operator_error).
  void open();
  /// End of all input: finish the head (which finishes the rest of the chain), then the side
  /// output writers.
  void finish();
  /// Sends every writer's partially filled batches.
  void flush_all();
  [[nodiscard]] bool has_partial() const;
};

/// Stores the chain's live counts in `m` (relaxed): what its source emitted and how far it read
/// its input, what its last operator received and its dead letters; for `eddy run`'s progress line
/// and the REST API. Called on the subtask's actor after processing.
void publish_live_counts(const task_chain& chain, live_subtask_metrics& m);

}  // namespace eddy::detail
