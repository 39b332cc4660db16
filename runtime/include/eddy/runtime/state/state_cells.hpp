#pragma once
/// Internals of the keyed state backend shared by the backend (keyed_state_backend.hpp) and the
/// state handles (state_handles.hpp): prehashed keys and the state maps' hash, the cells each kind
/// of state keeps per key, how a cell is written into checkpoints (cell_codec: the row format of
/// keyed state snapshots, which must not change), and the TTL-aware access the handles go
/// through. Not an API: include keyed_state_backend.hpp.
///
/// Contract: cells are owned by the backend's state tables and used only on the owning operator
/// subtask's actor (not thread-safe). Nothing here throws, except find() of a cell_access with no
/// current key (std::logic_error) and what V's copies and comparisons throw.
#include <cxxabi.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "eddy/runtime/key_group.hpp"

namespace eddy {

// ---- internals shared by the backend and the handles ----------------------------------------

namespace detail {

/// True if a value last accessed at `last_access` has expired at `now` (expiry at access + ttl).
inline bool ttl_expired(std::int64_t last_access, std::int64_t ttl_ms, std::int64_t now) noexcept {
  return now >= last_access && now - last_access >= ttl_ms;
}

/// A key with its key_hash computed once (by set_current_key), for lookups without rehashing.
template <class K>
struct prehashed_key {
  const K* key;
  std::uint64_t hash;
};

/// The state maps' hash: key_hash re-mixed (within one key group the low bits of key_hash are
/// nearly constant, and absl uses them as slot tags). Transparent, so a prehashed key is found
/// without hashing it again.
template <class K>
struct state_map_hash {
  using is_transparent = void;
  static std::size_t remix(std::uint64_t h) noexcept { return mix64(h + 0x632be59bd9b4e019ULL); }
  std::size_t operator()(const K& k) const noexcept { return remix(key_hash(k)); }
  std::size_t operator()(const prehashed_key<K>& k) const noexcept { return remix(k.hash); }
};
template <class K>
struct state_map_eq {
  using is_transparent = void;
  bool operator()(const K& a, const K& b) const { return a == b; }
  bool operator()(const K& a, const prehashed_key<K>& b) const { return a == *b.key; }
  bool operator()(const prehashed_key<K>& a, const K& b) const { return *a.key == b; }
  bool operator()(const prehashed_key<K>& a, const prehashed_key<K>& b) const {
    return *a.key == *b.key;
  }
};

/// A readable name of T (demangled), for error messages.
template <class T>
std::string type_name() {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> p(
      abi::__cxa_demangle(typeid(T).name(), nullptr, nullptr, &status), std::free);
  return status == 0 && p ? std::string(p.get()) : std::string(typeid(T).name());
}

template <class T, class = void>
struct is_streamable : std::false_type {};
template <class T>
struct is_streamable<
    T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
    : std::true_type {};

/// A key as text, for error messages.
template <class K>
std::string describe_key(const K& k) {
  if constexpr (std::is_convertible_v<const K&, std::string_view>) {
    return "\"" + std::string(std::string_view(k)) + "\"";
  } else if constexpr (std::is_arithmetic_v<K>) {
    return std::to_string(k);
  } else if constexpr (is_streamable<K>::value) {
    std::ostringstream os;
    os << k;
    return os.str();
  } else {
    std::ostringstream os;
    os << "with key_hash 0x" << std::hex << key_hash(k);
    return os.str();
  }
}

// Per-key cells, one type per state kind (so one name cannot be used with two kinds). Each has
// purge_expired(now, ttl): drops what expired and says whether the cell is now empty (to remove).

template <class V>
struct value_cell {
  std::optional<V> value;  ///< engaged while the entry exists (except transiently)
  std::int64_t ts = 0;     ///< last access (TTL only)
  bool purge_expired(std::int64_t now, std::int64_t ttl) const {
    return !value || ttl_expired(ts, ttl, now);
  }
};
template <class V>
struct reducing_cell : value_cell<V> {};
template <class Acc>
struct aggregating_cell : value_cell<Acc> {};

template <class V>
struct list_cell {
  std::vector<V> values;
  std::vector<std::int64_t> ts;  ///< per element, parallel to values (TTL only, else empty)
  /// Drops expired elements; returns whether any was dropped.
  bool drop_expired(std::int64_t now, std::int64_t ttl) {
    std::size_t j = 0;
    for (std::size_t i = 0; i < ts.size(); ++i) {
      if (ttl_expired(ts[i], ttl, now)) continue;
      if (j != i) {
        values[j] = std::move(values[i]);
        ts[j] = ts[i];
      }
      ++j;
    }
    if (j == ts.size()) return false;
    values.erase(values.begin() + static_cast<std::ptrdiff_t>(j), values.end());
    ts.resize(j);
    return true;
  }
  bool purge_expired(std::int64_t now, std::int64_t ttl) {
    if (!ts.empty()) drop_expired(now, ttl);
    return values.empty();
  }
};

template <class MK, class V>
struct map_cell {
  std::map<MK, V> values;
  std::map<MK, std::int64_t> ts;  ///< per entry (TTL only, else empty)
  /// Drops expired entries; returns whether any was dropped.
  bool drop_expired(std::int64_t now, std::int64_t ttl) {
    bool dropped = false;
    for (auto it = ts.begin(); it != ts.end();) {
      if (ttl_expired(it->second, ttl, now)) {
        values.erase(it->first);
        it = ts.erase(it);
        dropped = true;
      } else {
        ++it;
      }
    }
    return dropped;
  }
  bool purge_expired(std::int64_t now, std::int64_t ttl) {
    if (!ts.empty()) drop_expired(now, ttl);
    return values.empty();
  }
};

/// How a cell is written into checkpoints: `wire` is a serializable tuple of its fields.
template <class Cell>
struct cell_codec;
template <class V>
struct cell_codec<value_cell<V>> {
  using wire = std::tuple<std::optional<V>, std::int64_t>;
  static wire to(const value_cell<V>& c) { return {c.value, c.ts}; }
  static void from(wire&& w, value_cell<V>& c) {
    c.value = std::move(std::get<0>(w));
    c.ts = std::get<1>(w);
  }
};
template <class V>
struct cell_codec<reducing_cell<V>> : cell_codec<value_cell<V>> {};
template <class V>
struct cell_codec<aggregating_cell<V>> : cell_codec<value_cell<V>> {};
template <class V>
struct cell_codec<list_cell<V>> {
  using wire = std::tuple<std::vector<V>, std::vector<std::int64_t>>;
  static wire to(const list_cell<V>& c) { return {c.values, c.ts}; }
  static void from(wire&& w, list_cell<V>& c) {
    c.values = std::move(std::get<0>(w));
    c.ts = std::move(std::get<1>(w));
  }
};
template <class MK, class V>
struct cell_codec<map_cell<MK, V>> {
  using wire = std::tuple<std::map<MK, V>, std::map<MK, std::int64_t>>;
  static wire to(const map_cell<MK, V>& c) { return {c.values, c.ts}; }
  static void from(wire&& w, map_cell<MK, V>& c) {
    c.values = std::move(std::get<0>(w));
    c.ts = std::move(std::get<1>(w));
  }
};

/// What a handle sees of its state: the current key's cell, the clock and the TTL settings.
/// Implemented by state_table<K, Cell>, so handles need not know the key type.
template <class Cell>
class cell_access {
 public:
  virtual ~cell_access() = default;
  /// The current key's cell, or null. Throws std::logic_error if no key is current.
  [[nodiscard]] virtual Cell* find() = 0;
  /// The current key's cell, created empty if missing.
  [[nodiscard]] virtual Cell& find_or_insert() = 0;
  /// Removes the current key's cell (if any).
  virtual void erase_current() = 0;
  /// Processing time now (ms), from the backend's clock.
  [[nodiscard]] virtual std::int64_t now() const = 0;

  bool has_ttl_ = false;  ///< the state has TTL
  std::int64_t ttl_ms_ = 0;
  bool update_on_read_ = false;
  bool return_expired_ = false;
  Cell scratch_;  ///< holds expired values returned under return_expired_if_not_cleaned_up
};

/// Reads a value-like cell's value with TTL semantics (value, reducing, aggregating state).
template <class Cell>
const decltype(Cell::value)& read_value(cell_access<Cell>& s) {
  static const decltype(Cell::value) none;
  Cell* c = s.find();
  if (!c) return none;
  if (s.has_ttl_) {
    const std::int64_t now = s.now();
    if (ttl_expired(c->ts, s.ttl_ms_, now)) {
      if (!s.return_expired_) {
        s.erase_current();
        return none;
      }
      s.scratch_.value = std::move(c->value);
      s.erase_current();
      return s.scratch_.value;
    }
    if (s.update_on_read_) c->ts = now;
  }
  return c->value;
}

/// The current key's cell for a write that merges with the old value (reducing, aggregating):
/// an expired old value is dropped first, and the access time refreshed.
template <class Cell>
Cell& cell_for_merge(cell_access<Cell>& s) {
  Cell& c = s.find_or_insert();
  if (s.has_ttl_) {
    const std::int64_t now = s.now();
    if (c.value && ttl_expired(c.ts, s.ttl_ms_, now)) c.value.reset();
    c.ts = now;
  }
  return c;
}

/// A range over a map's keys or values (what map_state::keys() and values() return).
template <class It, bool Keys>
class map_projection {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::conditional_t<Keys, typename It::value_type::first_type,
                                          typename It::value_type::second_type>;
    using difference_type = std::ptrdiff_t;
    using reference = const value_type&;
    using pointer = const value_type*;
    iterator() = default;
    explicit iterator(It it) : it_(it) {}
    reference operator*() const {
      if constexpr (Keys)
        return it_->first;
      else
        return it_->second;
    }
    pointer operator->() const { return &**this; }
    iterator& operator++() {
      ++it_;
      return *this;
    }
    iterator operator++(int) {
      auto old = *this;
      ++it_;
      return old;
    }
    friend bool operator==(const iterator& a, const iterator& b) { return a.it_ == b.it_; }
    friend bool operator!=(const iterator& a, const iterator& b) { return a.it_ != b.it_; }

   private:
    It it_{};
  };
  map_projection(It b, It e, std::size_t n) : b_(b), e_(e), n_(n) {}
  [[nodiscard]] iterator begin() const { return iterator(b_); }
  [[nodiscard]] iterator end() const { return iterator(e_); }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  [[nodiscard]] bool empty() const noexcept { return n_ == 0; }

 private:
  It b_, e_;
  std::size_t n_;
};

template <class Agg>
using agg_acc_t = std::decay_t<decltype(std::declval<Agg&>().create_accumulator())>;
template <class Agg>
using agg_result_t =
    std::decay_t<decltype(std::declval<Agg&>().get_result(std::declval<const agg_acc_t<Agg>&>()))>;

}  // namespace detail

}  // namespace eddy
