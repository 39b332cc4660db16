#pragma once
/// Keyed state in a namespace (Flink's InternalKvState with a namespace other than VoidNamespace):
/// the table behind the backend's get_namespaced_*_state, one entry per (key, namespace) in one
/// hash map per owned key group, and the handle wrapper `namespaced_state<N, Handle>` that sets
/// the namespace its handle works in. Used by operators that keep state per key and window (the
/// general window operator). Part of keyed_state_backend.hpp, which includes it at its end
/// (including this header alone includes the backend first).
///
/// Contract:
/// - Owned by the backend, used only on the owning subtask's actor (not thread-safe), except the
///   function snapshot_later() returns (copies; any thread).
/// - Every access works on (the backend's current key, the table's current namespace): the
///   namespace is set with namespaced_state::set_current_namespace and stays until set again.
///   Using a handle before a namespace was set throws std::logic_error naming the state.
/// - No TTL (Flink's window state has none): cleanup_expired does nothing.
/// - Checkpoint format: one state_entry per state and key group with entries, named as the
///   state, type "keyed_state_ns:" + describe() (e.g. "keyed_state_ns:value_state<long> in
///   namespace eddy::time_window"), data the serialized
///   std::vector<std::tuple<K, N, cell_codec<Cell>::wire>>. Plain (void-namespace) states keep
///   their own format ("keyed_state:"). Snapshots throw if K, N or the values have no Serializer;
///   a restore throws std::runtime_error if the state was written with other types.
#include <absl/container/flat_hash_map.h>
#include <absl/functional/function_ref.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/snapshot.hpp"
#include "eddy/runtime/state/keyed_state_backend.hpp"  // state_table_base, keyed_state_backend
#include "eddy/runtime/state/state_cells.hpp"
#include "eddy/runtime/state/state_namespace.hpp"
#include "eddy/runtime/state_snapshot.hpp"

namespace eddy {

namespace detail {

/// The current (key, namespace) with both hashes computed once, for lookups without rehashing.
template <class K, class N>
struct prehashed_key_ns {
  const K* key;
  std::uint64_t key_hash;
  const N* ns;
  std::uint64_t ns_hash;
};

/// The hash of (key, namespace) entries: key_hash re-mixed (as state_map_hash) combined with the
/// namespace's key_hasher. Transparent, so a prehashed pair is found without hashing again.
template <class K, class N>
struct ns_map_hash {
  using is_transparent = void;
  static std::size_t of(std::uint64_t kh, std::uint64_t nh) noexcept {
    return combine(state_map_hash<K>::remix(kh), nh);
  }
  std::size_t operator()(const std::pair<K, N>& e) const noexcept {
    return of(key_hash(e.first), key_hasher<N>{}(e.second));
  }
  std::size_t operator()(const prehashed_key_ns<K, N>& p) const noexcept {
    return of(p.key_hash, p.ns_hash);
  }
};
template <class K, class N>
struct ns_map_eq {
  using is_transparent = void;
  bool operator()(const std::pair<K, N>& a, const std::pair<K, N>& b) const { return a == b; }
  bool operator()(const std::pair<K, N>& a, const prehashed_key_ns<K, N>& b) const {
    return a.second == *b.ns && a.first == *b.key;
  }
  bool operator()(const prehashed_key_ns<K, N>& a, const std::pair<K, N>& b) const {
    return (*this)(b, a);
  }
  bool operator()(const prehashed_key_ns<K, N>& a, const prehashed_key_ns<K, N>& b) const {
    return *a.ns == *b.ns && *a.key == *b.key;
  }
};

}  // namespace detail

/// What a namespaced_state handle sees of its table: the current namespace.
template <class N>
class namespace_holder {
 public:
  virtual ~namespace_holder() = default;
  /// Makes `ns` the namespace every access through this state works in.
  virtual void set_current_namespace(const N& ns) = 0;
  /// The current namespace. Throws std::logic_error if none was set.
  [[nodiscard]] virtual const N& current_namespace() const = 0;
};

/// The entries of one namespaced state: one hash map of (key, namespace) per owned key group.
template <class K, class N, class Cell>
class namespaced_state_table final : public state_table_base<K>,
                                     public detail::cell_access<Cell>,
                                     public namespace_holder<N> {
 public:
  using map_type = absl::flat_hash_map<std::pair<K, N>, Cell, detail::ns_map_hash<K, N>,
                                       detail::ns_map_eq<K, N>>;

  static std::string describe_as(std::string (*describe)()) {
    return describe() + " in namespace " + detail::type_name<N>();
  }

  namespaced_state_table(keyed_state_backend<K>& backend, std::string name,
                         std::string (*describe)(), const state_ttl_config*)
      : state_table_base<K>(std::move(name), describe, std::nullopt),
        backend_(backend),
        groups_(static_cast<std::size_t>(backend.key_groups().size())) {}

  void set_current_namespace(const N& ns) override {
    if (has_ns_ && ns_ == ns) return;  // the cached cell stays valid
    ns_ = ns;
    ns_hash_ = key_hasher<N>{}(ns);
    has_ns_ = true;
    cached_epoch_ = 0;
  }
  [[nodiscard]] const N& current_namespace() const override {
    if (!has_ns_) throw no_namespace();
    return ns_;
  }

  std::string describe() const override { return describe_as(this->describe_); }
  std::string snapshot_tag() const override { return "keyed_state_ns:" + describe(); }

  // As state_table: the current (key, namespace)'s cell is cached until either changes.
  Cell* find() override {
    if (cached_epoch_ == backend_.key_epoch_) return cached_;
    auto& m = groups_[backend_.current_group_index()];
    auto it = m.find(current());
    cached_ = it == m.end() ? nullptr : &it->second;
    cached_epoch_ = backend_.key_epoch_;
    return cached_;
  }
  Cell& find_or_insert() override {
    if (cached_epoch_ == backend_.key_epoch_ && cached_) return *cached_;
    auto& m = groups_[backend_.current_group_index()];
    const auto p = current();
    auto it = m.lazy_emplace(p, [&](const typename map_type::constructor& ctor) {
      ctor(std::piecewise_construct, std::forward_as_tuple(*p.key, *p.ns), std::forward_as_tuple());
    });
    cached_ = &it->second;
    cached_epoch_ = backend_.key_epoch_;
    return *cached_;
  }
  void erase_current() override {
    groups_[backend_.current_group_index()].erase(current());
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
  /// Calls fn(key) once per (key, namespace) entry of the key group.
  void for_each_key(int key_group, absl::FunctionRef<void(const K&)> fn) const override {
    for (const auto& [kn, c] : group(key_group)) fn(kn.first);
  }
  /// Calls fn(key, namespace, cell) for every entry of key group `key_group`.
  template <class Fn>
  void for_each(int key_group, Fn&& fn) const {
    for (const auto& [kn, c] : group(key_group)) fn(kn.first, kn.second, c);
  }
  void clear() override {
    cached_epoch_ = 0;
    for (auto& m : groups_) map_type().swap(m);
  }
  void clear(int key_group) override {
    cached_epoch_ = 0;
    map_type().swap(groups_[group_index(key_group)]);
  }
  std::size_t cleanup_expired(std::int64_t, std::size_t) override { return 0; }

  void snapshot(int key_group, std::vector<state_entry>& out) const override {
    const auto& m = group(key_group);
    if (m.empty()) return;
    if constexpr (checkpointable_v<K, N, wire>) {
      out.push_back(state_entry{this->name_, key_group, snapshot_tag(), serialize(rows(m))});
    } else {
      throw_not_checkpointable<K, N, wire>("keyed state '" + this->name_ + "'");
    }
  }
  std::function<void(std::vector<state_entry>&)> snapshot_later(int key_group) const override {
    const auto& m = group(key_group);
    if (m.empty()) return {};
    if constexpr (checkpointable_v<K, N, wire>) {
      auto r = std::make_shared<std::vector<row>>(rows(m));
      return
          [r, name = this->name_, tag = snapshot_tag(), key_group](std::vector<state_entry>& out) {
            out.push_back(state_entry{name, key_group, tag, serialize(*r)});
          };
    } else {
      throw_not_checkpointable<K, N, wire>("keyed state '" + this->name_ + "'");
    }
  }
  void restore(const state_entry& e) override {
    if (e.type != snapshot_tag())
      throw std::runtime_error("keyed state '" + this->name_ + "' was checkpointed as " +
                               e.type.substr(e.type.find(':') + 1) + " but is now used as " +
                               describe() + " (the state's type changed)");
    if constexpr (checkpointable_v<K, N, wire>) {
      cached_epoch_ = 0;
      auto& m = groups_[group_index(e.key_group)];
      for (auto& [k, n, w] : eddy::detail::decode_state<std::vector<row>>(e))
        detail::cell_codec<Cell>::from(std::move(w), m[std::pair<K, N>(std::move(k), n)]);
    }
  }

 private:
  using wire = typename detail::cell_codec<Cell>::wire;
  using row = std::tuple<K, N, wire>;

  static std::vector<row> rows(const map_type& m) {
    std::vector<row> r;
    r.reserve(m.size());
    for (const auto& [kn, c] : m)
      r.emplace_back(kn.first, kn.second, detail::cell_codec<Cell>::to(c));
    return r;
  }
  detail::prehashed_key_ns<K, N> current() const {
    if (!has_ns_) throw no_namespace();
    const auto pk = backend_.current_prehashed();
    return {pk.key, pk.hash, &ns_, ns_hash_};
  }
  std::logic_error no_namespace() const {
    return std::logic_error("namespaced state '" + this->name_ +
                            "' used with no current namespace (call set_current_namespace)");
  }
  std::size_t group_index(int key_group) const {
    const auto r = backend_.key_groups();
    if (!r.contains(key_group))
      throw std::out_of_range("key group " + std::to_string(key_group) +
                              " is not owned by this subtask (it owns [" + std::to_string(r.start) +
                              ", " + std::to_string(r.end) + "))");
    return static_cast<std::size_t>(key_group - r.start);
  }
  const map_type& group(int key_group) const { return groups_[group_index(key_group)]; }

  keyed_state_backend<K>& backend_;
  std::vector<map_type> groups_;
  N ns_{};
  std::uint64_t ns_hash_ = 0;
  bool has_ns_ = false;
  Cell* cached_ = nullptr;
  std::uint64_t cached_epoch_ = 0;
};

/// A state handle (value_state, list_state, ...) of a namespaced state, with the namespace it
/// works in: set_current_namespace(n), then use the handle (-> or handle()). Cheap to copy; all
/// copies share the state's current namespace.
template <class N, class Handle>
class namespaced_state {
 public:
  namespaced_state(namespace_holder<N>* table, Handle h) : table_(table), handle_(std::move(h)) {}
  void set_current_namespace(const N& ns) { table_->set_current_namespace(ns); }
  [[nodiscard]] const N& current_namespace() const { return table_->current_namespace(); }
  Handle* operator->() noexcept { return &handle_; }
  const Handle* operator->() const noexcept { return &handle_; }
  Handle& handle() noexcept { return handle_; }

 private:
  namespace_holder<N>* table_;
  Handle handle_;
};

}  // namespace eddy
