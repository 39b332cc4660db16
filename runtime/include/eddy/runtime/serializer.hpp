#pragma once
/// Binary encoding of records for remote exchange between processes and for state snapshots.
///
/// Who calls: the network exchange encodes records before sending them to a remote subtask and
/// decodes them on arrival; state backends encode snapshots and decode them on restore. The entry
/// points are `serialize` / `serialize_append` / `deserialize`; `Serializer<T>` is the
/// customization point (a struct gets one from `EDDY_FIELDS`, any other type from a
/// specialization).
///
/// Wire format (deterministic for a given value, identical on every platform):
///   - bool: one byte, 0 or 1; any other byte is rejected.
///   - integers and character types: two's complement, little-endian, fixed width = sizeof(T),
///     except `long` / `unsigned long` (always 8 bytes) and `wchar_t` (always 4 bytes), so the
///     encoding does not depend on the data model (LP64 vs LLP64). A decoded value that does not
///     fit the destination type is rejected. Prefer the <cstdint> aliases in records.
///   - float / double: the IEEE-754 bit pattern, 4 / 8 bytes little-endian (NaN payloads and the
///     sign of zero survive). long double is not supported: its format differs across platforms.
///   - enums: as their underlying type (values are not range-checked).
///   - lengths, element counts and variant indices: unsigned LEB128 varint, shortest form only.
///   - std::string, std::vector: count, then the elements (raw bytes for strings).
///   - std::array, std::pair, std::tuple, EDDY_FIELDS structs: the elements in order, no header.
///   - std::optional: a tag byte (0 = empty, 1 = engaged), then the value if engaged.
///   - std::variant: the alternative index, then the alternative. std::monostate: no bytes.
///   - std::map / std::set: count, then the entries in key order. std::unordered_map /
///     std::unordered_set: count, then the entries in iteration order, so two equal unordered
///     containers may encode differently. Decoding accepts any order and rejects duplicate keys.
///   - std::chrono::duration: count() as Rep; time_point: time_since_epoch(). The period and the
///     clock belong to the type and are not encoded.
///
/// Errors: decoding never throws, never reads past the input and never believes a declared
/// length that the remaining input cannot back (no huge allocations from hostile lengths).
/// Elements of zero-byte types are limited to 2^20 plus the input size per reader, and
/// EDDY_FIELDS structs (recursive types) to 256 levels of nesting. Truncated, malformed or hostile
/// input puts the `byte_reader` into a sticky failed state with a message naming the problem and
/// the byte offset; `read` returns false and the destination is left valid but unspecified. Only
/// std::bad_alloc from the destination containers can escape.
///
/// Thread-safety: every Serializer<T> is stateless. A byte_writer / byte_reader is a cheap
/// single-thread view over a buffer it does not own; the buffer must outlive it.
///
/// Extending:
///   struct reading { std::string device; int64_t ts; double temp; };
///   EDDY_FIELDS(reading, device, ts, temp)  // namespace scope, in reading's namespace
/// or specialize `template <> struct eddy::Serializer<my_type>` with
///   static void write(byte_writer& w, const my_type& x);
///   static bool read(byte_reader& r, my_type& x);  // false (and r.failed()) on bad input
///   static constexpr std::size_t min_size() noexcept;  // optional: lower bound on encoded bytes
#include <array>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace eddy {

namespace detail {
/// Elements of zero-byte types (std::tuple<>, std::monostate, empty structs, ...) are not backed
/// by input bytes, so one byte_reader admits at most this many of them plus its input size, in
/// all containers together.
inline constexpr std::uint64_t max_zero_size_elements = std::uint64_t{1} << 20;
/// Deepest nesting of EDDY_FIELDS structs (recursive types, through containers) a byte_reader
/// decodes; deeper input fails instead of exhausting the stack.
inline constexpr unsigned max_nesting_depth = 256;
}  // namespace detail

/// Appends encoded bytes to a std::string it does not own.
class byte_writer {
 public:
  explicit byte_writer(std::string& out) noexcept : out_(&out) {}

  void write_bytes(const void* p, std::size_t n) {
    if (n != 0) out_->append(static_cast<const char*>(p), n);
  }

  /// Unsigned LEB128, shortest form (1 to 10 bytes).
  void write_varint(std::uint64_t v) {
    char buf[10];
    std::size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out_->append(buf, n);
  }

  std::string& buffer() noexcept { return *out_; }

 private:
  std::string* out_;
};

/// Reads from a byte range it does not own. On underflow or bad data it enters a sticky failed
/// state and records the first error message; every later read fails. Never throws (except
/// std::bad_alloc while building a message), never reads past the end.
class byte_reader {
 public:
  byte_reader(const char* data, std::size_t size) noexcept
      : data_(data), size_(data != nullptr ? size : 0) {}
  explicit byte_reader(std::string_view bytes) noexcept : byte_reader(bytes.data(), bytes.size()) {}

  /// Copies the next n bytes to p.
  [[nodiscard]] bool read_bytes(void* p, std::size_t n) {
    if (!require(n)) return false;
    if (n != 0) std::memcpy(p, data_ + pos_, n);
    pos_ += n;
    return true;
  }

  /// Returns a view of the next n bytes (valid as long as the underlying buffer) and skips them.
  [[nodiscard]] bool read_view(std::size_t n, std::string_view& out) {
    if (!require(n)) return false;
    out = std::string_view(data_ + pos_, n);
    pos_ += n;
    return true;
  }

  /// Unsigned LEB128; rejects truncation, values above 2^64-1 and non-shortest encodings.
  [[nodiscard]] bool read_varint(std::uint64_t& v) {
    if (failed_) return false;
    const std::size_t start = pos_;
    std::uint64_t result = 0;
    for (unsigned i = 0; i < 10; ++i) {
      if (pos_ >= size_) {
        fail_at(start, "truncated varint");
        return false;
      }
      const auto b = static_cast<unsigned char>(data_[pos_++]);
      if (i == 9 && b > 1) {
        fail_at(start, "varint exceeds 64 bits");
        return false;
      }
      result |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) {
          fail_at(start, "non-canonical (overlong) varint");
          return false;
        }
        v = result;
        return true;
      }
    }
    return false;  // unreachable: the tenth byte either ends the varint or fails above
  }

  [[nodiscard]] bool failed() const noexcept { return failed_; }
  /// The first failure's message ("<what> at offset <n>"); empty while not failed.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return size_ - pos_; }
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }
  [[nodiscard]] bool at_end() const noexcept { return pos_ == size_; }

  /// Marks the reader failed at the current position; keeps the first message if already failed.
  void fail(std::string msg) { fail_at(pos_, std::move(msg)); }

  /// Accounts for n elements of a zero-byte type about to be decoded; false (and failed) when
  /// they exceed what this reader admits (see detail::max_zero_size_elements).
  [[nodiscard]] bool take_zero_size_elements(std::uint64_t n, const char* what) {
    if (failed_) return false;
    if (n > zero_size_budget_) {
      fail(std::string("declared ") + what + " size " + std::to_string(n) +
           " of elements without bytes exceeds the " + std::to_string(zero_size_budget_) +
           " this input may still hold");
      return false;
    }
    zero_size_budget_ -= n;
    return true;
  }

  /// Enters one more level of nested structs; false (and failed) beyond
  /// detail::max_nesting_depth. Pair each successful call with leave_nested().
  [[nodiscard]] bool enter_nested() {
    if (failed_) return false;
    if (depth_ >= detail::max_nesting_depth) {
      fail("values nested deeper than " + std::to_string(detail::max_nesting_depth) + " levels");
      return false;
    }
    ++depth_;
    return true;
  }
  void leave_nested() noexcept { --depth_; }

 private:
  bool require(std::size_t n) {
    if (failed_) return false;
    if (n > remaining()) {
      fail("truncated input: need " + std::to_string(n) + " bytes, " + std::to_string(remaining()) +
           " remaining");
      return false;
    }
    return true;
  }

  void fail_at(std::size_t offset, std::string msg) {
    if (failed_) return;
    failed_ = true;
    error_ = std::move(msg);
    error_ += " at offset ";
    error_ += std::to_string(offset);
  }

  const char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  std::string error_;
  std::uint64_t zero_size_budget_ = size_ + detail::max_zero_size_elements;
  unsigned depth_ = 0;
};

/// Encodes / decodes a T. The primary template marks "no serializer": using it is a compile error
/// that says how to add one. Specializations provide `write`, `read` and optionally `min_size`.
template <class T, class = void>
struct Serializer {
  using eddy_unsupported = void;

  template <class U = T>
  static void write(byte_writer&, const U&) {
    static_assert(sizeof(U) == 0,
                  "eddy::Serializer<T> is not defined for this type: add EDDY_FIELDS(T, fields...) "
                  "next to the struct, or specialize eddy::Serializer<T>");
  }
  template <class U = T>
  static bool read(byte_reader&, U&) {
    static_assert(sizeof(U) == 0,
                  "eddy::Serializer<T> is not defined for this type: add EDDY_FIELDS(T, fields...) "
                  "next to the struct, or specialize eddy::Serializer<T>");
    return false;
  }
};

/// True if Serializer<T> is specialized (for containers: if their element types are
/// serializable). For EDDY_FIELDS structs the fields are checked only when used.
template <class T>
inline constexpr bool has_serializer_v = !requires {
  typename Serializer<T>::eddy_unsupported;
};

template <class T>
concept serializable = has_serializer_v<T>;

namespace detail {

/// Wire width of an integer or character type; see the format notes at the top.
template <class T>
inline constexpr std::size_t wire_size_v = (std::is_same_v<T, long> ||
                                            std::is_same_v<T, unsigned long>)
                                               ? 8
                                           : std::is_same_v<T, wchar_t> ? 4
                                                                        : sizeof(T);

template <class T>
inline constexpr bool is_wire_scalar_v =
    std::is_same_v<T, bool> ||
    (std::is_same_v<T, float> && std::numeric_limits<float>::is_iec559 && sizeof(float) == 4) ||
    (std::is_same_v<T, double> && std::numeric_limits<double>::is_iec559 && sizeof(double) == 8) ||
    (std::is_integral_v<T> && !std::is_const_v<T> && !std::is_volatile_v<T> &&
     wire_size_v<T> <= 8 && sizeof(T) <= wire_size_v<T>);

template <std::size_t N>
struct uint_of;
template <>
struct uint_of<1> {
  using type = std::uint8_t;
};
template <>
struct uint_of<2> {
  using type = std::uint16_t;
};
template <>
struct uint_of<4> {
  using type = std::uint32_t;
};
template <>
struct uint_of<8> {
  using type = std::uint64_t;
};
template <std::size_t N>
using uint_of_t = typename uint_of<N>::type;

template <std::size_t N>
inline void store_le(byte_writer& w, std::uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    w.write_bytes(&v, N);  // the low N bytes, already in wire order
  } else {
    char buf[N];
    for (std::size_t i = 0; i < N; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    w.write_bytes(buf, N);
  }
}

template <std::size_t N>
inline bool load_le(byte_reader& r, std::uint64_t& v) {
  v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    return r.read_bytes(&v, N);  // fills the low N bytes
  } else {
    unsigned char buf[N];
    if (!r.read_bytes(buf, N)) return false;
    for (std::size_t i = 0; i < N; ++i) v |= static_cast<std::uint64_t>(buf[i]) << (8 * i);
    return true;
  }
}

/// Lower bound on the encoded size of a T (0 if its Serializer does not say).
template <class T>
constexpr std::size_t min_size_of() noexcept {
  if constexpr (requires { Serializer<T>::min_size(); }) {
    return Serializer<T>::min_size();
  } else {
    return 0;
  }
}

template <class Tuple>
struct tuple_min_size;
template <class... Ts>
struct tuple_min_size<std::tuple<Ts...>> {
  static constexpr std::size_t value() noexcept {
    return (std::size_t{0} + ... + min_size_of<std::remove_cvref_t<Ts>>());
  }
};

/// True if a contiguous array of T has exactly the wire layout (one memcpy).
template <class T>
constexpr bool is_bulk_copyable() noexcept {
  if constexpr (requires { Serializer<T>::bulk_copyable; }) {
    return Serializer<T>::bulk_copyable;
  } else {
    return false;
  }
}

/// Reads an element count and checks that the remaining input can hold that many elements of
/// at least `min_element_size` bytes each.
inline bool read_count(byte_reader& r, std::size_t min_element_size, std::size_t& count,
                       const char* what) {
  std::uint64_t n = 0;
  if (!r.read_varint(n)) return false;
  if (min_element_size == 0) {  // not backed by input bytes: counted against the reader's budget
    if (!r.take_zero_size_elements(n, what)) return false;
    count = static_cast<std::size_t>(n);
    return true;
  }
  const std::uint64_t rem = r.remaining();
  std::uint64_t limit = rem / min_element_size;
  if (limit > std::numeric_limits<std::size_t>::max())
    limit = std::numeric_limits<std::size_t>::max();
  if (n > limit) {
    r.fail(std::string("declared ") + what + " size " + std::to_string(n) + " exceeds what the " +
           std::to_string(rem) + " remaining bytes can hold");
    return false;
  }
  count = static_cast<std::size_t>(n);
  return true;
}

template <class T>
bool read_count_of(byte_reader& r, std::size_t& count, const char* what) {
  return read_count(r, min_size_of<T>(), count, what);
}

inline bool read_tag(byte_reader& r, bool& engaged, const char* what) {
  unsigned char tag = 0;
  if (!r.read_bytes(&tag, 1)) return false;
  if (tag > 1) {
    r.fail(std::string("invalid ") + what + " tag " + std::to_string(tag) + " (expected 0 or 1)");
    return false;
  }
  engaged = tag == 1;
  return true;
}

/// Shared implementation of std::map / std::unordered_map.
template <class M>
struct map_serializer {
  using key_type = typename M::key_type;
  using mapped_type = typename M::mapped_type;

  static constexpr std::size_t min_size() noexcept { return 1; }

  static void write(byte_writer& w, const M& m) {
    w.write_varint(m.size());
    for (const auto& [k, v] : m) {
      Serializer<key_type>::write(w, k);
      Serializer<mapped_type>::write(w, v);
    }
  }

  static bool read(byte_reader& r, M& m) {
    m.clear();
    std::size_t n = 0;
    if (!read_count(r, min_size_of<key_type>() + min_size_of<mapped_type>(), n, "map")) {
      return false;
    }
    if constexpr (requires { m.reserve(n); }) m.reserve(n < r.remaining() ? n : r.remaining());
    for (std::size_t i = 0; i < n; ++i) {
      key_type k{};
      mapped_type v{};
      if (!Serializer<key_type>::read(r, k) || !Serializer<mapped_type>::read(r, v)) return false;
      const std::size_t before = m.size();
      m.emplace_hint(m.end(), std::move(k), std::move(v));
      if (m.size() == before) {
        r.fail("duplicate map key");
        return false;
      }
    }
    return true;
  }
};

/// Shared implementation of std::set / std::unordered_set.
template <class S>
struct set_serializer {
  using key_type = typename S::key_type;

  static constexpr std::size_t min_size() noexcept { return 1; }

  static void write(byte_writer& w, const S& s) {
    w.write_varint(s.size());
    for (const auto& k : s) Serializer<key_type>::write(w, k);
  }

  static bool read(byte_reader& r, S& s) {
    s.clear();
    std::size_t n = 0;
    if (!read_count_of<key_type>(r, n, "set")) return false;
    if constexpr (requires { s.reserve(n); }) s.reserve(n < r.remaining() ? n : r.remaining());
    for (std::size_t i = 0; i < n; ++i) {
      key_type k{};
      if (!Serializer<key_type>::read(r, k)) return false;
      const std::size_t before = s.size();
      s.emplace_hint(s.end(), std::move(k));
      if (s.size() == before) {
        r.fail("duplicate set element");
        return false;
      }
    }
    return true;
  }
};

/// Found by ADL for structs registered with EDDY_FIELDS.
template <class T>
concept has_eddy_fields = std::is_class_v<T> && requires(T& m, const T& c) {
  eddy_fields(m);
  eddy_fields(c);
};

/// True if a contiguous array of T encodes as its memory (one memcpy each way): T is bulk
/// copyable, or T is a trivially copyable EDDY_FIELDS struct whose listed fields are all bulk
/// copyable, listed in memory order and cover the struct without padding (the layout is checked
/// once, at run time). The encoding is the same either way.
template <class T>
bool array_is_memcpy() {
  if constexpr (is_bulk_copyable<T>()) {
    return true;
  } else if constexpr (has_eddy_fields<T> && std::is_trivially_copyable_v<T> &&
                       std::is_default_constructible_v<T>) {
    static const bool layout_matches = [] {
      const T x{};
      const auto* base = reinterpret_cast<const char*>(&x);
      std::size_t at = 0;
      bool fine = true;
      std::apply(
          [&](const auto&... f) {
            ((fine = fine && is_bulk_copyable<std::remove_cvref_t<decltype(f)>>() &&
                     reinterpret_cast<const char*>(&f) - base == static_cast<std::ptrdiff_t>(at),
              at += sizeof(f)),
             ...);
          },
          eddy_fields(x));
      return fine && at == sizeof(T);
    }();
    return layout_matches;
  } else {
    return false;
  }
}

}  // namespace detail

// ---- arithmetic -------------------------------------------------------------------------------

template <class T>
struct Serializer<T, std::enable_if_t<detail::is_wire_scalar_v<T>>> {
  static constexpr std::size_t wire_size = detail::wire_size_v<T>;
  /// The in-memory representation equals the wire form, so arrays of T are one memcpy.
  static constexpr bool bulk_copyable =
      !std::is_same_v<T, bool> && wire_size == sizeof(T) &&
      (sizeof(T) == 1 || std::endian::native == std::endian::little);

  static constexpr std::size_t min_size() noexcept { return wire_size; }

  static void write(byte_writer& w, const T& x) {
    if constexpr (std::is_same_v<T, bool>) {
      const unsigned char b = x ? 1 : 0;
      w.write_bytes(&b, 1);
    } else if constexpr (std::is_floating_point_v<T>) {
      detail::store_le<sizeof(T)>(w, std::bit_cast<detail::uint_of_t<sizeof(T)>>(x));
    } else {
      // Modular conversion: sign-extends negative values, the low wire_size bytes are written.
      detail::store_le<wire_size>(w, static_cast<std::uint64_t>(x));
    }
  }

  [[nodiscard]] static bool read(byte_reader& r, T& x) {
    std::uint64_t u = 0;
    if (!detail::load_le<wire_size>(r, u)) return false;
    if constexpr (std::is_same_v<T, bool>) {
      if (u > 1) {
        r.fail("invalid bool byte " + std::to_string(u) + " (expected 0 or 1)");
        return false;
      }
      x = u == 1;
    } else if constexpr (std::is_floating_point_v<T>) {
      x = std::bit_cast<T>(static_cast<detail::uint_of_t<sizeof(T)>>(u));
    } else if constexpr (std::is_signed_v<T>) {
      using wire_signed = std::make_signed_t<detail::uint_of_t<wire_size>>;
      const auto s = static_cast<wire_signed>(static_cast<detail::uint_of_t<wire_size>>(u));
      if constexpr (wire_size > sizeof(T)) {
        if (s < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
            s > static_cast<std::int64_t>(std::numeric_limits<T>::max())) {
          r.fail("integer " + std::to_string(s) + " out of range for the destination type");
          return false;
        }
      }
      x = static_cast<T>(s);
    } else {
      if constexpr (wire_size > sizeof(T)) {
        if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
          r.fail("integer " + std::to_string(u) + " out of range for the destination type");
          return false;
        }
      }
      x = static_cast<T>(u);
    }
    return true;
  }
};

// ---- enums ------------------------------------------------------------------------------------

template <class T>
struct Serializer<T, std::enable_if_t<std::is_enum_v<T>>> {
  using underlying = std::underlying_type_t<T>;
  static constexpr bool bulk_copyable = detail::is_bulk_copyable<underlying>();

  static constexpr std::size_t min_size() noexcept { return detail::min_size_of<underlying>(); }

  static void write(byte_writer& w, const T& x) {
    Serializer<underlying>::write(w, static_cast<underlying>(x));
  }

  [[nodiscard]] static bool read(byte_reader& r, T& x) {
    underlying u{};
    if (!Serializer<underlying>::read(r, u)) return false;
    x = static_cast<T>(u);
    return true;
  }
};

// ---- strings ----------------------------------------------------------------------------------

template <>
struct Serializer<std::string> {
  static constexpr std::size_t min_size() noexcept { return 1; }

  static void write(byte_writer& w, const std::string& s) {
    w.write_varint(s.size());
    w.write_bytes(s.data(), s.size());
  }

  [[nodiscard]] static bool read(byte_reader& r, std::string& s) {
    std::size_t n = 0;
    std::string_view bytes;
    if (!detail::read_count(r, 1, n, "string") || !r.read_view(n, bytes)) return false;
    s.assign(bytes);
    return true;
  }
};

// ---- sequences --------------------------------------------------------------------------------

template <class T, class A>
struct Serializer<std::vector<T, A>, std::enable_if_t<has_serializer_v<T>>> {
  static constexpr std::size_t min_size() noexcept { return 1; }

  static void write(byte_writer& w, const std::vector<T, A>& v) {
    w.write_varint(v.size());
    if constexpr (detail::is_bulk_copyable<T>()) {
      w.write_bytes(v.data(), v.size() * sizeof(T));
    } else if constexpr (std::is_same_v<T, bool>) {
      for (const bool e : v) Serializer<bool>::write(w, e);
    } else {
      if (detail::array_is_memcpy<T>())
        w.write_bytes(v.data(), v.size() * sizeof(T));
      else
        for (const auto& e : v) Serializer<T>::write(w, e);
    }
  }

  [[nodiscard]] static bool read(byte_reader& r, std::vector<T, A>& v) {
    v.clear();
    std::size_t n = 0;
    if (!detail::read_count_of<T>(r, n, "vector")) return false;
    if constexpr (detail::is_bulk_copyable<T>()) {
      v.resize(n);  // n * sizeof(T) <= remaining(), checked by read_count
      return r.read_bytes(v.data(), n * sizeof(T));
    } else if constexpr (std::is_same_v<T, bool>) {
      v.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        bool b = false;
        if (!Serializer<bool>::read(r, b)) return false;
        v.push_back(b);
      }
      return true;
    } else {
      if (detail::array_is_memcpy<T>()) {
        v.resize(n);  // n * sizeof(T) == n * min_size <= remaining(), checked by read_count
        return r.read_bytes(v.data(), n * sizeof(T));
      }
      v.reserve(n < r.remaining() ? n : r.remaining());
      for (std::size_t i = 0; i < n; ++i) {
        if (!Serializer<T>::read(r, v.emplace_back())) return false;
      }
      return true;
    }
  }
};

template <class T, std::size_t N>
struct Serializer<std::array<T, N>, std::enable_if_t<has_serializer_v<T>>> {
  static constexpr bool bulk_copyable = detail::is_bulk_copyable<T>();

  static constexpr std::size_t min_size() noexcept { return N * detail::min_size_of<T>(); }

  static void write(byte_writer& w, const std::array<T, N>& a) {
    if constexpr (detail::is_bulk_copyable<T>()) {
      w.write_bytes(a.data(), N * sizeof(T));
    } else {
      for (const auto& e : a) Serializer<T>::write(w, e);
    }
  }

  [[nodiscard]] static bool read(byte_reader& r, std::array<T, N>& a) {
    if constexpr (detail::is_bulk_copyable<T>()) {
      return r.read_bytes(a.data(), N * sizeof(T));
    } else {
      for (auto& e : a) {
        if (!Serializer<T>::read(r, e)) return false;
      }
      return true;
    }
  }
};

// ---- products and sums ------------------------------------------------------------------------

template <class A, class B>
struct Serializer<std::pair<A, B>, std::enable_if_t<has_serializer_v<A> && has_serializer_v<B>>> {
  static constexpr std::size_t min_size() noexcept {
    return detail::min_size_of<A>() + detail::min_size_of<B>();
  }

  static void write(byte_writer& w, const std::pair<A, B>& p) {
    Serializer<A>::write(w, p.first);
    Serializer<B>::write(w, p.second);
  }

  [[nodiscard]] static bool read(byte_reader& r, std::pair<A, B>& p) {
    return Serializer<A>::read(r, p.first) && Serializer<B>::read(r, p.second);
  }
};

template <class... Ts>
struct Serializer<std::tuple<Ts...>, std::enable_if_t<(has_serializer_v<Ts> && ...)>> {
  static constexpr std::size_t min_size() noexcept {
    return detail::tuple_min_size<std::tuple<Ts...>>::value();
  }

  static void write(byte_writer& w, const std::tuple<Ts...>& t) {
    std::apply([&](const Ts&... e) { (Serializer<Ts>::write(w, e), ...); }, t);
  }

  [[nodiscard]] static bool read(byte_reader& r, std::tuple<Ts...>& t) {
    return std::apply([&](Ts&... e) { return (Serializer<Ts>::read(r, e) && ...); }, t);
  }
};

template <class T>
struct Serializer<std::optional<T>, std::enable_if_t<has_serializer_v<T>>> {
  static constexpr std::size_t min_size() noexcept { return 1; }

  static void write(byte_writer& w, const std::optional<T>& o) {
    const unsigned char tag = o.has_value() ? 1 : 0;
    w.write_bytes(&tag, 1);
    if (o) Serializer<T>::write(w, *o);
  }

  [[nodiscard]] static bool read(byte_reader& r, std::optional<T>& o) {
    bool engaged = false;
    if (!detail::read_tag(r, engaged, "optional")) return false;
    if (!engaged) {
      o.reset();
      return true;
    }
    return Serializer<T>::read(r, o.emplace());
  }
};

template <>
struct Serializer<std::monostate> {
  static constexpr std::size_t min_size() noexcept { return 0; }
  static void write(byte_writer&, const std::monostate&) {}
  [[nodiscard]] static bool read(byte_reader&, std::monostate&) { return true; }
};

template <class... Ts>
struct Serializer<std::variant<Ts...>, std::enable_if_t<(has_serializer_v<Ts> && ...)>> {
  using variant_type = std::variant<Ts...>;

  static constexpr std::size_t min_size() noexcept { return 1; }

  /// A valueless_by_exception variant is written with index sizeof...(Ts), which read rejects.
  static void write(byte_writer& w, const variant_type& v) {
    if (v.valueless_by_exception()) {
      w.write_varint(sizeof...(Ts));
      return;
    }
    w.write_varint(v.index());
    std::visit(
        [&w](const auto& alt) { Serializer<std::remove_cvref_t<decltype(alt)>>::write(w, alt); },
        v);
  }

  [[nodiscard]] static bool read(byte_reader& r, variant_type& v) {
    std::uint64_t index = 0;
    if (!r.read_varint(index)) return false;
    if (index >= sizeof...(Ts)) {
      r.fail("variant index " + std::to_string(index) + " out of range (" +
             std::to_string(sizeof...(Ts)) + " alternatives)");
      return false;
    }
    return read_alternative(r, v, static_cast<std::size_t>(index),
                            std::index_sequence_for<Ts...>{});
  }

 private:
  template <std::size_t... I>
  static bool read_alternative(byte_reader& r, variant_type& v, std::size_t index,
                               std::index_sequence<I...>) {
    bool ok = false;
    (void)((index == I ? (ok = Serializer<std::variant_alternative_t<I, variant_type>>::read(
                              r, v.template emplace<I>()),
                          true)
                       : false) ||
           ...);
    return ok;
  }
};

// ---- associative containers -------------------------------------------------------------------

template <class K, class V, class C, class A>
struct Serializer<std::map<K, V, C, A>,
                  std::enable_if_t<has_serializer_v<K> && has_serializer_v<V>>>
    : detail::map_serializer<std::map<K, V, C, A>> {};

template <class K, class V, class H, class E, class A>
struct Serializer<std::unordered_map<K, V, H, E, A>,
                  std::enable_if_t<has_serializer_v<K> && has_serializer_v<V>>>
    : detail::map_serializer<std::unordered_map<K, V, H, E, A>> {};

template <class K, class C, class A>
struct Serializer<std::set<K, C, A>, std::enable_if_t<has_serializer_v<K>>>
    : detail::set_serializer<std::set<K, C, A>> {};

template <class K, class H, class E, class A>
struct Serializer<std::unordered_set<K, H, E, A>, std::enable_if_t<has_serializer_v<K>>>
    : detail::set_serializer<std::unordered_set<K, H, E, A>> {};

// ---- chrono -----------------------------------------------------------------------------------

template <class Rep, class Period>
struct Serializer<std::chrono::duration<Rep, Period>, std::enable_if_t<has_serializer_v<Rep>>> {
  using duration = std::chrono::duration<Rep, Period>;

  static constexpr std::size_t min_size() noexcept { return detail::min_size_of<Rep>(); }

  static void write(byte_writer& w, const duration& d) { Serializer<Rep>::write(w, d.count()); }

  [[nodiscard]] static bool read(byte_reader& r, duration& d) {
    Rep count{};
    if (!Serializer<Rep>::read(r, count)) return false;
    d = duration(count);
    return true;
  }
};

template <class Clock, class Duration>
struct Serializer<std::chrono::time_point<Clock, Duration>,
                  std::enable_if_t<has_serializer_v<Duration>>> {
  using time_point = std::chrono::time_point<Clock, Duration>;

  static constexpr std::size_t min_size() noexcept { return detail::min_size_of<Duration>(); }

  static void write(byte_writer& w, const time_point& t) {
    Serializer<Duration>::write(w, t.time_since_epoch());
  }

  [[nodiscard]] static bool read(byte_reader& r, time_point& t) {
    Duration since_epoch{};
    if (!Serializer<Duration>::read(r, since_epoch)) return false;
    t = time_point(since_epoch);
    return true;
  }
};

// ---- EDDY_FIELDS structs ----------------------------------------------------------------------

/// Structs with an ADL-visible `eddy_fields(T&)` / `eddy_fields(const T&)` returning a tuple of
/// references (what EDDY_FIELDS defines): the fields in the listed order, no header.
template <class T>
struct Serializer<T, std::enable_if_t<detail::has_eddy_fields<T>>> {
  static constexpr std::size_t min_size() noexcept {
    using fields = std::remove_cvref_t<decltype(eddy_fields(std::declval<const T&>()))>;
    return detail::tuple_min_size<fields>::value();
  }

  static void write(byte_writer& w, const T& x) {
    std::apply(
        [&](const auto&... f) { (Serializer<std::remove_cvref_t<decltype(f)>>::write(w, f), ...); },
        eddy_fields(x));
  }

  [[nodiscard]] static bool read(byte_reader& r, T& x) {
    if (!r.enter_nested()) return false;  // recursive types: bounded stack use
    auto fields = eddy_fields(x);
    const bool ok = std::apply(
        [&](auto&... f) {
          return (Serializer<std::remove_cvref_t<decltype(f)>>::read(r, f) && ...);
        },
        fields);
    r.leave_nested();
    return ok;
  }
};

// ---- entry points -----------------------------------------------------------------------------

/// Appends the encoding of x to out.
template <class T>
void serialize_append(std::string& out, const T& x) {
  static_assert(has_serializer_v<T>,
                "eddy::serialize: no Serializer<T>; add EDDY_FIELDS(T, fields...) next to the "
                "struct, or specialize eddy::Serializer<T>");
  byte_writer w(out);
  Serializer<T>::write(w, x);
}

/// Returns the encoding of x.
template <class T>
[[nodiscard]] std::string serialize(const T& x) {
  std::string out;
  serialize_append(out, x);
  return out;
}

/// Decodes exactly one T from bytes into out. Returns false on malformed or truncated input or if
/// bytes remain after the value; then *error (if given) receives the message and out is valid
/// but unspecified.
template <class T>
[[nodiscard]] bool deserialize(std::string_view bytes, T& out, std::string* error = nullptr) {
  static_assert(has_serializer_v<T>,
                "eddy::deserialize: no Serializer<T>; add EDDY_FIELDS(T, fields...) next to the "
                "struct, or specialize eddy::Serializer<T>");
  byte_reader r(bytes);
  const bool ok = Serializer<T>::read(r, out);
  if (!ok && !r.failed()) r.fail("Serializer::read reported failure");
  if (ok && !r.failed() && !r.at_end()) {
    r.fail(std::to_string(r.remaining()) + " trailing bytes after the value");
  }
  if (r.failed()) {
    if (error != nullptr) *error = r.error();
    return false;
  }
  return true;
}

}  // namespace eddy

// ---- EDDY_FIELDS ------------------------------------------------------------------------------

// Recursive macro expansion with __VA_OPT__ (up to 256 fields).
#define EDDY_PP_PARENS ()
#define EDDY_PP_EXPAND(...) \
  EDDY_PP_EXPAND4(EDDY_PP_EXPAND4(EDDY_PP_EXPAND4(EDDY_PP_EXPAND4(__VA_ARGS__))))
#define EDDY_PP_EXPAND4(...) \
  EDDY_PP_EXPAND3(EDDY_PP_EXPAND3(EDDY_PP_EXPAND3(EDDY_PP_EXPAND3(__VA_ARGS__))))
#define EDDY_PP_EXPAND3(...) \
  EDDY_PP_EXPAND2(EDDY_PP_EXPAND2(EDDY_PP_EXPAND2(EDDY_PP_EXPAND2(__VA_ARGS__))))
#define EDDY_PP_EXPAND2(...) \
  EDDY_PP_EXPAND1(EDDY_PP_EXPAND1(EDDY_PP_EXPAND1(EDDY_PP_EXPAND1(__VA_ARGS__))))
#define EDDY_PP_EXPAND1(...) __VA_ARGS__
#define EDDY_PP_FOR_EACH(macro, ...) \
  __VA_OPT__(EDDY_PP_EXPAND(EDDY_PP_FOR_EACH_HELPER(macro, __VA_ARGS__)))
#define EDDY_PP_FOR_EACH_HELPER(macro, a1, ...) \
  macro(a1) __VA_OPT__(, EDDY_PP_FOR_EACH_AGAIN EDDY_PP_PARENS(macro, __VA_ARGS__))
#define EDDY_PP_FOR_EACH_AGAIN() EDDY_PP_FOR_EACH_HELPER
#define EDDY_PP_SELF_FIELD(field) eddy_self_.field
#define EDDY_PP_FIELD_NAME(field) std::string_view(#field)

/// Registers the listed fields of `type` (in this order) for serialization. Use at namespace
/// scope in the namespace that declares `type` (global for global types), no trailing semicolon
/// needed. Defines the ADL hooks `eddy_fields(type&)` and `eddy_fields(const type&)`, which
/// return std::tie of the fields. `type` must not contain unparenthesized commas (use an alias
/// for template instances); fields not listed are neither written nor read. Also defines
/// `eddy_field_names(const type*)`: the fields' names, in the same order (the CSV and JSON
/// formats map columns and keys to fields with it).
#define EDDY_FIELDS(type, ...)                                                                \
  [[maybe_unused]] inline auto eddy_fields(type& eddy_self_) noexcept {                       \
    (void)eddy_self_;                                                                         \
    return std::tie(EDDY_PP_FOR_EACH(EDDY_PP_SELF_FIELD, __VA_ARGS__));                       \
  }                                                                                           \
  [[maybe_unused]] inline auto eddy_fields(const type& eddy_self_) noexcept {                 \
    (void)eddy_self_;                                                                         \
    return std::tie(EDDY_PP_FOR_EACH(EDDY_PP_SELF_FIELD, __VA_ARGS__));                       \
  }                                                                                           \
  [[maybe_unused]] inline constexpr auto eddy_field_names(const type*) noexcept {             \
    return std::array<std::string_view,                                                       \
                      std::tuple_size_v<decltype(eddy_fields(std::declval<const type&>()))>>{ \
        EDDY_PP_FOR_EACH(EDDY_PP_FIELD_NAME, __VA_ARGS__)};                                   \
  }
