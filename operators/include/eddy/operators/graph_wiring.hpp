#pragma once
/// How the DataStream API's templates type and connect the nodes of a job graph: the factories
/// that depend on a node's record types (its record writer, its typed input) and the edge
/// binding that picks a partitioner per edge. Used while a job is built, on the building thread.
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "eddy/runtime/batch_codec.hpp"
#include "eddy/runtime/job_graph.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/partitioner.hpp"
#include "eddy/runtime/record_writer.hpp"

namespace eddy::detail {

/// Sets the factories that depend on a node's output type.
template <class T>
void set_output_type(graph_node& n) {
  n.make_writer = [] { return std::unique_ptr<operator_base>(new record_writer<T>()); };
}

/// Sets the factory that depends on a node's input type.
template <class T>
void set_input_type(graph_node& n) {
  n.make_input = [](operator_base* head) -> std::unique_ptr<input_adapter> {
    return std::make_unique<typed_input_adapter<T>>(as_input<T>(head));
  };
}

/// Connects `from` (producing T) to `to`; `key_fn` is used when the edge is hash-partitioned.
template <class T, class KeyFn = std::nullptr_t>
void connect(job_graph& g, int from, int to, partition_kind kind, KeyFn key_fn = nullptr,
             int input_index = 0) {
  auto& e = g.add_edge(from, to, kind, input_index);
  e.codec = make_batch_codec<T>();
  e.bind = [key_fn](operator_base& w, const edge_binding& b, output_port* port) {
    auto& writer = dynamic_cast<record_writer<T>&>(w);
    std::unique_ptr<partitioner<T>> p;
    switch (b.kind) {
      case partition_kind::hash:
        if constexpr (!std::is_same_v<KeyFn, std::nullptr_t>)
          p = std::make_unique<hash_partitioner<T, KeyFn>>(key_fn);
        else
          throw std::logic_error("eddy: hash edge without a key function");
        break;
      case partition_kind::rebalance:
        p = std::make_unique<rebalance_partitioner<T>>();
        break;
      case partition_kind::broadcast:
        p = std::make_unique<broadcast_partitioner<T>>();
        break;
      default:
        p = std::make_unique<forward_partitioner<T>>();
        break;
    }
    writer.add_edge(std::move(p), b, port);
  };
}

}  // namespace eddy::detail
