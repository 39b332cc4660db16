#include "eddy/runtime/serializer.hpp"

#include <catch2/catch.hpp>

#include "eddy/runtime/batch_codec.hpp"

#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

// ---- test types -------------------------------------------------------------------------------

struct reading {
  std::string device;
  int64_t ts = 0;
  double temp = 0;
  bool operator==(const reading&) const = default;
};
EDDY_FIELDS(reading, device, ts, temp)

namespace sensors {

enum class unit : uint8_t { celsius = 1, kelvin = 2 };

struct location {
  double lat = 0;
  double lon = 0;
  bool operator==(const location&) const = default;
};
EDDY_FIELDS(location, lat, lon)

struct station {
  std::string name;
  location where;
  unit u = unit::celsius;
  std::vector<reading> readings;
  std::optional<location> backup;
  std::map<std::string, int32_t> counters;
  bool operator==(const station&) const = default;
};
EDDY_FIELDS(station, name, where, u, readings, backup, counters)

// Recursive through a container.
struct tree {
  int32_t value = 0;
  std::vector<tree> children;
  bool operator==(const tree&) const = default;
};
EDDY_FIELDS(tree, value, children)

struct empty_record {
  bool operator==(const empty_record&) const = default;
};
EDDY_FIELDS(empty_record)

// Only the listed fields take part.
struct partial {
  int32_t kept = 0;
  int32_t cache = 0;
};
EDDY_FIELDS(partial, kept)

}  // namespace sensors

// Flat structs: arrays of the first are copied with one memcpy; the others are not (fields
// listed out of memory order, padding) and take the field-by-field path. Same encoding.
struct flat_event {
  uint64_t key = 0;
  int64_t value = 0;
  double ts = 0;
  bool operator==(const flat_event&) const = default;
};
EDDY_FIELDS(flat_event, key, value, ts)

struct listed_out_of_order {
  uint64_t key = 0;
  int64_t value = 0;
  bool operator==(const listed_out_of_order&) const = default;
};
EDDY_FIELDS(listed_out_of_order, value, key)

struct padded {
  int32_t a = 0;
  int64_t b = 0;
  bool operator==(const padded&) const = default;
};
EDDY_FIELDS(padded, a, b)

struct not_registered {
  int x;
};

enum plain_enum { pe_a = 0, pe_b = 7 };
enum class wide_enum : int64_t { low = std::numeric_limits<int64_t>::min(), high = 42 };
enum class flag_enum : bool { off = false, on = true };

namespace {

using eddy::deserialize;
using eddy::serialize;

/// Byte string from a list of byte values (keeps embedded NULs).
std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values) s.push_back(static_cast<char>(v));
  return s;
}

/// Encodes, decodes and checks that decoding succeeded. With `canonical`, also checks that the
/// decoded value re-encodes to the same bytes (not so for unordered containers).
template <class T>
T round_trip(const T& x, bool canonical = true) {
  const std::string encoded = serialize(x);
  T out{};
  std::string error;
  const bool ok = deserialize(encoded, out, &error);
  INFO(error);
  REQUIRE(ok);
  CHECK(error.empty());
  if (canonical) CHECK(serialize(out) == encoded);
  return out;
}

template <class T>
void check_round_trip(const T& x) {
  CHECK(round_trip(x) == x);
}

template <class T>
std::string decode_error(std::string_view encoded) {
  T out{};
  std::string error;
  CHECK_FALSE(deserialize(encoded, out, &error));
  CHECK_FALSE(error.empty());
  return error;
}

template <class T>
void check_every_prefix_fails(const T& x) {
  const std::string encoded = serialize(x);
  REQUIRE_FALSE(encoded.empty());
  for (std::size_t len = 0; len < encoded.size(); ++len) {
    INFO("prefix length " << len << " of " << encoded.size());
    T out{};
    std::string error;
    CHECK_FALSE(deserialize(std::string_view(encoded.data(), len), out, &error));
    CHECK_FALSE(error.empty());
  }
}

template <class F>
std::uint64_t float_bits(F f) {
  if constexpr (sizeof(F) == 4) {
    return std::bit_cast<uint32_t>(f);
  } else {
    return std::bit_cast<uint64_t>(f);
  }
}

sensors::station sample_station() {
  sensors::station s;
  s.name = std::string("north\0pole", 10);
  s.where = {89.9, -12.5};
  s.u = sensors::unit::kelvin;
  s.readings = {{"a", 1, 20.5}, {"", -7, -0.0}, {"device-3", INT64_MAX, 1e300}};
  s.backup = sensors::location{1.0, 2.0};
  s.counters = {{"x", 1}, {"y", -2}, {"", 0}};
  return s;
}

}  // namespace

// ---- static properties ------------------------------------------------------------------------

static_assert(eddy::has_serializer_v<int>);
static_assert(eddy::has_serializer_v<bool>);
static_assert(eddy::has_serializer_v<std::string>);
static_assert(eddy::has_serializer_v<std::vector<std::byte>>);
static_assert(eddy::has_serializer_v<reading>);
static_assert(eddy::has_serializer_v<sensors::station>);
static_assert(eddy::has_serializer_v<sensors::tree>);
static_assert(eddy::has_serializer_v<std::map<std::string, std::vector<reading>>>);
static_assert(eddy::has_serializer_v<std::chrono::milliseconds>);
static_assert(eddy::has_serializer_v<plain_enum>);
static_assert(!eddy::has_serializer_v<not_registered>);
static_assert(!eddy::has_serializer_v<std::vector<not_registered>>);
static_assert(!eddy::has_serializer_v<std::optional<not_registered>>);
static_assert(!eddy::has_serializer_v<std::pair<int, not_registered>>);
static_assert(!eddy::has_serializer_v<std::map<not_registered, int>>);
static_assert(!eddy::has_serializer_v<int*>);
static_assert(!eddy::has_serializer_v<long double>);
static_assert(eddy::serializable<std::tuple<int, std::string>>);
static_assert(eddy::Serializer<std::byte>::bulk_copyable);
static_assert(eddy::Serializer<char>::bulk_copyable);
static_assert(!eddy::Serializer<bool>::bulk_copyable);

// ---- encoding ---------------------------------------------------------------------------------

TEST_CASE("serializer encodes arithmetic types as fixed-width little-endian bytes") {
  CHECK(serialize(uint32_t{1}) == bytes({1, 0, 0, 0}));
  CHECK(serialize(uint16_t{0x1234}) == bytes({0x34, 0x12}));
  CHECK(serialize(int16_t{-2}) == bytes({0xfe, 0xff}));
  CHECK(serialize(int64_t{-1}) == std::string(8, '\xff'));
  CHECK(serialize(uint64_t{0x0102030405060708}) == bytes({8, 7, 6, 5, 4, 3, 2, 1}));
  CHECK(serialize(int8_t{-128}) == bytes({0x80}));
  CHECK(serialize(true) == bytes({1}));
  CHECK(serialize(false) == bytes({0}));
  CHECK(serialize(1.0) == bytes({0, 0, 0, 0, 0, 0, 0xf0, 0x3f}));
  CHECK(serialize(1.0f) == bytes({0, 0, 0x80, 0x3f}));
  CHECK(serialize(-0.0) == bytes({0, 0, 0, 0, 0, 0, 0, 0x80}));
  CHECK(serialize('A') == "A");
  CHECK(serialize(u'\u20ac') == bytes({0xac, 0x20}));
}

TEST_CASE("serializer uses platform-independent widths for long and wchar_t") {
  CHECK(serialize(long{-1}) == std::string(8, '\xff'));
  CHECK(serialize(static_cast<unsigned long>(5)) == bytes({5, 0, 0, 0, 0, 0, 0, 0}));
  CHECK(serialize(wchar_t{0x41}) == bytes({0x41, 0, 0, 0}));
  CHECK(serialize(5LL) == serialize(int64_t{5}));
}

TEST_CASE("serializer encodes lengths as LEB128 varints") {
  CHECK(serialize(std::string("ab")) == bytes({2, 'a', 'b'}));
  CHECK(serialize(std::string()) == bytes({0}));
  CHECK(serialize(std::string(127, 'x')).substr(0, 1) == bytes({0x7f}));
  CHECK(serialize(std::string(128, 'x')).substr(0, 2) == bytes({0x80, 0x01}));
  CHECK(serialize(std::string(300, 'x')).substr(0, 2) == bytes({0xac, 0x02}));
  CHECK(serialize(std::vector<uint16_t>{1, 2}) == bytes({2, 1, 0, 2, 0}));
  CHECK(serialize(std::vector<bool>{true, false, true}) == bytes({3, 1, 0, 1}));

  std::string out;
  eddy::byte_writer w(out);
  w.write_varint(std::numeric_limits<uint64_t>::max());
  CHECK(out == bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
}

TEST_CASE("serializer encodes composites as the concatenation of their parts") {
  CHECK(serialize(std::optional<uint8_t>{}) == bytes({0}));
  CHECK(serialize(std::optional<uint8_t>{5}) == bytes({1, 5}));
  CHECK(serialize(std::pair<uint8_t, int16_t>{1, -1}) == bytes({1, 0xff, 0xff}));
  CHECK(serialize(std::tuple<>{}).empty());
  CHECK(serialize(std::array<uint8_t, 3>{1, 2, 3}) == bytes({1, 2, 3}));
  CHECK(serialize(sensors::unit::kelvin) == bytes({2}));
  CHECK(serialize(std::variant<int8_t, std::string>{std::string("a")}) == bytes({1, 1, 'a'}));
  CHECK(serialize(std::chrono::milliseconds{3}) == serialize(int64_t{3}));
  CHECK(serialize(reading{"d", 2, 1.0}) ==
        serialize(std::string("d")) + serialize(int64_t{2}) + serialize(1.0));
  CHECK(serialize(sensors::empty_record{}).empty());
  // std::map is written in key order whatever the insertion order.
  std::map<int8_t, int8_t> m;
  m[3] = 30;
  m[1] = 10;
  CHECK(serialize(m) == bytes({2, 1, 10, 3, 30}));
}

TEST_CASE("serializer output is deterministic for equal values") {
  const auto a = sample_station();
  const auto b = sample_station();
  CHECK(serialize(a) == serialize(b));
  std::map<std::string, int> m1{{"a", 1}, {"b", 2}, {"c", 3}};
  std::map<std::string, int> m2;
  m2.emplace("c", 3);
  m2.emplace("a", 1);
  m2.emplace("b", 2);
  CHECK(serialize(m1) == serialize(m2));
}

// ---- round trips ------------------------------------------------------------------------------

TEMPLATE_TEST_CASE("serializer round-trips integer and character types at their limits", "",
                   signed char, unsigned char, char, wchar_t, char8_t, char16_t, char32_t, short,
                   unsigned short, int, unsigned int, long, unsigned long, long long,
                   unsigned long long, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t,
                   int64_t, uint64_t) {
  using limits = std::numeric_limits<TestType>;
  check_round_trip(limits::min());
  check_round_trip(limits::max());
  check_round_trip(TestType{});
  check_round_trip(static_cast<TestType>(1));
  check_round_trip(static_cast<TestType>(limits::max() - 1));
  if constexpr (limits::is_signed) check_round_trip(static_cast<TestType>(-1));
}

TEMPLATE_TEST_CASE("serializer round-trips floating point values bit for bit", "", float, double) {
  using limits = std::numeric_limits<TestType>;
  const TestType values[] = {TestType{0},
                             -TestType{0},
                             TestType{1.5},
                             limits::min(),
                             limits::max(),
                             limits::lowest(),
                             limits::denorm_min(),
                             limits::epsilon(),
                             limits::infinity(),
                             -limits::infinity(),
                             limits::quiet_NaN(),
                             -limits::quiet_NaN(),
                             limits::signaling_NaN()};
  for (TestType v : values) {
    const TestType out = round_trip(v);
    CHECK(float_bits(out) == float_bits(v));
  }
}

TEST_CASE("serializer round-trips bools and enums") {
  check_round_trip(true);
  check_round_trip(false);
  check_round_trip(pe_b);
  check_round_trip(static_cast<plain_enum>(3));  // not a named enumerator
  check_round_trip(wide_enum::low);
  check_round_trip(wide_enum::high);
  check_round_trip(flag_enum::on);
  check_round_trip(sensors::unit::celsius);
  check_round_trip(std::byte{0xab});
}

TEST_CASE("serializer round-trips strings including empty, NUL and long ones") {
  check_round_trip(std::string());
  check_round_trip(std::string("hello"));
  check_round_trip(std::string("a\0b\0", 4));
  check_round_trip(std::string(1, '\0'));
  check_round_trip(std::string("\xff\xfe\x80 utf8: \xe2\x82\xac"));
  check_round_trip(std::string(70000, 'z'));
}

TEST_CASE("serializer round-trips vectors of every element kind") {
  check_round_trip(std::vector<int32_t>{});
  check_round_trip(std::vector<int32_t>{1, -2, std::numeric_limits<int32_t>::min()});
  check_round_trip(std::vector<char>{'a', '\0', 'b'});
  check_round_trip(std::vector<uint8_t>{0, 255, 7});
  check_round_trip(std::vector<std::byte>{std::byte{0}, std::byte{0xff}});
  check_round_trip(std::vector<bool>{});
  check_round_trip(std::vector<bool>{true, false, false, true, true});
  check_round_trip(std::vector<double>{0.5, -1e-300, std::numeric_limits<double>::infinity()});
  check_round_trip(std::vector<uint64_t>(1000, 0xdeadbeefcafebabeULL));
  check_round_trip(std::vector<std::string>{"", "a", std::string("\0", 1)});
  check_round_trip(std::vector<std::vector<int16_t>>{{}, {1}, {2, 3}});
  check_round_trip(std::vector<std::optional<std::string>>{std::nullopt, "x", ""});
  check_round_trip(std::vector<sensors::unit>{sensors::unit::kelvin, sensors::unit::celsius});
  check_round_trip(std::vector<std::tuple<>>(5));
  check_round_trip(std::vector<std::monostate>(3));
}

TEST_CASE("serializer round-trips pairs, tuples, arrays, optionals and variants") {
  check_round_trip(std::pair<std::string, int>{"k", 3});
  check_round_trip(std::tuple<>{});
  check_round_trip(std::tuple<int8_t, std::string, double, bool>{-1, "t", 2.5, true});
  check_round_trip(std::array<int32_t, 3>{1, -2, 3});
  check_round_trip(std::array<uint8_t, 4>{0, 1, 2, 255});
  check_round_trip(std::array<bool, 2>{true, false});
  check_round_trip(std::array<std::string, 2>{"a", ""});
  check_round_trip(std::array<int, 0>{});

  check_round_trip(std::optional<int>{});
  check_round_trip(std::optional<int>{0});
  check_round_trip(std::optional<std::optional<int>>{});
  check_round_trip(std::optional<std::optional<int>>{std::optional<int>{}});
  check_round_trip(std::optional<std::optional<int>>{std::optional<int>{5}});
  CHECK(serialize(std::optional<std::optional<int>>{std::optional<int>{}}) == bytes({1, 0}));

  using var = std::variant<std::monostate, int32_t, std::string, std::vector<reading>>;
  check_round_trip(var{});
  check_round_trip(var{int32_t{-9}});
  check_round_trip(var{std::string("s")});
  check_round_trip(var{std::vector<reading>{{"d", 1, 2.0}}});
}

TEST_CASE("serializer round-trips maps and sets") {
  check_round_trip(std::map<std::string, int>{});
  check_round_trip(std::map<std::string, int>{{"a", 1}, {"b", -1}, {"", 0}});
  check_round_trip(std::map<int, std::vector<std::string>>{{1, {"x"}}, {2, {}}});
  check_round_trip(std::set<int64_t>{-5, 0, 5});
  const std::unordered_set<std::string> us{"a", "b", "c"};
  CHECK(round_trip(us, /*canonical=*/false) == us);

  std::unordered_map<std::string, double> um;
  for (int i = 0; i < 100; ++i) um["key" + std::to_string(i)] = i * 0.5;
  CHECK(round_trip(um, /*canonical=*/false) == um);
}

TEST_CASE("serializer round-trips chrono durations and time points") {
  check_round_trip(std::chrono::milliseconds{-1234});
  check_round_trip(std::chrono::nanoseconds{std::numeric_limits<int64_t>::max()});
  check_round_trip(std::chrono::duration<double>{1.25});
  const auto now = std::chrono::system_clock::now();
  check_round_trip(now);
  check_round_trip(std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>{
      std::chrono::seconds{1700000000}});
}

TEST_CASE("serializer round-trips EDDY_FIELDS structs, nested and recursive") {
  check_round_trip(reading{});
  check_round_trip(reading{"thermo-1", 1700000000123, -40.25});
  check_round_trip(sensors::location{1.5, -2.5});
  check_round_trip(sample_station());
  check_round_trip(sensors::station{});
  check_round_trip(std::vector<sensors::station>{sample_station(), {}, sample_station()});
  check_round_trip(std::map<std::string, reading>{{"r", {"d", 1, 2.0}}});
  check_round_trip(sensors::empty_record{});

  sensors::tree t{1, {{2, {}}, {3, {{4, {}}, {5, {}}}}}};
  check_round_trip(t);

  // Decoding replaces the destination's previous content.
  sensors::station dest = sample_station();
  dest.readings.push_back({"extra", 0, 0});
  REQUIRE(deserialize(serialize(sensors::station{}), dest));
  CHECK(dest == sensors::station{});
}

namespace {
/// The encoding of a vector written element by element: count, then each element's encoding.
template <class T>
std::string element_by_element(const std::vector<T>& v) {
  std::string out;
  eddy::byte_writer(out).write_varint(v.size());
  for (const auto& e : v) out += eddy::serialize(e);
  return out;
}
}  // namespace

TEST_CASE("vectors and remote batches of flat EDDY_FIELDS structs encode field by field") {
  CHECK(eddy::detail::array_is_memcpy<flat_event>());
  CHECK_FALSE(eddy::detail::array_is_memcpy<listed_out_of_order>());
  CHECK_FALSE(eddy::detail::array_is_memcpy<padded>());
  CHECK_FALSE(eddy::detail::array_is_memcpy<sensors::partial>());
  CHECK_FALSE(eddy::detail::array_is_memcpy<reading>());
  CHECK_FALSE(eddy::detail::array_is_memcpy<sensors::empty_record>());

  const std::vector<flat_event> flat{{1, -2, 3.5}, {~0ULL, INT64_MIN, -0.0}, {}};
  const std::vector<listed_out_of_order> swapped{{1, -2}, {7, 8}};
  const std::vector<padded> pad{{-1, 1LL << 40}, {5, -6}};
  CHECK(eddy::serialize(flat) == element_by_element(flat));
  CHECK(eddy::serialize(swapped) == element_by_element(swapped));
  CHECK(eddy::serialize(pad) == element_by_element(pad));
  CHECK(round_trip(flat) == flat);
  CHECK(round_trip(swapped) == swapped);
  CHECK(round_trip(pad) == pad);

  // The batch codec between nodes: the same record bytes, and a length that does not fit the
  // record count is rejected.
  const auto codec = eddy::make_batch_codec<flat_event>();
  eddy::batch<flat_event> b(flat);
  b.timestamps = {10, 20, 30};
  const auto wire = codec->encode(b);
  auto back = codec->decode(wire);
  REQUIRE(back);
  const auto& typed = static_cast<const eddy::batch<flat_event>&>(**back);
  CHECK(typed.records == flat);
  CHECK(typed.timestamps == b.timestamps);
  eddy::batch<flat_event> shorter(std::vector<flat_event>(flat.begin(), flat.begin() + 2));
  const auto shorter_wire = codec->encode(shorter);
  auto mismatched = eddy::decode_wire_batch(shorter_wire);
  REQUIRE(mismatched);
  const auto forged = eddy::encode_wire_batch(3, std::string(mismatched->records), {});
  CHECK_FALSE(codec->decode(forged));
}

TEST_CASE("serializer writes only the fields listed in EDDY_FIELDS") {
  const sensors::partial p{7, 99};
  CHECK(serialize(p) == serialize(int32_t{7}));
  sensors::partial out;
  REQUIRE(deserialize(serialize(p), out));
  CHECK(out.kept == 7);
  CHECK(out.cache == 0);
}

TEST_CASE("serialize_append appends to an existing buffer") {
  std::string buf = "hdr";
  eddy::serialize_append(buf, uint16_t{1});
  eddy::serialize_append(buf, std::string("x"));
  CHECK(buf == bytes({'h', 'd', 'r', 1, 0, 1, 'x'}));

  eddy::byte_reader r(std::string_view(buf).substr(3));
  uint16_t a = 0;
  std::string b;
  REQUIRE(eddy::Serializer<uint16_t>::read(r, a));
  REQUIRE(eddy::Serializer<std::string>::read(r, b));
  CHECK(a == 1);
  CHECK(b == "x");
  CHECK(r.at_end());
}

// ---- malformed input --------------------------------------------------------------------------

TEST_CASE("serializer fails cleanly on every truncated prefix of a composite value") {
  check_every_prefix_fails(sample_station());
  check_every_prefix_fails(sensors::tree{1, {{2, {}}, {3, {{4, {}}}}}});
  check_every_prefix_fails(
      std::tuple<uint64_t, std::vector<bool>, std::optional<std::string>>{1, {true, false}, "opt"});
  check_every_prefix_fails(std::variant<int, std::unordered_map<std::string, std::vector<uint8_t>>>{
      std::unordered_map<std::string, std::vector<uint8_t>>{{"k", {1, 2, 3}}}});

  const std::string error = decode_error<uint32_t>(bytes({1, 2}));
  CHECK_THAT(error, Catch::Contains("truncated"));
}

TEST_CASE("serializer rejects trailing bytes") {
  const std::string error = decode_error<uint16_t>(bytes({1, 0, 0}));
  CHECK_THAT(error, Catch::Contains("trailing"));
  decode_error<reading>(serialize(reading{"d", 1, 2.0}) + "x");
  decode_error<std::tuple<>>(bytes({0}));
}

TEST_CASE("serializer rejects hostile declared lengths without allocating them") {
  // A string claiming 2^40 bytes, a vector claiming 2^62 elements, and so on.
  std::string huge_len;
  eddy::byte_writer w(huge_len);
  w.write_varint(uint64_t{1} << 40);
  huge_len += "abc";
  CHECK_THAT(decode_error<std::string>(huge_len), Catch::Contains("exceeds"));
  decode_error<std::vector<uint8_t>>(huge_len);
  decode_error<std::vector<uint64_t>>(huge_len);
  decode_error<std::vector<std::string>>(huge_len);
  decode_error<std::vector<bool>>(huge_len);
  decode_error<std::map<std::string, std::string>>(huge_len);
  decode_error<std::unordered_map<int, int>>(huge_len);
  decode_error<std::set<int>>(huge_len);
  decode_error<std::vector<reading>>(huge_len);
  // Zero-byte elements cannot be bounded by the input size, only by a fixed ceiling.
  decode_error<std::vector<std::tuple<>>>(huge_len);
  decode_error<std::vector<std::monostate>>(huge_len);

  // Maximum varint.
  std::string max_len = bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  decode_error<std::string>(max_len);
  decode_error<std::vector<sensors::tree>>(max_len);

  // 5 uint32 elements need 20 bytes; 19 are present.
  std::string short_vec = bytes({5}) + std::string(19, '\0');
  CHECK_THAT(decode_error<std::vector<uint32_t>>(short_vec), Catch::Contains("exceeds"));
}

TEST_CASE("serializer rejects invalid tag and bool bytes") {
  CHECK_THAT(decode_error<bool>(bytes({2})), Catch::Contains("bool"));
  decode_error<bool>(bytes({0xff}));
  decode_error<std::vector<bool>>(bytes({2, 1, 2}));
  decode_error<std::array<bool, 1>>(bytes({3}));
  decode_error<flag_enum>(bytes({2}));
  CHECK_THAT(decode_error<std::optional<int8_t>>(bytes({2, 0})), Catch::Contains("optional"));
  CHECK_THAT((decode_error<std::variant<int8_t, bool>>(bytes({2, 0}))),
             Catch::Contains("variant index"));
}

TEST_CASE("serializer rejects malformed varints") {
  // Overlong (non-canonical) zero.
  CHECK_THAT(decode_error<std::string>(bytes({0x80, 0x00})), Catch::Contains("varint"));
  // Eleven bytes / more than 64 bits.
  decode_error<std::string>(bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}));
  decode_error<std::string>(
      bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00}));
  // Continuation bit on the last byte.
  decode_error<std::string>(bytes({0x81}));
}

TEST_CASE("serializer rejects duplicate keys in maps and sets") {
  CHECK_THAT((decode_error<std::map<int8_t, int8_t>>(bytes({2, 1, 0, 1, 0}))),
             Catch::Contains("duplicate"));
  decode_error<std::unordered_map<int8_t, int8_t>>(bytes({2, 1, 0, 1, 5}));
  decode_error<std::set<int8_t>>(bytes({2, 4, 4}));
  // Any order is accepted.
  std::map<int8_t, int8_t> m;
  REQUIRE(deserialize(bytes({2, 3, 30, 1, 10}), m));
  CHECK(m == std::map<int8_t, int8_t>{{1, 10}, {3, 30}});
}

TEST_CASE("byte_reader failures are sticky and never read past the end") {
  const std::string data = bytes({1, 2, 3});
  eddy::byte_reader r(data);
  char buf[4] = {};
  CHECK(r.remaining() == 3);
  CHECK_FALSE(r.read_bytes(buf, 4));
  CHECK(r.failed());
  const std::string first = r.error();
  CHECK_THAT(first, Catch::Contains("offset 0"));
  // Enough data now, but the reader stays failed and keeps the first message.
  CHECK_FALSE(r.read_bytes(buf, 1));
  uint64_t v = 0;
  CHECK_FALSE(r.read_varint(v));
  r.fail("second");
  CHECK(r.error() == first);
  CHECK(buf[0] == 0);

  eddy::byte_reader empty(nullptr, 10);
  CHECK(empty.remaining() == 0);
  CHECK(empty.at_end());
  CHECK_FALSE(empty.read_bytes(buf, 1));

  eddy::byte_reader ok(data);
  CHECK(ok.read_bytes(buf, 2));
  CHECK(ok.remaining() == 1);
  CHECK_FALSE(ok.at_end());
  CHECK(ok.read_bytes(buf, 0));
  CHECK(ok.read_bytes(buf, 1));
  CHECK(ok.at_end());
  CHECK_FALSE(ok.failed());
  CHECK(ok.error().empty());
}

TEST_CASE("serializer survives random and corrupted input") {
  using complex_t = std::tuple<sensors::station, std::vector<std::optional<std::string>>,
                               std::variant<std::monostate, int64_t, std::vector<double>>,
                               std::unordered_map<uint16_t, std::set<std::string>>>;
  // Canonical: anything that decodes re-encodes to the same bytes (no maps with reorderable
  // keys here).
  using canonical_t =
      std::tuple<std::vector<reading>, std::optional<std::optional<uint8_t>>,
                 std::variant<bool, std::string>, std::vector<bool>, std::array<int16_t, 2>>;

  std::mt19937_64 rng(12345);
  auto random_bytes = [&rng](std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xff);
    return s;
  };

  for (int i = 0; i < 3000; ++i) {
    const std::string input = random_bytes(rng() % 64);
    complex_t out;
    std::string error;
    if (!deserialize(input, out, &error)) CHECK_FALSE(error.empty());
  }

  const complex_t value{
      sample_station(), {std::nullopt, "v"}, std::vector<double>{1, 2}, {{7, {"a", "b"}}}};
  const std::string valid = serialize(value);
  const canonical_t canon{{{"d", 1, 2.0}, {"e", -3, 0.25}},
                          std::optional<uint8_t>{9},
                          std::string("str"),
                          {true, false},
                          {-1, 1}};
  const std::string valid_canon = serialize(canon);
  for (int i = 0; i < 3000; ++i) {
    std::string corrupted = valid;
    corrupted[rng() % corrupted.size()] ^= static_cast<char>(1u << (rng() % 8));
    complex_t out;
    std::string error;
    if (!deserialize(corrupted, out, &error)) CHECK_FALSE(error.empty());

    std::string corrupted_canon = valid_canon;
    corrupted_canon[rng() % corrupted_canon.size()] ^= static_cast<char>(1u << (rng() % 8));
    canonical_t cout_;
    if (deserialize(corrupted_canon, cout_)) CHECK(serialize(cout_) == corrupted_canon);
  }
}
