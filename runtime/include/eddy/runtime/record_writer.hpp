#pragma once
/// The last element of a chain that has downstream channels: partitions records into per-target
/// batches and hands full batches to the subtask's `output_port`. Owned by the chain, called only
/// from the subtask's actor.
#include <cstdint>
#include <memory>
#include <vector>

#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/partitioner.hpp"

namespace eddy {

/// What the subtask actor needs from the writer without knowing the record type.
class writer_control {
 public:
  virtual ~writer_control() = default;
  /// Sends all partially filled batches (flush timer, control events, end of stream).
  virtual void flush() = 0;
  [[nodiscard]] virtual bool has_partial() const = 0;
};

template <class T>
class record_writer final : public timed_input_op<T>, public writer_control {
 public:
  struct edge {
    std::unique_ptr<partitioner<T>> part;
    edge_output<T> out;
  };

  void add_edge(std::unique_ptr<partitioner<T>> p, const edge_binding& b, output_port* port) {
    port_ = port;
    edges_.push_back(edge{std::move(p), edge_output<T>(b, port)});
  }

  using timed_input_op<T>::process;
  void process(std::vector<T>& records, std::vector<std::int64_t>& ts) override {
    this->counters_.records_in += records.size();
    this->counters_.records_out += records.size() * edges_.size();
    const std::size_t n = edges_.size();
    for (std::size_t i = 0; i < n; ++i)
      edges_[i].part->route(records, ts, i + 1 == n, edges_[i].out);
  }

  /// Watermarks pass every batch before them: flush, then send on every output channel.
  void on_watermark(std::int64_t watermark) override {
    flush();
    if (!edges_.empty()) port_->emit_watermark(watermark);
  }

  void on_idle() override {
    flush();
    if (!edges_.empty()) port_->emit_idle();
  }

  void finish() override { flush(); }

  void flush() override {
    for (auto& e : edges_) e.out.flush();
  }

  [[nodiscard]] bool has_partial() const override {
    for (const auto& e : edges_)
      if (e.out.has_partial()) return true;
    return false;
  }

 private:
  std::vector<edge> edges_;
  output_port* port_ = nullptr;
};

}  // namespace eddy
