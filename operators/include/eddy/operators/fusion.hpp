#pragma once
/// Operator fusion: a run of chained per-record stateless operators (a generator source, map,
/// filter, flat_map, and a function sink at its end) executed as one loop. Chaining already
/// calls the next operator directly, once per batch; fusion goes further and inlines the user's
/// functions into each other, record by record, so each record stays in registers and the
/// compiler drops what no later function reads (a field a generator computes that nobody uses).
///
/// Who decides what: the DataStream API gives every map / filter / flat_map / add_sink node the
/// functions of the run of such nodes ending with it (FusableStream, datastream.hpp) and a
/// factory, `make_fused`, for the fused operators of any suffix of that run (graph_node). The
/// execution plan fuses the nodes that are consecutive in one chain (so: forward edges, equal
/// parallelism, chaining enabled) unless the job disables fusion (execution_config::fusion).
///
/// Nothing a user sees changes: every node keeps its name, its counters (records in and out)
/// and its checkpointed state; a `fused_member` stands for each node of a group but the first,
/// and the fused operator updates its counters and forwards its state to it. An exception in a
/// user function fails the job naming the operator whose function threw. Fused operators live
/// on their subtask's actor like any other (no locking).
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/operators/checkpointed_function.hpp"
#include "eddy/operators/collector.hpp"
#include "eddy/operators/sinks.hpp"
#include "eddy/operators/sources.hpp"
#include "eddy/runtime/job_graph.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/source.hpp"

namespace eddy::fusion {

/// The longest run the API records (a generator, two transformations and a sink, or four
/// transformations); a longer run starts again after it. Bounds the instantiations.
inline constexpr std::size_t max_run = 4;

enum class stage_kind { generator, map, filter, flat_map, sink };

// The stages: a user function and the operator kind it belongs to.
template <class T, class G>
struct generator_stage {
  static constexpr stage_kind kind = stage_kind::generator;
  using in_type = void;
  using out_type = T;
  std::uint64_t count;
  G fn;
};
/// A map, filter, flat_map or sink stage (sinks have out_type void).
template <stage_kind Kind, class In, class Out, class F>
struct stage {
  static constexpr stage_kind kind = Kind;
  using in_type = In;
  using out_type = Out;
  F fn;
};
template <class In, class Out, class F>
using map_stage = stage<stage_kind::map, In, Out, F>;
template <class T, class F>
using filter_stage = stage<stage_kind::filter, T, T, F>;
template <class In, class Out, class F>
using flat_map_stage = stage<stage_kind::flat_map, In, Out, F>;
template <class T, class F>
using sink_stage = stage<stage_kind::sink, T, void, F>;

namespace detail {
/// Rethrows the exception being handled as an operator_error naming `op` (an operator_error
/// passes unchanged). Call only from a catch block.
[[noreturn]] void rethrow_in(const operator_base& op);

/// Scratch space of a flat_map stage (its collector's vector); nothing for other stages.
template <class S>
struct scratch {};
template <class In, class Out, class F>
struct scratch<stage<stage_kind::flat_map, In, Out, F>> {
  std::vector<Out> out;
};
}  // namespace detail

/// What a fused operator offers the members standing for its other nodes.
class stage_owner {
 public:
  virtual void open_stage(std::size_t stage, const subtask_info& info) = 0;
  virtual void snapshot_stage(std::size_t stage, std::vector<state_entry>& out) = 0;
  virtual void restore_stage(std::size_t stage, const std::vector<state_entry>& entries) = 0;

 protected:
  ~stage_owner() = default;
};

/// Stands for one node of a fused group (not the first): carries its name and counters (updated
/// by the fused operator) and forwards open and state to its stage. Never given records; owned
/// by the subtask's chain next to the fused operator.
class fused_member final : public operator_base {
 public:
  fused_member(stage_owner& owner, std::size_t stage) : owner_(&owner), stage_(stage) {}
  void open(const subtask_info& info) override {
    operator_base::open(info);
    guarded([&] { owner_->open_stage(stage_, info); });
  }
  void finish() override {}  // the fused operator finishes every stage
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    guarded([&] { owner_->snapshot_stage(stage_, out); });
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    guarded([&] { owner_->restore_stage(stage_, entries); });
  }
  operator_counters& mutable_counters() noexcept { return counters_; }

 private:
  stage_owner* owner_;
  std::size_t stage_;
};

/// The stages of a fused group but a generator, pushed record by record. `ops[k]` and
/// `counters[k]` are the operator standing for stage k (for error messages) and its counters.
template <class... S>
class pipeline {
 public:
  static constexpr std::size_t size = sizeof...(S);
  template <std::size_t K>
  using stage_t = std::tuple_element_t<K, std::tuple<S...>>;
  using in_type = typename stage_t<0>::in_type;
  using out_type = typename stage_t<size - 1>::out_type;  ///< void if the group ends in a sink
  static constexpr bool terminal = stage_t<size - 1>::kind == stage_kind::sink;
  static constexpr bool expands = ((S::kind == stage_kind::flat_map) || ...);

  /// Records into each stage (c[k]) and out of the group (c[size]), counted in the loop only
  /// where a filter or flat_map changes the number (see finish_counts).
  struct counts {
    std::array<std::uint64_t, size + 1> c{};
  };

  explicit pipeline(std::tuple<S...> stages) : stages_(std::move(stages)) {}

  std::array<const operator_base*, size> ops{};
  std::array<operator_counters*, size> counters{};

  /// Runs record `x` through stages K.. and hands what leaves the group to emit(out&&).
  template <std::size_t K, class X, class Emit>
  [[gnu::always_inline]] inline void push(X&& x, counts& n, Emit& emit) {
    if constexpr (K == size) {
      emit(std::move(x));
    } else {
      using SK = stage_t<K>;
      auto& st = std::get<K>(stages_);
      if constexpr (SK::kind == stage_kind::map) {
        push<K + 1>(guard<K>([&]() -> typename SK::out_type { return st.fn(std::move(x)); }), n,
                    emit);
      } else if constexpr (SK::kind == stage_kind::filter) {
        const bool keep = guard<K>(
            [&] { return static_cast<bool>(st.fn(static_cast<const typename SK::in_type&>(x))); });
        if (keep) {
          ++n.c[K + 1];
          push<K + 1>(std::move(x), n, emit);
        }
      } else if constexpr (SK::kind == stage_kind::flat_map) {
        auto& tmp = std::get<K>(scratch_).out;
        tmp.clear();
        guard<K>([&] {
          collector<typename SK::out_type> c(tmp);
          st.fn(std::move(x), c);
        });
        n.c[K + 1] += tmp.size();
        for (auto& y : tmp) push<K + 1>(std::move(y), n, emit);
      } else {  // sink
        guard<K>([&] { st.fn(static_cast<const typename SK::in_type&>(x)); });
      }
    }
  }

  /// Completes the counts (behind a map as many as into it) and adds them to the counters.
  void finish_counts(counts& n) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((stage_t<K>::kind == stage_kind::map ? (n.c[K + 1] = n.c[K], 0) : 0), ...);
      ((counters[K]->records_in += n.c[K],
        counters[K]->records_out += stage_t<K>::kind == stage_kind::sink ? 0 : n.c[K + 1]),
       ...);
    }
    (std::index_sequence_for<S...>{});
  }

  void open_stage(std::size_t k, const subtask_info& info) {
    visit(k, [&](auto& st) {
      using F = std::decay_t<decltype(st.fn)>;
      if constexpr (std::decay_t<decltype(st)>::kind == stage_kind::sink &&
                    eddy::detail::has_open<F>::value)
        st.fn.open(info);
    });
  }
  /// Calls the sink's close() if it has one (the end of input).
  void close() {
    if constexpr (terminal) {
      auto& st = std::get<size - 1>(stages_);
      if constexpr (eddy::detail::has_close<std::decay_t<decltype(st.fn)>>::value) {
        try {
          st.fn.close();
        } catch (...) {
          detail::rethrow_in(*ops[size - 1]);
        }
      }
    }
  }
  void snapshot_stage(std::size_t k, std::vector<state_entry>& out) {
    visit(k, [&](auto& st) { eddy::detail::snapshot_function(st.fn, out); });
  }
  void restore_stage(std::size_t k, const std::vector<state_entry>& entries) {
    visit(k, [&](auto& st) { eddy::detail::restore_function(st.fn, entries); });
  }

 private:
  /// Calls fn() and rethrows what it throws as the failure of stage K's operator.
  template <std::size_t K, class Fn>
  [[gnu::always_inline]] inline decltype(auto) guard(Fn&& fn) {
    try {
      return fn();
    } catch (...) {
      detail::rethrow_in(*ops[K]);
    }
  }
  template <class Fn>
  void visit(std::size_t k, Fn&& fn) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((k == K ? (fn(std::get<K>(stages_)), 0) : 0), ...);
    }
    (std::index_sequence_for<S...>{});
  }

  std::tuple<S...> stages_;
  std::tuple<detail::scratch<S>...> scratch_;
};

namespace detail {
template <class Out>
input_op<Out>* next_input(operator_base* next) {
  if constexpr (std::is_void_v<Out>)
    return nullptr;  // the group ends in a sink
  else
    return eddy::detail::as_input<Out>(next);
}
template <class Out>
using output_vector = std::conditional_t<std::is_void_v<Out>, std::vector<char>, std::vector<Out>>;
}  // namespace detail

/// A fused group of transformations (and possibly a sink): one operator, one loop per batch.
template <class... S>
class fused_op final : public timed_input_op<typename pipeline<S...>::in_type>, public stage_owner {
  using P = pipeline<S...>;
  using In = typename P::in_type;
  using Out = typename P::out_type;
  /// Output written back into the input batch (at most one output per input, same type).
  static constexpr bool in_place = !P::terminal && !P::expands && std::is_same_v<In, Out>;

 public:
  fused_op(std::tuple<S...> stages, operator_base* next)
      : p_(std::move(stages)), next_(detail::next_input<Out>(next)) {
    this->downstream_ = next;
    p_.ops[0] = this;
    p_.counters[0] = &this->counters_;
  }
  /// Connects the member standing for stage k (1 <= k < size).
  void set_member(std::size_t k, fused_member& m) {
    p_.ops[k] = &m;
    p_.counters[k] = &m.mutable_counters();
  }

  void open(const subtask_info& info) override {
    operator_base::open(info);
    this->guarded([&] { p_.open_stage(0, info); });
    if constexpr (!P::terminal && !in_place) out_.reserve(info.batch_size);
  }

  using timed_input_op<In>::process;
  void process(std::vector<In>& records, std::vector<std::int64_t>& ts) override {
    // The stages name their own failures; anything else (the operators after the group, out
    // of memory) is this operator's, as for an unfused one.
    this->guarded([&] {
      if constexpr (P::terminal)
        run<false>(records, ts);  // sinks do not see timestamps
      else if (ts.empty())
        run<false>(records, ts);
      else
        run<true>(records, ts);
    });
  }
  void finish() override {
    p_.close();
    if constexpr (!P::terminal) next_->finish();
  }
  void open_stage(std::size_t k, const subtask_info& info) override { p_.open_stage(k, info); }
  void snapshot_stage(std::size_t k, std::vector<state_entry>& out) override {
    p_.snapshot_stage(k, out);
  }
  void restore_stage(std::size_t k, const std::vector<state_entry>& entries) override {
    p_.restore_stage(k, entries);
  }
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    this->guarded([&] { p_.snapshot_stage(0, out); });
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    this->guarded([&] { p_.restore_stage(0, entries); });
  }

 private:
  template <bool Timed>
  void run(std::vector<In>& records, std::vector<std::int64_t>& ts) {
    typename P::counts n;
    const std::size_t size = records.size();
    n.c[0] = size;
    In* r = records.data();
    if constexpr (P::terminal) {
      auto emit = [](auto&&) {};
      for (std::size_t i = 0; i < size; ++i) p_.template push<0>(r[i], n, emit);
      p_.finish_counts(n);
    } else if constexpr (in_place) {
      std::size_t w = 0;
      std::int64_t t = 0;
      auto emit = [&](Out&& y) {
        if constexpr (std::is_trivially_copyable_v<Out>)
          r[w] = y;
        else if (&y != &r[w])
          r[w] = std::move(y);
        if constexpr (Timed) ts[w] = t;
        ++w;
      };
      for (std::size_t i = 0; i < size; ++i) {
        if constexpr (Timed) t = ts[i];
        p_.template push<0>(r[i], n, emit);
      }
      records.erase(records.begin() + static_cast<std::ptrdiff_t>(w), records.end());
      if constexpr (Timed) ts.resize(w);
      p_.finish_counts(n);
      if (w) next_->process(records, ts);
    } else {
      std::int64_t t = 0;
      const std::size_t limit = this->info_.batch_size;
      auto emit = [&](Out&& y) {
        out_.push_back(std::move(y));
        if constexpr (Timed) out_ts_.push_back(t);
        if constexpr (P::expands)
          if (out_.size() >= limit) pass();  // keeps output batches bounded
      };
      for (std::size_t i = 0; i < size; ++i) {
        if constexpr (Timed) t = ts[i];
        p_.template push<0>(r[i], n, emit);
      }
      p_.finish_counts(n);
      pass();
    }
  }
  void pass() {
    if (out_.empty()) return;
    next_->process(out_, out_ts_);
    out_.clear();
    out_ts_.clear();
  }

  P p_;
  input_op<Out>* next_;
  detail::output_vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

/// A generator source fused with the transformations (and possibly the sink) after it.
template <class T, class G, class... S>
class fused_generator final : public source_base, public stage_owner {
  using P = pipeline<S...>;
  using Out = typename P::out_type;
  static_assert(std::is_same_v<typename P::in_type, T>);

 public:
  fused_generator(generator_stage<T, G> gen, std::tuple<S...> rest, operator_base* next)
      : count_(gen.count),
        fn_(std::move(gen.fn)),
        p_(std::move(rest)),
        next_(detail::next_input<Out>(next)) {
    this->downstream_ = next;
  }
  /// Connects the member standing for stage k (1 <= k <= size of the rest).
  void set_member(std::size_t k, fused_member& m) {
    p_.ops[k - 1] = &m;
    p_.counters[k - 1] = &m.mutable_counters();
  }

  void open(const subtask_info& info) override {
    operator_base::open(info);
    splits_.open(info, count_);
    if constexpr (!P::terminal) out_.reserve(info.batch_size);
  }
  source_status produce(std::size_t max_records) override {
    std::uint64_t base = 0, step = 1;
    std::size_t count = 0;
    if (!splits_.take(max_records, base, step, count)) return source_status::end;
    // The generator's own exceptions name the generator; the stages' pass through.
    this->guarded([&] {
      typename P::counts n;
      n.c[0] = count;
      // T(...): the stages get a record of their own even if fn_ returns a reference.
      if constexpr (P::terminal) {
        auto emit = [](auto&&) {};
        for (std::size_t k = 0; k < count; ++k)
          p_.template push<0>(T(fn_(base + k * step)), n, emit);
      } else {
        const std::size_t limit = this->info_.batch_size;
        auto emit = [&](Out&& y) {
          out_.push_back(std::move(y));
          if constexpr (P::expands)
            if (out_.size() >= limit) pass();  // keeps output batches bounded
        };
        for (std::size_t k = 0; k < count; ++k)
          p_.template push<0>(T(fn_(base + k * step)), n, emit);
      }
      this->counters_.records_out += count;
      p_.finish_counts(n);
      if constexpr (!P::terminal) pass();
    });
    return splits_.done() ? source_status::end : source_status::more;
  }
  void finish() override {
    p_.close();
    if constexpr (!P::terminal) next_->finish();
  }
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    splits_.snapshot(this->info_, out);
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    splits_.restore(this->info_, entries);
  }
  void open_stage(std::size_t k, const subtask_info& info) override { p_.open_stage(k - 1, info); }
  void snapshot_stage(std::size_t k, std::vector<state_entry>& out) override {
    p_.snapshot_stage(k - 1, out);
  }
  void restore_stage(std::size_t k, const std::vector<state_entry>& entries) override {
    p_.restore_stage(k - 1, entries);
  }

 private:
  void pass() {
    if (out_.empty()) return;
    next_->process(out_);
    out_.clear();
  }

  std::uint64_t count_;
  G fn_;
  P p_;
  input_op<Out>* next_;
  eddy::detail::generator_splits splits_;
  detail::output_vector<Out> out_;
};

namespace detail {
template <std::size_t Start, class Tuple, std::size_t... I>
auto slice(const Tuple& t, std::index_sequence<I...>) {
  return std::make_tuple(std::get<Start + I>(t)...);
}
template <class T, class G, class... R>
auto make_worker(const std::tuple<generator_stage<T, G>, R...>& stages, operator_base* next) {
  return std::make_unique<fused_generator<T, G, R...>>(
      std::get<0>(stages), slice<1>(stages, std::index_sequence_for<R...>{}), next);
}
template <class... R>
auto make_worker(const std::tuple<R...>& stages, operator_base* next) {
  return std::make_unique<fused_op<R...>>(stages, next);
}

/// The fused operators of stages [Start, end) of `stages`: the worker, then one member per
/// further stage.
template <std::size_t Start, class... S>
std::vector<std::unique_ptr<operator_base>> make_group(const std::tuple<S...>& stages,
                                                       operator_base* next) {
  constexpr std::size_t count = sizeof...(S) - Start;
  auto worker = make_worker(slice<Start>(stages, std::make_index_sequence<count>{}), next);
  auto* w = worker.get();
  std::vector<std::unique_ptr<operator_base>> ops;
  ops.push_back(std::move(worker));
  for (std::size_t k = 1; k < count; ++k) {
    auto m = std::make_unique<fused_member>(*w, k);
    w->set_member(k, *m);
    ops.push_back(std::move(m));
  }
  return ops;
}
}  // namespace detail

/// The fused operators of the last `count` stages (2 <= count <= size): graph_node::make_fused.
template <class... S>
std::vector<std::unique_ptr<operator_base>> make_fused(const std::tuple<S...>& stages,
                                                       operator_base* next, std::size_t count) {
  constexpr std::size_t n = sizeof...(S);
  std::vector<std::unique_ptr<operator_base>> ops;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((count == n - I ? (ops = detail::make_group<I>(stages, next), 0) : 0), ...);
  }
  (std::make_index_sequence<n - 1>{});
  return ops;
}

/// Records the run ending at node `n` (its stages, one per node of `run`) and its factory.
template <class... S>
void set_fused_factory(graph_node& n, std::vector<int> run, const std::tuple<S...>& stages) {
  static_assert(sizeof...(S) >= 2);
  n.fusion_run = std::move(run);
  n.make_fused = [stages](operator_base* next, std::size_t count) {
    return make_fused(stages, next, count);
  };
}

}  // namespace eddy::fusion
