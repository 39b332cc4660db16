#pragma once
/// The state handles of keyed state (Flink's ValueState, ListState, MapState, ReducingState,
/// AggregatingState): what user code holds to read and write the current key's state. A handle is
/// obtained from keyed_state_backend<K> (get_value_state, ...), usually through an operator's
/// context, and works on the cells of one named state through detail::cell_access.
///
/// Contract:
/// - A handle does not own its state: it points into a state table of the backend. Handles are
///   cheap to copy and stay usable as long as the backend lives.
/// - Used only from the owning operator subtask's actor: not thread-safe.
/// - Every call works on the key that is current at the time of the call (as in Flink). Using a
///   handle with no current key throws std::logic_error. A reference returned by a handle
///   (value(), get(), entries()) stays valid until the next operation on the same state.
/// - Entries that become empty (cleared value, empty list or map) are removed, so memory does not
///   grow with keys that no longer hold state.
/// - State TTL (processing time, from the backend's clock): value, reducing and aggregating state
///   expire per key, list state per element, map state per entry. An expired value is removed
///   when accessed (and by the backend's incremental cleanup); with
///   return_expired_if_not_cleaned_up it is returned once, by the read that removes it.
/// - Exceptions of V's copies, of user reduce and aggregate functions propagate unchanged.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/runtime/state/state_cells.hpp"

namespace eddy {

// ---- state handles ----------------------------------------------------------------------------

/// The current key's value (Flink's ValueState). TTL: per key.
template <class V>
class value_state {
 public:
  explicit value_state(detail::cell_access<detail::value_cell<V>>* s) : s_(s) {}
  /// The value, or nullopt if none (or expired). Valid until the next operation on this state.
  [[nodiscard]] const std::optional<V>& value() const { return detail::read_value(*s_); }
  void update(V v) {
    auto& c = s_->find_or_insert();
    c.value = std::move(v);
    if (s_->has_ttl_) c.ts = s_->now();
  }
  /// The value to modify in place, a default-constructed V inserted if there is none (an
  /// addition to Flink's API: a large value, such as CEP's per-key NFA state, is updated without
  /// a copy). Valid until the next operation on this state; counts as a write for TTL.
  V& value_for_update() {
    if (s_->has_ttl_) (void)detail::read_value(*s_);  // an expired value goes first
    auto& c = s_->find_or_insert();  // one hash probe (none if the key's cell is cached)
    if (!c.value) c.value.emplace();
    if (s_->has_ttl_) c.ts = s_->now();
    return *c.value;
  }
  void clear() { s_->erase_current(); }

 private:
  detail::cell_access<detail::value_cell<V>>* s_;
};

/// The current key's list (Flink's ListState). TTL: per element (each add is one element).
template <class V>
class list_state {
 public:
  explicit list_state(detail::cell_access<detail::list_cell<V>>* s) : s_(s) {}
  /// The values in the order added (empty if none). Valid until the next operation on this
  /// state. With TTL and on_read_and_write, reading refreshes every returned element.
  [[nodiscard]] const std::vector<V>& get() const {
    static const std::vector<V> none;
    auto* c = s_->find();
    if (!c) return none;
    if (!s_->has_ttl_) return c->values;
    const std::int64_t now = s_->now();
    const std::vector<V>* result = &c->values;
    if (s_->return_expired_) {
      // Return what is stored, expired elements included, once: they are removed now.
      bool any = false;
      for (auto t : c->ts) any = any || detail::ttl_expired(t, s_->ttl_ms_, now);
      if (any) {
        s_->scratch_.values = c->values;
        result = &s_->scratch_.values;
        c->drop_expired(now, s_->ttl_ms_);
      }
    } else {
      c->drop_expired(now, s_->ttl_ms_);
    }
    if (s_->update_on_read_) std::fill(c->ts.begin(), c->ts.end(), now);
    if (c->values.empty()) {
      s_->erase_current();
      return result == &s_->scratch_.values ? *result : none;
    }
    return *result;
  }
  void add(V v) {
    auto& c = s_->find_or_insert();
    c.values.push_back(std::move(v));
    if (s_->has_ttl_) c.ts.push_back(s_->now());
  }
  void add_all(std::vector<V> values) {
    if (values.empty()) return;
    auto& c = s_->find_or_insert();
    if (s_->has_ttl_) c.ts.insert(c.ts.end(), values.size(), s_->now());
    c.values.insert(c.values.end(), std::make_move_iterator(values.begin()),
                    std::make_move_iterator(values.end()));
  }
  /// Replaces the list (an empty list clears it).
  void update(std::vector<V> values) {
    if (values.empty()) {
      s_->erase_current();
      return;
    }
    auto& c = s_->find_or_insert();
    if (s_->has_ttl_) c.ts.assign(values.size(), s_->now());
    c.values = std::move(values);
  }
  void clear() { s_->erase_current(); }

 private:
  detail::cell_access<detail::list_cell<V>>* s_;
};

/// The current key's map, ordered by MK (Flink's MapState). TTL: per entry.
template <class MK, class V>
class map_state {
 public:
  using entries_type = std::map<MK, V>;
  explicit map_state(detail::cell_access<detail::map_cell<MK, V>>* s) : s_(s) {}

  /// The value for `k`, or null. Valid until the next operation on this state.
  [[nodiscard]] const V* get(const MK& k) const {
    auto* c = s_->find();
    if (!c) return nullptr;
    auto it = c->values.find(k);
    if (it == c->values.end()) return nullptr;
    if (s_->has_ttl_) {
      const std::int64_t now = s_->now();
      auto ts = c->ts.find(k);
      if (detail::ttl_expired(ts->second, s_->ttl_ms_, now)) {
        const V* result = nullptr;
        if (s_->return_expired_) {
          s_->scratch_.values.clear();
          result = &s_->scratch_.values.emplace(k, std::move(it->second)).first->second;
        }
        c->values.erase(it);
        c->ts.erase(ts);
        if (c->values.empty()) s_->erase_current();
        return result;
      }
      if (s_->update_on_read_) ts->second = now;
    }
    return &it->second;
  }
  [[nodiscard]] bool contains(const MK& k) const { return get(k) != nullptr; }
  void put(MK k, V v) {
    auto& c = s_->find_or_insert();
    if (s_->has_ttl_) c.ts.insert_or_assign(k, s_->now());
    c.values.insert_or_assign(std::move(k), std::move(v));
  }
  /// The value for `k` to modify in place, a default-constructed V inserted if there is none (an
  /// addition to Flink's API: appending to a buffered list without copying it, as the interval
  /// join does). Valid until the next operation on this state; counts as a write for TTL.
  V& get_for_update(const MK& k) {
    if (s_->has_ttl_) (void)get(k);  // an expired value goes first
    auto& c = s_->find_or_insert();
    if (s_->has_ttl_) c.ts.insert_or_assign(k, s_->now());
    return c.values.try_emplace(k).first->second;
  }
  void put_all(const std::map<MK, V>& m) {
    for (const auto& [k, v] : m) put(k, v);
  }
  void remove(const MK& k) {
    auto* c = s_->find();
    if (!c) return;
    c->values.erase(k);
    c->ts.erase(k);
    if (c->values.empty()) s_->erase_current();
  }
  /// All entries, ordered by key (empty if none). Valid until the next operation on this state.
  /// With TTL and on_read_and_write, reading refreshes every returned entry.
  [[nodiscard]] const std::map<MK, V>& entries() const {
    static const std::map<MK, V> none;
    auto* c = s_->find();
    if (!c) return none;
    if (!s_->has_ttl_) return c->values;
    const std::int64_t now = s_->now();
    const std::map<MK, V>* result = &c->values;
    if (s_->return_expired_) {
      bool any = false;
      for (const auto& [k, t] : c->ts) any = any || detail::ttl_expired(t, s_->ttl_ms_, now);
      if (any) {
        s_->scratch_.values = c->values;
        result = &s_->scratch_.values;
        c->drop_expired(now, s_->ttl_ms_);
      }
    } else {
      c->drop_expired(now, s_->ttl_ms_);
    }
    if (s_->update_on_read_)
      for (auto& [k, t] : c->ts) t = now;
    if (c->values.empty()) {
      s_->erase_current();
      return result == &s_->scratch_.values ? *result : none;
    }
    return *result;
  }
  /// The keys, ordered (a view of entries(), with the same validity).
  [[nodiscard]] auto keys() const {
    const auto& e = entries();
    return detail::map_projection<typename std::map<MK, V>::const_iterator, true>(
        e.begin(), e.end(), e.size());
  }
  /// The values, in key order (a view of entries(), with the same validity).
  [[nodiscard]] auto values() const {
    const auto& e = entries();
    return detail::map_projection<typename std::map<MK, V>::const_iterator, false>(
        e.begin(), e.end(), e.size());
  }
  [[nodiscard]] bool is_empty() const { return entries().empty(); }
  void clear() { s_->erase_current(); }

 private:
  detail::cell_access<detail::map_cell<MK, V>>* s_;
};

/// The current key's folded value (Flink's ReducingState): add(v) stores fn(old, v), or v if
/// there is no (unexpired) old value. TTL: per key.
template <class V, class F>
class reducing_state {
 public:
  reducing_state(detail::cell_access<detail::reducing_cell<V>>* s, F fn)
      : s_(s), fn_(std::move(fn)) {}
  /// The folded value, or nullopt. Valid until the next operation on this state.
  [[nodiscard]] const std::optional<V>& get() const { return detail::read_value(*s_); }
  void add(const V& v) {
    auto& c = detail::cell_for_merge(*s_);
    if (c.value)
      c.value = fn_(static_cast<const V&>(*c.value), v);
    else
      c.value = v;
  }
  void clear() { s_->erase_current(); }

 private:
  detail::cell_access<detail::reducing_cell<V>>* s_;
  F fn_;
};

/// The current key's accumulator of an aggregate function (Flink's AggregatingState). `Agg` has
///   Acc create_accumulator();  void add(Acc&, const IN&) (or Acc add(Acc&, const IN&));
///   R get_result(const Acc&);
/// add(v) folds v into the key's accumulator (created on first add), get() is get_result of it.
/// TTL: per key.
template <class IN, class Agg>
class aggregating_state {
 public:
  using accumulator_type = detail::agg_acc_t<Agg>;
  using result_type = detail::agg_result_t<Agg>;
  aggregating_state(detail::cell_access<detail::aggregating_cell<accumulator_type>>* s, Agg agg)
      : s_(s), agg_(std::move(agg)) {}
  void add(const IN& v) {
    auto& c = detail::cell_for_merge(*s_);
    if (!c.value) c.value.emplace(agg_.create_accumulator());
    if constexpr (std::is_void_v<decltype(agg_.add(*c.value, v))>)
      agg_.add(*c.value, v);
    else
      *c.value = agg_.add(*c.value, v);
  }
  /// get_result of the accumulator, or nullopt if nothing was added (or it expired).
  [[nodiscard]] std::optional<result_type> get() const {
    const auto& acc = detail::read_value(*s_);
    if (!acc) return std::nullopt;
    return agg_.get_result(*acc);
  }
  void clear() { s_->erase_current(); }

 private:
  detail::cell_access<detail::aggregating_cell<accumulator_type>>* s_;
  mutable Agg agg_;
};

}  // namespace eddy
