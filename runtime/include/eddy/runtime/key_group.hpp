#pragma once
/// Key hashing and key groups.
///
/// Keyed state is partitioned into `max_parallelism` key groups; a key belongs to key group
/// `key_hash(key) % max_parallelism` and key group g is owned by subtask
/// `g * parallelism / max_parallelism` (Flink's assignment, so ranges are contiguous and a job can
/// later be rescaled from a snapshot). `key_hash` is stable across processes, runs and builds (it
/// must be: remote exchange and snapshots depend on it), so it does not use std::hash or
/// absl::Hash, which may be seeded per process. Stateless and thread-safe.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace eddy {

namespace detail {
inline constexpr std::uint64_t mix64(std::uint64_t x) noexcept {  // murmur3 fmix64
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}
inline std::uint64_t hash_bytes(const void* data, std::size_t n) noexcept {
  // 8 bytes at a time, then the tail; mixed with fmix64. Stable and reasonably fast.
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xc6a4a7935bd1e995ULL);
  while (n >= 8) {
    std::uint64_t k;
    std::memcpy(&k, p, 8);
    h = mix64(h ^ mix64(k)) * 0x9e3779b97f4a7c15ULL;
    p += 8;
    n -= 8;
  }
  std::uint64_t tail = 0;
  for (std::size_t i = 0; i < n; ++i) tail |= std::uint64_t{p[i]} << (8 * i);
  return mix64(h ^ tail ^ (n << 56));
}
inline std::uint64_t combine(std::uint64_t a, std::uint64_t b) noexcept {
  return mix64(a * 31 + b + 0x9e3779b97f4a7c15ULL);
}
}  // namespace detail

/// Stable hash of a key. Supported: integral and enum types, floating point, strings, pairs,
/// tuples and optionals of supported types. Specialise `eddy::key_hasher<K>` for your own key type.
template <class K, class = void>
struct key_hasher;

template <class K>
struct key_hasher<K, std::enable_if_t<std::is_integral_v<K> || std::is_enum_v<K>>> {
  std::uint64_t operator()(K k) const noexcept {
    return detail::mix64(static_cast<std::uint64_t>(k));
  }
};
template <class K>
struct key_hasher<K, std::enable_if_t<std::is_floating_point_v<K>>> {
  std::uint64_t operator()(K k) const noexcept {
    double d = k == 0 ? 0.0 : static_cast<double>(k);  // +0 and -0 are one key
    std::uint64_t bits;
    std::memcpy(&bits, &d, 8);
    return detail::mix64(bits);
  }
};
template <>
struct key_hasher<std::string_view> {
  std::uint64_t operator()(std::string_view s) const noexcept {
    return detail::hash_bytes(s.data(), s.size());
  }
};
template <>
struct key_hasher<std::string> {
  std::uint64_t operator()(const std::string& s) const noexcept {
    return detail::hash_bytes(s.data(), s.size());
  }
};
template <class A, class B>
struct key_hasher<std::pair<A, B>> {
  std::uint64_t operator()(const std::pair<A, B>& p) const noexcept {
    return detail::combine(key_hasher<A>{}(p.first), key_hasher<B>{}(p.second));
  }
};
template <class... Ts>
struct key_hasher<std::tuple<Ts...>> {
  std::uint64_t operator()(const std::tuple<Ts...>& t) const noexcept {
    std::uint64_t h = 0x1234567;
    std::apply(
        [&](const auto&... xs) {
          ((h = detail::combine(h, key_hasher<std::decay_t<decltype(xs)>>{}(xs))), ...);
        },
        t);
    return h;
  }
};
template <class A>
struct key_hasher<std::optional<A>> {
  std::uint64_t operator()(const std::optional<A>& o) const noexcept {
    return o ? detail::combine(1, key_hasher<A>{}(*o)) : 0;
  }
};

template <class K>
[[nodiscard]] std::uint64_t key_hash(const K& k) noexcept {
  return key_hasher<K>{}(k);
}

/// Key group of a hash, in [0, max_parallelism).
[[nodiscard]] inline int key_group_of(std::uint64_t hash, int max_parallelism) noexcept {
  return static_cast<int>(hash % static_cast<std::uint64_t>(max_parallelism));
}

/// Subtask owning key group `kg` when the operator runs with `parallelism` subtasks.
[[nodiscard]] inline int subtask_of_key_group(int kg, int max_parallelism,
                                              int parallelism) noexcept {
  return static_cast<int>(static_cast<long long>(kg) * parallelism / max_parallelism);
}

/// A contiguous range of key groups [start, end).
struct key_group_range {
  int start = 0;
  int end = 0;
  [[nodiscard]] constexpr bool contains(int kg) const noexcept { return kg >= start && kg < end; }
  [[nodiscard]] constexpr int size() const noexcept { return end - start; }
  [[nodiscard]] constexpr bool empty() const noexcept { return end <= start; }
  friend constexpr bool operator==(const key_group_range&, const key_group_range&) = default;
};

/// The key groups owned by subtask `index` of `parallelism`: exactly the kg with
/// subtask_of_key_group(kg, max_parallelism, parallelism) == index (Flink's
/// computeKeyGroupRangeForOperatorIndex). Empty when parallelism > max_parallelism leaves the
/// subtask none.
[[nodiscard]] inline key_group_range key_group_range_of_subtask(int index, int max_parallelism,
                                                                int parallelism) noexcept {
  const long long m = max_parallelism;
  const long long p = parallelism;
  return {static_cast<int>((index * m + p - 1) / p),
          static_cast<int>(((index + 1) * m + p - 1) / p)};
}

}  // namespace eddy
