#pragma once
/// The boundary between a typed chain and the untyped exchange.
///
/// The subtask actor implements `output_port`; the chain's `record_writer` calls `emit` whenever a
/// per-target batch is full (or flushed). The actor sends it if the channel holds credit and
/// otherwise parks it (and stops consuming input until credit arrives). Called only from the
/// subtask's actor.
#include <cstdint>

#include "eddy/runtime/batch.hpp"

namespace eddy {

class output_port {
 public:
  virtual ~output_port() = default;
  /// Hands over a full batch for output edge `edge` (index into the chain's out edges) and
  /// downstream subtask `target`.
  virtual void emit(int edge, int target, batch_ptr b) = 0;
  /// Sends watermark `t` on every output channel, after the batches already emitted. Ports that
  /// carry no watermarks (test harnesses) may keep the default, which drops it.
  virtual void emit_watermark(std::int64_t t) { (void)t; }
  /// Tells every output channel that this subtask is idle (see operator_base::on_idle).
  virtual void emit_idle() {}
};

}  // namespace eddy
