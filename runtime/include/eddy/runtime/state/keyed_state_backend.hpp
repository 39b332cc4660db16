#pragma once
/// Keyed state of one keyed operator subtask: Flink's keyed state backend. Holds every named
/// state (value, list, map, reducing, aggregating; handles in state_handles.hpp, TTL in
/// state_ttl.hpp), partitioned by key group, and writes and restores it at checkpoints.
/// Independent of any operator: a keyed operator (keyed_process_op, a two-input keyed operator,
/// ...) owns one `keyed_state_backend<K>` per subtask (with one timer_service<K>,
/// timer_service.hpp) and drives it.
///
/// Contract:
/// - Owned by one operator instance and used only from its subtask's actor: no locking, not
///   thread-safe. The one exception is the function snapshot_later() returns, which encodes
///   copies and may run on any thread.
/// - Key groups: key `k` belongs to key group `key_group_of(key_hash(k), max_parallelism)` and
///   the subtask owns the contiguous range `key_group_range_of_subtask(index, max_parallelism,
///   parallelism)` (key_group.hpp). The backend keeps one hash map per state and owned key group,
///   so a snapshot (or rescale) can take the state of one key group at a time.
/// - The operator calls `set_current_key(k)` before running user code for a record or timer of
///   key `k`; a key of a key group this subtask does not own is a routing bug and throws
///   std::logic_error naming the key, its key group and its owner. The key must stay alive (and
///   unchanged) while it is current.
/// - A state name is used with one kind and type only: using it with another throws
///   std::logic_error naming the state and both types. Its TTL is fixed when the state is first
///   used; a later use giving a different TTL configuration throws std::logic_error.
/// - State TTL: expired values are removed lazily when accessed and by `cleanup_expired()`, which
///   the operator calls periodically and which visits a bounded number of entries per state and
///   call.
/// - Checkpoint format (must not change: older checkpoints restore with it): one state_entry per
///   state and key group with entries, named as the state, type "keyed_state:" + the state's
///   description (e.g. "keyed_state:value_state<long>"), data the serialized
///   std::vector<std::pair<K, cell_codec<Cell>::wire>>. Snapshots throw if K or the values have no
///   Serializer; a restore throws std::runtime_error if a state was written with other types.
#include <absl/container/flat_hash_map.h>
#include <absl/functional/function_ref.h>
#include <absl/strings/string_view.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/snapshot.hpp"
#include "eddy/runtime/state/state_cells.hpp"
#include "eddy/runtime/state/state_handles.hpp"
#include "eddy/runtime/state/state_ttl.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

// ---- the backend ------------------------------------------------------------------------------

template <class K>
class keyed_state_backend;
template <class K, class N, class Cell>
class namespaced_state_table;
template <class N, class Handle>
class namespaced_state;

/// One named state of a backend, whatever its kind (for enumeration and cleanup).
template <class K>
class state_table_base {
 public:
  virtual ~state_table_base() = default;
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// Kind and types, e.g. "value_state<long>" (for messages).
  [[nodiscard]] virtual std::string describe() const { return describe_(); }
  [[nodiscard]] const std::optional<state_ttl_config>& ttl_config() const noexcept { return ttl_; }
  /// Number of keys with an entry, over all owned key groups.
  [[nodiscard]] virtual std::size_t size() const = 0;
  /// Number of keys with an entry in key group `key_group` (owned by this subtask).
  [[nodiscard]] virtual std::size_t size(int key_group) const = 0;
  /// Calls fn(key) for every key with an entry in key group `key_group`, in no particular order.
  virtual void for_each_key(int key_group, absl::FunctionRef<void(const K&)> fn) const = 0;
  /// Removes every entry.
  virtual void clear() = 0;
  /// Removes every entry of key group `key_group`.
  virtual void clear(int key_group) = 0;
  /// One step of the incremental TTL cleanup: visits at most `budget` entries (resuming where
  /// the last step stopped, key group by key group), removes expired values and entries left
  /// empty. Returns the number of entries visited. Does nothing without TTL.
  virtual std::size_t cleanup_expired(std::int64_t now, std::size_t budget) = 0;
  /// Checkpoints: appends the entries of key group `key_group` (nothing if it has none). Throws
  /// if the key or value types have no Serializer.
  virtual void snapshot(int key_group, std::vector<state_entry>& out) const = 0;
  /// Asynchronous checkpoints: copies the rows of key group `key_group` now and returns a
  /// function that appends the same entry as snapshot() from the copy, on any thread (empty if
  /// the group has no entries). Throws now if the types have no Serializer.
  virtual std::function<void(std::vector<state_entry>&)> snapshot_later(int key_group) const = 0;
  /// Restore: adds the entries of one snapshot entry (of an owned key group). Throws if it was
  /// written with other types.
  virtual void restore(const state_entry& e) = 0;
  /// The type tag of this state's snapshot entries ("keyed_state:" + describe(); namespaced
  /// states: "keyed_state_ns:" + describe()).
  [[nodiscard]] virtual std::string snapshot_tag() const { return "keyed_state:" + describe(); }

 protected:
  state_table_base(std::string name, std::string (*describe)(), std::optional<state_ttl_config> ttl)
      : name_(std::move(name)), describe_(describe), ttl_(ttl) {}
  std::string name_;
  std::string (*describe_)();
  std::optional<state_ttl_config> ttl_;
};

/// The entries of one state: one hash map per owned key group.
template <class K, class Cell>
class state_table final : public state_table_base<K>, public detail::cell_access<Cell> {
 public:
  using map_type = absl::flat_hash_map<K, Cell, detail::state_map_hash<K>, detail::state_map_eq<K>>;

  /// How a state of this table type is described (the backend's messages).
  static std::string describe_as(std::string (*describe)()) { return describe(); }

  state_table(keyed_state_backend<K>& backend, std::string name, std::string (*describe)(),
              const state_ttl_config* ttl)
      : state_table_base<K>(std::move(name), describe,
                            ttl ? std::optional<state_ttl_config>(*ttl) : std::nullopt),
        backend_(backend),
        groups_(static_cast<std::size_t>(backend.key_groups().size())) {
    if (ttl) {
      this->has_ttl_ = true;
      this->ttl_ms_ = ttl->ttl().count();
      this->update_on_read_ = ttl->update_type() == ttl_update_type::on_read_and_write;
      this->return_expired_ =
          ttl->state_visibility() == ttl_visibility::return_expired_if_not_cleaned_up;
    }
  }

  // The current key's cell is looked up once per key change: cached_ (null: absent) is valid
  // while cached_epoch_ equals the backend's key epoch. Only the current key's cell is inserted
  // or erased through a handle, and both update the cache; other removals invalidate it.
  Cell* find() override {
    if (cached_epoch_ == backend_.key_epoch_) return cached_;
    auto& m = groups_[backend_.current_group_index()];
    auto it = m.find(backend_.current_prehashed());
    cached_ = it == m.end() ? nullptr : &it->second;
    cached_epoch_ = backend_.key_epoch_;
    return cached_;
  }
  Cell& find_or_insert() override {
    if (cached_epoch_ == backend_.key_epoch_ && cached_) return *cached_;
    // One probe, with the hash set_current_key computed: found or inserted.
    auto& m = groups_[backend_.current_group_index()];
    const auto pk = backend_.current_prehashed();
    auto it = m.lazy_emplace(pk, [&](const typename map_type::constructor& ctor) {
      ctor(std::piecewise_construct, std::forward_as_tuple(*pk.key), std::forward_as_tuple());
    });
    cached_ = &it->second;
    cached_epoch_ = backend_.key_epoch_;
    return *cached_;
  }
  void erase_current() override {
    groups_[backend_.current_group_index()].erase(backend_.current_prehashed());
    cached_ = nullptr;
    cached_epoch_ = backend_.key_epoch_;
  }
  std::int64_t now() const override { return backend_.now(); }

  std::size_t size() const override {
    std::size_t n = 0;
    for (const auto& m : groups_) n += m.size();
    return n;
  }
  std::size_t size(int key_group) const override { return group(key_group).size(); }
  void for_each_key(int key_group, absl::FunctionRef<void(const K&)> fn) const override {
    for (const auto& [k, c] : group(key_group)) fn(k);
  }
  void snapshot(int key_group, std::vector<state_entry>& out) const override {
    using wire = typename detail::cell_codec<Cell>::wire;
    const auto& m = group(key_group);
    if (m.empty()) return;
    if constexpr (checkpointable_v<K, wire>) {
      std::vector<std::pair<K, wire>> rows;
      rows.reserve(m.size());
      for (const auto& [k, c] : m) rows.emplace_back(k, detail::cell_codec<Cell>::to(c));
      out.push_back(state_entry{this->name_, key_group, this->snapshot_tag(), serialize(rows)});
    } else {
      throw_not_checkpointable<K, wire>("keyed state '" + this->name_ + "'");
    }
  }
  std::function<void(std::vector<state_entry>&)> snapshot_later(int key_group) const override {
    using wire = typename detail::cell_codec<Cell>::wire;
    const auto& m = group(key_group);
    if (m.empty()) return {};
    if constexpr (checkpointable_v<K, wire>) {
      auto rows = std::make_shared<std::vector<std::pair<K, wire>>>();
      rows->reserve(m.size());
      for (const auto& [k, c] : m) rows->emplace_back(k, detail::cell_codec<Cell>::to(c));
      return [rows, name = this->name_, tag = this->snapshot_tag(),
              key_group](std::vector<state_entry>& out) {
        out.push_back(state_entry{name, key_group, tag, serialize(*rows)});
      };
    } else {
      throw_not_checkpointable<K, wire>("keyed state '" + this->name_ + "'");
    }
  }
  void restore(const state_entry& e) override {
    using wire = typename detail::cell_codec<Cell>::wire;
    if (e.type != this->snapshot_tag())
      throw std::runtime_error("keyed state '" + this->name_ + "' was checkpointed as " +
                               e.type.substr(e.type.find(':') + 1) + " but is now used as " +
                               this->describe() + " (the state's type changed)");
    if constexpr (checkpointable_v<K, wire>) {
      cached_epoch_ = 0;
      auto& m = groups_[group_index(e.key_group)];
      for (auto& [k, w] : eddy::detail::decode_state<std::vector<std::pair<K, wire>>>(e))
        detail::cell_codec<Cell>::from(std::move(w), m[std::move(k)]);
    }
  }

  /// Calls fn(key, cell) for every entry of key group `key_group` (typed enumeration).
  template <class Fn>
  void for_each(int key_group, Fn&& fn) const {
    for (const auto& [k, c] : group(key_group)) fn(k, c);
  }
  void clear() override {
    cached_epoch_ = 0;
    for (auto& m : groups_) map_type().swap(m);
    cursor_group_ = 0;
    cursor_key_.reset();
  }
  void clear(int key_group) override {
    cached_epoch_ = 0;
    map_type().swap(groups_[group_index(key_group)]);
    cursor_key_.reset();
  }

  std::size_t cleanup_expired(std::int64_t now, std::size_t budget) override {
    cached_epoch_ = 0;
    if (!this->has_ttl_ || groups_.empty()) return 0;
    std::size_t visited = 0;
    // Each call looks at every key group at most once, so it ends even when all are empty.
    for (std::size_t looked = 0; looked <= groups_.size() && visited < budget; ++looked) {
      auto& m = groups_[cursor_group_];
      auto it = m.begin();
      if (cursor_key_) {
        it = m.find(*cursor_key_);
        cursor_key_.reset();
        if (it == m.end()) {  // the resume key is gone: go on with the next key group
          next_group();
          continue;
        }
      }
      while (it != m.end() && visited < budget) {
        ++visited;
        if (it->second.purge_expired(now, this->ttl_ms_))
          m.erase(it++);
        else
          ++it;
      }
      if (it != m.end()) {
        cursor_key_ = it->first;  // resume here next time
        break;
      }
      next_group();
    }
    return visited;
  }

 private:
  std::size_t group_index(int key_group) const {
    const auto r = backend_.key_groups();
    if (!r.contains(key_group))
      throw std::out_of_range("key group " + std::to_string(key_group) +
                              " is not owned by this subtask (it owns [" + std::to_string(r.start) +
                              ", " + std::to_string(r.end) + "))");
    return static_cast<std::size_t>(key_group - r.start);
  }
  const map_type& group(int key_group) const { return groups_[group_index(key_group)]; }
  void next_group() { cursor_group_ = (cursor_group_ + 1) % groups_.size(); }

  keyed_state_backend<K>& backend_;
  std::vector<map_type> groups_;
  Cell* cached_ = nullptr;
  std::uint64_t cached_epoch_ = 0;  // 0: never valid (the backend's epochs start at 1)
  std::size_t cursor_group_ = 0;    // incremental cleanup: key group index to visit
  std::optional<K> cursor_key_;     // ... and the key to resume at within it
};

/// All named keyed states of one operator subtask (Flink's keyed state backend), partitioned by
/// key group. See the contract at the top of this file.
template <class K>
class keyed_state_backend {
 public:
  /// Processing time in ms since the epoch.
  using clock_fn = std::function<std::int64_t()>;

  /// The backend of subtask `subtask_index` of `parallelism` with `max_parallelism` key groups.
  /// `clock` gives processing time for TTL (null: the system clock). Throws
  /// std::invalid_argument on inconsistent arguments.
  keyed_state_backend(int max_parallelism, int parallelism, int subtask_index, clock_fn clock = {})
      : max_parallelism_(max_parallelism),
        parallelism_(parallelism),
        index_(subtask_index),
        clock_(std::move(clock)) {
    if (max_parallelism < 1 || parallelism < 1 || subtask_index < 0 || subtask_index >= parallelism)
      throw std::invalid_argument(
          "keyed_state_backend: bad subtask " + std::to_string(subtask_index) + " of " +
          std::to_string(parallelism) + " with max_parallelism " + std::to_string(max_parallelism));
    range_ = key_group_range_of_subtask(subtask_index, max_parallelism, parallelism);
  }
  keyed_state_backend(const keyed_state_backend&) = delete;
  keyed_state_backend& operator=(const keyed_state_backend&) = delete;

  [[nodiscard]] int max_parallelism() const noexcept { return max_parallelism_; }
  [[nodiscard]] int parallelism() const noexcept { return parallelism_; }
  [[nodiscard]] int subtask_index() const noexcept { return index_; }
  /// The key groups this subtask owns.
  [[nodiscard]] key_group_range key_groups() const noexcept { return range_; }

  // ---- current key ----
  /// Makes `key` current (computes its key group once). Throws std::logic_error if its key
  /// group is not owned by this subtask (records routed to the wrong subtask).
  void set_current_key(const K& key) {
    const std::uint64_t h = key_hash(key);
    const int kg = key_group_of(h, max_parallelism_);
    if (!range_.contains(kg)) throw wrong_key_group(key, kg);
    key_ = &key;
    hash_ = h;
    group_index_ = static_cast<std::size_t>(kg - range_.start);
    ++key_epoch_;
  }
  /// A temporary cannot be the current key: the backend keeps a pointer to it.
  void set_current_key(const K&& key) = delete;
  /// No key is current any more (state handles throw until the next set_current_key).
  void reset_current_key() noexcept {
    key_ = nullptr;
    ++key_epoch_;
  }
  [[nodiscard]] bool has_current_key() const noexcept { return key_ != nullptr; }
  /// The current key. Throws std::logic_error if none.
  [[nodiscard]] const K& current_key() const {
    if (!key_) throw no_current_key();
    return *key_;
  }
  /// The current key's key group. Throws std::logic_error if no key is current.
  [[nodiscard]] int current_key_group() const {
    if (!key_) throw no_current_key();
    return range_.start + static_cast<int>(group_index_);
  }

  /// Processing time now (ms), from the clock given at construction.
  [[nodiscard]] std::int64_t now() const {
    if (clock_) return clock_();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // ---- states (Flink's getState, getListState, ...) ----
  // Each creates the state on first use. A name used with another kind or type, or with a TTL
  // configuration other than the one it was created with, throws std::logic_error. The overloads
  // without TTL use the state as created.
  template <class V>
  eddy::value_state<V> get_value_state(std::string_view name) {
    return eddy::value_state<V>(&table<detail::value_cell<V>>(name, nullptr, &describe_value<V>));
  }
  template <class V>
  eddy::value_state<V> get_value_state(std::string_view name, const state_ttl_config& ttl) {
    return eddy::value_state<V>(&table<detail::value_cell<V>>(name, &ttl, &describe_value<V>));
  }
  template <class V>
  eddy::list_state<V> get_list_state(std::string_view name) {
    return eddy::list_state<V>(&table<detail::list_cell<V>>(name, nullptr, &describe_list<V>));
  }
  template <class V>
  eddy::list_state<V> get_list_state(std::string_view name, const state_ttl_config& ttl) {
    return eddy::list_state<V>(&table<detail::list_cell<V>>(name, &ttl, &describe_list<V>));
  }
  template <class MK, class V>
  eddy::map_state<MK, V> get_map_state(std::string_view name) {
    return eddy::map_state<MK, V>(
        &table<detail::map_cell<MK, V>>(name, nullptr, &describe_map<MK, V>));
  }
  template <class MK, class V>
  eddy::map_state<MK, V> get_map_state(std::string_view name, const state_ttl_config& ttl) {
    return eddy::map_state<MK, V>(
        &table<detail::map_cell<MK, V>>(name, &ttl, &describe_map<MK, V>));
  }
  template <class V, class F>
  eddy::reducing_state<V, F> get_reducing_state(std::string_view name, F fn) {
    return eddy::reducing_state<V, F>(
        &table<detail::reducing_cell<V>>(name, nullptr, &describe_reducing<V>), std::move(fn));
  }
  template <class V, class F>
  eddy::reducing_state<V, F> get_reducing_state(std::string_view name, F fn,
                                                const state_ttl_config& ttl) {
    return eddy::reducing_state<V, F>(
        &table<detail::reducing_cell<V>>(name, &ttl, &describe_reducing<V>), std::move(fn));
  }
  template <class IN, class Agg>
  eddy::aggregating_state<IN, Agg> get_aggregating_state(std::string_view name, Agg agg) {
    return get_aggregating<IN>(name, std::move(agg), nullptr);
  }
  template <class IN, class Agg>
  eddy::aggregating_state<IN, Agg> get_aggregating_state(std::string_view name, Agg agg,
                                                         const state_ttl_config& ttl) {
    return get_aggregating<IN>(name, std::move(agg), &ttl);
  }

  // ---- states in a namespace (Flink's getPartitionedState; e.g. per key and window) ----
  // Each entry is identified by (current key, the handle's current namespace): call
  // set_current_namespace(n) on the returned object, then use the state through it (->). A name
  // is one state: used with another kind, type or namespace type it throws std::logic_error.
  // Namespaced states have no TTL. N: see state_namespace.hpp.
  template <class N, class V>
  namespaced_state<N, eddy::value_state<V>> get_namespaced_value_state(std::string_view name) {
    auto& t = ns_table<N, detail::value_cell<V>>(name, &describe_value<V>);
    return {&t, eddy::value_state<V>(&t)};
  }
  template <class N, class V>
  namespaced_state<N, eddy::list_state<V>> get_namespaced_list_state(std::string_view name) {
    auto& t = ns_table<N, detail::list_cell<V>>(name, &describe_list<V>);
    return {&t, eddy::list_state<V>(&t)};
  }
  template <class N, class MK, class V>
  namespaced_state<N, eddy::map_state<MK, V>> get_namespaced_map_state(std::string_view name) {
    auto& t = ns_table<N, detail::map_cell<MK, V>>(name, &describe_map<MK, V>);
    return {&t, eddy::map_state<MK, V>(&t)};
  }
  template <class N, class V, class F>
  namespaced_state<N, eddy::reducing_state<V, F>> get_namespaced_reducing_state(
      std::string_view name, F fn) {
    auto& t = ns_table<N, detail::reducing_cell<V>>(name, &describe_reducing<V>);
    return {&t, eddy::reducing_state<V, F>(&t, std::move(fn))};
  }
  template <class N, class IN, class Agg>
  namespaced_state<N, eddy::aggregating_state<IN, Agg>> get_namespaced_aggregating_state(
      std::string_view name, Agg agg) {
    using acc = detail::agg_acc_t<Agg>;
    auto& t = ns_table<N, detail::aggregating_cell<acc>>(name, &describe_aggregating<acc>);
    return {&t, eddy::aggregating_state<IN, Agg>(&t, std::move(agg))};
  }

  // ---- enumeration, removal, cleanup ----
  /// Every state, in the order first used.
  [[nodiscard]] const std::vector<state_table_base<K>*>& states() const noexcept { return order_; }
  /// The state named `name`, or null.
  [[nodiscard]] state_table_base<K>* find_state(std::string_view name) const {
    auto it = tables_.find(absl::string_view(name.data(), name.size()));
    return it == tables_.end() ? nullptr : it->second.get();
  }
  /// Calls fn(state, key) for every entry of every state in key group `key_group` (what a
  /// snapshot of that key group writes; typed values through state_table<K, Cell>::for_each).
  /// Throws std::out_of_range if this subtask does not own `key_group`.
  template <class Fn>
  void for_each_entry(int key_group, Fn&& fn) const {
    for (auto* s : order_) s->for_each_key(key_group, [&](const K& k) { fn(*s, k); });
  }
  /// Entries (keys with a value, per state) over all states and key groups.
  [[nodiscard]] std::size_t entry_count() const {
    std::size_t n = 0;
    for (auto* s : order_) n += s->size();
    return n;
  }
  /// Entries of all states in key group `key_group`.
  [[nodiscard]] std::size_t entry_count(int key_group) const {
    std::size_t n = 0;
    for (auto* s : order_) n += s->size(key_group);
    return n;
  }
  /// Removes every entry of every state (the states stay defined).
  void clear() {
    for (auto* s : order_) s->clear();
  }
  /// Removes every entry of key group `key_group`.
  void clear(int key_group) {
    for (auto* s : order_) s->clear(key_group);
  }
  [[nodiscard]] bool has_ttl_states() const noexcept { return !ttl_tables_.empty(); }

  // ---- checkpoints ----
  /// Appends every state's entries, one per state and key group; states restored but not used
  /// since (their types are known only once the function asks for them) are passed on as they
  /// were.
  void snapshot(std::vector<state_entry>& out) const {
    for (const auto* s : order_)
      for (int kg = range_.start; kg < range_.end; ++kg) s->snapshot(kg, out);
    for (const auto& [name, entries] : pending_restore_)
      for (const auto& e : entries) out.push_back(e);
  }
  /// The same entries, asynchronously: copies every state's rows now (and appends the entries of
  /// states not used since the restore to `out`) and returns the function that encodes the
  /// copies on any thread (see operator_base::snapshot_state_async).
  std::function<void(std::vector<state_entry>&)> snapshot_later(
      std::vector<state_entry>& out) const {
    auto parts = std::make_shared<std::vector<std::function<void(std::vector<state_entry>&)>>>();
    for (const auto* s : order_)
      for (int kg = range_.start; kg < range_.end; ++kg)
        if (auto f = s->snapshot_later(kg)) parts->push_back(std::move(f));
    for (const auto& [name, entries] : pending_restore_)
      for (const auto& e : entries) out.push_back(e);
    if (parts->empty()) return {};
    return [parts](std::vector<state_entry>& later) {
      for (auto& f : *parts) f(later);
    };
  }
  /// Takes the keyed-state entries of a checkpoint (of owned key groups). A state's entries are
  /// decoded when the function first asks for it, with its types (as Flink restores lazily).
  void restore(const std::vector<state_entry>& entries) {
    for (const auto& e : entries)
      if (e.key_group >= 0 &&
          (e.type.rfind("keyed_state:", 0) == 0 || e.type.rfind("keyed_state_ns:", 0) == 0)) {
        if (auto it = tables_.find(e.name); it != tables_.end())
          it->second->restore(e);
        else
          pending_restore_[e.name].push_back(e);
      }
  }
  /// One incremental TTL cleanup step: each state with TTL visits at most its cleanup_size
  /// entries. Returns the entries visited. Called by the operator on each processing-time tick.
  std::size_t cleanup_expired() {
    if (ttl_tables_.empty()) return 0;
    const std::int64_t t = now();
    std::size_t n = 0;
    for (auto* s : ttl_tables_) n += s->cleanup_expired(t, s->ttl_config()->cleanup_size());
    return n;
  }

 private:
  template <class, class>
  friend class state_table;
  template <class, class, class>
  friend class namespaced_state_table;

  template <class V>
  static std::string describe_value() {
    return "value_state<" + detail::type_name<V>() + ">";
  }
  template <class V>
  static std::string describe_list() {
    return "list_state<" + detail::type_name<V>() + ">";
  }
  template <class MK, class V>
  static std::string describe_map() {
    return "map_state<" + detail::type_name<MK>() + ", " + detail::type_name<V>() + ">";
  }
  template <class V>
  static std::string describe_reducing() {
    return "reducing_state<" + detail::type_name<V>() + ">";
  }
  template <class Acc>
  static std::string describe_aggregating() {
    return "aggregating_state with accumulator " + detail::type_name<Acc>();
  }

  template <class IN, class Agg>
  eddy::aggregating_state<IN, Agg> get_aggregating(std::string_view name, Agg agg,
                                                   const state_ttl_config* ttl) {
    using acc = detail::agg_acc_t<Agg>;
    return eddy::aggregating_state<IN, Agg>(
        &table<detail::aggregating_cell<acc>>(name, ttl, &describe_aggregating<acc>),
        std::move(agg));
  }

  template <class Cell>
  state_table<K, Cell>& table(std::string_view name, const state_ttl_config* ttl,
                              std::string (*describe)()) {
    return table_of<state_table<K, Cell>>(name, ttl, describe);
  }
  template <class N, class Cell>
  namespaced_state_table<K, N, Cell>& ns_table(std::string_view name, std::string (*describe)()) {
    return table_of<namespaced_state_table<K, N, Cell>>(name, nullptr, describe);
  }
  /// The state `name` as a `Table`, created on first use.
  template <class Table>
  Table& table_of(std::string_view name, const state_ttl_config* ttl, std::string (*describe)()) {
    auto it = tables_.find(absl::string_view(name.data(), name.size()));
    if (it == tables_.end()) {
      auto t = std::make_unique<Table>(*this, std::string(name), describe, ttl);
      auto* raw = t.get();
      tables_.emplace(std::string(name), std::move(t));
      order_.push_back(raw);
      if (ttl) ttl_tables_.push_back(raw);
      if (auto p = pending_restore_.find(std::string(name)); p != pending_restore_.end()) {
        auto entries = std::move(p->second);
        pending_restore_.erase(p);
        for (const auto& e : entries) raw->restore(e);
      }
      return *raw;
    }
    auto* base = it->second.get();
    if (typeid(*base) != typeid(Table))
      throw std::logic_error("state '" + std::string(name) +
                             "' is used with two different types: first as " + base->describe() +
                             ", now as " + Table::describe_as(describe));
    if (ttl && !(base->ttl_config() == *ttl))
      throw std::logic_error("state '" + std::string(name) +
                             "' is used with two different TTL configurations" +
                             (base->ttl_config() ? "" : " (it was first used without TTL)") +
                             "; give the same state_ttl_config wherever the state is used");
    return static_cast<Table&>(*base);
  }

  [[nodiscard]] std::size_t current_group_index() const {
    if (!key_) throw no_current_key();
    return group_index_;
  }
  [[nodiscard]] detail::prehashed_key<K> current_prehashed() const { return {key_, hash_}; }

  static std::logic_error no_current_key() {
    return std::logic_error("keyed state used with no current key (only inside a keyed function)");
  }
  std::logic_error wrong_key_group(const K& key, int kg) const {
    const int owner = subtask_of_key_group(kg, max_parallelism_, parallelism_);
    return std::logic_error(
        "key " + detail::describe_key(key) + " belongs to key group " + std::to_string(kg) +
        ", owned by subtask " + std::to_string(owner) + ", not this one (subtask " +
        std::to_string(index_) + " of " + std::to_string(parallelism_) + ", key groups [" +
        std::to_string(range_.start) + ", " + std::to_string(range_.end) + ") of " +
        std::to_string(max_parallelism_) + "): records were routed to the wrong subtask");
  }

  int max_parallelism_;
  int parallelism_;
  int index_;
  key_group_range range_;
  clock_fn clock_;
  const K* key_ = nullptr;
  std::uint64_t hash_ = 0;
  std::size_t group_index_ = 0;
  std::uint64_t key_epoch_ = 1;  // changes with the current key (state tables cache by it)
  absl::flat_hash_map<std::string, std::unique_ptr<state_table_base<K>>> tables_;
  std::vector<state_table_base<K>*> order_;
  std::vector<state_table_base<K>*> ttl_tables_;
  std::map<std::string, std::vector<state_entry>> pending_restore_;  // restored, not yet used
};

}  // namespace eddy

#include "eddy/runtime/state/namespaced_state_table.hpp"  // IWYU pragma: export
