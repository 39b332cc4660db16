#pragma once
/// Window triggers: when a window's result is emitted (Flink's Trigger).
///
/// A trigger is a value copied into every subtask; one trigger object serves every key and
/// window, so per-window data lives in its `state` (a default-constructible type, one per key
/// and window; triggers without data omit it). It has
///   template <class T> trigger_result on_element(const T& v, std::int64_t ts, const W& w, Ctx&);
///   trigger_result on_event_time(std::int64_t time, const W& w, Ctx&);       // its timer fired
///   trigger_result on_processing_time(std::int64_t time, const W& w, Ctx&);  // its timer fired
///   void clear(const W& w, Ctx&);       // the window is removed: delete its timers
/// and, to be used with merging (session) windows,
///   void on_merge(const W& merged, Ctx&);                 // after merge_state, see below
///   static void merge_state(state& into, const state& from);   // only if it has a state
/// where Ctx is trigger_context<W, state> (timers per key and window, watermark, clock, state).
/// on_element's `ts` is the record's event timestamp (or, without timestamps, its processing
/// time). Timers are deduplicated per key, window and time. A FIRE with nothing in the window
/// emits nothing; PURGE clears the window's contents but keeps the window (and trigger state).
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace eddy {

enum class trigger_result {
  CONTINUE,       ///< nothing
  FIRE,           ///< emit the window's result, keep its contents
  PURGE,          ///< drop the window's contents
  FIRE_AND_PURGE  ///< emit, then drop the contents
};

[[nodiscard]] constexpr bool fires(trigger_result r) noexcept {
  return r == trigger_result::FIRE || r == trigger_result::FIRE_AND_PURGE;
}
[[nodiscard]] constexpr bool purges(trigger_result r) noexcept {
  return r == trigger_result::PURGE || r == trigger_result::FIRE_AND_PURGE;
}

/// State of triggers that keep none.
struct no_trigger_state {};

namespace detail {
/// Timer access for triggers, implemented by the window operator (current key implied).
template <class W>
class trigger_timers {
 public:
  virtual void register_event_time_timer(const W& w, std::int64_t t) = 0;
  virtual void delete_event_time_timer(const W& w, std::int64_t t) = 0;
  virtual void register_processing_time_timer(const W& w, std::int64_t t) = 0;
  virtual void delete_processing_time_timer(const W& w, std::int64_t t) = 0;
  virtual std::int64_t watermark() const = 0;
  virtual std::int64_t processing_time() const = 0;

 protected:
  ~trigger_timers() = default;
};

template <class Tr, class = void>
struct trigger_state {
  using type = no_trigger_state;
};
template <class Tr>
struct trigger_state<Tr, std::void_t<typename Tr::state>> {
  using type = typename Tr::state;
};
}  // namespace detail

template <class Tr>
using trigger_state_t = typename detail::trigger_state<Tr>::type;

/// What a trigger sees of the window it is called for. Valid during the call only.
template <class W, class S = no_trigger_state>
class trigger_context {
 public:
  trigger_context(detail::trigger_timers<W>* timers, const W* window, S* state)
      : timers_(timers), window_(window), state_(state) {}
  /// Calls the trigger's on_event_time(t) for this key and window once the watermark reaches t.
  void register_event_time_timer(std::int64_t t) {
    timers_->register_event_time_timer(*window_, t);
  }
  void delete_event_time_timer(std::int64_t t) { timers_->delete_event_time_timer(*window_, t); }
  /// Calls on_processing_time(t) once the clock reaches t (or at end of input).
  void register_processing_time_timer(std::int64_t t) {
    timers_->register_processing_time_timer(*window_, t);
  }
  void delete_processing_time_timer(std::int64_t t) {
    timers_->delete_processing_time_timer(*window_, t);
  }
  [[nodiscard]] std::int64_t current_watermark() const { return timers_->watermark(); }
  [[nodiscard]] std::int64_t current_processing_time() const { return timers_->processing_time(); }
  /// This key's and window's trigger state.
  S& state() { return *state_; }

 private:
  detail::trigger_timers<W>* timers_;
  const W* window_;
  S* state_;
};

/// Fires when the watermark passes the window's end; a record arriving after that (within the
/// allowed lateness) fires the window again at once. The default trigger of event-time windows.
struct EventTimeTrigger {
  static EventTimeTrigger create() { return {}; }
  template <class T, class W, class C>
  trigger_result on_element(const T&, std::int64_t, const W& w, C& ctx) const {
    if (w.max_timestamp() <= ctx.current_watermark()) return trigger_result::FIRE;
    ctx.register_event_time_timer(w.max_timestamp());
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_event_time(std::int64_t t, const W& w, C&) const {
    return t == w.max_timestamp() ? trigger_result::FIRE : trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_processing_time(std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  void on_merge(const W& w, C& ctx) const {
    if (w.max_timestamp() > ctx.current_watermark())
      ctx.register_event_time_timer(w.max_timestamp());
  }
  template <class W, class C>
  void clear(const W& w, C& ctx) const {
    ctx.delete_event_time_timer(w.max_timestamp());
  }
};

/// Fires when the clock passes the window's end. The default trigger of processing-time windows.
struct ProcessingTimeTrigger {
  static ProcessingTimeTrigger create() { return {}; }
  template <class T, class W, class C>
  trigger_result on_element(const T&, std::int64_t, const W& w, C& ctx) const {
    ctx.register_processing_time_timer(w.max_timestamp());
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_event_time(std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_processing_time(std::int64_t, const W&, C&) const {
    return trigger_result::FIRE;
  }
  template <class W, class C>
  void on_merge(const W& w, C& ctx) const {
    if (w.max_timestamp() > ctx.current_processing_time())
      ctx.register_processing_time_timer(w.max_timestamp());
  }
  template <class W, class C>
  void clear(const W& w, C& ctx) const {
    ctx.delete_processing_time_timer(w.max_timestamp());
  }
};

/// Never fires: the default trigger of GlobalWindows (which therefore need one given).
struct NeverTrigger {
  template <class T, class W, class C>
  trigger_result on_element(const T&, std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_event_time(std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_processing_time(std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  void on_merge(const W&, C&) const {}
  template <class W, class C>
  void clear(const W&, C&) const {}
};

/// Fires every `count` records of a window (the count is kept per key and window; sessions add
/// their counts up when they merge).
struct CountTrigger {
  using state = std::int64_t;
  std::int64_t max_count = 1;
  static CountTrigger of(std::int64_t count) {
    if (count <= 0) throw std::invalid_argument("CountTrigger count must be positive");
    return {count};
  }
  template <class T, class W, class C>
  trigger_result on_element(const T&, std::int64_t, const W&, C& ctx) const {
    if (++ctx.state() >= max_count) {
      ctx.state() = 0;
      return trigger_result::FIRE;
    }
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_event_time(std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  template <class W, class C>
  trigger_result on_processing_time(std::int64_t, const W&, C&) const {
    return trigger_result::CONTINUE;
  }
  static void merge_state(state& into, const state& from) { into += from; }
  template <class W, class C>
  void on_merge(const W&, C& ctx) const {
    if (ctx.state() >= max_count) ctx.state() = max_count - 1;  // fires on the next record
  }
  template <class W, class C>
  void clear(const W&, C& ctx) const {
    ctx.state() = 0;
  }
};

/// Wraps a trigger so that every FIRE also purges the window (FIRE_AND_PURGE).
template <class Inner>
struct PurgingTrigger {
  using state = trigger_state_t<Inner>;
  Inner inner;
  static PurgingTrigger of(Inner t) { return {std::move(t)}; }
  template <class T, class W, class C>
  trigger_result on_element(const T& v, std::int64_t ts, const W& w, C& ctx) const {
    return purging(inner.on_element(v, ts, w, ctx));
  }
  template <class W, class C>
  trigger_result on_event_time(std::int64_t t, const W& w, C& ctx) const {
    return purging(inner.on_event_time(t, w, ctx));
  }
  template <class W, class C>
  trigger_result on_processing_time(std::int64_t t, const W& w, C& ctx) const {
    return purging(inner.on_processing_time(t, w, ctx));
  }
  static void merge_state(state& into, const state& from) {
    if constexpr (!std::is_same_v<state, no_trigger_state>) Inner::merge_state(into, from);
  }
  template <class W, class C>
  void on_merge(const W& w, C& ctx) const {
    inner.on_merge(w, ctx);
  }
  template <class W, class C>
  void clear(const W& w, C& ctx) const {
    inner.clear(w, ctx);
  }

 private:
  static trigger_result purging(trigger_result r) {
    return fires(r) ? trigger_result::FIRE_AND_PURGE : r;
  }
};

}  // namespace eddy
