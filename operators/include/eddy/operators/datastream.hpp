#pragma once
/// The DataStream API: typed streams and their transformations (Flink's DataStream,
/// KeyedStream and DataStreamSink), built into the environment's job graph.
///
/// A DataStream<T> is a cheap handle (environment + node id); transformations add operators and
/// return new handles. Functions are copied into every subtask. Build on one thread; nothing runs
/// until StreamEnvironment::execute().
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/operators/basic_ops.hpp"
#include "eddy/operators/collector.hpp"
#include "eddy/operators/keyed_process.hpp"
#include "eddy/operators/keyed_reduce_op.hpp"
#include "eddy/operators/sinks.hpp"
#include "eddy/operators/sources.hpp"
#include "eddy/operators/stream_environment.hpp"
#include "eddy/operators/to_text.hpp"
#include "eddy/operators/watermark_strategy.hpp"
#include "eddy/operators/windows.hpp"
#include "eddy/runtime/record_writer.hpp"

namespace eddy {

template <class T, class KeyFn>
class KeyedStream;
template <class T, class KeyFn, class Assigner>
class WindowedStream;

namespace detail {

template <class T>
input_op<T>* as_input(operator_base* op) {
  auto* in = dynamic_cast<input_op<T>*>(op);
  if (!in && op)
    throw std::logic_error("eddy: operator type mismatch in chain at '" + op->name() + "'");
  return in;
}

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

struct default_text_format {
  template <class T>
  void operator()(std::string& out, const T& v) const {
    append_text(out, v);
  }
};

/// Adapts a `std::string(const T&)` format function to the sinks' append form.
template <class F>
struct string_format {
  F f;
  template <class T>
  void operator()(std::string& out, const T& v) const {
    out.append(f(v));
  }
};

}  // namespace detail

/// Handle to a sink, for configuring it (Flink's DataStreamSink).
class DataStreamSink {
 public:
  DataStreamSink(StreamEnvironment* env, int node) : env_(env), node_(node) {}
  DataStreamSink& set_parallelism(int p) {
    if (p < 1) throw std::invalid_argument("parallelism must be at least 1");
    env_->graph().node(node_).parallelism = p;
    return *this;
  }
  DataStreamSink& name(std::string n) {
    env_->graph().node(node_).name = std::move(n);
    return *this;
  }
  DataStreamSink& uid(std::string u) {
    env_->graph().node(node_).uid = std::move(u);
    return *this;
  }
  DataStreamSink& disable_chaining() {
    env_->graph().node(node_).chaining = false;
    return *this;
  }
  [[nodiscard]] int node_id() const noexcept { return node_; }

 private:
  StreamEnvironment* env_;
  int node_;
};

template <class T>
class DataStream {
 public:
  using value_type = T;
  DataStream(StreamEnvironment* env, int node, partition_kind next = partition_kind::automatic)
      : env_(env), node_(node), next_kind_(next) {}

  // ---- transformations ----
  /// One output per input: fn(T) -> U.
  template <class F>
  auto map(F fn) {
    using U = std::decay_t<std::invoke_result_t<F&, T&&>>;
    return add_op<U>("map", [fn](operator_base* next) {
      return std::make_unique<map_op<T, U, F>>(fn, detail::as_input<U>(next));
    });
  }
  /// Keeps the records for which fn(const T&) is true.
  template <class F>
  DataStream<T> filter(F fn) {
    return add_op<T>("filter", [fn](operator_base* next) {
      return std::make_unique<filter_op<T, F>>(fn, detail::as_input<T>(next));
    });
  }
  /// Zero or more outputs per input: fn(T, collector<U>&). U is deduced from the collector
  /// parameter, or given explicitly for generic lambdas: flat_map<U>(fn).
  template <class U = void, class F>
  auto flat_map(F fn) {
    using Out = std::conditional_t<std::is_void_v<U>, detail::flat_map_output_t<F>, U>;
    return add_op<Out>("flat_map", [fn](operator_base* next) {
      return std::make_unique<flat_map_op<T, Out, F>>(fn, detail::as_input<Out>(next));
    });
  }
  /// Partitions by key_fn(const T&); records with equal keys go to the same subtask.
  template <class KeyFn>
  KeyedStream<T, KeyFn> key_by(KeyFn key_fn) const {
    return KeyedStream<T, KeyFn>(env_, node_, std::move(key_fn));
  }
  /// Gives every record an event-time timestamp and emits watermarks (see
  /// watermark_strategy.hpp). The strategy needs a timestamp assigner.
  template <class F>
  DataStream<T> assign_timestamps_and_watermarks(const WatermarkStrategy<T, F>& strategy) {
    static_assert(!std::is_same_v<F, std::nullptr_t>,
                  "eddy: give the strategy a timestamp assigner: .with_timestamp_assigner(fn)");
    auto fn = strategy.timestamp_assigner();
    auto delay = strategy.out_of_orderness();
    const bool per_record = strategy.per_record();
    const auto idleness = strategy.idleness();
    return add_op<T>("timestamps", [fn, delay, per_record, idleness](operator_base* next) {
      return std::make_unique<timestamp_assigner_op<T, F>>(fn, delay, detail::as_input<T>(next),
                                                           per_record, idleness);
    });
  }
  /// The records this stream's operator emitted to side output `tag` (e.g. a window's late data).
  template <class S>
  DataStream<S> get_side_output(const output_tag<S>& tag) {
    auto& g = env_->graph();
    auto& producer = node();
    bool known = false;
    for (const auto& [t, make] : producer.side_writers) known = known || t == tag.id;
    if (!known)
      producer.side_writers.emplace_back(
          tag.id, [] { return std::unique_ptr<operator_base>(new record_writer<S>()); });
    const int parallelism = producer.parallelism;
    auto& n = g.add_node(node_kind::transform, "side output " + tag.id);
    const int id = n.id;
    n.parallelism = parallelism;
    n.make_operator = [](operator_base* next) -> std::unique_ptr<operator_base> {
      return std::make_unique<union_op<S>>(detail::as_input<S>(next));
    };
    detail::set_input_type<S>(n);
    detail::set_output_type<S>(n);
    detail::connect<S>(g, node_, id, partition_kind::forward);
    g.edges().back().side_tag = tag.id;
    return DataStream<S>(env_, id);
  }
  /// Merges this stream with others of the same type.
  template <class... More>
  DataStream<T> union_with(const More&... others) {
    auto& g = env_->graph();
    auto& n = g.add_node(node_kind::transform, "union");
    const int id = n.id;
    n.make_operator = [](operator_base* next) -> std::unique_ptr<operator_base> {
      return std::make_unique<union_op<T>>(detail::as_input<T>(next));
    };
    detail::set_input_type<T>(n);
    detail::set_output_type<T>(n);
    detail::connect<T>(g, node_, id, next_kind_);
    (detail::connect<T>(g, others.node_id(), id, others.next_partitioning()), ...);
    return DataStream<T>(env_, id);
  }

  // ---- partitioning of the next edge ----
  /// Round-robin over all downstream subtasks.
  DataStream<T> rebalance() const { return DataStream<T>(env_, node_, partition_kind::rebalance); }
  /// Every record to every downstream subtask.
  DataStream<T> broadcast() const { return DataStream<T>(env_, node_, partition_kind::broadcast); }
  /// Subtask i to subtask i (needs equal parallelism).
  DataStream<T> forward() const { return DataStream<T>(env_, node_, partition_kind::forward); }

  // ---- operator settings (apply to the operator that produced this stream) ----
  DataStream<T>& set_parallelism(int p) {
    if (p < 1)
      throw std::invalid_argument("parallelism must be at least 1, got " + std::to_string(p));
    node().parallelism = p;
    return *this;
  }
  DataStream<T>& name(std::string n) {
    if (node().companion >= 0) env_->graph().node(node().companion).name = n + " (local)";
    node().name = std::move(n);
    return *this;
  }
  /// A stable id for the operator (used by savepoints in a later version).
  DataStream<T>& uid(std::string u) {
    node().uid = std::move(u);
    return *this;
  }
  /// Runs this operator in its own actor, not chained with its neighbours.
  DataStream<T>& disable_chaining() {
    node().chaining = false;
    return *this;
  }

  // ---- sinks ----
  /// Calls a copy of fn(const T&) per subtask for every record (see function_sink_op).
  template <class F>
  DataStreamSink add_sink(F fn, std::string name = "sink") {
    return add_sink_op(std::move(name), [fn](operator_base*) {
      return std::make_unique<function_sink_op<T, F>>(fn);
    });
  }
  /// Prints every record to stdout (see print_sink_op).
  DataStreamSink print() {
    return add_sink_op("print", [](operator_base*) {
      return std::make_unique<print_sink_op<T, detail::default_text_format>>(
          detail::default_text_format{});
    });
  }
  /// Writes one line per record to part files in directory `dir` (created if missing). The
  /// output is the concatenation of the files whose names do not start with a dot.
  DataStreamSink write_text_file(std::string dir) {
    return write_text_file_with(std::move(dir), detail::default_text_format{});
  }
  /// As above with fmt(const T&) -> std::string giving each line.
  template <class Fmt>
  DataStreamSink write_text_file(std::string dir, Fmt fmt) {
    return write_text_file_with(std::move(dir), detail::string_format<Fmt>{std::move(fmt)});
  }
  /// Gathers every record in memory (for tests and small results); read after execute().
  collected<T> collect() {
    collected<T> target;
    add_sink_op("collect",
                [target](operator_base*) { return std::make_unique<collect_sink_op<T>>(target); });
    return target;
  }

  [[nodiscard]] int node_id() const noexcept { return node_; }
  [[nodiscard]] partition_kind next_partitioning() const noexcept { return next_kind_; }
  [[nodiscard]] StreamEnvironment& environment() const noexcept { return *env_; }

  /// Adds a one-input operator consuming this stream; `make(next)` creates it per subtask.
  template <class U, class Make>
  DataStream<U> add_op(std::string name, Make make, partition_kind kind,
                       std::function<void(job_graph&, int from, int to)> link = {}) {
    auto& g = env_->graph();
    auto& n = g.add_node(node_kind::transform, std::move(name));
    const int id = n.id;
    n.make_operator = [make](operator_base* next) -> std::unique_ptr<operator_base> {
      return make(next);
    };
    detail::set_input_type<T>(n);
    detail::set_output_type<U>(n);
    if (link)
      link(g, node_, id);
    else
      detail::connect<T>(g, node_, id, kind);
    return DataStream<U>(env_, id);
  }
  template <class U, class Make>
  DataStream<U> add_op(std::string name, Make make) {
    return add_op<U>(std::move(name), std::move(make), next_kind_);
  }

 private:
  template <class Fmt>
  DataStreamSink write_text_file_with(std::string dir, Fmt fmt) {
    const int id = static_cast<int>(env_->graph().nodes().size());
    return add_sink_op("write_text_file", [dir, id, fmt](operator_base*) {
      return std::make_unique<text_file_sink_op<T, Fmt>>(dir, id, fmt);
    });
  }

  template <class Make>
  DataStreamSink add_sink_op(std::string name, Make make) {
    auto& g = env_->graph();
    auto& n = g.add_node(node_kind::sink, std::move(name));
    const int id = n.id;
    n.make_operator = [make](operator_base* next) -> std::unique_ptr<operator_base> {
      return make(next);
    };
    detail::set_input_type<T>(n);
    detail::connect<T>(g, node_, id, next_kind_);
    return DataStreamSink(env_, id);
  }

  graph_node& node() { return env_->graph().node(node_); }

  StreamEnvironment* env_;
  int node_;
  partition_kind next_kind_;
};

/// A stream partitioned by key (Flink's KeyedStream): rolling aggregations per key.
template <class T, class KeyFn>
class KeyedStream {
 public:
  using key_type = std::decay_t<std::invoke_result_t<KeyFn&, const T&>>;

  KeyedStream(StreamEnvironment* env, int node, KeyFn key_fn)
      : env_(env), node_(node), key_fn_(std::move(key_fn)) {}

  /// Rolling reduce: fn(const T& accumulator, const T& value) -> T per key. Streaming mode emits
  /// every updated accumulator; batch mode only the final one per key (the job's runtime mode at
  /// execution decides).
  ///
  /// In batch mode the records are first pre-aggregated per key inside each upstream subtask (a
  /// combiner chained to the upstream operator), so only one record per key and upstream subtask
  /// crosses the exchange. The function must therefore be associative (as Flink requires).
  template <class F>
  DataStream<T> reduce(F fn, std::string name = "reduce") {
    KeyFn kf = key_fn_;
    using op_type = keyed_reduce_op<T, key_type, KeyFn, F>;
    const int upstream_parallelism = env_->graph().node(node_).parallelism;
    DataStream<T> combined =
        DataStream<T>(env_, node_)
            .template add_op<T>(name + " (local)", [kf, fn](operator_base* next) {
              return std::make_unique<op_type>(kf, fn, reduce_role::combiner,
                                               detail::as_input<T>(next));
            });
    env_->graph().node(combined.node_id()).parallelism = upstream_parallelism;
    auto result = combined.template add_op<T>(
        std::move(name),
        [kf, fn](operator_base* next) {
          return std::make_unique<op_type>(kf, fn, reduce_role::final, detail::as_input<T>(next));
        },
        partition_kind::hash,
        [kf](job_graph& g, int from, int to) {
          detail::connect<T>(g, from, to, partition_kind::hash, kf);
        });
    env_->graph().node(result.node_id()).companion = combined.node_id();
    return result;
  }
  /// Rolling sum of field I (of a pair/tuple) or of the value itself (arithmetic T).
  template <std::size_t I = 0>
  DataStream<T> sum() {
    return reduce([](const T& acc, const T& v) { return combine_field<I>(acc, v, std::plus<>{}); },
                  "sum");
  }
  /// Rolling minimum of field I (other fields from the first record of the key).
  template <std::size_t I = 0>
  DataStream<T> min() {
    return reduce(
        [](const T& acc, const T& v) {
          return combine_field<I>(acc, v,
                                  [](const auto& a, const auto& b) { return b < a ? b : a; });
        },
        "min");
  }
  /// Rolling maximum of field I (other fields from the first record of the key).
  template <std::size_t I = 0>
  DataStream<T> max() {
    return reduce(
        [](const T& acc, const T& v) {
          return combine_field<I>(acc, v,
                                  [](const auto& a, const auto& b) { return a < b ? b : a; });
        },
        "max");
  }

  /// Runs a keyed process function (see keyed_process.hpp) with keyed state, event-time timers
  /// and side outputs. Out is deduced from process_element's collector parameter, or given.
  template <class Out = void, class Fn>
  auto process(Fn fn, std::string name = "process") {
    using O = typename detail::process_output<Out, Fn>::type;
    using op_type = keyed_process_op<T, key_type, KeyFn, O, Fn>;
    KeyFn kf = key_fn_;
    return DataStream<T>(env_, node_)
        .template add_op<O>(
            std::move(name),
            [kf, fn](operator_base* next) {
              return std::make_unique<op_type>(kf, fn, detail::as_input<O>(next));
            },
            partition_kind::hash,
            [kf](job_graph& g, int from, int to) {
              detail::connect<T>(g, from, to, partition_kind::hash, kf);
            });
  }

  /// Groups each key's records into windows (see windows.hpp): TumblingEventTimeWindows::of(size),
  /// SlidingEventTimeWindows::of(size, slide). Needs timestamps and watermarks upstream.
  template <class Assigner>
  WindowedStream<T, KeyFn, Assigner> window(Assigner assigner) const {
    return WindowedStream<T, KeyFn, Assigner>(env_, node_, key_fn_, std::move(assigner));
  }

  [[nodiscard]] const KeyFn& key_selector() const noexcept { return key_fn_; }
  [[nodiscard]] int node_id() const noexcept { return node_; }

 private:
  template <std::size_t I, class Op>
  static T combine_field(const T& acc, const T& v, Op op) {
    if constexpr (std::is_arithmetic_v<T>) {
      return static_cast<T>(op(acc, v));
    } else {
      T out = acc;
      std::get<I>(out) = op(std::get<I>(acc), std::get<I>(v));
      return out;
    }
  }

  StreamEnvironment* env_;
  int node_;
  KeyFn key_fn_;
};

/// A keyed stream grouped into windows (Flink's WindowedStream).
template <class T, class KeyFn, class Assigner>
class WindowedStream {
 public:
  using key_type = std::decay_t<std::invoke_result_t<KeyFn&, const T&>>;

  WindowedStream(StreamEnvironment* env, int node, KeyFn key_fn, Assigner assigner)
      : env_(env), node_(node), key_fn_(std::move(key_fn)), assigner_(std::move(assigner)) {}

  /// Keeps each window's state this much longer after it fired; late records within it fire the
  /// window again with the updated result. Later records are counted as late.
  WindowedStream allowed_lateness(std::chrono::milliseconds lateness) const {
    if (lateness.count() < 0) throw std::invalid_argument("allowed lateness must not be negative");
    WindowedStream w = *this;
    w.lateness_ = lateness.count();
    return w;
  }

  /// Sends records too late for their windows to side output `tag` (read it with
  /// get_side_output(tag) on the window's result stream) instead of only counting them.
  WindowedStream side_output_late_data(const output_tag<T>& tag) const {
    WindowedStream w = *this;
    w.late_tag_ = tag.id;
    return w;
  }

  /// fn(const T&, const T&) -> T over each window's records (associative).
  template <class F>
  DataStream<T> reduce(F fn) {
    return add<reduce_window_fn<T, F>>("window reduce", reduce_window_fn<T, F>{fn});
  }
  /// agg.create_accumulator(), agg.add(ACC&, const T&), agg.get_result(const ACC&) -> R.
  template <class Agg>
  auto aggregate(Agg agg) {
    using W = aggregate_window_fn<T, Agg>;
    return add<W>("window aggregate", W{agg});
  }
  /// As aggregate(agg), then fn(key, window, result, collector<Out>&) with the window's metadata.
  template <class Agg, class F>
  auto aggregate(Agg agg, F fn) {
    using Out = detail::window_fn_output_t<F>;
    using W = aggregate_process_window_fn<T, Agg, Out, F>;
    return add<W>("window aggregate", W{agg, fn});
  }
  /// fn(key, window, const std::vector<T>& records, collector<Out>&) over the whole window.
  template <class F>
  auto process(F fn) {
    using Out = detail::window_fn_output_t<F>;
    using W = process_window_fn<T, Out, F>;
    return add<W>("window process", W{fn});
  }

 private:
  template <class W>
  DataStream<typename W::output> add(std::string name, W win_fn) {
    using Out = typename W::output;
    using op_type = window_op<T, key_type, KeyFn, Assigner, W>;
    KeyFn kf = key_fn_;
    Assigner asg = assigner_;
    std::int64_t lateness = lateness_;
    std::string late_tag = late_tag_;
    return DataStream<T>(env_, node_)
        .template add_op<Out>(
            std::move(name),
            [kf, asg, win_fn, lateness, late_tag](operator_base* next) {
              return std::make_unique<op_type>(kf, asg, win_fn, lateness, late_tag,
                                               detail::as_input<Out>(next));
            },
            partition_kind::hash,
            [kf](job_graph& g, int from, int to) {
              detail::connect<T>(g, from, to, partition_kind::hash, kf);
            });
  }

  StreamEnvironment* env_;
  int node_;
  KeyFn key_fn_;
  Assigner assigner_;
  std::int64_t lateness_ = 0;
  std::string late_tag_;
};

// ---- StreamEnvironment template members ----

template <class T>
DataStream<T> StreamEnvironment::from_collection(std::vector<T> data) {
  auto shared = std::make_shared<const std::vector<T>>(std::move(data));
  auto& n = graph_->add_node(node_kind::source, "collection");
  n.make_source = [shared](operator_base* next) -> std::unique_ptr<source_base> {
    return std::make_unique<collection_source<T>>(shared, detail::as_input<T>(next));
  };
  detail::set_output_type<T>(n);
  return DataStream<T>(this, n.id);
}

template <class F>
auto StreamEnvironment::from_generator(std::uint64_t count, F fn) {
  using T = std::decay_t<std::invoke_result_t<F&, std::uint64_t>>;
  auto& n = graph_->add_node(node_kind::source, "generator");
  n.bounded = count != unbounded;
  n.make_source = [count, fn](operator_base* next) -> std::unique_ptr<source_base> {
    return std::make_unique<generator_source<T, F>>(count, fn, detail::as_input<T>(next));
  };
  detail::set_output_type<T>(n);
  return DataStream<T>(this, n.id);
}

template <class T>
DataStream<T> StreamEnvironment::add_source(
    std::function<std::unique_ptr<source_function<T>>(const subtask_info&)> factory,
    std::string name, bool bounded) {
  auto& n = graph_->add_node(node_kind::source, std::move(name));
  n.bounded = bounded;
  // The factory needs the subtask info, known only at open(): create lazily through a wrapper.
  struct lazy final : source_function<T> {
    std::function<std::unique_ptr<source_function<T>>(const subtask_info&)> factory;
    std::unique_ptr<source_function<T>> inner;
    void open(const subtask_info& info) override {
      inner = factory(info);
      if (!inner) throw std::runtime_error("source factory returned no source");
      inner->open(info);
    }
    source_status poll(std::vector<T>& out, std::size_t max) override {
      return inner->poll(out, max);
    }
    void close() override {
      if (inner) inner->close();
    }
  };
  n.make_source = [factory](operator_base* next) -> std::unique_ptr<source_base> {
    auto l = std::make_unique<lazy>();
    l->factory = factory;
    return std::make_unique<function_source<T>>(std::move(l), detail::as_input<T>(next));
  };
  detail::set_output_type<T>(n);
  return DataStream<T>(this, n.id);
}

}  // namespace eddy
