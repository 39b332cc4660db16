#pragma once
/// Partitioners: how the records leaving a chain are spread over the downstream subtasks.
///
/// `edge_output<T>` holds one filling batch per downstream subtask of one output edge and hands
/// full batches to the `output_port`. A `partitioner<T>` decides, once per batch (one virtual
/// call), which target each record goes to; the per-record loop is inlined in the concrete
/// partitioner. Owned by the chain's `record_writer`, called only from the subtask's actor.
#include <cstddef>
#include <cstdint>
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

  /// Appends one record (with its timestamp, or none if `ts` is null) to a target's batch.
  template <class R>
  void add(int target, R&& record, const std::int64_t* ts = nullptr) {
    batch<T>* buf = buffers_[target].get();
    // Fast path: the target's batch exists and holds records of the same kind (timed or not).
    if (!buf || (buf->timestamps.empty() == (ts != nullptr) && !buf->records.empty()))
      buf = &buffer(target, ts != nullptr);
    buf->records.push_back(std::forward<R>(record));
    if (ts) buf->timestamps.push_back(*ts);
    if (buf->records.size() >= binding_.batch_size) emit(target);
  }

  /// Appends a whole vector (and its timestamps, empty if none) to one target; swaps them in
  /// (no per-record move) when the target's buffer is empty.
  void add_all(int target, std::vector<T>& records, std::vector<std::int64_t>& ts, bool may_move) {
    const bool timed = !ts.empty();
    auto& buf = buffer(target, timed);
    if (may_move && buf.records.empty()) {
      buf.records.swap(records);
      buf.timestamps.swap(ts);
    } else {
      if (may_move) {
        for (auto& r : records) buf.records.push_back(std::move(r));
      } else {
        buf.records.insert(buf.records.end(), records.begin(), records.end());
      }
      buf.timestamps.insert(buf.timestamps.end(), ts.begin(), ts.end());
    }
    if (buf.records.size() >= binding_.batch_size) emit(target);
  }
  void add_all(int target, std::vector<T>& records, bool may_move) {
    std::vector<std::int64_t> none;
    add_all(target, records, none, may_move);
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
  /// The target's filling batch. A batch holds either timestamped records or untimed ones: a
  /// record of the other kind first sends the partial batch.
  [[gnu::noinline]] batch<T>& buffer(int target, bool timed) {
    auto& b = buffers_[target];
    if (b && !b->records.empty() && b->timestamps.empty() == timed) emit(target);
    if (!b) {
      b = std::make_unique<batch<T>>();
      b->records.reserve(binding_.batch_size);
      if (timed) b->timestamps.reserve(binding_.batch_size);
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
  /// Routes a batch and its timestamps (empty if none); may move from both when `may_move`.
  virtual void route(std::vector<T>& records, std::vector<std::int64_t>& ts, bool may_move,
                     edge_output<T>& out) = 0;
  /// Routes a batch without timestamps.
  void route(std::vector<T>& records, bool may_move, edge_output<T>& out) {
    std::vector<std::int64_t> none;
    route(records, none, may_move, out);
  }
};

template <class T>
class forward_partitioner final : public partitioner<T> {
 public:
  using partitioner<T>::route;
  void route(std::vector<T>& records, std::vector<std::int64_t>& ts, bool may_move,
             edge_output<T>& out) override {
    out.add_all(out.binding().own_index, records, ts, may_move);
  }
};

/// Whole-vector append to target 0; `edge_output` shares each full batch with every target.
template <class T>
class broadcast_partitioner final : public partitioner<T> {
 public:
  using partitioner<T>::route;
  void route(std::vector<T>& records, std::vector<std::int64_t>& ts, bool may_move,
             edge_output<T>& out) override {
    out.add_all(0, records, ts, may_move);
  }
};

/// Round-robin per record, starting at the sender's own index.
template <class T>
class rebalance_partitioner final : public partitioner<T> {
 public:
  using partitioner<T>::route;
  void route(std::vector<T>& records, std::vector<std::int64_t>& ts, bool may_move,
             edge_output<T>& out) override {
    const int n = out.binding().targets;
    if (!started_) {
      next_ = out.binding().own_index % n;
      started_ = true;
    }
    const bool timed = !ts.empty();
    for (std::size_t i = 0; i < records.size(); ++i) {
      const std::int64_t* t = timed ? &ts[i] : nullptr;
      if (may_move)
        out.add(next_, std::move(records[i]), t);
      else
        out.add(next_, records[i], t);
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
  using partitioner<T>::route;
  // flatten: the per-record appends (records and timestamps) are inlined into the loop.
  [[gnu::flatten]] void route(std::vector<T>& records, std::vector<std::int64_t>& ts, bool may_move,
                              edge_output<T>& out) override {
    const auto& b = out.binding();
    if (table_.empty()) build_table(b);
    const bool timed = !ts.empty();
    try {
      for (std::size_t i = 0; i < records.size(); ++i) {
        auto& r = records[i];
        const std::uint64_t h = key_hash(key_fn_(static_cast<const T&>(r)));
        const int t = table_[mask_ ? (h & mask_) : (h % table_.size())];
        const std::int64_t* tp = timed ? &ts[i] : nullptr;
        if (may_move)
          out.add(t, std::move(r), tp);
        else
          out.add(t, r, tp);
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
  /// Key group -> target subtask, so routing a record costs no division.
  void build_table(const edge_binding& b) {
    const int maxp = b.max_parallelism;
    table_.resize(static_cast<std::size_t>(maxp));
    for (int kg = 0; kg < maxp; ++kg) table_[kg] = subtask_of_key_group(kg, maxp, b.targets);
    mask_ = (maxp & (maxp - 1)) == 0 ? static_cast<std::uint64_t>(maxp - 1) : 0;
  }

  KeyFn key_fn_;
  std::vector<int> table_;
  std::uint64_t mask_ = 0;  // maxp - 1 when maxp is a power of two
};

}  // namespace eddy
