#pragma once
/// The logical job graph: operators (nodes) and the edges between them, as built by the
/// DataStream API. Type information lives in the factories each node carries; the runtime only
/// calls them. Built on the user's thread, then immutable once submitted (shared read-only by the
/// subtask actors, which call the factories concurrently: factories must not mutate shared state).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "eddy/runtime/batch.hpp"
#include "eddy/runtime/batch_codec.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/partitioner.hpp"
#include "eddy/runtime/record_writer.hpp"
#include "eddy/runtime/source.hpp"
#include "eddy/runtime/split_enumerator.hpp"

namespace eddy {

/// Feeds batches arriving from channels into the head operator of a chain.
class input_adapter {
 public:
  virtual ~input_adapter() = default;
  /// `logical_input` is the operator's input index (0 for single-input operators).
  virtual void process(int logical_input, batch_ptr& b) = 0;
};

template <class T>
class typed_input_adapter final : public input_adapter {
 public:
  explicit typed_input_adapter(input_op<T>* head) : head_(head) {}
  void process(int, batch_ptr& b) override {
    auto& typed = static_cast<batch<T>&>(*b);
    if (b.use_count() == 1) {
      head_->process(typed.records, typed.timestamps);
    } else {  // shared (broadcast): never mutate what other receivers still read
      scratch_ = typed.records;
      scratch_ts_ = typed.timestamps;
      head_->process(scratch_, scratch_ts_);
      scratch_.clear();
      scratch_ts_.clear();
    }
  }

 private:
  input_op<T>* head_;
  std::vector<T> scratch_;
  std::vector<std::int64_t> scratch_ts_;
};

/// Feeds the two inputs of a two_input_op (logical input 0 and 1).
template <class A, class B>
class two_input_adapter final : public input_adapter {
 public:
  explicit two_input_adapter(two_input_op<A, B>* head) : head_(head) {}
  void process(int logical_input, batch_ptr& b) override {
    if (logical_input == 0)
      feed(b, scratch_a_, [&](auto& r, auto& t) { head_->process1(r, t); });
    else
      feed(b, scratch_b_, [&](auto& r, auto& t) { head_->process2(r, t); });
  }

 private:
  template <class T, class Fn>
  void feed(batch_ptr& b, std::vector<T>& scratch, Fn&& fn) {
    auto& typed = static_cast<batch<T>&>(*b);
    if (b.use_count() == 1) {
      fn(typed.records, typed.timestamps);
    } else {  // shared (broadcast): never mutate what other receivers still read
      scratch = typed.records;
      scratch_ts_ = typed.timestamps;
      fn(scratch, scratch_ts_);
      scratch.clear();
      scratch_ts_.clear();
    }
  }

  two_input_op<A, B>* head_;
  std::vector<A> scratch_a_;
  std::vector<B> scratch_b_;
  std::vector<std::int64_t> scratch_ts_;
};

enum class node_kind { source, transform, sink };

struct graph_node {
  int id = 0;
  node_kind kind = node_kind::transform;
  std::string name;
  std::string uid;
  int parallelism = 0;   ///< 0: the job's default
  bool chaining = true;  ///< false: never chained with its neighbours
  bool bounded = true;   ///< sources: whether the input ends
  /// A dead-letter output (DataStream::as_dead_letters): the records it receives are counted
  /// as the job's dead letters (subtask_metrics::dead_letters, /metrics).
  bool dead_letters = false;
  /// A helper node the API added for this one (e.g. a keyed aggregation's combiner), renamed
  /// "<name> (local)" along with it; -1 if none.
  int companion = -1;
  std::vector<int> in_edges;
  std::vector<int> out_edges;
  /// The id its state has in checkpoints: uid() if set, else the name and the node id (which
  /// changes when the graph does: give stateful operators a uid to restore changed jobs).
  [[nodiscard]] std::string state_uid() const {
    return uid.empty() ? name + "#" + std::to_string(id) : uid;
  }

  // ---- factories, set by the typed API; `next` is the following operator in the chain ----
  /// Sources: creates the source operator emitting into `next`.
  std::function<std::unique_ptr<source_base>(operator_base* next)> make_source;
  /// Sources with a split enumerator (split_enumerator.hpp): creates it; null otherwise.
  std::function<std::unique_ptr<split_enumerator>()> make_enumerator;
  /// Transforms and sinks: creates the operator (next is null for sinks).
  std::function<std::unique_ptr<operator_base>(operator_base* next)> make_operator;
  /// Creates the record writer for this node's output type (only called for chain tails that
  /// have out edges).
  std::function<std::unique_ptr<operator_base>()> make_writer;
  /// Creates the adapter feeding channel batches into this node's operator (typed on its input).
  std::function<std::unique_ptr<input_adapter>(operator_base* head)> make_input;
  /// Operator fusion (optional, set by the DataStream API for per-record stateless operators,
  /// see operators/fusion.hpp): the ids of the run of such nodes ending with this one, first to
  /// last (this one last, at least two), and a factory creating the operators of the last
  /// `count` of them (2 <= count <= run size) as one loop. Element 0 of its result does the work
  /// of all of them and stands for the first (it is a source_base if that node is the source);
  /// element i stands for the i-th (its name, counters and state) and is never given records.
  /// The execution plan decides which runs are fused (execution_plan.hpp).
  std::vector<int> fusion_run;
  std::function<std::vector<std::unique_ptr<operator_base>>(operator_base* next, std::size_t count)>
      make_fused;
  /// Side outputs consumed downstream: tag name -> factory of a record writer typed on the side
  /// output's record type. The operator receives the writer through set_side_output().
  std::vector<std::pair<std::string, std::function<std::unique_ptr<operator_base>()>>> side_writers;
};

struct graph_edge {
  int id = 0;
  int from = 0;  ///< node id
  int to = 0;    ///< node id
  partition_kind kind = partition_kind::automatic;
  int input_index = 0;   ///< logical input of the target operator
  std::string side_tag;  ///< non-empty: the edge carries this side output of `from`, never chained
  /// Adds this edge to a record writer created by the source node's make_writer, with a
  /// partitioner of kind `binding.kind` (typed on the source node's output type; for `hash` it
  /// carries the key function).
  std::function<void(operator_base& writer, const edge_binding& binding, output_port* port)> bind;
  /// Encodes the edge's batches for channels between nodes (typed like `bind`).
  std::shared_ptr<const batch_codec> codec;
};

class job_graph {
 public:
  graph_node& add_node(node_kind kind, std::string name) {
    graph_node n;
    n.id = static_cast<int>(nodes_.size());
    n.kind = kind;
    n.name = std::move(name);
    nodes_.push_back(std::move(n));
    return nodes_.back();
  }
  graph_edge& add_edge(int from, int to, partition_kind kind, int input_index = 0) {
    graph_edge e;
    e.id = static_cast<int>(edges_.size());
    e.from = from;
    e.to = to;
    e.kind = kind;
    e.input_index = input_index;
    nodes_[from].out_edges.push_back(e.id);
    nodes_[to].in_edges.push_back(e.id);
    edges_.push_back(std::move(e));
    return edges_.back();
  }
  [[nodiscard]] std::vector<graph_node>& nodes() noexcept { return nodes_; }
  [[nodiscard]] const std::vector<graph_node>& nodes() const noexcept { return nodes_; }
  [[nodiscard]] std::vector<graph_edge>& edges() noexcept { return edges_; }
  [[nodiscard]] const std::vector<graph_edge>& edges() const noexcept { return edges_; }
  graph_node& node(int id) { return nodes_.at(id); }
  [[nodiscard]] const graph_node& node(int id) const { return nodes_.at(id); }

 private:
  std::vector<graph_node> nodes_;
  std::vector<graph_edge> edges_;
};

}  // namespace eddy
