#pragma once
/// Keyed two-input operators: keyed co-process functions (Flink's KeyedCoProcessFunction, from
/// keyed_a.connect(keyed_b)) and keyed broadcast process functions (Flink's
/// KeyedBroadcastProcessFunction, from keyed.connect(broadcast_stream)).
///
/// KeyedCoProcessFunction: the function object (copied per subtask) has
///   void process_element1(const A&, keyed_co_context<K>& ctx, collector<Out>& out);
///   void process_element2(const B&, keyed_co_context<K>& ctx, collector<Out>& out);
/// and optionally
///   void on_timer(std::int64_t t, keyed_co_context<K>& ctx, collector<Out>& out);
/// Both inputs are partitioned by their key (of the same type), so the records of one key from
/// either input meet in one subtask and share its keyed state and timers; the context is the one
/// of keyed process functions (keyed_process.hpp: state, timers in both domains, side outputs).
///
/// KeyedBroadcastProcessFunction:
///   void process_element(const A&, keyed_broadcast_context<K, true>& ctx, collector<Out>&);
///   void process_broadcast_element(const R&, keyed_broadcast_context<K, false>& ctx,
///                                  collector<Out>&);
///   optionally on_timer(t, keyed_broadcast_context<K, true>&, collector<Out>&)
/// The keyed side sees the broadcast state read only (ctx.broadcast_state(descriptor)) besides
/// its keyed state and timers; the broadcast side (every subtask gets every broadcast record)
/// writes the broadcast state and has no current key.
///
/// Timers, timestamps and end of input as for keyed process functions. Owned and called by one
/// subtask actor; user exceptions become operator_error naming the operator.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/operators/co_process.hpp"
#include "eddy/operators/keyed_process.hpp"

namespace eddy {

/// The context of a keyed co-process function.
template <class K>
class keyed_co_context : public keyed_context_base<K> {};

/// The context of a keyed broadcast process function: keyed context plus broadcast state (read
/// only on the keyed side).
template <class K, bool ReadOnly>
class keyed_broadcast_context : public keyed_context_base<K> {
 public:
  template <class MK, class V>
  auto broadcast_state(const map_state_descriptor<MK, V>& d) {
    if constexpr (ReadOnly)
      return read_only_broadcast_state<MK, V>(&store_->template get<MK, V>(d.name));
    else
      return eddy::broadcast_state<MK, V>(&store_->template get<MK, V>(d.name));
  }
  broadcast_state_store* store_ = nullptr;  // set by the operator
};

namespace detail {
template <class F, class Ctx, class Out, class = void>
struct has_co_on_timer : std::false_type {};
template <class F, class Ctx, class Out>
struct has_co_on_timer<F, Ctx, Out,
                       std::void_t<decltype(std::declval<F&>().on_timer(
                           std::int64_t{}, std::declval<Ctx&>(), std::declval<collector<Out>&>()))>>
    : std::true_type {};
}  // namespace detail

/// Runs a keyed co-process function (Broadcast = false: inputs A and B both keyed) or a keyed
/// broadcast process function (Broadcast = true: A keyed, B the broadcast records).
template <class A, class B, class K, class KeyA, class KeyB, class Out, class Fn, bool Broadcast>
class keyed_two_input_op final : public two_input_op<A, B> {
  using ctx1_type =
      std::conditional_t<Broadcast, keyed_broadcast_context<K, true>, keyed_co_context<K>>;
  using ctx2_type =
      std::conditional_t<Broadcast, keyed_broadcast_context<K, false>, keyed_co_context<K>>;
  static constexpr bool has_timers = detail::has_co_on_timer<Fn, ctx1_type, Out>::value;

 public:
  keyed_two_input_op(KeyA key_a, KeyB key_b, Fn fn, input_op<Out>* next)
      : key_a_(std::move(key_a)), key_b_(std::move(key_b)), fn_(std::move(fn)), next_(next) {
    this->downstream_ = next;
  }

  void open(const subtask_info& info) override {
    two_input_op<A, B>::open(info);
    backend_ = std::make_unique<keyed_state_backend<K>>(
        info.max_parallelism, info.parallelism, info.index,
        [this] { return this->current_processing_time(); });
    ctx1_.attach(*backend_, timers_, *this, has_timers);
    ctx2_.attach(*backend_, timers_, *this, has_timers);
    if constexpr (Broadcast) {
      ctx1_.store_ = &store_;
      ctx2_.store_ = &store_;
    }
  }

  [[nodiscard]] bool wants_ticks() const override { return true; }
  [[nodiscard]] std::chrono::milliseconds tick_interval() const override {
    return this->info_.timer_resolution;
  }

  void process1(std::vector<A>& records, std::vector<std::int64_t>& ts) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      collector<Out> c(out_);
      const bool timed = !ts.empty();
      for (std::size_t i = 0; i < records.size(); ++i) {
        auto&& key = key_a_(static_cast<const A&>(records[i]));
        backend_->set_current_key(key);
        ctx1_.enter_element(timed ? ts[i] : min_watermark);
        if constexpr (Broadcast)
          fn_.process_element(static_cast<const A&>(records[i]), ctx1_, c);
        else
          fn_.process_element1(static_cast<const A&>(records[i]), ctx1_, c);
        if (timed) out_ts_.resize(out_.size(), ts[i]);
      }
      backend_->reset_current_key();
      pass(timed);
    });
  }

  void process2(std::vector<B>& records, std::vector<std::int64_t>& ts) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      collector<Out> c(out_);
      const bool timed = !ts.empty();
      for (std::size_t i = 0; i < records.size(); ++i) {
        if constexpr (Broadcast) {
          ctx2_.enter_element(timed ? ts[i] : min_watermark);  // no current key
          fn_.process_broadcast_element(static_cast<const B&>(records[i]), ctx2_, c);
        } else {
          auto&& key = key_b_(static_cast<const B&>(records[i]));
          backend_->set_current_key(key);
          ctx2_.enter_element(timed ? ts[i] : min_watermark);
          fn_.process_element2(static_cast<const B&>(records[i]), ctx2_, c);
        }
        if (timed) out_ts_.resize(out_.size(), ts[i]);
      }
      backend_->reset_current_key();
      pass(timed);
    });
  }

  void on_watermark(std::int64_t wm) override {
    this->guarded([&] {
      ctx1_.set_watermark(wm);
      ctx2_.set_watermark(wm);
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
        if (next && *next <= this->current_processing_time()) {
          collector<Out> c(out_);
          timers_.fire_processing_time_timers(
              this->current_processing_time(), [&](std::int64_t t, const K& key) {
                fire(eddy::time_domain::processing_time, t, key, min_watermark, c);
              });
          backend_->reset_current_key();
          pass(false);
        }
      }
      backend_->cleanup_expired();
    });
  }

  void finish() override {
    this->guarded([&] {
      if constexpr (has_timers) {
        if (!backend_) return;
        collector<Out> c(out_);
        bool timed = false;
        timers_.fire_at_end_of_input(this->current_processing_time(), ctx1_.current_watermark(),
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

  /// Checkpoints: keyed state and timers by key group; a keyed broadcast function's broadcast
  /// states as "__broadcast:" entries (see broadcast_state_store).
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    if (backend_) backend_->snapshot(out);
    timers_.snapshot(this->info_.max_parallelism, out);
    if constexpr (Broadcast) store_.snapshot(this->name_, out);
  }
  /// Asynchronous: the keyed state's rows are copied now and encoded later; timers and
  /// broadcast state now.
  std::function<void(std::vector<state_entry>&)> snapshot_state_async(
      std::uint64_t, std::vector<state_entry>& out) override {
    std::function<void(std::vector<state_entry>&)> later;
    if (backend_) later = backend_->snapshot_later(out);
    timers_.snapshot(this->info_.max_parallelism, out);
    if constexpr (Broadcast) store_.snapshot(this->name_, out);
    return later;
  }
  void restore_state(const std::vector<state_entry>& entries) override {
    if (backend_) backend_->restore(entries);
    timers_.restore(entries);
    if constexpr (Broadcast) store_.restore(this->name_, entries);
  }

  [[nodiscard]] const keyed_state_backend<K>* state_backend() const noexcept {
    return backend_.get();
  }

 private:
  void fire(eddy::time_domain d, std::int64_t t, const K& key, std::int64_t floor,
            collector<Out>& c) {
    if constexpr (has_timers) {
      backend_->set_current_key(key);
      ctx1_.enter_timer(d, t, floor);
      fn_.on_timer(t, ctx1_, c);
      if (d == eddy::time_domain::event_time) out_ts_.resize(out_.size(), t);
    }
  }

  void pass(bool timed) {
    if (out_.empty()) return;
    this->counters_.records_out += out_.size();
    if (!timed || out_ts_.size() != out_.size()) out_ts_.clear();
    next_->process(out_, out_ts_);
    out_.clear();
    out_ts_.clear();
  }

  KeyA key_a_;
  KeyB key_b_;
  Fn fn_;
  input_op<Out>* next_;
  ctx1_type ctx1_;
  ctx2_type ctx2_;
  std::unique_ptr<keyed_state_backend<K>> backend_;
  timer_service<K> timers_;
  broadcast_state_store store_;
  std::vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

}  // namespace eddy
