#pragma once
/// The general keyed window operator (Flink's WindowOperator /
/// EvictingWindowOperator): any assigner (tumbling, sliding, session, global;
/// event or processing time), any trigger, an optional evictor, allowed
/// lateness and a late-data side output.
///
/// State (on the shared keyed state backend, runtime/state/): per key and
/// window a "pane" in the namespaced state "window-panes" (namespace: the
/// window), holding the window function's accumulator (or with an evictor every
/// record with its timestamp) and the trigger's state; for merging assigners
/// the key's session windows in the plain state "merging-window-set"; timers
/// per (time, key, window) in a timer_service<K, W>, one per domain,
/// deduplicated. For each record: Watermarks fire the event-time timers up to
/// them (in time order); ticks fire the due processing-time timers; a timer
/// calls the trigger, and at the window's cleanup time its state is dropped. At
/// end of input the runtime sends the maximum watermark (every event-time
/// window fires), then finish() fires every pending processing-time timer in
/// time order (not the ones triggers register meanwhile for later times), so no
/// window of a bounded input is left unfired by time. (Global windows fire only
/// by their trigger: with a count trigger, an incomplete last window of a
/// bounded input is not emitted, as in Flink.) Results carry the window's
/// max_timestamp() as their timestamp.
///
/// Checkpoints (snapshot_state / restore_state) write the backend's and the
/// timers' entries per state and key group, and the watermark, so a restored
/// operator (at any parallelism) carries on as the snapshotted one would; the
/// key, window, accumulator (with an evictor: record) and trigger state types
/// need a Serializer once the operator holds state. Checkpoints written before
/// the operator used the backend (one entry "windows" per key group) restore
/// too.
///
/// Owned and called by one subtask actor only. User code exceptions (key
/// selector, trigger, evictor, window function) become operator_error naming
/// the operator.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "eddy/operators/collector.hpp"
#include "eddy/operators/keyed_reduce_op.hpp"
#include "eddy/operators/window_assigners.hpp"
#include "eddy/operators/window_evictors.hpp"
#include "eddy/operators/window_functions.hpp"
#include "eddy/operators/window_triggers.hpp"
#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/operator.hpp"
#include "eddy/runtime/serializer.hpp"
#include "eddy/runtime/state/keyed_state_backend.hpp"
#include "eddy/runtime/state/timer_service.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

namespace detail {
inline std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  if (b > 0 && a > std::numeric_limits<std::int64_t>::max() - b)
    return std::numeric_limits<std::int64_t>::max();
  return a + b;
}
}  // namespace detail

/// Windows as state namespaces (the window operator's panes and timers are per
/// key and window).
template <>
struct key_hasher<time_window> {
  std::uint64_t operator()(const time_window& w) const noexcept {
    return detail::combine(detail::mix64(static_cast<std::uint64_t>(w.start)),
                           static_cast<std::uint64_t>(w.end));
  }
};
template <>
struct key_hasher<global_window> {
  std::uint64_t operator()(const global_window&) const noexcept { return 0; }
};

/// A buffered record of an evicting window in checkpoints: (value, timestamp,
/// has timestamp).
template <class T>
struct Serializer<timestamped_value<T>, std::enable_if_t<has_serializer_v<T>>> {
  using wire = std::tuple<T, std::int64_t, bool>;
  static constexpr std::size_t min_size() noexcept { return Serializer<wire>::min_size(); }
  static void write(byte_writer& w, const timestamped_value<T>& v) {
    Serializer<wire>::write(w, wire(v.value, v.timestamp, v.has_timestamp));
  }
  [[nodiscard]] static bool read(byte_reader& r, timestamped_value<T>& v) {
    wire x;
    if (!Serializer<wire>::read(r, x)) return false;
    v = timestamped_value<T>{std::move(std::get<0>(x)), std::get<1>(x), std::get<2>(x)};
    return true;
  }
};

template <class T, class K, class KeyFn, class Assigner, class Trigger, class Evictor, class WinFn>
class triggered_window_op final : public timed_input_op<T>,
                                  private detail::trigger_timers<typename Assigner::window_type> {
 public:
  using W = typename Assigner::window_type;
  using Out = typename WinFn::output;
  using Acc = typename WinFn::accumulator;
  using TState = trigger_state_t<Trigger>;
  using Ctx = trigger_context<W, TState>;
  static constexpr bool evicting = !std::is_same_v<Evictor, no_evictor>;
  static constexpr bool event_time = Assigner::is_event_time;
  static constexpr bool merging = Assigner::is_merging;
  using Contents = std::conditional_t<evicting, std::vector<timestamped_value<T>>, Acc>;
  /// Trigger state as written into checkpoints (triggers without state write no
  /// bytes).
  using tstate_wire =
      std::conditional_t<std::is_same_v<TState, no_trigger_state>, std::monostate, TState>;
  /// Whether this operator's state can be checkpointed (every type in it has a
  /// Serializer).
  static constexpr bool checkpointable = has_serializer_v<K> && has_serializer_v<W> &&
                                         has_serializer_v<tstate_wire> &&
                                         (evicting ? has_serializer_v<T> : has_serializer_v<Acc>);

  triggered_window_op(KeyFn key_fn, Assigner assigner, Trigger trigger, Evictor evictor,
                      WinFn win_fn, std::int64_t allowed_lateness, std::string late_tag,
                      input_op<Out>* next)
      : key_fn_(std::move(key_fn)),
        assigner_(std::move(assigner)),
        trigger_(std::move(trigger)),
        evictor_(std::move(evictor)),
        win_fn_(std::move(win_fn)),
        lateness_(event_time ? allowed_lateness : 0),
        late_tag_(std::move(late_tag)),
        next_(next) {
    this->downstream_ = next;
  }

  void open(const subtask_info& info) override {
    input_op<T>::open(info);
    if (!late_tag_.empty()) late_out_ = dynamic_cast<input_op<T>*>(this->side_output(late_tag_));
    backend_ = std::make_unique<keyed_state_backend<K>>(
        info.max_parallelism, info.parallelism, info.index,
        [this] { return this->current_processing_time(); });
    panes_.emplace(backend_->template get_namespaced_value_state<W, pane>(panes_name));
    if constexpr (merging)
      sessions_.emplace(backend_->template get_value_state<std::vector<W>>(sessions_name));
  }

  [[nodiscard]] bool wants_ticks() const override { return true; }
  [[nodiscard]] std::chrono::milliseconds tick_interval() const override {
    return this->info_.timer_resolution;
  }

  using timed_input_op<T>::process;
  void process(std::vector<T>& records, std::vector<std::int64_t>& ts) override {
    this->counters_.records_in += records.size();
    this->guarded([&] {
      const bool timed = !ts.empty();
      if constexpr (event_time) {
        if (!timed && !records.empty())
          throw std::runtime_error(
              "records have no event-time timestamps: "
              "call assign_timestamps_and_watermarks() "
              "before an event-time window");
      }
      const std::int64_t now = event_time ? 0 : this->current_processing_time();
      for (std::size_t i = 0; i < records.size(); ++i) {
        const T& r = records[i];
        const std::int64_t record_ts = timed ? ts[i] : now;
        const std::int64_t t = event_time ? record_ts : now;
        const K key = key_fn_(r);
        key_ = &key;
        backend_->set_current_key(key);
        bool accepted = false;
        if constexpr (merging) {
          assigner_.assign(r, t, [&](const W& w) {
            const W actual = merge_window(key, w);
            accepted = add_to_window(key, actual, r, record_ts, timed) || accepted;
          });
        } else {
          assigner_.assign(r, t, [&](const W& w) {
            accepted = add_to_window(key, w, r, record_ts, timed) || accepted;
          });
        }
        if (!accepted) {
          ++this->counters_.late_records;
          if (late_out_) {
            late_.push_back(r);
            late_ts_.push_back(record_ts);
          }
        }
      }
      key_ = nullptr;
      backend_->reset_current_key();
      pass();
      if (!late_.empty()) {
        late_out_->process(late_, late_ts_);
        late_.clear();
        late_ts_.clear();
      }
    });
  }

  void on_watermark(std::int64_t wm) override {
    this->guarded([&] {
      // Never backwards: after a restore the inputs' watermarks may start again
      // below the restored one, and windows must not become on time again.
      watermark_ = std::max(watermark_, wm);
      fire_timers(watermark_, true);
      pass();
    });
    next_->on_watermark(wm);
  }

  void on_tick(std::chrono::steady_clock::time_point) override {
    this->guarded([&] {
      if (timers_.processing_time_timer_count() == 0) return;
      fire_timers(this->current_processing_time(), false);
      pass();
    });
  }

  void finish() override {
    this->guarded([&] {
      // As if the clock jumped to the last pending timer: timers that triggers
      // register while these fire run only if due by then, so a periodic
      // trigger cannot keep finish() going.
      if (const auto last = timers_.last_processing_time_timer()) fire_timers(*last, false);
      pass();
    });
    next_->finish();
  }

  /// Checkpoints: the backend's entries ("window-panes": per key and window the
  /// contents, i.e. the accumulator or with an evictor the records with their
  /// timestamps, and the trigger state; "merging-window-set": the session
  /// windows of each key, merging assigners only) and the timers ("__timers",
  /// both domains), each one entry per key group; the operator's kind and types
  /// ("__union:window-kind", so that a restore into another kind of window
  /// operator is refused) and the watermark (so that a restored operator judges
  /// lateness as before; written with put_watermark, as window_op does: at
  /// another parallelism a subtask takes the lowest one). Throws (the
  /// checkpoint then fails the job) if the operator holds windows whose key,
  /// window, accumulator, record or trigger state type lacks a Serializer,
  /// naming the operator and the types.
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    if (watermark_ != min_watermark) put_watermark(out, "watermark", watermark_);
    const bool holds = backend_->entry_count() > 0 || timer_count() > 0;
    if (!holds) return;
    if constexpr (checkpointable) {
      backend_->snapshot(out);
      timers_.snapshot(this->info_.max_parallelism, out);
      out.push_back(state_entry{kind_name, -1, snapshot_tag(), {}});
    } else {
      throw std::runtime_error(
          "the windows of '" + this->name_ + "' cannot be checkpointed: no Serializer for its " +
          missing_serializers() + " (give records EDDY_FIELDS, see serializer.hpp)");
    }
  }

  /// Restores the entries above of the key groups this subtask owns (from any
  /// number of old subtasks), or the "windows" entries of the earlier format
  /// (converted), and the lowest watermark among those given. Throws naming the
  /// state, the operator and both type descriptions if the entries were written
  /// by a window operator of other types or kind.
  void restore_state(const std::vector<state_entry>& entries) override {
    if (auto wm = get_watermark(entries, "watermark")) watermark_ = *wm;
    const std::string tag = snapshot_tag();
    for (const auto& e : entries)
      if ((e.name == legacy_name && e.key_group >= 0) || e.name == kind_name) {
        if (e.type != tag)
          throw std::runtime_error("incompatible state 'windows' of window operator '" +
                                   this->name_ + "': it was checkpointed as " + e.type +
                                   " but is restored as " + tag +
                                   " (the window's key, record, accumulator, trigger state or "
                                   "window kind changed)");
      }
    if constexpr (checkpointable) {
      backend_->restore(entries);
      timers_.restore(entries);
      for (const auto& e : entries)
        if (e.name == legacy_name && e.key_group >= 0) restore_legacy(e);
    }
  }

  /// Number of (key, window) panes held (for tests and metrics).
  [[nodiscard]] std::size_t pane_count() const {
    const auto* s = backend_ ? backend_->find_state(panes_name) : nullptr;
    return s ? s->size() : 0;
  }
  /// Number of pending timers in both domains (for tests).
  [[nodiscard]] std::size_t timer_count() const noexcept {
    return timers_.event_time_timer_count() + timers_.processing_time_timer_count();
  }

 private:
  /// A window's state: contents (none after a purge) and trigger state.
  using pane = std::pair<std::optional<Contents>, tstate_wire>;

  // ---- checkpoints ----
  static constexpr const char* panes_name = "window-panes";
  static constexpr const char* sessions_name = "merging-window-set";
  static constexpr const char* kind_name = "__union:window-kind";
  static constexpr const char* legacy_name = "windows";  // the format before the backend
  /// A window's contents as written: the accumulator, or the records with
  /// (timestamp, has one).
  using contents_wire =
      std::conditional_t<evicting, std::vector<std::tuple<T, std::int64_t, bool>>, Acc>;
  using pane_row = std::tuple<K, W, std::optional<contents_wire>, tstate_wire>;
  using session_row = std::pair<K, std::vector<W>>;
  using timer_row = std::tuple<std::uint8_t, std::int64_t, K,
                               W>;  // domain 0 event, 1 processing
  /// One key group's entry of the earlier format: panes, session windows,
  /// timers.
  using group_state =
      std::tuple<std::vector<pane_row>, std::vector<session_row>, std::vector<timer_row>>;

  /// The operator's kind and types (the type of "__union:window-kind" and of
  /// the earlier format's "windows" entries).
  static std::string snapshot_tag() {
    std::string kind = std::string("triggered_windows(") +
                       (event_time ? "event time" : "processing time") +
                       (merging ? ", merging" : "") + (evicting ? ", evicting" : "") + ")";
    if constexpr (evicting)
      return state_type_tag<K, W, T, TState>(kind);
    else
      return state_type_tag<K, W, Acc, TState>(kind);
  }
  /// The types of the state that lack a Serializer, described.
  static std::string missing_serializers() {
    std::string s;
    auto add = [&](bool has, const char* what, const std::string& type) {
      if (has) return;
      if (!s.empty()) s += ", ";
      s += what;
      s += ' ';
      s += type;
    };
    add(has_serializer_v<K>, "key type", type_name_of<K>());
    add(has_serializer_v<W>, "window type", type_name_of<W>());
    if constexpr (evicting)
      add(has_serializer_v<T>, "record type", type_name_of<T>());
    else
      add(has_serializer_v<Acc>, "accumulator type", type_name_of<Acc>());
    add(has_serializer_v<tstate_wire>, "trigger state type", type_name_of<TState>());
    return s;
  }
  static Contents from_wire(contents_wire&& w) {
    if constexpr (evicting) {
      Contents c;
      c.reserve(w.size());
      for (auto& [v, t, has] : w) c.push_back(timestamped_value<T>{std::move(v), t, has});
      return c;
    } else {
      return std::move(w);
    }
  }
  /// Converts one "windows" entry of the earlier format into the backend and
  /// the timers.
  void restore_legacy(const state_entry& e) {
    if constexpr (checkpointable) {
      auto g = detail::decode_state<group_state>(e);
      for (auto& [k, w, c, ts] : std::get<0>(g)) {
        backend_->set_current_key(k);
        panes_->set_current_namespace(w);
        pane& p = (*panes_)->value_for_update();
        if (c) p.first.emplace(from_wire(std::move(*c)));
        p.second = std::move(ts);
      }
      if constexpr (merging)
        for (auto& [k, ws] : std::get<1>(g)) {
          backend_->set_current_key(k);
          sessions_->update(std::move(ws));
        }
      for (auto& [d, t, k, w] : std::get<2>(g)) {
        if (d == 0)
          timers_.register_event_time_timer(k, w, t);
        else
          timers_.register_processing_time_timer(k, w, t);
      }
      backend_->reset_current_key();
    }
  }
  /// The trigger state of a pane (a shared empty one for triggers without
  /// state).
  TState* tstate_of(pane& p) {
    if constexpr (std::is_same_v<TState, no_trigger_state>)
      return &no_state_;
    else
      return &p.second;
  }
  /// The pane of the current key and window `w`, or null.
  pane* find_pane(const W& w) {
    panes_->set_current_namespace(w);
    if (!(*panes_)->value()) return nullptr;
    return &(*panes_)->value_for_update();  // the cached cell: no second lookup
  }

  // ---- trigger_timers (the current key is key_) ----
  void register_event_time_timer(const W& w, std::int64_t t) override {
    timers_.register_event_time_timer(*key_, w, t);
  }
  void delete_event_time_timer(const W& w, std::int64_t t) override {
    timers_.delete_event_time_timer(*key_, w, t);
  }
  void register_processing_time_timer(const W& w, std::int64_t t) override {
    timers_.register_processing_time_timer(*key_, w, t);
  }
  void delete_processing_time_timer(const W& w, std::int64_t t) override {
    timers_.delete_processing_time_timer(*key_, w, t);
  }
  [[nodiscard]] std::int64_t watermark() const override { return watermark_; }
  [[nodiscard]] std::int64_t processing_time() const override {
    return this->current_processing_time();
  }

  [[nodiscard]] std::int64_t cleanup_time(const W& w) const {
    return detail::saturating_add(w.max_timestamp(), lateness_);
  }
  [[nodiscard]] bool is_late(const W& w) const {
    return event_time && watermark_ != min_watermark && cleanup_time(w) <= watermark_;
  }

  /// Adds record r to window w of key; false if the window is late.
  bool add_to_window(const K& key, const W& w, const T& r, std::int64_t ts, bool timed) {
    if (is_late(w)) return false;
    panes_->set_current_namespace(w);
    pane& p = (*panes_)->value_for_update();
    if (!p.first) {
      if constexpr (evicting)
        p.first.emplace();
      else
        p.first.emplace(win_fn_.create());
    }
    if constexpr (evicting)
      p.first->push_back(timestamped_value<T>{r, ts, timed});
    else
      win_fn_.add(*p.first, r);
    Ctx ctx(this, &w, tstate_of(p));
    const trigger_result res = trigger_.on_element(r, ts, w, ctx);
    if (fires(res)) emit(key, w, p);
    if (purges(res)) p.first.reset();
    register_cleanup_timer(w);
    return true;
  }

  void register_cleanup_timer(const W& w) {
    const std::int64_t t = cleanup_time(w);
    if (t == std::numeric_limits<std::int64_t>::max()) return;  // global window: never
    if constexpr (event_time)
      timers_.register_event_time_timer(*key_, w, t);
    else
      timers_.register_processing_time_timer(*key_, w, t);
  }
  void delete_cleanup_timer(const W& w) {
    const std::int64_t t = cleanup_time(w);
    if constexpr (event_time)
      timers_.delete_event_time_timer(*key_, w, t);
    else
      timers_.delete_processing_time_timer(*key_, w, t);
  }

  /// Merges the new session window `nw` of the current key with the key's
  /// windows it intersects; returns the window the record belongs to.
  W merge_window(const K&, const W& nw) {
    auto& list = sessions_->value_for_update();
    W result = nw;
    std::vector<W> merged;
    for (const W& w : list)
      if (w.intersects(nw)) {
        merged.push_back(w);
        result = result.cover(w);
      }
    if (merged.empty()) {
      if (!is_late(nw)) list.push_back(nw);
      if (list.empty()) sessions_->clear();
      return nw;
    }
    if (merged.size() == 1 && merged.front() == result) return result;  // inside an existing one
    pane target;
    if (pane* existing = find_pane(result)) {
      target = std::move(*existing);
      (*panes_)->clear();
    }
    for (const W& m : merged) {
      pane* from = find_pane(m);
      if (from) {
        if (from->first) {
          if (!target.first)
            target.first = std::move(from->first);
          else if constexpr (evicting)
            target.first->insert(target.first->end(), from->first->begin(), from->first->end());
          else
            win_fn_.merge(*target.first, std::move(*from->first));
        }
        if constexpr (!std::is_same_v<TState, no_trigger_state>)
          Trigger::merge_state(target.second, from->second);
      }
      TState scratch{};
      Ctx mctx(this, &m, from ? tstate_of(*from) : &scratch);
      trigger_.clear(m, mctx);
      delete_cleanup_timer(m);
      if (from) (*panes_)->clear();  // the namespace is still m
      list.erase(std::find(list.begin(), list.end(), m));
    }
    list.push_back(result);
    panes_->set_current_namespace(result);
    pane& p = (*panes_)->value_for_update() = std::move(target);
    Ctx ctx(this, &result, tstate_of(p));
    trigger_.on_merge(result, ctx);
    return result;
  }

  /// Fires the timers of one domain due by `up_to` (timers registered meanwhile
  /// too, if due).
  void fire_timers(std::int64_t up_to, bool event_domain) {
    const auto fire = [&](std::int64_t t, const K& key, const W& w) {
      key_ = &key;
      backend_->set_current_key(key);
      on_timer(t, key, w, event_domain);
      if (out_.size() >= this->info_.batch_size) pass();
    };
    if (event_domain)
      timers_.fire_event_time_timers(up_to, fire);
    else
      timers_.fire_processing_time_timers(up_to, fire);
    key_ = nullptr;
    backend_->reset_current_key();
  }

  void on_timer(std::int64_t t, const K& key, const W& w, bool event_domain) {
    if constexpr (merging) {
      const auto& s = sessions_->value();
      if (!s || std::find(s->begin(), s->end(), w) == s->end())
        return;  // the window was merged into another one: its timers are
                 // obsolete
    }
    pane* p = find_pane(w);
    TState scratch{};
    Ctx ctx(this, &w, p ? tstate_of(*p) : &scratch);
    const trigger_result res =
        event_domain ? trigger_.on_event_time(t, w, ctx) : trigger_.on_processing_time(t, w, ctx);
    if (p) {
      if (fires(res)) emit(key, w, *p);
      if (purges(res)) p->first.reset();
    }
    if (event_domain == event_time && t == cleanup_time(w)) clear_window(w);
  }

  /// Drops window `w` of the current key: its trigger (timers), pane and
  /// session entry.
  void clear_window(const W& w) {
    pane* p = find_pane(w);
    TState scratch{};
    Ctx ctx(this, &w, p ? tstate_of(*p) : &scratch);
    trigger_.clear(w, ctx);
    if (p) (*panes_)->clear();
    if constexpr (merging) {
      if (sessions_->value()) {
        auto& list = sessions_->value_for_update();
        std::erase(list, w);
        if (list.empty()) sessions_->clear();
      }
    }
  }

  void emit(const K& key, const W& w, pane& p) {
    if (!p.first) return;
    collector<Out> c(out_);
    if constexpr (evicting) {
      evictor_context ec{watermark_, this->current_processing_time()};
      auto& recs = *p.first;
      evictor_.evict_before(recs, w, ec);
      Acc acc = win_fn_.create();
      for (const auto& e : recs) win_fn_.add(acc, e.value);
      if (!recs.empty()) win_fn_.emit(key, w, acc, c);
      evictor_.evict_after(recs, w, ec);
    } else {
      win_fn_.emit(key, w, *p.first, c);
    }
    out_ts_.resize(out_.size(), w.max_timestamp());
  }

  void pass() {
    if (out_.empty()) return;
    this->counters_.records_out += out_.size();
    next_->process(out_, out_ts_);
    out_.clear();
    out_ts_.clear();
  }

  KeyFn key_fn_;
  Assigner assigner_;
  Trigger trigger_;
  Evictor evictor_;
  WinFn win_fn_;
  std::int64_t lateness_;
  std::string late_tag_;
  input_op<T>* late_out_ = nullptr;
  std::vector<T> late_;
  std::vector<std::int64_t> late_ts_;
  input_op<Out>* next_;
  const K* key_ = nullptr;  // key of the record or timer being processed (the
                            // backend's current)
  std::unique_ptr<keyed_state_backend<K>> backend_;  // created by open()
  std::optional<namespaced_state<W, value_state<pane>>> panes_;
  std::optional<value_state<std::vector<W>>> sessions_;  // merging only
  timer_service<K, W> timers_;
  TState no_state_{};  // the state triggers without state see
  std::int64_t watermark_ = min_watermark;
  std::vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

}  // namespace eddy
