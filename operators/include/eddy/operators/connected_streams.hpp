#pragma once
/// Two-input parts of the DataStream API (included by datastream.hpp): connected streams with
/// co-process / co-map / co-flat-map functions, the broadcast state pattern, window joins and
/// co-groups, and interval joins (Flink's ConnectedStreams, BroadcastConnectedStream,
/// JoinedStreams, CoGroupedStreams, KeyedStream.IntervalJoin).
///
/// Two-input operators are never chained with their inputs (two edges arrive at them). Their
/// watermark is the minimum over both inputs' channels.
#include <chrono>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "eddy/operators/co_process.hpp"
#include "eddy/operators/datastream.hpp"
#include "eddy/operators/interval_join_op.hpp"
#include "eddy/operators/keyed_co_process.hpp"

namespace eddy {

namespace detail {
/// Adds a two-input operator reading `a` as input 0 and `b` as input 1. `link_a`/`link_b`
/// create the edges (hash edges need the key function).
template <class A, class B, class Out, class Make, class LinkA, class LinkB>
DataStream<Out> add_two_input(StreamEnvironment* env, std::string name, int from_a, int from_b,
                              Make make, LinkA link_a, LinkB link_b) {
  auto& g = env->graph();
  auto& n = g.add_node(node_kind::transform, std::move(name));
  const int id = n.id;
  n.make_operator = [make](operator_base* next) -> std::unique_ptr<operator_base> {
    return make(next);
  };
  n.make_input = [](operator_base* head) -> std::unique_ptr<input_adapter> {
    auto* op = dynamic_cast<two_input_op<A, B>*>(head);
    if (!op) throw std::logic_error("eddy: operator type mismatch at a two-input operator");
    return std::make_unique<two_input_adapter<A, B>>(op);
  };
  set_output_type<Out>(n);
  link_a(g, from_a, id);
  link_b(g, from_b, id);
  return DataStream<Out>(env, id);
}

/// Out of a co-map function pair (both must return the same type).
template <class A, class F1>
using co_map_output_t = std::decay_t<std::invoke_result_t<F1&, const A&>>;

/// The Out of a member function `void process_element1(In, Context&, collector<Out>&)`.
template <class F>
using process_element1_output_t = typename collector_value<std::tuple_element_t<
    2, typename callable_args<decltype(&std::decay_t<F>::process_element1)>::type>>::type;
template <class Out, class F>
struct co_process_output {
  using type = Out;
};
template <class F>
struct co_process_output<void, F> {
  using type = process_element1_output_t<F>;
};
template <class Out, class F>
struct broadcast_process_output {
  using type = Out;
};
template <class F>
struct broadcast_process_output<void, F> {
  using type = process_fn_output_t<F>;
};

template <class Out, class F>
struct interval_output {
  using type = Out;
};
template <class F>
struct interval_output<void, F> {
  using type =
      typename collector_value<std::tuple_element_t<3, typename callable_args<F>::type>>::type;
};

/// Splits a window of tagged records into both sides and calls the join or co-group function.
template <class A, class B, class Out, class F, bool CoGroup>
struct join_window_fn {
  F fn;
  template <class K, class W>
  void operator()(const K&, const W&, const std::vector<std::variant<A, B>>& records,
                  collector<Out>& out) const {
    std::vector<A> as;
    std::vector<B> bs;
    for (const auto& r : records) {
      if (r.index() == 0)
        as.push_back(std::get<0>(r));
      else
        bs.push_back(std::get<1>(r));
    }
    if constexpr (CoGroup) {
      fn(static_cast<const std::vector<A>&>(as), static_cast<const std::vector<B>&>(bs), out);
    } else {
      for (const A& a : as)
        for (const B& b : bs) {
          if constexpr (std::is_invocable_v<const F&, const A&, const B&, collector<Out>&>)
            fn(a, b, out);  // flat join function
          else
            out.collect(fn(a, b));
        }
    }
  }
};
}  // namespace detail

// ---- connect ----

/// Two streams connected for a function that sees both (Flink's ConnectedStreams).
template <class A, class B>
class ConnectedStreams {
 public:
  ConnectedStreams(DataStream<A> a, DataStream<B> b) : a_(a), b_(b) {}

  /// Runs fn.process_element1 on the first input's records and fn.process_element2 on the
  /// second's (see co_process.hpp). Out is deduced from process_element1's collector, or given.
  template <class Out = void, class Fn>
  auto process(Fn fn, std::string name = "co_process") {
    using O = typename detail::co_process_output<Out, Fn>::type;
    return add<O>(std::move(name), [fn](operator_base* next) {
      return std::make_unique<co_process_op<A, B, O, Fn>>(fn, detail::as_input<O>(next));
    });
  }
  /// f1(const A&) -> Out for the first input, f2(const B&) -> Out for the second.
  template <class F1, class F2>
  auto map(F1 f1, F2 f2) {
    using O = detail::co_map_output_t<A, F1>;
    static_assert(std::is_same_v<O, detail::co_map_output_t<B, F2>>,
                  "eddy: both co_map functions must return the same type");
    return process<O>(detail::co_map_fn<F1, F2>{std::move(f1), std::move(f2)}, "co_map");
  }
  /// f1(const A&, collector<Out>&) and f2(const B&, collector<Out>&).
  template <class F1, class F2>
  auto flat_map(F1 f1, F2 f2) {
    using O = detail::flat_map_output_t<F1>;
    return process<O>(detail::co_flat_map_fn<F1, F2>{std::move(f1), std::move(f2)}, "co_flat_map");
  }
  /// Keys both inputs (ka on the first, kb on the second; same key type) for a keyed
  /// co-process function.
  template <class KA, class KB>
  KeyedConnectedStreams<A, KA, B, KB> key_by(KA ka, KB kb) const {
    return a_.key_by(std::move(ka)).connect(b_.key_by(std::move(kb)));
  }

 private:
  template <class O, class Make>
  DataStream<O> add(std::string name, Make make) {
    auto ka = a_.next_partitioning();
    auto kb = b_.next_partitioning();
    return detail::add_two_input<A, B, O>(
        &a_.environment(), std::move(name), a_.node_id(), b_.node_id(), make,
        [ka](job_graph& g, int from, int to) { detail::connect<A>(g, from, to, ka, nullptr, 0); },
        [kb](job_graph& g, int from, int to) { detail::connect<B>(g, from, to, kb, nullptr, 1); });
  }

  DataStream<A> a_;
  DataStream<B> b_;
};

// ---- broadcast state pattern ----

/// A stream broadcast to every subtask of the operator it is connected to, with the names of
/// the broadcast states it writes (Flink's BroadcastStream).
template <class R>
class BroadcastStream {
 public:
  BroadcastStream(DataStream<R> s, std::vector<std::string> states)
      : stream_(s), states_(std::move(states)) {}
  [[nodiscard]] const DataStream<R>& stream() const { return stream_; }
  [[nodiscard]] const std::vector<std::string>& state_names() const { return states_; }

 private:
  DataStream<R> stream_;
  std::vector<std::string> states_;
};

/// A non-keyed stream connected with a broadcast stream.
template <class A, class R>
class BroadcastConnectedStream {
 public:
  BroadcastConnectedStream(DataStream<A> a, BroadcastStream<R> r) : a_(a), r_(std::move(r)) {}

  /// fn.process_element(const A&, ctx, out) reads broadcast state (ctx.broadcast_state(desc),
  /// read only); fn.process_broadcast_element(const R&, ctx, out) writes it. See co_process.hpp.
  template <class Out = void, class Fn>
  auto process(Fn fn, std::string name = "broadcast_process") {
    using O = typename detail::broadcast_process_output<Out, Fn>::type;
    auto ka = a_.next_partitioning();
    return detail::add_two_input<A, R, O>(
        &a_.environment(), std::move(name), a_.node_id(), r_.stream().node_id(),
        [fn](operator_base* next) {
          return std::make_unique<broadcast_process_op<A, R, O, Fn>>(fn, detail::as_input<O>(next));
        },
        [ka](job_graph& g, int from, int to) { detail::connect<A>(g, from, to, ka, nullptr, 0); },
        [](job_graph& g, int from, int to) {
          detail::connect<R>(g, from, to, partition_kind::broadcast, nullptr, 1);
        });
  }

 private:
  DataStream<A> a_;
  BroadcastStream<R> r_;
};

// ---- window join and co-group ----

namespace detail {
/// join(b).where(ka).equal_to(kb).window(assigner)[.trigger().evictor().allowed_lateness()]
/// .apply(fn), for both joins (CoGroup false) and co-groups (true).
template <class A, class B, class KA, class KB, class Assigner, class Trigger, class Evictor,
          bool CoGroup>
class window_join_builder {
 public:
  using V = std::variant<A, B>;
  using K = std::decay_t<std::invoke_result_t<KA&, const A&>>;
  static_assert(std::is_same_v<K, std::decay_t<std::invoke_result_t<KB&, const B&>>>,
                "eddy: both sides of a join need keys of the same type");

  window_join_builder(DataStream<A> a, DataStream<B> b, KA ka, KB kb, Assigner asg, Trigger tr = {},
                      Evictor ev = {}, std::int64_t lateness = 0)
      : a_(a),
        b_(b),
        ka_(std::move(ka)),
        kb_(std::move(kb)),
        assigner_(std::move(asg)),
        trigger_(std::move(tr)),
        evictor_(std::move(ev)),
        lateness_(lateness) {}

  template <class Tr>
  auto trigger(Tr t) const {
    return window_join_builder<A, B, KA, KB, Assigner, Tr, Evictor, CoGroup>(
        a_, b_, ka_, kb_, assigner_, std::move(t), evictor_, lateness_);
  }
  template <class Ev>
  auto evictor(Ev e) const {
    return window_join_builder<A, B, KA, KB, Assigner, Trigger, Ev, CoGroup>(
        a_, b_, ka_, kb_, assigner_, trigger_, std::move(e), lateness_);
  }
  window_join_builder allowed_lateness(std::chrono::milliseconds l) const {
    if (l.count() < 0) throw std::invalid_argument("allowed lateness must not be negative");
    auto w = *this;
    w.lateness_ = l.count();
    return w;
  }

  /// Join: fn(const A&, const B&) -> Out, or fn(const A&, const B&, collector<Out>&) (a flat
  /// join), for every pair of equal key in the same window. Co-group: fn(const std::vector<A>&,
  /// const std::vector<B>&, collector<Out>&) once per key and window (either side may be
  /// empty). Results carry the window's max_timestamp(). Out may be given explicitly.
  template <class Out = void, class F>
  auto apply(F fn) {
    using O = typename output_of<Out, F>::type;
    DataStream<A> a = a_;
    DataStream<B> b = b_;
    auto left = a.map([](const A& x) { return V(std::in_place_index<0>, x); });
    left.name(CoGroup ? "co_group (left)" : "join (left)");
    auto right = b.map([](const B& x) { return V(std::in_place_index<1>, x); });
    right.name(CoGroup ? "co_group (right)" : "join (right)");
    auto both = left.union_with(right);
    both.name(CoGroup ? "co_group (union)" : "join (union)");
    KA ka = ka_;
    KB kb = kb_;
    auto key = [ka, kb](const V& v) -> K {
      return v.index() == 0 ? ka(std::get<0>(v)) : kb(std::get<1>(v));
    };
    auto ws = WindowedStream<V, decltype(key), Assigner, Trigger, Evictor>(
                  &a.environment(), both.node_id(), key, assigner_, trigger_, evictor_)
                  .allowed_lateness(std::chrono::milliseconds(lateness_));
    auto out = ws.template process_as<O>(join_window_fn<A, B, O, F, CoGroup>{std::move(fn)});
    out.name(CoGroup ? "window co_group" : "window join");
    return out;
  }

 private:
  template <class Out, class F>
  static auto out_type() {
    if constexpr (!std::is_void_v<Out>)
      return std::type_identity<Out>{};
    else if constexpr (!CoGroup && std::is_invocable_v<F&, const A&, const B&>)
      return std::type_identity<std::decay_t<std::invoke_result_t<F&, const A&, const B&>>>{};
    else  // co-group, or a flat join: the collector's type
      return std::type_identity<typename collector_value<
          std::tuple_element_t<2, typename callable_args<F>::type>>::type>{};
  }
  template <class Out, class F>
  struct output_of {
    using type = typename decltype(out_type<Out, F>())::type;
  };

  DataStream<A> a_;
  DataStream<B> b_;
  KA ka_;
  KB kb_;
  Assigner assigner_;
  Trigger trigger_;
  Evictor evictor_;
  std::int64_t lateness_ = 0;
};

template <class A, class B, bool CoGroup>
class join_where {
 public:
  join_where(DataStream<A> a, DataStream<B> b) : a_(a), b_(b) {}
  template <class KA>
  auto where(KA ka) const {
    return key_a<KA>{a_, b_, std::move(ka)};
  }

 private:
  template <class KA>
  struct key_a {
    DataStream<A> a;
    DataStream<B> b;
    KA ka;
    template <class KB>
    auto equal_to(KB kb) const {
      return key_b<KB>{a, b, ka, std::move(kb)};
    }
    template <class KB>
    struct key_b {
      DataStream<A> a;
      DataStream<B> b;
      KA ka;
      KB kb;
      template <class Assigner>
      auto window(Assigner asg) const {
        return window_join_builder<A, B, KA, KB, Assigner, default_trigger, no_evictor, CoGroup>(
            a, b, ka, kb, std::move(asg));
      }
    };
  };
  DataStream<A> a_;
  DataStream<B> b_;
};
}  // namespace detail

/// join(other) (Flink's JoinedStreams): .where(ka).equal_to(kb).window(assigner).apply(fn).
template <class A, class B>
class JoinedStreams : public detail::join_where<A, B, false> {
 public:
  using detail::join_where<A, B, false>::join_where;
};
/// co_group(other) (Flink's CoGroupedStreams): .where(ka).equal_to(kb).window(a).apply(fn).
template <class A, class B>
class CoGroupedStreams : public detail::join_where<A, B, true> {
 public:
  using detail::join_where<A, B, true>::join_where;
};

// ---- interval join ----

/// keyed_a.interval_join(keyed_b).between(lower, upper)[.lower_bound_exclusive()]
/// [.upper_bound_exclusive()][.side_output_left_late_data(tag)][.side_output_right_late_data(t)]
/// .process(fn) with fn(const A&, const B&, interval_join_context&, collector<Out>&). Needs
/// event-time timestamps on both sides (see interval_join_op.hpp).
template <class A, class KA, class B, class KB>
class IntervalJoin {
 public:
  using key_type = std::decay_t<std::invoke_result_t<KA&, const A&>>;
  static_assert(std::is_same_v<key_type, std::decay_t<std::invoke_result_t<KB&, const B&>>>,
                "eddy: both sides of an interval join need keys of the same type");

  IntervalJoin(KeyedStream<A, KA> a, KeyedStream<B, KB> b) : a_(a), b_(b) {}

  /// Joins b with a when a.ts + lower <= b.ts <= a.ts + upper.
  IntervalJoin between(std::chrono::milliseconds lower, std::chrono::milliseconds upper) const {
    if (lower > upper) throw std::invalid_argument("interval join: lower bound above upper bound");
    auto j = *this;
    j.bounds_.lower = lower.count();
    j.bounds_.upper = upper.count();
    return j;
  }
  IntervalJoin lower_bound_exclusive() const {
    auto j = *this;
    j.bounds_.lower_inclusive = false;
    return j;
  }
  IntervalJoin upper_bound_exclusive() const {
    auto j = *this;
    j.bounds_.upper_inclusive = false;
    return j;
  }
  /// Left records too late to join (timestamp below the watermark) go to `tag`.
  IntervalJoin side_output_left_late_data(const output_tag<A>& tag) const {
    auto j = *this;
    j.late_a_ = tag.id;
    return j;
  }
  IntervalJoin side_output_right_late_data(const output_tag<B>& tag) const {
    auto j = *this;
    j.late_b_ = tag.id;
    return j;
  }

  /// fn(const A&, const B&, interval_join_context&, collector<Out>&); Out deduced or given.
  template <class Out = void, class Fn>
  auto process(Fn fn, std::string name = "interval join") {
    using O = typename detail::interval_output<Out, Fn>::type;
    using op_type = interval_join_op<A, B, key_type, KA, KB, O, Fn>;
    KA ka = a_.key_selector();
    KB kb = b_.key_selector();
    auto bounds = bounds_;
    auto la = late_a_, lb = late_b_;
    return detail::add_two_input<A, B, O>(
        &env(), std::move(name), a_.node_id(), b_.node_id(),
        [=](operator_base* next) {
          return std::make_unique<op_type>(ka, kb, bounds, fn, la, lb, detail::as_input<O>(next));
        },
        [ka](job_graph& g, int from, int to) {
          detail::connect<A>(g, from, to, partition_kind::hash, ka, 0);
        },
        [kb](job_graph& g, int from, int to) {
          detail::connect<B>(g, from, to, partition_kind::hash, kb, 1);
        });
  }

 private:
  StreamEnvironment& env() const { return a_.environment(); }
  KeyedStream<A, KA> a_;
  KeyedStream<B, KB> b_;
  interval_bounds bounds_;
  std::string late_a_, late_b_;
};

// ---- keyed connected streams ----

/// Two keyed streams connected for a keyed co-process function (keyed_co_process.hpp).
template <class A, class KA, class B, class KB>
class KeyedConnectedStreams {
 public:
  using key_type = std::decay_t<std::invoke_result_t<KA&, const A&>>;
  static_assert(std::is_same_v<key_type, std::decay_t<std::invoke_result_t<KB&, const B&>>>,
                "eddy: both keyed streams of a connect need keys of the same type");
  KeyedConnectedStreams(KeyedStream<A, KA> a, KeyedStream<B, KB> b) : a_(a), b_(b) {}

  /// fn.process_element1(const A&, keyed_co_context<K>&, collector<Out>&), process_element2
  /// likewise for B, optionally on_timer. Out is deduced from process_element1, or given.
  template <class Out = void, class Fn>
  auto process(Fn fn, std::string name = "keyed_co_process") {
    using O = typename detail::co_process_output<Out, Fn>::type;
    using op_type = keyed_two_input_op<A, B, key_type, KA, KB, O, Fn, false>;
    KA ka = a_.key_selector();
    KB kb = b_.key_selector();
    return detail::add_two_input<A, B, O>(
        &a_.environment(), std::move(name), a_.node_id(), b_.node_id(),
        [=](operator_base* next) {
          return std::make_unique<op_type>(ka, kb, fn, detail::as_input<O>(next));
        },
        [ka](job_graph& g, int from, int to) {
          detail::connect<A>(g, from, to, partition_kind::hash, ka, 0);
        },
        [kb](job_graph& g, int from, int to) {
          detail::connect<B>(g, from, to, partition_kind::hash, kb, 1);
        });
  }

 private:
  KeyedStream<A, KA> a_;
  KeyedStream<B, KB> b_;
};

/// A keyed stream connected with a broadcast stream (keyed broadcast process function).
template <class A, class KA, class R>
class KeyedBroadcastConnectedStream {
 public:
  using key_type = std::decay_t<std::invoke_result_t<KA&, const A&>>;
  KeyedBroadcastConnectedStream(KeyedStream<A, KA> a, BroadcastStream<R> r)
      : a_(a), r_(std::move(r)) {}

  /// fn.process_element(const A&, keyed_broadcast_context<K, true>&, collector<Out>&),
  /// fn.process_broadcast_element(const R&, keyed_broadcast_context<K, false>&, collector<Out>&),
  /// optionally on_timer. Out is deduced from process_element, or given.
  template <class Out = void, class Fn>
  auto process(Fn fn, std::string name = "keyed_broadcast_process") {
    using O = typename detail::broadcast_process_output<Out, Fn>::type;
    struct no_key {
      key_type operator()(const R&) const { return key_type{}; }
    };
    using op_type = keyed_two_input_op<A, R, key_type, KA, no_key, O, Fn, true>;
    KA ka = a_.key_selector();
    return detail::add_two_input<A, R, O>(
        &a_.environment(), std::move(name), a_.node_id(), r_.stream().node_id(),
        [=](operator_base* next) {
          return std::make_unique<op_type>(ka, no_key{}, fn, detail::as_input<O>(next));
        },
        [ka](job_graph& g, int from, int to) {
          detail::connect<A>(g, from, to, partition_kind::hash, ka, 0);
        },
        [](job_graph& g, int from, int to) {
          detail::connect<R>(g, from, to, partition_kind::broadcast, nullptr, 1);
        });
  }

 private:
  KeyedStream<A, KA> a_;
  BroadcastStream<R> r_;
};

// ---- DataStream / KeyedStream members declared in datastream.hpp ----

template <class T>
template <class... Descriptors>
BroadcastStream<T> DataStream<T>::broadcast(const Descriptors&... descriptors) const {
  return BroadcastStream<T>(*this, std::vector<std::string>{descriptors.name...});
}
template <class T>
template <class B>
ConnectedStreams<T, B> DataStream<T>::connect(const DataStream<B>& other) const {
  return ConnectedStreams<T, B>(*this, other);
}
template <class T>
template <class R>
BroadcastConnectedStream<T, R> DataStream<T>::connect(const BroadcastStream<R>& other) const {
  return BroadcastConnectedStream<T, R>(*this, other);
}
template <class T>
template <class B>
JoinedStreams<T, B> DataStream<T>::join(const DataStream<B>& other) const {
  return JoinedStreams<T, B>(*this, other);
}
template <class T>
template <class B>
CoGroupedStreams<T, B> DataStream<T>::co_group(const DataStream<B>& other) const {
  return CoGroupedStreams<T, B>(*this, other);
}
template <class T, class KeyFn>
template <class B, class KB>
KeyedConnectedStreams<T, KeyFn, B, KB> KeyedStream<T, KeyFn>::connect(
    const KeyedStream<B, KB>& other) const {
  return KeyedConnectedStreams<T, KeyFn, B, KB>(*this, other);
}
template <class T, class KeyFn>
template <class R>
KeyedBroadcastConnectedStream<T, KeyFn, R> KeyedStream<T, KeyFn>::connect(
    const BroadcastStream<R>& other) const {
  return KeyedBroadcastConnectedStream<T, KeyFn, R>(*this, other);
}
template <class T, class KeyFn>
template <class B, class KB>
IntervalJoin<T, KeyFn, B, KB> KeyedStream<T, KeyFn>::interval_join(
    const KeyedStream<B, KB>& other) const {
  return IntervalJoin<T, KeyFn, B, KB>(*this, other);
}

}  // namespace eddy
