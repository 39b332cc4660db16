#pragma once
/// Partitioners: how the records leaving a chain are spread over the downstream subtasks.
///
/// `edge_output<T>` holds one filling batch per downstream subtask of one output edge and hands
/// full batches to the `output_port`. A `partitioner<T>` decides, once per batch (one virtual
/// call), which target each record goes to; the per-record loop is inlined in the concrete
/// partitioner. Owned by the chain's `record_writer`, called only from the subtask's actor.
#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eddy/runtime/batch.hpp"
#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/output_port.hpp"

namespace eddy {

/// How an edge distributes records. `automatic` becomes `forward` when both sides have the same
/// parallelism and `rebalance` otherwise (as in Flink).
enum class partition_kind { automatic, forward, rebalance, hash, broadcast };

[[nodiscard]] inline const char* to_string(partition_kind k) noexcept {
  switch (k) {
    case partition_kind::automatic:
      return "AUTO";
    case partition_kind::forward:
      return "FORWARD";
    case partition_kind::rebalance:
      return "REBALANCE";
    case partition_kind::hash:
      return "HASH";
    case partition_kind::broadcast:
      return "BROADCAST";
  }
  return "?";
}

/// Where a chain's output edge connects, as seen from one sending subtask.
struct edge_binding {
  int edge = 0;  ///< index among the chain's output edges
  partition_kind kind = partition_kind::forward;
  int targets = 1;          ///< downstream parallelism
  int own_index = 0;        ///< the sending subtask's index (forward sends to the same index)
  int own_parallelism = 1;  ///< the sending operator's parallelism
  std::string target_name;  ///< the receiving operator (named in key selector errors)
  int max_parallelism = 128;
  std::size_t batch_size = 1024;
};

/// Per-target batch buffers of one output edge.
template <class T>
class edge_output {
 public:
  edge_output(const edge_binding& b, output_port* port)
      : binding_(b), port_(port), buffers_(b.kind == partition_kind::broadcast ? 1 : b.targets) {}

  [[nodiscard]] const edge_binding& binding() const noexcept { return binding_; }

  template <class R>
  void add(int target, R&& record) {
    auto& buf = buffer(target);
    buf.records.push_back(std::forward<R>(record));
    if (buf.records.size() >= binding_.batch_size) emit(target);
  }

  /// Appends a whole vector to one target; swaps it in (no per-record move) when the target's
  /// buffer is empty.
  void add_all(int target, std::vector<T>& records, bool may_move) {
    auto& buf = buffer(target);
    if (may_move && buf.records.empty()) {
      buf.records.swap(records);
    } else if (may_move) {
      for (auto& r : records) buf.records.push_back(std::move(r));
    } else {
      buf.records.insert(buf.records.end(), records.begin(), records.end());
    }
    if (buf.records.size() >= binding_.batch_size) emit(target);
  }

  /// Sends every non-empty buffer.
  void flush() {
    for (int t = 0; t < static_cast<int>(buffers_.size()); ++t)
      if (buffers_[t] && !buffers_[t]->records.empty()) emit(t);
  }

  [[nodiscard]] bool has_partial() const noexcept {
    for (const auto& b : buffers_)
      if (b && !b->records.empty()) return true;
    return false;
  }

 private:
  batch<T>& buffer(int target) {
    auto& b = buffers_[target];
    if (!b) {
      b = std::make_unique<batch<T>>();
      b->records.reserve(binding_.batch_size);
    }
    return *b;
  }

  void emit(int target) {
    batch_ptr out{std::move(buffers_[target])};
    if (binding_.kind == partition_kind::broadcast) {
      for (int t = 0; t < binding_.targets; ++t) port_->emit(binding_.edge, t, out);
    } else {
      port_->emit(binding_.edge, target, std::move(out));
    }
  }

  edge_binding binding_;
  output_port* port_;
  std::vector<std::unique_ptr<batch<T>>> buffers_;
};

class partitioner_base {
 public:
  virtual ~partitioner_base() = default;
};

template <class T>
class partitioner : public partitioner_base {
 public:
  /// Routes a batch; may move from `records` when `may_move`.
  virtual void route(std::vector<T>& records, bool may_move, edge_output<T>& out) = 0;
};

template <class T>
class forward_partitioner final : public partitioner<T> {
 public:
  void route(std::vector<T>& records, bool may_move, edge_output<T>& out) override {
    out.add_all(out.binding().own_index, records, may_move);
  }
};

/// Whole-vector append to target 0; `edge_output` shares each full batch with every target.
template <class T>
class broadcast_partitioner final : public partitioner<T> {
 public:
  void route(std::vector<T>& records, bool may_move, edge_output<T>& out) override {
    out.add_all(0, records, may_move);
  }
};

/// Round-robin per record, starting at the sender's own index.
template <class T>
class rebalance_partitioner final : public partitioner<T> {
 public:
  void route(std::vector<T>& records, bool may_move, edge_output<T>& out) override {
    const int n = out.binding().targets;
    if (!started_) {
      next_ = out.binding().own_index % n;
      started_ = true;
    }
    for (auto& r : records) {
      if (may_move)
        out.add(next_, std::move(r));
      else
        out.add(next_, r);
      if (++next_ == n) next_ = 0;
    }
  }

 private:
  int next_ = 0;
  bool started_ = false;
};

/// By key group of `key_fn(record)` (see key_group.hpp). The key selector is user code running
/// in the sending subtask: its exceptions become an operator_error naming the keyed operator it
/// feeds.
template <class T, class KeyFn>
class hash_partitioner final : public partitioner<T> {
 public:
  explicit hash_partitioner(KeyFn fn) : key_fn_(std::move(fn)) {}
  void route(std::vector<T>& records, bool may_move, edge_output<T>& out) override {
    const auto& b = out.binding();
    const int n = b.targets;
    const int maxp = b.max_parallelism;
    try {
      for (auto& r : records) {
        const int kg = key_group_of(key_hash(key_fn_(static_cast<const T&>(r))), maxp);
        const int t = subtask_of_key_group(kg, maxp, n);
        if (may_move)
          out.add(t, std::move(r));
        else
          out.add(t, r);
      }
    } catch (const operator_error&) {
      throw;
    } catch (const std::exception& e) {
      throw operator_error(
          b.target_name, b.own_index, b.own_parallelism,
          std::string("key selector failed (in the sending subtask): ") + e.what());
    } catch (...) {
      throw operator_error(b.target_name, b.own_index, b.own_parallelism,
                           "key selector failed (in the sending subtask): unknown exception");
    }
  }

 private:
  KeyFn key_fn_;
};

}  // namespace eddy
