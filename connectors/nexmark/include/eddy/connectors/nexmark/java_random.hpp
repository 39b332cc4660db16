#pragma once
/// java.util.SplittableRandom's algorithm (the generator nexmark-flink draws from): the same seed
/// gives the same nextInt / nextInt(bound) / nextLong / nextDouble sequence as Java's
/// `new SplittableRandom(seed)`. Used by nexmark::generator; a value type, not thread-safe.
#include <cstdint>

namespace eddy::nexmark::detail {

class java_random {
 public:
  static constexpr std::uint64_t golden_gamma = 0x9e3779b97f4a7c15ull;

  explicit java_random(std::uint64_t seed) noexcept : seed_(seed) {}

  static std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  static std::int32_t mix32(std::uint64_t z) noexcept {
    z = (z ^ (z >> 33)) * 0x62a9d9ed799705f5ull;
    return static_cast<std::int32_t>(
        static_cast<std::uint32_t>(((z ^ (z >> 28)) * 0xcb24d0a5c88c35b3ull) >> 32));
  }

  std::int32_t next_int() noexcept { return mix32(next_seed()); }
  std::int64_t next_long() noexcept { return static_cast<std::int64_t>(mix64(next_seed())); }
  /// Uniform in [0, bound) for bound > 0 (Java's rejection loop, wrapping int arithmetic).
  std::int32_t next_int(std::int32_t bound) noexcept {
    std::int32_t r = next_int();
    const std::int32_t m = bound - 1;
    if ((bound & m) == 0) return r & m;
    for (auto u = static_cast<std::int32_t>(static_cast<std::uint32_t>(r) >> 1);;
         u = static_cast<std::int32_t>(static_cast<std::uint32_t>(next_int()) >> 1)) {
      r = u % bound;
      // Java: u + m - r < 0 in wrapping int arithmetic.
      const auto sum =
          static_cast<std::int32_t>(static_cast<std::uint32_t>(u) + static_cast<std::uint32_t>(m) -
                                    static_cast<std::uint32_t>(r));
      if (sum >= 0) return r;
    }
  }
  /// Uniform in [0, 1).
  double next_double() noexcept {
    return static_cast<double>(mix64(next_seed()) >> 11) * 0x1.0p-53;
  }

 private:
  std::uint64_t next_seed() noexcept { return seed_ += golden_gamma; }
  std::uint64_t seed_;
};

}  // namespace eddy::nexmark::detail
