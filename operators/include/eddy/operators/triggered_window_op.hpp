#pragma once
/// The general keyed window operator (Flink's WindowOperator / EvictingWindowOperator): any
/// assigner (tumbling, sliding, session, global; event or processing time), any trigger, an
/// optional evictor, allowed lateness and a late-data side output.
///
/// State per key and window (a "pane"): the window function's accumulator, or with an evictor
/// every record with its timestamp; plus the trigger's state. Timers are kept per (time, key,
/// window) in two ordered sets, one per time domain, deduplicated. For each record:
///  - its windows are assigned (sessions: the new window is merged with the key's overlapping
///    windows, their contents and trigger states merged, the old windows' triggers cleared);
///  - a window whose cleanup time (max_timestamp + allowed lateness, event time) is not after the
///    watermark is late: the record is skipped for it; a record skipped by all its windows is
///    counted as late and sent to the late-data side output if one is consumed;
///  - otherwise it is added to the pane, the trigger's on_element decides FIRE / PURGE, and a
///    cleanup timer is registered for the window.
/// Watermarks fire the event-time timers up to them (in time order); ticks fire the due
/// processing-time timers; a timer calls the trigger, and at the window's cleanup time its state
/// is dropped. At end of input the runtime sends the maximum watermark (every event-time window
/// fires), then finish() fires every pending processing-time timer in time order (not the ones
/// triggers register meanwhile for later times), so no window of a bounded input is left
/// unfired by time. (Global windows fire only by their trigger: with a count trigger, an
/// incomplete last window of a bounded input is not emitted, as in Flink.)
/// Results carry the window's max_timestamp() as their timestamp.
///
/// Checkpoints (snapshot_state / restore_state) write all of it per key group, and the
/// watermark, so a restored operator (at any parallelism) carries on as the snapshotted one
/// would; the key, window, accumulator (with an evictor: record) and trigger state types need a
/// Serializer once the operator holds state.
///
/// Owned and called by one subtask actor only. User code exceptions (key selector, trigger,
/// evictor, window function) become operator_error naming the operator.
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
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
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

namespace detail {
inline std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  if (b > 0 && a > std::numeric_limits<std::int64_t>::max() - b)
    return std::numeric_limits<std::int64_t>::max();
  return a + b;
}
template <class W>
std::uint64_t window_hash(const W& w) {
  if constexpr (std::is_same_v<W, time_window>)
    return detail::combine(detail::mix64(static_cast<std::uint64_t>(w.start)),
                           static_cast<std::uint64_t>(w.end));
  else
    return 0;
}
}  // namespace detail

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
  /// Trigger state as written into checkpoints (triggers without state write no bytes).
  using tstate_wire =
      std::conditional_t<std::is_same_v<TState, no_trigger_state>, std::monostate, TState>;
  /// Whether this operator's state can be checkpointed (every type in it has a Serializer).
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
              "records have no event-time timestamps: call assign_timestamps_and_watermarks() "
              "before an event-time window");
      }
      const std::int64_t now = event_time ? 0 : this->current_processing_time();
      for (std::size_t i = 0; i < records.size(); ++i) {
        const T& r = records[i];
        const std::int64_t record_ts = timed ? ts[i] : now;
        const std::int64_t t = event_time ? record_ts : now;
        const K key = key_fn_(r);
        key_ = &key;
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
        key_ = nullptr;
        if (!accepted) {
          ++this->counters_.late_records;
          if (late_out_) {
            late_.push_back(r);
            late_ts_.push_back(record_ts);
          }
        }
      }
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
      // Never backwards: after a restore the inputs' watermarks may start again below the
      // restored one, and windows must not become on time again.
      watermark_ = std::max(watermark_, wm);
      fire_timers(event_timers_, watermark_, true);
      pass();
    });
    next_->on_watermark(wm);
  }

  void on_tick(std::chrono::steady_clock::time_point) override {
    this->guarded([&] {
      if (proc_timers_.empty()) return;
      fire_timers(proc_timers_, this->current_processing_time(), false);
      pass();
    });
  }

  void finish() override {
    this->guarded([&] {
      // As if the clock jumped to the last pending timer: timers that triggers register while
      // these fire run only if due by then, so a periodic trigger cannot keep finish() going.
      if (!proc_timers_.empty())
        fire_timers(proc_timers_, std::get<0>(*proc_timers_.rbegin()), false);
      pass();
    });
    next_->finish();
  }

  /// Checkpoints: one entry "windows" per key group holding, for the keys of that group, every
  /// pane (key, window, contents: the accumulator, or with an evictor the records with their
  /// timestamps; trigger state), the session windows of each key (merging assigners; in the
  /// order the operator merges them) and the pending timers of both domains. The watermark (so
  /// that a restored operator judges lateness as before) is written with put_watermark, as
  /// window_op does (at another parallelism a subtask takes the lowest one). Throws (the checkpoint
  /// then fails the job) if the operator holds windows whose key, window, accumulator, record or
  /// trigger state type lacks a Serializer, naming the operator and the types.
  void snapshot_state(std::uint64_t, std::vector<state_entry>& out) override {
    if (watermark_ != min_watermark) put_watermark(out, "watermark", watermark_);
    if constexpr (checkpointable) {
      const int maxp = this->info_.max_parallelism;
      std::map<int, group_state> by_group;
      auto group = [&](const K& k) -> group_state& {
        return by_group[key_group_of(key_hash(k), maxp)];
      };
      for (const auto& [pk, p] : panes_) {
        std::optional<contents_wire> c;
        if (p.contents) c.emplace(to_wire(*p.contents));
        std::get<0>(group(pk.key))
            .emplace_back(pk.key, pk.window, std::move(c), tstate_to_wire(p.tstate));
      }
      if constexpr (merging)
        for (const auto& [k, ws] : sessions_) std::get<1>(group(k)).emplace_back(k, ws);
      for (const auto& [t, k, w] : event_timers_)
        std::get<2>(group(k)).emplace_back(std::uint8_t{0}, t, k, w);
      for (const auto& [t, k, w] : proc_timers_)
        std::get<2>(group(k)).emplace_back(std::uint8_t{1}, t, k, w);
      const std::string tag = snapshot_tag();
      for (const auto& [kg, g] : by_group)
        out.push_back(state_entry{state_name, kg, tag, serialize(g)});
    } else {
      if (!panes_.empty() || !sessions_.empty() || !event_timers_.empty() || !proc_timers_.empty())
        throw std::runtime_error(
            "the windows of '" + this->name_ + "' cannot be checkpointed: no Serializer for its " +
            missing_serializers() + " (give records EDDY_FIELDS, see serializer.hpp)");
    }
  }

  /// Restores the "windows" entries of the key groups this subtask owns (from any number of
  /// old subtasks) and the lowest watermark among those given. Throws naming the state, the
  /// operator and both type descriptions if the entries were written by a window operator of other
  /// types or kind.
  void restore_state(const std::vector<state_entry>& entries) override {
    if (auto wm = get_watermark(entries, "watermark")) watermark_ = *wm;
    const std::string tag = snapshot_tag();
    for (const auto& e : entries) {
      if (e.name != state_name || e.key_group < 0) continue;
      if (e.type != tag)
        throw std::runtime_error("incompatible state '" + e.name + "' of window operator '" +
                                 this->name_ + "': it was checkpointed as " + e.type +
                                 " but is restored as " + tag +
                                 " (the window's key, record, accumulator, trigger state or "
                                 "window kind changed)");
      if constexpr (checkpointable) {
        auto g = detail::decode_state<group_state>(e);
        for (auto& [k, w, c, ts] : std::get<0>(g)) {
          pane& p = panes_[pane_key{std::move(k), w}];
          if (c) p.contents.emplace(from_wire(std::move(*c)));
          p.tstate = tstate_from_wire(std::move(ts));
        }
        if constexpr (merging)
          for (auto& [k, ws] : std::get<1>(g)) sessions_[std::move(k)] = std::move(ws);
        for (auto& [d, t, k, w] : std::get<2>(g))
          (d == 0 ? event_timers_ : proc_timers_).emplace(t, std::move(k), w);
      }
    }
  }

  /// Number of (key, window) panes held (for tests and metrics).
  [[nodiscard]] std::size_t pane_count() const noexcept { return panes_.size(); }
  /// Number of pending timers in both domains (for tests).
  [[nodiscard]] std::size_t timer_count() const noexcept {
    return event_timers_.size() + proc_timers_.size();
  }

 private:
  struct pane {
    std::optional<Contents> contents;
    TState tstate{};
  };
  struct pane_key {
    K key;
    W window;
    friend bool operator==(const pane_key&, const pane_key&) = default;
  };
  struct pane_hash {
    std::size_t operator()(const pane_key& k) const {
      return static_cast<std::size_t>(
          detail::combine(state_key_hash<K>{}(k.key), detail::window_hash(k.window)));
    }
  };
  using timer = std::tuple<std::int64_t, K, W>;

  // ---- checkpoints ----
  static constexpr const char* state_name = "windows";
  /// A window's contents as written: the accumulator, or the records with (timestamp, has one).
  using contents_wire =
      std::conditional_t<evicting, std::vector<std::tuple<T, std::int64_t, bool>>, Acc>;
  using pane_row = std::tuple<K, W, std::optional<contents_wire>, tstate_wire>;
  using session_row = std::pair<K, std::vector<W>>;
  using timer_row = std::tuple<std::uint8_t, std::int64_t, K, W>;  // domain 0 event, 1 processing
  /// One key group's entry: panes, session windows, timers.
  using group_state =
      std::tuple<std::vector<pane_row>, std::vector<session_row>, std::vector<timer_row>>;

  /// The type tag of the "windows" entries: the window kind and every type in them.
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
  static contents_wire to_wire(const Contents& c) {
    if constexpr (evicting) {
      contents_wire w;
      w.reserve(c.size());
      for (const auto& e : c) w.emplace_back(e.value, e.timestamp, e.has_timestamp);
      return w;
    } else {
      return c;
    }
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
  static tstate_wire tstate_to_wire(const TState& s) {
    if constexpr (std::is_same_v<TState, no_trigger_state>)
      return {};
    else
      return s;
  }
  static TState tstate_from_wire(tstate_wire&& s) {
    if constexpr (std::is_same_v<TState, no_trigger_state>)
      return {};
    else
      return std::move(s);
  }

  // ---- trigger_timers (the current key is key_) ----
  void register_event_time_timer(const W& w, std::int64_t t) override {
    event_timers_.emplace(t, *key_, w);
  }
  void delete_event_time_timer(const W& w, std::int64_t t) override {
    event_timers_.erase(timer{t, *key_, w});
  }
  void register_processing_time_timer(const W& w, std::int64_t t) override {
    proc_timers_.emplace(t, *key_, w);
  }
  void delete_processing_time_timer(const W& w, std::int64_t t) override {
    proc_timers_.erase(timer{t, *key_, w});
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
    pane& p = panes_[pane_key{key, w}];
    if (!p.contents) {
      if constexpr (evicting)
        p.contents.emplace();
      else
        p.contents.emplace(win_fn_.create());
    }
    if constexpr (evicting)
      p.contents->push_back(timestamped_value<T>{r, ts, timed});
    else
      win_fn_.add(*p.contents, r);
    Ctx ctx(this, &w, &p.tstate);
    const trigger_result res = trigger_.on_element(r, ts, w, ctx);
    if (fires(res)) emit(key, w, p);
    if (purges(res)) p.contents.reset();
    register_cleanup_timer(w);
    return true;
  }

  void register_cleanup_timer(const W& w) {
    const std::int64_t t = cleanup_time(w);
    if (t == std::numeric_limits<std::int64_t>::max()) return;  // global window: never
    if constexpr (event_time)
      event_timers_.emplace(t, *key_, w);
    else
      proc_timers_.emplace(t, *key_, w);
  }
  void delete_cleanup_timer(const W& w) {
    const std::int64_t t = cleanup_time(w);
    if constexpr (event_time)
      event_timers_.erase(timer{t, *key_, w});
    else
      proc_timers_.erase(timer{t, *key_, w});
  }

  /// Merges the new session window `nw` of `key` with the key's windows it intersects; returns
  /// the window the record belongs to.
  W merge_window(const K& key, const W& nw) {
    auto& list = sessions_[key];
    W result = nw;
    std::vector<W> merged;
    for (const W& w : list)
      if (w.intersects(nw)) {
        merged.push_back(w);
        result = result.cover(w);
      }
    if (merged.empty()) {
      if (!is_late(nw)) list.push_back(nw);
      if (list.empty()) sessions_.erase(key);
      return nw;
    }
    if (merged.size() == 1 && merged.front() == result) return result;  // inside an existing one
    pane target;
    if (auto it = panes_.find(pane_key{key, result}); it != panes_.end()) {
      target = std::move(it->second);
      panes_.erase(it);
    }
    for (const W& m : merged) {
      auto it = panes_.find(pane_key{key, m});
      if (it != panes_.end()) {
        pane& from = it->second;
        if (from.contents) {
          if (!target.contents)
            target.contents = std::move(from.contents);
          else if constexpr (evicting)
            target.contents->insert(target.contents->end(), from.contents->begin(),
                                    from.contents->end());
          else
            win_fn_.merge(*target.contents, std::move(*from.contents));
        }
        if constexpr (!std::is_same_v<TState, no_trigger_state>)
          Trigger::merge_state(target.tstate, from.tstate);
      }
      TState scratch{};
      Ctx mctx(this, &m, it != panes_.end() ? &it->second.tstate : &scratch);
      trigger_.clear(m, mctx);
      delete_cleanup_timer(m);
      if (it != panes_.end()) panes_.erase(it);
      list.erase(std::find(list.begin(), list.end(), m));
    }
    list.push_back(result);
    pane& p = panes_[pane_key{key, result}] = std::move(target);
    Ctx ctx(this, &result, &p.tstate);
    trigger_.on_merge(result, ctx);
    return result;
  }

  template <class Set>
  void fire_timers(Set& timers, std::int64_t up_to, bool event_domain) {
    while (!timers.empty() && std::get<0>(*timers.begin()) <= up_to) {
      auto node = timers.extract(timers.begin());
      const auto& [t, key, w] = node.value();
      key_ = &key;
      on_timer(t, key, w, event_domain);
      key_ = nullptr;
      if (out_.size() >= this->info_.batch_size) pass();
    }
  }

  void on_timer(std::int64_t t, const K& key, const W& w, bool event_domain) {
    if constexpr (merging) {
      auto s = sessions_.find(key);
      if (s == sessions_.end() ||
          std::find(s->second.begin(), s->second.end(), w) == s->second.end())
        return;  // the window was merged into another one: its timers are obsolete
    }
    auto it = panes_.find(pane_key{key, w});
    TState scratch{};
    Ctx ctx(this, &w, it != panes_.end() ? &it->second.tstate : &scratch);
    const trigger_result res =
        event_domain ? trigger_.on_event_time(t, w, ctx) : trigger_.on_processing_time(t, w, ctx);
    if (it != panes_.end()) {
      if (fires(res)) emit(key, w, it->second);
      if (purges(res)) it->second.contents.reset();
    }
    if (event_domain == event_time && t == cleanup_time(w)) clear_window(key, w);
  }

  void clear_window(const K& key, const W& w) {
    auto it = panes_.find(pane_key{key, w});
    TState scratch{};
    Ctx ctx(this, &w, it != panes_.end() ? &it->second.tstate : &scratch);
    trigger_.clear(w, ctx);
    if (it != panes_.end()) panes_.erase(it);
    if constexpr (merging) {
      auto s = sessions_.find(key);
      if (s != sessions_.end()) {
        std::erase(s->second, w);
        if (s->second.empty()) sessions_.erase(s);
      }
    }
  }

  void emit(const K& key, const W& w, pane& p) {
    if (!p.contents) return;
    collector<Out> c(out_);
    if constexpr (evicting) {
      evictor_context ec{watermark_, this->current_processing_time()};
      auto& recs = *p.contents;
      evictor_.evict_before(recs, w, ec);
      Acc acc = win_fn_.create();
      for (const auto& e : recs) win_fn_.add(acc, e.value);
      if (!recs.empty()) win_fn_.emit(key, w, acc, c);
      evictor_.evict_after(recs, w, ec);
    } else {
      win_fn_.emit(key, w, *p.contents, c);
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
  const K* key_ = nullptr;  // key of the record or timer being processed
  absl::flat_hash_map<pane_key, pane, pane_hash> panes_;
  absl::flat_hash_map<K, std::vector<W>, state_key_hash<K>> sessions_;  // merging only
  std::set<timer> event_timers_;
  std::set<timer> proc_timers_;
  std::int64_t watermark_ = min_watermark;
  std::vector<Out> out_;
  std::vector<std::int64_t> out_ts_;
};

}  // namespace eddy
