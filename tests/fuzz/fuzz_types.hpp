#pragma once
/// The types the fuzz targets decode, shared by the targets and the corpus generator
/// (make_corpus.cpp) so that a seed file's selector byte always names the type it was made for.
///
/// serializer_fuzz: input = one selector byte (index into serializer_types, modulo its size),
/// then the bytes handed to eddy::deserialize<T>.
/// batch_codec_fuzz: input = one selector byte (bits 0-6: index into batch_record_types; bit 7:
/// hand the decoder a misaligned copy), then the wire message.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "eddy/runtime/serializer.hpp"

namespace eddy::fuzz {

enum class colour : std::uint8_t { red = 1, green = 2 };
enum class wide : std::int64_t { low = -5, high = 1LL << 40 };

/// A trivially copyable struct whose fields cover it in order: vectors of it take the memcpy path.
struct flat_point {
  std::int64_t key = 0;
  double value = 0;
};
EDDY_FIELDS(flat_point, key, value)

/// A struct of nested containers (the field-by-field path).
struct station {
  std::string name;
  colour c = colour::red;
  std::vector<flat_point> points;
  std::optional<std::map<std::string, std::int32_t>> counters;
  std::variant<std::monostate, std::int16_t, std::string> tag;
};
EDDY_FIELDS(station, name, c, points, counters, tag)

struct empty_record {};
EDDY_FIELDS(empty_record)

/// A record type list, with `canonical` telling whether a decoded value re-encodes to exactly the
/// input (false for associative containers, which decode any order).
template <class T, bool Canonical = true>
struct entry {
  using type = T;
  static constexpr bool canonical = Canonical;
};
template <class... Es>
struct type_list {
  static constexpr std::size_t size = sizeof...(Es);
};

/// Calls f.template operator()<Entry>() for entry number `index` of List.
template <class... Es, class F>
void with_entry(type_list<Es...>, std::size_t index, F&& f) {
  std::size_t i = 0;
  (void)((i++ == index ? (f.template operator()<Es>(), true) : false) || ...);
}

// Serializer<T> of every built-in kind (see the wire format notes in serializer.hpp).
using serializer_types =
    type_list<entry<bool>, entry<char>, entry<signed char>, entry<unsigned char>,
              entry<std::int16_t>, entry<std::uint16_t>, entry<int>, entry<unsigned>, entry<long>,
              entry<unsigned long>, entry<long long>, entry<std::uint64_t>, entry<wchar_t>,
              entry<char16_t>, entry<char32_t>, entry<float>, entry<double>, entry<colour>,
              entry<wide>, entry<std::string>, entry<std::vector<std::int32_t>>,
              entry<std::vector<bool>>, entry<std::vector<std::string>>,
              entry<std::vector<flat_point>>, entry<std::vector<std::vector<std::int8_t>>>,
              entry<std::array<std::int16_t, 3>>, entry<std::array<std::string, 2>>,
              entry<std::pair<std::int32_t, std::string>>,
              entry<std::tuple<std::int8_t, double, std::string>>, entry<std::tuple<>>,
              entry<std::optional<std::string>>, entry<std::optional<std::optional<std::int32_t>>>,
              entry<std::variant<std::monostate, std::int32_t, std::string>>,
              entry<std::map<std::string, std::int64_t>, false>,
              entry<std::unordered_map<std::int32_t, std::string>, false>,
              entry<std::set<std::int32_t>, false>, entry<std::unordered_set<std::string>, false>,
              entry<std::chrono::milliseconds>, entry<std::chrono::system_clock::time_point>,
              entry<flat_point>, entry<station, false>, entry<empty_record>,
              entry<std::vector<std::monostate>>, entry<std::vector<std::tuple<>>>,
              entry<std::vector<std::vector<std::monostate>>>,
              entry<std::map<std::monostate, std::vector<std::int32_t>>, false>,
              entry<std::vector<std::pair<std::string, std::int64_t>>>>;

// Record types of the batch codec: the memcpy path (scalars, flat structs), the field-by-field
// path, records without bytes, and a large record.
using batch_record_types =
    type_list<entry<std::int64_t>, entry<std::string>, entry<flat_point>, entry<station, false>,
              entry<std::pair<std::string, std::int64_t>>, entry<std::tuple<>>,
              entry<std::array<double, 256>>>;

}  // namespace eddy::fuzz
