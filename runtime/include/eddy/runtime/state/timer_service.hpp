#pragma once
/// Timers of one keyed operator subtask: Flink's internal timer service (event time and
/// processing time), with the time_domain enum. Independent of any operator: a keyed operator owns
/// one `timer_service<K>` per subtask (next to its keyed_state_backend<K>,
/// keyed_state_backend.hpp), registers timers for user code and fires them.
///
/// Contract:
/// - Owned by the operator and used only from its subtask's actor: not thread-safe.
/// - At most one timer per (domain, time, key, namespace); registering it again does nothing,
///   deleting a timer that does not exist does nothing. K must be ordered (operator<) and
///   copyable.
/// - Namespaces (state_namespace.hpp): timer_service<K> (N = void_namespace) has timers per
///   (time, key) and the calls without a namespace; timer_service<K, N> (a window operator: N the
///   window) has timers per (time, key, namespace), ordered by time, key, namespace, and the
///   calls taking a namespace, whose callbacks also get it.
/// - The operator fires due timers: event-time ones when the watermark passes them,
///   processing-time ones when its clock does (on ticks), in time order (ties by key).
///   Exceptions of the callback propagate; the timer being fired is already removed.
/// - Checkpoint format (must not change: older checkpoints restore with it): one state_entry per
///   key group named "__timers", type state_type_tag<K>("timers"), data the rows
///   (domain: 0 event time, 1 processing time; time; key) as put_keyed_rows writes them.
///   With a namespace the entries are named "__timers" too, with type
///   state_type_tag<K, N>("namespaced timers") and rows (domain, time, key, namespace).
///   snapshot() throws if K (or N) has no Serializer; restore() throws if an entry has another
///   type.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include <absl/container/btree_set.h>

#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/snapshot.hpp"
#include "eddy/runtime/state/state_namespace.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

// ---- timers -----------------------------------------------------------------------------------

/// The time domain of a timer (Flink's TimeDomain).
enum class time_domain { event_time, processing_time };

/// Event-time and processing-time timers of one keyed operator subtask (Flink's internal timer
/// service): at most one timer per (domain, time, key); registering it again does nothing,
/// deleting a timer that does not exist does nothing. The operator fires due timers: event-time
/// ones when the watermark passes them, processing-time ones when its clock does (on ticks), in
/// time order (ties by key). K must be ordered (operator<). Owned by the operator; used only on
/// its subtask's actor.
template <class K, class N = void_namespace>
class timer_service {
  static constexpr bool namespaced = !is_void_namespace_v<N>;

 public:
  // ---- timers of plain keyed operators (no namespace) ----
  bool register_event_time_timer(const K& key, std::int64_t t) requires(!namespaced) {
    return add(event_, timer_ref{t, key}, key);
  }
  bool delete_event_time_timer(const K& key, std::int64_t t) requires(!namespaced) {
    return remove(event_, timer_ref{t, key});
  }
  bool register_processing_time_timer(const K& key, std::int64_t t) requires(!namespaced) {
    return add(processing_, timer_ref{t, key}, key);
  }
  bool delete_processing_time_timer(const K& key, std::int64_t t) requires(!namespaced) {
    return remove(processing_, timer_ref{t, key});
  }

  // ---- timers in a namespace (e.g. per key and window) ----
  bool register_event_time_timer(const K& key, const N& ns, std::int64_t t) requires namespaced {
    return add(event_, timer_ref{t, key, ns}, key, ns);
  }
  bool delete_event_time_timer(const K& key, const N& ns, std::int64_t t) requires namespaced {
    return remove(event_, timer_ref{t, key, ns});
  }
  bool register_processing_time_timer(const K& key, const N& ns,
                                      std::int64_t t) requires namespaced {
    return add(processing_, timer_ref{t, key, ns}, key, ns);
  }
  bool delete_processing_time_timer(const K& key, const N& ns, std::int64_t t) requires namespaced {
    return remove(processing_, timer_ref{t, key, ns});
  }

  /// Fires every event-time timer with time <= `up_to`, earliest first: removes it, then calls
  /// fn(time, key) (with a namespace: fn(time, key, namespace); both stay valid during the call).
  /// Timers registered by fn that are due fire in the same call. Returns how many fired.
  template <class Fn>
  std::size_t fire_event_time_timers(std::int64_t up_to, Fn&& fn) {
    return fire(event_, up_to, fn);
  }
  /// As fire_event_time_timers, for processing-time timers with time <= `up_to` (the clock).
  template <class Fn>
  std::size_t fire_processing_time_timers(std::int64_t up_to, Fn&& fn) {
    return fire(processing_, up_to, fn);
  }

  /// End of input (as Flink's batch mode does; a pending timer is never silently dropped): fires
  /// every pending processing-time timer, as if processing time jumped to `end` = max(now, the
  /// latest pending processing-time timer), and every event-time timer <= `watermark`. Rounds of
  /// "processing-time timers, then event-time timers" repeat while timers fire, so timers that fn
  /// registers are fired too when due by those bounds; later ones stay pending (see
  /// *_timer_count()). Calls fn(domain, time, key) (with a namespace: fn(domain, time, key,
  /// namespace)). Returns how many fired.
  template <class Fn>
  std::size_t fire_at_end_of_input(std::int64_t now, std::int64_t watermark, Fn&& fn) {
    const std::int64_t end = processing_.empty() ? now : std::max(now, processing_.rbegin()->time);
    std::size_t total = 0;
    for (;;) {
      std::size_t n = fire(processing_, end, [&](std::int64_t t, const auto&... kn) {
        fn(time_domain::processing_time, t, kn...);
      });
      n += fire(event_, watermark,
                [&](std::int64_t t, const auto&... kn) { fn(time_domain::event_time, t, kn...); });
      if (n == 0) return total;
      total += n;
    }
  }

  [[nodiscard]] std::optional<std::int64_t> next_event_time_timer() const {
    return event_.empty() ? std::nullopt : std::optional<std::int64_t>(event_.begin()->time);
  }
  [[nodiscard]] std::optional<std::int64_t> next_processing_time_timer() const {
    return processing_.empty() ? std::nullopt
                               : std::optional<std::int64_t>(processing_.begin()->time);
  }
  /// The latest pending processing-time timer, if any.
  [[nodiscard]] std::optional<std::int64_t> last_processing_time_timer() const {
    return processing_.empty() ? std::nullopt
                               : std::optional<std::int64_t>(processing_.rbegin()->time);
  }
  [[nodiscard]] std::size_t event_time_timer_count() const noexcept { return event_.size(); }
  [[nodiscard]] std::size_t processing_time_timer_count() const noexcept {
    return processing_.size();
  }
  /// Calls fn(domain, time, key) (with a namespace: fn(domain, time, key, namespace)) for every
  /// pending timer (event-time ones first, each in time order): what a snapshot writes.
  template <class Fn>
  void for_each_timer(Fn&& fn) const {
    for (const auto& t : event_) call(fn, time_domain::event_time, t);
    for (const auto& t : processing_) call(fn, time_domain::processing_time, t);
  }
  /// Checkpoints: the timers as one entry per key group ("__timers").
  void snapshot(int max_parallelism, std::vector<state_entry>& out) const {
    if (event_.empty() && processing_.empty()) return;
    if constexpr (!namespaced && checkpointable_v<K>) {
      put_keyed_rows<std::uint8_t, std::int64_t, K>(
          out, "__timers", state_type_tag<K>("timers"), max_parallelism, [&](auto&& emit) {
            for_each_timer([&](time_domain d, std::int64_t t, const K& k) {
              emit(key_hash(k), static_cast<std::uint8_t>(d == time_domain::event_time ? 0 : 1), t,
                   k);
            });
          });
    } else if constexpr (namespaced && checkpointable_v<K, N>) {
      put_keyed_rows<std::uint8_t, std::int64_t, K, N>(
          out, "__timers", state_type_tag<K, N>("namespaced timers"), max_parallelism,
          [&](auto&& emit) {
            for_each_timer([&](time_domain d, std::int64_t t, const K& k, const N& n) {
              emit(key_hash(k), static_cast<std::uint8_t>(d == time_domain::event_time ? 0 : 1), t,
                   k, n);
            });
          });
    } else if constexpr (namespaced) {
      throw_not_checkpointable<K, N>("the timers");
    } else {
      throw_not_checkpointable<K>("the timers");
    }
  }
  void restore(const std::vector<state_entry>& entries) {
    if constexpr (!namespaced && checkpointable_v<K>) {
      for (const auto& e : entries) {
        if (e.name != "__timers" || e.key_group < 0) continue;
        eddy::detail::check_type(e, state_type_tag<K>("timers"));
        for (auto& [d, t, k] :
             eddy::detail::decode_state<std::vector<std::tuple<std::uint8_t, std::int64_t, K>>>(
                 e)) {
          if (d == 0)
            register_event_time_timer(k, t);
          else
            register_processing_time_timer(k, t);
        }
      }
    } else if constexpr (namespaced && checkpointable_v<K, N>) {
      for (const auto& e : entries) {
        if (e.name != "__timers" || e.key_group < 0) continue;
        eddy::detail::check_type(e, state_type_tag<K, N>("namespaced timers"));
        for (auto& [d, t, k, n] :
             eddy::detail::decode_state<std::vector<std::tuple<std::uint8_t, std::int64_t, K, N>>>(
                 e)) {
          if (d == 0)
            register_event_time_timer(k, n, t);
          else
            register_processing_time_timer(k, n, t);
        }
      }
    }
  }
  void clear() {
    event_.clear();
    processing_.clear();
  }

 private:
  struct timer_plain {
    std::int64_t time;
    K key;
  };
  struct timer_ns {
    std::int64_t time;
    K key;
    N ns;
  };
  using timer = std::conditional_t<namespaced, timer_ns, timer_plain>;
  struct ref_plain {
    std::int64_t time;
    const K& key;
  };
  struct ref_ns {
    std::int64_t time;
    const K& key;
    const N& ns;
  };
  using timer_ref = std::conditional_t<namespaced, ref_ns, ref_plain>;
  struct timer_less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      if (a.time != b.time) return a.time < b.time;
      if constexpr (namespaced) {
        if (a.key < b.key) return true;
        if (b.key < a.key) return false;
        return a.ns < b.ns;
      } else {
        return a.key < b.key;
      }
    }
  };
  // A B-tree (many timers per node): far fewer allocations and cache misses per timer than a
  // node-based std::set, with the same ordered operations. Iterators are not kept across
  // changes (add, remove and fire look them up each time).
  using timer_set = absl::btree_set<timer, timer_less>;

  template <class Fn>
  static void call(Fn& fn, time_domain d, const timer& t) {
    if constexpr (namespaced)
      fn(d, t.time, static_cast<const K&>(t.key), static_cast<const N&>(t.ns));
    else
      fn(d, t.time, static_cast<const K&>(t.key));
  }
  template <class... KN>
  static bool add(timer_set& s, const timer_ref& ref, const KN&... kn) {
    auto it = s.lower_bound(ref);
    if (it != s.end() && !timer_less{}(ref, *it)) return false;  // already registered
    s.emplace_hint(it, timer{ref.time, kn...});
    return true;
  }
  static bool remove(timer_set& s, const timer_ref& ref) {
    auto it = s.find(ref);
    if (it == s.end()) return false;
    s.erase(it);
    return true;
  }
  template <class Fn>
  static std::size_t fire(timer_set& s, std::int64_t up_to, Fn&& fn) {
    std::size_t n = 0;
    while (!s.empty() && s.begin()->time <= up_to) {
      auto node = s.extract(s.begin());
      if constexpr (namespaced)
        fn(node.value().time, static_cast<const K&>(node.value().key),
           static_cast<const N&>(node.value().ns));
      else
        fn(node.value().time, static_cast<const K&>(node.value().key));
      ++n;
    }
    return n;
  }

  timer_set event_;
  timer_set processing_;
};

}  // namespace eddy
