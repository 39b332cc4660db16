#pragma once
/// Keyed process functions (Flink's KeyedProcessFunction): per-record user code with keyed
/// state, event-time and processing-time timers and side outputs.
///
/// The function object (copied per subtask) has
///   void process_element(const T& value, keyed_context<K, T, Out>& ctx, collector<Out>& out);
/// and optionally
///   void on_timer(std::int64_t timestamp, keyed_context<K, T, Out>& ctx, collector<Out>& out);
/// `ctx.current_key()` is the record's (or timer's) key, `ctx.timestamp()` the record's event
/// time (min_watermark if it has none) or the firing timer's time, `ctx.time_domain()` (in
/// on_timer) the firing timer's domain. Keyed state (`ctx.value_state<V>("name")`, list_state,
/// map_state, reducing_state, aggregating_state, each optionally with a state_ttl_config) is the
/// current key's; see runtime/state/. `ctx.register_event_time_timer(t)` calls on_timer(t) once
/// the watermark reaches t, `ctx.register_processing_time_timer(t)` once processing time
/// (`ctx.current_processing_time()`, the job's clock) reaches t; one call per key, domain and
/// time however often registered; `delete_*_timer(t)` cancels. Registering a timer in a function
/// without on_timer throws std::logic_error. `ctx.output(tag, value)` emits to a side output.
///
/// Output timestamps: output of process_element carries the record's timestamp (if it had one),
/// output of an event-time timer the timer's time; output of a processing-time timer carries no
/// timestamp (Flink's KeyedProcessOperator erases it), so such batches have none.
///
/// Time and end of input: processing-time timers fire on the operator's ticks (every
/// `timer_resolution`, so at most that late). When the input ends (finish(), after the final
/// watermark), every pending processing-time timer fires, in time order, as if processing time
/// jumped to the latest of them (as Flink's batch mode does: a pending timer is never silently
/// dropped); during those calls ctx.current_processing_time() is at least the timer's time.
/// Timers that those calls register fire too if not later than that point (processing time) or
/// the watermark (event time). State TTL cleanup runs incrementally on the ticks too.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/operators/collector.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/state/keyed_state_backend.hpp"
#include "eddy/runtime/state/timer_service.hpp"

namespace eddy {

/// What keyed user functions see of their key, time, state and timers: the part of Flink's
/// KeyedProcessFunction.Context (and OnTimerContext) that does not depend on the input types, so
/// one- and two-input keyed operators share it. Valid only during the call it is passed to.
///
/// The "operator side" members are for the operator that owns the backend and timers, never for
/// user code.
template <class K>
class keyed_context_base {
 public:
  [[nodiscard]] const K& current_key() const { return backend_->current_key(); }
  /// The record's event time (min_watermark if it has none), or the firing timer's time.
  [[nodiscard]] std::int64_t timestamp() const { return timestamp_; }
  [[nodiscard]] std::int64_t current_watermark() const { return watermark_; }
  /// Processing time now (ms since the epoch, the job's clock; see execution_config::clock).
  [[nodiscard]] std::int64_t current_processing_time() const {
    return std::max(owner_->current_processing_time(), processing_time_floor_);
  }
  /// The domain of the timer being fired. Only in on_timer (elsewhere throws std::logic_error).
  [[nodiscard]] eddy::time_domain time_domain() const {
    if (!domain_) throw std::logic_error("time_domain() is only available in on_timer");
    return *domain_;
  }

  // ---- keyed state of the current key (see runtime/state/state_handles.hpp) ----
  template <class V>
  eddy::value_state<V> value_state(std::string_view name) {
    return backend_->template get_value_state<V>(name);
  }
  template <class V>
  eddy::value_state<V> value_state(std::string_view name, const state_ttl_config& ttl) {
    return backend_->template get_value_state<V>(name, ttl);
  }
  template <class V>
  eddy::list_state<V> list_state(std::string_view name) {
    return backend_->template get_list_state<V>(name);
  }
  template <class V>
  eddy::list_state<V> list_state(std::string_view name, const state_ttl_config& ttl) {
    return backend_->template get_list_state<V>(name, ttl);
  }
  template <class MK, class V>
  eddy::map_state<MK, V> map_state(std::string_view name) {
    return backend_->template get_map_state<MK, V>(name);
  }
  template <class MK, class V>
  eddy::map_state<MK, V> map_state(std::string_view name, const state_ttl_config& ttl) {
    return backend_->template get_map_state<MK, V>(name, ttl);
  }
  /// Folds added values with fn(acc, value).
  template <class V, class F>
  eddy::reducing_state<V, F> reducing_state(std::string_view name, F fn) {
    return backend_->template get_reducing_state<V>(name, std::move(fn));
  }
  template <class V, class F>
  eddy::reducing_state<V, F> reducing_state(std::string_view name, F fn,
                                            const state_ttl_config& ttl) {
    return backend_->template get_reducing_state<V>(name, std::move(fn), ttl);
  }
  /// Folds added IN values into an accumulator of `agg` (create_accumulator, add, get_result).
  template <class IN, class Agg>
  eddy::aggregating_state<IN, Agg> aggregating_state(std::string_view name, Agg agg) {
    return backend_->template get_aggregating_state<IN>(name, std::move(agg));
  }
  template <class IN, class Agg>
  eddy::aggregating_state<IN, Agg> aggregating_state(std::string_view name, Agg agg,
                                                     const state_ttl_config& ttl) {
    return backend_->template get_aggregating_state<IN>(name, std::move(agg), ttl);
  }

  // ---- timers of the current key ----
  void register_event_time_timer(std::int64_t t) {
    check_timers("register_event_time_timer");
    timers_->register_event_time_timer(current_key(), t);
  }
  void delete_event_time_timer(std::int64_t t) {
    timers_->delete_event_time_timer(current_key(), t);
  }
  void register_processing_time_timer(std::int64_t t) {
    check_timers("register_processing_time_timer");
    timers_->register_processing_time_timer(current_key(), t);
  }
  void delete_processing_time_timer(std::int64_t t) {
    timers_->delete_processing_time_timer(current_key(), t);
  }

  /// Emits `value` to side output `tag` (with the timestamp main output would carry); nothing
  /// happens when nothing consumes the side output.
  template <class S>
  void output(const output_tag<S>& tag, S value) {
    auto* w = dynamic_cast<input_op<S>*>(owner_->side_output(tag.id));
    if (!w) return;  // nothing consumes this side output
    std::vector<S> one{std::move(value)};
    std::vector<std::int64_t> ts;
    if (output_timed_) ts.push_back(timestamp_);
    w->process(one, ts);
  }

  // ---- operator side ----
  /// Connects the context to its operator's state, timers and owner (at open()). `timers_allowed`:
  /// the user function has on_timer (registering a timer otherwise throws).
  void attach(keyed_state_backend<K>& backend, timer_service<K>& timers, operator_base& owner,
              bool timers_allowed) {
    backend_ = &backend;
    timers_ = &timers;
    owner_ = &owner;
    timers_allowed_ = timers_allowed;
  }
  void set_watermark(std::int64_t wm) noexcept { watermark_ = wm; }
  /// Before process_element: the record's timestamp, or min_watermark for none. The operator has
  /// made the record's key current in the backend.
  void enter_element(std::int64_t timestamp) noexcept {
    timestamp_ = timestamp;
    output_timed_ = timestamp != min_watermark;
    domain_.reset();
    processing_time_floor_ = min_watermark;
  }
  /// Before on_timer. `processing_time_floor`: the least current_processing_time() reports (the
  /// timer's time when end of input fires timers early; min_watermark otherwise).
  void enter_timer(eddy::time_domain d, std::int64_t t,
                   std::int64_t processing_time_floor = min_watermark) noexcept {
    timestamp_ = t;
    output_timed_ = d == eddy::time_domain::event_time;
    domain_ = d;
    processing_time_floor_ = processing_time_floor;
  }
  /// Whether output of the current call carries timestamp() (false for processing-time timers
  /// and records without timestamps).
  [[nodiscard]] bool output_timed() const noexcept { return output_timed_; }

 private:
  void check_timers(const char* what) const {
    if (!timers_allowed_)
      throw std::logic_error(std::string(what) +
                             ": the function has no on_timer, so the timer could never fire");
  }

  keyed_state_backend<K>* backend_ = nullptr;
  timer_service<K>* timers_ = nullptr;
  operator_base* owner_ = nullptr;
  std::int64_t timestamp_ = min_watermark;
  std::int64_t watermark_ = min_watermark;
  std::int64_t processing_time_floor_ = min_watermark;
  std::optional<eddy::time_domain> domain_;
  bool output_timed_ = false;
  bool timers_allowed_ = false;
};

/// The context of a KeyedProcessFunction over records T with output Out.
template <class K, class T, class Out>
class keyed_context : public keyed_context_base<K> {};

namespace detail {
template <class F, class K, class T, class Out, class = void>
struct has_on_timer : std::false_type {};
template <class F, class K, class T, class Out>
struct has_on_timer<F, K, T, Out,
                    std::void_t<decltype(std::declval<F&>().on_timer(
                        std::int64_t{}, std::declval<keyed_context<K, T, Out>&>(),
                        std::declval<collector<Out>&>()))>> : std::true_type {};
}  // namespace detail

/// The operator running a keyed process function (see the top of this file). Owned by its
/// subtask actor, called only from it. Its input must be partitioned by key group (key_by);
/// a record of a key group this subtask does not own fails the job (a routing bug).
template <class T, class K, class KeyFn, class Out, class Fn>
class keyed_process_op final : public timed_input_op<T> {
  static constexpr bool has_timers = detail::has_on_timer<Fn, K, T, Out>::value;

 public:
  keyed_process_op(KeyFn key_fn, Fn fn, input_op<Out>* next)
      : key_fn_(std::move(key_fn)), fn_(std::move(fn)), next_(next) {
    this->downstream_ = next;
  }

  void open(const subtask_info& info) override {
    timed_input_op<T>::open(info);
    backend_ = std::make_unique<keyed_state_backend<K>>(
        info.max_parallelism, info.parallelism, info.index,
        [this] { return this->current_processing_time(); });
    ctx_.attach(*backend_, timers_, *this, has_timers);
  }

  /// Ticks fire processing-time timers and run the incremental state TTL cleanup.
  [[nodiscard]] bool wants_ticks() const override { return true; }
  [[nodiscard]] std::chrono::milliseconds tick_interval() const override {
    return this->info_.timer_resolution;
  }

  using timed_input_op<T>::process;
  void process(std::vector<T>& records, std::vector<std::int64_t>& ts) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      collector<Out> c(out_);
      const bool timed = !ts.empty();
      for (std::size_t i = 0; i < records.size(); ++i) {
        auto&& key = key_fn_(static_cast<const T&>(records[i]));
        backend_->set_current_key(key);
        ctx_.enter_element(timed ? ts[i] : min_watermark);
        fn_.process_element(static_cast<const T&>(records[i]), ctx_, c);
        if (timed) out_ts_.resize(out_.size(), ts[i]);
      }
      backend_->reset_current_key();
      pass(timed);
    });
  }

  void on_watermark(std::int64_t wm) override {
    this->guarded([&] {
      ctx_.set_watermark(wm);
      if constexpr (has_timers) {
        collector<Out> c(out_);
        timers_.fire_event_time_timers(wm, [&](std::int64_t t, const K& key) {
          fire(eddy::time_domain::event_time, t, key, min_watermark, c);
        });
        backend_->reset_current_key();
        pass(true);
      }
    });
    next_->on_watermark(wm);
  }

  void on_tick(std::chrono::steady_clock::time_point) override {
    if (!backend_) return;
    this->guarded([&] {
      if constexpr (has_timers) {
        const auto next = timers_.next_processing_time_timer();
        if (next) {
          const std::int64_t now = this->current_processing_time();
          if (*next <= now) {
            collector<Out> c(out_);
            timers_.fire_processing_time_timers(now, [&](std::int64_t t, const K& key) {
              fire(eddy::time_domain::processing_time, t, key, min_watermark, c);
            });
            backend_->reset_current_key();
            pass(false);
          }
        }
      }
      backend_->cleanup_expired();
    });
  }

  /// Fires every pending timer (see the top of this file), then finishes downstream.
  void finish() override {
    this->guarded([&] {
      if constexpr (has_timers) {
        if (!backend_) return;
        collector<Out> c(out_);
        bool timed = false;  // the domain of what out_ holds: flushed when it changes
        timers_.fire_at_end_of_input(this->current_processing_time(), ctx_.current_watermark(),
                                     [&](eddy::time_domain d, std::int64_t t, const K& key) {
                                       const bool event = d == eddy::time_domain::event_time;
                                       if (event != timed) {
                                         pass(timed);
                                         timed = event;
                                       }
                                       fire(d, t, key, event ? min_watermark : t, c);
                                     });
        backend_->reset_current_key();
        pass(timed);
      }
    });
    next_->finish();
  }

  /// Checkpoints: every keyed state and timer, by key group (runtime/state/).
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    if (backend_) backend_->snapshot(out);
    timers_.snapshot(this->info_.max_parallelism, out);
  }
  /// Asynchronous: the keyed state's rows are copied now and encoded later; timers now.
  std::function<void(std::vector<state_entry>&)> snapshot_state_async(
      std::uint64_t, std::vector<state_entry>& out) override {
    std::function<void(std::vector<state_entry>&)> later;
    if (backend_) later = backend_->snapshot_later(out);
    timers_.snapshot(this->info_.max_parallelism, out);
    return later;
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    if (backend_) backend_->restore(entries);
    timers_.restore(entries);
  }

  /// The keyed state (for tests and, later, snapshots). Null before open().
  [[nodiscard]] const keyed_state_backend<K>* state_backend() const noexcept {
    return backend_.get();
  }
  [[nodiscard]] const timer_service<K>& timers() const noexcept { return timers_; }

 private:
  void fire(eddy::time_domain d, std::int64_t t, const K& key, std::int64_t floor,
            collector<Out>& c) {
    if constexpr (has_timers) {
      backend_->set_current_key(key);
      ctx_.enter_timer(d, t, floor);
      fn_.on_timer(t, ctx_, c);
      if (d == eddy::time_domain::event_time) out_ts_.resize(out_.size(), t);
    }
  }

  void pass(bool timed) {
    if (out_.empty()) return;
    this->counters_.records_out += out_.size();
    if (!timed) out_ts_.clear();
    next_->process(out_, out_ts_);
    out_.clear();
    out_ts_.clear();
  }

  KeyFn key_fn_;
  Fn fn_;
  input_op<Out>* next_;
  keyed_context<K, T, Out> ctx_;
  std::unique_ptr<keyed_state_backend<K>> backend_;
  timer_service<K> timers_;
  std::vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

}  // namespace eddy
