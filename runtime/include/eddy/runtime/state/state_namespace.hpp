#pragma once
/// Namespaces of keyed state and timers (Flink's VoidNamespace and window namespaces): every
/// state entry and timer of a keyed operator is identified by (key, namespace). Plain keyed state
/// (what user functions see through value_state, list_state, ...) lives in `void_namespace`,
/// which costs nothing: the backend's plain state tables and timer_service<K> have no namespace
/// at all. An operator that keeps state per key and something else (a window operator per key
/// and window) asks the backend for a namespaced state (keyed_state_backend.hpp,
/// get_namespaced_*_state) and uses timer_service<K, N> (timer_service.hpp).
///
/// Contract: a namespace type N is copyable, equality-comparable, ordered (operator<, for
/// timers), hashable by key_hasher<N> (key_group.hpp; specialise it for your own type; the hash
/// must be stable across processes like key hashes) and, for checkpoints, has a Serializer.
/// Header-only, no state, thread-safe.
#include <type_traits>

namespace eddy {

/// The namespace of plain keyed state and timers (Flink's VoidNamespace): the only value.
struct void_namespace {
  friend bool operator==(const void_namespace&, const void_namespace&) = default;
  friend bool operator<(const void_namespace&, const void_namespace&) { return false; }
};

template <class N>
inline constexpr bool is_void_namespace_v = std::is_same_v<N, void_namespace>;

}  // namespace eddy
