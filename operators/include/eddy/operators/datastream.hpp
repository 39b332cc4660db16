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
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/operators/basic_ops.hpp"
#include "eddy/operators/collector.hpp"
#include "eddy/operators/fusion.hpp"
#include "eddy/operators/graph_wiring.hpp"
#include "eddy/operators/keyed_process.hpp"
#include "eddy/operators/keyed_reduce_op.hpp"
#include "eddy/operators/sinks.hpp"
#include "eddy/operators/sources.hpp"
#include "eddy/operators/stream_environment.hpp"
#include "eddy/operators/to_text.hpp"
#include "eddy/operators/two_phase_commit_sink.hpp"
#include "eddy/operators/watermark_strategy.hpp"
#include "eddy/operators/windows.hpp"

namespace eddy {

template <class T, class... Stages>
class FusableStream;
template <class T, class KeyFn>
class KeyedStream;
/// Tag type meaning "the assigner's default trigger" (EventTimeTrigger, ProcessingTimeTrigger or
/// NeverTrigger, resolved when the window operator is built; see WindowedStream::trigger).
struct default_trigger {};
template <class T, class KeyFn, class Assigner, class Trigger = default_trigger,
          class Evictor = no_evictor>
class WindowedStream;
template <class T, class Assigner, class Trigger = default_trigger, class Evictor = no_evictor>
class AllWindowedStream;
template <class A, class B>
class ConnectedStreams;
template <class R>
class BroadcastStream;
template <class A, class R>
class BroadcastConnectedStream;
template <class A, class B>
class JoinedStreams;
template <class A, class B>
class CoGroupedStreams;
template <class A, class KA, class B, class KB>
class IntervalJoin;
template <class A, class KA, class B, class KB>
class KeyedConnectedStreams;
template <class A, class KA, class R>
class KeyedBroadcastConnectedStream;

namespace detail {

/// flat_map's output type: U if given, else deduced from fn's collector<Out>& parameter (only
/// then: a generic lambda has none).
template <class U, class F>
struct flat_map_out {
  using type = U;
};
template <class F>
struct flat_map_out<void, F> {
  using type = flat_map_output_t<F>;
};

/// The key of a non-keyed (all) window: one key, so one window set.
struct all_key {
  template <class T>
  std::uint8_t operator()(const T&) const noexcept {
    return 0;
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
  /// Marks this sink as a dead-letter output: the records it receives are the job's dead
  /// letters, counted per subtask (subtask_metrics::dead_letters, the REST API, /metrics).
  DataStreamSink& as_dead_letters() {
    env_->graph().node(node_).dead_letters = true;
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
  /// (map, filter and flat_map return a FusableStream<U, ...>, a DataStream<U> that lets the
  /// runtime fuse consecutive stateless operators, see fusion.hpp.)
  template <class F>
  auto map(F fn) {
    using U = std::decay_t<std::invoke_result_t<F&, T&&>>;
    auto s = add_op<U>("map", [fn](operator_base* next) {
      return std::make_unique<map_op<T, U, F>>(fn, detail::as_input<U>(next));
    });
    return FusableStream<U, fusion::map_stage<T, U, F>>(
        env_, s.node_id(), std::make_tuple(fusion::map_stage<T, U, F>{std::move(fn)}));
  }
  /// Keeps the records for which fn(const T&) is true.
  template <class F>
  auto filter(F fn) {
    auto s = add_op<T>("filter", [fn](operator_base* next) {
      return std::make_unique<filter_op<T, F>>(fn, detail::as_input<T>(next));
    });
    return FusableStream<T, fusion::filter_stage<T, F>>(
        env_, s.node_id(), std::make_tuple(fusion::filter_stage<T, F>{std::move(fn)}));
  }
  /// Zero or more outputs per input: fn(T, collector<U>&). U is deduced from the collector
  /// parameter, or given explicitly for generic lambdas: flat_map<U>(fn).
  template <class U = void, class F>
  auto flat_map(F fn) {
    using Out = typename detail::flat_map_out<U, F>::type;
    auto s = add_op<Out>("flat_map", [fn](operator_base* next) {
      return std::make_unique<flat_map_op<T, Out, F>>(fn, detail::as_input<Out>(next));
    });
    return FusableStream<Out, fusion::flat_map_stage<T, Out, F>>(
        env_, s.node_id(), std::make_tuple(fusion::flat_map_stage<T, Out, F>{std::move(fn)}));
  }
  /// Partitions by key_fn(const T&); records with equal keys go to the same subtask.
  template <class KeyFn>
  KeyedStream<T, KeyFn> key_by(KeyFn key_fn) const {
    return KeyedStream<T, KeyFn>(env_, node_, std::move(key_fn));
  }
  /// Groups all records (not keyed) into windows, evaluated by one subtask (Flink's windowAll).
  template <class Assigner>
  AllWindowedStream<T, Assigner> window_all(Assigner assigner) const {
    return AllWindowedStream<T, Assigner>(WindowedStream<T, detail::all_key, Assigner>(
        env_, node_, detail::all_key{}, std::move(assigner)));
  }
  /// Windows of `size` records over the whole stream (Flink's countWindowAll); see
  /// KeyedStream::count_window.
  auto count_window_all(std::int64_t size) const {
    return window_all(GlobalWindows::create())
        .trigger(PurgingTrigger<CountTrigger>::of(CountTrigger::of(size)));
  }
  auto count_window_all(std::int64_t size, std::int64_t slide) const {
    if (size <= 0) throw std::invalid_argument("count window size must be positive");
    return window_all(GlobalWindows::create())
        .evictor(CountEvictor::of(static_cast<std::size_t>(size)))
        .trigger(CountTrigger::of(slide));
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
  /// A broadcast stream carrying broadcast state (the broadcast state pattern): connect a
  /// (keyed) stream to it and process both with a broadcast process function
  /// (connected_streams.hpp). The descriptors name the broadcast states it writes.
  template <class... Descriptors>
  BroadcastStream<T> broadcast(const Descriptors&... descriptors) const;

  // ---- two inputs (connected_streams.hpp) ----
  /// Connects this stream with another (of any type) for a co-process/co-map function.
  template <class B>
  ConnectedStreams<T, B> connect(const DataStream<B>& other) const;
  /// Connects this stream with a broadcast stream (broadcast state pattern).
  template <class R>
  BroadcastConnectedStream<T, R> connect(const BroadcastStream<R>& other) const;
  /// Window join: join(other).where(key_a).equal_to(key_b).window(assigner).apply(fn).
  template <class B>
  JoinedStreams<T, B> join(const DataStream<B>& other) const;
  /// Window co-group: co_group(other).where(ka).equal_to(kb).window(assigner).apply(fn).
  template <class B>
  CoGroupedStreams<T, B> co_group(const DataStream<B>& other) const;
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
  /// Marks the operator that produced this stream as a dead-letter output: the records it
  /// receives are the job's dead letters, counted per subtask (subtask_metrics::dead_letters,
  /// the REST API, /metrics). Mark one operator per path: each marked one is counted.
  DataStream<T>& as_dead_letters() {
    node().dead_letters = true;
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
  /// An exactly-once sink to an external system: `factory(info)` returns a
  /// std::unique_ptr to a subclass of two_phase_commit_sink<T, Txn> per subtask (see
  /// two_phase_commit_sink.hpp).
  template <class Factory>
  DataStreamSink add_two_phase_commit_sink(Factory factory, std::string name = "sink") {
    using sink = typename std::invoke_result_t<Factory&, const subtask_info&>::element_type;
    using txn = typename sink::transaction_type;
    using op = two_phase_commit_sink_op<T, txn>;
    typename op::factory f = [factory](const subtask_info& info) {
      return std::unique_ptr<typename op::sink_type>(factory(info));
    };
    return add_sink_op(std::move(name), [f](operator_base*) { return std::make_unique<op>(f); });
  }
  /// Writes to a connector's sink (connector.hpp), e.g. Kafka; `name` (default: the sink's)
  /// names the operator.
  DataStreamSink sink_to(const Sink<T>& sink, std::string name = {}) {
    if (!sink.make_writer) throw std::invalid_argument("sink_to: the sink has no writer");
    auto make = sink.make_writer;
    const sink_context context{static_cast<int>(env_->graph().nodes().size())};
    return add_sink_op(name.empty() ? sink.name : std::move(name),
                       [make, context](operator_base*) -> std::unique_ptr<operator_base> {
                         auto w = make(context);
                         if (!w) throw std::runtime_error("the sink made no writer");
                         return w;
                       });
  }
  /// Prints every record to stdout (see print_sink_op).
  DataStreamSink print() {
    return add_sink_op("print", [](operator_base*) {
      return std::make_unique<print_sink_op<T, detail::default_text_format>>(
          detail::default_text_format{});
    });
  }
  /// Writes one line per record to part files in directory `dir` (created if missing), a new
  /// file when `policy` says (sinks.hpp; default: 128 MiB or 60 s) and at every checkpoint. The
  /// output is the concatenation of the files whose names do not start with a dot.
  DataStreamSink write_text_file(std::string dir, rolling_policy policy = {}) {
    return write_text_file_with(std::move(dir), detail::default_text_format{}, policy);
  }
  /// As above with fmt(const T&) -> std::string giving each line.
  template <class Fmt>
  DataStreamSink write_text_file(std::string dir, Fmt fmt, rolling_policy policy = {}) {
    return write_text_file_with(std::move(dir), detail::string_format<Fmt>{std::move(fmt)}, policy);
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
  DataStreamSink write_text_file_with(std::string dir, Fmt fmt, rolling_policy policy) {
    const int id = static_cast<int>(env_->graph().nodes().size());
    return add_sink_op("write_text_file", [dir, id, fmt, policy](operator_base*) {
      return std::make_unique<text_file_sink_op<T, Fmt>>(dir, id, fmt, policy);
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

/// The stream of a per-record stateless operator (map, filter, flat_map) or of a generator: a
/// DataStream<T> that also carries the functions of the run of such operators ending with it,
/// so that the runtime can fuse them into one loop (fusion.hpp). Use it as any DataStream<T>
/// (it converts to one); its own map, filter, flat_map, add_sink and settings keep the run
/// going, anything else ends it. Fusion never changes results, names, counters or checkpoints.
template <class T, class... Stages>
class FusableStream : public DataStream<T> {
 public:
  FusableStream(StreamEnvironment* env, int node, std::tuple<Stages...> stages,
                std::vector<int> run = {})
      : DataStream<T>(env, node), stages_(std::move(stages)), run_(std::move(run)) {
    if (run_.empty()) run_.push_back(node);
  }

  template <class F>
  auto map(F fn) {
    return extend(DataStream<T>::map(std::move(fn)));
  }
  template <class F>
  auto filter(F fn) {
    return extend(DataStream<T>::filter(std::move(fn)));
  }
  template <class U = void, class F>
  auto flat_map(F fn) {
    return extend(DataStream<T>::template flat_map<U>(std::move(fn)));
  }
  template <class F>
  DataStreamSink add_sink(F fn, std::string name = "sink") {
    auto sink = DataStream<T>::add_sink(fn, std::move(name));
    if constexpr (sizeof...(Stages) < fusion::max_run) {
      auto run = run_;
      run.push_back(sink.node_id());
      fusion::set_fused_factory(
          this->environment().graph().node(sink.node_id()), std::move(run),
          std::tuple_cat(stages_, std::make_tuple(fusion::sink_stage<T, F>{std::move(fn)})));
    }
    return sink;
  }

  FusableStream& set_parallelism(int p) {
    DataStream<T>::set_parallelism(p);
    return *this;
  }
  FusableStream& name(std::string n) {
    DataStream<T>::name(std::move(n));
    return *this;
  }
  FusableStream& uid(std::string u) {
    DataStream<T>::uid(std::move(u));
    return *this;
  }
  FusableStream& disable_chaining() {
    DataStream<T>::disable_chaining();
    return *this;
  }
  FusableStream& as_dead_letters() {
    DataStream<T>::as_dead_letters();
    return *this;
  }

  /// The functions of the run ending here, one per node of run().
  [[nodiscard]] const std::tuple<Stages...>& stages() const noexcept { return stages_; }
  [[nodiscard]] const std::vector<int>& run() const noexcept { return run_; }

 private:
  /// Appends the single-stage stream `next` (just added after this one) to the run.
  template <class U, class Stage>
  auto extend(FusableStream<U, Stage> next) {
    if constexpr (sizeof...(Stages) >= fusion::max_run) {
      return next;
    } else {
      auto run = run_;
      run.push_back(next.node_id());
      auto stages = std::tuple_cat(stages_, next.stages());
      fusion::set_fused_factory(this->environment().graph().node(next.node_id()), run, stages);
      return FusableStream<U, Stages..., Stage>(&this->environment(), next.node_id(),
                                                std::move(stages), std::move(run));
    }
  }

  std::tuple<Stages...> stages_;
  std::vector<int> run_;
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

  /// Groups each key's records into windows (see window_assigners.hpp): tumbling, sliding and
  /// session windows in event or processing time, or GlobalWindows. Event-time windows need
  /// timestamps and watermarks upstream.
  template <class Assigner>
  WindowedStream<T, KeyFn, Assigner> window(Assigner assigner) const {
    return WindowedStream<T, KeyFn, Assigner>(env_, node_, key_fn_, std::move(assigner));
  }
  /// Windows of `size` records per key (Flink's countWindow): global windows fired and purged
  /// every `size` records. An incomplete last window of a bounded input is not emitted.
  auto count_window(std::int64_t size) const {
    return window(GlobalWindows::create())
        .trigger(PurgingTrigger<CountTrigger>::of(CountTrigger::of(size)));
  }
  /// Sliding count windows: every `slide` records, the last `size` records of the key.
  auto count_window(std::int64_t size, std::int64_t slide) const {
    if (size <= 0) throw std::invalid_argument("count window size must be positive");
    return window(GlobalWindows::create())
        .evictor(CountEvictor::of(static_cast<std::size_t>(size)))
        .trigger(CountTrigger::of(slide));
  }

  /// Connects with another keyed stream for a keyed co-process function (connected_streams.hpp);
  /// both keys must have the same type.
  template <class B, class KB>
  KeyedConnectedStreams<T, KeyFn, B, KB> connect(const KeyedStream<B, KB>& other) const;
  /// Connects with a broadcast stream: keyed broadcast process function.
  template <class R>
  KeyedBroadcastConnectedStream<T, KeyFn, R> connect(const BroadcastStream<R>& other) const;
  /// Interval join with another keyed stream: interval_join(other).between(lo, hi).process(fn).
  template <class B, class KB>
  IntervalJoin<T, KeyFn, B, KB> interval_join(const KeyedStream<B, KB>& other) const;

  [[nodiscard]] const KeyFn& key_selector() const noexcept { return key_fn_; }
  [[nodiscard]] StreamEnvironment& environment() const noexcept { return *env_; }
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

namespace detail {
template <class Assigner>
struct default_trigger_of {
  using type = std::conditional_t<
      std::is_same_v<Assigner, GlobalWindows>, NeverTrigger,
      std::conditional_t<Assigner::is_event_time, EventTimeTrigger, ProcessingTimeTrigger>>;
};
template <class Assigner, class Trigger>
using resolved_trigger_t = std::conditional_t<std::is_same_v<Trigger, default_trigger>,
                                              typename default_trigger_of<Assigner>::type, Trigger>;
template <class Assigner>
inline constexpr bool is_fixed_event_time_assigner_v =
    std::is_same_v<Assigner, TumblingEventTimeWindows> ||
    std::is_same_v<Assigner, SlidingEventTimeWindows>;

/// The Out of an all-window function `void(window, input, collector<Out>&)`.
template <class F>
using all_window_fn_output_t =
    typename collector_value<std::tuple_element_t<2, typename callable_args<F>::type>>::type;

/// Adapts an all-window function fn(window, input, out) to the keyed form (key ignored).
template <class F>
struct ignore_key {
  F fn;
  template <class K, class W, class In, class C>
  void operator()(const K&, const W& w, In&& in, C& out) const {
    fn(w, std::forward<In>(in), out);
  }
};

}  // namespace detail

/// A keyed stream grouped into windows (Flink's WindowedStream). Copies are cheap; each setter
/// returns a new WindowedStream.
template <class T, class KeyFn, class Assigner, class Trigger, class Evictor>
class WindowedStream {
 public:
  using key_type = std::decay_t<std::invoke_result_t<KeyFn&, const T&>>;
  using window_type = typename Assigner::window_type;

  WindowedStream(StreamEnvironment* env, int node, KeyFn key_fn, Assigner assigner,
                 Trigger trigger = {}, Evictor evictor = {})
      : env_(env),
        node_(node),
        key_fn_(std::move(key_fn)),
        assigner_(std::move(assigner)),
        trigger_(std::move(trigger)),
        evictor_(std::move(evictor)) {}

  /// Replaces the assigner's default trigger (see window_triggers.hpp): EventTimeTrigger,
  /// ProcessingTimeTrigger, CountTrigger::of(n), PurgingTrigger::of(t) or your own.
  template <class Tr>
  WindowedStream<T, KeyFn, Assigner, Tr, Evictor> trigger(Tr t) const {
    static_assert(
        !Assigner::is_merging || std::is_same_v<trigger_state_t<Tr>, no_trigger_state> ||
            requires(trigger_state_t<Tr> & a, const trigger_state_t<Tr>& b) {
              Tr::merge_state(a, b);
            },
        "eddy: a trigger with state needs merge_state() to be used with session windows");
    WindowedStream<T, KeyFn, Assigner, Tr, Evictor> w(env_, node_, key_fn_, assigner_, std::move(t),
                                                      evictor_);
    w.lateness_ = lateness_;
    w.late_tag_ = late_tag_;
    return w;
  }
  /// Removes records from each window before/after its function runs (see window_evictors.hpp):
  /// CountEvictor::of(n), TimeEvictor::of(d), DeltaEvictor::of(threshold, fn). The window then
  /// keeps all its records.
  template <class Ev>
  WindowedStream<T, KeyFn, Assigner, Trigger, Ev> evictor(Ev e) const {
    WindowedStream<T, KeyFn, Assigner, Trigger, Ev> w(env_, node_, key_fn_, assigner_, trigger_,
                                                      std::move(e));
    w.lateness_ = lateness_;
    w.late_tag_ = late_tag_;
    return w;
  }

  /// Keeps each window's state this much longer after it fired; late records within it fire the
  /// window again with the updated result. Later records are counted as late. (Event time only.)
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
  /// agg.create_accumulator(), agg.add(ACC&, const T&), agg.get_result(const ACC&) -> R; with
  /// session windows also agg.merge(const ACC&, const ACC&) -> ACC.
  template <class Agg>
  auto aggregate(Agg agg) {
    using W = aggregate_window_fn<T, Agg>;
    return add<W>("window aggregate", W{agg});
  }
  /// As aggregate(agg), then fn(key, window, result, collector<Out>&) with the window's metadata.
  template <class Agg, class F>
  auto aggregate(Agg agg, F fn) {
    return aggregate_as<detail::window_fn_output_t<F>>(std::move(agg), std::move(fn));
  }
  /// fn(key, window, const std::vector<T>& records, collector<Out>&) over the whole window.
  template <class F>
  auto process(F fn) {
    return process_as<detail::window_fn_output_t<F>>(std::move(fn));
  }

  /// As aggregate(agg, fn) and process(fn) with the output type given (for generic functions).
  template <class Out, class Agg, class F>
  auto aggregate_as(Agg agg, F fn) {
    using W = aggregate_process_window_fn<T, Agg, Out, F>;
    return add<W>("window aggregate", W{agg, fn});
  }
  template <class Out, class F>
  auto process_as(F fn) {
    using W = process_window_fn<T, Out, F>;
    return add<W>("window process", W{fn});
  }

 private:
  template <class, class, class, class, class>
  friend class WindowedStream;
  template <class, class, class, class>
  friend class AllWindowedStream;

  template <class W>
  DataStream<typename W::output> add(std::string name, W win_fn) {
    using Out = typename W::output;
    using Tr = detail::resolved_trigger_t<Assigner, Trigger>;
    KeyFn kf = key_fn_;
    Assigner asg = assigner_;
    Tr trig = [&] {
      if constexpr (std::is_same_v<Trigger, default_trigger>)
        return Tr{};
      else
        return trigger_;
    }();
    Evictor ev = evictor_;
    std::int64_t lateness = lateness_;
    std::string late_tag = late_tag_;
    auto link = [kf](job_graph& g, int from, int to) {
      detail::connect<T>(g, from, to, partition_kind::hash, kf);
    };
    if constexpr (detail::is_fixed_event_time_assigner_v<Assigner> &&
                  std::is_same_v<Trigger, default_trigger> && std::is_same_v<Evictor, no_evictor>) {
      // The common case: a specialised operator without per-record timers.
      using op_type = window_op<T, key_type, KeyFn, Assigner, W>;
      return DataStream<T>(env_, node_)
          .template add_op<Out>(
              std::move(name),
              [kf, asg, win_fn, lateness, late_tag](operator_base* next) {
                return std::make_unique<op_type>(kf, asg, win_fn, lateness, late_tag,
                                                 detail::as_input<Out>(next));
              },
              partition_kind::hash, link);
    } else {
      using op_type = triggered_window_op<T, key_type, KeyFn, Assigner, Tr, Evictor, W>;
      return DataStream<T>(env_, node_)
          .template add_op<Out>(
              std::move(name),
              [kf, asg, trig, ev, win_fn, lateness, late_tag](operator_base* next) {
                return std::make_unique<op_type>(kf, asg, trig, ev, win_fn, lateness, late_tag,
                                                 detail::as_input<Out>(next));
              },
              partition_kind::hash, link);
    }
  }

  StreamEnvironment* env_;
  int node_;
  KeyFn key_fn_;
  Assigner assigner_;
  Trigger trigger_;
  Evictor evictor_;
  std::int64_t lateness_ = 0;
  std::string late_tag_;
};

/// A non-keyed stream grouped into windows (Flink's AllWindowedStream): one window set over all
/// records, evaluated by a single subtask (parallelism 1, as in Flink). Window functions take no
/// key: process(fn(window, records, out)), aggregate(agg, fn(window, result, out)).
template <class T, class Assigner, class Trigger, class Evictor>
class AllWindowedStream {
 public:
  using inner_type = WindowedStream<T, detail::all_key, Assigner, Trigger, Evictor>;
  explicit AllWindowedStream(inner_type inner) : inner_(std::move(inner)) {}

  template <class Tr>
  AllWindowedStream<T, Assigner, Tr, Evictor> trigger(Tr t) const {
    return AllWindowedStream<T, Assigner, Tr, Evictor>(inner_.trigger(std::move(t)));
  }
  template <class Ev>
  AllWindowedStream<T, Assigner, Trigger, Ev> evictor(Ev e) const {
    return AllWindowedStream<T, Assigner, Trigger, Ev>(inner_.evictor(std::move(e)));
  }
  AllWindowedStream allowed_lateness(std::chrono::milliseconds lateness) const {
    return AllWindowedStream(inner_.allowed_lateness(lateness));
  }
  AllWindowedStream side_output_late_data(const output_tag<T>& tag) const {
    return AllWindowedStream(inner_.side_output_late_data(tag));
  }

  template <class F>
  DataStream<T> reduce(F fn) {
    return single(inner_.reduce(std::move(fn)));
  }
  template <class Agg>
  auto aggregate(Agg agg) {
    return single(inner_.aggregate(std::move(agg)));
  }
  /// As aggregate(agg), then fn(window, result, collector<Out>&).
  template <class Agg, class F>
  auto aggregate(Agg agg, F fn) {
    using Out = detail::all_window_fn_output_t<F>;
    return single(
        inner_.template aggregate_as<Out>(std::move(agg), detail::ignore_key<F>{std::move(fn)}));
  }
  /// fn(window, const std::vector<T>& records, collector<Out>&) over the whole window.
  template <class F>
  auto process(F fn) {
    using Out = detail::all_window_fn_output_t<F>;
    return single(inner_.template process_as<Out>(detail::ignore_key<F>{std::move(fn)}));
  }

 private:
  template <class S>
  static S single(S s) {
    s.set_parallelism(1);
    return s;
  }
  inner_type inner_;
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
  return FusableStream<T, fusion::generator_stage<T, F>>(
      this, n.id, std::make_tuple(fusion::generator_stage<T, F>{count, std::move(fn)}));
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
    std::optional<std::string> snapshot_position() override { return inner->snapshot_position(); }
    void restore_position(std::string_view p) override { inner->restore_position(p); }
  };
  n.make_source = [factory](operator_base* next) -> std::unique_ptr<source_base> {
    auto l = std::make_unique<lazy>();
    l->factory = factory;
    return std::make_unique<function_source<T>>(std::move(l), detail::as_input<T>(next));
  };
  detail::set_output_type<T>(n);
  return DataStream<T>(this, n.id);
}

template <class T>
DataStream<T> StreamEnvironment::from_source(const Source<T>& source, std::string name) {
  if (!source.make_reader) throw std::invalid_argument("from_source: the source has no reader");
  auto& n = graph_->add_node(node_kind::source, name.empty() ? source.name : std::move(name));
  n.bounded = source.bounded;
  n.make_enumerator = source.make_enumerator;
  n.make_source = [make = source.make_reader](operator_base* next) {
    auto r = make(detail::as_input<T>(next));
    if (!r) throw std::runtime_error("the source made no reader");
    return r;
  };
  detail::set_output_type<T>(n);
  return DataStream<T>(this, n.id);
}

template <class T, class F>
DataStream<T> StreamEnvironment::from_source(const Source<T>& source,
                                             const WatermarkStrategy<T, F>& strategy,
                                             std::string name) {
  return from_source(source, std::move(name)).assign_timestamps_and_watermarks(strategy);
}

}  // namespace eddy

#include "eddy/operators/connected_streams.hpp"  // IWYU pragma: export
