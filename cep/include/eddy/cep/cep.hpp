#pragma once
/// Complex event processing on streams (Flink's CEP.pattern): `CEP::pattern(stream, p)` applies
/// pattern `p` (pattern.hpp) to a keyed stream (each key matched on its own) or to a non-keyed
/// one (all records as one key, at parallelism 1), and `.process(fn)` / `.select(fn)` turn the
/// matches into records.
///
///   auto matches = CEP::pattern(txns.key_by(card_of), p)
///                      .with_comparator([](const txn& a, const txn& b) { return a.seq < b.seq; })
///                      .side_output_late_data(late_tag)
///                      .process<std::string>(alert_fn{});
///
/// The process function (copied per subtask) has
///   void process_match(const cep::match<T>& m, cep::match_context<K>& ctx, collector<Out>& out);
/// and optionally (then partial matches that time out are reported; Flink's
/// TimedOutPartialMatchHandler)
///   void process_timed_out_match(const cep::match<T>& m, cep::match_context<K>& ctx);
/// which emits with ctx.output(tag, value) to a side output. ctx.timestamp() is the match's time
/// (the event time of the step that completed it, or the end of the window of a timed-out match).
///
/// Time (Flink's CepOperator):
/// - Event time (the default) needs timestamps and watermarks upstream. A record is buffered until
///   the watermark passes its timestamp, then the key's records are matched in timestamp order
///   (equal timestamps in arrival order, or stably sorted by the comparator). A record whose
///   timestamp is not after the current watermark is late: it goes to the late side output if one
///   is set, else it is counted and logged (never matched).
/// - `in_processing_time()`: records are matched on arrival at the operator's clock; with a
///   comparator, at the next millisecond's timer, the records of one millisecond sorted by it.
/// - Partial matches time out when `within` expires: in event time once the watermark reaches
///   first.ts + window, in processing time on the operator's clock.
///
/// State: each key's automaton, buffered events and pending records are one value in the
/// operator's keyed state, checkpointed by key group (so the job can rescale), and removed as soon
/// as the key has nothing open. Records T must be serializable (EDDY_FIELDS) for checkpoints.
/// Errors: an exception from a condition or the process function fails the job (the
/// supervisor restarts it from the last checkpoint).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/cep/nfa.hpp"
#include "eddy/cep/nfa_compiler.hpp"
#include "eddy/cep/pattern.hpp"
#include "eddy/operators/datastream.hpp"
#include "eddy/operators/keyed_process.hpp"
#include "eddy/runtime/log.hpp"

namespace eddy {
namespace cep {

/// What process functions see besides the match (Flink's PatternProcessFunction.Context).
/// Valid only during the call.
template <class K>
class match_context {
 public:
  explicit match_context(keyed_context_base<K>& ctx, std::int64_t ts) : ctx_(ctx), ts_(ts) {}
  /// The match's time (see cep.hpp).
  [[nodiscard]] std::int64_t timestamp() const noexcept { return ts_; }
  [[nodiscard]] const K& current_key() const { return ctx_.current_key(); }
  [[nodiscard]] std::int64_t current_processing_time() const {
    return ctx_.current_processing_time();
  }
  /// Emits to side output `tag`.
  template <class S>
  void output(const output_tag<S>& tag, S value) {
    ctx_.output(tag, std::move(value));
  }

 private:
  keyed_context_base<K>& ctx_;
  std::int64_t ts_;
};

namespace detail {

template <class F, class T, class K, class = void>
struct has_timeout_handler : std::false_type {};
template <class F, class T, class K>
struct has_timeout_handler<
    F, T, K,
    std::void_t<decltype(std::declval<F&>().process_timed_out_match(
        std::declval<const match<T>&>(), std::declval<match_context<K>&>()))>> : std::true_type {};

/// How the operator orders records of equal timestamp: arrival order, or this "less than".
template <class T>
using comparator = std::function<bool(const T&, const T&)>;

/// What the static and the dynamic CEP operators share in event time: late records, the buffer
/// of records waiting for the watermark, and the order in which a timer releases them. Part of
/// the operator (copied per subtask), called from its subtask only.
template <class T>
class event_time_buffer {
 public:
  event_time_buffer(comparator<T> cmp, std::optional<output_tag<T>> late)
      : cmp_(std::move(cmp)), late_(std::move(late)) {}

  /// A record at the operator in event time: true if it is late (then sent to the late side
  /// output, or counted in the log), false if it is to be buffered. Throws for a record without a
  /// timestamp.
  template <class Ctx>
  bool late(const T& v, Ctx& ctx) {
    const auto ts = ctx.timestamp();
    if (ts == min_watermark)
      throw std::runtime_error(
          "CEP in event time: a record without a timestamp (assign timestamps and watermarks "
          "before the pattern, or use in_processing_time())");
    if (ts > ctx.current_watermark()) return false;
    if (late_) {
      ctx.output(*late_, v);
    } else if (++late_dropped_ == 1 || late_dropped_ % 10000 == 0) {
      log().warn(
          "CEP: {} late record(s) not matched (timestamp not after the watermark; set "
          "side_output_late_data to keep them)",
          late_dropped_);
    }
    return true;
  }

  /// Whether records of equal timestamp are ordered by a comparator. In processing time such
  /// records are then buffered too (add with time_domain::processing_time), as in Flink.
  [[nodiscard]] bool sorts() const noexcept { return static_cast<bool>(cmp_); }

  /// Buffers `v` at `ts` (arrival order, or the comparator's); sets the timer that releases it
  /// (one per buffered timestamp): in event time at ts, when the watermark passes it; in
  /// processing time (ts is the arrival time) at ts + 1, once the clock has left the
  /// millisecond, so that every record of that millisecond is sorted first (Flink's
  /// CepOperator). Records mostly arrive in timestamp order: then an append.
  template <class Ctx>
  void add(std::vector<pending_record<T>>& pending, const T& v, std::int64_t ts, Ctx& ctx,
           time_domain d = time_domain::event_time) const {
    auto set_timer = [&] {
      if (d == time_domain::event_time)
        ctx.register_event_time_timer(ts);
      else
        ctx.register_processing_time_timer(ts + 1);
    };
    if (pending.empty() || pending.back().ts < ts) {
      pending.push_back({ts, v});
      set_timer();
      return;
    }
    const auto first =
        std::lower_bound(pending.begin(), pending.end(), ts,
                         [](const pending_record<T>& r, std::int64_t t) { return r.ts < t; });
    const auto last =
        std::upper_bound(first, pending.end(), ts,
                         [](std::int64_t t, const pending_record<T>& r) { return t < r.ts; });
    const bool new_ts = first == last;
    const auto pos = cmp_ ? std::upper_bound(first, last, v,
                                             [&](const T& a, const pending_record<T>& r) {
                                               return cmp_(a, r.value);
                                             })
                          : last;
    pending.insert(pos, pending_record<T>{ts, v});
    if (new_ts) set_timer();
  }

  /// Timer `t` with the watermark at `wm` (Flink's onEventTime; in processing time, with `wm`
  /// min_watermark, its onProcessingTime): the buffered records
  /// up to t in timestamp order, time advancing to each timestamp before its records
  /// (advance(ts), then step(record, ts) each), then to t; then to the watermark if nothing
  /// buffered is before it (later timestamps have timers of their own).
  template <class Advance, class Step>
  static void release(std::vector<pending_record<T>>& pending, std::int64_t t, std::int64_t wm,
                      Advance&& advance, Step&& step) {
    std::size_t i = 0;
    while (i < pending.size() && pending[i].ts <= t) {
      const auto ts = pending[i].ts;
      advance(ts);
      for (; i < pending.size() && pending[i].ts == ts; ++i) step(std::move(pending[i].value), ts);
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(i));
    advance(t);
    if (wm > t && (pending.empty() || pending.front().ts > wm)) advance(wm);
  }

 private:
  comparator<T> cmp_;
  std::optional<output_tag<T>> late_;
  std::uint64_t late_dropped_ = 0;
};

/// The CEP operator as a keyed process function: per key one `key_state<T>` value, timers at
/// buffered timestamps and at window ends.
template <class T, class K, class Out, class Fn>
class cep_function {
  static constexpr bool timeouts = has_timeout_handler<Fn, T, K>::value;

 public:
  cep_function(std::shared_ptr<const nfa<T>> n, Fn fn, bool event_time, comparator<T> cmp,
               std::optional<output_tag<T>> late)
      : nfa_(std::move(n)),
        fn_(std::move(fn)),
        event_time_(event_time),
        buffer_(std::move(cmp), std::move(late)) {}

  void process_element(const T& v, keyed_context<K, T, Out>& ctx, collector<Out>& out) {
    auto st = ctx.template value_state<key_state<T>>("cep");
    if (!event_time_) {
      const auto now = ctx.current_processing_time();
      auto& s = st.value_for_update();
      if (buffer_.sorts()) {  // the comparator orders the records of one millisecond
        buffer_.add(s.pending, v, now, ctx, time_domain::processing_time);
        return;
      }
      advance(s, now, ctx, out);
      step(s, v, now, ctx, out, time_domain::processing_time);
      settle(st, s);
      return;
    }
    if (buffer_.late(v, ctx)) return;
    buffer_.add(st.value_for_update().pending, v, ctx.timestamp(), ctx);
  }

  void on_timer(std::int64_t t, keyed_context<K, T, Out>& ctx, collector<Out>& out) {
    auto st = ctx.template value_state<key_state<T>>("cep");
    if (!st.value()) return;
    auto& s = st.value_for_update();
    const auto d = ctx.time_domain();
    if (d == time_domain::processing_time && s.pending.empty()) {
      advance(s, t, ctx, out);
    } else {
      event_time_buffer<T>::release(
          s.pending, t, d == time_domain::event_time ? ctx.current_watermark() : min_watermark,
          [&](std::int64_t ts) { advance(s, ts, ctx, out); },
          [&](T&& v, std::int64_t ts) { step(s, std::move(v), ts, ctx, out, d); });
    }
    settle(st, s);
  }

 private:
  void emit(const match<T>& m, keyed_context<K, T, Out>& ctx, collector<Out>& out) {
    match_context<K> mc(ctx, ctx.timestamp());
    fn_.process_match(m, mc, out);
  }

  void step(key_state<T>& s, T v, std::int64_t ts, keyed_context<K, T, Out>& ctx,
            collector<Out>& out, time_domain d) {
    bool started = false;
    nfa_->process(
        s, std::move(v), ts, [&](match<T>&& m) { emit(m, ctx, out); }, &started, &scratch_);
    if (started && nfa_->window_ms() > 0) {
      if (d == time_domain::event_time)
        ctx.register_event_time_timer(ts + nfa_->window_ms());
      else
        ctx.register_processing_time_timer(ts + nfa_->window_ms());
    }
  }

  void advance(key_state<T>& s, std::int64_t ts, keyed_context<K, T, Out>& ctx,
               collector<Out>& out) {
    nfa_->advance_time(
        s, ts, [&](match<T>&& m) { emit(m, ctx, out); },
        [&](match<T>&& m, std::int64_t timeout_ts) {
          if constexpr (timeouts) {
            match_context<K> mc(ctx, timeout_ts);
            fn_.process_timed_out_match(m, mc);
          }
        },
        &scratch_);
  }

  /// Drops the key's value when nothing is open (no state left behind by short-lived keys).
  static void settle(value_state<key_state<T>>& st, const key_state<T>& s) {
    if (s.idle()) st.clear();
  }

  std::shared_ptr<const nfa<T>> nfa_;
  Fn fn_;
  bool event_time_;
  event_time_buffer<T> buffer_;
  typename nfa<T>::scratch scratch_;  ///< the automaton's scratch space (this subtask's)
};

/// select(fn): a process function calling fn(match) -> Out.
template <class T, class K, class Out, class Sel>
struct select_function {
  Sel sel;
  void process_match(const match<T>& m, match_context<K>&, collector<Out>& out) {
    out.collect(sel(m));
  }
};
/// select(tag, timeout_fn, fn): timed-out partial matches to `tag` as timeout_fn(match, ts).
template <class T, class K, class Out, class TO, class Sel, class Timeout>
struct select_with_timeout_function {
  Sel sel;
  Timeout timeout;
  output_tag<TO> tag;
  void process_match(const match<T>& m, match_context<K>&, collector<Out>& out) {
    out.collect(sel(m));
  }
  void process_timed_out_match(const match<T>& m, match_context<K>& ctx) {
    ctx.output(tag, timeout(m, ctx.timestamp()));
  }
};

}  // namespace detail

/// A pattern applied to a stream (Flink's PatternStream); made by CEP::pattern.
template <class T, class KeyFn>
class pattern_stream {
 public:
  using key_type = typename KeyedStream<T, KeyFn>::key_type;

  pattern_stream(KeyedStream<T, KeyFn> input, const pattern<T>& p, bool non_keyed)
      : input_(std::move(input)),
        compiled_(std::make_shared<compiled_pattern<T>>(compile(p))),
        non_keyed_(non_keyed) {}

  /// Match in processing time (records on arrival; windows on the operator's clock).
  pattern_stream& in_processing_time() {
    event_time_ = false;
    return *this;
  }
  pattern_stream& in_event_time() {
    event_time_ = true;
    return *this;
  }
  /// Orders records of equal timestamp by `less` instead of arrival order (in processing time:
  /// the records that arrive in one millisecond, matched at the next; see above).
  template <class Cmp>
  pattern_stream& with_comparator(Cmp less) {
    cmp_ = std::move(less);
    return *this;
  }
  /// Late records (event time) go to side output `tag` of the result.
  pattern_stream& side_output_late_data(const output_tag<T>& tag) {
    late_ = tag;
    return *this;
  }

  /// Runs process function `fn` (see cep.hpp) on every match; Out must be given.
  template <class Out, class Fn>
  DataStream<Out> process(Fn fn, std::string name = "cep") {
    using F = detail::cep_function<T, key_type, Out, Fn>;
    auto n = std::make_shared<const nfa<T>>(compiled_,
                                            detail::has_timeout_handler<Fn, T, key_type>::value);
    auto out = input_.template process<Out>(
        F(std::move(n), std::move(fn), event_time_, cmp_, late_), std::move(name));
    if (non_keyed_) out.set_parallelism(1);
    return out;
  }
  /// fn(const match<T>&) -> Out for every match.
  template <class Sel>
  auto select(Sel fn, std::string name = "cep select") {
    using Out = std::decay_t<std::invoke_result_t<Sel&, const match<T>&>>;
    return process<Out>(detail::select_function<T, key_type, Out, Sel>{std::move(fn)},
                        std::move(name));
  }
  /// As select(fn), and timeout_fn(const match<T>&, std::int64_t timeout_ts) -> TO for each
  /// timed-out partial match, to side output `timeout_tag` of the result.
  template <class TO, class Timeout, class Sel>
  auto select(const output_tag<TO>& timeout_tag, Timeout timeout_fn, Sel fn,
              std::string name = "cep select") {
    using Out = std::decay_t<std::invoke_result_t<Sel&, const match<T>&>>;
    return process<Out>(
        detail::select_with_timeout_function<T, key_type, Out, TO, Sel, Timeout>{
            std::move(fn), std::move(timeout_fn), timeout_tag},
        std::move(name));
  }

 private:
  KeyedStream<T, KeyFn> input_;
  std::shared_ptr<const compiled_pattern<T>> compiled_;
  bool non_keyed_ = false;
  bool event_time_ = true;
  detail::comparator<T> cmp_;
  std::optional<output_tag<T>> late_;
};

}  // namespace cep

namespace cep {
template <class T, class KeyFn>
class dynamic_pattern_stream;
struct pattern_definition;
}  // namespace cep

/// Flink's CEP entry point: `CEP::pattern(stream, pattern)`.
struct CEP {
  /// Patterns defined while the job runs, from a stream of definitions (include
  /// eddy/cep/dynamic.hpp, which defines this).
  template <class T, class KeyFn>
  static cep::dynamic_pattern_stream<T, KeyFn> dynamic_patterns(
      const KeyedStream<T, KeyFn>& input, DataStream<cep::pattern_definition> definitions);

  /// Each key of `input` is matched on its own.
  template <class T, class KeyFn>
  static cep::pattern_stream<T, KeyFn> pattern(const KeyedStream<T, KeyFn>& input,
                                               const cep::pattern<T>& p) {
    return cep::pattern_stream<T, KeyFn>(input, p, false);
  }
  /// All records of `input` are matched together, by one subtask (Flink does the same).
  template <class T>
  static auto pattern(DataStream<T> input, const cep::pattern<T>& p) {
    auto keyed = input.key_by(eddy::detail::all_key{});
    return cep::pattern_stream<T, eddy::detail::all_key>(keyed, p, true);
  }
};

}  // namespace eddy
