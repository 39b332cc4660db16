#pragma once
/// Helpers for operators writing and reading their state at checkpoints (see snapshot.hpp and
/// operator_base::snapshot_state / restore_state).
///
/// - Operator state (not keyed): put_operator_value / get_operator_value store one value under a
///   name (key group -1).
/// - Keyed state: put_keyed_map writes a hash map K -> V as one entry per key group (so that a
///   restore at another parallelism can hand each key group to its new owner);
///   get_keyed_entries adds the entries of a name back into a map.
/// Values are encoded with Serializer<T> (serializer.hpp). Every entry carries a type tag built
/// from the C++ types; restoring an entry into other types throws std::runtime_error naming the
/// state and both types (the job's state schema changed). Decoding errors throw as well.
/// Called on the subtask's actor only.
#include <cxxabi.h>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "eddy/runtime/key_group.hpp"
#include "eddy/runtime/serializer.hpp"
#include "eddy/runtime/snapshot.hpp"

namespace eddy {

/// A readable name of type T (demangled).
template <class T>
std::string type_name_of() {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(
      abi::__cxa_demangle(typeid(T).name(), nullptr, nullptr, &status), std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(typeid(T).name());
}

/// The type tag of state kind `kind` holding Ts.
template <class... Ts>
std::string state_type_tag(const std::string& kind) {
  std::string tag = kind + "<";
  bool first = true;
  ((tag += (first ? "" : ","), tag += type_name_of<Ts>(), first = false), ...);
  return tag + ">";
}

/// Whether values of all Ts can be checkpointed (they have a Serializer).
template <class... Ts>
inline constexpr bool checkpointable_v = (has_serializer_v<Ts> && ...);

/// Thrown (as the operator's failure) when state of a type without a Serializer is checkpointed.
template <class... Ts>
[[noreturn]] void throw_not_checkpointable(const std::string& what) {
  throw std::runtime_error(what + " cannot be checkpointed: " + state_type_tag<Ts...>("types") +
                           " lack a Serializer (give records EDDY_FIELDS, see serializer.hpp)");
}

namespace detail {
inline void check_type(const state_entry& e, const std::string& expected) {
  if (e.type != expected)
    throw std::runtime_error("state '" + e.name + "' was written as " + e.type +
                             " but is restored as " + expected + " (the state's type changed)");
}
template <class T>
T decode_state(const state_entry& e) {
  T v{};
  std::string err;
  if (!deserialize(e.data, v, &err))
    throw std::runtime_error("state '" + e.name + "' (key group " + std::to_string(e.key_group) +
                             ") does not decode: " + err);
  return v;
}
}  // namespace detail

/// Appends operator state `name` = v.
template <class T>
void put_operator_value(std::vector<state_entry>& out, const std::string& name, const T& v) {
  out.push_back(state_entry{name, -1, state_type_tag<T>("value"), serialize(v)});
}

/// The operator state `name` among `entries`, or nullptr if absent; throws on a type mismatch.
template <class T>
std::unique_ptr<T> get_operator_value(const std::vector<state_entry>& entries,
                                      const std::string& name) {
  for (const auto& e : entries)
    if (e.key_group < 0 && e.name == name) {
      detail::check_type(e, state_type_tag<T>("value"));
      return std::make_unique<T>(detail::decode_state<T>(e));
    }
  return nullptr;
}

/// Appends an operator's event time (its current watermark) as union state, so that after a
/// restore it judges lateness exactly as before (records replayed after the checkpoint would
/// otherwise meet the minimum watermark and never be late).
inline void put_watermark(std::vector<state_entry>& out, const std::string& name,
                          std::int64_t watermark) {
  out.push_back(state_entry{"__union:" + name, -1, state_type_tag<std::int64_t>("watermark"),
                            serialize(watermark)});
}

/// The event time put_watermark stored under `name`: the subtask's own at the same parallelism,
/// the smallest of all old subtasks' otherwise (nothing becomes late that was not); nullopt if
/// absent.
inline std::optional<std::int64_t> get_watermark(const std::vector<state_entry>& entries,
                                                 const std::string& name) {
  std::optional<std::int64_t> low;
  const std::string full = "__union:" + name;
  for (const auto& e : entries) {
    if (e.name != full) continue;
    detail::check_type(e, state_type_tag<std::int64_t>("watermark"));
    const auto w = detail::decode_state<std::int64_t>(e);
    low = low ? std::min(*low, w) : w;
  }
  return low;
}

namespace detail {
/// Whether T's wire form is a fixed number of bytes this build can store directly.
template <class T>
inline constexpr bool direct_wire_v =
    is_wire_scalar_v<T>&& std::endian::native == std::endian::little;

/// Stores x as Serializer<T>::write would, at p (which advances).
template <class T>
inline void store_direct(char*& p, const T& x) noexcept {
  if constexpr (std::is_same_v<T, bool>) {
    *p++ = x ? 1 : 0;
  } else if constexpr (std::is_floating_point_v<T>) {
    std::memcpy(p, &x, sizeof(T));
    p += sizeof(T);
  } else {
    const auto u = static_cast<std::uint64_t>(x);  // modular, as Serializer<T>
    std::memcpy(p, &u, wire_size_v<T>);
    p += wire_size_v<T>;
  }
}

inline std::size_t varint_size(std::uint64_t v) noexcept {
  std::size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}
}  // namespace detail

/// Appends keyed rows as state `name`: one entry per key group, each encoded exactly as
/// `serialize(std::vector<std::tuple<Fields...>>)` of that group's rows (read them back with
/// `detail::decode_state<std::vector<std::tuple<Fields...>>>`), but without building the rows:
/// `for_each_row(emit)` must call `emit(key_hash, fields...)` once per row; it is called twice
/// and must visit the same rows in the same order both times. Rows whose fields all have a
/// fixed wire size are stored straight into buffers of the exact size.
template <class... Fields, class ForEachRow>
void put_keyed_rows(std::vector<state_entry>& out, const std::string& name,
                    const std::string& type_tag, int max_parallelism, ForEachRow&& for_each_row) {
  const auto groups_n = static_cast<std::size_t>(max_parallelism);
  std::vector<std::uint64_t> counts(groups_n, 0);
  std::vector<std::uint16_t> group_of_row;  // max_parallelism <= 32768
  for_each_row([&](std::uint64_t hash, const Fields&...) {
    const auto g = static_cast<std::uint16_t>(key_group_of(hash, max_parallelism));
    group_of_row.push_back(g);
    ++counts[g];
  });
  std::vector<std::string> bufs(groups_n);
  std::size_t row = 0;
  if constexpr ((detail::direct_wire_v<Fields> && ...)) {
    constexpr std::size_t row_bytes = (std::size_t{0} + ... + detail::wire_size_v<Fields>);
    std::vector<char*> at(groups_n, nullptr);
    for (std::size_t g = 0; g < groups_n; ++g) {
      if (counts[g] == 0) continue;
      const std::size_t head = detail::varint_size(counts[g]);
      bufs[g].resize(head + counts[g] * row_bytes);
      std::string varint;
      byte_writer(varint).write_varint(counts[g]);
      std::memcpy(bufs[g].data(), varint.data(), head);
      at[g] = bufs[g].data() + head;
    }
    for_each_row([&](std::uint64_t, const Fields&... fields) {
      char*& p = at[group_of_row[row++]];
      (detail::store_direct(p, fields), ...);
    });
  } else {
    std::vector<byte_writer> writers;
    writers.reserve(groups_n);
    for (std::size_t g = 0; g < groups_n; ++g) {
      writers.emplace_back(bufs[g]);
      if (counts[g] != 0) writers.back().write_varint(counts[g]);
    }
    for_each_row([&](std::uint64_t, const Fields&... fields) {
      auto& w = writers[group_of_row[row++]];
      (Serializer<Fields>::write(w, fields), ...);
    });
  }
  for (std::size_t g = 0; g < groups_n; ++g)
    if (counts[g] != 0)
      out.push_back(state_entry{name, static_cast<int>(g), type_tag, std::move(bufs[g])});
}

/// Appends keyed state `name` (a map K -> V, any map type) as one entry per key group.
template <class K, class V, class Map>
void put_keyed_map(std::vector<state_entry>& out, const std::string& name, const Map& map,
                   int max_parallelism) {
  put_keyed_rows<K, V>(out, name, state_type_tag<K, V>("keyed_map"), max_parallelism,
                       [&](auto&& emit) {
                         for (const auto& [k, v] : map) emit(key_hash(k), k, v);
                       });
}

/// Adds the keyed entries of state `name` into `map` (insert_or_assign).
template <class K, class V, class Map>
void get_keyed_entries(const std::vector<state_entry>& entries, const std::string& name, Map& map) {
  const auto tag = state_type_tag<K, V>("keyed_map");
  for (const auto& e : entries) {
    if (e.key_group < 0 || e.name != name) continue;
    detail::check_type(e, tag);
    for (auto& [k, v] : detail::decode_state<std::vector<std::pair<K, V>>>(e))
      map.insert_or_assign(std::move(k), std::move(v));
  }
}

}  // namespace eddy
